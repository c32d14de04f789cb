"""The floor the tabulation engine is measured against: the same tables' counts with bare numpy.

For every series of every table, and for the total and each subgroup variable, one `bincount`
over respondents gives the count in each (column, category) cell and the column bases; means,
medians and ratios likewise. No labels, nets beyond one pass each, flags, letters or cell frame:
the least work that yields the table's numbers, so `engine time / floor time` is the overhead
the engine's bookkeeping costs. Bases are the same routing masks and filters the engine uses.
"""

from __future__ import annotations

import numpy as np

from pipeline.spec.expressions import mask
from pipeline.spec.objects import Series, TableSpec
from pipeline.stages.derive import Dataset


def _groups(ds: Dataset, spec: TableSpec) -> list[tuple[np.ndarray, int]]:
    """(group index per respondent, -1 for none; number of groups): total, then each `by`."""
    out = [(np.zeros(len(ds.frame), dtype=np.intp), 1)]
    for by in spec.by:
        codes = (
            list(ds.codebook.variables[by].codes)
            if by in ds.codebook.variables
            else list(ds.codebook.derived[by].labels)
        )
        out.append((_lookup(ds.frame[by].to_numpy(dtype=float, na_value=np.nan), codes), len(codes)))
    return out


def _lookup(values: np.ndarray, codes: list[int]) -> np.ndarray:
    """Position of each (integer) value among `codes` through a lookup table; -1 elsewhere."""
    table = np.full(int(max(codes)) + 2, -1, dtype=np.intp)
    table[np.asarray(codes, dtype=np.intp)] = np.arange(len(codes))
    ok = np.isfinite(values) & (values >= 0) & (values <= max(codes))
    out = np.full(len(values), -1, dtype=np.intp)
    out[ok] = table[values[ok].astype(np.intp)]
    return out


def floor_tables(ds: Dataset, specs: list[TableSpec]) -> dict[tuple[str, str], list[dict]]:
    """For every (table, series): per grouping, the column bases and the cells' numbers."""
    return {(spec.id, s.key): _series(ds, spec, s) for spec in specs for s in spec.series}


def _series(ds: Dataset, spec: TableSpec, s: Series) -> list[dict]:
    frame, book = ds.frame, ds.codebook
    base = ds.asked[s.var].to_numpy(dtype=bool)
    if s.filter:
        base = base & mask(frame, s.filter, spec.id).to_numpy(dtype=bool)
    out = []
    for group, size in _groups(ds, spec):
        inside = base & (group >= 0)
        g = group[inside]
        found: dict = {"bases": np.bincount(g, minlength=size)}
        kind = book.kind(s.var)
        if kind == "multi":
            found["items"] = [
                np.bincount(g, weights=frame[f"{s.var}_{code}"].to_numpy()[inside] == 1, minlength=size)
                for code in book.variables[s.var].codes
            ]
        elif kind == "numeric":
            v = frame[s.var].to_numpy(dtype=float)[inside]
            ok = ~np.isnan(v)
            found["mean"] = np.bincount(g[ok], weights=v[ok], minlength=size) / np.maximum(
                np.bincount(g[ok], minlength=size), 1
            )
            if "ratio" in s.stats:
                d = frame[s.denominator].to_numpy(dtype=float)[inside]
                both = ok & ~np.isnan(d)
                found["ratio"] = np.bincount(g[both], weights=v[both], minlength=size) / np.bincount(
                    g[both], weights=d[both], minlength=size
                )
            if "median" in s.stats:
                found["median"] = [np.median(v[ok][g[ok] == j]) if (g[ok] == j).any() else np.nan for j in range(size)]
        else:
            values = frame[s.var].to_numpy(dtype=float)[inside]
            codes = list(book.labels(s.var))
            cat = _lookup(values, codes)
            hit = cat >= 0
            found["codes"] = codes
            found["counts"] = np.bincount(g[hit] * len(codes) + cat[hit], minlength=size * len(codes)).reshape(size, -1)
            found["nets"] = [np.bincount(g, weights=np.isin(values, net.codes), minlength=size) for net in s.nets]
        out.append(found)
    return out
