"""The tests behind the word "significantly", and the column letters that print them.

Pure functions of estimates, variances, counts and summaries; they know nothing about our
surveys. Tests are two-sided. The design-based t-test (:func:`compare_design`) is the default
whenever data are weighted or the sample is not an unweighted simple random one; the classical
tests are kept for unweighted simple random samples, the market-research convention: the pooled
two-proportion z-test, switching to Fisher's exact test when an expected count is small, and
Welch's t-test for means. Column letters follow the SPSS Custom Tables / Q convention.

References
----------
T. Lumley, *Complex Surveys: A Guide to Analysis Using R*, Wiley, 2010, chapter 5.
A. Agresti, *Categorical Data Analysis*, 3rd ed., Wiley, 2013 (the z-test and Fisher's test).
B. L. Welch, "The generalization of Student's problem", Biometrika 34 (1947), 28-35.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests

from pipeline.errors import OhmskError
from pipeline.stats.design import ArrayLike


@dataclass(frozen=True)
class Comparison:
    """A two-sided test of group 1 against group 2."""

    test: str  # "design-based t-test", "two-proportion z-test", "Fisher's exact test" or "Welch t-test"
    estimate1: float
    estimate2: float
    statistic: float  # z, t, or Fisher's sample odds ratio
    pvalue: float
    level: float
    significant: bool  # pvalue < 1 - level
    df: float | None = None  # degrees of freedom (t-tests only: the design's, or Welch-Satterthwaite)

    @property
    def difference(self) -> float:
        return self.estimate1 - self.estimate2


class MeanSummary(NamedTuple):
    """A group's mean, standard deviation and base, for tests from published summaries."""

    mean: float
    sd: float
    n: float


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
        odds, pvalue = stats.fisher_exact(np.array([[a, round(e1) - a], [c, round(e2) - c]]))
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


def compare_design(estimate1: float, estimate2: float, variance: float, df: int, *, level: float = 0.95) -> Comparison:
    """Design-based two-sided t-test that two domain estimates differ.

    `variance` is the design-based variance of the difference (both variances less twice the
    covariance: :class:`pipeline.stats.columns.ColumnStats`), `df` the degrees of freedom of
    the design restricted to the two domains, less one. For two domain means this is R
    survey's ``svyttest(y ~ group, subset(design, group %in% c(a, b)))``, whose regression
    coefficient is the difference and whose sandwich variance is the linearised one
    (Lumley 2010, section 5.2); for shares, the same test on the 0/1 variable. Without variance
    (every share 0% or 100%), equal estimates have p = 1 and unequal ones p = 0, as R's
    infinite t gives; without degrees of freedom the p-value is NaN, never significant.
    """
    difference = estimate1 - estimate2
    if difference == 0 and not variance > 0:  # nothing differs, and nothing varies
        return Comparison(DESIGN_TEST, estimate1, estimate2, 0.0, 1.0, level, False, float(df))
    if df < 1 or not math.isfinite(variance):  # no degrees of freedom: nothing can be tested
        return Comparison(DESIGN_TEST, estimate1, estimate2, math.nan, math.nan, level, False, float(df))
    if variance <= 0:  # no sampling variance: equal estimates do not differ, unequal ones surely do
        t, pvalue = (0.0, 1.0) if difference == 0 else (math.copysign(math.inf, difference), 0.0)
        return Comparison(DESIGN_TEST, estimate1, estimate2, t, pvalue, level, pvalue < 1 - level, float(df))
    t = difference / math.sqrt(variance)
    return _comparison(DESIGN_TEST, estimate1, estimate2, t, 2 * stats.t.sf(abs(t), df), level, float(df))


DESIGN_TEST = "design-based t-test"
INDEPENDENT_TEST = "design-based z-test of independent samples"


def compare_independent(
    estimate1: float, se1: float, estimate2: float, se2: float, *, level: float = 0.95
) -> Comparison:
    """Wald test that two estimates from independent samples (e.g. two waves) differ: the
    difference over the root of the summed squared design-based standard errors, referred to
    the normal distribution. Two estimates without variance have p = 1 when equal."""
    variance = se1**2 + se2**2
    if variance <= 0:
        return Comparison(INDEPENDENT_TEST, estimate1, estimate2, 0.0, 1.0 if estimate1 == estimate2 else 0.0,
                          level, estimate1 != estimate2)  # fmt: skip
    z = (estimate1 - estimate2) / math.sqrt(variance)
    return _comparison(INDEPENDENT_TEST, estimate1, estimate2, z, 2 * stats.norm.sf(abs(z)), level)


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
