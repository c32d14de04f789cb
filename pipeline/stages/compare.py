"""Test stage: significance of differences between a table's subgroup columns.

Each subgroup column gets a letter (A, B, …, across the table, as SPSS Custom Tables and Q
print them); a cell carries the letters of the columns of the same subgroup variable it is
significantly higher than. A table's `tests` say which test: "design", the design-based t-test
on the columns' domain estimates and covariances from tabulation (R survey's ``svyttest``), or
"classical", for unweighted simple random samples: the pooled two-proportion z-test on
effective bases (Fisher's exact test where an expected count is under 5) and Welch's t-test
for means. Suppressed columns (base under the table's minimum) are not tested.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import combinations
from typing import Literal

import numpy as np
import pandas as pd

from pipeline.errors import SpecError
from pipeline.stages.disclosure import SUPPRESSED, withheld
from pipeline.stages.tabulate import TOTAL, Table
from pipeline.stats.significance import (
    Comparison,
    MeanSummary,
    adjust_pvalues,
    column_letter,
    column_letters,
    compare_design,
    compare_means,
    compare_proportions,
)

_LETTERS = (
    "Letters show that a column is significantly higher than the lettered column of the same subgroup "
    "(two-sided, {level:.0%} confidence): "
)
TEST_NOTES = {
    "classical": _LETTERS + "two-proportion z-test on effective bases, Fisher's exact test where an "
    "expected count is below 5, Welch's t-test for means.",
    "design": _LETTERS + "design-based t-test, with standard errors by Taylor linearisation for a {design}.",
}


def note_on_tests(table: Table, level: float) -> str:
    """The sentence a table's note and CSV give for the test its letters come from."""
    return TEST_NOTES[table.tests].format(level=level, design=table.design)


def subgroup_columns(table: Table) -> list[str]:
    """Subgroup column ids in table order (everything but the total)."""
    return [c for c in dict.fromkeys(table.cells["column"]) if c != TOTAL]


def column_letter_map(table: Table) -> dict[str, str]:
    return {col: column_letter(i) for i, col in enumerate(subgroup_columns(table))}


def _by_var(column: str) -> str:
    return column.split("=", 1)[0]


def compare_cells(a: pd.Series, b: pd.Series, level: float = 0.95, fraction: float = 0.0) -> Comparison:
    """The classical test of one cell against another (same series and category, two columns).

    `fraction` is the survey's sampling fraction when report.yaml applies the finite population
    correction (the z-test's variance is multiplied by 1 - fraction; exact tests take none).
    """
    if a["stat"] != b["stat"]:
        raise SpecError("cannot compare cells holding different statistics")
    if a["stat"] == "pct":
        n1, n2 = float(a["n_eff"]), float(b["n_eff"])
        k1, k2 = a["value"] / 100 * n1, b["value"] / 100 * n2
        return compare_proportions(k1, n1, k2, n2, sampling_fraction=fraction, level=level)
    if a["stat"] == "mean":
        return compare_means(
            MeanSummary(a["value"], a["sd"], a["n_eff"]), MeanSummary(b["value"], b["sd"], b["n_eff"]), level=level
        )
    raise SpecError(f"no significance test is defined for statistic {a['stat']!r}")


@dataclass(frozen=True)
class ColumnTest:
    """Two cells of a table tested against each other, or why they were not (`withheld`).

    The audit checks the source's claims with it; prose words the difference it finds through
    pipeline/present/differences.py.
    """

    a: float
    b: float
    comparison: Comparison | None
    withheld: str = ""  # why the comparison is not shown, when a cell it rests on is withheld
    label: str = ""  # what is compared, for the conditions claims rest on ("table x, cat: a vs b")

    @classmethod
    def withheld_by(cls, reason: str) -> ColumnTest:
        return cls(float("nan"), float("nan"), None, reason)


def rest_of(total: pd.Series, part: pd.Series) -> pd.Series:
    """The complement of a subgroup cell (everyone in the total's base outside the subgroup).

    Counts and effective bases are subtracted, so a subgroup is tested against the rest rather
    than against a total that contains it.
    """
    if total["stat"] != "pct":
        raise SpecError("a subgroup can be compared with the rest only for percentages")
    rest = total.copy()
    n_eff = float(total["n_eff"]) - float(part["n_eff"])
    k_eff = float(total["value"]) / 100 * float(total["n_eff"]) - float(part["value"]) / 100 * float(part["n_eff"])
    rest["n_eff"], rest["value"] = n_eff, 100 * k_eff / n_eff if n_eff > 0 else np.nan
    rest["n"], rest["base"] = total["n"] - part["n"], total["base"] - part["base"]
    return rest


