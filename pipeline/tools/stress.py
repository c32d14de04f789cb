"""Stress waves: plausible new waves of the surveys, generated under a seed, for tests and users.

A stress wave is what a new wave could look like when the world has moved: shares shifted by
15-40 points, subgroup differences reversed, new leaders in ranked lists, means moved across
their medians, and the edge cases prose must survive (ties for first, shares exactly on a
word's boundary, categories at zero, every respondent giving one answer, subgroups under the
minimum or caution base, equal shares in compared groups, a mean equal to its median).

Rows stay valid because no answer is invented: the new wave is the given wave's respondents,
resampled with replacement under tilted probabilities (exponential tilting of the empirical
distribution, as in Efron's weighted bootstrap: Efron 1981, "Nonparametric standard errors and
confidence intervals", Canadian Journal of Statistics 9(2)), and edge cases are made by keeping,
dropping or repeating whole respondents; everyone then gets a fresh unique id. Surveys joined by
a `link` derived variable (a CCG lead and the CCGs they answered for) are resampled as one unit,
so every link stays valid. What to perturb is chosen at random from the codebooks and table
specs, never from the report's sentences, and never from the published targets.

This module is a tool beside the report stages: it reads a data folder and the specs, and
writes a data folder (`python -m pipeline.cli stress-wave --seed N --out DIR`).
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import yaml

from pipeline.build.data import prepare
from pipeline.errors import OhmskError
from pipeline.present.words import PHRASES
from pipeline.spec import schema
from pipeline.spec.expressions import mask
from pipeline.spec.folders import EDITION_FILE, SPECS_DIR, WAVE_FILE, read_edition
from pipeline.spec.objects import Codebook, Series, TableSpec, load_codebook, load_tables
from pipeline.spec.schema.reading import read_valid
from pipeline.stages.derive import Dataset
from pipeline.stages.tabulate import TOTAL
from pipeline.tools.reconstruct.sav import write_sav

SHIFT = (15.0, 40.0)  # a large shift, in percentage points (the range)
SIZE = (0.85, 1.2)  # a new wave's sample size, as a multiple of the given wave's
MARGIN = 3.0  # points by which a reversed difference, a new leader or a crossed median must clear
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
RANDOM_KINDS = {"shift": 3, "reversal": 1, "new_leader": 1, "mean_median": 1}  # at least this many each
ATTEMPTS = 40  # sets of tilts tried before a seed is given up
DRAWS = 10  # draws tried under one set of tilts


# -- what a wave is made from -----------------------------------------------------------------


@dataclass
class Specs:
    """What the generator reads from the specs: codebooks, table specs, min/caution bases and the
    weighting margins (a raking margin must keep a respondent in each of its categories)."""

    codebooks: dict[str, Codebook]
    tables: list[TableSpec]
    margins: dict[str, list[str]]  # survey -> variables its weighting frame rakes to (from the data folder)


def load_specs(specs_dir: Path = SPECS_DIR) -> Specs:
    """The codebooks and table specs report.yaml names, each checked against its schema (the
    published targets are not read: stress waves must not be tuned to the 2020 report)."""
    report = read_valid(specs_dir / "report.yaml", schema.Report)
    books = {name: load_codebook(name, specs_dir) for name in report.surveys}
    tables = [t for ch in report.chapters if ch.tables for t in load_tables(specs_dir / ch.tables, report.conventions)]
    return Specs(books, tables, {})


@dataclass
class Family:
    """Surveys resampled together: unit i is one respondent of an unlinked survey, or one linked
    unit with every row that links to it (a lead and the CCGs they answered for)."""

    surveys: list[str]
    n_units: int
    unit_of_row: dict[str, np.ndarray]  # survey -> each source row's unit
    links: list[tuple[str, str, str]] = field(default_factory=list)  # (linked survey, source, key)


@dataclass
class Source:
    """The given wave, read once: raw rows as delivered, derived datasets, and the families."""

    data_dir: Path
    specs: Specs
    raw: dict[str, pd.DataFrame]
    datasets: dict[str, Dataset]
    families: list[Family]

    def family(self, survey: str) -> tuple[int, Family]:
        return next((i, f) for i, f in enumerate(self.families) if survey in f.surveys)


def load_source(data_dir: Path, specs_dir: Path = SPECS_DIR) -> Source:
    """Read every survey of `data_dir` (validated and derived as the report reads it)."""
    specs = load_specs(specs_dir)
    for name, frame_file in _frames(specs_dir, data_dir).items():
        specs.margins[name] = list(read_valid(frame_file, schema.Frame).margins)
    raw, datasets = {}, {}
    for name, book in specs.codebooks.items():
        raw[name], _ = pyreadstat.read_sav(str(data_dir / book.file), user_missing=True)
        datasets[name] = prepare(book, data_dir, datasets)[1]
        if len(datasets[name].frame) != len(raw[name]):  # positions in one are positions in the other
            raise OhmskError(f"{data_dir / book.file}: rows were dropped while preparing it")
    return Source(data_dir, specs, raw, datasets, _families(specs.codebooks, raw))


def _frames(specs_dir: Path, data_dir: Path) -> dict[str, Path]:
    report = read_valid(specs_dir / "report.yaml", schema.Report)
    return {name: data_dir / entry.frame for name, entry in report.weighting.items() if entry.frame}


def _families(books: dict[str, Codebook], raw: dict[str, pd.DataFrame]) -> list[Family]:
    """One family per unlinked survey; a survey with `link` variables joins the survey it reads,
    each of its rows a unit holding the rows whose key names it."""
    families = {name: Family([name], len(raw[name]), {name: np.arange(len(raw[name]))}) for name in books}
    for name, book in books.items():
        for der in book.derived.values():
            if der.kind != "link" or der.source in families[name].surveys:
                continue
            if der.key != book.id:
                raise OhmskError(
                    f"stress waves: {name}: link {der.name!r} joins on {der.key!r}; only a link "
                    f"on the survey's own id ({book.id!r}) can be resampled as one unit"
                )
            ids = {_key(v): i for i, v in enumerate(raw[name][book.id])}
            other = raw[der.source][der.key].map(_key)
            orphans = ~other.isin(ids)
            units = other.map(ids).to_numpy(dtype=float)
            units[orphans.to_numpy()] = len(ids) + np.arange(int(orphans.sum()))
            fam = Family(
                [der.source, name],
                len(ids) + int(orphans.sum()),
                {der.source: units.astype(int), name: np.arange(len(ids))},
                [(name, der.source, der.key)],
            )
            families[der.source] = families[name] = fam
    return list({id(f): f for f in families.values()}.values())


def _key(value: object) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


# -- cells, measured on any resampling --------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One table cell as `Table.cell` finds it: a share (category) or a numeric statistic."""

    table: str
    series: str
    category: object = None
    column: str = TOTAL
    stat: str = "pct"

    def text(self) -> str:
        what = f"category {self.category!r}" if self.category is not None else self.stat
        return f"{self.table}/{self.series} {what} [{self.column}]"


