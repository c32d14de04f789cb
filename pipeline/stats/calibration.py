"""Weighting: rim weighting (raking), cell weighting, and the Kish diagnostics a note reports.

Pure functions of a respondent frame and population figures. They know nothing about our
surveys: which variables to weight by, and to what, comes from the spec.

Margins (raking) and cells (post-stratification) map a category code to its population figure,
given either as counts or as shares (proportions or percentages). Counts are used as given;
shares are scaled to the weighted total of the respondents being weighted (or to the count total
when another margin is given as counts), so an unweighted sample keeps its size.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from pipeline.errors import OhmskError

Code = Hashable
Missing = Literal["raise", "keep"]


@dataclass(frozen=True)
class WeightDiagnostics:
    """How the fit went and what the weights cost in precision."""

    iterations: int
    converged: bool
    n: int
    min: float
    max: float
    mean: float
    efficiency: float  # Kish weighting efficiency, % (100 when all weights are equal)
    n_eff: float  # effective base, (sum w)^2 / sum w^2
    capped: int  # respondents whose weight was trimmed to the cap
    messages: tuple[str, ...]


@dataclass(frozen=True)
class WeightResult:
    """Weights indexed like the input frame, and their diagnostics."""

    weights: pd.Series
    diagnostics: WeightDiagnostics


@dataclass(frozen=True)
class _Margin:
    """One weighting variable (or cross-classification) resolved against the respondents."""

    name: str
    codes: list[Code]
    index: np.ndarray  # position in `codes` of each weighted respondent
    target: np.ndarray  # population figure per code, as given


def kish_effective_n(weights: Sequence[float] | np.ndarray | pd.Series) -> float:
    """Kish's effective base (sum w)^2 / sum w^2.

    The size of a simple random sample with the same precision as the weighted one, where only
    the weights cost precision; Wilson intervals and the classical tests use it when data are
    weighted. Equal weights give n.
    """
    w = np.asarray(weights, dtype=float)
    return float(effective_base(np.array([np.sum(w)]), np.array([np.sum(w * w)]))[0])


def effective_base(sum_w: np.ndarray, sum_w2: np.ndarray) -> np.ndarray:
    """Kish's effective base of each group from its sums of weights and of squared weights
    (0 where a group has no weight): what tables print beside their weighted figures."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sum_w2 > 0, sum_w**2 / np.where(sum_w2 > 0, sum_w2, 1), 0.0)


def rake(
    frame: pd.DataFrame,
    margins: Mapping[str, Mapping[Code, float]],
    weight: str | pd.Series | None = None,
    cap: float | None = None,
    tol: float = 1e-6,
    max_iter: int = 100,
    as_share: bool | None = None,
    missing: Missing = "raise",
) -> WeightResult:
    """Rim weighting: iterative proportional fitting of the weights to population margins.

    Parameters
    ----------
    frame : DataFrame
        One row per respondent, holding the raking variables.
    margins : mapping
        ``{variable: {code: population figure}}``; each variable's codes must cover every
        respondent's value, and every code with a positive figure needs a respondent.
    weight : str, Series or None
        Starting (design) weights: a column of `frame`, a Series aligned on its index, or
        None for ones.
    cap : float or None
        Trim weights to ``cap`` times the mean weight after each raking cycle, spreading the
        excess over the uncapped respondents so the total is kept; must exceed 1.
    tol : float
        Converged when every weighted margin is within ``tol`` times the total of its target.
    max_iter : int
        Raking cycles (one adjustment per variable, then any capping) before giving up.
    as_share : bool or None
        Whether figures are shares rather than counts; None reads a margin summing to 1 or
        100 (within 0.1%) as shares and any other as counts. Shares are rescaled to sum to 1.
    missing : {"raise", "keep"}
        Respondents with no value on a raking variable raise an error, or with "keep" keep
        their starting weight and are left out of the margins (shares are then scaled to the
        weighted total of the complete respondents).

    Returns
    -------
    WeightResult
        When the margins cannot be met within `max_iter` cycles (for instance under a tight
        cap), the weights of the last cycle with ``converged=False``, a message naming the
        worst margin, and a RuntimeWarning.
    """
    if not margins:
        raise OhmskError("rake needs at least one margin")
    start = _start_weights(frame, weight)
    complete = _complete(frame, list(margins), missing)
    resolved = [
        resolve_margin(str(var), frame.loc[complete, var].to_numpy(), targets) for var, targets in margins.items()
    ]
    return _fit(frame.index, start, complete, resolved, as_share, cap, tol, max_iter)