def compare_columns(
    table: Table,
    category: int | str | None,
    col_a: str,
    col_b: str,
    series: str | None = None,
    stat: str = "pct",
    level: float = 0.95,
    withhold: bool = True,
) -> ColumnTest:
    """Test column a against column b; with `col_b` = 'total', against everyone outside a.

    With `withhold` (the default: what publications get), a comparison resting on a withheld
    cell is not made; the audit passes False to check the source's claims on every cell.
    """
    a = table.cell(series, category, col_a, stat)
    b = table.cell(series, category, col_b, stat)
    if withhold and (withheld(a) or withheld(b)):
        hidden = a if withheld(a) else b
        return ColumnTest.withheld_by(f"table {table.spec.id!r}, column {hidden['column']!r} is withheld")
    if col_b == TOTAL:
        b = rest_of(b, a)

    def enough(cell: pd.Series) -> bool:  # a mean's spread needs two respondents, a share one
        n = float(cell["n_eff"])
        return (n >= 2 if stat == "mean" else n > 0) and not np.isnan(float(cell["value"]))

    empty = [cell["column"] if cell is a or col_b != TOTAL else "the rest" for cell in (a, b) if not enough(cell)]
    if empty:  # nobody to compare (a wave may leave a subgroup, or everyone outside it, empty)
        return ColumnTest.withheld_by(
            f"table {table.spec.id!r}: too few respondents in {' or '.join(empty)} to compare"
        )
    what = f"{a['series_label']}: {a['category_label']}" if category is not None else str(a["series_label"])
    label = f"{table.spec.id} {what} ({stat}), {col_a} vs {'the rest' if col_b == TOTAL else col_b}"
    test = table_test(table, a, b, level, rest=col_b == TOTAL)
    return ColumnTest(float(a["value"]), float(b["value"]), test, label=label)


def table_test(table: Table, a: pd.Series, b: pd.Series, level: float, rest: bool = False) -> Comparison:
    """The test `table.tests` names, of cell a against cell b (with `rest`, b is the rest of
    the base, as :func:`rest_of` makes it)."""
    if table.tests == "design":
        return design_test(table, a, None if rest else b, level)
    return compare_cells(a, b, level, table.fraction)


def design_test(table: Table, a: pd.Series, b: pd.Series | None, level: float) -> Comparison:
    """The design-based t-test of cell a against cell b of the same row (None: the rest of the
    base), from the row's domain covariances (pipeline.stats.columns.ColumnStats)."""
    by_var = _by_var(a["column"])
    if b is not None and _by_var(b["column"]) != by_var:
        raise SpecError(
            f"table {table.spec.id!r}: columns {a['column']!r} and {b['column']!r} come from different subgroup "
            f"variables, whose respondents overlap; a design-based test compares columns of one variable"
        )
    stats = table.domains[(a["series"], repr(a["category"]), a["stat"], by_var)]
    order = table.columns_of(by_var)
    j = order.index(a["column"])
    _, variance, df = stats.difference(j, None if b is None else order.index(b["column"]))
    scale = 100.0 if a["stat"] == "pct" else 1.0  # shares are tabulated as percentages
    other = scale * float(stats.rest_estimate[j]) if b is None else float(b["value"])
    return compare_design(float(a["value"]), other, scale**2 * variance, df, level=level)


def _row(cells: pd.DataFrame, label: int) -> pd.Series:
    """The one cell at index `label` (a table's cells have one row per label)."""
    row = cells.loc[label]
    if not isinstance(row, pd.Series):
        raise ValueError(f"cells share the index label {label!r}")
    return row


def add_letters(table: Table, level: float = 0.95, adjust: Literal["none", "holm", "bh"] = "none") -> Table:
    """Fill the cells' `letters` column from pairwise tests within each subgroup variable.

    `adjust` ('none', 'holm' or 'bh') corrects the p-values of each row's family of pairwise
    tests for multiple comparisons before letters are given.
    """
    cells = table.cells.copy()
    cells["letters"] = ""
    testable = cells[(cells["column"] != TOTAL) & (cells["flag"] != SUPPRESSED) & cells["stat"].isin(["pct", "mean"])]
    keys = testable["category"].map(repr)
    columns = subgroup_columns(table)
    for _, group in testable.groupby([testable["series"], keys, testable["stat"]], sort=False):
        by_col = dict(zip(group["column"], group.index))
        rows = {col: _row(cells, idx) for col, idx in by_col.items()}
        tests = {
            (ca, cb): table_test(table, rows[ca], rows[cb], level)
            for ca, cb in combinations(by_col, 2)
            if _by_var(ca) == _by_var(cb) and np.isfinite(rows[ca]["value"]) and np.isfinite(rows[cb]["value"])
        }
        if adjust != "none" and tests:
            adjusted = adjust_pvalues([t.pvalue for t in tests.values()], adjust)
            tests = {
                pair: replace(t, pvalue=float(p), significant=bool(p < 1 - level))
                for (pair, t), p in zip(tests.items(), adjusted)
            }
        found = column_letters(columns, tests, alpha=1 - level)
        for col, idx in by_col.items():
            cells.at[idx, "letters"] = found[col]
    return replace(table, cells=cells)