@dataclass
class Target:
    """Which source rows a series' base (in one column) holds, and which of them count."""

    survey: str
    base: np.ndarray  # bool over source rows
    hit: np.ndarray | None  # bool, for a share
    values: np.ndarray | None  # float, for a numeric statistic


class Meter:
    """Measures cells on a resampling (copies of each source row) exactly as `tabulate` would:
    unweighted, base = routing and filter and column, share = 100 * hits / base."""

    def __init__(self, source: Source):
        self.source = source
        self.tables = {t.id: t for t in source.specs.tables}
        self._cache: dict[Cell, Target] = {}

    def series(self, cell: Cell) -> Series:
        return next(s for s in self.tables[cell.table].series if s.key == cell.series)

    def target(self, cell: Cell) -> Target:
        if cell not in self._cache:
            self._cache[cell] = self._target(cell)
        return self._cache[cell]

    def _target(self, cell: Cell) -> Target:
        spec = self.tables[cell.table]
        s = self.series(cell)
        ds = self.source.datasets[spec.survey]
        frame = ds.frame
        base = ds.asked[s.var].to_numpy(dtype=bool).copy()
        if s.filter:
            base &= mask(frame, s.filter, f"table {spec.id!r}").to_numpy(dtype=bool)
        if cell.column != TOTAL:
            by, code = cell.column.split("=")
            base &= frame[by].to_numpy(dtype=float, na_value=np.nan) == float(code)
        if cell.stat != "pct":
            return Target(spec.survey, base, None, frame[s.var].to_numpy(dtype=float, na_value=np.nan))
        return Target(spec.survey, base, _hits(ds, s.var, cell.category), None)

    def value(self, cell: Cell, rows: np.ndarray) -> float:
        """The cell's value when source row i appears rows[i] times (NaN on an empty base)."""
        t = self.target(cell)
        if t.hit is not None:
            n = rows[t.base].sum()
            return 100.0 * rows[t.base & t.hit].sum() / n if n else math.nan
        ok = t.base & ~np.isnan(t.values)
        if not rows[ok].sum():
            return math.nan
        v = np.repeat(t.values[ok], rows[ok])
        return float(v.mean()) if cell.stat == "mean" else float(np.median(v))

    def base(self, cell: Cell, rows: np.ndarray) -> int:
        t = self.target(cell)
        ok = t.base if t.hit is not None else t.base & ~np.isnan(t.values)
        return int(rows[ok].sum())


