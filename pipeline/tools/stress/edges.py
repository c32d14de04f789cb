"""The edge cases prose must survive: a category at zero, every respondent giving one answer, a tie
for first, a share exactly on a word's boundary, a subgroup under the minimum or caution base,
equal shares in compared groups, a mean equal to its median.

They are made after the draw by keeping, dropping or repeating whole respondents, each with the
check that it still holds once every edit is made.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from pipeline.present.words import PHRASES
from pipeline.tools.stress.candidates import Share, pick_pair, rank_codes
from pipeline.tools.stress.meter import Cell, ShareTarget
from pipeline.tools.stress.record import Perturbation
from pipeline.tools.stress.wave import Edit, Wave, margins_kept

EDGE_KINDS = (
    "zero",
    "all_one",
    "tie_first",
    "word_boundary",
    "under_min_base",
    "under_caution_base",
    "equal_shares",
    "mean_equals_median",
)


def _set_share(e: Edit, t: ShareTarget, h: int, n: int) -> bool:
    """Exactly h hits in a base of n (within one column), by adding or removing single-row units."""
    rows = e.w.rows(e.survey)
    dh = h - int(rows[t.base & t.hit].sum())
    dm = (n - h) - int(rows[t.base & ~t.hit].sum())
    ok = True
    for delta, which in ((dh, t.base & t.hit), (dm, t.base & ~t.hit)):
        ok &= e.add(which, delta) if delta >= 0 else e.remove(which, -delta)
    return bool(ok)


def _edge_zero(w: Wave, c: Share) -> Callable[[], Perturbation | None] | None:
    code = c.codes[w.rng.integers(len(c.codes))]
    cell = Cell(c.table, c.series, code)
    p0, now = w.before(cell), w.value(cell)
    if not 3 <= now <= 50:
        return None
    e, t = Edit(w, c.survey), w.meter.share(cell)
    size = e.size()
    e.remove(t.base & t.hit)
    e.pad(size, ~(t.base & t.hit))
    return lambda: _exact("zero", w, c.survey, (cell,), (p0,), lambda v: v[0] == 0)


def _edge_all_one(w: Wave, c: Share) -> Callable[[], Perturbation | None] | None:
    code = c.codes[w.rng.integers(len(c.codes))]
    cell = Cell(c.table, c.series, code)
    p0, now = w.before(cell), w.value(cell)
    if not 40 <= now < 100:
        return None
    e, t = Edit(w, c.survey), w.meter.share(cell)
    size = e.size()
    e.remove(t.base & ~t.hit)
    if w.meter.base(cell, w.rows(c.survey)) < 10:
        return None
    e.pad(size, ~(t.base & ~t.hit))
    return lambda: _exact(
        "all_one", w, c.survey, (cell,), (p0,), lambda v: v[0] == 100, "every respondent in the base gives this answer"
    )


def _edge_tie(w: Wave, c: Share) -> Callable[[], Perturbation | None] | None:
    if len(c.codes) < 3:
        return None
    ranked = rank_codes(w, c, w.value)
    (p1, c1), (p2, c2) = ranked[:2]
    if not 10 <= p2 <= p1 or p1 - p2 > 25:
        return None
    e = Edit(w, c.survey)
    t1, t2 = w.meter.share(Cell(c.table, c.series, c1)), w.meter.share(Cell(c.table, c.series, c2))
    rows = w.rows(c.survey)
    gap = int(rows[t1.base & t1.hit].sum() - rows[t2.base & t2.hit].sum())
    others = np.zeros_like(t1.hit)
    for code in c.codes:
        if code not in (c1, c2):
            others |= w.meter.share(Cell(c.table, c.series, code)).hit
    if not e.remove(t1.base & t1.hit & ~t2.hit & ~others, gap):
        return None
    cells = (Cell(c.table, c.series, c1), Cell(c.table, c.series, c2))

    def holds(v: tuple[float, ...]) -> bool:
        top = rank_codes(w, c, w.value)
        return v[0] == v[1] == top[0][0] and v[0] > 0

    return lambda: _exact(
        "tie_first", w, c.survey, cells, tuple(map(w.before, cells)), holds, "two categories share first place"
    )


def _edge_boundary(w: Wave, c: Share) -> Callable[[], Perturbation | None] | None:
    """A share exactly on a phrase's lowest percentage (pipeline.present.words.PHRASES)."""
    code = c.codes[w.rng.integers(len(c.codes))]
    cell = Cell(c.table, c.series, code)
    e, t = Edit(w, c.survey), w.meter.share(cell)
    n = w.meter.base(cell, w.rows(c.survey))
    now = w.value(cell)
    bounds = [b for b, _ in PHRASES if 0 < b < 100 and 100 // math.gcd(b, 100) <= n]
    if math.isnan(now) or n < 20 or not bounds:
        return None
    b = min(bounds, key=lambda x: (abs(x - now), x))
    q = 100 // math.gcd(b, 100)
    n1 = max(q, round(n / q) * q)
    if not _set_share(e, t, b * n1 // 100, n1):
        return None
    return lambda: _exact(
        "word_boundary",
        w,
        c.survey,
        (cell,),
        (w.before(cell),),
        lambda v: v[0] == b,
        f"exactly {b}%: the lowest share worded {dict(PHRASES)[b]!r}",
    )


def _edge_base(w: Wave, c: Share, caution: bool) -> Callable[[], Perturbation | None] | None:
    """A subgroup column's base brought under the table's caution or minimum base."""
    if not c.columns:
        return None
    spec = w.meter.tables[c.table]
    column = c.columns[w.rng.integers(len(c.columns))]
    cell = Cell(c.table, c.series, c.codes[0], column)
    e, t = Edit(w, c.survey), w.meter.target(cell)
    lo, hi = (spec.min_base, spec.caution_base - 1) if caution else (max(3, spec.min_base // 5), spec.min_base - 1)
    if hi < lo:
        return None
    n, size = w.meter.base(cell, w.rows(c.survey)), e.size()
    ones = np.ones(len(w.source.raw[c.survey]), dtype=int)
    if min(n, w.meter.base(cell, ones)) <= hi:  # a base that falls under the line, not one already under it
        return None
    goal = int(w.rng.integers(lo, hi + 1))
    ok = e.add(t.base, goal - n) if goal >= n else e.remove(t.base, n - goal)
    if not ok:
        return None
    by, code = column.split("=")
    inside = w.source.datasets[c.survey].frame[by].to_numpy(dtype=float, na_value=np.nan) == float(code)
    e.pad(size, ~inside)
    kind = "under_caution_base" if caution else "under_min_base"
    return lambda: _based(kind, w, c.survey, cell, lo, hi)


def _edge_equal(w: Wave, c: Share) -> Callable[[], Perturbation | None] | None:
    """Two subgroup columns given exactly the same share of one category."""
    pair = pick_pair(w, c.columns)
    if pair is None:
        return None
    spec = w.meter.tables[c.table]
    code = c.codes[w.rng.integers(len(c.codes))]
    ca, cb = (Cell(c.table, c.series, code, col) for col in pair)
    rows = w.rows(c.survey)
    ta, tb = w.meter.share(ca), w.meter.share(cb)
    na, ha = int(rows[ta.base].sum()), int(rows[ta.base & ta.hit].sum())
    nb = int(rows[tb.base].sum())
    if min(na, nb) < spec.caution_base or not 0 < ha < na:
        return None
    g = math.gcd(ha, na)
    p, q = ha // g, na // g
    n1 = max(q, round(nb / q) * q)
    if n1 > 2 * nb + 20 or not _set_share(Edit(w, c.survey), tb, p * n1 // q, n1):
        return None
    cells = (ca, cb)
    return lambda: _exact(
        "equal_shares",
        w,
        c.survey,
        cells,
        tuple(map(w.before, cells)),
        lambda v: v[0] == v[1],
        "the same share in two compared columns",
    )


def _edge_mean_median(w: Wave, mean: Cell) -> Callable[[], Perturbation | None] | None:
    """The base made symmetric about its median: respondents at m, and as many at m-d as at m+d."""
    t = w.meter.stat(mean)
    e = Edit(w, t.survey)
    ok = t.base & ~np.isnan(t.values)
    v, rows = t.values, w.rows(t.survey)
    drawn = np.repeat(v[ok], rows[ok])
    if len(drawn) < 20:
        return None
    m = float(np.median(drawn))
    present = set(v[ok & e.single])
    ds = sorted({abs(x - m) for x in present if x != m and (2 * m - x) in present})
    if m not in present or not ds:
        return None
    d = ds[w.rng.integers(min(len(ds), 3))]
    size = e.size()
    e.remove(ok & ~np.isin(v, [m - d, m, m + d]))
    rows = w.rows(t.survey)
    low, high = int(rows[ok & (v == m - d)].sum()), int(rows[ok & (v == m + d)].sum())
    k = max(low, high, 3)
    e.add(ok & (v == m - d), k - low)
    e.add(ok & (v == m + d), k - high)
    if e.size() < size:
        e.add(~ok | (v == m), size - e.size())
    cells = (mean, Cell(mean.table, mean.series, None, mean.column, "median"))
    return lambda: _exact(
        "mean_equals_median",
        w,
        t.survey,
        cells,
        tuple(map(w.before, cells)),
        lambda x: abs(x[0] - x[1]) < 1e-9,
        f"values at {m:g} and {m:g} +/- {d:g}",
    )


def _exact(
    kind: str,
    w: Wave,
    survey: str,
    cells: tuple[Cell, ...],
    before: tuple[float, ...],
    holds: Callable[[tuple[float, ...]], bool],
    note: str = "",
) -> Perturbation | None:
    after = tuple(w.value(c) for c in cells)
    if any(math.isnan(x) for x in after) or not holds(after):
        return None
    return Perturbation(kind, survey, cells, before, after, note)


def _based(kind: str, w: Wave, survey: str, cell: Cell, lo: int, hi: int) -> Perturbation | None:
    base = w.meter.base(cell, w.rows(survey))
    ones = np.ones(len(w.source.raw[survey]), dtype=int)
    if not lo <= base <= hi:
        return None
    return Perturbation(
        kind,
        survey,
        (cell,),
        (float(w.meter.base(cell, ones)),),
        (float(base),),
        f"base {base} (the table's bases: minimum {w.meter.tables[cell.table].min_base}, "
        f"caution {w.meter.tables[cell.table].caution_base})",
    )


def edge_kinds(seed: int, rng: np.random.Generator) -> list[str]:
    """Three edge cases in rotation (20 seeds cover every one), and one more at random."""
    n = len(EDGE_KINDS)
    chosen = [EDGE_KINDS[(3 * seed + i) % n] for i in range(3)]
    extra = [k for k in EDGE_KINDS if k not in chosen]
    return chosen + [extra[rng.integers(len(extra))]]


def apply_edges(w: Wave, kinds: list[str], shares: list[Share], numeric: list[Cell]) -> list:
    """Each edge case made on the first candidate that takes it (a survey not used yet while one is
    left), undone when it fails; the (kind, check) of those made."""
    checks = []
    edge = {
        "zero": _edge_zero,
        "all_one": _edge_all_one,
        "tie_first": _edge_tie,
        "word_boundary": _edge_boundary,
        "under_min_base": lambda w_, c: _edge_base(w_, c, False),
        "under_caution_base": lambda w_, c: _edge_base(w_, c, True),
        "equal_shares": _edge_equal,
    }
    surveys_done: set[str] = set()
    for kind in kinds:
        pool = numeric if kind == "mean_equals_median" else shares
        for j in w.rng.permutation(len(pool)):
            c = pool[j]
            survey = w.meter.target(c).survey if kind == "mean_equals_median" else c.survey
            var = w.meter.series(c).var if kind == "mean_equals_median" else c.var
            if survey in surveys_done and len(surveys_done) < len(w.source.raw) or not w.free(survey, var):
                continue
            saved = [x.copy() for x in w.copies]
            check = _edge_mean_median(w, c) if kind == "mean_equals_median" else edge[kind](w, c)
            w.repair()
            if check is not None and check() is not None and margins_kept(w):
                checks.append((kind, check))
                w.used.add((survey, var))
                surveys_done.add(survey)
                break
            w.copies = saved
    return checks
