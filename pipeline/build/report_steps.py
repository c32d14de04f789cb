"""The steps of a whole report's build, each declaring what it needs (pipeline/build/graph.py).

The data stages first; then the workbook (in a worker process), the charts (their figures, then
their SVG, drawn by Chromium in a thread), the audit, the print document and its PDF parts (in
the worker processes, those with charts once their SVGs are written), the CSVs and the HTML in
this process meanwhile, and last the PDF's join. The graph's scheduler decides the order.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.build.cache import Store
from pipeline.build.data import Results, compute
from pipeline.build.graph import Step
from pipeline.build.keys import CHART_LIBRARIES, DATA_LIBRARIES, file_digest, key
from pipeline.build.pdf_parts import Batch, PrintDocument, Renderer, start_parts, write_pdf
from pipeline.build.report_data import template_meta, wave_data
from pipeline.build.workers import Workers
from pipeline.output.csv_files import write_audit, write_claims, write_cleaning_log, write_csv
from pipeline.output.document import (
    annex_bodies,
    environment,
    figure_markup,
    render_annex,
    render_bodies,
    render_document,
    render_template,
)
from pipeline.output.downloads import ANNEX_PDF, fill_downloads, release_files
from pipeline.output.pdf_render import split_document
from pipeline.output.svg import browser_version, draw_svgs
from pipeline.output.template_api import ReportContext
from pipeline.output.web_assets import compact, scrolling_tables, write_web_assets
from pipeline.output.workbook import changes_frame, release_day, write_workbook
from pipeline.present.claims import ClaimLog
from pipeline.present.exhibits import Exhibit, data_file_stem, number_exhibits
from pipeline.present.figures import figure_spec
from pipeline.present.formats import Formats
from pipeline.spec.folders import ROOT, read_edition
from pipeline.spec.report_spec import ReportSpec
from pipeline.stages.audit import run_audit
from pipeline.stages.disclosure import reset_restricted

FIGURE_LIBRARIES = DATA_LIBRARIES + CHART_LIBRARIES
SVG_CODE = ("output/svg.py", "output/svg_tidy.py")


@dataclass
class ReportBuild:
    """What every step of one report's build shares: where it reads and writes, its cache, and
    where work runs besides this process."""

    spec: ReportSpec
    data_dir: Path
    out_dir: Path
    cache: Store
    workers: Workers
    chromium: Executor  # one thread, which runs Chromium while this process writes
    restricted: bool
    draft: bool
    progress: Callable[[str], None]

    @property
    def formats(self) -> Formats:
        return Formats.of(self.spec.config["conventions"])

    @property
    def figures_dir(self) -> Path:
        return self.out_dir / "figures"

    def steps(self) -> list[Step]:
        """Every step, in the order this process prefers to run them when several are ready."""
        return [
            Step("data", self.data, message="loading, validating and deriving survey data …"),
            Step("assets", self.assets, stage="figures"),
            Step("restricted dir", self.restricted_dir, stage="csv"),
            Step("exhibits", self.exhibits, ("data",), stage="data"),
            Step("waves", self.waves, ("data",), stage="data"),
            Step("workbook", self.workbook, ("data", "exhibits", "waves"), stage="xlsx"),
            Step("figures", self.figures, ("data", "exhibits")),
            Step("svgs", self.svgs, ("figures", "assets"), stage="figures"),
            Step(
                "audit", self.audit, ("data", "restricted dir"), message="checking every published statistic (audit) …"
            ),
            Step("environment", self.environment, stage="print document"),
            Step("meta", self.meta, ("data", "exhibits", "audit", "waves"), stage="print document"),
            Step(
                "print",
                self.print_document,
                ("data", "exhibits", "environment", "figures", "meta"),
                stage="print document",
            ),
            Step(
                "annex",
                self.annex_document,
                ("data", "exhibits", "environment", "figures", "meta"),
                stage="print document",
            ),
            Step("annex parts", self.annex_parts, ("annex", "assets"), stage="pdf"),
            Step("pdf parts", self.plain_parts, ("print", "figures", "exhibits", "assets"), stage="pdf"),
            Step("charts", self.charts, ("svgs", "exhibits"), stage="charts (waiting for Chromium)"),
            Step(
                "pdf chart parts", self.chart_parts, ("print", "figures", "exhibits", "assets", "charts"), stage="pdf"
            ),
            Step("csv", self.csvs, ("data", "exhibits", "restricted dir"), message="writing CSVs …"),
            Step("html", self.html, ("data", "exhibits", "environment", "figures", "meta"), message="rendering HTML …"),
            Step("workbook written", lambda path: path, ("workbook",), stage="xlsx (waiting for its worker)"),
            Step(
                "pdf",
                self.pdf,
                ("print", "figures", "exhibits", "pdf parts", "pdf chart parts"),
                stage="pdf (waiting for the workers, then the join)",
                message="joining the PDF …",
            ),
            Step(
                "annex pdf",
                self.annex_pdf,
                ("annex", "annex parts"),
                stage="pdf (waiting for the workers, then the join)",
                message="joining the technical annex …",
            ),
            Step(
                "downloads",
                self.downloads,
                (
                    "data",
                    "exhibits",
                    "environment",
                    "meta",
                    "html",
                    "csv",
                    "charts",
                    "workbook written",
                    "pdf",
                    "annex pdf",
                ),
                stage="html",
                message="listing the release's files in the HTML …",
            ),
        ]

    def data(self) -> Results:
        results = compute(self.spec, self.data_dir, self.cache)
        for name, c in results.cleaned.items():
            self.progress(f"{name}: {c.counts['read']} respondents read, {c.counts['kept']} kept")
        return results

    def assets(self) -> Path:
        """The stylesheet (which the PDF's parts read too), plotly.js and the chart loader, beside the report."""
        assets = self.out_dir / "assets"
        assets.mkdir(parents=True, exist_ok=True)
        write_web_assets(assets)
        shutil.copy(ROOT / "templates" / "static" / "report.css", assets / "report.css")
        return assets

    def restricted_dir(self) -> Path | None:
        return reset_restricted(self.out_dir, self.restricted)

    def exhibits(self, results: Results) -> dict:
        return number_exhibits(results.tables, self.spec.tables)

    def waves(self, results: Results) -> dict | None:
        return wave_data(self.spec, self.data_dir, results, self.out_dir, self.cache, self.progress)

    def workbook(self, results: Results, exhibits: dict, waves: dict | None) -> Future:
        """tables.xlsx and its OpenDocument copy tables.ods, written in a worker; the Future of its path."""
        edition = read_edition(self.data_dir)  # validated with the data folder by `compute`
        self.progress("writing tables.xlsx and tables.ods (in a worker) …")
        changed = changes_frame(waves["changes"], waves["questions"], exhibits, self.formats) if waves else None
        config, books = self.spec.config, self.spec.codebooks
        target = self.out_dir / "tables.xlsx"
        return self.workers.submit(
            write_workbook,
            results.tables,
            exhibits,
            config,
            books,
            target,
            release_day(edition),  # a fixed date: two builds are identical
            changed,
            self.formats,
            edition,
            results.level,
            self.out_dir / "tables.ods",
        )

    def figures(self, results: Results, exhibits: dict) -> dict[str, dict]:
        """Every chart as a plotly figure dict, built only for tables whose cells or spec changed
        (or the house formats its labels follow)."""
        out: dict[str, dict] = {}
        for tid, ex in exhibits.items():
            if ex.spec.kind != "figure":
                continue
            # the table's key covers its cells, spec and weights
            figure_key = key("figure", results.table_keys[tid], repr(self.formats), libraries=FIGURE_LIBRARIES)
            figure = self.cache.load(figure_key)
            if figure is None:
                figure = figure_spec(ex.table, self.formats)
                self.cache.save(figure_key, figure)
            out[tid] = figure
        return out

    def svgs(self, figures: dict[str, dict], assets: Path) -> Future:
        """Every chart's SVG, from the cache or drawn by Chromium (in its thread). A figure is the
        whole of a chart's input, so its key counts only the code that draws and tidies it, and the
        plotly.js that draws it."""
        version, bundle = browser_version(), file_digest(assets / "plotly.min.js")
        keys = {
            fid: key(
                "svg", version, bundle, fid, json.dumps(fig, sort_keys=True), code=SVG_CODE, libraries=CHART_LIBRARIES
            )
            for fid, fig in figures.items()
        }
        found = {fid: self.cache.load(k) for fid, k in keys.items()}
        missing = {fid: figures[fid] for fid, svg in found.items() if svg is None}
        self.progress(f"{len(figures)} charts; drawing the {len(missing)} not cached …")
        return self.chromium.submit(self._draw, missing, keys, found, assets / "plotly.min.js")

    def _draw(self, missing: Mapping[str, dict], keys: dict[str, str], found: dict, plotly_js: Path) -> dict:
        for fid, svg in draw_svgs(missing, plotly_js).items():
            found[fid] = svg
            self.cache.save(keys[fid], svg)
        return found

    def charts(self, svgs: dict[str, bytes], exhibits: dict[str, Exhibit]) -> list[str]:
        """Each chart's SVG written to figures/ under its exhibit's name (only if changed); their
        paths as the print document cites them."""
        self.figures_dir.mkdir(parents=True, exist_ok=True)
        for tid, svg in svgs.items():
            path = self.figures_dir / f"{data_file_stem(exhibits, tid)}.svg"
            if not path.exists() or path.read_bytes() != svg:
                path.write_bytes(svg)
        refs = self._chart_refs(svgs, exhibits)
        prune(self.figures_dir, {Path(ref).name for ref in refs}, ".svg")
        return sorted(refs)

    def _chart_refs(self, figures: Mapping[str, Any], exhibits: dict[str, Exhibit]) -> set[str]:
        return {f"{self.figures_dir.name}/{data_file_stem(exhibits, tid)}.svg" for tid in figures}

    def audit(self, results: Results, restricted_dir: Path | None) -> tuple[list, list]:
        """Every published figure and claim checked; the 2020 figures are unweighted, so a weighted
        survey's are checked on its unweighted tables."""
        spec = self.spec
        audit_rows, claim_rows = run_audit(
            spec.config["surveys"], results.unweighted, results.level, spec.folder, spec.checked.published
        )
        write_audit([*audit_rows, *claim_rows], self.out_dir / "audit.csv")
        if restricted_dir:
            write_audit([*audit_rows, *claim_rows], restricted_dir / "audit.csv", published=False)
        return audit_rows, claim_rows

    def environment(self) -> Any:
        return environment(self.out_dir / ".cache" / "templates", self.formats)

    def meta(self, results: Results, exhibits: dict, audit: tuple[list, list], waves: dict | None) -> dict:
        return template_meta(self.spec, results, exhibits, *audit, waves, read_edition(self.data_dir))

    def _context(self, mode: str, results: Results, exhibits: dict, env: Any, figures: dict) -> ReportContext:
        markup = figure_markup(figures, exhibits, mode, self.figures_dir, self.formats)
        return ReportContext(results.tables, exhibits, mode, env, markup, results.level, self.formats, self.draft)

    def print_document(self, results: Results, exhibits: dict, env: Any, figures: dict, meta: dict) -> PrintDocument:
        """The print edition's parts (one per front section and chapter), how the contents reads
        once the pages are known, and one numbered page."""
        config = self.spec.config
        ctx = self._context("pdf", results, exhibits, env, figures)
        front, chapters = render_bodies(config, ctx, meta)

        def document(pages: Mapping[str, int]) -> str:
            return render_document(config, ctx, meta, front, chapters, pages)

        levels = [1] + [2] * len(front) + [ch["level"] for ch in chapters]  # the cover holds the h1
        numbering = ctx.env.get_template("print/page_numbers.html.j2").render(config=config)
        return PrintDocument(
            split_document(document({}), levels), lambda pages: split_document(document(pages))[0], numbering
        )

    def annex_document(self, results: Results, exhibits: dict, env: Any, figures: dict, meta: dict) -> PrintDocument:
        """The technical annex: the long listings of appendices 8.18, 8.19 and 8.21, which the
        print edition's Chapter 8 summarises; its parts (cover and contents, then one per
        chapter, and one per survey's codebook) start at their first heading's level."""
        config = self.spec.config
        ctx = self._context("pdf", results, exhibits, env, figures)
        chapters = annex_bodies(ctx, meta)

        def document(pages: Mapping[str, int]) -> str:
            return render_annex(config, ctx, meta, chapters, pages)

        numbering = ctx.env.get_template("print/page_numbers.html.j2").render(config=config)
        return PrintDocument(split_document(document({})), lambda pages: split_document(document(pages))[0], numbering)

    def annex_parts(self, document: PrintDocument, _assets: Path) -> Batch:
        """The annex's parts (none draws a chart), started once the stylesheet is written."""
        batch = start_parts(document, self._renderer(), (), with_charts=False)
        if batch.todo:
            self.progress(f"rendering {batch.todo} parts of the technical annex …")
        return batch

    def annex_pdf(self, document: PrintDocument, parts: list[Path]) -> None:
        write_pdf(document, self._renderer(), (), parts, (), self.out_dir / ANNEX_PDF)

    def _renderer(self) -> Renderer:
        return Renderer(self.cache, self.out_dir, self.workers)

    def plain_parts(self, document: PrintDocument, figures: dict, exhibits: dict, _assets: Path) -> Batch:
        """The parts that draw no chart, started once the stylesheet they draw is written."""
        batch = start_parts(document, self._renderer(), self._chart_refs(figures, exhibits), with_charts=False)
        if batch.todo:
            self.progress(f"rendering {batch.todo} PDF parts without charts in {self.workers.processes} processes …")
        return batch

    def chart_parts(
        self, document: PrintDocument, figures: dict, exhibits: dict, _assets: Path, _written: list[str]
    ) -> Batch:
        """The parts that draw a chart, started once the stylesheet and the charts' SVGs are
        written (`_assets`, `_written`: needed for their order only, as a part's key reads the
        files it draws)."""
        batch = start_parts(document, self._renderer(), self._chart_refs(figures, exhibits), with_charts=True)
        if batch.todo:
            self.progress(f"rendering {batch.todo} PDF parts with charts …")
        return batch

    def csvs(self, results: Results, exhibits: dict, restricted_dir: Path | None) -> None:
        _write_csvs(results, exhibits, self.out_dir, self.formats)
        if restricted_dir:
            self.progress(f"writing the unsuppressed figures to {restricted_dir} (restricted: not for publication) …")
            _write_csvs(results, exhibits, restricted_dir, self.formats, restricted=True)

    def html(self, results: Results, exhibits: dict, env: Any, figures: dict, meta: dict) -> ClaimLog:
        ctx = self._context("html", results, exhibits, env, figures)
        write_html(self.spec.config, ctx, meta, self.out_dir)
        write_claims(ctx.claims, self.out_dir / "claims.csv")
        return ctx.claims

    def downloads(self, results: Results, exhibits: dict, env: Any, meta: dict, *_written: object) -> None:
        """The web page's "Data and downloads" list, once every file it lists is written
        (`_written`: the steps that write them, needed for their order only)."""
        titles = {tid: table.spec.title for tid, table in results.tables.items()}
        files = release_files(self.out_dir, exhibits, titles, meta["waves"] is not None)
        section = render_template(env, "partials/downloads.html.j2", files=files, pub=meta["publication"])
        fill_downloads(self.out_dir / "report.html", compact(scrolling_tables(section)))

    def pdf(
        self, document: PrintDocument, figures: dict, exhibits: dict, plain: list[Path], charted: list[Path]
    ) -> None:
        refs = self._chart_refs(figures, exhibits)
        write_pdf(document, self._renderer(), refs, plain, charted, self.out_dir / "report.pdf")


def write_html(config: dict, ctx: ReportContext, meta: dict, out_dir: Path) -> None:
    document = render_document(config, ctx, meta, *render_bodies(config, ctx, meta))
    (out_dir / "report.html").write_text(document, encoding="utf-8")


def _write_csvs(
    results: Results, exhibits: dict[str, Exhibit], out_dir: Path, formats: Formats, restricted: bool = False
) -> None:
    """Every table's CSV, named after its exhibit (withheld cells without their figures, unless
    `restricted`) and, for the published outputs, the cleaning log."""
    names = {tid: f"{data_file_stem(exhibits, tid)}.csv" for tid in results.tables}
    for tid, table in results.tables.items():
        write_csv(table, out_dir / "csv" / names[tid], results.level, restricted, formats)
    prune(out_dir / "csv", set(names.values()), ".csv")
    if not restricted:
        write_cleaning_log(results.cleaned, out_dir / "cleaning_log.csv")


def prune(folder: Path, keep: set[str], suffix: str) -> None:
    """Remove the `suffix` files in `folder` this build did not write: a table renamed or
    renumbered (or an output from before files were named after their exhibits) leaves no
    stale copy for a reader to take for the current one."""
    for path in folder.glob(f"*{suffix}"):
        if path.name not in keep:
            path.unlink()
