"""The report document: chapters and the whole report rendered from the Jinja templates.

Builds the Jinja environment (autoescape, strict names, the house formats as filters, the
claim tags), renders the front matter and chapters (cut into parts for print) and the whole
document around them, and gives each figure its markup: a container that report.js draws an
interactive plotly chart in for the HTML edition, a link to its vector SVG in print. (Named
`document`, not `html`, so that it does not shadow the standard library's `html`, which it uses.)
"""

from __future__ import annotations

import html
import re
import traceback
from collections.abc import Mapping
from pathlib import Path

import jinja2
from markupsafe import Markup

from pipeline.errors import OhmskError, SpecError
from pipeline.output.downloads import MARKER
from pipeline.output.pdf_render import PART_BREAK, PLACEHOLDER_PAGE
from pipeline.output.template_api import ReportContext
from pipeline.output.web_assets import chart_markup, compact, scrolling_tables
from pipeline.present.claims import ClaimExtension
from pipeline.present.exhibits import Exhibit
from pipeline.present.figures import alt_text
from pipeline.present.formats import Formats, fmt_number
from pipeline.present.publication import long_date
from pipeline.stats.rounding import fmt_p

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"


def environment(compiled: Path | None = None, formats: Formats = Formats()) -> jinja2.Environment:
    """Jinja with autoescape, strict undefined names and the house number formats as filters.

    `compiled` keeps the compiled templates (checked against their source) for later builds.
    """
    if compiled is not None:
        compiled.mkdir(parents=True, exist_ok=True)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        extensions=[ClaimExtension],
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(compiled)) if compiled else None,
    )
    env.filters["pct"] = formats.pct
    env.filters["num"] = fmt_number
    env.filters["p"] = fmt_p
    env.filters["date"] = long_date
    return env


def _template_line(exc: BaseException) -> str:
    """Where in the templates an error arose: Jinja gives each template frame of the traceback
    the template's file and line (the innermost first, then the template that included it)."""
    frames = [
        (Path(f.f_code.co_filename), line)
        for f, line in traceback.walk_tb(exc.__traceback__)
        if f.f_code.co_filename.endswith(".j2")
    ]
    places = [
        f"{path.relative_to(TEMPLATES_DIR.parent) if path.is_relative_to(TEMPLATES_DIR.parent) else path}:{line}"
        for path, line in reversed(frames)
    ]
    return places[0] + (f" (from {places[-1]})" if len(places) > 1 else "") if places else ""


def render_template(env: jinja2.Environment, name: str, **context: object) -> str:
    """One template rendered; a mistake in it (bad syntax, an unknown name, table or cell, a
    withheld figure it reads) stops the build naming the template's file and line."""
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise SpecError(f"templates/{exc.name or name}:{exc.lineno}: {exc.message}") from exc
    except (jinja2.TemplateError, OhmskError) as exc:
        where = _template_line(exc) or f"templates/{name}"
        raise SpecError(f"{where}: {exc}") from exc


def render_bodies(config: dict, ctx: ReportContext, meta: dict) -> tuple[list[dict], list[dict]]:
    """Front matter and chapters rendered (the costly part), each with the sections it holds.

    For print, a chapter whose report.yaml entry lists `pdf_parts_at` (ids of h3 or h4 headings)
    is cut before each of them into continuation entries (`level` 3 or 4, the heading it starts
    with; a chapter's own entry has level 2), so the PDF can render it in parts.
    """

    def part(entry: dict) -> dict:
        body = Markup(render_template(ctx.env, entry["template"], R=ctx, meta=meta))
        return {**entry, "body": body, "sections": sections(body)}

    front = [part(f) for f in config.get("front", [])]
    chapters = []
    for ch in map(part, config["chapters"]):
        cuts = ch.get("pdf_parts_at", []) if ctx.mode == "pdf" else []
        starts = [m for m in re.finditer(r'<h([34]) id="([^"]+)"', ch["body"]) if m.group(2) in cuts]
        ends = [m.start() for m in starts] + [len(ch["body"])]
        chapters.append({**ch, "body": Markup(ch["body"][: ends[0]]), "level": 2})
        chapters += [
            {**ch, "body": Markup(ch["body"][m.start() : end]), "sections": [], "level": int(m.group(1))}
            for m, end in zip(starts, ends[1:])
        ]
    return front, chapters


