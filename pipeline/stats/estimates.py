"""Estimates with design-based standard errors: proportions, means and totals.

Pure functions of arrays; they know nothing about our surveys. Standard errors are Taylor
linearisation as R's survey package computes them (``svymean``, ``svytotal``) for one-stage
designs: simple random or stratified samples, each respondent its own sampling unit, with
optional weights and finite population corrections. Clustered designs are out of scope.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.errors import OhmskError
from pipeline.stats.calibration import kish_effective_n

ArrayLike: TypeAlias = Sequence | np.ndarray | pd.Series
Fpc: TypeAlias = float | Mapping[Hashable, float] | ArrayLike | None


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
    else:
        values = np.asarray(fpc, dtype=float)
        if values.ndim == 0:  # one number for the whole design
            if len(n_h) > 1 and float(values) > 1:
                raise OhmskError("a single population size needs an unstratified design; give fpc per stratum")
            per = np.full(len(n_h), float(values))
        else:
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