def poststratify(
    frame: pd.DataFrame,
    cells: Mapping[Code | tuple, float],
    by: Sequence[str],
    weight: str | pd.Series | None = None,
    as_share: bool | None = None,
    missing: Missing = "raise",
) -> WeightResult:
    """Cell weighting: scale the weights in each cell of `by` to its population figure.

    `cells` is keyed by code when `by` names one variable and by tuples of codes (in the order
    of `by`) otherwise. Figures, starting weights, `as_share` and `missing` are read as in
    :func:`rake`; the same errors apply to cells (empty cell, respondent in no cell).
    """
    by = list(by)
    if not by:
        raise OhmskError("poststratify needs at least one variable in `by`")
    start = _start_weights(frame, weight)
    complete = _complete(frame, by, missing)
    rows = frame.loc[complete, by]
    keys = rows[by[0]].tolist() if len(by) == 1 else list(rows.itertuples(index=False, name=None))
    name = by[0] if len(by) == 1 else "(" + ", ".join(by) + ")"
    return _fit(
        frame.index, start, complete, [resolve_margin(name, keys, cells)], as_share, cap=None, tol=1e-9, max_iter=1
    )


def _start_weights(frame: pd.DataFrame, weight: str | pd.Series | None) -> np.ndarray:
    if weight is None:
        return np.ones(len(frame))
    if isinstance(weight, str):
        if weight not in frame.columns:
            raise OhmskError(f"weight variable {weight!r} is not in the data")
        values = frame[weight]
    else:
        values = weight.reindex(frame.index)
    w = values.to_numpy(dtype=float, na_value=np.nan)
    bad = ~(np.isfinite(w) & (w > 0))
    if bad.any():
        raise OhmskError(
            f"starting weights must be positive numbers; {int(bad.sum())} "
            f"respondent(s) have a missing, zero or negative weight"
        )
    return w


def _complete(frame: pd.DataFrame, variables: list[str], missing: Missing) -> np.ndarray:
    """Respondents with a value on every weighting variable; the rest raise unless kept."""
    if missing not in ("raise", "keep"):
        raise OhmskError(f"missing must be 'raise' or 'keep', not {missing!r}")
    absent = [v for v in variables if v not in frame.columns]
    if absent:
        raise OhmskError(f"weighting variable(s) {', '.join(map(repr, absent))} not in the data")
    na = frame[variables].isna()
    if missing == "raise" and na.to_numpy().any():
        counts = ", ".join(f"{v}: {int(k)}" for v, k in na.sum().items() if k)
        raise OhmskError(
            f"{int(na.any(axis=1).sum())} respondent(s) have no value on a "
            f"weighting variable ({counts}); drop them or pass missing='keep' "
            f"to keep their starting weight"
        )
    return ~na.any(axis=1).to_numpy()


def _positions(values: Sequence | np.ndarray, codes: list[Code]) -> np.ndarray:
    """Each respondent's position among `codes`, -1 where the code is not there."""
    if any(isinstance(code, tuple) for code in codes):  # cells of several variables
        position = {code: i for i, code in enumerate(codes)}
        return np.fromiter((position.get(v, -1) for v in values), dtype=int, count=len(values))
    return pd.Index(codes).get_indexer(pd.Index(values))  # hashed lookup in C: fast for millions


def resolve_margin(name: str, values: Sequence | np.ndarray, targets: Mapping[Code, float]) -> _Margin:
    """Resolve respondents' codes against a margin, refusing codes either side lacks."""
    codes = list(targets)
    index = _positions(values, codes)
    if (index < 0).any():
        stray = pd.Series([v for v, i in zip(values, index) if i < 0]).value_counts()
        listed = ", ".join(f"{name}={v!r} ({k})" for v, k in stray.items())
        raise OhmskError(f"{int(stray.sum())} respondent(s) have a category the margins for {name!r} lack: {listed}")
    target = np.array([float(targets[c]) for c in codes])
    counts = np.bincount(index, minlength=len(codes))
    for code, t, k in zip(codes, target, counts):
        if not np.isfinite(t) or t < 0:
            raise OhmskError(f"margin {name}={code!r} has target {t!r}; targets must be non-negative numbers")
        if t > 0 and k == 0:
            raise OhmskError(
                f"margin {name}={code!r} (target {t:g}) has no respondents in the "
                f"sample; combine it with another category"
            )
        if t == 0 and k > 0:
            raise OhmskError(f"margin {name}={code!r} has target 0 but {k} respondent(s); weighting would discard them")
    return _Margin(name, codes, index, target)


