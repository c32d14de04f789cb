"""Estimates with design-based standard errors, and the tests behind the word "significantly".

Pure functions of arrays and counts; they know nothing about our surveys. Standard errors are
Taylor linearisation as R's survey package computes them (``svymean``, ``svytotal``) for
one-stage designs: simple random or stratified samples, each respondent its own sampling unit,
with optional weights and finite population corrections. Clustered designs are out of scope.

Tests are two-sided. Proportions use the pooled two-proportion z-test on effective (Kish) bases
when data are weighted, switching to Fisher's exact test when an expected count is small; means
use Welch's t-test. Column letters follow the SPSS Custom Tables / Q convention.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from pipeline.errors import OhmskError
from pipeline.stats.calibration import kish_effective_n

ArrayLike = Sequence | np.ndarray | pd.Series
Fpc = float | Mapping[Hashable, float] | ArrayLike | None


@dataclass(frozen=True)
class Estimate:
    """A point estimate with what a table note needs to qualify it."""

    kind: str  # "proportion", "mean" or "total"
    estimate: float
    se: float  # design-based (linearisation) standard error
    ci_low: float
    ci_high: float
    level: float
    interval: str  # how the interval was made, e.g. "Wilson" or "t, 197 df"
    n: int  # unweighted respondents
    n_eff: float  # Kish effective base (= n when unweighted)


@dataclass(frozen=True)
class Comparison:
    """A two-sided test of group 1 against group 2."""

    test: str  # "two-proportion z-test", "Fisher's exact test" or "Welch t-test"
    estimate1: float
    estimate2: float
    statistic: float  # z, t, or Fisher's sample odds ratio
    pvalue: float
    level: float
    significant: bool  # pvalue < 1 - level
    df: float | None = None  # Welch-Satterthwaite degrees of freedom (t-test only)

    @property
    def difference(self) -> float:
        return self.estimate1 - self.estimate2


class MeanSummary(NamedTuple):
    """A group's mean, standard deviation and base, for tests from published summaries."""

    mean: float
    sd: float
    n: float


@dataclass(frozen=True)
class _Design:
    y: np.ndarray
    w: np.ndarray
    stratum: np.ndarray  # stratum number of each respondent
    n_h: np.ndarray  # respondents per stratum
    fraction: np.ndarray  # sampling fraction per stratum (0 without fpc)
    weighted: bool


def estimate_proportion(
    x: ArrayLike,
    weights: ArrayLike | None = None,
    strata: ArrayLike | None = None,
    fpc: Fpc = None,
    level: float = 0.95,
) -> Estimate:
    """Proportion of respondents for whom `x` is true, with its design-based standard error.

    Parameters
    ----------
    x : array_like of bool or 0/1
        One value per respondent in the base; missing values are refused (pass the base only).
    weights : array_like or None
        Sampling or analysis weights, in the order of `x` (matched by position, not index);
        None for an unweighted (equal-probability) sample.
    strata : array_like or None
        Stratum of each respondent; None for one stratum. Each stratum needs two respondents.
    fpc : float, mapping, array_like or None
        Finite population correction, read as R's ``svydesign(fpc=)``: a value above 1 is a
        population size, one at most 1 a sampling fraction. A single number for an
        unstratified design, ``{stratum: value}``, or one value per respondent (constant
        within a stratum).
    level : float
        Confidence level of the interval.

    Returns
    -------
    Estimate
        The interval is Wilson's score interval on the effective base; it does not use the
        finite population correction or the stratification, which only narrow it.
    """
    design = _design(x, weights, strata, fpc)
    if not np.isin(design.y, (0.0, 1.0)).all():
        raise OhmskError("a proportion needs true/false (or 0/1) values")
    p, se = _ratio_mean(design)
    n_eff = kish_effective_n(design.w)
    low, high = _wilson(p, n_eff, level)
    interval = "Wilson, effective base" if design.weighted else "Wilson"
    return Estimate("proportion", p, se, low, high, level, interval, len(design.y), n_eff)


