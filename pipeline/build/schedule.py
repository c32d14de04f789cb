"""Build the whole report: every step of pipeline/build/report_steps.py, run by the build graph.

A build records a fingerprint of everything it read; an unchanged rebuild stops at once. Work is
cached by what it depends on (pipeline/build/keys.py): a rebuild after one table's spec changed
recomputes that table, redraws its chart and re-renders the PDF part that shows it. Charts are
drawn by Chromium and PDF parts by worker processes while this process writes the other outputs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipeline.build.cache import Store
from pipeline.build.data import compute
from pipeline.build.fingerprint import fingerprint, is_current, record
from pipeline.build.graph import StageTimes, run_steps
from pipeline.build.report_data import template_meta, wave_data
from pipeline.build.report_steps import ReportBuild, write_html
from pipeline.build.workers import Workers
from pipeline.errors import OhmskError
from pipeline.output.csv_files import write_claims
from pipeline.output.document import environment
from pipeline.output.downloads import ANNEX_PDF
from pipeline.output.pdf_render import load_weasyprint
from pipeline.output.template_api import ReportContext
from pipeline.present.claims import ClaimLog
from pipeline.present.exhibits import number_exhibits
from pipeline.present.formats import Formats
from pipeline.spec.folders import read_edition
from pipeline.spec.objects import SPECS_DIR
from pipeline.spec.report_spec import ReportSpec, load_report_spec
from pipeline.stages.audit import run_audit


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
    out_dir.mkdir(parents=True, exist_ok=True)  # every step may write here
    cache = Store(out_dir / ".cache")
    with stages("data", "checking the specs …"):  # every spec problem reported before any work starts
        spec = load_report_spec(specs_dir)
    # the workers are forked first, before any thread; Chromium runs in a thread of its own
    with Workers(workers, initializer=load_weasyprint) as pool, ThreadPoolExecutor(1) as chromium:
        build = ReportBuild(spec, data_dir, out_dir, cache, pool, chromium, restricted, draft, progress)
        results = run_steps(build.steps(), stages)
    _report_failed_claims(results["html"], progress)
    cache.prune()
    record(out_dir, key)
    written = ", ".join(str(out_dir / name) for name in ("report.html", "report.pdf", ANNEX_PDF))
    progress(f"done in {time.perf_counter() - t0:.1f} s: {written}")
    return stages


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
    the same page with its charts. Writes claims.csv beside it; returns the claims."""
    cache = cache or Store(None)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = compute(spec, data_dir, cache)
    exhibits = number_exhibits(results.tables, spec.tables)
    formats = Formats.of(spec.config["conventions"])
    waves = wave_data(spec, data_dir, results, out_dir, cache, progress)
    audit_rows, claim_rows = run_audit(  # on the unweighted tables, as the full build's audit step
        spec.config["surveys"], results.unweighted, results.level, spec.folder, spec.checked.published
    )
    meta = template_meta(spec, results, exhibits, audit_rows, claim_rows, waves, read_edition(data_dir))
    ctx = ReportContext(results.tables, exhibits, "html", environment(None, formats), {}, results.level, formats, draft)
    write_html(spec.config, ctx, meta, out_dir)
    write_claims(ctx.claims, out_dir / "claims.csv")
    return ctx.claims
