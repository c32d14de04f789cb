"""Table layouts: a computed table's long cells arranged as the reader sees them.

One layout per spec `layout` (categories down and subgroup columns across, one row per series,
or a grid), each giving a header, body rows and base rows. The cell formatter is passed in, so
the report's HTML tables (text, through `cell_text`) and the workbook's sheets (numbers and
shorthand) lay a table out alike.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from pipeline.present.formats import Formats, fmt_number
from pipeline.stages.compare import column_letter_map
from pipeline.stages.disclosure import withheld
from pipeline.stages.tabulate import TOTAL, Table
from pipeline.stats.rounding import round_half_up


def cell_text(row: pd.Series | dict, formats: Formats = Formats(), in_table: bool = True) -> str:
    """A cell as tables print it: value, significance letters, '*' for caution, '[c]' if withheld."""
    if withheld(row):
        return "[c]"
    if row["stat"] == "pct" or row.get("unit") == "%":  # a share, or a mean of shares
        text = formats.pct(row["value"], in_table)
    else:
        text = fmt_number(row["value"], 1) + ("%" if row["stat"] == "ratio" else "")
    if row["flag"] == "caution" and row["value"] != 0:  # nothing to be cautious about in a zero
        text += "*"
    return f"{text} {row['letters']}" if row.get("letters") else text


def data_rows(table: Table, fmt: Callable[[dict], object] = cell_text, empty: object = "") -> dict:
    """The table a reader sees, in the spec's layout: header, body rows and (maybe) a base row.

    `fmt` turns a cell into what is shown (text for HTML, numbers and shorthand for the
    spreadsheet); `empty` fills a position the table has no statistic for.
    """
    layout = {"series_rows": _series_rows_layout, "grid": _grid_layout}.get(table.spec.layout, _categories_layout)
    return layout(table, fmt, empty)


def _series_rows_layout(table: Table, fmt: Callable, empty: object) -> dict:
    """One row per series (e.g. role x contract type), its categories and nets across, base last."""
    c = table.cells[(table.cells["column"] == TOTAL) & (table.cells["stat"] == "pct")]
    cats = list(dict.fromkeys(zip(c["category"].map(repr), c["category_label"])))
    body = []
    for key, label in dict.fromkeys(zip(c["series"], c["series_label"])):
        part = c[c["series"] == key]
        by_cat = {repr(row["category"]): row for row in part.to_dict("records")}
        body.append(
            [label]
            + [fmt(by_cat[r]) if r in by_cat else empty for r, _ in cats]
            + [int(part["base"].iloc[0])]
            + ([effective_base(part.iloc[0])] if table.weighted else [])
        )
    return {
        "header": [lab for _, lab in cats] + ["Base (n)"] + (["Effective base"] if table.weighted else []),
        "body": body,
        "bases": None,
        "effective": None,
    }


def _grid_layout(table: Table, fmt: Callable, empty: object) -> dict:
    """Each series' statistic placed at its (row, col); each row's base (e.g. mean shares)."""
    c = table.cells[(table.cells["column"] == TOTAL) & (table.cells["stat"] != "pct")]
    spec = {s.key: s for s in table.spec.series}
    rows = list(dict.fromkeys(s.row for s in table.spec.series))
    cols = list(dict.fromkeys(s.col for s in table.spec.series))
    grid: dict[tuple[str, str], object] = {}
    bases: dict[str, dict] = {}  # each row's largest base: the cell it is read from
    for cell in c.to_dict("records"):
        s = spec[cell["series"]]
        grid[(s.row, s.col)] = fmt(cell)
        if s.row not in bases or int(cell["base"]) > int(bases[s.row]["base"]):
            bases[s.row] = cell
    body = [
        [r]
        + [grid.get((r, col), empty) for col in cols]
        + [int(bases[r]["base"]) if r in bases else 0]
        + ([effective_base(bases[r]) if r in bases else 0.0] if table.weighted else [])
        for r in rows
    ]
    return {
        "header": cols + ["Base (n)"] + (["Effective base"] if table.weighted else []),
        "body": body,
        "bases": None,
        "effective": None,
    }


def _categories_layout(table: Table, fmt: Callable, empty: object) -> dict:
    """Categories down, categorical series x columns across.

    Numeric summaries (mean, median, ratio) become extra rows under the first series' columns,
    with their own base in the row label where it differs from the total column's.
    """
    records = table.cells.to_dict("records")  # plain rows: filtering a frame per cell is slow
    pct = [r for r in records if r["stat"] == "pct"]
    stats = [r for r in records if r["stat"] != "pct"]
    source = pct or stats
    cols = list(dict.fromkeys((r["series"], r["series_label"], r["column"], r["column_label"]) for r in source))
    letters = column_letter_map(table)
    multi_series = len({k for k, *_ in cols}) > 1
    only_total = len(cols) == 1 and cols[0][3] == "Total"
    header = [
        ((f"{sl}: {cl}" if cl != "Total" else sl) if multi_series or only_total else cl)
        + (f" ({letters[col]})" if col in letters else "")
        for _, sl, col, cl in cols
    ]
    bases: dict[tuple, int] = {}
    for r in source:
        bases.setdefault((r["series"], r["column"]), int(r["base"]))
    by_cell: dict[tuple, dict] = {}
    for r in pct:
        by_cell.setdefault((r["series"], r["column"], repr(r["category"])), r)
    body: list[list] = []
    for cat_repr, label, is_net in dict.fromkeys((repr(r["category"]), r["category_label"], r["is_net"]) for r in pct):
        row_out: list = [("Net: " if is_net else "") + label]
        for key, _, col, _ in cols:
            hit = by_cell.get((key, col, cat_repr))
            row_out.append(fmt(hit) if hit is not None else empty)
        body.append(row_out)
    first_key, first_col = cols[0][0], cols[0][2]
    for key, stat in dict.fromkeys((r["series"], r["stat"]) for r in stats):
        by_col: dict[str, dict] = {}
        for r in stats:
            if r["series"] == key and r["stat"] == stat:
                by_col.setdefault(r["column"], r)
        label = f"{next(iter(by_col.values()))['series_label']}: {stat}"
        total_n = int(by_col[first_col]["base"]) if first_col in by_col else None
        if pct and total_n is not None and total_n != bases[(first_key, first_col)]:
            label += f" (base {total_n})"
        row: list[object] = [label]
        for ckey, _, col, _ in cols:
            row.append(empty if (ckey != first_key and pct) or col not in by_col else fmt(by_col[col]))
        body.append(row)
    base_row = ["Base (n)"] + [bases[(key, col)] for key, _, col, _ in cols]
    effective: list[object] | None = None
    if table.weighted:
        first: dict[tuple[str, str], dict] = {}
        for r in source:
            first.setdefault((r["series"], r["column"]), r)
        effective = ["Effective base"] + [effective_base(first[(key, col)]) for key, _, col, _ in cols]
    return {"header": header, "body": body, "bases": base_row, "effective": effective}


def effective_base(row: pd.Series | dict) -> float:
    """A cell's effective base (Kish) as tables print it, to one decimal place."""
    return round_half_up(float(row["n_eff"]), 1)
