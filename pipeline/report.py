"""Build the whole report: data stages, CSVs, figures, HTML and PDF, with progress shown.

A build records a fingerprint of everything it read; an unchanged rebuild stops at once.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Callable

import plotly.offline

from .appendices import (audit_lines, claim_lines, codebook_rows, missing_counts, quality_issues, weight_bands,
                         weight_spread)
from .audit import claims_summary, run_audit, summary, write_audit
from .build import compute, load_report_spec
from .errors import OhmskError
from .figures import build_figure
from .pdf import split_document, write_pdf
from .render import (ReportContext, environment, figure_markup, number_exhibits, render_bodies,
                     render_document, render_html, write_csv)
from .safecsv import Writer
from .specs import SPECS_DIR, read_yaml
from .spreadsheet import write_workbook
from .waves import changed_questions, changes, changes_frame, question_changed, wave_spec, write_changes
from .weighting import margin_rows

ROOT = Path(__file__).resolve().parent.parent
OUTPUT_FILES = ("report.html", "report.pdf", "tables.xlsx")


def fingerprint(data_dir: Path) -> str:
    """Hash of the raw data, specs, templates and pipeline code: the build's inputs."""
    h = hashlib.sha256()
    waves = wave_spec(data_dir)
    sources = [data_dir, SPECS_DIR, ROOT / "templates", ROOT / "pipeline"] + ([waves.previous_dir] if waves else [])
    for folder in sources:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(str(path.relative_to(folder)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def build_report(data_dir: Path, out_dir: Path, progress: Callable[[str], None]) -> None:
    if not data_dir.is_dir():
        raise OhmskError(f"{data_dir}: data folder not found")
    stamp = out_dir / ".build-fingerprint"
    key = fingerprint(data_dir)
    if stamp.exists() and stamp.read_text() == key and all((out_dir / f).exists() for f in OUTPUT_FILES):
        progress("outputs are up to date (no input changed)")
        return
    t0 = time.perf_counter()
    spec = load_report_spec()
    progress("loading, validating and deriving survey data …")
    results = compute(spec, data_dir)
    cleaned, tables, level = results.cleaned, results.tables, results.level
    for name, c in cleaned.items():
        progress(f"{name}: {c.counts['read']} respondents read, {c.counts['kept']} kept")
    out_dir.mkdir(parents=True, exist_ok=True)
    exhibits = number_exhibits(tables, spec.tables)
    progress(f"{len(tables)} tables computed; writing CSVs …")
    for tid, table in tables.items():
        w = results.weights.get(table.spec.survey)
        weight = f"rim weights to {w.frame_path.name}" if w and w.use != "none" else "unweighted"
        write_csv(table, out_dir / "csv" / f"{tid}.csv", level, weight)
    _write_cleaning_log(cleaned, out_dir / "cleaning_log.csv")
    waves = _wave_data(spec, data_dir, results, out_dir, progress)
    edition_date = _data_date(spec.codebooks)
    progress("writing tables.xlsx …")
    write_workbook(tables, exhibits, spec.config, spec.codebooks, out_dir / "tables.xlsx",
                   edition_date, changes_frame(waves["changes"], waves["questions"], exhibits)
                   if waves else None)
    figures_dir = out_dir / "figures"
    progress(f"exporting {sum(e.spec.kind == 'figure' for e in exhibits.values())} charts to SVG …")
    figures = {tid: build_figure(ex.table) for tid, ex in exhibits.items() if ex.spec.kind == "figure"}
    _export_svgs(figures, figures_dir)
    margins = {name: margin_rows(results.datasets[name], sw) for name, sw in results.weights.items()}
    progress("checking every published statistic (audit) …")
    audit_rows, claim_rows = run_audit(spec.config["surveys"], tables, level)
    write_audit([*audit_rows, *claim_rows], out_dir / "audit.csv")
    meta = {"config": spec.config, "codebooks": spec.codebooks, "results": results, "margins": margins,
            "edition_date": edition_date,
            "glossary": read_yaml(SPECS_DIR / spec.config["glossary"]),
            "appendix": _appendix_data(results, exhibits, audit_rows, claim_rows),
            "waves": waves}
    env = environment()
    progress("rendering HTML …")
    html_ctx = ReportContext(tables, exhibits, "html", env,
                             figure_markup(figures, exhibits, "html", figures_dir), level)
    assets = out_dir / "assets"
    assets.mkdir(exist_ok=True)
    (assets / "plotly.min.js").write_text(plotly.offline.get_plotlyjs(), encoding="utf-8")
    shutil.copy(ROOT / "templates" / "static" / "report.css", assets / "report.css")
    (out_dir / "report.html").write_text(render_html(spec.config, html_ctx, meta), encoding="utf-8")
    progress("rendering PDF …")
    pdf_ctx = ReportContext(tables, exhibits, "pdf", env,
                            figure_markup(figures, exhibits, "pdf", figures_dir), level)
    _write_pdf(spec.config, pdf_ctx, meta, out_dir, progress)
    stamp.write_text(key)
    progress(f"done in {time.perf_counter() - t0:.1f} s: {out_dir / 'report.html'}, {out_dir / 'report.pdf'}")


def _appendix_data(results, exhibits: dict, audit_rows: list, claim_rows: list) -> dict:
    """What the generated appendices print: the audit, data quality and the codebooks."""
    return {
        "audit": audit_lines(audit_rows, results.tables, exhibits),
        "audit_summary": summary(audit_rows),
        "claims": claim_lines(claim_rows, results.tables, exhibits),
        "claims_summary": claims_summary(claim_rows),
        "quality": {name: {"issues": quality_issues(c), "missing": missing_counts(c)}
                    for name, c in results.cleaned.items()},
        "weights": {name: {"spread": weight_spread(sw.result.weights), "bands": weight_bands(sw.result.weights)}
                    for name, sw in results.weights.items()},
        "codebook": {name: codebook_rows(ds.codebook, ds) for name, ds in results.datasets.items()},
    }


def _wave_data(spec, data_dir: Path, results, out_dir: Path, progress: Callable[[str], None]) -> dict | None:
    """With a previous wave declared: every comparable share's change, tested, and changed questions."""
    waves = wave_spec(data_dir)
    if waves is None:
        return None
    progress(f"comparing with the previous wave ({waves.previous_dir}) …")
    previous = compute(spec, waves.previous_dir)
    found = changes(results.tables, previous.tables, results.level)
    flagged = [q for book in spec.codebooks.values() for q in changed_questions(book, data_dir, waves.previous_dir)]
    write_changes(found, flagged, out_dir / "changes.csv")
    return {"spec": waves, "changes": found, "questions": flagged,
            "changed_series": {c.series for c in found if question_changed(c, flagged)}}


def _find_browser() -> str:
    """The Chromium kaleido will use; kaleido itself hangs rather than fail when there is none."""
    candidates = [os.environ.get("BROWSER_PATH", "")] + [
        shutil.which(name) or "" for name in ("chromium", "chromium-browser", "google-chrome")]
    for path in candidates:
        if path and os.path.exists(path):
            return path
    raise OhmskError("no Chromium browser found for exporting charts to SVG; run `make report` as "
                     "root to install Debian's chromium, or `apt-get install chromium`, or set "
                     "BROWSER_PATH to a Chrome/Chromium binary")


def _data_date(codebooks: dict) -> datetime:
    """The document date: the end of the latest fieldwork, so two builds are identical."""
    ends = [book.meta["fieldwork"]["end"] for book in codebooks.values()
            if "end" in book.meta.get("fieldwork", {})]  # some surveys' dates are not published
    latest = max(ends)
    return datetime(latest.year, latest.month, latest.day)


def _stable_svg_ids(svg: bytes, tid: str) -> bytes:
    """Replace plotly's random per-figure id (defs-1a2b3c, clip1a2b3c…) so builds are identical."""
    found = re.search(rb'<defs id="defs-([0-9a-f]+)"', svg)
    if not found:
        return svg
    stable = hashlib.sha256(tid.encode()).hexdigest()[: len(found.group(1))].encode()
    return svg.replace(found.group(1), stable)


def _export_svgs(figures: dict, figures_dir: Path) -> None:
    """One kaleido (Chromium) server for the whole build, not one browser per figure."""
    import kaleido

    os.environ["BROWSER_PATH"] = _find_browser()
    figures_dir.mkdir(parents=True, exist_ok=True)
    kaleido.start_sync_server(mathjax=False, silence_warnings=True)
    try:
        for tid, fig in figures.items():
            opts = {"format": "svg", "width": fig.layout.width, "height": fig.layout.height}
            svg = kaleido.calc_fig_sync(fig, opts=opts)
            (figures_dir / f"{tid}.svg").write_bytes(_stable_svg_ids(svg, tid))
    finally:
        kaleido.stop_sync_server(silence_warnings=True)


def _write_pdf(config: dict, ctx: ReportContext, meta: dict, out_dir: Path,
               progress: Callable[[str], None]) -> None:
    """report.pdf, rendered in parts (one per front section and chapter) and joined."""
    front, chapters = render_bodies(config, ctx, meta)

    def document(pages: dict[str, int]) -> str:
        return render_document(config, ctx, meta, front, chapters, pages)

    continued = [False] * (1 + len(front)) + [ch["continued"] for ch in chapters]
    numbering = ctx.env.get_template("print/page_numbers.html.j2").render(config=config)
    write_pdf(split_document(document({}), continued), lambda pages: split_document(document(pages))[0],
              numbering, out_dir / "report.pdf", base_url=out_dir, cache_dir=out_dir / ".cache" / "pdf",
              progress=progress)


def _write_cleaning_log(cleaned: dict, path: Path) -> None:
    """Every respondent in and out, and every warning raised while cleaning."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = Writer(fh)
        w.writerow(["survey", "severity", "file", "variable", "respondent", "value", "rule"])
        for name, c in cleaned.items():
            w.writerow([name, "info", c.file, "", "", c.counts["read"], "respondents read"])
            w.writerow([name, "info", c.file, "", "", c.counts["kept"], "respondents kept for analysis"])
            for p in c.log:
                w.writerow([name, p.severity, p.file, p.variable, p.respondent, p.value, p.rule])
