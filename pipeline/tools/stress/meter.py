"""Cells of the report's tables measured on any resampling of the given wave, exactly as `tabulate`
would (unweighted), so that an aimed-at perturbation can be checked without running the data stages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np

from pipeline.spec.expressions import mask
from pipeline.spec.objects import Series
from pipeline.stages.derive import Dataset
from pipeline.stages.tabulate import TOTAL
from pipeline.tools.stress.source import Source


@dataclass(frozen=True)
class Cell:
    """One table cell as `Table.cell` finds it: a share (category) or a numeric statistic."""

    table: str
    series: str
    category: int | None = None  # a share's code; None for a numeric statistic
    column: str = TOTAL
    stat: str = "pct"

    def text(self) -> str:
        what = f"category {self.category!r}" if self.category is not None else self.stat
        return f"{self.table}/{self.series} {what} [{self.column}]"


@dataclass
class _Based:
    """Which source rows a series' base (in one column) holds."""

    survey: str
    base: np.ndarray  # bool over source rows


@dataclass
class ShareTarget(_Based):
    """A share's base, and which of its rows count."""

    hit: np.ndarray  # bool over source rows


@dataclass
class StatTarget(_Based):
    """A numeric statistic's base, and each row's value."""

    values: np.ndarray  # float over source rows


Target: TypeAlias = ShareTarget | StatTarget


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

    def share(self, cell: Cell) -> ShareTarget:
        """The target of a share cell (one with a category)."""
        t = self.target(cell)
        if not isinstance(t, ShareTarget):
            raise TypeError(f"{cell.text()} is not a share")
        return t

    def stat(self, cell: Cell) -> StatTarget:
        """The target of a numeric statistic's cell (a mean or median)."""
        t = self.target(cell)
        if not isinstance(t, StatTarget):
            raise TypeError(f"{cell.text()} is not a numeric statistic")
        return t

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
            return StatTarget(spec.survey, base, frame[s.var].to_numpy(dtype=float, na_value=np.nan))
        if cell.category is None:
            raise ValueError(f"{cell.text()}: a share needs a category")
        return ShareTarget(spec.survey, base, _hits(ds, s.var, cell.category))

    def value(self, cell: Cell, rows: np.ndarray) -> float:
        """The cell's value when source row i appears rows[i] times (NaN on an empty base)."""
        t = self.target(cell)
        if isinstance(t, ShareTarget):
            n = rows[t.base].sum()
            return 100.0 * rows[t.base & t.hit].sum() / n if n else math.nan
        ok = t.base & ~np.isnan(t.values)
        if not rows[ok].sum():
            return math.nan
        v = np.repeat(t.values[ok], rows[ok])
        return float(v.mean()) if cell.stat == "mean" else float(np.median(v))

    def base(self, cell: Cell, rows: np.ndarray) -> int:
        t = self.target(cell)
        ok = t.base if isinstance(t, ShareTarget) else t.base & ~np.isnan(t.values)
        return int(rows[ok].sum())


def _hits(ds: Dataset, var: str, category: int) -> np.ndarray:
    book, frame = ds.codebook, ds.frame
    if book.kind(var) == "multi":
        return frame[f"{var}_{category}"].to_numpy(dtype=float, na_value=np.nan) == 1
    return frame[var].to_numpy(dtype=float, na_value=np.nan) == float(category)
