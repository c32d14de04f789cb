"""Design-based estimators: totals, means, proportions, ratios and quantiles, in domains.

Each takes a :class:`~pipeline.stats.design.SurveyDesign` (as R survey's estimators take a
``svydesign``) and respondent-level values. Point estimates are ratios of weighted totals; their
standard errors come from the design's linearised covariance of the influence values, or from
its replicate weights (Lumley 2010, chapters 2-3; Woodruff 1952 for quantiles). A domain is a
boolean mask: respondents outside it keep their place in the design with a score of zero, so the
standard error is that of R's ``subset()`` and ``svyby()``, not of a separate sample.

References
----------
T. Lumley, *Complex Surveys: A Guide to Analysis Using R*, Wiley, 2010.
R. S. Woodruff, "Confidence intervals for medians and other position measures", JASA 47 (1952).
L. Kish, *Survey Sampling*, Wiley, 1965 (design effects).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pipeline.errors import OhmskError
from pipeline.stats.calibration import kish_effective_n
from pipeline.stats.design import ArrayLike, SurveyDesign
from pipeline.stats.intervals import NAMES, critical, proportion_interval


@dataclass(frozen=True)
class Estimate:
    """A point estimate with what a table note needs to qualify it."""

    kind: str  # "total", "mean", "proportion", "ratio" or "quantile"
    estimate: float
    se: float  # design-based standard error
    ci_low: float
    ci_high: float
    level: float
    interval: str  # how the interval was made, e.g. "Wilson score interval on the effective base"
    n: int  # respondents in the domain
    n_eff: float  # Kish's effective base of the domain (= n when unweighted)
    deff: float  # design effect (variance over that of a simple random sample of the same size)
    df: int  # design degrees of freedom of the domain


def ratio_estimates(
    design: SurveyDesign, numerator: np.ndarray, denominator: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Estimates sum(w y) / sum(w x) of k columns and their k x k design covariance.

    `numerator` and `denominator` are n x k (zero outside each column's domain); a None
    denominator gives totals. Linearised scores are w (y - R x) / X (Lumley 2010, 2.2.3).
    """
    w = design.weights
    y = np.asarray(numerator, dtype=float)
    totals_y = w @ y
    if denominator is None:
        theta, scores = totals_y, w[:, None] * y
    else:
        x = np.asarray(denominator, dtype=float)
        totals_x = w @ x
        with np.errstate(invalid="ignore", divide="ignore"):
            theta = totals_y / totals_x
            scores = w[:, None] * (y - x * theta) / totals_x
    if design.replicates is not None:
        rw = design.replicates.weights
        replicated = rw.T @ y if denominator is None else (rw.T @ y) / (rw.T @ x)
        cov = design.replicate_covariance(theta, replicated)
    else:
        cov = design.covariance(np.nan_to_num(scores))
    if denominator is not None:  # an empty domain has no estimate, and no variance
        empty = totals_x == 0
        cov[empty, :] = np.nan
        cov[:, empty] = np.nan
    return theta, cov


def total(
    design: SurveyDesign, y: ArrayLike, domain: ArrayLike | None = None, level: float = 0.95, na_rm: bool = False
) -> Estimate:
    """Population total of `y` (in the domain) with its design-based standard error."""
    values, inside = _values(design, y, domain, na_rm)
    theta, cov = ratio_estimates(design, (values * inside)[:, None], None)
    variance = float(cov[0, 0])
    psum = float(design.weights[inside].sum())
    spread = _spread(design, values, inside)
    return _t_estimate(design, "total", float(theta[0]), variance, spread * psum**2, inside, level)


def mean(
    design: SurveyDesign, y: ArrayLike, domain: ArrayLike | None = None, level: float = 0.95, na_rm: bool = False
) -> Estimate:
    """Mean of `y` (in the domain) with its design-based standard error and a t interval on
    the domain's design degrees of freedom."""
    values, inside = _values(design, y, domain, na_rm)
    theta, cov = ratio_estimates(design, (values * inside)[:, None], inside[:, None].astype(float))
    return _t_estimate(
        design, "mean", float(theta[0]), float(cov[0, 0]), _spread(design, values, inside), inside, level
    )


def proportion(
    design: SurveyDesign,
    x: ArrayLike,
    domain: ArrayLike | None = None,
    level: float = 0.95,
    interval: str = "wilson",
    na_rm: bool = False,
) -> Estimate:
    """Share of the domain for whom `x` is true, with an interval from
    :func:`pipeline.stats.intervals.proportion_interval` (`interval` names the method)."""
    values, inside = _values(design, x, domain, na_rm)
    if not np.isin(values[inside], (0.0, 1.0)).all():
        raise OhmskError("a proportion needs true/false (or 0/1) values")
    base = mean(design, values, inside, level)
    if interval not in NAMES:
        raise OhmskError(f"interval {interval!r} is not offered; choose one of {', '.join(NAMES)}")
    low, high = proportion_interval(interval, base.estimate, base.se, level, base.df, base.n, base.n_eff)
    return Estimate("proportion", base.estimate, base.se, low, high, level, NAMES[interval], base.n,
                    base.n_eff, base.deff, base.df)  # fmt: skip