def _hits(ds: Dataset, var: str, category: object) -> np.ndarray:
    book, frame = ds.codebook, ds.frame
    if book.kind(var) == "multi":
        return frame[f"{var}_{category}"].to_numpy(dtype=float, na_value=np.nan) == 1
    return frame[var].to_numpy(dtype=float, na_value=np.nan) == float(category)


# -- the record --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Perturbation:
    """One change the wave contains, with its cells' values before (given wave) and after."""

    kind: str
    survey: str
    cells: tuple[Cell, ...]
    before: tuple[float, ...]
    after: tuple[float, ...]
    note: str = ""

    def line(self) -> str:
        vals = "; ".join(f"{c.text()}: {b:.1f} -> {a:.1f}" for c, b, a in zip(self.cells, self.before, self.after))
        return f"{self.kind:18} {self.survey}: {vals}" + (f" ({self.note})" if self.note else "")


@dataclass
class StressWave:
    """What `stress_wave` wrote and did, so a failing seed can be read back."""

    seed: int
    folder: Path
    source: Path
    sizes: dict[str, tuple[int, int]]  # survey -> (respondents in the given wave, in this one)
    perturbations: list[Perturbation]

    def kinds(self) -> set[str]:
        return {p.kind for p in self.perturbations}

    def summary(self) -> str:
        sizes = ", ".join(f"{name} {a} -> {b}" for name, (a, b) in self.sizes.items())
        return "\n".join(
            [
                f"stress wave seed {self.seed}: {self.folder} (from {self.source}); respondents: {sizes}",
                *(f"  {p.line()}" for p in self.perturbations),
            ]
        )


# -- choosing what to perturb -------------------------------------------------------------------


@dataclass(frozen=True)
class _Share:
    """A categorical series' category rows, as candidates for perturbing."""

    table: str
    series: str
    survey: str
    var: str
    codes: tuple[int, ...]
    single: bool
    columns: tuple[str, ...]  # subgroup columns (by variable = code)


def _share_series(source: Source) -> list[_Share]:
    """Every categorical or multi-code series of every table, without a `top` cut (whose shown
    rows depend on the data)."""
    out = []
    for t in source.specs.tables:
        book = source.specs.codebooks[t.survey]
        cols = tuple(f"{by}={code}" for by in t.by for code in _codes(book, by))
        for s in t.series:
            kind = book.kind(s.var)
            if kind == "numeric" or s.top:
                continue
            codes = tuple(book.variables[s.var].codes) if s.var in book.variables else tuple(book.derived[s.var].labels)
            out.append(_Share(t.id, s.key, t.survey, s.var, codes, kind != "multi", cols))
    return out


def _codes(book: Codebook, var: str) -> list[int]:
    return list(book.variables[var].codes) if var in book.variables else list(book.derived[var].labels)


def _numeric_series(source: Source) -> list[Cell]:
    """Series shown with both a mean and a median: where a mean can cross (or meet) its median."""
    return [
        Cell(t.id, s.key, None, TOTAL, "mean")
        for t in source.specs.tables
        for s in t.series
        if "mean" in s.stats and "median" in s.stats
    ]


