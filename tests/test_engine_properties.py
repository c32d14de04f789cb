"""Properties of the design-based statistics engine (pipeline/stats) that hold without R.

Each test checks an identity or a limiting case the engine must meet by construction: the two
paths of :func:`pipeline.stats.columns.column_stats` agree with each other and with the
domain estimators; an unweighted simple random sample gives the textbook standard errors,
Wilson interval, design effect of 1 and Pearson's chi-square; equal weights only rescale
totals; a leave-one-out jackknife reproduces the linearised variance of a mean; calibration
meets its totals, keeps g inside its bounds and zeroes the variance of what it calibrated on;
trimming keeps the total; a two-stage design that takes every SSU is a one-stage one; and the
design checks refuse what R's ``svydesign`` refuses. All data are simulated from fixed seeds.

The comparisons with R survey's own numbers live in tests/test_survey_reference.py and its
fixtures, not here.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from pipeline.errors import OhmskError
from pipeline.stats import columns, intervals
from pipeline.stats.calibrate import calibrate, trim_weights
from pipeline.stats.design import Replicates, SurveyDesign, survey_design
from pipeline.stats.estimators import mean, proportion, ratio, ratio_estimates, total
from pipeline.stats.rao_scott import rao_scott
from pipeline.stats.significance import compare_design

KINDS = ("proportion", "mean", "ratio")


# --- column_stats: the moments path, the scores path and the domain estimators -------------------


@dataclasses.dataclass(frozen=True)
class Table:
    """A stratified, weighted element sample with fpc, and one table row set on it."""

    design: SurveyDesign
    base: np.ndarray  # (n,) who is in the rows' base
    column: np.ndarray  # (n,) 0..size-1, or -1 for no column
    size: int
    numerator: np.ndarray  # (n, rows)
    denominator: np.ndarray | None  # (n,) for ratios

    def stats(self) -> list[columns.ColumnStats]:
        return columns.column_stats(self.design, self.base, self.column, self.size, self.numerator, self.denominator)


def make_table(kind: str, seed: int = 985) -> Table:
    rng = np.random.default_rng(seed)
    sampled, population = np.array([60, 80, 50, 70]), np.array([400.0, 320.0, 90.0, 1000.0])
    strata = np.repeat(np.arange(4), sampled)
    n = len(strata)
    weights = (population / sampled)[strata] * rng.uniform(0.6, 1.4, n)
    design = survey_design(n, weights=weights, strata=strata, fpc=[population[strata]])
    column = rng.integers(-1, 3, n)  # three columns and a "no column" group
    base = rng.random(n) < 0.85
    base[strata == 3] = False  # a stratum with nobody in the base still counts in the design
    denominator = None
    if kind == "proportion":
        numerator = (rng.random((n, 3)) < np.array([0.2, 0.5, 0.7])).astype(float)
        numerator[column == 0, 2] = 1.0  # a column at 100%: no variance, no design effect
    elif kind == "mean":
        numerator = rng.normal(10 + column[:, None], 3, (n, 3))
    else:
        numerator, denominator = rng.gamma(2.0, 3.0, (n, 3)), rng.uniform(0.5, 2.0, n)
    return Table(design, base, column, 3, numerator, denominator)


@pytest.fixture(params=["moments", "scores"])
def path(request, monkeypatch) -> str:
    """Each column_stats test once on the fast moments path and once on the general one."""
    if request.param == "scores":
        monkeypatch.setattr(columns, "_moments_apply", lambda design: False)
    return request.param


def assert_same_stats(a: columns.ColumnStats, b: columns.ColumnStats) -> None:
    for field in dataclasses.fields(columns.ColumnStats):
        left, right = getattr(a, field.name), getattr(b, field.name)
        assert left.shape == right.shape, field.name
        assert np.allclose(left, right, rtol=1e-9, atol=1e-15, equal_nan=True), field.name


@pytest.mark.parametrize("kind", KINDS)
def test_moments_and_scores_paths_agree(kind, monkeypatch):
    table = make_table(kind)
    assert columns._moments_apply(table.design)
    fast = table.stats()
    monkeypatch.setattr(columns, "_moments_apply", lambda design: False)
    general = table.stats()
    assert len(fast) == len(general) == table.numerator.shape[1]
    for a, b in zip(fast, general):
        assert_same_stats(a, b)
    assert np.isfinite(fast[0].cov).all() and (np.diag(fast[0].cov) > 0).all()  # not a comparison of NaNs


def test_code_column_stats_is_column_stats_of_the_code_indicators():
    table = make_table("proportion")
    rng = np.random.default_rng(7)
    code = np.where(rng.random(table.design.n) < 0.1, -1, rng.integers(0, 4, table.design.n))
    hit = (code[:, None] == np.arange(4)).astype(float)
    by_code = columns.code_column_stats(table.design, table.base, table.column, table.size, code, 4)
    expected = columns.column_stats(table.design, table.base, table.column, table.size, hit)
    for a, b in zip(by_code, expected):
        assert_same_stats(a, b)


def test_paths_agree_on_an_empty_column(monkeypatch):
    table = make_table("proportion")
    table = dataclasses.replace(table, size=4)  # column 3 has nobody
    fast = table.stats()[0]
    monkeypatch.setattr(columns, "_moments_apply", lambda design: False)
    assert_same_stats(fast, table.stats()[0])


def domain_estimate(table: Table, row: int, domain: np.ndarray, kind: str):
    y = table.numerator[:, row]
    if kind == "ratio":
        return ratio(table.design, y, table.denominator, domain=domain)
    return mean(table.design, y, domain=domain)


@pytest.mark.parametrize("kind", KINDS)
def test_column_variances_are_the_domain_estimators(kind, path):
    table = make_table(kind)
    for row, row_stats in enumerate(table.stats()):
        for j in range(table.size):
            estimate = domain_estimate(table, row, table.base & (table.column == j), kind)
            assert row_stats.estimate[j] == pytest.approx(estimate.estimate, rel=1e-12)
            assert row_stats.cov[j, j] == pytest.approx(estimate.se**2, rel=1e-9)
            assert row_stats.deff[j] == pytest.approx(estimate.deff, rel=1e-9, nan_ok=True)
            rest = domain_estimate(table, row, table.base & (table.column != j), kind)
            assert row_stats.rest_estimate[j] == pytest.approx(rest.estimate, rel=1e-12)
            assert row_stats.rest_var[j] == pytest.approx(rest.se**2, rel=1e-9)


def contrast(table: Table, row: int, a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """The difference of two domains' estimates and its variance, straight from ratio_estimates."""
    masks = np.column_stack([a, b]).astype(float)
    x = np.ones(table.design.n) if table.denominator is None else table.denominator
    theta, cov = ratio_estimates(table.design, table.numerator[:, [row]] * masks, x[:, None] * masks)
    return float(theta[0] - theta[1]), float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])