def ratio(
    design: SurveyDesign,
    y: ArrayLike,
    x: ArrayLike,
    domain: ArrayLike | None = None,
    level: float = 0.95,
    na_rm: bool = False,
) -> Estimate:
    """Ratio of totals sum(w y) / sum(w x) (R's ``svyratio``), linearised."""
    num, inside = _values(design, y, domain, na_rm)
    den, inside = _values(design, x, inside, na_rm)
    theta, cov = ratio_estimates(design, (num * inside)[:, None], (den * inside)[:, None])
    r = float(theta[0])
    w = design.weights[inside]
    spread = np.sum(w * (num[inside] - r * den[inside]) ** 2)
    srs = srs_variance(np.array([spread]), np.array([float(inside.sum())]), np.array([w.sum()]),
                       np.array([float(w @ den[inside])]))  # fmt: skip
    return _t_estimate(design, "ratio", r, float(cov[0, 0]), float(srs[0]), inside, level)


def quantile(
    design: SurveyDesign,
    y: ArrayLike,
    p: float,
    domain: ArrayLike | None = None,
    level: float = 0.95,
    na_rm: bool = False,
) -> Estimate:
    """The p-th quantile (R's ``svyquantile`` with ``qrule = "math"``: the smallest value whose
    weighted cumulative share reaches p) and Woodruff's interval (``interval.type = "mean"``):
    the design-based t interval of the share at or below the estimate, mapped back through the
    weighted cumulative distribution (an end beyond 0 or 1 is NaN). The standard error is the
    interval's width over twice the t critical value, as R reports it."""
    if not 0 < p < 1:
        raise OhmskError(f"a quantile's p must lie strictly between 0 and 1, not {p!r}")
    values, inside = _values(design, y, domain, na_rm)
    v, w = values[inside], design.weights[inside]
    estimate = weighted_quantile(v, w, p)
    below = mean(design, (values <= estimate).astype(float), inside, level)
    low, high = (weighted_quantile(v, w, q) if 0 <= q <= 1 else math.nan for q in (below.ci_low, below.ci_high))
    se = (high - low) / (2 * critical(level, below.df if below.df > 0 else None))
    return Estimate("quantile", estimate, se, low, high, level, "Woodruff", below.n, below.n_eff, math.nan, below.df)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, p: float) -> float:
    """R's ``qrule_math``: in value order, the last respondent whose cumulative weight is at
    most p of the total, if it reaches p exactly, and otherwise the next one."""
    order = np.argsort(values, kind="stable")
    # sums in extended precision, as R's cumsum() and sum() accumulate, so that a cumulative
    # share landing exactly on p is recognised as R recognises it
    extended = weights[order].astype(np.longdouble)
    ordered, cumulative = values[order], np.cumsum(extended).astype(float)
    total = float(extended.sum())
    at_most = int(np.count_nonzero(cumulative <= p * total))
    if at_most == 0:
        return float(ordered[0])
    if p - cumulative[at_most - 1] / total == 0:
        return float(ordered[at_most - 1])
    return float(ordered[min(at_most, len(ordered) - 1)])


def _values(design: SurveyDesign, y: ArrayLike, domain: ArrayLike | None, na_rm: bool) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(y, dtype=float)
    if len(values) != design.n:
        raise OhmskError(f"{len(values)} values for a design of {design.n} respondents")
    inside = np.ones(design.n, dtype=bool) if domain is None else np.asarray(domain, dtype=bool)
    missing = np.isnan(values) & inside
    if missing.any():
        if not na_rm:
            raise OhmskError(f"{int(missing.sum())} missing value(s) in the domain; pass na_rm=True to leave them out")
        inside = inside & ~missing
    if not inside.any():
        raise OhmskError("no respondents in the domain to estimate from")
    return np.where(inside, values, 0.0), inside


def _spread(design: SurveyDesign, values: np.ndarray, inside: np.ndarray) -> float:
    """The domain's simple-random-sample variance (:func:`srs_variance`) of `values`."""
    w, v = design.weights[inside], values[inside]
    centre = float(np.average(v, weights=w))
    spread, n, psum = np.sum(w * (v - centre) ** 2), float(len(v)), float(w.sum())
    return float(srs_variance(np.array([spread]), np.array([n]), np.array([psum]), np.array([psum]))[0])


def srs_variance(spread: np.ndarray, n: np.ndarray, psum: np.ndarray, big_x: np.ndarray) -> np.ndarray:
    """Variance under simple random sampling of each domain's size (R's ``deff = TRUE``
    denominator): the weighted variance of the residuals, `spread` = sum of w (y - R x)^2, with
    n / (n - 1), over n; times 1 - n / N-hat when the weights estimate a population larger than
    the sample; over the squared mean denominator big_x / psum (1 for means and shares)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = spread / psum * n / (n - 1)
        correction = np.where(psum > n, (psum - n) / psum, 1.0)
        out = variance * correction / n / (big_x / psum) ** 2
    return np.where(n > 1, out, math.nan)


def _t_estimate(
    design: SurveyDesign, kind: str, value: float, variance: float, srs_variance: float, inside: np.ndarray,
    level: float,
) -> Estimate:  # fmt: skip
    df = design.degf(inside)
    se = math.sqrt(max(variance, 0.0))
    half = critical(level, df if df > 0 else None) * se
    deff = variance / srs_variance if srs_variance and math.isfinite(srs_variance) else math.nan
    return Estimate(
        kind, value, se, value - half, value + half, level, f"t, {df} df", int(inside.sum()),
        kish_effective_n(design.weights[inside]), deff, df,
    )  # fmt: skip
