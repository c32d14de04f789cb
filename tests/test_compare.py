"""Significance letters, subgroup-vs-rest tests and the prose that follows them."""

import pytest
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


def test_non_significant_difference_is_not_called_significant(tables):
    d = difference(tables["services_count"], None, "size10=2", "size10=1", "n_services", "mean")
    assert not d.significant
    assert d.phrase() in ("more likely than", "less likely than")
    assert d.verdict.startswith("not a statistically significant difference (Welch t-test")


def test_suppressed_columns_get_no_letters(tables):
    table = tables["services_count"]
    small = table.cells[table.cells["flag"] == "suppressed"]
    assert not small.empty  # sole traders (17) and the 50+ bands are under 30
    assert (add_letters(table).cells.loc[small.index, "letters"] == "").all()


def test_multiple_comparison_adjustment_only_removes_letters(tables):
    table = tables["services_count"]
    plain = add_letters(table).cells["letters"]
    holm = add_letters(table, adjust="holm").cells["letters"]
    assert all(set(h) <= set(p) for h, p in zip(holm, plain))


def test_small_bases_are_marked_on_charts(tables):
    from pipeline.present.figures import build_figure

    table = tables["ots_number"]  # 46 providers sell packages: under the caution base of 50
    labels = build_figure(table).data[0].text
    assert labels and all(label.endswith("*") for label in labels)