def as_counts(target: np.ndarray, total: float) -> np.ndarray:
    """A margin as population counts: shares (summing to 1 or 100) scaled to `total`, counts as
    given, as :func:`rake` reads margins."""
    target = np.asarray(target, dtype=float)
    return target / target.sum() * total if is_share(target) else target


def is_share(target: np.ndarray) -> bool:
    total = target.sum()
    return abs(total - 1) <= 1e-3 or abs(total - 100) <= 0.1


def _scaled_targets(
    margins: list[_Margin], as_share: bool | None, sample_total: float, tol: float
) -> tuple[list[np.ndarray], float]:
    """Every margin as counts on one common total, or an error if count margins disagree."""
    shares = [as_share if as_share is not None else is_share(m.target) for m in margins]
    count_totals = {m.name: m.target.sum() for m, s in zip(margins, shares) if not s}
    total = next(iter(count_totals.values()), sample_total)
    if any(abs(t - total) > tol * total for t in count_totals.values()):
        listed = ", ".join(f"{name} sums to {t:g}" for name, t in count_totals.items())
        raise OhmskError(f"the count margins disagree on the population total ({listed}); raking cannot meet them all")
    return [m.target / m.target.sum() * total if s else m.target for m, s in zip(margins, shares)], total


def _fit(
    index: pd.Index,
    start: np.ndarray,
    complete: np.ndarray,
    margins: list[_Margin],
    as_share: bool | None,
    cap: float | None,
    tol: float,
    max_iter: int,
) -> WeightResult:
    if max_iter < 1:
        raise OhmskError("max_iter must be at least 1")
    if cap is not None and cap <= 1:
        raise OhmskError(f"cap must exceed 1 (a multiple of the mean weight), not {cap!r}")
    if not complete.any():
        raise OhmskError("no respondent has a value on every weighting variable")
    w = start[complete].copy()
    targets, total = _scaled_targets(margins, as_share, float(w.sum()), tol)
    kept_total = float(start[~complete].sum())
    limit = cap * (total + kept_total) / len(start) if cap is not None else None
    if limit is not None and limit * len(w) <= total:
        raise OhmskError(f"cap {cap:g} is too low for the respondents being weighted")
    capped = np.zeros(len(w), dtype=bool)
    converged, iterations = False, 0
    while not converged and iterations < max_iter:
        iterations += 1
        newton = _newton_step(w, margins, targets) if limit is None and iterations > _NEWTON_AFTER else None
        if newton is not None:
            w = newton
        else:
            for m, t in zip(margins, targets):
                w *= _ratios(t, np.bincount(m.index, weights=w, minlength=len(t)))[m.index]
        if limit is not None:
            w, capped = _trim(w, limit)
        converged = bool(_worst_gap(w, margins, targets)[0] <= tol * total)
    weights = start.copy()
    weights[complete] = w
    messages = _messages(w, margins, targets, total, converged, iterations, capped, limit, int((~complete).sum()))
    if not converged:
        warnings.warn(messages[0], RuntimeWarning, stacklevel=3)
    return WeightResult(
        pd.Series(weights, index=index, name="weight"),
        weight_diagnostics(weights, iterations, converged, int(capped.sum()), messages),
    )


# Raking cycles (iterative proportional fitting) converge fast in the usual case but can crawl
# when margins are nearly redundant (two variables that almost always agree): after this many
# cycles without convergence, uncapped raking takes Newton steps on the same fit instead.
_NEWTON_AFTER = 20


