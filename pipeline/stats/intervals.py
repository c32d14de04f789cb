"""Confidence intervals for a proportion from a design-based estimate and its standard error.

The methods are those of R survey's ``svyciprop`` (Lumley 2010, section 2.3.1), on the design's
degrees of freedom, plus Wilson's score interval on Kish's effective base (the pipeline's
default for tables, as market-research tables print it). Each takes the estimate, its
standard error and the t quantile's degrees of freedom.

References
----------
E. L. Korn and B. I. Graubard, "Confidence intervals for proportions with small expected number
of positive counts estimated from survey data", Survey Methodology 24 (1998), 193-201.
E. B. Wilson, "Probable inference, the law of succession, and statistical inference", JASA 22
(1927), 209-212.
L. Kish, *Survey Sampling*, Wiley, 1965 (the effective sample size).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from scipy import special, stats

from pipeline.errors import OhmskError

Interval = tuple[float, float]


def critical(level: float, df: float | None) -> float:
    """The two-sided critical value: Student's t on `df` degrees of freedom, normal when None."""
    tail = (1 - level) / 2
    return float(stats.norm.isf(tail) if df is None or not math.isfinite(df) else stats.t.isf(tail, df))


def wald(p: float, se: float, level: float, df: float | None) -> Interval:
    """p plus or minus t x se (R's ``method = "mean"``); may leave [0, 1]."""
    half = critical(level, df) * se
    return p - half, p + half


def logit(p: float, se: float, level: float, df: float | None) -> Interval:
    """On the logit scale, back-transformed (R's ``"logit"`` and ``"xlogit"``): inside (0, 1)."""
    if p <= 0 or p >= 1:
        return p, p
    centre, half = math.log(p / (1 - p)), critical(level, df) * se / (p * (1 - p))
    return _expit(centre - half), _expit(centre + half)


def arcsine(p: float, se: float, level: float, df: float | None) -> Interval:
    """On the arcsine square-root scale (R's ``"asin"``), clipped to the scale's range."""
    if p <= 0 or p >= 1:
        return p, p
    centre, half = math.asin(math.sqrt(p)), critical(level, df) * se / (2 * math.sqrt(p * (1 - p)))
    return math.sin(max(centre - half, 0.0)) ** 2, math.sin(min(centre + half, math.pi / 2)) ** 2


def beta(p: float, se: float, level: float, df: float | None, n: int) -> Interval:
    """Korn and Graubard's Clopper-Pearson interval on the design's effective size
    p(1 - p) / se^2, scaled by (t_{n-1} / t_df)^2 (R's ``"beta"``)."""
    if se <= 0:
        return p, p
    tail = (1 - level) / 2
    n_eff = p * (1 - p) / se**2
    if df is not None and n > 1:
        n_eff *= (float(stats.t.isf(tail, n - 1)) / critical(level, df)) ** 2
    low = float(stats.beta.ppf(tail, n_eff * p, n_eff * (1 - p) + 1)) if p > 0 else 0.0
    high = float(stats.beta.isf(tail, n_eff * p + 1, n_eff * (1 - p))) if p < 1 else 1.0
    return low, high


def wilson(p: float, n_eff: float, level: float) -> Interval:
    """Wilson's score interval on an effective base: inside [0, 1], sound near 0% and 100%."""
    if n_eff <= 0:
        return math.nan, math.nan
    z2 = critical(level, None) ** 2
    denom = 1 + z2 / n_eff
    centre = (p + z2 / (2 * n_eff)) / denom
    half = math.sqrt(z2 * (p * (1 - p) / n_eff + z2 / (4 * n_eff * n_eff))) / denom
    return float(centre - half), float(centre + half)


METHODS: dict[str, Callable[[float, float, float, float | None], Interval]] = {
    "mean": wald,
    "logit": logit,
    "xlogit": logit,
    "asin": arcsine,
}
NAMES = {
    "wilson": "Wilson score interval on the effective base",
    "mean": "Wald (t) interval",
    "logit": "logit interval",
    "xlogit": "logit interval",
    "asin": "arcsine interval",
    "beta": "Korn-Graubard (beta) interval",
}


def proportion_interval(
    method: str, p: float, se: float, level: float, df: float | None, n: int, n_eff: float
) -> Interval:
    """The interval `method` gives (a key of :data:`NAMES`); `n` respondents, `n_eff` Kish base."""
    if method == "wilson":
        return wilson(p, n_eff, level)
    if method == "beta":
        return beta(p, se, level, df, n)
    if method not in METHODS:
        raise OhmskError(f"interval {method!r} is not offered; choose one of {', '.join(NAMES)}")
    return METHODS[method](p, se, level, df)


def _expit(x: float) -> float:
    """The logistic function, without overflow at either end (R's plogis)."""
    return float(special.expit(x))