class _Wave:
    """One attempt: per family, how many copies of each unit, and the perturbations aimed at."""

    def __init__(self, source: Source, meter: Meter, rng: np.random.Generator):
        self.source, self.meter, self.rng = source, meter, rng
        self.tilt = {name: np.ones(len(f)) for name, f in source.raw.items()}
        self.copies: list[np.ndarray] = []
        self.used: set[tuple[str, str]] = set()  # (survey, variable) already perturbed
        self.aims: list[tuple[str, Callable[[], Perturbation | None]]] = []

    # rows and units
    def rows(self, survey: str) -> np.ndarray:
        i, fam = self.source.family(survey)
        return self.copies[i][fam.unit_of_row[survey]]

    def draw(self) -> None:
        self.copies = []
        for fam in self.source.families:
            w = np.ones(fam.n_units)
            for name in fam.surveys:  # a unit's tilt: the mean of its rows' tilts, survey by survey
                units = fam.unit_of_row[name]
                rows = np.bincount(units, minlength=fam.n_units)
                tilted = np.bincount(units, self.tilt[name], fam.n_units)
                w *= np.where(rows > 0, tilted / np.maximum(rows, 1), 1.0)
            n = int(round(fam.n_units * self.rng.uniform(*SIZE)))
            self.copies.append(self.rng.multinomial(n, w / w.sum()).astype(int))
        self.repair()

    def repair(self) -> None:
        """A respondent for each weighting-margin category left empty: raking needs one in each
        (pipeline.stats.calibration refuses an empty margin), and a real wave would have sampled one."""
        for survey, variables in self.source.specs.margins.items():
            values = self.source.datasets[survey].frame
            for var in variables:
                v = values[var].to_numpy(dtype=float, na_value=np.nan)
                for code in np.unique(v[~np.isnan(v)]):
                    if not self.rows(survey)[v == code].sum():
                        _Edit(self, survey).add(v == code, 1)

    def value(self, cell: Cell) -> float:
        return self.meter.value(cell, self.rows(self.meter.target(cell).survey))

    def before(self, cell: Cell) -> float:
        survey = self.meter.target(cell).survey
        return self.meter.value(cell, np.ones(len(self.source.raw[survey]), dtype=int))

    def free(self, survey: str, var: str) -> bool:
        return (survey, var) not in self.used and var not in self.source.specs.margins.get(survey, [])


def _odds(p: float) -> float:
    p = min(max(p, 0.5), 99.5) / 100
    return p / (1 - p)


# -- the random perturbations: tilts, then a draw ------------------------------------------------


def _aim_shift(w: _Wave, c: _Share) -> bool:
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
    t = w.meter.target(cell)
    w.tilt[c.survey][t.base & t.hit] *= _odds(p1) / _odds(p0)

    def check() -> Perturbation | None:
        after = w.value(cell)
        moved = abs(after - p0)
        ok = SHIFT[0] <= moved <= SHIFT[1] and (after > p0) == up
        return Perturbation("shift", c.survey, (cell,), (p0,), (after,), f"{after - p0:+.1f} points") if ok else None

    w.aims.append(("shift", check))
    return True


def _pair(w: _Wave, columns: tuple[str, ...]) -> tuple[str, str] | None:
    """Two columns of one `by` variable, the groups a table compares, chosen at random."""
    by = [col.split("=")[0] for col in columns]
    shared = [v for v in dict.fromkeys(by) if by.count(v) >= 2]
    if not shared:
        return None
    var = shared[w.rng.integers(len(shared))]
    a, b = w.rng.choice([col for col, v in zip(columns, by) if v == var], 2, replace=False)
    return str(a), str(b)


def _aim_reversal(w: _Wave, c: _Share) -> bool:
    """Swap the odds of a category in two subgroup columns, so their difference reverses."""
    pair = _pair(w, c.columns)
    if pair is None:
        return False
    code = c.codes[w.rng.integers(len(c.codes))]
    ca, cb = (Cell(c.table, c.series, code, col) for col in pair)
    pa, pb = w.before(ca), w.before(cb)
    ones = np.ones(len(w.source.raw[c.survey]), dtype=int)
    if math.isnan(pa) or math.isnan(pb) or abs(pa - pb) < 8 or min(w.meter.base(ca, ones), w.meter.base(cb, ones)) < 15:
        return False
    for cell, frm, to in ((ca, pa, pb), (cb, pb, pa)):
        t = w.meter.target(cell)
        w.tilt[c.survey][t.base & t.hit] *= (_odds(to) / _odds(frm)) ** 1.3

    def check() -> Perturbation | None:
        qa, qb = w.value(ca), w.value(cb)
        ok = (qa - qb) * (pa - pb) < 0 and abs(qa - qb) >= MARGIN
        return Perturbation("reversal", c.survey, (ca, cb), (pa, pb), (qa, qb)) if ok else None

    w.aims.append(("reversal", check))
    return True