def _newton_step(w: np.ndarray, margins: list[_Margin], targets: list[np.ndarray]) -> np.ndarray | None:
    """One Newton-Raphson step of raking, or None if it would not bring the margins closer.

    Raking weights are the starting weights times exp(sum of one factor per category of each
    margin) (Deville and Sarndal's raking calibration, as R survey's calibrate(calfun="raking")
    solves it); Newton's method finds those factors quadratically fast. The Hessian is the
    weighted cross-tabulation of the margins' categories; it is singular (every margin's
    categories sum to everyone), so the step is the least-squares solution. Steps are halved
    until the worst margin gap shrinks.
    """
    offsets = np.cumsum([0] + [len(t) for t in targets])
    hessian = np.zeros((offsets[-1], offsets[-1]))
    gap = np.concatenate([t - np.bincount(m.index, weights=w, minlength=len(t)) for m, t in zip(margins, targets)])
    for i, (a, ta) in enumerate(zip(margins, targets)):
        for j, (b, tb) in enumerate(zip(margins, targets)):
            if j < i:
                continue
            cross = np.bincount(a.index * len(tb) + b.index, weights=w, minlength=len(ta) * len(tb))
            block = cross.reshape(len(ta), len(tb))
            hessian[offsets[i] : offsets[i + 1], offsets[j] : offsets[j + 1]] = block
            hessian[offsets[j] : offsets[j + 1], offsets[i] : offsets[i + 1]] = block.T
    step = np.linalg.lstsq(hessian, gap, rcond=None)[0]
    before = np.abs(gap).max()
    for _ in range(12):
        exponent = sum(step[offsets[i] + m.index] for i, m in enumerate(margins))
        trial = w * np.exp(np.clip(exponent, -50, 50))
        if _worst_gap(trial, margins, targets)[0] < before:
            return trial
        step = step / 2
    return None


def _ratios(target: np.ndarray, achieved: np.ndarray) -> np.ndarray:
    """Adjustment factor per category; 1 where a zero target has no respondents to adjust."""
    return np.divide(target, achieved, out=np.ones_like(target), where=achieved > 0)


def _trim(w: np.ndarray, limit: float) -> tuple[np.ndarray, np.ndarray]:
    """Cap weights at `limit`, spreading the excess over the rest until none exceeds it.

    The capped set only grows, so this ends within len(w) rounds; the total is unchanged.
    """
    total = w.sum()
    capped = np.zeros(len(w), dtype=bool)
    while True:
        over = w > limit * (1 + 1e-12)
        if not over.any():
            return w, capped
        capped |= over
        w = np.where(capped, limit, w)
        free = ~capped
        w[free] *= (total - limit * capped.sum()) / w[free].sum()


def _worst_gap(
    w: np.ndarray, margins: list[_Margin], targets: list[np.ndarray]
) -> tuple[float, str, Code, float, float]:
    """(gap, variable, code, achieved, target) for the margin furthest from its target."""
    worst: tuple[float, str, Code, float, float] = (0.0, "", None, 0.0, 0.0)
    for m, t in zip(margins, targets):
        achieved = np.bincount(m.index, weights=w, minlength=len(t))
        i = int(np.argmax(np.abs(achieved - t)))
        gap = float(abs(achieved[i] - t[i]))
        if gap > worst[0]:
            worst = (gap, m.name, m.codes[i], float(achieved[i]), float(t[i]))
    return worst


def _messages(
    w: np.ndarray,
    margins: list[_Margin],
    targets: list[np.ndarray],
    total: float,
    converged: bool,
    iterations: int,
    capped: np.ndarray,
    limit: float | None,
    kept: int,
) -> tuple[str, ...]:
    if converged:
        out = [f"converged after {iterations} iteration(s)"]
    else:
        gap, name, code, achieved, target = _worst_gap(w, margins, targets)
        out = [
            f"weighting did not converge in {iterations} iteration(s): {name}={code!r} "
            f"is weighted to {achieved:.6g} against a target of {target:.6g} "
            f"({gap / total:.2%} of the total)"
        ]
    if limit is not None and capped.any():
        out.append(f"{int(capped.sum())} weight(s) capped at {limit:.6g}")
    if kept:
        out.append(f"{kept} respondent(s) with a missing weighting variable keep their starting weight")
    return tuple(out)


def weight_diagnostics(
    weights: np.ndarray, iterations: int, converged: bool, capped: int, messages: tuple[str, ...]
) -> WeightDiagnostics:
    n_eff = kish_effective_n(weights)
    return WeightDiagnostics(
        iterations=iterations,
        converged=converged,
        n=len(weights),
        min=float(weights.min()),
        max=float(weights.max()),
        mean=float(weights.mean()),
        efficiency=100.0 * n_eff / len(weights),
        n_eff=n_eff,
        capped=capped,
        messages=messages,
    )
