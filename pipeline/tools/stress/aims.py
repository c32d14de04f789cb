"""The random perturbations: a share shifted by 15-40 points, a subgroup difference reversed, a new
leader in a ranked list, a mean moved across its median.

Each is aimed at before the draw by tilting the resampling probabilities of the respondents it
concerns (exponential tilting of the empirical distribution, as in Efron's weighted bootstrap:
Efron 1981, "Nonparametric standard errors and confidence intervals", Canadian Journal of
Statistics 9(2)), and checked after it: sampling noise may miss an aim.
"""

from __future__ import annotations

import math

import numpy as np

from pipeline.tools.stress.candidates import Share, pick_pair, rank_codes
from pipeline.tools.stress.meter import Cell
from pipeline.tools.stress.record import Perturbation
from pipeline.tools.stress.wave import Wave

SHIFT = (15.0, 40.0)  # a large shift, in percentage points (the range)
MARGIN = 3.0  # points by which a reversed difference, a new leader or a crossed median must clear
RANDOM_KINDS = {"shift": 3, "reversal": 1, "new_leader": 1, "mean_median": 1}  # at least this many each


def _odds(p: float) -> float:
    p = min(max(p, 0.5), 99.5) / 100
    return p / (1 - p)


def _aim_shift(w: Wave, c: Share) -> bool:
    """Tilt the category's respondents so its share moves 15-40 points, in a feasible direction."""
    code = c.codes[w.rng.integers(len(c.codes))]
    cell = Cell(c.table, c.series, code)
    p0 = w.before(cell)
    if not 10 <= p0 <= 90 or w.meter.base(cell, np.ones(len(w.source.raw[c.survey]), dtype=int)) < 40:
        return False
    up = p0 + SHIFT[0] + 5 <= 97 and (p0 - SHIFT[0] - 5 < 3 or w.rng.random() < 0.5)
    size = w.rng.uniform(SHIFT[0] + 3, SHIFT[1] - 5)
    p1 = p0 + size if up else p0 - size
    if not 3 <= p1 <= 97:
        return False
    t = w.meter.share(cell)
    w.tilt[c.survey][t.base & t.hit] *= _odds(p1) / _odds(p0)

    def check() -> Perturbation | None:
        after = w.value(cell)
        moved = abs(after - p0)
        ok = SHIFT[0] <= moved <= SHIFT[1] and (after > p0) == up
        return Perturbation("shift", c.survey, (cell,), (p0,), (after,), f"{after - p0:+.1f} points") if ok else None

    w.aims.append(("shift", check))
    return True


def _aim_reversal(w: Wave, c: Share) -> bool:
    """Swap the odds of a category in two subgroup columns, so their difference reverses."""
    pair = pick_pair(w, c.columns)
    if pair is None:
        return False
    code = c.codes[w.rng.integers(len(c.codes))]
    ca, cb = (Cell(c.table, c.series, code, col) for col in pair)
    pa, pb = w.before(ca), w.before(cb)
    ones = np.ones(len(w.source.raw[c.survey]), dtype=int)
    if math.isnan(pa) or math.isnan(pb) or abs(pa - pb) < 8 or min(w.meter.base(ca, ones), w.meter.base(cb, ones)) < 15:
        return False
    for cell, frm, to in ((ca, pa, pb), (cb, pb, pa)):
        t = w.meter.share(cell)
        w.tilt[c.survey][t.base & t.hit] *= (_odds(to) / _odds(frm)) ** 1.3

    def check() -> Perturbation | None:
        qa, qb = w.value(ca), w.value(cb)
        ok = (qa - qb) * (pa - pb) < 0 and abs(qa - qb) >= MARGIN
        return Perturbation("reversal", c.survey, (ca, cb), (pa, pb), (qa, qb)) if ok else None

    w.aims.append(("reversal", check))
    return True


def _aim_leader(w: Wave, c: Share) -> bool:
    """Raise a runner-up's share above the leader's, so a ranked list has a new first."""
    if len(c.codes) < 3:
        return False
    ranked = rank_codes(w, c, w.before)
    (p1, leader), rest = ranked[0], ranked[1:4]
    pc, code = rest[w.rng.integers(len(rest))]
    if not 5 <= pc < p1 or p1 - pc > 35:
        return False
    cell, lead = Cell(c.table, c.series, code), Cell(c.table, c.series, leader)
    t, tl = w.meter.share(cell), w.meter.share(lead)
    w.tilt[c.survey][t.base & t.hit & ~tl.hit] *= _odds(min(p1 + 12, 95)) / _odds(pc)
    w.tilt[c.survey][tl.base & tl.hit & ~t.hit] *= 0.7

    def check() -> Perturbation | None:
        now = rank_codes(w, c, w.value)
        ok = now[0][1] == code and now[0][0] - now[1][0] >= MARGIN
        return (
            Perturbation(
                "new_leader",
                c.survey,
                (lead, cell),
                (p1, pc),
                (w.value(lead), now[0][0]),
                f"code {code} leads instead of code {leader}",
            )
            if ok
            else None
        )

    w.aims.append(("new_leader", check))
    return True


def _aim_mean_median(w: Wave, mean: Cell) -> bool:
    """Concentrate the distribution just past the median on the mean's far side, thinning the
    tail on its own side, so the mean ends on the other side of the median (skew reversed)."""
    median = Cell(mean.table, mean.series, None, mean.column, "median")
    m0, d0 = w.before(mean), w.before(median)
    t = w.meter.stat(mean)
    ok = t.base & ~np.isnan(t.values)
    v = t.values
    if ok.sum() < 20 or len(np.unique(v[ok])) < 4 or m0 == d0:
        return False
    lo, hi = np.percentile(v[ok], [25, 75])
    tilt = w.tilt[t.survey]
    if m0 > d0:  # right-skewed: make it left-skewed
        tilt[ok & (v > d0) & (v <= hi)] *= 4.0
        tilt[ok & (v > hi)] *= 0.15
    else:
        tilt[ok & (v < d0) & (v >= lo)] *= 4.0
        tilt[ok & (v < lo)] *= 0.15

    def check() -> Perturbation | None:
        m1, d1 = w.value(mean), w.value(median)
        crossed = (m1 - d1) * (m0 - d0) < 0 and abs(m1 - d1) >= 0.05 * max(abs(m0 - d0), 1e-9)
        return Perturbation("mean_median", t.survey, (mean, median), (m0, d0), (m1, d1)) if crossed else None

    w.aims.append(("mean_median", check))
    return True


def aim_random(w: Wave, shares: list[Share], numeric: list[Cell]) -> None:
    """Tilts for the random perturbations, each on a variable not yet perturbed."""
    wanted = [("shift", 5), ("reversal", 2), ("new_leader", 2), ("mean_median", 1)]
    aim = {"shift": _aim_shift, "reversal": _aim_reversal, "new_leader": _aim_leader}
    for kind, count in wanted:
        pool = numeric if kind == "mean_median" else shares
        done = 0
        for j in w.rng.permutation(len(pool)):
            c = pool[j]
            survey = w.meter.target(c).survey if kind == "mean_median" else c.survey
            var = w.meter.series(c).var if kind == "mean_median" else c.var
            if done == count or not w.free(survey, var):
                continue
            if _aim_mean_median(w, c) if kind == "mean_median" else aim[kind](w, c):
                w.used.add((survey, var))
                done += 1