def _ranked(w: _Wave, c: _Share, rows_of: Callable[[Cell], float]) -> list[tuple[float, int]]:
    return sorted(((rows_of(Cell(c.table, c.series, code)), code) for code in c.codes), reverse=True)


def _aim_leader(w: _Wave, c: _Share) -> bool:
    """Raise a runner-up's share above the leader's, so a ranked list has a new first."""
    if len(c.codes) < 3:
        return False
    ranked = _ranked(w, c, w.before)
    (p1, leader), rest = ranked[0], ranked[1:4]
    pc, code = rest[w.rng.integers(len(rest))]
    if not 5 <= pc < p1 or p1 - pc > 35:
        return False
    cell, lead = Cell(c.table, c.series, code), Cell(c.table, c.series, leader)
    t, tl = w.meter.target(cell), w.meter.target(lead)
    w.tilt[c.survey][t.base & t.hit & ~tl.hit] *= _odds(min(p1 + 12, 95)) / _odds(pc)
    w.tilt[c.survey][tl.base & tl.hit & ~t.hit] *= 0.7

    def check() -> Perturbation | None:
        now = _ranked(w, c, w.value)
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


def _aim_mean_median(w: _Wave, mean: Cell) -> bool:
    """Concentrate the distribution just past the median on the mean's far side, thinning the
    tail on its own side, so the mean ends on the other side of the median (skew reversed)."""
    median = Cell(mean.table, mean.series, None, mean.column, "median")
    m0, d0 = w.before(mean), w.before(median)
    t = w.meter.target(mean)
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


# -- the edge cases: whole respondents kept, dropped or repeated after the draw -------------------


class _Edit:
    """Exact changes to one survey's drawn copies, through units holding exactly one row of it
    (so adding or removing one changes one row of that survey)."""

    def __init__(self, w: _Wave, survey: str):
        self.w, self.survey = w, survey
        self.i, self.fam = w.source.family(survey)
        units = self.fam.unit_of_row[survey]
        self.single = np.bincount(units, minlength=self.fam.n_units)[units] == 1

    def units(self, rows: np.ndarray) -> np.ndarray:
        """The units holding any of the given source rows."""
        return np.unique(self.fam.unit_of_row[self.survey][rows])

    def add(self, rows: np.ndarray, k: int) -> bool:
        """k more copies of single-row units among `rows` (bool over source rows)."""
        pool = self.fam.unit_of_row[self.survey][rows & self.single]
        if k <= 0:
            return k == 0
        if not len(pool):
            return False
        np.add.at(self.w.copies[self.i], self.w.rng.choice(pool, k), 1)
        return True

    def remove(self, rows: np.ndarray, k: int | None = None) -> bool:
        """k copies (None: every copy) of the drawn units holding any of `rows` removed."""
        copies = self.w.copies[self.i]
        units = self.units(np.flatnonzero(rows))
        if k is None:
            copies[units] = 0
            return True
        units = self.fam.unit_of_row[self.survey][rows & self.single]
        drawn = np.repeat(units, copies[units])
        if k > len(drawn):
            return False
        for u in self.w.rng.choice(drawn, k, replace=False):
            copies[u] -= 1
        return True

    def size(self) -> int:
        return int(self.w.rows(self.survey).sum())

    def pad(self, to: int, rows: np.ndarray) -> None:
        """Back up to `to` respondents with copies of units among `rows` (those that keep the case)."""
        self.add(rows, to - self.size())


def _set_share(e: _Edit, t: Target, h: int, n: int) -> bool:
    """Exactly h hits in a base of n (within one column), by adding or removing single-row units."""
    rows = e.w.rows(e.survey)
    dh = h - int(rows[t.base & t.hit].sum())
    dm = (n - h) - int(rows[t.base & ~t.hit].sum())
    ok = True
    for delta, which in ((dh, t.base & t.hit), (dm, t.base & ~t.hit)):
        ok &= e.add(which, delta) if delta >= 0 else e.remove(which, -delta)
    return bool(ok)


