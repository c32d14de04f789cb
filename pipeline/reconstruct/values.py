"""Numeric answers inside allocated bands, nudged to hit published means and medians."""
from __future__ import annotations

import numpy as np

from ..errors import OhmskError


def draw(lo: np.ndarray, hi: np.ndarray, rng: np.random.Generator, integer: bool) -> np.ndarray:
    """Values between each respondent's band limits, skewed low as survey counts usually are."""
    u = rng.random(len(lo)) ** 1.6
    if integer:
        return np.floor(lo + u * (hi - lo + 1)).clip(lo, hi)
    return np.round(lo + u * (hi - lo), 1)


def pin_median(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, members: np.ndarray,
               median: float) -> None:
    """Make the members' median exactly `median`, and fence the bounds so later moves keep it.

    The middle value(s) in sorted order are set to the median; members below may not rise above
    it and members above may not fall below it.
    """
    idx = np.flatnonzero(members)
    order = idx[np.argsort(values[idx], kind="stable")]
    m = len(order)
    if m == 0:
        raise OhmskError("cannot set a median over no respondents")
    middle = order[(m - 1) // 2: m // 2 + 1]
    for i in middle:
        if not lo[i] <= median <= hi[i]:
            raise OhmskError(f"median {median} falls outside the band of the middle respondent "
                             f"({lo[i]:g}-{hi[i]:g}); adjust the band counts")
        values[i] = lo[i] = hi[i] = median
    below, above = order[: (m - 1) // 2], order[m // 2 + 1:]
    hi[below] = np.minimum(hi[below], median)
    values[below] = np.minimum(values[below], median)
    lo[above] = np.maximum(lo[above], median)
    values[above] = np.maximum(values[above], median)


def adjust_mean(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, members: np.ndarray,
                target: float, tol: float, integer: bool, weights: np.ndarray | None = None) -> None:
    """Move members' values within their bounds until the (weighted) mean is within `tol`.

    Spreads the gap in proportion to each value's room to move, then (for whole numbers)
    rounds and settles the remainder one unit at a time.
    """
    idx = np.flatnonzero(members)
    w = np.ones(len(values)) if weights is None else weights
    total_w = w[idx].sum()

    def gap() -> float:
        return target - (w[idx] * values[idx]).sum() / total_w

    for _ in range(100):
        g = gap()
        if abs(g) <= tol / 4:
            break
        room = (hi[idx] - values[idx]) if g > 0 else (values[idx] - lo[idx])
        if room.sum() <= 0:
            break
        move = np.sign(g) * np.minimum(room, abs(g) * total_w * room / (w[idx] * room).sum())
        values[idx] = np.clip(values[idx] + move, lo[idx], hi[idx])
    if integer:
        values[idx] = np.clip(np.round(values[idx]), lo[idx], hi[idx])
        for _ in range(100000):
            g = gap()
            if abs(g) <= tol:
                break
            room = (hi[idx] - values[idx]) if g > 0 else (values[idx] - lo[idx])
            if not (room >= 1).any():
                break
            j = idx[np.argmax(room)]
            values[j] += np.sign(g)
    if abs(gap()) > tol:
        raise OhmskError(f"cannot reach mean {target} (off by {gap():.3f}) within the band limits")
