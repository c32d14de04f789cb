"""Calibration to population totals with a distance function, and trimming of weights.

:func:`calibrate` finds weights w = d g(x' lambda) closest to the design weights d whose
weighted totals of the calibration variables x equal the population's: linear distance (GREG,
g = 1 + u, optionally truncated to bounds), raking (g = exp u) or bounded logit (g kept inside
(L, U)). Newton's method solves the calibration equations, as R survey's ``calibrate()`` does
(its ``grake``). The design it returns carries the calibration, so variances use the residuals
of the calibration regression (:class:`pipeline.stats.design.Calibration`). Raking to margins
by iterative proportional fitting, with its diagnostics, is
:func:`pipeline.stats.calibration.rake`.

:func:`trim_weights` caps weights at bounds and shares what it removed equally among the
weights inside them, as R's ``trimWeights()``.

References
----------
J.-C. Deville and C.-E. Särndal, "Calibration estimators in survey sampling", JASA 87 (1992),
376-382.
J.-C. Deville, C.-E. Särndal and O. Sautory, "Generalized raking procedures in survey
sampling", JASA 88 (1993), 1013-1020.
T. Lumley, *Complex Surveys*, Wiley, 2010, chapter 7.
"""

from __future__ import annotations

import math

import numpy as np

from pipeline.errors import OhmskError
from pipeline.stats.design import Calibration, SurveyDesign

METHODS = ("linear", "raking", "logit")


def _adjustment(method: str, u: np.ndarray, bounds: tuple[float, float] | None) -> tuple[np.ndarray, np.ndarray]:
    """The g-weight g(u) and its derivative for a distance function."""
    if method == "raking":
        g = np.exp(u)
        return g, g
    if method == "linear":
        if bounds is None:
            return 1 + u, np.ones_like(u)
        low, high = bounds
        return np.clip(1 + u, low, high), ((1 + u > low) & (1 + u < high)).astype(float)
    low, high = bounds if bounds is not None else (0.0, math.inf)
    a = (high - low) / ((1 - low) * (high - 1))
    e = np.exp(np.clip(a * u, -300, 300))
    denominator = (high - 1) + (1 - low) * e
    g = (low * (high - 1) + high * (1 - low) * e) / denominator
    return g, a * (e / denominator) * (1 - low) * (high - 1) * (high - low) / denominator


def calibrate(
    design: SurveyDesign,
    matrix: np.ndarray,
    population: np.ndarray,
    method: str = "linear",
    bounds: tuple[float, float] | None = None,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> SurveyDesign:
    """The design with weights calibrated so that ``w @ matrix == population``.

    Parameters
    ----------
    design : SurveyDesign
        Its weights are the starting (design) weights d.
    matrix : ndarray, n x p
        The calibration variables, one column per population total (include a column of ones
        to calibrate the population size, as R's model matrix does with its intercept).
    population : ndarray, p
        The population totals.
    method : {"linear", "raking", "logit"}
        The distance function; "logit" needs `bounds` with L < 1 < U.
    bounds : (float, float) or None
        Limits on g = w / d (linear: truncated; logit: the range of the function).
    """
    x = np.asarray(matrix, dtype=float)
    target = np.asarray(population, dtype=float)
    if method not in METHODS:
        raise OhmskError(f"calibration method must be one of {', '.join(METHODS)}, not {method!r}")
    if x.shape != (design.n, len(target)):
        raise OhmskError(f"{x.shape[1] if x.ndim == 2 else '?'} calibration variables for {len(target)} totals")
    if method == "logit" and (bounds is None or not bounds[0] < 1 < bounds[1]):
        raise OhmskError("logit calibration needs bounds (L, U) with L < 1 < U")
    d = design.weights

    def misfit_at(eta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        g, slope = _adjustment(method, x @ eta, bounds)
        return target - (d * g) @ x, g, slope

    eta = np.zeros(x.shape[1])
    misfit, g, slope = misfit_at(eta)
    for iterations in range(max_iter):
        worst = float(np.max(np.abs(misfit) / (1 + np.abs(target))))
        if worst < tol:
            w = d * g
            return design.with_weights(w, Calibration(x, d.copy(), w, iterations), f"calibrated ({method})")
        step = np.linalg.pinv((x * (d * slope)[:, None]).T @ x) @ misfit
        for _ in range(40):  # Newton's step, halved until the fit improves (a bounded g saturates)
            trial = misfit_at(eta + step)
            if float(np.max(np.abs(trial[0]) / (1 + np.abs(target)))) < worst:
                break
            step = step / 2
        eta = eta + step
        misfit, g, slope = trial
    worst = float(np.max(np.abs(misfit) / (1 + np.abs(target))))
    raise OhmskError(
        f"calibration ({method}) did not meet the population totals in {max_iter} iterations "
        f"(worst relative misfit {worst:.2g}); the bounds may be too tight for these totals"
    )


def trim_weights(
    design: SurveyDesign, lower: float = -math.inf, upper: float = math.inf, strict: bool = False
) -> SurveyDesign:
    """Weights cut to [lower, upper], what was cut shared equally among the untrimmed weights
    (so the total is kept); with `strict`, repeated until no weight is outside the bounds."""
    if not lower < upper:
        raise OhmskError(f"trimming needs lower < upper, not {lower!r} and {upper!r}")
    w = design.weights.copy()
    if strict and not lower <= float(w.mean()) <= upper:
        raise OhmskError(
            f"the mean weight {w.mean():g} lies outside the trimming bounds [{lower:g}, {upper:g}], so no "
            f"trimming can keep the weights' total; widen the bounds"
        )
    for _ in range(1000):
        outside = (w < lower) | (w > upper)
        if not outside.any():
            break
        if outside.all():
            raise OhmskError("every weight lies outside the trimming bounds; nothing is left to take the excess")
        trimmed = np.clip(w, lower, upper)
        trimmed[~outside] += (w - trimmed).sum() / (~outside).sum()
        w = trimmed
        if not strict:
            break
    else:
        raise OhmskError(f"trimming to [{lower:g}, {upper:g}] did not settle in 1000 passes; widen the bounds")
    return design.with_weights(w, None, f"trimmed to [{lower:g}, {upper:g}]")
