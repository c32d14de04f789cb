"""Weighting against published examples, R's survey package, and the promises rake() makes."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import OhmskError
from pipeline.stats.calibration import kish_effective_n, poststratify, rake

API = Path(__file__).resolve().parent / "fixtures" / "api"  # vendored: see fixtures/api/SOURCE.md

# Kalton & Flores-Cervantes (2003), "Weighting methods", JOS 19(2): 81-97, Table 1 (respondents
# and population by A1-A4 x B1-B3) and Table 2 (cell-weighting and raking adjustments, 2 dp).
# Transcribed from the tests of github.com/dmnapolitano/weighting-tutorial, which cite the
# paper; the paper itself could not be opened here. The cell-weighting row is population /
# sample, so Table 1 is checked by it; the raking row is the independent check.
KFC_SAMPLE = [[20, 40, 40], [50, 140, 310], [100, 50, 50], [30, 100, 70]]
KFC_POPULATION = np.array([[80, 40, 55], [60, 150, 340], [170, 60, 200], [55, 165, 125]])
KFC_CELL_WEIGHTS = [[4.00, 1.00, 1.38], [1.20, 1.07, 1.10], [1.70, 1.20, 4.00], [1.83, 1.65, 1.79]]
KFC_RAKED_WEIGHTS = [[1.81, 1.45, 2.02], [1.08, 0.87, 1.21], [2.20, 1.76, 2.45], [1.83, 1.47, 2.04]]
A, B = ["A1", "A2", "A3", "A4"], ["B1", "B2", "B3"]


@pytest.fixture()
def kfc() -> pd.DataFrame:
    """The 1,000 respondents of the example, one row each."""
    rows = [(a, b) for i, a in enumerate(A) for j, b in enumerate(B) for _ in range(KFC_SAMPLE[i][j])]
    return pd.DataFrame(rows, columns=["a", "b"])


KFC_MARGINS = {
    "a": dict(zip(A, KFC_POPULATION.sum(axis=1).tolist())),
    "b": dict(zip(B, KFC_POPULATION.sum(axis=0).tolist())),
}


def cell_weights(frame: pd.DataFrame, weights: pd.Series) -> np.ndarray:
    """The (constant) weight in each A x B cell, as a 4 x 3 array."""
    table = weights.groupby([frame["a"], frame["b"]]).agg(["min", "max"])
    assert np.allclose(table["min"], table["max"])
    return table["min"].unstack().loc[A, B].to_numpy()


def margin_totals(frame: pd.DataFrame, weights: pd.Series, var: str) -> dict:
    return weights.groupby(frame[var]).sum().to_dict()


def assert_margins_met(frame: pd.DataFrame, weights: pd.Series, tol: float = 1e-6) -> None:
    """rake()'s promise: every margin within tol x the total of its target."""
    for var in ("a", "b"):
        assert margin_totals(frame, weights, var) == pytest.approx(KFC_MARGINS[var], abs=tol * 1500)


def test_raking_reproduces_kalton_flores_cervantes(kfc):
    result = rake(kfc, KFC_MARGINS)
    assert result.diagnostics.converged
    raked = cell_weights(kfc, result.weights)
    assert raked == pytest.approx(np.array(KFC_RAKED_WEIGHTS), abs=0.005)
    assert_margins_met(kfc, result.weights)


def test_cell_weighting_reproduces_kalton_flores_cervantes(kfc):
    cells = {(a, b): float(KFC_POPULATION[i, j]) for i, a in enumerate(A) for j, b in enumerate(B)}
    result = poststratify(kfc, cells, by=["a", "b"])
    assert cell_weights(kfc, result.weights) == pytest.approx(np.array(KFC_CELL_WEIGHTS), abs=0.005)
    assert result.weights.sum() == pytest.approx(1500)


def test_shares_scale_to_the_weighted_sample_total(kfc):
    """Percentages give the count-raked weights rescaled to the sample's own total."""
    pct = {var: {c: 100 * t / 1500 for c, t in m.items()} for var, m in KFC_MARGINS.items()}
    by_share = rake(kfc, pct).weights
    assert by_share.sum() == pytest.approx(len(kfc))
    assert by_share.to_numpy() == pytest.approx(rake(kfc, KFC_MARGINS).weights.to_numpy() / 1.5)


def test_single_variable_poststratification_matches_its_margin(kfc):
    result = poststratify(kfc, KFC_MARGINS["a"], by=["a"])
    assert margin_totals(kfc, result.weights, "a") == pytest.approx(KFC_MARGINS["a"])
    assert result.diagnostics.iterations == 1 and result.diagnostics.converged


@pytest.fixture(scope="module")
def apiclus1() -> pd.DataFrame:
    return pd.read_csv(API / "apiclus1.csv")


def sig(value: float, digits: int = 4) -> float:
    return float(f"{value:.{digits - 1}e}")


def test_raking_matches_r_survey(apiclus1):
    """REFERENCE.md: rake(dclus1, ...) to stype and sch.wide margins, starting from pw."""
    margins = {"stype": {"E": 4421, "H": 755, "M": 1018}, "sch.wide": {"No": 1072, "Yes": 5122}}
    w = rake(apiclus1, margins, weight="pw").weights
    mean_api00 = (w * apiclus1["api00"]).sum() / w.sum()
    total_enroll = (w * apiclus1["enroll"]).sum()
    assert sig(mean_api00) == sig(641.2303)
    assert sig(total_enroll) == sig(3_647_280.1)


def test_empty_margin_category_is_named(kfc):
    margins = {**KFC_MARGINS, "b": {**KFC_MARGINS["b"], "B4": 10}}
    with pytest.raises(OhmskError, match=r"margin b='B4' \(target 10\) has no respondents"):
        rake(kfc, margins)


