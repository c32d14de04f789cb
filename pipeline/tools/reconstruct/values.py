"""Numeric answers inside allocated bands, nudged to hit published means and medians."""

from __future__ import annotations

import numpy as np

from pipeline.errors import OhmskError


def draw(lo: np.ndarray, hi: np.ndarray, rng: np.random.Generator, integer: bool) -> np.ndarray:
    """Values between each respondent's band limits, skewed low as survey counts usually are."""
    u = rng.random(len(lo)) ** 1.6
    if integer:
        return np.floor(lo + u * (hi - lo + 1)).clip(lo, hi)
    return np.round(lo + u * (hi - lo), 1)


def pin_median(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, members: np.ndarray, median: float) -> None:
    """Make the members' median exactly `median`, and fence the bounds so later moves keep it.

    The middle value(s) in sorted order are set to the median; members below may not rise above
    it and members above may not fall below it.
    """
    idx = np.flatnonzero(members)
    order = idx[np.argsort(values[idx], kind="stable")]
    m = len(order)
    if m == 0:
        raise OhmskError("cannot set a median over no respondents")
    middle = order[(m - 1) // 2 : m // 2 + 1]
    for i in middle:
        if not lo[i] <= median <= hi[i]:
            raise OhmskError(
                f"median {median} falls outside the band of the middle respondent "
                f"({lo[i]:g}-{hi[i]:g}); adjust the band counts"
            )
        values[i] = lo[i] = hi[i] = median
    below, above = order[: (m - 1) // 2], order[m // 2 + 1 :]
    hi[below] = np.minimum(hi[below], median)
    values[below] = np.minimum(values[below], median)
    lo[above] = np.maximum(lo[above], median)
    values[above] = np.maximum(values[above], median)


def adjust_mean(
    values: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    members: np.ndarray,
    target: float,
    tol: float,
    integer: bool,
    weights: np.ndarray | None = None,
) -> None:
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


def compose(
    targets: np.ndarray, rows: int, total: int, rng: np.random.Generator, concentration: float = 6.0
) -> np.ndarray:
    """Whole-number shares of `total` for `rows` respondents whose column sums are `targets`.

    Each row adds to at most `total` (the rest of the whole is left unattributed). Rows are
    drawn around the target mix (Dirichlet), then single units move between columns within a
    row until every column sum is exact; a column with a zero target stays zero.
    """
    targets = np.asarray(targets, dtype=int)
    rest = total * rows - int(targets.sum())
    if rest < 0 or (targets < 0).any():
        raise OhmskError(f"mean shares add to more than {total}")
    want = np.append(targets, rest)
    share = want / want.sum()
    live = share > 0
    out = np.zeros((rows, len(want)), dtype=int)
    for i in range(rows):
        draw = np.zeros(len(want))
        draw[live] = rng.dirichlet(concentration * share[live] + 0.02)
        raw = draw * total
        whole = np.floor(raw).astype(int)
        top = np.argsort(-(raw - whole), kind="stable")[: total - whole.sum()]
        whole[top] += 1
        out[i] = whole
    for _ in range(1_000_000):
        gap = out.sum(axis=0) - want
        if not gap.any():
            return out[:, :-1]
        over = rng.choice(np.flatnonzero(gap > 0))
        under = rng.choice(np.flatnonzero(gap < 0))
        holders = np.flatnonzero(out[:, over] > 0)
        i = rng.choice(holders)
        move = int(min(gap[over], -gap[under], out[i, over], 1 + rng.integers(4)))
        out[i, over] -= move
        out[i, under] += move
    raise OhmskError("could not settle the shares on their targets")


def fit_means_jointly(
    values: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    rules: list[tuple[np.ndarray, float, float, np.ndarray | None]],
    integer: bool,
) -> None:
    """Meet several (weighted) mean rules over overlapping groups at once, in place.

    Each rule is (members, target, tolerance, weights). One integer programme keeps every value
    within its bounds, puts every group's mean within its tolerance, and moves the values as
    little as possible (least total absolute change) from where they were drawn.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    idx = np.flatnonzero(np.logical_or.reduce([m for m, *_ in rules]))
    k = len(idx)
    pos = {r: j for j, r in enumerate(idx)}
    rows, lows, highs = [], [], []
    for members, target, tol, weights in rules:
        w = np.ones(len(values)) if weights is None else weights
        row = np.zeros(2 * k)
        for r in np.flatnonzero(members):
            row[pos[r]] = w[r]
        total = w[members].sum()
        rows.append(row)
        lows.append((target - tol) * total)
        highs.append((target + tol) * total)
    for j, r in enumerate(idx):  # deviation d_j >= |x_j - drawn_j|
        for sign in (1.0, -1.0):
            row = np.zeros(2 * k)
            row[j], row[k + j] = sign, -1.0
            rows.append(row)
            lows.append(-np.inf)
            highs.append(sign * values[r])
    cost = np.concatenate([np.zeros(k), np.ones(k)])
    integrality = np.concatenate([np.full(k, 1 if integer else 0), np.zeros(k)])
    bounds = Bounds(np.concatenate([lo[idx], np.zeros(k)]), np.concatenate([hi[idx], np.full(k, np.inf)]))
    res = milp(
        cost,
        constraints=LinearConstraint(np.array(rows), lows, highs),
        integrality=integrality,
        bounds=bounds,
        options={"time_limit": 60},
    )
    if res.x is None:
        raise OhmskError(f"the mean rules cannot all hold together within the band limits ({res.message})")
    values[idx] = np.round(res.x[:k]) if integer else res.x[:k]
