"""Tabulate stage: turn a table spec into cells (counts, bases, percentages, means, medians).

A table's cells are a long frame with one row per series x column x category x statistic, so
charts, HTML tables, CSV files, prose and the audit all read the same numbers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .derive import Dataset
from .errors import SpecError
from .expr import mask
from .specs import Series, TableSpec

CELL_COLUMNS = ["series", "series_label", "column", "column_label", "category",
                "category_label", "is_net", "stat", "value", "n", "base"]
TOTAL = "total"
VALUE_STATS = ("pct", "mean", "median", "ratio")


@dataclass
class Table:
    """A computed table: the spec it came from and its cells."""

    spec: TableSpec
    cells: pd.DataFrame

    def cell(self, series: str | None = None, category: int | str | None = None,
             column: str = TOTAL, stat: str = "pct") -> pd.Series:
        """The one cell a prose helper or audit target points at; a clear error otherwise."""
        key = series or self.spec.series[0].key
        c = self.cells
        sel = (c["series"] == key) & (c["column"] == column)
        if stat in VALUE_STATS:  # 'base' and 'n' can be read off any row of the series
            sel &= c["stat"] == stat
        if category is not None:
            sel &= c["category"].map(lambda v: _same(v, category))
        rows = c[sel]
        if rows.empty:
            raise SpecError(f"table {self.spec.id!r} has no cell series={key!r} "
                            f"category={category!r} column={column!r} stat={stat!r}")
        return rows.iloc[0]


def _same(value: object, wanted: int | str) -> bool:
    if isinstance(wanted, str) and not isinstance(value, str):
        return wanted.isdigit() and value == int(wanted)
    return value == wanted


def _columns(ds: Dataset, spec: TableSpec) -> list[tuple[str, str, pd.Series]]:
    """(column id, label, row mask): the total, then one column per code of each `by` variable."""
    frame = ds.frame
    cols = [(TOTAL, "Total", pd.Series(True, index=frame.index))]
    for by in spec.by:
        labels = ds.codebook.labels(by)
        for code in _substantive(ds, by):
            cols.append((f"{by}={code}", labels[code], frame[by] == code))
    return cols


def _categories(ds: Dataset, s: Series, base: pd.Series) -> list[tuple[object, str, bool, pd.Series]]:
    """(category, label, is_net, indicator) for each row of a categorical or multi series."""
    book, frame = ds.codebook, ds.frame
    out: list[tuple[object, str, bool, pd.Series]] = []
    if book.kind(s.var) == "multi":
        var = book.variables[s.var]
        items = {code: frame[f"{s.var}_{code}"] == 1 for code in var.codes}
        for net in s.nets:
            any_item = np.logical_or.reduce([items[c] for c in net.codes])
            out.append((net.label, net.label, True, pd.Series(any_item, index=frame.index)))
        out += [(code, label, False, items[code]) for code, label in var.codes.items()]
        return out
    values = frame[s.var]
    labels = book.labels(s.var)
    missing = set(labels) - set(_substantive(ds, s.var))
    for net in s.nets:
        out.append((net.label, net.label, True, values.isin(net.codes)))
    for code, label in labels.items():
        hit = values == code
        if code in missing and not (hit & base).any():
            continue  # a don't-know row appears only when someone gave that answer
        out.append((code, label, False, hit))
    return out


def _substantive(ds: Dataset, name: str) -> list[int]:
    var = ds.codebook.variables.get(name)
    if var is not None:
        return list(var.codes)
    der = ds.codebook.derived[name]
    return list(der.labels)


def _series_rows(ds: Dataset, spec: TableSpec, s: Series) -> list[dict]:
    frame = ds.frame
    where = f"table {spec.id!r}, series {s.key!r}"
    if s.var not in ds.asked:
        raise SpecError(f"{where}: variable {s.var!r} is not in the data")
    base_mask = ds.asked[s.var].copy()
    if s.filter:
        base_mask &= mask(frame, s.filter, where)
    rows: list[dict] = []
    common = {"series": s.key, "series_label": s.label or ds.codebook.label(s.var)}
    numeric = ds.codebook.kind(s.var) == "numeric"
    cats = [] if numeric else _categories(ds, s, base_mask)
    for col, col_label, col_mask in _columns(ds, spec):
        in_base = base_mask & col_mask
        head = {**common, "column": col, "column_label": col_label}
        if numeric:
            rows += _numeric_rows(frame, s, in_base, head)
            continue
        base = int(in_base.sum())
        for cat, label, is_net, hit in cats:
            n = int((hit & in_base).sum())
            rows.append({**head, "category": cat, "category_label": label, "is_net": is_net,
                         "stat": "pct", "value": 100.0 * n / base if base else np.nan,
                         "n": n, "base": base})
    return rows


def _numeric_rows(frame: pd.DataFrame, s: Series, in_base: pd.Series, head: dict) -> list[dict]:
    values = frame.loc[in_base, s.var]
    rows = []
    for stat in s.stats:
        if stat == "ratio":
            denom = frame.loc[in_base, s.denominator]
            ok = values.notna() & denom.notna()
            value = 100.0 * values[ok].sum() / denom[ok].sum() if ok.any() else np.nan
            n = int(ok.sum())
        else:
            valid = values.dropna()
            n = len(valid)
            value = (valid.mean() if stat == "mean" else valid.median()) if n else np.nan
        rows.append({**head, "category": None, "category_label": stat, "is_net": False,
                     "stat": stat, "value": float(value), "n": n, "base": n})
    return rows


def tabulate(ds: Dataset, spec: TableSpec) -> Table:
    """Compute every cell of one table from respondent rows."""
    rows: list[dict] = []
    for s in spec.series:
        rows += _series_rows(ds, spec, s)
    cells = pd.DataFrame(rows, columns=CELL_COLUMNS)
    cells["category"] = pd.Series([r["category"] for r in rows], dtype=object)
    if spec.sort == "desc":
        cells = _sort_desc(cells)
    return Table(spec=spec, cells=cells.reset_index(drop=True))


def _sort_desc(cells: pd.DataFrame) -> pd.DataFrame:
    """Order categories by the first series' total percentage, nets first."""
    first = cells[(cells["series"] == cells["series"].iloc[0]) & (cells["column"] == TOTAL)]
    order = first.sort_values(["is_net", "value"], ascending=[False, False], kind="stable")
    rank = {cat: i for i, cat in enumerate(order["category"])}
    key = cells["category"].map(lambda c: rank.get(c, len(rank)))
    series_rank = {k: i for i, k in enumerate(dict.fromkeys(cells["series"]))}
    return cells.assign(_s=cells["series"].map(series_rank), _k=key).sort_values(
        ["_s", "_k"], kind="stable").drop(columns=["_s", "_k"])