def test_category_missing_from_margins_is_named(kfc):
    margins = {**KFC_MARGINS, "a": {k: v for k, v in KFC_MARGINS["a"].items() if k != "A4"}}
    with pytest.raises(
        OhmskError,
        match=r"200 respondent\(s\) have a category the margins "
        r"for 'a' lack: a='A4' \(200\)",
    ):
        rake(kfc, margins)


def test_absent_variable_is_named(kfc):
    with pytest.raises(OhmskError, match=r"weighting variable\(s\) 'region' not in the data"):
        rake(kfc, {**KFC_MARGINS, "region": {1: 0.5, 2: 0.5}})


def test_missing_values_raise_with_the_count(kfc):
    kfc.loc[:2, "b"] = None
    with pytest.raises(
        OhmskError,
        match=r"3 respondent\(s\) have no value on a weighting "
        r"variable \(b: 3\)",
    ):
        rake(kfc, KFC_MARGINS)


def test_missing_keep_fixes_their_weight_and_rakes_the_rest(kfc):
    kfc.loc[:2, "b"] = None  # three A1 respondents
    start = pd.Series(2.0, index=kfc.index)
    result = rake(kfc, KFC_MARGINS, weight=start, missing="keep")
    assert (result.weights[:3] == 2.0).all()
    complete = kfc["b"].notna()
    assert_margins_met(kfc[complete], result.weights[complete])
    assert "3 respondent(s) with a missing weighting variable" in result.diagnostics.messages[-1]


def test_disagreeing_count_totals_are_refused(kfc):
    with pytest.raises(OhmskError, match="disagree on the population total"):
        rake(kfc, {**KFC_MARGINS, "b": {"B1": 1, "B2": 2, "B3": 3}}, as_share=False)


def test_non_convergence_is_flagged_and_warned():
    """Only the A1-B1 and A2-B2 cells are sampled, so A and B must agree, yet they do not."""
    frame = pd.DataFrame({"a": ["A1"] * 50 + ["A2"] * 50, "b": ["B1"] * 50 + ["B2"] * 50})
    with pytest.warns(RuntimeWarning, match="did not converge in 25 iteration"):
        result = rake(frame, {"a": {"A1": 50, "A2": 50}, "b": {"B1": 30, "B2": 70}}, max_iter=25)
    assert not result.diagnostics.converged
    assert result.diagnostics.iterations == 25
    assert "target of" in result.diagnostics.messages[0]


def test_capping_keeps_the_total_and_respects_the_cap(kfc):
    uncapped = rake(kfc, KFC_MARGINS).weights
    result = rake(kfc, KFC_MARGINS, cap=1.5)
    w = result.weights
    assert uncapped.max() > 1.5 * uncapped.mean()  # the cap binds
    assert w.sum() == pytest.approx(1500)
    assert w.max() <= 1.5 * w.mean() * (1 + 1e-9)
    assert result.diagnostics.capped > 0
    assert result.diagnostics.converged  # the margins are still met under this cap
    assert_margins_met(kfc, w)


def test_capping_that_makes_the_margins_unreachable_is_flagged(kfc):
    with pytest.warns(RuntimeWarning, match="did not converge"):
        result = rake(kfc, KFC_MARGINS, cap=1.05, max_iter=50)
    w = result.weights
    assert not result.diagnostics.converged
    assert w.sum() == pytest.approx(1500)
    assert w.max() <= 1.05 * w.mean() * (1 + 1e-9)


def test_bad_starting_weights_are_refused(kfc):
    with pytest.raises(OhmskError, match=r"1 respondent\(s\) have a missing, zero or negative"):
        rake(kfc, KFC_MARGINS, weight=pd.Series(1.0, index=kfc.index).mask(kfc.index == 5, 0))


def test_kish_effective_n():
    assert kish_effective_n(np.full(37, 2.5)) == pytest.approx(37)
    assert kish_effective_n([1, 1, 2, 2]) == pytest.approx(36 / 10)


def test_diagnostics_report_kish_efficiency(kfc):
    result = rake(kfc, KFC_MARGINS)
    d, w = result.diagnostics, result.weights
    n_eff = w.sum() ** 2 / (w**2).sum()
    assert d.n_eff == pytest.approx(n_eff)
    assert d.efficiency == pytest.approx(100 * n_eff / 1000)
    assert (d.min, d.max, d.mean) == pytest.approx((w.min(), w.max(), 1.5))
    assert math.isclose(d.mean * d.n, 1500)


def test_nearly_redundant_margins_converge_quickly_to_the_raking_solution():
    """Two raking variables that agree for all but one respondent make raking cycles crawl (over
    300 here); Newton steps on the same fit finish in a few, at the same weights the cycles reach."""
    frame = pd.DataFrame({"a": [0] * 25 + [1] * 25 + [2] * 5 + [0], "b": [0] * 25 + [1] * 31})
    truth = pd.Series(np.random.default_rng(3).uniform(0.2, 5, len(frame)))
    margins = {var: truth.groupby(frame[var]).sum().to_dict() for var in ("a", "b")}
    fast = rake(frame, margins, max_iter=1000, tol=1e-8)
    cycles = rake(frame, margins, max_iter=1000, tol=1e-8, cap=1000)  # a cap that never binds: cycles only
    assert fast.diagnostics.converged and fast.diagnostics.iterations < 40
    assert cycles.diagnostics.converged and cycles.diagnostics.iterations > 300
    assert fast.weights.to_numpy() == pytest.approx(cycles.weights.to_numpy(), rel=1e-6)