def estimate_mean(
    values: ArrayLike,
    weights: ArrayLike | None = None,
    strata: ArrayLike | None = None,
    fpc: Fpc = None,
    level: float = 0.95,
) -> Estimate:
    """Mean with its design-based standard error and a t interval on the design's n - H df.

    Arguments as for :func:`estimate_proportion`. The t interval (R's ``confint`` with
    ``df=degf(design)``) is a little wider than the normal one R prints by default.
    """
    design = _design(values, weights, strata, fpc)
    mean, se = _ratio_mean(design)
    return _t_estimate("mean", mean, se, design, level)


def estimate_total(
    values: ArrayLike,
    weights: ArrayLike | None = None,
    strata: ArrayLike | None = None,
    fpc: Fpc = None,
    level: float = 0.95,
) -> Estimate:
    """Population total (sum of weight x value) with its design-based standard error.

    Arguments as for :func:`estimate_proportion`; the interval as for :func:`estimate_mean`.
    """
    design = _design(values, weights, strata, fpc)
    z = design.w * design.y
    return _t_estimate("total", float(z.sum()), _linearised_se(z, design), design, level)


def compare_proportions(
    k1: float,
    n1: float,
    k2: float,
    n2: float,
    *,
    n_eff1: float | None = None,
    n_eff2: float | None = None,
    sampling_fraction: float = 0.0,
    level: float = 0.95,
    min_expected: float = 5.0,
) -> Comparison:
    """Two-sided test that two proportions differ: pooled z-test, or Fisher's exact test.

    Parameters
    ----------
    k1, n1, k2, n2 : float
        Count and base of each group; weighted counts and bases when data are weighted
        (only the proportions k/n are used then).
    n_eff1, n_eff2 : float or None
        Effective bases (:func:`pipeline.stats.calibration.kish_effective_n`) of weighted groups; None
        uses the base itself, as for unweighted data.
    sampling_fraction : float
        Share of the population sampled, f; the variance is multiplied by 1 - f. For groups
        from one survey pass the survey's overall fraction.
    level : float
        The test is significant when the p-value is below 1 - level.
    min_expected : float
        When any expected count (pooled proportion x effective base) is below this, Fisher's
        exact test runs instead, on the counts (effective counts, rounded, when weighted);
        it takes no finite population correction.
    """
    p1, p2 = _share(k1, n1), _share(k2, n2)
    e1 = float(n1 if n_eff1 is None else n_eff1)
    e2 = float(n2 if n_eff2 is None else n_eff2)
    if min(e1, e2) <= 0:
        raise OhmskError("effective bases must be positive")
    if not 0 <= sampling_fraction < 1:
        raise OhmskError(f"sampling_fraction must be in [0, 1), not {sampling_fraction!r}")
    pooled = (p1 * e1 + p2 * e2) / (e1 + e2)
    expected = np.array([e1, e2])[:, None] * np.array([pooled, 1 - pooled])
    if expected.min() < min_expected:
        a, c = round(p1 * e1), round(p2 * e2)
        odds, pvalue = stats.fisher_exact([[a, round(e1) - a], [c, round(e2) - c]])
        return _comparison("Fisher's exact test", p1, p2, float(odds), float(pvalue), level)
    if pooled in (0.0, 1.0):  # both shares 0% or both 100%: no variance, and no difference to test
        return _comparison("two-proportion z-test", p1, p2, 0.0, 1.0, level)
    se = math.sqrt(pooled * (1 - pooled) * (1 / e1 + 1 / e2) * (1 - sampling_fraction))
    z = (p1 - p2) / se
    return _comparison("two-proportion z-test", p1, p2, z, 2 * stats.norm.sf(abs(z)), level)


def compare_means(a: MeanSummary | ArrayLike, b: MeanSummary | ArrayLike, *, level: float = 0.95) -> Comparison:
    """Welch's two-sided t-test that two means differ (no equal-variance assumption).

    Each group is an array of values or a :class:`MeanSummary`; for weighted data give the
    summary with the weighted mean and standard deviation and the effective base as `n`.
    Two groups with no spread at all give a p-value of NaN, never significant.
    """
    (m1, sd1, n1), (m2, sd2, n2) = _summary(a), _summary(b)
    v1, v2 = sd1**2 / n1, sd2**2 / n2
    if v1 + v2 == 0:
        return Comparison("Welch t-test", m1, m2, math.nan, math.nan, level, False)
    t = (m1 - m2) / math.sqrt(v1 + v2)
    df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    return _comparison("Welch t-test", m1, m2, t, 2 * stats.t.sf(abs(t), df), level, df)