def _edge_zero(w: _Wave, c: _Share) -> Callable[[], Perturbation | None] | None:
    code = c.codes[w.rng.integers(len(c.codes))]
    cell = Cell(c.table, c.series, code)
    p0, now = w.before(cell), w.value(cell)
    if not 3 <= now <= 50:
        return None
    e, t = _Edit(w, c.survey), w.meter.target(cell)
    size = e.size()
    e.remove(t.base & t.hit)
    e.pad(size, ~(t.base & t.hit))
    return lambda: _exact("zero", w, c.survey, (cell,), (p0,), lambda v: v[0] == 0)


def _edge_all_one(w: _Wave, c: _Share) -> Callable[[], Perturbation | None] | None:
    code = c.codes[w.rng.integers(len(c.codes))]
    cell = Cell(c.table, c.series, code)
    p0, now = w.before(cell), w.value(cell)
    if not 40 <= now < 100:
        return None
    e, t = _Edit(w, c.survey), w.meter.target(cell)
    size = e.size()
    e.remove(t.base & ~t.hit)
    if w.meter.base(cell, w.rows(c.survey)) < 10:
        return None
    e.pad(size, ~(t.base & ~t.hit))
    return lambda: _exact(
        "all_one", w, c.survey, (cell,), (p0,), lambda v: v[0] == 100, "every respondent in the base gives this answer"
    )


def _edge_tie(w: _Wave, c: _Share) -> Callable[[], Perturbation | None] | None:
    if len(c.codes) < 3:
        return None
    ranked = _ranked(w, c, w.value)
    (p1, c1), (p2, c2) = ranked[:2]
    if not 10 <= p2 <= p1 or p1 - p2 > 25:
        return None
    e = _Edit(w, c.survey)
    t1, t2 = w.meter.target(Cell(c.table, c.series, c1)), w.meter.target(Cell(c.table, c.series, c2))
    rows = w.rows(c.survey)
    gap = int(rows[t1.base & t1.hit].sum() - rows[t2.base & t2.hit].sum())
    others = np.zeros_like(t1.hit)
    for code in c.codes:
        if code not in (c1, c2):
            others |= w.meter.target(Cell(c.table, c.series, code)).hit
    if not e.remove(t1.base & t1.hit & ~t2.hit & ~others, gap):
        return None
    cells = (Cell(c.table, c.series, c1), Cell(c.table, c.series, c2))

    def holds(v: tuple[float, ...]) -> bool:
        top = _ranked(w, c, w.value)
        return v[0] == v[1] == top[0][0] and v[0] > 0

    return lambda: _exact(
        "tie_first", w, c.survey, cells, tuple(map(w.before, cells)), holds, "two categories share first place"
    )


def _edge_boundary(w: _Wave, c: _Share) -> Callable[[], Perturbation | None] | None:
    """A share exactly on a phrase's lowest percentage (pipeline.present.words.PHRASES)."""
    code = c.codes[w.rng.integers(len(c.codes))]
    cell = Cell(c.table, c.series, code)
    e, t = _Edit(w, c.survey), w.meter.target(cell)
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


def _edge_base(w: _Wave, c: _Share, caution: bool) -> Callable[[], Perturbation | None] | None:
    """A subgroup column's base brought under the table's caution or minimum base."""
    if not c.columns:
        return None
    spec = w.meter.tables[c.table]
    column = c.columns[w.rng.integers(len(c.columns))]
    cell = Cell(c.table, c.series, c.codes[0], column)
    e, t = _Edit(w, c.survey), w.meter.target(cell)
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


