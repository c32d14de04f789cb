"""Estimates and tests against statsmodels, scipy and R's survey package."""

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from pipeline.errors import OhmskError
from pipeline.stats.estimates import estimate_mean, estimate_proportion, estimate_total
from pipeline.stats.significance import (
    MeanSummary,
    adjust_pvalues,
    column_letter,
    column_letters,
    compare_means,
    compare_proportions,
)

API = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "api"


def sig(value: float, digits: int = 4) -> float:
    """`value` rounded to `digits` significant figures."""
    return float(f"{value:.{digits - 1}e}")


@pytest.fixture(scope="module")
def api() -> Path:
    if not API.is_dir():
        pytest.skip(f"reference data folder {API} is absent (it sits beside the repository, not in it)")
    return API


# --- two-proportion tests ------------------------------------------------------------------


@pytest.mark.parametrize("k1, n1, k2, n2", [(45, 103, 30, 98), (120, 400, 150, 410), (33, 58, 12, 45)])
def test_z_test_matches_statsmodels(k1, n1, k2, n2):
    z, p = proportions_ztest([k1, k2], [n1, n2])
    result = compare_proportions(k1, n1, k2, n2)
    assert result.test == "two-proportion z-test"
    assert result.statistic == pytest.approx(z)
    assert result.pvalue == pytest.approx(p)
    assert result.significant == (p < 0.05)


def test_z_test_uses_effective_bases():
    """Weighted: the proportions come from weighted counts, the variance from effective bases."""
    result = compare_proportions(612.4, 1020.0, 401.9, 980.0, n_eff1=70.5, n_eff2=81.2)
    p1, p2 = 612.4 / 1020, 401.9 / 980
    z, p = proportions_ztest([p1 * 70.5, p2 * 81.2], [70.5, 81.2])
    assert (result.estimate1, result.estimate2) == pytest.approx((p1, p2))
    assert result.statistic == pytest.approx(z)
    assert result.pvalue == pytest.approx(p)


def test_sampling_fraction_shrinks_the_variance():
    z, p = proportions_ztest([40, 25], [60, 55])
    result = compare_proportions(40, 60, 25, 55, sampling_fraction=0.58)
    assert result.statistic == pytest.approx(z / np.sqrt(1 - 0.58))
    assert result.pvalue == pytest.approx(2 * stats.norm.sf(abs(z) / np.sqrt(1 - 0.58)))


@pytest.mark.parametrize("k1, n1, k2, n2", [(1, 12, 6, 11), (2, 30, 7, 28), (0, 15, 4, 16)])
def test_small_expected_counts_use_fisher(k1, n1, k2, n2):
    odds, p = stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]])
    result = compare_proportions(k1, n1, k2, n2)
    assert result.test == "Fisher's exact test"
    assert result.pvalue == pytest.approx(p)
    assert result.statistic == pytest.approx(odds)


def test_expected_counts_of_five_keep_the_z_test():
    # pooled proportion 10/40 = 0.25, so the smallest expected count is exactly 5
    assert compare_proportions(4, 20, 6, 20).test == "two-proportion z-test"


def test_impossible_count_is_refused():
    with pytest.raises(OhmskError, match="between 0 and its base"):
        compare_proportions(12, 10, 3, 10)


# --- Welch ---------------------------------------------------------------------------------


def test_welch_matches_scipy_from_arrays_and_summaries():
    rng = np.random.default_rng(985)
    a, b = rng.normal(50, 10, 37), rng.normal(44, 18, 52)
    ref = stats.ttest_ind(a, b, equal_var=False)
    for result in (
        compare_means(a, b),
        compare_means(MeanSummary(a.mean(), a.std(ddof=1), len(a)), MeanSummary(b.mean(), b.std(ddof=1), len(b))),
    ):
        assert result.test == "Welch t-test"
        assert result.statistic == pytest.approx(ref.statistic)
        assert result.pvalue == pytest.approx(ref.pvalue)
        assert result.df == pytest.approx(ref.df)
        assert result.difference == pytest.approx(a.mean() - b.mean())


