"""Tabulate stage: turn a table spec into cells (counts, bases, percentages, means, medians).

A table's cells are a long frame with one row per series x column x category x statistic, so
charts, HTML tables, CSV files, prose and the audit all read the same numbers.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from .derive import Dataset
from .errors import SpecError
from .expr import mask
from .specs import Net, Series, TableSpec
from .weight import kish_effective_n

CELL_COLUMNS = ["series", "series_label", "column", "column_label", "category",
                "category_label", "is_net", "stat", "value", "n", "base", "n_eff", "sd", "flag", "unit"]
TOTAL = "total"
VALUE_STATS = ("pct", "mean", "median", "ratio")


@dataclass
class Table:
    """A computed table: the spec it came from and its cells."""

    spec: TableSpec
    cells: pd.DataFrame
    fraction: float = 0.0  # sampling fraction for the finite population correction of tests

    def cell(self, series: str | None = None, category: int | str | None = None,
             column: str = TOTAL, stat: str = "pct") -> pd.Series:
        """The one cell a prose helper or audit target points at; a clear error otherwise.

        `category` None means any (a numeric statistic's row); a digit string also finds the
        code it spells. 'base' and 'n' can be read off any row of the series and column.
        """
        key = (series or self.spec.series[0].key, column, stat if stat in VALUE_STATS else _ANY)
        position = self._positions.get((*key, _ANY if category is None else category))
        if position is None and isinstance(category, str) and category.isdigit():
            position = self._positions.get((*key, int(category)))
        if position is None:
            raise SpecError(f"table {self.spec.id!r} has no cell series={key[0]!r} "
                            f"category={category!r} column={column!r} stat={stat!r}")
        return self.cells.iloc[position]

    @cached_property
    def _positions(self) -> dict[tuple, int]:
        """The first row of each (series, column, stat or any, category or any): what `cell`
        looks up, built once instead of filtering every cell on every call."""
        found: dict[tuple, int] = {}
        c = self.cells
        for i, (series, column, stat, category) in enumerate(zip(c["series"], c["column"], c["stat"], c["category"])):
            for s in (stat, _ANY):
                found.setdefault((series, column, s, category), i)
                found.setdefault((series, column, s, _ANY), i)
        return found


_ANY = "\0any"  # stands for any statistic or category in Table._positions (no label holds a NUL)


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
        shown = list(var.codes)
        if s.top and len(shown) > s.top:  # the most mentioned in the whole base; ties in code order
            ranked = sorted(shown, key=lambda c: -int((items[c] & base).sum()))
            shown = [c for c in var.codes if c in ranked[: s.top]]
            rest = [c for c in var.codes if c not in shown]
            nets = list(s.nets) + [Net(s.top_label, tuple(rest))]
        else:
            nets = list(s.nets)
        for net in nets:
            any_item = np.logical_or.reduce([items[c] for c in net.codes])
            out.append((net.label, net.label, True, pd.Series(any_item, index=frame.index)))
        out += [(code, var.codes[code], False, items[code]) for code in shown]
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


def _series_rows(ds: Dataset, spec: TableSpec, s: Series, weights: pd.Series) -> list[dict]:
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
            rows += _numeric_rows(frame, s, in_base, weights, head)
            continue
        w = weights[in_base]
        base, total_w = int(in_base.sum()), float(w.sum())
        n_eff = kish_effective_n(w) if base else 0.0
        for cat, label, is_net, hit in cats:
            inside = hit & in_base
            rows.append({**head, "category": cat, "category_label": label, "is_net": is_net,
                         "stat": "pct", "value": 100.0 * weights[inside].sum() / total_w if base else np.nan,
                         "n": int(inside.sum()), "base": base, "n_eff": n_eff, "sd": np.nan})
    return rows


def _weighted_median(values: np.ndarray, w: np.ndarray) -> float:
    """The value at which half the weight lies on each side (the plain median when unweighted)."""
    if np.all(w == w[0]):
        return float(np.median(values))
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(w[order]) / w.sum()
    return float(values[order][np.searchsorted(cum, 0.5)])


def _numeric_rows(frame: pd.DataFrame, s: Series, in_base: pd.Series, weights: pd.Series,
                  head: dict) -> list[dict]:
    values = frame.loc[in_base, s.var]
    rows = []
    for stat in s.stats:
        sd = np.nan
        if stat == "ratio":
            denom = frame.loc[in_base, s.denominator]
            ok = values.notna() & denom.notna()
            w = weights[in_base][ok]
            value = 100.0 * (w * values[ok]).sum() / (w * denom[ok]).sum() if ok.any() else np.nan
        else:
            ok = values.notna()
            w, v = weights[in_base][ok].to_numpy(), values[ok].to_numpy()
            if not ok.any():
                value = np.nan
            elif stat == "mean":
                value = float(np.average(v, weights=w))
                sd = float(np.sqrt(np.average((v - value) ** 2, weights=w) * len(v) / max(len(v) - 1, 1)))
            else:
                value = _weighted_median(v, w)
        n = int(ok.sum())
        rows.append({**head, "category": None, "category_label": stat, "is_net": False,
                     "stat": stat, "value": float(value), "n": n, "base": n,
                     "n_eff": kish_effective_n(weights[in_base][ok]) if n else 0.0, "sd": sd,
                     "unit": s.unit})
    return rows


def _flags(cells: pd.DataFrame, spec: TableSpec) -> pd.Series:
    """'suppressed' below the table's minimum base, 'caution' below its caution base.

    Suppression is secondary too: where one subgroup column of a `by` variable is suppressed,
    the smallest other column of that variable goes with it, so the hidden column cannot be
    worked out from the total and its sibling.
    """
    flag = pd.Series("", index=cells.index, dtype=object)
    flag[cells["base"] < spec.caution_base] = "caution"
    flag[cells["base"] < spec.min_base] = "suppressed"
    by_var = cells["column"].str.split("=").str[0]
    for (_, var), part in cells[cells["column"] != TOTAL].groupby([cells["series"], by_var], sort=False):
        bases = part.groupby("column", sort=False)["base"].first()
        hidden = bases[bases < spec.min_base]
        if len(hidden) == 1 and len(bases) > 1:
            partner = bases.drop(hidden.index).idxmin()
            flag[part.index[part["column"] == partner]] = "suppressed"
    return flag


def tabulate(ds: Dataset, spec: TableSpec, weights: pd.Series | None = None) -> Table:
    """Compute every cell of one table from respondent rows (weighted when `weights` given)."""
    if weights is None:
        weights = pd.Series(1.0, index=ds.frame.index)
    rows: list[dict] = []
    for s in spec.series:
        rows += _series_rows(ds, spec, s, weights)
    cells = pd.DataFrame(rows, columns=CELL_COLUMNS)
    cells["category"] = pd.Series([r["category"] for r in rows], dtype=object)
    cells["flag"] = _flags(cells, spec)
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
