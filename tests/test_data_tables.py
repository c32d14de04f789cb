"""The data tables (tab book): every question by its survey's banner, counts and column
percentages recomputed independently from the respondent rows, letters against the
design-based test run cell by cell, nothing withheld in the CSV, and spec typos refused."""

from __future__ import annotations

import shutil
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline.build.cache import Store
from pipeline.build.data_tables import compute_data_tables
from pipeline.output.data_tables import write_data_tables_csv
from pipeline.spec.folders import SPECS_DIR
from pipeline.stages.compare import column_letter_map, design_test
from pipeline.stages.data_tables import TABULATED, nested_name
from pipeline.stages.tabulate import TOTAL

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "raw"

pytestmark = pytest.mark.build  # computes every survey's tables (about ten seconds)


@pytest.fixture(scope="module")
def tabbed(report_spec, tmp_path_factory):
    tables, weighted = compute_data_tables(report_spec, RAW, Store(None), lambda _m: None)
    path = tmp_path_factory.mktemp("tabs") / "data_tables.csv"
    write_data_tables_csv(tables, path, list(report_spec.checked.data_tables.levels), weighted)
    return tables, pd.read_csv(path, dtype=str, keep_default_na=False)


def test_every_tabulated_question_of_every_codebook_has_a_table(report_spec, tabbed):
    tables, _ = tabbed
    for name, book in report_spec.codebooks.items():
        skipped = report_spec.checked.data_tables.surveys[name].skip
        expected = [v.name for v in book.variables.values() if v.type in TABULATED and v.name not in skipped]
        assert [q.name for q, _ in tables[name][1]] == expected, name
        assert expected, f"{name}: no question to tabulate"


def test_no_withheld_figure_is_in_the_csv(tabbed):
    _, csv = tabbed
    hidden = csv[csv["flag"] == "suppressed"]
    assert len(hidden) > 100  # the banner's small columns are withheld
    for column in ("value", "n", "standard_error", "design_effect", "higher_than_level_1", "higher_than_level_2"):
        assert (hidden[column] == "").all(), column
    shown = csv[(csv["flag"] != "suppressed") & (csv["stat"] == "pct")]
    assert (shown["value"] != "").all() and (shown["n"] != "").all()


@pytest.mark.parametrize(
    ("survey", "var", "by"),
    [
        ("providers", "balance", "size10"),
        ("providers", "sla", "size_band"),
        ("providers", "serv", "comm_ind"),
        ("workforce", "fund_main", "sector"),
        ("ccg", "tailor", "area"),
        ("ccg_leads", "priority", "n_ccgs_band"),
    ],
)
def test_counts_and_column_percentages_recomputed_from_the_rows(computed, tabbed, survey, var, by):
    """pandas on the derived respondent rows, apart from the tabulate stage: who was asked,
    then a crosstab of the answer (or each multi-code item) by the banner variable."""
    tables, csv = tabbed
    ds = computed.datasets[survey]
    asked = ds.asked[var].to_numpy(dtype=bool)
    book = ds.codebook
    var_spec = book.variables[var]
    rows = csv[(csv["survey"] == survey) & (csv["question"] == var) & (csv["is_net"] == "0")]
    checked = 0
    for code in book.labels(by):
        in_col = asked & (ds.frame[by] == code).to_numpy()
        base = int(in_col.sum())
        cells = rows[rows["column"] == f"{by}={code}"]
        if cells.empty:
            continue
        assert (cells["base"].astype(int) == base).all()
        for _, cell in cells[cells["flag"] != "suppressed"].iterrows():
            category = int(cell["category"])
            if var_spec.type == "multi":
                count = int((ds.frame[f"{var}_{category}"].to_numpy() == 1)[in_col].sum())
            else:
                count = int((ds.frame[var].to_numpy() == category)[in_col].sum())
            assert int(cell["n"]) == count, (by, code, category)
            assert float(cell["value"]) == pytest.approx(100 * count / base)
            checked += 1
    total = rows[rows["column"] == TOTAL]
    assert (total["base"].astype(int) == int(asked.sum())).all()
    assert checked, "no shown cell was checked"


