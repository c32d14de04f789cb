"""Build the data tables (`make tabs`): each survey's questions tabulated by its banner, each
survey's tables cached on what they rest on, then written as one tidy CSV."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipeline.build.cache import Store
from pipeline.build.data import prepared_surveys, survey_weights
from pipeline.build.keys import DATA_LIBRARIES, digest, key
from pipeline.errors import OhmskError
from pipeline.output.data_tables import write_data_tables_csv
from pipeline.spec.report_spec import ReportSpec
from pipeline.spec.schema.checked import check_data_folder
from pipeline.stages.data_tables import BannerBreak, Question, questions, tab_table, with_banner
from pipeline.stages.sampling import test_method
from pipeline.stages.tabulate import Table
from pipeline.stages.weighting import describe

CSV_FILE = "data_tables.csv"
Tabbed = dict[str, tuple[list[BannerBreak], list[tuple[Question, Table]]]]


def compute_data_tables(
    spec: ReportSpec, data_dir: Path, cache: Store, progress: Callable[[str], None]
) -> tuple[Tabbed, dict[str, str]]:
    """Every survey's question tables, and what each survey's figures are weighted to."""
    tabs = spec.checked.data_tables
    if tabs is None:
        raise OhmskError("report.yaml names no data_tables file: there are no data tables to build")
    folder = check_data_folder(spec.checked, data_dir)
    cleaned, datasets, data_keys = prepared_surveys(spec, data_dir, cache)
    designs, weights = survey_weights(spec, data_dir, datasets, folder)
    conventions = spec.checked.report.conventions
    fractions = {}
    for name, entry in spec.checked.report.fpc.items():
        size = spec.codebooks[name].meta.get("population", {}).get("size") if name in spec.codebooks else None
        if entry.apply and size:
            fractions[name] = len(datasets[name].frame) / float(size)
    out: Tabbed = {}
    weighted: dict[str, str] = {}
    for name, ds in datasets.items():
        survey = tabs.surveys[name]
        sw = weights.get(name)
        applied = sw is not None and sw.applied
        design = sw.design if applied and sw else designs[name]
        tests = test_method(design, conventions.tests) if tabs.tests == "auto" else tabs.tests
        table_key = key(
            "data tables",
            repr(survey),
            repr(tabs.levels),
            tests,
            data_keys[name],
            design.description,
            repr(conventions.min_base),
            repr(conventions.caution_base),
            repr(fractions.get(name, 0.0)),
            digest(sw.result.weights.to_numpy().tobytes()) if applied and sw else "",
            libraries=DATA_LIBRARIES,
        )
        found = cache.load(table_key)
        if found is None:
            banner_ds, breaks = with_banner(ds, survey, cleaned[name].missing)
            asked = questions(banner_ds, survey, breaks, conventions.min_base, conventions.caution_base)
            found = (
                breaks,
                [
                    (q, tab_table(banner_ds, q.spec, design, tests, list(tabs.levels), fractions.get(name, 0.0)))
                    for q in asked
                ],
            )
            cache.save(table_key, found)
        out[name] = found
        weighted[name] = describe(sw, ds) if applied and sw else ""
        progress(f"data tables: {name}, {len(found[1])} questions by {len(found[0])} breaks")
    return out, weighted


def build_data_tables(
    spec: ReportSpec, data_dir: Path, out_dir: Path, cache: Store, progress: Callable[[str], None]
) -> Path:
    """Write `out_dir`/data_tables.csv; its path."""
    tables, weighted = compute_data_tables(spec, data_dir, cache, progress)
    levels = list(spec.checked.data_tables.levels) if spec.checked.data_tables else [0.95]
    path = out_dir / CSV_FILE
    cells = write_data_tables_csv(tables, path, levels, weighted)
    progress(f"wrote {path} ({sum(len(t) for _, t in tables.values())} tables, {cells} cells)")
    return path
