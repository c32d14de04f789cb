"""Build the whole report: data stages, CSVs, figures, HTML and PDF, with progress shown.

A build records a fingerprint of everything it read; an unchanged rebuild stops at once. Work is
cached by what it depends on (pipeline/build/cache.py): a rebuild after one table's spec changed
recomputes that table, redraws its chart and re-renders the PDF part that shows it. Charts are
drawn by Chromium and PDF parts by worker processes while this process writes the other outputs.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import plotly.offline

from pipeline.build.cache import Store, digest
from pipeline.build.data import compute
from pipeline.build.fingerprint import fingerprint, is_current, record
from pipeline.build.workers import Workers
from pipeline.errors import OhmskError
from pipeline.output.csv_files import (
    write_audit,
    write_changes,
    write_claims,
    write_cleaning_log,
    write_csv,
    write_questions,
)
from pipeline.output.document import environment, figure_markup, render_bodies, render_document
from pipeline.output.pdf import Part, Renderer, load_weasyprint, split_document, write_pdf
from pipeline.output.svg import export_svgs
from pipeline.output.template_api import ReportContext
from pipeline.output.workbook import changes_frame, write_workbook
from pipeline.present.appendices import (
    audit_groups,
    audit_lines,
    claim_lines,
    codebook_rows,
    missing_counts,
    quality_issues,
    weight_bands,
    weight_spread,
)
from pipeline.present.claims import ClaimLog
from pipeline.present.exhibits import number_exhibits
from pipeline.present.figures import figure_spec
from pipeline.present.formats import Formats
from pipeline.spec.folders import ROOT, read_edition, wave_spec
from pipeline.spec.objects import SPECS_DIR
from pipeline.spec.report_spec import ReportSpec, load_report_spec
from pipeline.spec.schema.data_folder import Edition
from pipeline.stages.audit import claims_summary, run_audit, summary
from pipeline.stages.coverage import coverage
from pipeline.stages.disclosure import reset_restricted
from pipeline.stages.waves import changed_questions, changes, main_changes, matters, question_changed
from pipeline.stages.weighting import margin_rows


class StageTimes(dict):
    """Wall-clock seconds per stage of one build, in order, for progress and `make bench`."""

    def __init__(self, progress: Callable[[str], None]):
        super().__init__()
        self.progress = progress

    @contextmanager
    def __call__(self, stage: str, message: str | None = None) -> Iterator[None]:
        if message:
            self.progress(message)
        t0 = time.perf_counter()
        yield
        self[stage] = self.get(stage, 0.0) + time.perf_counter() - t0


def build_report(
    data_dir: Path,
    out_dir: Path,
    progress: Callable[[str], None],
    specs_dir: Path = SPECS_DIR,
    workers: int | None = None,
    inputs_key: str | None = None,
    restricted: bool = False,
    draft: bool = False,
) -> StageTimes:
    """Build every output in `out_dir` from the respondent files in `data_dir`; the stage times.

    `inputs_key` is the inputs' fingerprint when the caller has already computed it. With
    `restricted`, the unsuppressed figures are also written, to `out_dir/restricted/` only. With
    `draft`, a claim whose condition fails on this data is marked in the report and listed
    instead of stopping the build (pipeline/present/claims.py).
    """
    if not data_dir.is_dir():
        raise OhmskError(f"{data_dir}: data folder not found")
    stages = StageTimes(progress)
    key = inputs_key or fingerprint(data_dir, specs_dir, restricted, draft)
    if is_current(out_dir, key):
        progress("outputs are up to date (no input changed)")
        return stages
    t0 = time.perf_counter()
    cache = Store(out_dir / ".cache")
    with stages("data", "checking the specs …"):  # every spec problem reported before any work starts
        spec = load_report_spec(specs_dir)
    with Workers(workers, initializer=load_weasyprint) as pool:  # forked first, before any thread
        _build(spec, data_dir, out_dir, cache, pool, stages, restricted, draft)
    cache.prune()
    record(out_dir, key)
    progress(f"done in {time.perf_counter() - t0:.1f} s: {out_dir / 'report.html'}, {out_dir / 'report.pdf'}")
    return stages


def _build(
    spec: ReportSpec,
    data_dir: Path,
    out_dir: Path,
    cache: Store,
    pool: Workers,
    stages: StageTimes,
    restricted: bool,
    draft: bool,
) -> None:
    """Every output, in the order that keeps both cores busy: a worker writes the spreadsheet
    once the tables exist, the PDF's parts start as soon as the print document exists (those
    with charts once Chromium has drawn them), and this process writes the CSVs and the HTML
    while they render."""
    progress = stages.progress
    with stages("data", "loading, validating and deriving survey data …"):
        results = compute(spec, data_dir, cache)
    cleaned, tables, level = results.cleaned, results.tables, results.level
    for name, c in cleaned.items():
        progress(f"{name}: {c.counts['read']} respondents read, {c.counts['kept']} kept")
    _write_assets(out_dir)
    restricted_dir = reset_restricted(out_dir, restricted)
    exhibits = number_exhibits(tables, spec.tables)
    formats = Formats.of(spec.config["conventions"])
    waves = _wave_data(spec, data_dir, results, out_dir, cache, progress)
    edition = read_edition(data_dir)  # validated with the data folder by `compute`
    as_of = datetime.combine(edition.data_as_of, datetime.min.time())  # a fixed date: two builds are identical
    progress("writing tables.xlsx (in a worker) …")
    workbook = pool.submit(
        write_workbook,
        tables,
        exhibits,
        spec.config,
        spec.codebooks,
        out_dir / "tables.xlsx",
        as_of,
        changes_frame(waves["changes"], waves["questions"], exhibits, formats) if waves else None,
        formats,
        edition.provenance,
    )
    with stages("figures"):
        figures = _figures(exhibits, results.table_keys, cache, formats)
    figures_dir = out_dir / "figures"
    env = environment(out_dir / ".cache" / "templates", formats)
    with ThreadPoolExecutor(1) as chromium:  # Chromium draws the charts while this process writes
        svgs = chromium.submit(export_svgs, figures, cache, out_dir / "assets" / "plotly.min.js")
        progress(f"{len(tables)} tables computed; drawing {len(figures)} charts …")
        with stages("audit", "checking every published statistic (audit) …"):
            # the 2020 figures are unweighted: a weighted survey's are checked on its unweighted tables
            audit_rows, claim_rows = run_audit(
                spec.config["surveys"], results.unweighted, level, spec.folder, spec.checked.published
            )
            write_audit([*audit_rows, *claim_rows], out_dir / "audit.csv")
            if restricted_dir:
                write_audit([*audit_rows, *claim_rows], restricted_dir / "audit.csv", published=False)
        meta = _meta(spec, results, exhibits, audit_rows, claim_rows, waves, edition)
        with stages("print document"):
            pdf_ctx = ReportContext(
                tables,
                exhibits,
                "pdf",
                env,
                figure_markup(figures, exhibits, "pdf", figures_dir, formats),
                level,
                formats,
                draft,
            )
            printed = _print_document(spec.config, pdf_ctx, meta)

        def charts() -> None:  # the parts without charts are rendering meanwhile
            with stages("charts (waiting for Chromium)"):
                _write_svgs(svgs.result(), figures_dir)

        def other_outputs() -> None:  # while the PDF's parts render
            with stages("csv", "writing CSVs …"):
                _write_csvs(results, out_dir, formats)
                if restricted_dir:
                    progress(
                        f"writing the unsuppressed figures to {restricted_dir} (restricted: not for publication) …"
                    )
                    _write_csvs(results, restricted_dir, formats, restricted=True)
            with stages("html", "rendering HTML …"):
                ctx = ReportContext(
                    tables,
                    exhibits,
                    "html",
                    env,
                    figure_markup(figures, exhibits, "html", figures_dir, formats),
                    level,
                    formats,
                    draft,
                )
                _write_html(spec.config, ctx, meta, out_dir)
                write_claims(ctx.claims, out_dir / "claims.csv")
                _report_failed_claims(ctx.claims, progress)
            with stages("xlsx (waiting for its worker)"):
                workbook.result()

        with stages("pdf (charts, csv, html and xlsx written meanwhile)", "rendering PDF …"):
            write_pdf(
                *printed,
                out_dir / "report.pdf",
                Renderer(cache, out_dir, pool),
                awaited={f"{figures_dir.name}/{tid}.svg" for tid in figures},
                ready=charts,
                meanwhile=other_outputs,
                progress=progress,
            )


def _report_failed_claims(log: ClaimLog, progress: Callable[[str], None]) -> None:
    """In a draft build, every claim that does not hold on this data (marked in the HTML)."""
    if log.failed:
        progress(
            f"draft: {len(log.failed)} claim(s) do not hold on this data (marked in report.html, listed in claims.csv):"
        )
    for c in log.failed:
        progress(f"  {c.template}:{c.line}: \u201c{c.text[:120]}\u201d: {c.evaluated}")


def render_html(
    spec: ReportSpec,
    data_dir: Path,
    out_dir: Path,
    cache: Store | None = None,
    progress: Callable[[str], None] = lambda message: None,
    draft: bool = False,
) -> ClaimLog:
    """out_dir/report.html alone, as cheaply as the report's prose can be had: the data stages
    (and the previous wave's, if one is declared), the audit and the Jinja render, but no PDF,
    CSV, workbook or chart export, and the charts left out of the page (their data tables stay).
    For checking the prose of many data folders (tests/test_stress.py); `make report` builds
    the same page with its charts in `_build`. Writes claims.csv beside it; returns the claims."""
    cache = cache or Store(None)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = compute(spec, data_dir, cache)
    exhibits = number_exhibits(results.tables, spec.tables)
    formats = Formats.of(spec.config["conventions"])
    waves = _wave_data(spec, data_dir, results, out_dir, cache, progress)
    audit_rows, claim_rows = run_audit(
        spec.config["surveys"], results.tables, results.level, spec.folder, spec.checked.published
    )
    meta = _meta(spec, results, exhibits, audit_rows, claim_rows, waves, read_edition(data_dir))
    ctx = ReportContext(results.tables, exhibits, "html", environment(None, formats), {}, results.level, formats, draft)
    _write_html(spec.config, ctx, meta, out_dir)
    write_claims(ctx.claims, out_dir / "claims.csv")
    return ctx.claims


def _meta(
    spec: ReportSpec, results, exhibits: dict, audit_rows: list, claim_rows: list, waves: dict | None, edition: Edition
) -> dict:
    """What the templates read besides the tables (`meta`), the same for HTML and print."""
    return {
        "config": spec.config,
        "codebooks": spec.codebooks,
        "results": results,
        "coverage": coverage(spec.codebooks, results.cleaned),
        "margins": {name: margin_rows(results.datasets[name], sw) for name, sw in results.weights.items()},
        "edition": edition,
        "glossary": spec.checked.glossary.model_dump(),
        "appendix": _appendix_data(results, exhibits, audit_rows, claim_rows, edition.reproduces_published),
        "waves": waves,
    }


def _figures(exhibits: dict, table_keys: dict[str, str], cache: Store, formats: Formats) -> dict[str, dict]:
    """Every chart as a plotly figure dict, built only for tables whose cells or spec changed
    (or the house formats its labels follow)."""
    out = {}
    for tid, ex in exhibits.items():
        if ex.spec.kind != "figure":
            continue
        key = digest("figure", table_keys[tid], repr(formats))  # the table key covers cells, spec and code
        out[tid] = cache.load(key)
        if out[tid] is None:
            out[tid] = figure_spec(ex.table, formats)
            cache.save(key, out[tid])
    return out


def _write_svgs(svgs: dict[str, bytes], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for tid, svg in svgs.items():
        path = folder / f"{tid}.svg"
        if not path.exists() or path.read_bytes() != svg:
            path.write_bytes(svg)


def _write_assets(out_dir: Path) -> None:
    """The stylesheet (which the PDF's parts read too) and plotly.js, beside the report."""
    assets = out_dir / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    (assets / "plotly.min.js").write_text(plotly.offline.get_plotlyjs(), encoding="utf-8")
    shutil.copy(ROOT / "templates" / "static" / "report.css", assets / "report.css")


def _write_html(config: dict, ctx: ReportContext, meta: dict, out_dir: Path) -> None:
    document = render_document(config, ctx, meta, *render_bodies(config, ctx, meta))
    (out_dir / "report.html").write_text(document, encoding="utf-8")


def _appendix_data(results, exhibits: dict, audit_rows: list, claim_rows: list, reproduces: bool) -> dict:
    """What the generated appendices print: the audit (or, for an edition with other data than
    the 2020 report's, the comparison with its figures), data quality and the codebooks."""
    lines = audit_lines(audit_rows, results.unweighted, exhibits)
    return {
        "audit": lines,
        "audit_groups": audit_groups(lines),
        "audit_summary": summary(audit_rows, published=True, reproduces=reproduces),
        "claims": claim_lines(claim_rows, results.unweighted, exhibits),
        "claims_summary": claims_summary(claim_rows, published=True, reproduces=reproduces),
        "quality": {
            name: {"issues": quality_issues(c), "missing": missing_counts(c)} for name, c in results.cleaned.items()
        },
        "weights": {
            name: {"spread": weight_spread(sw.result.weights), "bands": weight_bands(sw.result.weights)}
            for name, sw in results.weights.items()
        },
        "codebook": {name: codebook_rows(ds.codebook, ds) for name, ds in results.datasets.items()},
    }


def _wave_data(
    spec, data_dir: Path, results, out_dir: Path, cache: Store, progress: Callable[[str], None]
) -> dict | None:
    """With a previous wave declared: every comparable figure's change, tested where it can be,
    the questions added, dropped, reworded or recoded, and the changes the report prints."""
    waves = wave_spec(data_dir)
    if waves is None:
        return None
    progress(f"comparing with the previous wave ({waves.previous_dir}) …")
    previous = compute(spec, waves.previous_dir, cache, previous=True)
    found = changes(results.tables, previous.tables, results.level)
    flagged = [q for book in spec.codebooks.values() for q in changed_questions(book, data_dir, waves.previous_dir)]
    write_changes(found, flagged, out_dir / "changes.csv")
    write_questions(flagged, out_dir / "questions_changed.csv")
    shown = spec.config["waves"]
    return {
        "spec": waves,
        "changes": found,
        "questions": flagged,
        "shown": [c for c in found if c.column == "total" and matters(c, shown["show_points"], shown["show_percent"])],
        "main": main_changes(found),
        "settings": shown,
        "changed_series": {c.series for c in found if question_changed(c, flagged)},
    }


def _print_document(config: dict, ctx: ReportContext, meta: dict) -> tuple[list[Part], Callable, str]:
    """What pipeline.output.pdf.write_pdf takes: the print document's parts (one per front section and
    chapter), how to render the contents once the pages are known, and one numbered page."""
    front, chapters = render_bodies(config, ctx, meta)

    def document(pages: dict[str, int]) -> str:
        return render_document(config, ctx, meta, front, chapters, pages)

    levels = [1] + [2] * len(front) + [ch["level"] for ch in chapters]  # the cover holds the h1
    numbering = ctx.env.get_template("print/page_numbers.html.j2").render(config=config)
    return (split_document(document({}), levels), lambda pages: split_document(document(pages))[0], numbering)


def _write_csvs(results, out_dir: Path, formats: Formats, restricted: bool = False) -> None:
    """Every table's CSV (withheld cells without their figures, unless `restricted`) and, for
    the published outputs, the cleaning log."""
    for tid, table in results.tables.items():
        write_csv(table, out_dir / "csv" / f"{tid}.csv", results.level, restricted, formats)
    if not restricted:
        write_cleaning_log(results.cleaned, out_dir / "cleaning_log.csv")
