"""Significance letters, subgroup-vs-rest tests and the prose that follows them."""

import pytest
from scipy.stats import ttest_ind
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from pipeline.present.differences import difference
from pipeline.stages.compare import add_letters, column_letter_map


def test_letters_mark_the_higher_column(tables):
    table = tables["marketing_any"]
    letters = column_letter_map(table)
    assert letters == {"size10=1": "A", "size10=2": "B"}
    yes = table.cells[(table.cells["category"] == 1) & (table.cells["column"] != "total")]
    assert dict(zip(yes["column"], yes["letters"])) == {"size10=1": "", "size10=2": "A"}


def test_difference_matches_statsmodels(tables):
    table = tables["marketing_any"]
    d = difference(table, 1, "size10=2", "size10=1")
    a = table.cell("market", 1, "size10=2")
    b = table.cell("market", 1, "size10=1")
    _, p = proportions_ztest([a["n"], b["n"]], [a["base"], b["base"]])
    assert d.comparison.pvalue == pytest.approx(p)
    assert d.phrase() == "significantly more likely than"


def test_subgroup_against_the_rest(tables):
    table = tables["staff_balance"]
    d = difference(table, 3, "size_band=2", "total")
    part = table.cell("balance", 3, "size_band=2")
    total = table.cell("balance", 3, "total")
    assert d.b == pytest.approx(100 * (total["n"] - part["n"]) / (total["base"] - part["base"]))


def test_non_significant_difference_is_not_called_significant(tables, computed):
    """Providers with 10 or more staff offer 9.7 services on average, smaller ones 9.4: higher,
    but not significantly (Welch's t-test on the respondent rows, as scipy computes it)."""
    rows = computed.datasets["providers"].frame
    large, small = (rows.loc[rows["size10"] == code, "n_services"].dropna() for code in (2, 1))
    d = difference(tables["services_count"], None, "size10=2", "size10=1", "n_services", "mean")
    assert (d.a, d.b) == (pytest.approx(large.mean()), pytest.approx(small.mean()))
    assert round(d.a, 2) == 9.69 and round(d.b, 2) == 9.41
    assert d.comparison.pvalue == pytest.approx(ttest_ind(large, small, equal_var=False).pvalue)
    assert not d.significant
    assert d.phrase() == "more likely than"
    reverse = difference(tables["services_count"], None, "size10=1", "size10=2", "n_services", "mean")
    assert reverse.phrase() == "less likely than"
    assert d.verdict.startswith("not a statistically significant difference (Welch t-test")


def test_suppressed_columns_get_no_letters(tables):
    table = tables["services_count"]
    small = table.cells[table.cells["flag"] == "suppressed"]
    assert not small.empty  # sole traders (17) and the 50+ bands are under 30
    assert (add_letters(table).cells.loc[small.index, "letters"] == "").all()


def test_multiple_comparison_adjustment_only_removes_letters(tables):
    for tid in ("services_count", "capacity_taken", "staff_recruited"):
        plain = add_letters(tables[tid]).cells["letters"]
        holm = add_letters(tables[tid], adjust="holm").cells["letters"]
        assert all(set(h) <= set(p) for h, p in zip(holm, plain)), tid


def test_holm_adjustment_removes_a_letter_the_unadjusted_test_gives(tables):
    """Figure 4.6: 4 of 40 providers offering fewer than 10 services (column C) took up less
    than 25% of their capacity, none of the 44 offering 10 or more (D). Fisher's p = 0.047, so
    unadjusted C carries the letter D. The row's family holds one other test (by size, 4 of 42
    against 0 of 42, p = 0.116), and Holm's step-down method doubles the smaller p-value to
    0.095: adjusted, the letter goes (statsmodels' Holm on the same two p-values agrees)."""
    table = tables["capacity_taken"]
    assert column_letter_map(table) == {"size10=1": "A", "size10=2": "B", "services10=1": "C", "services10=2": "D"}
    family = [
        difference(table, 1, a, b, "cap_taken_band").comparison.pvalue
        for a, b in (("size10=1", "size10=2"), ("services10=1", "services10=2"))
    ]
    assert family == [pytest.approx(0.116, abs=5e-4), pytest.approx(0.047, abs=5e-4)]
    holm_p = multipletests(family, method="holm")[1]
    assert list(holm_p) == [pytest.approx(0.116, abs=5e-4), pytest.approx(0.095, abs=5e-4)]
    cells = table.cells
    (at,) = cells.index[
        (cells["series"] == "cap_taken_band") & (cells["category"] == 1) & (cells["column"] == "services10=1")
    ]
    assert add_letters(table).cells.at[at, "letters"] == "D"
    assert add_letters(table, adjust="holm").cells.at[at, "letters"] == ""


def test_small_bases_are_marked_on_charts(tables):
    from pipeline.present.figures import build_figure

    table = tables["ots_number"]  # 46 providers sell packages: under the caution base of 50
    labels = build_figure(table).data[0].text
    assert labels and all(label.endswith("*") for label in labels)
