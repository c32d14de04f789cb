"""Tabulate stage: turn a table spec into cells (counts, bases, percentages, means, medians).

A table's cells are a long frame with one row per series x column x category x statistic, so
charts, HTML tables, CSV files, prose and the audit all read the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from pipeline.errors import SpecError
from pipeline.spec.expressions import mask
from pipeline.spec.objects import Net, Series, TableSpec
from pipeline.stages.derive import Dataset
from pipeline.stats.calibration import effective_base
from pipeline.stats.columns import ColumnStats, Domains
from pipeline.stats.design import SurveyDesign, survey_design
from pipeline.stats.estimators import quantile

CELL_COLUMNS = [
    "series",
    "series_label",
    "column",
    "column_label",
    "category",
    "category_label",
    "is_net",
    "stat",
    "value",
    "n",
    "base",
    "n_eff",
    "sd",
    "se",
    "deff",
    "flag",
    "unit",
]
TOTAL = "total"
VALUE_STATS = ("pct", "mean", "median", "ratio")


@dataclass
class Table:
    """A computed table: the spec it came from and its cells."""

    spec: TableSpec
    cells: pd.DataFrame
    fraction: float = 0.0  # sampling fraction of the finite population correction (for notes)
    weighting: str = ""  # what the cells are weighted to, in words; empty when they are unweighted
    # each row's columns as domains of the design, by (series, repr(category), stat, by variable)
    domains: dict[tuple[str, str, str, str], ColumnStats] = field(default_factory=dict)
    design: str = "simple random sample"  # the design, in words, for the test note
    tests: str = "classical"  # "design" (design-based t-tests) or "classical" (z, Fisher, Welch)

    @property
    def weighted(self) -> bool:
        return bool(self.weighting)

    def cell(
        self, series: str | None = None, category: int | str | None = None, column: str = TOTAL, stat: str = "pct"
    ) -> pd.Series:
        """The one cell a prose helper or audit target points at; a clear error otherwise.

        `category` None means any (a numeric statistic's row); a digit string also finds the
        code it spells. 'base' and 'n' can be read off any row of the series and column.
        """
        key = (series or self.spec.series[0].key, column, stat if stat in VALUE_STATS else _ANY)
        position = self._positions.get((*key, _ANY if category is None else category))
        if position is None and isinstance(category, str) and category.isdigit():
            position = self._positions.get((*key, int(category)))
        if position is None:
            raise SpecError(
                f"table {self.spec.id!r} has no cell series={key[0]!r} "
                f"category={category!r} column={column!r} stat={stat!r}"
            )
        return self.cells.iloc[position]

    def columns_of(self, by_var: str) -> list[str]:
        """The columns of one subgroup variable (or ['total']), in table order."""
        return self._column_order.get(by_var, [])

    @cached_property
    def _column_order(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for column in dict.fromkeys(self.cells["column"]):
            found.setdefault(str(column).split("=", 1)[0], []).append(str(column))
        return found

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


@dataclass(frozen=True)
class _Grouping:
    """Columns that partition respondents: the total (one group), or one `by` variable's codes.

    `group[i]` is respondent i's column within the grouping, -1 for none (e.g. no answer).
    """

    columns: tuple[tuple[str, str], ...]  # (column id, label)
    group: np.ndarray


def _groupings(ds: Dataset, spec: TableSpec) -> list[_Grouping]:
    """The total, then one grouping per `by` variable, its columns in code order."""
    n = len(ds.frame)
    out = [_Grouping(((TOTAL, "Total"),), np.zeros(n, dtype=np.intp))]
    for by in spec.by:
        labels = ds.codebook.labels(by)
        codes = _substantive(ds, by)
        out.append(
            _Grouping(
                tuple((f"{by}={code}", labels[code]) for code in codes),
                _code_positions(ds.frame[by].to_numpy(dtype=float, na_value=np.nan), codes),
            )
        )
    return out


def _code_positions(values: np.ndarray, codes: list) -> np.ndarray:
    """Each value's position among `codes`, -1 where it is none of them (or missing)."""
    return pd.Index(codes).get_indexer(values)


@dataclass(frozen=True)
class _Row:
    """One category row of a categorical series and who falls in it: an indicator (nets and
    multi-code items) or a position among a single-code answer's codes (counted all at once)."""

    category: object
    label: str
    is_net: bool
    hit: np.ndarray | None = None
    code: int = -1


def _categories(ds: Dataset, s: Series, base: np.ndarray) -> tuple[list[_Row], np.ndarray | None, int]:
    """The rows of a categorical or multi series and, for a single-code one, each respondent's
    position among its codes (-1 for none) and how many codes there are."""
    book, frame = ds.codebook, ds.frame
    if book.kind(s.var) == "multi":
        var = book.variables[s.var]
        items = {code: frame[f"{s.var}_{code}"].to_numpy(dtype=float, na_value=np.nan) == 1 for code in var.codes}
        shown = list(var.codes)
        if s.top and len(shown) > s.top:  # the most mentioned in the whole base; ties in code order
            ranked = sorted(shown, key=lambda c: -int(np.count_nonzero(items[c] & base)))
            shown = [c for c in var.codes if c in ranked[: s.top]]
            rest = [c for c in var.codes if c not in shown]
            nets = list(s.nets) + [Net(s.top_label, tuple(rest))]
        else:
            nets = list(s.nets)
        rows = [_Row(net.label, net.label, True, np.logical_or.reduce([items[c] for c in net.codes])) for net in nets]
        return rows + [_Row(code, var.codes[code], False, items[code]) for code in shown], None, 0
    values = frame[s.var].to_numpy(dtype=float, na_value=np.nan)
    labels = book.labels(s.var)
    position = _code_positions(values, list(labels))  # -1: no answer (or not a code)
    given = np.bincount(position[base & (position >= 0)], minlength=len(labels))
    missing = set(labels) - set(_substantive(ds, s.var))
    rows = [_Row(net.label, net.label, True, np.isin(values, net.codes)) for net in s.nets]
    rows += [
        _Row(code, label, False, code=i)
        for i, (code, label) in enumerate(labels.items())
        if code not in missing or given[i]
    ]  # a don't-know row appears only when someone gave it
    return rows, position, len(labels)


def _substantive(ds: Dataset, name: str) -> list[int]:
    var = ds.codebook.variables.get(name)
    if var is not None:
        return list(var.codes)
    der = ds.codebook.derived[name]
    return list(der.labels)


def _sums(group: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Sum of `weights` (or a count) per group: the one pass over respondents a cell needs."""
    return np.bincount(group, weights=weights, minlength=size)[:size]


def _weighted(group: np.ndarray, size: int, w: np.ndarray | None, values: np.ndarray) -> np.ndarray:
    """Per group, the sum of `values` times the weights; unweighted (`w` None), of `values`."""
    return _sums(group, size, values if w is None else w * values)


def _series_rows(
    ds: Dataset, spec: TableSpec, s: Series, design: SurveyDesign, groupings: list[_Grouping], domains: dict
) -> list[dict]:
    """Every cell of one series, with its design-based standard error and design effect; each
    row's columns as domains of the design go into `domains` (for the significance tests).
    Unweighted designs count without weights, which saves half the passes."""
    weights = design.weights if design.weighted else None
    frame = ds.frame
    where = f"table {spec.id!r}, series {s.key!r}"
    if s.var not in ds.asked:
        raise SpecError(f"{where}: variable {s.var!r} is not in the data")
    base_mask = ds.asked[s.var].to_numpy(dtype=bool)
    if s.filter:
        base_mask = base_mask & mask(frame, s.filter, where).to_numpy(dtype=bool)
    common = {"series": s.key, "series_label": s.label or ds.codebook.label(s.var)}
    numeric = ds.codebook.kind(s.var) == "numeric"
    cats, position, n_codes = ([], None, 0) if numeric else _categories(ds, s, base_mask)
    rows: list[dict] = []
    for grouping in groupings:
        inside = base_mask & (grouping.group >= 0)
        group, w = grouping.group[inside], None if weights is None else weights[inside]
        heads = [{**common, "column": col, "column_label": label} for col, label in grouping.columns]
        by_var = grouping.columns[0][0].split("=", 1)[0]
        if numeric:
            found_rows = _numeric_rows(frame, s, inside, group, w, heads)
            _numeric_errors(design, frame, s, base_mask, grouping, found_rows, domains, by_var)
            rows += found_rows
            continue
        size = len(heads)
        bases = _sums(group, size)
        errors, columns = _share_errors(design, base_mask, grouping, cats, position, n_codes)
        for r, stats in zip(cats, errors):
            domains[(s.key, repr(r.category), "pct", by_var)] = stats
        if w is None:
            total_w = total_w2 = bases
        else:  # the weighted sums the standard errors were computed from: no second pass
            w_sum, w2_sum = columns.weight_sums()
            total_w, total_w2 = w_sum[:, :size].sum(axis=0), w2_sum[:, :size].sum(axis=0)
        by_code = _code_sums(position[inside], n_codes, group, None, size) if position is not None else None
        found = []
        for r, stats in zip(cats, errors):
            if r.hit is None:
                assert by_code is not None, "only a single-code series has rows counted by code position"
                counts = by_code[0][:, r.code]
            else:
                counts = _sums(group, size, r.hit[inside])
            found.append((r, counts, counts if w is None else stats.total))
        n_effs = effective_base(total_w, total_w2)
        for j, head in enumerate(heads):
            base = int(bases[j])
            n_eff = n_effs[j]
            for (r, counts, weighted), stats in zip(found, errors):
                rows.append(
                    {
                        **head,
                        "category": r.category,
                        "category_label": r.label,
                        "is_net": r.is_net,
                        "stat": "pct",
                        "value": 100.0 * weighted[j] / total_w[j] if base else np.nan,
                        "n": int(counts[j]),
                        "base": base,
                        "n_eff": float(n_eff) if base else 0.0,
                        "sd": np.nan,
                        "se": 100.0 * float(np.sqrt(max(stats.cov[j, j], 0.0))) if base else np.nan,
                        "deff": float(stats.deff[j]) if base else np.nan,
                    }
                )
    return rows


def _share_errors(
    design: SurveyDesign,
    base: np.ndarray,
    grouping: _Grouping,
    cats: list[_Row],
    position: np.ndarray | None,
    n_codes: int,
) -> tuple[list[ColumnStats], Domains]:
    """Each category row's columns as domains of the design (single codes counted in one pass),
    and the grouping's domains (whose weight sums the weighted shares are computed from)."""
    domains = Domains(design, base, grouping.group, len(grouping.columns))
    by_code = domains.codes(position, n_codes) if position is not None else []
    hits = [r.hit for r in cats if r.hit is not None]
    by_hit = iter(domains.rows(hits, shares=True) if hits else [])
    return [by_code[r.code] if r.hit is None else next(by_hit) for r in cats], domains


def _numeric_errors(
    design: SurveyDesign,
    frame: pd.DataFrame,
    s: Series,
    base: np.ndarray,
    grouping: _Grouping,
    rows: list[dict],
    domains: dict,
    by_var: str,
) -> None:
    """Standard errors and design effects of a numeric series' means, ratios and medians."""
    values = frame[s.var].to_numpy(dtype=float, na_value=np.nan)
    size = len(grouping.columns)
    for stat in s.stats:
        answered = base & ~np.isnan(values)
        if stat == "median":
            per_column = [_median_error(design, values, answered & (grouping.group == j)) for j in range(size)]
        else:
            denominator = None
            if stat == "ratio":
                denominator = frame[s.denominator].to_numpy(dtype=float, na_value=np.nan)
                answered &= ~np.isnan(denominator)
            stats = Domains(design, answered, grouping.group, size).rows(values[:, None], denominator)[0]
            domains[(s.key, repr(None), stat, by_var)] = stats
            scale = 100.0 if stat == "ratio" else 1.0
            per_column = [(float(scale * se), float(deff)) for se, deff in zip(stats.se(), stats.deff)]
        for row in rows:
            if row["stat"] == stat:
                j = [col for col, _ in grouping.columns].index(row["column"])
                row["se"], row["deff"] = per_column[j] if row["n"] else (np.nan, np.nan)


def _median_error(design: SurveyDesign, values: np.ndarray, domain: np.ndarray) -> tuple[float, float]:
    """A median's Woodruff standard error (no design effect is defined for it)."""
    if not domain.any():
        return np.nan, np.nan
    return quantile(design, np.where(domain, values, 0.0), 0.5, domain).se, np.nan


def _code_sums(
    position: np.ndarray, codes: int, group: np.ndarray, w: np.ndarray | None, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Counts and weights of every (column, code) cell of a single-code answer, in one pass each."""
    ok = position >= 0
    flat = group[ok] * codes + position[ok]
    counts = np.bincount(flat, minlength=size * codes)[: size * codes].reshape(size, codes)
    if w is None:
        return counts, counts
    weighted = np.bincount(flat, weights=w[ok], minlength=size * codes)[: size * codes].reshape(size, codes)
    return counts, weighted


def _weighted_median(values: np.ndarray, w: np.ndarray | None) -> float:
    """The value at which half the weight lies on each side (the plain median when unweighted)."""
    if w is None or np.all(w == w[0]):
        return float(np.median(values))
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(w[order]) / w.sum()
    return float(values[order][np.searchsorted(cum, 0.5)])


def _numeric_rows(
    frame: pd.DataFrame, s: Series, inside: np.ndarray, group: np.ndarray, w: np.ndarray | None, heads: list[dict]
) -> list[dict]:
    """Mean, median or ratio of a numeric variable: each column of one grouping, its stats in turn."""
    values = frame[s.var].to_numpy(dtype=float, na_value=np.nan)[inside]
    by_stat = {stat: _numeric_stat(frame, s, stat, inside, values, group, w, len(heads)) for stat in s.stats}
    return [
        {
            **head,
            "category": None,
            "category_label": stat,
            "is_net": False,
            "stat": stat,
            "value": value,
            "n": n,
            "base": n,
            "n_eff": n_eff,
            "sd": sd,
            "unit": s.unit,
        }
        for j, head in enumerate(heads)
        for stat, found in by_stat.items()
        for value, n, n_eff, sd in [found[j]]
    ]


def _numeric_stat(
    frame: pd.DataFrame,
    s: Series,
    stat: str,
    inside: np.ndarray,
    values: np.ndarray,
    group: np.ndarray,
    w: np.ndarray | None,
    size: int,
) -> list[tuple[float, int, float, float]]:
    """(value, n, effective base, sd) of one statistic in each of `size` columns."""
    ok = ~np.isnan(values)
    if stat == "ratio":
        denom = frame[s.denominator].to_numpy(dtype=float, na_value=np.nan)[inside]
        ok &= ~np.isnan(denom)
    g, v, wo = group[ok], values[ok], None if w is None else w[ok]
    if stat == "ratio":
        num, den = _weighted(g, size, wo, v), _weighted(g, size, wo, denom[ok])
    counts = _sums(g, size)
    sw, sw2 = (counts, counts) if wo is None else (_sums(g, size, wo), _sums(g, size, wo * wo))
    if stat == "mean":
        means = np.divide(_weighted(g, size, wo, v), sw, out=np.full(size, np.nan), where=counts > 0)
        spread = _weighted(g, size, wo, (v - means[g]) ** 2)
    elif stat == "median":
        order = np.lexsort((v, g))  # respondents by column, then value: each column a slice
        edges = np.searchsorted(g[order], np.arange(size + 1))
    n_effs = effective_base(np.asarray(sw, dtype=float), np.asarray(sw2, dtype=float))
    out = []
    for j in range(size):
        n, sd = int(counts[j]), np.nan
        if not n:
            value = np.nan
        elif stat == "ratio":
            value = 100.0 * num[j] / den[j]
        elif stat == "mean":
            value = float(means[j])
            sd = float(np.sqrt(spread[j] / sw[j] * n / max(n - 1, 1)))
        else:
            part = order[edges[j] : edges[j + 1]]
            value = _weighted_median(v[part], None if wo is None else wo[part])
        out.append((float(value), n, float(n_effs[j]) if n else 0.0, sd))
    return out


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
    for (_, _var), part in cells[cells["column"] != TOTAL].groupby([cells["series"], by_var], sort=False):
        bases = part.groupby("column", sort=False)["base"].first()
        hidden = bases[bases < spec.min_base]
        if len(hidden) == 1 and len(bases) > 1:
            partner = bases.drop(hidden.index).idxmin()
            flag[part.index[part["column"] == partner]] = "suppressed"
    return flag


def tabulate(ds: Dataset, spec: TableSpec, design: SurveyDesign | None = None) -> Table:
    """Compute every cell of one table from respondent rows, with the survey's `design`
    (weighted when its weights are; None: an unweighted simple random sample)."""
    design = design or survey_design(len(ds.frame))
    if design.n != len(ds.frame):
        raise SpecError(f"table {spec.id!r}: a design of {design.n} respondents for data of {len(ds.frame)}")
    groupings = _groupings(ds, spec)
    rows: list[dict] = []
    domains: dict = {}
    for s in spec.series:
        rows += _series_rows(ds, spec, s, design, groupings, domains)
    cells = pd.DataFrame(rows, columns=CELL_COLUMNS)
    cells["category"] = pd.Series([r["category"] for r in rows], dtype=object)
    cells["flag"] = _flags(cells, spec)
    if spec.sort == "desc":
        cells = _sort_desc(cells)
    return Table(spec=spec, cells=cells.reset_index(drop=True), domains=domains, design=design.description)


def _sort_desc(cells: pd.DataFrame) -> pd.DataFrame:
    """Order categories by the first series' total percentage, nets first."""
    first = cells[(cells["series"] == cells["series"].iloc[0]) & (cells["column"] == TOTAL)]
    order = first.sort_values(["is_net", "value"], ascending=[False, False], kind="stable")
    rank = {cat: i for i, cat in enumerate(order["category"])}
    key = cells["category"].map(lambda c: rank.get(c, len(rank)))
    series_rank = {k: i for i, k in enumerate(dict.fromkeys(cells["series"]))}
    return (
        cells.assign(_s=cells["series"].map(series_rank), _k=key)
        .sort_values(["_s", "_k"], kind="stable")
        .drop(columns=["_s", "_k"])
    )