@pytest.mark.parametrize("k", [0, 40])
def test_two_equal_shares_of_none_or_all_are_no_difference(k):
    """Both groups at 0% (or both at 100%) have no variance: the z-test (forced, as the audit
    forces it to print both tests' p-values) finds no difference instead of dividing by zero."""
    z = compare_proportions(k / 40 * 25, 25, k, 40, min_expected=0)
    assert z.test == "two-proportion z-test" and z.pvalue == 1.0 and not z.significant
    assert compare_proportions(k / 40 * 25, 25, k, 40).pvalue == 1.0  # Fisher's exact test agrees


# --- multiple comparisons ------------------------------------------------------------------


@pytest.mark.parametrize("method, sm_method", [("holm", "holm"), ("bh", "fdr_bh")])
def test_adjusted_pvalues_match_statsmodels(method, sm_method):
    p = np.array([0.001, 0.04, 0.03, 0.2, 0.012, 0.5])
    assert adjust_pvalues(p, method) == pytest.approx(multipletests(p, method=sm_method)[1])


def test_holm_matches_statsmodels_with_ties_and_capped_values():
    """Holm is written out (statsmodels' collects garbage on every call); on families of every
    size, with tied p-values and adjusted values capped at 1, it equals multipletests exactly."""
    rng = np.random.default_rng(13)
    for m in (1, 2, 3, 7, 40):
        p = np.round(rng.uniform(0, 0.6, m), 2)  # rounding makes ties
        assert adjust_pvalues(p, "holm") == pytest.approx(multipletests(p, method="holm")[1], abs=0, rel=1e-15)


def test_comparisons_not_made_stay_out_of_the_family():
    p = np.array([0.01, np.nan, 0.04, 0.03])
    adjusted = adjust_pvalues(p, "holm")
    assert np.isnan(adjusted[1])
    assert adjusted[[0, 2, 3]] == pytest.approx(multipletests(p[[0, 2, 3]], method="holm")[1])


# --- column letters ------------------------------------------------------------------------


def test_column_letters_mark_the_columns_each_is_higher_than():
    counts = {"small": (60, 100), "medium": (30, 100), "large": (55, 100), "nhs": (35, 100)}
    cols = list(counts)
    pairs = {(a, b): compare_proportions(*counts[a], *counts[b]) for i, a in enumerate(cols) for b in cols[i + 1 :]}
    # small and large each beat medium and nhs; no other pair differs at 5%
    assert column_letters(cols, pairs) == {"small": "BD", "medium": "", "large": "BD", "nhs": ""}
    stricter = {k: dataclasses.replace(v, pvalue=1.0) if k == ("large", "nhs") else v for k, v in pairs.items()}
    assert column_letters(cols, stricter)["large"] == "B"


def test_column_letters_beyond_z():
    assert [column_letter(i) for i in (0, 25, 26, 27, 51, 52)] == ["A", "Z", "AA", "AB", "AZ", "BA"]


def test_column_letters_refuse_unknown_columns():
    with pytest.raises(OhmskError, match="not in the table"):
        column_letters(["a"], {("a", "b"): compare_proportions(5, 10, 5, 10)})


# --- estimates: Wilson interval ------------------------------------------------------------


@pytest.mark.parametrize("k, n, level", [(37, 103, 0.95), (2, 41, 0.95), (88, 90, 0.9)])
def test_wilson_interval_matches_statsmodels(k, n, level):
    est = estimate_proportion(np.arange(n) < k, level=level)
    low, high = proportion_confint(k, n, alpha=1 - level, method="wilson")
    assert (est.ci_low, est.ci_high) == pytest.approx((low, high))
    assert est.estimate == pytest.approx(k / n)
    assert est.n == n and est.n_eff == pytest.approx(n)