def test_letters_agree_with_the_design_based_test_of_each_pair(report_spec, tabbed):
    """Every pair of shown columns of one break, in a sample of tables of every survey: a
    column carries the other's letter exactly when the design-based t-test finds it higher."""
    tables, _ = tabbed
    levels = report_spec.checked.data_tables.levels
    pairs = 0
    found_at = [0, 0]  # pairs significant at each level
    for _, found in tables.values():
        for _, table in found[:: max(1, len(found) // 8)]:
            letters = column_letter_map(table)
            cells = table.cells
            shown = cells[(cells["column"] != TOTAL) & (cells["flag"] != "suppressed") & (cells["stat"] != "median")]
            for (_, _, _), group in shown.groupby(["series", shown["category"].map(repr), "stat"]):
                for (_, a), (_, b) in combinations(group.iterrows(), 2):
                    if a["column"].split("=")[0] != b["column"].split("=")[0]:
                        continue
                    if not (np.isfinite(a["value"]) and np.isfinite(b["value"])):
                        continue
                    for i, (level, column) in enumerate(zip(levels, ("letters", "letters_2"))):
                        test = design_test(table, a, b, level)
                        found_at[i] += test.significant
                        higher = test.significant and test.difference > 0
                        lower = test.significant and test.difference < 0
                        assert (letters[b["column"]] in a[column]) == higher, (table.spec.id, a["column"], b["column"])
                        assert (letters[a["column"]] in b[column]) == lower
                    pairs += 1
    assert pairs > 400
    assert 0 < found_at[0] < found_at[1]  # letters appear, and more of them at the lower level


def test_nested_break_splits_each_outer_column(computed, tabbed):
    tables, _ = tabbed
    breaks, found = tables["workforce"]
    nested = next(b for b in breaks if len(b.by) > 1)
    assert nested.by == (nested_name("sector", 1, "size50"), nested_name("sector", 2, "size50"))
    cells = next(t for q, t in found if q.name == "sector").cells
    frame = computed.datasets["workforce"].frame
    for code in (1, 2):
        inner = cells[cells["column"].str.startswith(nested_name("sector", code, "size50") + "=")]
        bases = inner.groupby("column", sort=False)["base"].first()
        sized = frame[(frame["sector"] == code) & frame["size50"].isin([1, 2])]
        assert bases.tolist() == [int((sized["size50"] == size).sum()) for size in (1, 2)]


def test_numeric_questions_have_mean_median_and_their_bands(tabbed):
    tables, csv = tabbed
    rows = csv[(csv["survey"] == "ccg") & (csv["question"] == "rc_phys_gp") & (csv["column"] == TOTAL)]
    assert {"mean", "median", "pct"} <= set(rows["stat"])
    bands = rows[rows["series"] == "rc_phys_gp__band"]
    assert bands["category_label"].tolist()[:5] == ["None (0%)", "1-24%", "25-49%", "50-74%", "75% or more"]
    # every respondent asked is in one band's row, or in a don't-know row of its own
    assert sum(int(n) for n in bands["n"]) == int(bands["base"].iloc[0])


def _specs_copy(tmp_path: Path, edit) -> Path:
    specs = tmp_path / "specs"
    shutil.copytree(SPECS_DIR, specs)
    path = specs / "data_tables.yaml"
    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return specs


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["surveys"]["providers"]["banner"].append({"var": "employees"}), "has no codes to make columns"),
        (lambda d: d["surveys"]["ccg"]["banner"].append({"var": "area"}), "is in the banner twice"),
        (lambda d: d["surveys"].pop("ccg_leads"), "survey 'ccg_leads' of report.yaml has no entry"),
        (lambda d: d["surveys"]["ccg"]["nets"][0].update(codes=[1, 7]), "uses codes [7] that 'tailor' does not have"),
        (lambda d: d.update(levels=[0.9, 0.95]), "must be below the first"),
        (lambda d: d["surveys"]["ccg"]["bands"][0]["vars"].append("area"), "bands apply to numeric questions"),
    ],
)
def test_a_mistyped_data_tables_spec_exits_2_naming_file_and_line(tmp_path, edit, message):
    specs = _specs_copy(tmp_path, edit)
    run = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "validate", "--specs", str(specs)], capture_output=True, text=True
    )
    assert run.returncode == 2, run.stderr
    assert "data_tables.yaml:" in run.stderr and message in run.stderr, run.stderr
