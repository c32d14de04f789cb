"""Estimates and tests against statsmodels, scipy and R's survey package."""

import dataclasses

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from pipeline.errors import OhmskError
from pipeline.stats import estimators
from pipeline.stats.design import survey_design
from pipeline.stats.significance import (
    MeanSummary,
    adjust_pvalues,
    column_letter,
    column_letters,
    compare_means,
    compare_proportions,
)


def sig(value: float, digits: int = 4) -> float:
    """`value` rounded to `digits` significant figures."""
    return float(f"{value:.{digits - 1}e}")


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


# --- the survey design refuses what it cannot estimate from ------------------------------------


def test_lone_psu_stratum_is_refused():
    with pytest.raises(OhmskError, match="stratum 'c' has a single PSU"):
        survey_design(5, strata=["a", "a", "b", "b", "c"])


def test_missing_values_are_refused_unless_left_out():
    with pytest.raises(OhmskError, match="1 missing value"):
        estimators.mean(survey_design(3), [1.0, np.nan, 3])
    assert estimators.mean(survey_design(3), [1.0, np.nan, 3], na_rm=True).estimate == 2


def test_fpc_varying_within_a_stratum_is_refused():
    with pytest.raises(OhmskError, match="constant within each stratum"):
        survey_design(4, strata=["a", "a", "b", "b"], fpc=[[10, 11, 20, 20]])


def test_wilson_interval_on_an_unweighted_sample_matches_statsmodels():
    for k, n, level in [(37, 103, 0.95), (2, 41, 0.95), (88, 90, 0.9)]:
        est = estimators.proportion(survey_design(n), np.arange(n) < k, level=level)
        low, high = proportion_confint(k, n, alpha=1 - level, method="wilson")
        assert (est.ci_low, est.ci_high) == pytest.approx((low, high))
        assert est.n == n and est.n_eff == pytest.approx(n)
