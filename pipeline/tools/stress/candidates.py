"""Choosing what to perturb: the table series whose shares or means can be moved, two compared
subgroup columns, a series' categories ranked by share.

Candidates come from the codebooks and table specs, never from the report's sentences and never
from the published targets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pipeline.spec.objects import Codebook
from pipeline.stages.tabulate import TOTAL
from pipeline.tools.stress.meter import Cell
from pipeline.tools.stress.source import Source
from pipeline.tools.stress.wave import Wave


@dataclass(frozen=True)
class Share:
    """A categorical series' category rows, as candidates for perturbing."""

    table: str
    series: str
    survey: str
    var: str
    codes: tuple[int, ...]
    single: bool
    columns: tuple[str, ...]  # subgroup columns (by variable = code)


def share_series(source: Source) -> list[Share]:
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
            out.append(Share(t.id, s.key, t.survey, s.var, codes, kind != "multi", cols))
    return out


def _codes(book: Codebook, var: str) -> list[int]:
    return list(book.variables[var].codes) if var in book.variables else list(book.derived[var].labels)


def numeric_series(source: Source) -> list[Cell]:
    """Series shown with both a mean and a median: where a mean can cross (or meet) its median."""
    return [
        Cell(t.id, s.key, None, TOTAL, "mean")
        for t in source.specs.tables
        for s in t.series
        if "mean" in s.stats and "median" in s.stats
    ]


def pick_pair(w: Wave, columns: tuple[str, ...]) -> tuple[str, str] | None:
    """Two columns of one `by` variable, the groups a table compares, chosen at random."""
    by = [col.split("=")[0] for col in columns]
    shared = [v for v in dict.fromkeys(by) if by.count(v) >= 2]
    if not shared:
        return None
    var = shared[w.rng.integers(len(shared))]
    a, b = w.rng.choice([col for col, v in zip(columns, by) if v == var], 2, replace=False)
    return str(a), str(b)


def rank_codes(w: Wave, c: Share, rows_of: Callable[[Cell], float]) -> list[tuple[float, int]]:
    """The series' categories as (value, code), highest first, each valued by `rows_of`."""
    return sorted(((rows_of(Cell(c.table, c.series, code)), code) for code in c.codes), reverse=True)