def render_document(
    config: dict,
    ctx: ReportContext,
    meta: dict,
    front: list[dict],
    chapters: list[dict],
    pages: Mapping[str, int] | None = None,
) -> str:
    """The whole report as one document, its contents listing every section it renders.

    `pages` gives the contents the page of each heading (print only; see pipeline/output/pdf.py).
    """
    page = render_template(
        ctx.env,
        "report.html.j2",
        config=config,
        front=front,
        chapters=chapters,
        R=ctx,
        meta=meta,
        mode=ctx.mode,
        pages=pages or {},
        placeholder=PLACEHOLDER_PAGE,
        part_break=PART_BREAK,
        downloads_marker=MARKER,
    )
    return compact(scrolling_tables(page)) if ctx.mode == "html" else page


# The technical annex's chapters, in order: the reference listings the print edition's Chapter 8
# summarises (the HTML edition prints them there).
ANNEX_TEMPLATES = ("annex/audit.html.j2", "annex/quality.html.j2", "annex/codebooks.html.j2")
_CHAPTER = re.compile(r'<section class="chapter" id="([^"]+)".*?<h2 id="[^"]+"[^>]*>(.*?)</h2>', re.S)


def annex_bodies(ctx: ReportContext, meta: dict) -> list[dict]:
    """The technical annex's chapters rendered, each with its id, title and sections (for its
    contents)."""
    chapters = []
    for name in ANNEX_TEMPLATES:
        body = Markup(render_template(ctx.env, name, R=ctx, meta=meta, part_break=PART_BREAK))
        found = _CHAPTER.search(body)
        if found is None:
            raise SpecError(
                f'templates/{name}: a chapter of the annex opens with <section class="chapter" id=…> and its h2'
            )
        chapters.append(
            {"id": found.group(1), "title": _plain(found.group(2)), "body": body, "sections": sections(body)}
        )
    return chapters


def render_annex(config: dict, ctx: ReportContext, meta: dict, chapters: list[dict], pages: Mapping[str, int]) -> str:
    """The technical annex as one print document (cut into parts at PART_BREAK), its contents
    giving each heading's page once `pages` holds it."""
    return render_template(
        ctx.env,
        "print/annex.html.j2",
        config=config,
        meta=meta,
        chapters=chapters,
        mode=ctx.mode,
        pages=pages,
        placeholder=PLACEHOLDER_PAGE,
        part_break=PART_BREAK,
    )


def _plain(markup: str) -> str:
    """A heading's text, without its tags and entities."""
    return Markup(re.sub(r"<[^>]+>", "", markup)).unescape().strip()


_SECTION = re.compile(r'<h3 id="([^"]+)"[^>]*>(.*?)</h3>', re.S)


def sections(body: str) -> list[dict]:
    """The numbered sections (h3 with an id) a chapter renders, for the contents."""
    return [{"id": m.group(1), "title": _plain(m.group(2))} for m in _SECTION.finditer(body)]


def figure_markup(
    figures: dict, exhibits: dict[str, Exhibit], mode: str, svg_dir: Path, formats: Formats = Formats()
) -> dict[str, str]:
    """Chart containers drawn by charts.js (HTML) or links to vector SVGs (PDF) for every figure
    (plotly figure dicts by table id)."""
    out: dict[str, str] = {}
    for tid, ex in exhibits.items():
        if ex.spec.kind != "figure":
            continue
        if mode == "html":
            out[tid] = chart_markup(tid, figures[tid], f"{svg_dir.name}/{ex.file_stem}.svg")
        else:
            alt = html.escape(alt_text(ex.table, formats))
            out[tid] = f'<img class="chart" src="{svg_dir.name}/{ex.file_stem}.svg" alt="{alt}">'
    return out