def _edge_equal(w: _Wave, c: _Share) -> Callable[[], Perturbation | None] | None:
    """Two subgroup columns given exactly the same share of one category."""
    pair = _pair(w, c.columns)
    if pair is None:
        return None
    spec = w.meter.tables[c.table]
    code = c.codes[w.rng.integers(len(c.codes))]
    ca, cb = (Cell(c.table, c.series, code, col) for col in pair)
    rows = w.rows(c.survey)
    ta, tb = w.meter.target(ca), w.meter.target(cb)
    na, ha = int(rows[ta.base].sum()), int(rows[ta.base & ta.hit].sum())
    nb = int(rows[tb.base].sum())
    if min(na, nb) < spec.caution_base or not 0 < ha < na:
        return None
    g = math.gcd(ha, na)
    p, q = ha // g, na // g
    n1 = max(q, round(nb / q) * q)
    if n1 > 2 * nb + 20 or not _set_share(_Edit(w, c.survey), tb, p * n1 // q, n1):
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


def _edge_mean_median(w: _Wave, mean: Cell) -> Callable[[], Perturbation | None] | None:
    """The base made symmetric about its median: respondents at m, and as many at m-d as at m+d."""
    t = w.meter.target(mean)
    e = _Edit(w, t.survey)
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
    w: _Wave,
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


def _based(kind: str, w: _Wave, survey: str, cell: Cell, lo: int, hi: int) -> Perturbation | None:
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


# -- putting a wave together ---------------------------------------------------------------------


def _edge_kinds(seed: int, rng: np.random.Generator) -> list[str]:
    """Three edge cases in rotation (20 seeds cover every one), and one more at random."""
    n = len(EDGE_KINDS)
    chosen = [EDGE_KINDS[(3 * seed + i) % n] for i in range(3)]
    extra = [k for k in EDGE_KINDS if k not in chosen]
    return chosen + [extra[rng.integers(len(extra))]]


def _aim_random(w: _Wave, shares: list[_Share], numeric: list[Cell]) -> None:
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


def _apply_edges(w: _Wave, kinds: list[str], shares: list[_Share], numeric: list[Cell]) -> list:
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
            if check is not None and check() is not None and _margins_kept(w):
                checks.append((kind, check))
                w.used.add((survey, var))
                surveys_done.add(survey)
                break
            w.copies = saved
    return checks


def _margins_kept(w: _Wave) -> bool:
    """Every weighting margin's category keeps a respondent (raking needs one in each)."""
    for survey, variables in w.source.specs.margins.items():
        frame, rows = w.source.datasets[survey].frame, w.rows(survey)
        for var in variables:
            present = set(frame[var].to_numpy(dtype=float)[rows > 0])
            if not set(frame[var].dropna().to_numpy(dtype=float)) <= present:
                return False
    return True


def stress_wave(
    data_dir: Path,
    out_dir: Path,
    seed: int,
    source: Source | None = None,
    specs_dir: Path = SPECS_DIR,
    previous: bool = True,
) -> StressWave:
    """Write a plausible new wave of every survey in `data_dir` to `out_dir`, under `seed`.

    `source` is the given wave already read (`load_source`), for callers making many waves.
    With `previous` the folder names `data_dir` as its previous wave (wave.yaml), so a report
    built from it compares the two; every other file of `data_dir` (frames, rename map) is copied.
    """
    source = source or load_source(data_dir, specs_dir)
    meter = Meter(source)
    rng = np.random.default_rng(seed)
    for _ in range(ATTEMPTS):
        w = _Wave(source, meter, rng)
        found = _try(w, seed)
        if found is not None:
            return _write(w, found, seed, Path(data_dir), Path(out_dir), previous)
    raise OhmskError(
        f"stress wave seed {seed}: no wave with every kind of perturbation found in {ATTEMPTS} attempts from {data_dir}"
    )


def _try(w: _Wave, seed: int) -> list[Perturbation] | None:
    """Tilts, draws until the random perturbations all land, then the edge cases; the
    perturbations that hold in the end, or None when some kind is missing."""
    shares, numeric = _share_series(w.source), _numeric_series(w.source)
    _aim_random(w, shares, numeric)
    for _ in range(DRAWS):  # a few draws under the same tilts: sampling noise may miss an aim
        w.draw()
        kinds = [p.kind for _, check in w.aims if (p := check()) is not None]
        if _margins_kept(w) and all(kinds.count(k) >= n for k, n in RANDOM_KINDS.items()):
            break
    else:
        return None
    edges = _apply_edges(w, _edge_kinds(seed, w.rng), shares, numeric)
    found = [p for _, check in [*w.aims, *edges] if (p := check()) is not None]  # edits may undo a tilt
    kinds = [p.kind for p in found]
    if any(kinds.count(k) < n for k, n in RANDOM_KINDS.items()) or sum(k in EDGE_KINDS for k in kinds) < 3:
        return None
    return found


# -- writing the folder ---------------------------------------------------------------------------


def _write_edition(data_dir: Path, out_dir: Path, seed: int) -> None:
    """The stress wave's edition.yaml: generated data that reproduce no published report (so
    no remark about the 2020 report appears), each survey labelled as the stress wave and
    fielded when the given wave was."""
    given = read_edition(data_dir)
    label = f"stress wave {seed}"
    edition = {
        "name": f"Stress wave {seed} of {given.name}",
        "data_as_of": given.data_as_of,
        "provenance": {
            "kind": "synthetic",
            "label": label,
            "summary": f"The respondent data behind this edition are {label}: a plausible new wave "
            f"generated from the respondents of {given.name.lower()} (ohmsk stress-wave --seed {seed}).",
            "statement": f"The files this edition is built from are {label}, generated by the project's "
            f"own code (pipeline/tools/stress.py) by resampling the respondents of "
            f"{given.name.lower()} so that shares move, differences reverse and rankings "
            f"change; they describe no real survey.",
        },
        "reproduces_published": False,
        "surveys": {
            name: {"wave": label, "fieldwork": s.fieldwork.model_dump(exclude_none=True)}
            for name, s in given.surveys.items()
        },
    }
    (out_dir / EDITION_FILE).write_text(
        yaml.safe_dump(edition, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8"
    )


def _write(w: _Wave, found: list[Perturbation], seed: int, data_dir: Path, out_dir: Path, previous: bool) -> StressWave:
    source = w.source
    out_dir.mkdir(parents=True, exist_ok=True)
    books = source.specs.codebooks
    written = {books[name].file for name in books} | {Path(books[name].file).with_suffix(".csv").name for name in books}
    for path in data_dir.iterdir():
        if path.name in written or path.name in (WAVE_FILE, EDITION_FILE):
            continue
        target = out_dir / path.name
        if path.is_dir():
            shutil.copytree(path, target, dirs_exist_ok=True)
        else:
            shutil.copy2(path, target)
    sizes = {}
    for i, fam in enumerate(source.families):
        order = w.rng.permutation(np.repeat(np.arange(fam.n_units), w.copies[i]))  # each copy a new unit
        for name, frame in _family_frames(source, fam, order).items():
            write_sav(frame, books[name], out_dir / books[name].file)
            sizes[name] = (len(source.raw[name]), len(frame))
    _write_edition(data_dir, out_dir, seed)
    if previous:
        path = json.dumps(str(data_dir.resolve()))  # a JSON string is a YAML string
        (out_dir / WAVE_FILE).write_text(f"wave: stress-{seed}\nprevious: {path}\n", encoding="utf-8")
    return StressWave(seed, out_dir, data_dir, {n: sizes[n] for n in books}, found)


def _family_frames(source: Source, fam: Family, order: np.ndarray) -> dict[str, pd.DataFrame]:
    """Each survey's rows for the drawn units (unit copy j is new unit j), with fresh ids; a
    linked survey's key column points at its unit's new id."""
    out, picks = {}, {}
    books = source.specs.codebooks
    for name in fam.surveys:
        units = fam.unit_of_row[name]
        by_unit = pd.Series(np.arange(len(units))).groupby(units).apply(list).to_dict()
        picks[name] = [(j, r) for j, u in enumerate(order) for r in by_unit.get(u, [])]
        frame = source.raw[name].iloc[[r for _, r in picks[name]]].reset_index(drop=True)
        frame[books[name].id] = np.arange(1, len(frame) + 1, dtype=float)
        out[name] = frame
    for linked, other, key in fam.links:  # the key names the new id of the unit's linked row
        new_id = {j: i + 1 for i, (j, _) in enumerate(picks[linked])}
        spare = iter(range(len(new_id) + 1, len(new_id) + len(order) + 1))  # units without one
        ids = {j: new_id[j] if j in new_id else next(spare) for j in dict.fromkeys(j for j, _ in picks[other])}
        out[other][key] = np.array([ids[j] for j, _ in picks[other]], dtype=float)
    return out