def adjust_pvalues(pvalues: ArrayLike, method: Literal["holm", "bh"] = "holm") -> np.ndarray:
    """P-values adjusted for multiple comparisons: Holm (family-wise) or Benjamini-Hochberg.

    NaN p-values (comparisons not made, e.g. a suppressed column) stay NaN and do not count
    towards the family.
    """
    methods = {"holm": "holm", "bh": "fdr_bh"}
    if method not in methods:
        raise OhmskError(f"method must be 'holm' or 'bh', not {method!r}")
    p = np.asarray(pvalues, dtype=float)
    out = np.full_like(p, np.nan)
    made = ~np.isnan(p)
    if made.any():
        out[made] = _holm(p[made]) if method == "holm" else multipletests(p[made], method=methods[method])[1]
    return out


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment: the i-th smallest of m p-values times (m - i + 1), made
    non-decreasing in that order and capped at 1.

    Written out rather than taken from statsmodels' `multipletests`, whose Holm branch runs a
    full garbage collection on every call: 0.1 s a family in a build's process, 40 s over the
    report's tables. The tests check it against `multipletests`.

    Reference: S. Holm, "A simple sequentially rejective multiple test procedure",
    Scandinavian Journal of Statistics 6 (1979), 65-70.
    """
    order = np.argsort(p)
    adjusted = np.minimum(1.0, np.maximum.accumulate(p[order] * np.arange(len(p), 0, -1)))
    out = np.empty_like(adjusted)
    out[order] = adjusted
    return out


def column_letter(position: int) -> str:
    """The letter a table prints over its `position`-th column (0 -> A, 25 -> Z, 26 -> AA)."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def column_letters(
    columns: Sequence[Hashable], comparisons: Mapping[tuple[Hashable, Hashable], Comparison], alpha: float = 0.05
) -> dict[Hashable, str]:
    """For each column, the letters of the columns it is significantly higher than.

    Columns are lettered in order (see :func:`column_letter`). `comparisons` maps a pair of
    column ids ``(a, b)`` to the test of a (group 1) against b (group 2); pairs not tested
    (e.g. a suppressed column) are simply absent. A pair with p < `alpha` gives the higher
    column the letter of the lower. Pass p-values through :func:`adjust_pvalues` first
    (e.g. with ``dataclasses.replace``) to correct for the number of pairs.

    >>> columns = ["men", "women", "other"]
    >>> column_letters(columns, {("men", "women"): compare_proportions(60, 100, 40, 100)})
    {'men': 'B', 'women': '', 'other': ''}
    """
    label = {col: column_letter(i) for i, col in enumerate(columns)}
    beats: dict[Hashable, set[Hashable]] = {col: set() for col in columns}
    for (a, b), result in comparisons.items():
        unknown = [c for c in (a, b) if c not in label]
        if unknown:
            raise OhmskError(f"comparison of {a!r} with {b!r} names a column not in the table")
        if result.pvalue < alpha and result.estimate1 != result.estimate2:
            high, low = (a, b) if result.estimate1 > result.estimate2 else (b, a)
            beats[high].add(low)
    return {col: "".join(label[c] for c in columns if c in beats[col]) for col in columns}


def _design(values: ArrayLike, weights: ArrayLike | None, strata: ArrayLike | None, fpc: Fpc) -> _Design:
    y = np.asarray(values, dtype=float)
    n = len(y)
    if n == 0:
        raise OhmskError("no respondents to estimate from")
    if np.isnan(y).any():
        raise OhmskError(f"{int(np.isnan(y).sum())} missing value(s); estimate on the respondents in the base only")
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if len(w) != n or not (np.isfinite(w) & (w > 0)).all():
        raise OhmskError("weights must be one positive number per respondent")
    if strata is None:
        stratum, labels = np.zeros(n, dtype=int), np.array([None])
    else:
        stratum, labels = pd.factorize(np.asarray(strata, dtype=object))
        if len(stratum) != n or (stratum < 0).any():
            raise OhmskError("strata must give one non-missing stratum per respondent")
    n_h = np.bincount(stratum)
    if (n_h < 2).any():
        lone = [labels[h] for h in np.flatnonzero(n_h < 2)]
        raise OhmskError(
            f"stratum {lone[0]!r} has a single respondent; its variance cannot "
            f"be estimated (combine it with another stratum)"
        )
    return _Design(y, w, stratum, n_h, _fractions(fpc, stratum, list(labels), n_h), weighted=weights is not None)