def test_weighted_wilson_interval_uses_the_effective_base():
    x = np.array([1, 0, 1, 1, 0, 0, 1, 0, 1, 0] * 6, dtype=bool)
    w = np.tile([1.0, 2.0, 0.5, 3.0, 1.0, 1.5], 10)
    est = estimate_proportion(x, weights=w)
    p, n_eff = (w * x).sum() / w.sum(), w.sum() ** 2 / (w**2).sum()
    low, high = proportion_confint(p * n_eff, n_eff, method="wilson")
    assert est.n_eff == pytest.approx(n_eff)
    assert (est.ci_low, est.ci_high) == pytest.approx((low, high))
    assert est.interval == "Wilson, effective base"


def test_unweighted_standard_error_is_the_textbook_one():
    values = np.array([3.0, 7, 8, 2, 9, 4, 4, 6])
    est = estimate_mean(values)
    assert est.se == pytest.approx(values.std(ddof=1) / np.sqrt(len(values)))
    half = stats.t.isf(0.025, len(values) - 1) * est.se
    assert (est.ci_low, est.ci_high) == pytest.approx((values.mean() - half, values.mean() + half))


# --- estimates: R survey reference results (../shared/fixtures/api/REFERENCE.md) -----------


@pytest.mark.parametrize(
    "variable, level, estimate, se",
    [
        ("stype", "E", 0.71, 0.0316427634),
        ("stype", "H", 0.125, 0.0230624405),
        ("stype", "M", 0.165, 0.0258840029),
        ("awards", "Yes", 0.62, 0.0338480671),
    ],
)
def test_srs_proportions_with_fpc_match_r_survey(api, variable, level, estimate, se):
    srs = pd.read_csv(api / "apisrs.csv")
    est = estimate_proportion(srs[variable] == level, weights=srs["pw"], fpc=srs["fpc"])
    assert (sig(est.estimate), sig(est.se)) == (sig(estimate), sig(se))


def test_srs_proportion_without_fpc_matches_r_survey(api):
    srs = pd.read_csv(api / "apisrs.csv")
    est = estimate_proportion(srs["stype"] == "E", weights=srs["pw"])
    assert (sig(est.estimate), sig(est.se)) == (sig(0.71), sig(0.0321663390))


def test_srs_fpc_as_one_population_size_matches_r_survey(api):
    srs = pd.read_csv(api / "apisrs.csv")
    assert sig(estimate_proportion(srs["stype"] == "E", fpc=6194).se) == sig(0.0316427634)


def test_stratified_estimates_match_r_survey(api):
    strat = pd.read_csv(api / "apistrat.csv")
    design = {"weights": strat["pw"], "strata": strat["stype"], "fpc": strat["fpc"]}
    mean = estimate_mean(strat["api00"], **design)
    total = estimate_total(strat["enroll"], **design)
    share = estimate_proportion(strat["awards"] == "No", **design)
    assert (sig(mean.estimate), sig(mean.se)) == (sig(662.287363), sig(9.408940879))
    assert (sig(total.estimate), sig(total.se)) == (sig(3_687_177.52), sig(114_641.7152))
    assert (sig(share.estimate), sig(share.se)) == (sig(0.3610639328), sig(0.0344059182))
    assert mean.interval == "t, 197 df"  # 200 schools in 3 strata


def test_stratum_population_sizes_as_a_mapping(api):
    strat = pd.read_csv(api / "apistrat.csv")
    sizes = strat.groupby("stype")["fpc"].first().to_dict()
    est = estimate_mean(strat["api00"], strat["pw"], strat["stype"], sizes)
    assert sig(est.se) == sig(9.408940879)


# --- bad input -----------------------------------------------------------------------------


def test_lone_respondent_stratum_is_refused():
    with pytest.raises(OhmskError, match="stratum 'c' has a single respondent"):
        estimate_mean([1.0, 2, 3, 4, 5], strata=["a", "a", "b", "b", "c"])


def test_missing_values_are_refused():
    with pytest.raises(OhmskError, match="1 missing value"):
        estimate_mean([1.0, np.nan, 3])


def test_fpc_varying_within_a_stratum_is_refused():
    with pytest.raises(OhmskError, match="constant within each stratum"):
        estimate_mean([1.0, 2, 3, 4], strata=["a", "a", "b", "b"], fpc=[10, 11, 20, 20])