@pytest.mark.parametrize("kind", KINDS)
def test_differences_are_two_domain_contrasts(kind, path):
    table = make_table(kind)
    for row, row_stats in enumerate(table.stats()):
        for j in range(table.size):
            column_j = table.base & (table.column == j)
            difference, variance, _ = row_stats.difference(j, None)
            expected = contrast(table, row, column_j, table.base & ~column_j)
            assert (difference, variance) == pytest.approx(expected, rel=1e-9)
            for other in range(table.size):
                if other != j:
                    difference, variance, _ = row_stats.difference(j, other)
                    expected = contrast(table, row, column_j, table.base & (table.column == other))
                    assert (difference, variance) == pytest.approx(expected, rel=1e-9)
        assert (row_stats.rest_cov != 0).any()  # a column and its rest share strata


# --- simple random samples and equal weights ------------------------------------------------------


def srs(n: int = 150, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(40, 12, n), (rng.random(n) < 0.3).astype(float)


def test_srs_mean_has_the_textbook_standard_error():
    y, _ = srs()
    design = survey_design(len(y))
    assert design.simple
    estimate = mean(design, y)
    assert estimate.estimate == pytest.approx(y.mean(), rel=1e-12)
    assert estimate.se == pytest.approx(y.std(ddof=1) / math.sqrt(len(y)), rel=1e-12)
    assert estimate.deff == pytest.approx(1.0, rel=1e-9)
    assert estimate.df == len(y) - 1


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_srs_proportion_wilson_interval_is_statsmodels(level):
    _, x = srs()
    estimate = proportion(survey_design(len(x)), x, level=level)
    low, high = proportion_confint(int(x.sum()), len(x), alpha=1 - level, method="wilson")
    assert (estimate.ci_low, estimate.ci_high) == pytest.approx((low, high), rel=1e-12)
    p = x.mean()
    assert estimate.se == pytest.approx(math.sqrt(p * (1 - p) / (len(x) - 1)), rel=1e-12)
    assert estimate.deff == pytest.approx(1.0, rel=1e-9)


@pytest.mark.parametrize("c", [0.25, 7.5, 120.0])
def test_equal_weights_rescale_totals_only(c):
    y, x = srs()
    plain, weighted = survey_design(len(y)), survey_design(len(y), weights=np.full(len(y), c))
    assert weighted.weighted and not plain.weighted
    for estimator, values in ((mean, y), (proportion, x)):
        a, b = estimator(plain, values), estimator(weighted, values)
        assert b.estimate == pytest.approx(a.estimate, rel=1e-12)
        assert b.se == pytest.approx(a.se, rel=1e-12)
    a, b = total(plain, y), total(weighted, y)
    assert b.estimate == pytest.approx(c * a.estimate, rel=1e-12)
    assert b.se == pytest.approx(c * a.se, rel=1e-12)


@pytest.mark.parametrize("mse", [True, False])
def test_jackknife_of_a_mean_is_the_linearised_srs_variance(mse):
    y, _ = srs(n=40)
    n = len(y)
    leave_one_out = np.full((n, n), n / (n - 1))
    np.fill_diagonal(leave_one_out, 0.0)
    jk1 = survey_design(n, replicates=Replicates(leave_one_out, (n - 1) / n, np.ones(n), mse=mse))
    jackknifed, linearised = mean(jk1, y), mean(survey_design(n), y)
    assert jackknifed.estimate == pytest.approx(linearised.estimate, rel=1e-12)
    assert jackknifed.se == pytest.approx(linearised.se, rel=1e-10)
    assert jackknifed.df == n - 1


# --- calibration and trimming ---------------------------------------------------------------------

CALIBRATIONS = [("linear", None), ("raking", None), ("logit", (0.5, 2.0))]


def calibration_data(seed: int = 11) -> tuple[SurveyDesign, np.ndarray, np.ndarray]:
    """A weighted design, its model matrix (intercept, a number, a dummy) and a variable y."""
    rng = np.random.default_rng(seed)
    n = 300
    x, group = rng.normal(50, 10, n), (rng.random(n) < 0.4).astype(float)
    design = survey_design(n, weights=rng.uniform(5, 15, n), strata=rng.integers(0, 3, n))
    return design, np.column_stack([np.ones(n), x, group]), x + 5 * group + rng.normal(0, 4, n)


@pytest.mark.parametrize("method, bounds", CALIBRATIONS)
def test_calibration_meets_the_totals(method, bounds):
    design, matrix, _ = calibration_data()
    totals = design.weights @ matrix * np.array([1.06, 1.09, 0.93])
    calibrated = calibrate(design, matrix, totals, method, bounds)
    np.testing.assert_allclose(calibrated.weights @ matrix, totals, rtol=1e-8)
    g = calibrated.weights / design.weights
    assert np.ptp(g) > 0.01  # the weights did move
    assert (g > 0).all()
    if bounds is not None:
        assert (g > bounds[0]).all() and (g < bounds[1]).all()


@pytest.mark.parametrize("method, bounds", CALIBRATIONS)
def test_calibration_to_totals_already_met_changes_nothing(method, bounds):
    design, matrix, _ = calibration_data()
    calibrated = calibrate(design, matrix, design.weights @ matrix, method, bounds)
    np.testing.assert_allclose(calibrated.weights, design.weights, rtol=1e-12)


@pytest.mark.parametrize("bounds", [(0.5, 2.0), (1.0, 2.0), (0.5, 0.9)])
def test_infeasible_logit_bounds_are_refused(bounds):
    design, matrix, _ = calibration_data()
    totals = design.weights @ matrix * 3  # g would have to average 3
    with pytest.raises(OhmskError, match="bounds"):
        calibrate(design, matrix, totals, "logit", bounds)


@pytest.mark.parametrize("method, bounds", CALIBRATIONS)
@pytest.mark.parametrize("estimator", [mean, total])
def test_calibration_variable_has_no_variance_after_calibration(method, bounds, estimator):
    design, matrix, y = calibration_data()
    totals = design.weights @ matrix[:, :2] * np.array([1.05, 1.08])
    calibrated = calibrate(design, matrix[:, :2], totals, method, bounds)
    x = matrix[:, 1]
    before = estimator(design, x).se
    assert estimator(calibrated, x).se <= 1e-6 * before
    assert estimator(calibrated, y).se > 0.1 * estimator(design, y).se  # not every variance vanishes


def trimming_design(seed: int = 5) -> SurveyDesign:
    rng = np.random.default_rng(seed)
    return survey_design(200, weights=rng.uniform(1, 10, 200))


def test_trimming_once_keeps_the_total_and_shares_the_excess_equally():
    design = trimming_design()
    w = design.weights
    trimmed = trim_weights(design, lower=2, upper=8).weights
    assert trimmed.sum() == pytest.approx(w.sum(), rel=1e-12)
    inside = (w >= 2) & (w <= 8)
    np.testing.assert_array_equal(trimmed[w > 8], 8.0)
    np.testing.assert_array_equal(trimmed[w < 2], 2.0)
    shift = trimmed[inside] - w[inside]
    assert np.ptp(shift) < 1e-12 and abs(shift[0]) > 1e-6


def test_strict_trimming_leaves_no_weight_outside_the_bounds():
    design = trimming_design()
    trimmed = trim_weights(design, lower=2, upper=7, strict=True).weights
    assert trimmed.sum() == pytest.approx(design.weights.sum(), rel=1e-12)
    assert trimmed.max() <= 7 and trimmed.min() >= 2
    assert trim_weights(design, upper=7).weights.max() > 7  # one pass alone would not do


@pytest.mark.parametrize("lower, upper", [(5, 5), (6, 5)])
def test_trimming_needs_lower_below_upper(lower, upper):
    with pytest.raises(OhmskError, match="lower < upper"):
        trim_weights(trimming_design(), lower=lower, upper=upper)


def test_strict_trimming_that_cannot_keep_the_total_is_refused():
    with pytest.raises(OhmskError):
        trim_weights(survey_design(3, weights=[1.0, 1.0, 10.0]), upper=2, strict=True)


# --- survey_design: what it refuses, and corrections given either way ------------------------------

N8 = 8
TWO_STRATA = [0, 0, 0, 0, 1, 1, 1, 1]
REFUSED = {
    "lonely PSU": (dict(strata=["a", "a", "b", "c", "c", "c", "a", "c"]), "stratum 'b' has a single PSU"),
    "PSU labels repeat across strata": (
        dict(strata=TWO_STRATA, clusters=[[1, 1, 2, 2, 1, 1, 2, 2]]),
        "more than one stratum",
    ),
    "fpc below the sample": (dict(strata=TWO_STRATA, fpc=[[3] * 4 + [10] * 4]), "at least the number sampled"),
    "fpc varies within a stratum": (dict(strata=TWO_STRATA, fpc=[[10, 10, 12, 10] + [20] * 4]), "constant within"),
    "zero weight": (dict(weights=[1, 2, 0, 1, 1, 1, 1, 1]), "positive"),
    "negative weight": (dict(weights=[1, 2, -3, 1, 1, 1, 1, 1]), "positive"),
    "missing weight": (dict(weights=[1, 2, np.nan, 1, 1, 1, 1, 1]), "positive"),
}


@pytest.mark.parametrize("arguments, message", REFUSED.values(), ids=REFUSED.keys())
def test_survey_design_refuses(arguments, message):
    with pytest.raises(OhmskError, match=message):
        survey_design(N8, **arguments)


def test_repeated_psu_labels_build_when_nested():
    design = survey_design(N8, strata=TWO_STRATA, clusters=[[1, 1, 2, 2, 1, 1, 2, 2]], nest=True)
    assert design.stages[0].units == 4
    assert design.degf() == 2


def test_lonely_psu_taken_with_certainty_builds():
    design = survey_design(N8, strata=["a", "a", "b", "c", "c", "c", "a", "c"], fpc=[[3, 3, 1, 4, 4, 4, 3, 4]])
    assert design.stages[0].fraction[1] == 1.0


def test_fpc_as_fraction_or_population_gives_the_same_design():
    rng = np.random.default_rng(17)
    sampled, population = np.array([12, 20, 9]), np.array([40.0, 300.0, 15.0])
    strata = np.repeat(np.arange(3), sampled)
    y = rng.normal(0, 1, len(strata)) + strata
    by_size = survey_design(len(y), strata=strata, fpc=[population[strata]])
    by_fraction = survey_design(len(y), strata=strata, fpc=[(sampled / population)[strata]])
    without = survey_design(len(y), strata=strata, weights=(population / sampled)[strata])
    np.testing.assert_allclose(by_size.weights, by_fraction.weights, rtol=1e-12)
    for estimator in (mean, total):
        a, b = estimator(by_size, y), estimator(by_fraction, y)
        assert a.se == pytest.approx(b.se, rel=1e-12)
        assert a.se < estimator(without, y).se  # the correction did something


# --- two-stage designs ----------------------------------------------------------------------------


def two_stage(seed: int = 23) -> dict[str, np.ndarray]:
    """Three strata of 4 PSUs (from 10, 12 and 8), each PSU with 3-6 sampled SSUs (respondents)."""
    rng = np.random.default_rng(seed)
    psus = np.repeat(np.arange(3), 4)
    taken = rng.integers(3, 7, len(psus))
    psu = np.repeat(np.arange(len(psus)), taken)
    return {
        "stratum": psus[psu],
        "psu": psu,
        "ssu": np.arange(len(psu)),
        "taken": taken[psu].astype(float),
        "ssus": (taken + rng.integers(1, 10, len(psus)))[psu].astype(float),
        "psus_in_stratum": np.array([10.0, 12.0, 8.0])[psus[psu]],
        "y": rng.normal(20, 5, len(psu)) + rng.normal(0, 5, len(psus))[psu],
    }


def two_stage_design(s: dict[str, np.ndarray], second: np.ndarray | float | None) -> SurveyDesign:
    """The design of `s` with stage-two correction `second`; None for a one-stage design of its PSUs."""
    if second is None:
        return survey_design(len(s["y"]), strata=s["stratum"], clusters=[s["psu"]], fpc=[s["psus_in_stratum"]])
    clusters, fpc = [s["psu"], s["ssu"]], [s["psus_in_stratum"], second]
    return survey_design(len(s["y"]), strata=s["stratum"], clusters=clusters, fpc=fpc)


def test_two_stage_weights_are_inverse_sampling_fractions():
    s = two_stage()
    f1, f2 = 4 / s["psus_in_stratum"], s["taken"] / s["ssus"]
    np.testing.assert_allclose(two_stage_design(s, s["ssus"]).weights, 1 / (f1 * f2), rtol=1e-12)


@pytest.mark.parametrize("all_taken", ["population", "fraction"])
def test_two_stage_with_every_ssu_taken_is_one_stage(all_taken):
    s = two_stage()
    two = two_stage_design(s, s["taken"] if all_taken == "population" else 1.0)
    one = two_stage_design(s, None)
    assert len(two.stages) == 2 and len(one.stages) == 1
    np.testing.assert_allclose(two.weights, one.weights, rtol=1e-12)
    for estimator in (mean, total):
        assert estimator(two, s["y"]).se == pytest.approx(estimator(one, s["y"]).se, rel=1e-12)
    scores = np.column_stack([s["y"], s["y"] ** 2]) * one.weights[:, None]
    np.testing.assert_allclose(two.covariance(scores), one.covariance(scores), rtol=1e-12)
    subsampled = two_stage_design(s, s["ssus"])
    assert not np.allclose(subsampled.covariance(scores), one.covariance(scores))  # stage two can count


# --- the design-based t-test ----------------------------------------------------------------------


@pytest.mark.parametrize("estimate, df", [(0.0, 12), (0.4, 1), (1.0, 30), (0.4, 0)])
def test_no_variance_and_no_difference_is_not_significant(estimate, df):
    result = compare_design(estimate, estimate, 0.0, df)
    assert result.pvalue == 1.0
    assert not result.significant


@pytest.mark.parametrize("t", [0.3, 1.5, -2.2, 4.0])
@pytest.mark.parametrize("df", [3, 29, 400])
def test_design_t_test_p_value_is_scipy(t, df):
    variance = 0.0036
    result = compare_design(0.5 + t * math.sqrt(variance), 0.5, variance, df)
    expected = 2 * stats.t.sf(abs(t), df)
    assert result.statistic == pytest.approx(t, rel=1e-9)
    assert result.pvalue == pytest.approx(expected, rel=1e-9)
    assert result.significant == (expected < 0.05)
    assert result.df == df


def test_a_difference_without_variance_is_significant():
    result = compare_design(1.0, 0.0, 0.0, 20)
    assert result.significant and result.pvalue == 0.0


# --- Rao-Scott ------------------------------------------------------------------------------------


def independence_data(seed: int = 31, n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, 3, n)
    columns_ = np.where(rng.random(n) < 0.15, rows, rng.integers(0, 4, n))  # mildly dependent
    return rows, columns_


def test_rao_scott_on_an_srs_is_pearson():
    rows, cols = independence_data()
    n = len(rows)
    result = rao_scott(survey_design(n), rows, cols, statistic="Chisq")
    table = np.zeros((3, 4))
    np.add.at(table, (rows, cols), 1)
    pearson = stats.chi2_contingency(table, correction=False)
    assert result.pearson == pytest.approx(pearson.statistic, rel=1e-10)
    # on an SRS the design effects are all n / (n - 1): the variance estimator's n - 1
    assert result.statistic == pytest.approx(pearson.statistic * (n - 1) / n, rel=1e-10)
    assert result.df == (6.0,)
    assert result.pvalue == pytest.approx(pearson.pvalue, rel=0.05)
    assert 0.0001 < result.pvalue < 0.5  # a p-value where closeness means something


@pytest.mark.parametrize("which", ["rows", "columns"])
def test_rao_scott_needs_two_levels_each_way(which):
    rows, cols = independence_data()
    if which == "rows":
        rows = np.zeros_like(rows)
    else:
        cols = np.full_like(cols, 2)
    with pytest.raises(OhmskError, match="at least two rows and two columns"):
        rao_scott(survey_design(len(rows)), rows, cols)


# --- proportion intervals ------------------------------------------------------------------------


SHARES = [0.0005, 0.02, 0.5, 0.97, 0.9995]
SHARE_SES = [(p, se) for p in SHARES for se in (0.001, 0.01, 0.05)] + [(p, 0.3) for p in SHARES[1:-1]]


@pytest.mark.parametrize("method", ["logit", "beta"])
@pytest.mark.parametrize("p, se", SHARE_SES)
def test_logit_and_beta_intervals_stay_in_the_unit_interval(method, p, se):
    low, high = intervals.proportion_interval(method, p, se, 0.95, 10, 50, 50.0)
    assert 0.0 <= low <= p <= high <= 1.0
    assert low < high


@pytest.mark.parametrize("p", [0.0005, 0.9995])
def test_logit_interval_of_an_extreme_share_with_a_wide_se(p):
    low, high = intervals.proportion_interval("logit", p, 0.3, 0.95, 10, 50, 50.0)
    assert 0.0 <= low <= p <= high <= 1.0


@pytest.mark.parametrize("method", ["logit", "beta"])
def test_design_intervals_of_a_rare_share_stay_in_the_unit_interval(method):
    rng = np.random.default_rng(41)
    n = 120
    cluster = np.repeat(np.arange(30), 4)
    design = survey_design(n, weights=rng.uniform(1, 6, n), clusters=[cluster])
    x = np.zeros(n)
    x[[3, 50]] = 1.0
    estimate = proportion(design, x, interval=method)
    wald = proportion(design, x, interval="mean")
    assert wald.ci_low < 0  # where a Wald interval leaves [0, 1]
    assert 0.0 <= estimate.ci_low <= estimate.estimate <= estimate.ci_high <= 1.0
    assert estimate.interval == intervals.NAMES[method]


def test_unoffered_interval_methods_list_the_offered_ones():
    _, x = srs()
    design = survey_design(len(x))
    for refuse in (
        lambda: proportion(design, x, interval="clopper-pearson"),
        lambda: intervals.proportion_interval("wald", 0.3, 0.02, 0.95, 10, 50, 50.0),
    ):
        with pytest.raises(OhmskError, match="is not offered") as error:
            refuse()
        assert all(name in str(error.value) for name in intervals.NAMES)