def _fractions(fpc: Fpc, stratum: np.ndarray, labels: list, n_h: np.ndarray) -> np.ndarray:
    """Sampling fraction per stratum, reading `fpc` the way R's svydesign does."""
    if fpc is None:
        return np.zeros(len(n_h))
    if isinstance(fpc, Mapping):
        absent = [s for s in labels if s not in fpc]
        if absent:
            raise OhmskError(f"fpc has no value for stratum {absent[0]!r}")
        per = np.array([float(fpc[s]) for s in labels])
    elif np.ndim(fpc) == 0:
        if len(n_h) > 1 and float(fpc) > 1:
            raise OhmskError("a single population size needs an unstratified design; give fpc per stratum")
        per = np.full(len(n_h), float(fpc))
    else:
        values = np.asarray(fpc, dtype=float)
        if len(values) != len(stratum):
            raise OhmskError("fpc must give one value per respondent")
        per = values[np.unique(stratum, return_index=True)[1]]
        if (values != per[stratum]).any():
            raise OhmskError("fpc must be constant within each stratum")
    if (per <= 0).any() or ((per > 1) & (per < n_h)).any():
        raise OhmskError("fpc population sizes must be at least the number sampled")
    return np.where(per <= 1, per, n_h / per)


def _ratio_mean(design: _Design) -> tuple[float, float]:
    """Weighted mean and the standard error of its linearisation (R's svymean)."""
    total_w = design.w.sum()
    mean = float((design.w * design.y).sum() / total_w)
    return mean, _linearised_se(design.w * (design.y - mean) / total_w, design)


def _linearised_se(z: np.ndarray, design: _Design) -> float:
    """Standard error of a total of influence values z, with-replacement within strata, fpc."""
    means = np.bincount(design.stratum, weights=z) / design.n_h
    spread = np.bincount(design.stratum, weights=(z - means[design.stratum]) ** 2)
    n_h = design.n_h
    return math.sqrt(float(np.sum((1 - design.fraction) * n_h / (n_h - 1) * spread)))


def _t_estimate(kind: str, value: float, se: float, design: _Design, level: float) -> Estimate:
    df = len(design.y) - len(design.n_h)
    half = float(stats.t.isf((1 - level) / 2, df)) * se
    return Estimate(
        kind, value, se, value - half, value + half, level, f"t, {df} df", len(design.y), kish_effective_n(design.w)
    )


def _wilson(p: float, n: float, level: float) -> tuple[float, float]:
    """Wilson's score interval, which stays inside [0, 1] and behaves near 0% and 100%."""
    z2 = stats.norm.isf((1 - level) / 2) ** 2
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = math.sqrt(z2 * (p * (1 - p) / n + z2 / (4 * n * n))) / denom
    return float(centre - half), float(centre + half)


def _share(k: float, n: float) -> float:
    if n <= 0 or not 0 <= k <= n:
        raise OhmskError(f"a count must lie between 0 and its base; got {k!r} of {n!r}")
    return k / n


def _summary(group: MeanSummary | ArrayLike) -> MeanSummary:
    if isinstance(group, MeanSummary):
        summary = group
    else:
        values = np.asarray(group, dtype=float)
        if np.isnan(values).any():
            raise OhmskError("missing values in a t-test group; pass the base only")
        summary = MeanSummary(float(values.mean()), float(values.std(ddof=1)), len(values))
    if summary.n < 2:
        raise OhmskError("a t-test needs at least two respondents in each group")
    return summary


def _comparison(
    test: str, e1: float, e2: float, statistic: float, pvalue: float, level: float, df: float | None = None
) -> Comparison:
    return Comparison(test, e1, e2, float(statistic), float(pvalue), level, bool(pvalue < 1 - level), df)
