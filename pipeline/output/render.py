"""Render stage: chapters to HTML (interactive charts) and PDF (vector charts), tables to CSV.

Templates never contain numbers: they call the helpers on `ReportContext`, which read the
computed tables, so every figure in the prose changes when the data change.
"""

from __future__ import annotations

import html
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import jinja2
import pandas as pd
import plotly.io
from markupsafe import Markup

from pipeline.errors import OhmskError, SpecError
from pipeline.output.pdf_render import PART_BREAK, PLACEHOLDER_PAGE
from pipeline.output.safe_csv import Writer
from pipeline.present.claims import ClaimExtension, ClaimLog, Condition, Fact
from pipeline.present.figures import alt_text, chart_cells
from pipeline.present.formats import Formats, fmt_number, round_half_up
from pipeline.present.words import share_words
from pipeline.spec.objects import TableSpec
from pipeline.spec.schema.problems import suggest
from pipeline.stages.compare import TEST_NOTE, Difference, column_letter_map, difference
from pipeline.stages.disclosure import SUPPRESSED, Withheld, placeholder, refuse, withheld
from pipeline.stages.tabulate import TOTAL, Table

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"


@dataclass(frozen=True)
class Exhibit:
    """A numbered figure or table and how the 2020 report numbered it."""

    table: Table
    label: str  # "Figure 4.1" / "Table 8.1"
    shared: tuple[int, int] = (1, 1)  # (which, of how many) exhibits the 2020 report numbers alike

    @property
    def spec(self) -> TableSpec:
        return self.table.spec

    @property
    def anchor(self) -> str:
        return self.label.lower().replace(" ", "-").replace(".", "-")

    @property
    def source_note(self) -> str:
        """Where our number differs from the 2020 report's, say what the reader will find there."""
        s = self.spec
        if s.printed_as:
            return f"{s.source} in the 2020 report, where its caption is misprinted as {s.printed_as}"
        which, count = self.shared
        if count > 1:  # the 2020 report gives one number to several exhibits
            word, number = s.source.split(" ", 1)
            return (
                f"the {_ORDINALS[which - 1]} of {_COUNTS[count - 2]} {word.lower()}s numbered "
                f"{number} in the 2020 report"
            )
        if s.source not in (self.label, "text"):
            return f"{s.source} in the 2020 report"
        return ""


_ORDINALS = ("first", "second", "third", "fourth")
_COUNTS = ("two", "three", "four")


def number_exhibits(tables: dict[str, Table], specs: list[TableSpec]) -> dict[str, Exhibit]:
    """Number figures and tables in spec order within each chapter: Figure 4.1, 4.2 …

    Where the 2020 report gave one number to several exhibits (and no caption is recorded as
    misprinted), each says which of them it is.
    """
    counters: dict[tuple[int, str], int] = {}
    out: dict[str, Exhibit] = {}
    numbered = [s for s in specs if s.kind != "text"]
    alike = {
        s.source: [t.id for t in numbered if t.source == s.source and not t.printed_as]
        for s in numbered
        if s.source != "text"
    }
    for spec in numbered:
        word = "Figure" if spec.kind == "figure" else "Table"
        key = (spec.chapter, word)
        counters[key] = counters.get(key, 0) + 1
        same = alike.get(spec.source, [])
        shared = (same.index(spec.id) + 1, len(same)) if spec.id in same and len(same) > 1 else (1, 1)
        out[spec.id] = Exhibit(tables[spec.id], f"{word} {spec.chapter}.{counters[key]}", shared)
    return out


def exhibit_label(exhibits: dict[str, Exhibit], table_id: str, default: str) -> str:
    """'Figure 4.1' for a numbered exhibit; `default` for a text-only tabulation."""
    ex = exhibits.get(table_id)
    return ex.label if ex else default


def base_line(table: Table, column: str = TOTAL) -> str:
    """'Base: <who> (<n>)', one clause per distinct base, as the report prints them.

    Where bases differ, a clause is prefixed with its series' label when the spec gives one.
    A weighted table prints each base's effective base (Kish) beside it: the unweighted count
    says how many answered, the effective base how much their weighted figures are worth.
    """
    c = table.cells[table.cells["column"] == column]
    if table.spec.layout == "grid":  # each row prints its own base: name who, once per wording
        where = (
            "each row's base and effective base in the last columns"
            if table.weighted
            else "each row's base in the last column"
        )
        return "Base: " + "; ".join(dict.fromkeys(s.base for s in table.spec.series)) + f" ({where})"
    clauses: dict[tuple[str, int], str] = {}
    named: dict[str, dict[str, int]] = {}  # wording -> each series' name and base
    effective: dict[tuple[str, int], float] = {}  # (wording, base) -> its effective base
    for s in table.spec.series:
        rows = c[c["series"] == s.key]
        if not rows.empty:
            n = int(rows["base"].iloc[0])
            clauses.setdefault((s.base, n), s.base_name or s.label)
            named.setdefault(s.base, {}).setdefault(s.base_name or s.label, n)
            effective.setdefault((s.base, n), float(rows["n_eff"].iloc[0]))
    several = len(clauses) > 1

    def n_text(base: str, n: int) -> str:
        return f"{n}, effective base {fmt_number(effective[(base, n)], 1)}" if table.weighted else str(n)

    parts = []
    for base, items in named.items():
        if len(set(items.values())) > 1 and all(items):  # one wording, a base per series (e.g. per role)
            parts.append(f"{base} ({'; '.join(f'{label}: {n_text(base, n)}' for label, n in items.items())})")
        else:
            parts += [
                (f"'{label}': " if several and label else "") + f"{b} ({n_text(b, n)})"
                for (b, n), label in clauses.items()
                if b == base
            ]
    return "Base: " + "; ".join(parts)


def weight_notes(table: Table) -> list[str]:
    """Say that a table's figures are weighted, to what, and what its two bases mean; an
    unweighted table needs no note (the methodology says which surveys are weighted).

    The effective base is Kish's (sum w)^2 / sum w^2 (Kish 1965, Survey Sampling, section 11.7),
    the size of a simple random sample as precise as the weighted one.
    """
    if not table.weighted:
        return []
    return [
        f"Weighted: {table.weighting}. Bases are numbers of respondents (unweighted); the "
        f"effective base is the number of unweighted respondents that would give the same "
        f"precision (Kish)."
    ]


def left_off_note(table: Table) -> list[str]:
    """Name the series a chart leaves off because their base is under the table's minimum."""
    c = table.cells
    gone = c[(c["column"] == TOTAL) & (c["flag"] == SUPPRESSED) & (c["stat"] == "pct")]
    names = {s.key: s.base_name or s.label for s in table.spec.series}
    left = list(dict.fromkeys(names.get(k) or lab for k, lab in zip(gone["series"], gone["series_label"])))
    return [f"Not shown, base under {table.spec.min_base}: {'; '.join(left)}."] if left else []


class ReportContext:
    """What templates see: numbered exhibits and helpers that read computed cells."""

    def __init__(
        self,
        tables: dict[str, Table],
        exhibits: dict[str, Exhibit],
        mode: str,
        env: jinja2.Environment,
        figure_html: dict[str, str],
        level: float = 0.95,
        formats: Formats = Formats(),
        draft: bool = False,
    ):
        self.level = level
        self.claims = ClaimLog(draft)  # what the templates claimed of the data (claims.csv)
        self.formats = formats
        self.tables = tables
        self.exhibits = exhibits
        self.mode = mode
        self.env = env
        self.figure_html = figure_html

    def _table(self, table_id: str) -> Table:
        if table_id not in self.tables:
            raise SpecError(f"unknown table {table_id!r}{suggest(table_id, self.tables)}")
        return self.tables[table_id]

    def _cell(
        self, table_id: str, series: str | None, category: int | str | None, column: str, stat: str = "pct"
    ) -> pd.Series:
        return self._table(table_id).cell(series, category, column, stat)

    def _withheld_text(self, table_id: str, row: pd.Series) -> Withheld:
        return Withheld(placeholder(row, self._table(table_id).spec.min_base))

    def pct(self, table_id: str, category: int | str, series: str | None = None, column: str = TOTAL) -> str:
        """A share for prose: '*' marks a small base (as in charts and tables); too small is withheld."""
        row = self._cell(table_id, series, category, column)
        if withheld(row):
            return self._withheld_text(table_id, row)
        text = self.formats.pct(float(row["value"]))
        if row["flag"] != "caution":
            return text
        note = f"Base of {int(row['base'])}: under {self._table(table_id).spec.caution_base}, treat with caution"
        return Markup(f'{html.escape(text)}<span class="caution" title="{note}">*</span>')

    def has(
        self,
        table_id: str,
        category: int | str | None = None,
        series: str | None = None,
        column: str = TOTAL,
        stat: str = "pct",
    ) -> bool:
        """Whether the table has the cell at all: a category outside a top-N list, or absent
        from this wave's answers, has none, and prose that names it must word around that."""
        try:
            self._cell(table_id, series, category, column, stat)
        except SpecError:
            return False
        return True

    def shown(
        self,
        table_id: str,
        category: int | str | None = None,
        series: str | None = None,
        column: str = TOTAL,
        stat: str = "pct",
    ) -> bool:
        """Whether a figure may be printed (not withheld), for prose that words around it."""
        return not withheld(self._cell(table_id, series, category, column, stat))

    def words(
        self, table_id: str, category: int | str, series: str | None = None, column: str = TOTAL, noun: bool = False
    ) -> str:
        """The share in words ('around a quarter'), following the printed percentage;
        `noun=True` when a plural noun follows ('around a quarter of providers')."""
        row = self._cell(table_id, series, category, column)
        if withheld(row):
            return self._withheld_text(table_id, row)
        words = share_words(float(row["value"]), noun)
        self.claims.worded("R.words(...)", _fact(table_id, row).describe(), words)
        return words

    def value(
        self,
        table_id: str,
        category: int | str | None = None,
        series: str | None = None,
        column: str = TOTAL,
        stat: str = "pct",
    ) -> float:
        """The unrounded statistic, for prose that must choose its words from the data
        (`{% if R.value(...) > 50 %}most{% else %}fewer than half{% endif %}`); never print it.
        A withheld cell's value may not choose words either: that is an error."""
        row = self._cell(table_id, series, category, column, stat)
        if withheld(row):
            raise refuse(row, table_id, "R.value")
        return _fact(table_id, row)

    def rounded(
        self,
        table_id: str,
        category: int | str | None = None,
        series: str | None = None,
        column: str = TOTAL,
        stat: str = "pct",
        decimals: int | None = None,
    ) -> Fact:
        """The statistic as printed (a share to the house decimals, another statistic to
        `decimals`, default 0), for claims about what the reader sees: 'the mean was close to
        the median' is judged on the two printed numbers."""
        fact = self.value(table_id, category, series, column, stat)
        places = self.formats.decimals_pct if stat == "pct" and decimals is None else decimals or 0
        return Fact(round_half_up(float(fact), places), f"{fact.label} as printed")

    def diff(
        self,
        table_id: str,
        category: int | str | None,
        column_a: str,
        column_b: str,
        series: str | None = None,
        stat: str = "pct",
    ) -> Difference:
        """The test of two subgroup cells, so prose says 'significantly' only when it is
        (and says nothing of a comparison that rests on a withheld cell)."""
        found = difference(self._table(table_id), category, column_a, column_b, series, stat, self.level)
        return replace(found, log=self.claims)

    def num(
        self, table_id: str, series: str | None = None, stat: str = "mean", decimals: int = 0, column: str = TOTAL
    ) -> str:
        row = self._cell(table_id, series, None, column, stat)
        if withheld(row):
            return self._withheld_text(table_id, row)
        return fmt_number(float(row["value"]), decimals)

    def weighted(self, table_id: str) -> bool:
        """Whether a table's figures are weighted, for prose that must word counts around it."""
        return self._table(table_id).weighted

    def n(self, table_id: str, category: int | str, series: str | None = None, column: str = TOTAL) -> int | Withheld:
        """How many respondents gave an answer: a count for prose about an unweighted table.

        A weighted table's shares are not these counts over its base, so a count printed
        beside them would contradict them, and a weighted count (a sum of weights) is on the
        frame's scale, not the base's: on a weighted table this refuses, and the template
        words the sentence with R.weighted(...) (a share, R.pct, instead of the count).
        """
        table = self._table(table_id)
        if table.weighted:
            raise SpecError(
                f"R.n reads a count from table {table_id!r}, whose figures are weighted "
                f"({table.weighting}): a count of respondents beside weighted shares "
                f"would contradict them; give a share (R.pct) when R.weighted({table_id!r})"
            )
        row = self._cell(table_id, series, category, column)
        if withheld(row):
            return self._withheld_text(table_id, row)
        return int(row["n"])

    def base(self, table_id: str, series: str | None = None, column: str = TOTAL) -> int:
        """A base is printed even where its cells are withheld: it says why they are."""
        return int(self._cell(table_id, series, None, column, "base")["base"])

    def _categories(self, table_id: str, series: str | None, column: str) -> pd.DataFrame:
        """A series' categories (no nets) in one column, largest share first; the order of a
        withheld column's categories would reveal them, so asking for it is an error."""
        table = self._table(table_id)
        key = series or table.spec.series[0].key
        c = table.cells
        rows = c[(c["series"] == key) & (c["column"] == column) & (c["stat"] == "pct") & ~c["is_net"]]
        if len(rows) and withheld(rows.iloc[0]):
            raise refuse(rows.iloc[0], table_id, "R.ranked")
        return rows.sort_values("value", ascending=False, kind="stable")

    def ranked(self, table_id: str, series: str | None = None, column: str = TOTAL) -> list[dict]:
        """A series' categories, largest share first: for prose that names the leaders."""
        rows = self._categories(table_id, series, column)
        return [
            {
                "label": r.category_label,
                "pct": self.formats.pct(r.value),
                "code": r.category,
                "value": Fact(r.value, f"{table_id} {r.series_label}: {r.category_label} ({column})"),
            }
            for r in rows.itertuples()
        ]

    def leads(self, table_id: str, categories: object, series: str | None = None, column: str = TOTAL) -> Condition:
        """Whether the given category (or each of a list of them) has a larger share, as
        printed, than every other category: the condition of "X is the most common" or "driven
        mainly by X and Y". A category the table lacks (outside a top-N list) does not lead."""
        wanted = list(categories) if isinstance(categories, (list, tuple)) else [categories]
        rows = self._categories(table_id, series, column)
        printed = [round_half_up(float(v), self.formats.decimals_pct) for v in rows["value"]]
        mine = [(lab, v) for code, lab, v in zip(rows["category"], rows["category_label"], printed) if code in wanted]
        rest = [
            (lab, v) for code, lab, v in zip(rows["category"], rows["category_label"], printed) if code not in wanted
        ]
        what = f"{table_id} ({series or 'first series'}, {column})"
        if len(mine) < len(wanted):
            return Condition(False, f"{what}: not every one of {wanted!r} is among its categories")
        holds = not rest or min(v for _, v in mine) > max(v for _, v in rest)
        runner = f"; next: {rest[0][0]} = {_number_text(rest[0][1])}" if rest else ""
        return Condition(
            holds,
            f"{what}: {', '.join(f'{lab} = {_number_text(v)}' for lab, v in mine)} "
            f"above every other category as printed{runner}",
        )

    def leaders(
        self, table_id: str, series: str | None = None, n: int = 1, column: str = TOTAL, short: bool = False
    ) -> Markup:
        """The `n` largest categories named with their shares ('X (40%) and Y (35%)'), and any
        that print the same share as the last of them, so a tie is never named as one leader
        ('X and Y (both 40%)'). `short` drops a label's parenthesis and lower-cases it."""
        rows = self._categories(table_id, series, column)
        printed = [round_half_up(float(v), self.formats.decimals_pct) for v in rows["value"]]
        cut = printed[min(n, len(printed)) - 1] if printed else None
        kept = [
            (lab, v, p)
            for lab, v, p in zip(rows["category_label"], rows["value"], printed)
            if len(printed) and (p >= cut)
        ]
        groups: dict[float, list[str]] = {}
        for lab, _, p in kept:
            groups.setdefault(p, []).append(_plain_label(lab) if short else str(lab))
        parts = []
        for p, labels in groups.items():
            share = self.formats.pct(p)
            if len(labels) == 1:
                parts.append(f"{labels[0]} ({share})")
            else:
                parts.append(f"{_and(labels)} ({'both' if len(labels) == 2 else 'each'} {share})")
        text = _and(parts)
        self.claims.worded(
            f"R.leaders({table_id!r}, n={n})", "; ".join(f"{lab} = {_number_text(v)}" for lab, v, _ in kept), text
        )
        return Markup(html.escape(text))

    def label(self, table_id: str) -> str:
        """The exhibit's number ('Figure 4.1'), or the table id for a text-only tabulation."""
        return exhibit_label(self.exhibits, table_id, table_id)

    def ref(self, table_id: str) -> Markup:
        ex = self.exhibits[table_id]
        return Markup(f'<a href="#{ex.anchor}">{html.escape(ex.label)}</a>')

    def figure(self, table_id: str) -> Markup:
        ex = self.exhibits[table_id]
        tpl = self.env.get_template("partials/figure.html.j2")
        html_only = self.mode == "html"  # print: the alt text is on the chart's img, no data table
        return Markup(
            tpl.render(
                ex=ex,
                R=self,
                base=base_line(ex.table),
                alt=alt_text(ex.table, self.formats) if html_only else None,
                chart=Markup(self.figure_html.get(table_id, "")),
                rows=data_rows(ex.table, partial(cell_text, formats=self.formats)) if html_only else None,
                notes=table_notes(ex.table, self.level, self.formats),
                chart_notes=weight_notes(ex.table)
                + base_notes(chart_cells(ex.table), ex.spec)
                + left_off_note(ex.table),
            )
        )

    def table(self, table_id: str) -> Markup:
        ex = self.exhibits[table_id]
        tpl = self.env.get_template("partials/table.html.j2")
        return Markup(
            tpl.render(
                ex=ex,
                R=self,
                base=base_line(ex.table),
                rows=data_rows(ex.table, partial(cell_text, formats=self.formats)),
                notes=weight_notes(ex.table) + table_notes(ex.table, self.level, self.formats),
            )
        )


def _number_text(value: float) -> str:
    return f"{value:.4g}"


def _and(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def _plain_label(label: str) -> str:
    """A category label for running prose: no parenthesis, lower-cased unless an acronym."""
    text = str(label).split(" (")[0]
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def _fact(table_id: str, row: pd.Series) -> Fact:
    """A cell's value with its address, for the conditions claims rest on."""
    what = row["series_label"] if row["category"] is None else f"{row['series_label']}: {row['category_label']}"
    return Fact(float(row["value"]), f"{table_id} {what} ({row['stat']}, {row['column']})")


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


def base_notes(cells, spec: TableSpec) -> list[str]:
    """Explain the small-base symbols that `cells` actually use."""
    notes = []
    if (cells["flag"] == "caution").any():
        notes.append(f"* Base under {spec.caution_base}: treat with caution.")
    hidden = cells["flag"] == SUPPRESSED
    if hidden.any():
        protect = (hidden & (cells["base"] >= spec.min_base)).any()
        notes.append(
            f"[c] Not shown: base under {spec.min_base}"
            + (", or shown it would let such a figure be worked out." if protect else ".")
        )
    return notes


def table_notes(table: Table, level: float, formats: Formats = Formats()) -> list[str]:
    """The notes a table needs: the test behind its letters and the small-base symbols used."""
    c = table.cells
    notes = [TEST_NOTE.format(level=level)] if (c["column"] != TOTAL).any() else []
    if notes and table.fraction:
        notes.append(
            f"Tests apply a finite population correction: the survey covers "
            f"{formats.pct(100 * table.fraction)} of its population."
        )
    return notes + base_notes(c, table.spec)


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
        row = [label]
        for ckey, _, col, _ in cols:
            row.append(empty if (ckey != first_key and pct) or col not in by_col else fmt(by_col[col]))
        body.append(row)
    base_row = ["Base (n)"] + [bases[(key, col)] for key, _, col, _ in cols]
    effective = None
    if table.weighted:
        first = {}
        for r in source:
            first.setdefault((r["series"], r["column"]), r)
        effective = ["Effective base"] + [effective_base(first[(key, col)]) for key, _, col, _ in cols]
    return {"header": header, "body": body, "bases": base_row, "effective": effective}


def effective_base(row: pd.Series | dict) -> float:
    """A cell's effective base (Kish) as tables print it, to one decimal place."""
    return round_half_up(float(row["n_eff"]), 1)


def write_csv(
    table: Table, path: Path, level: float = 0.95, restricted: bool = False, formats: Formats = Formats()
) -> None:
    """The long cells of one table with everything needed to trace each number: its `weight`
    column says what the figures are weighted to, or "unweighted".

    A withheld cell keeps its labels, base, effective base and flag, with value, count and
    letters empty, unless `restricted` (the unsuppressed copy for the restricted folder).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    spec = table.spec
    bases = {s.key: s for s in spec.series}
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = Writer(fh)
        w.writerow(
            [
                "table_id",
                "source",
                "title",
                "survey",
                "series",
                "series_label",
                "base_description",
                "filter",
                "weight",
                "test",
                "column",
                "column_label",
                "category",
                "category_label",
                "is_net",
                "stat",
                "value",
                "shown",
                "n",
                "base",
                "effective_base",
                "flag",
                "significantly_higher_than",
            ]
        )
        test = TEST_NOTE.format(level=level) if spec.by else "none (no subgroup columns)"
        weight = table.weighting or "unweighted"
        for row in table.cells.to_dict("records"):
            s = bases[row["series"]]
            hidden = withheld(row) and not restricted
            w.writerow(
                [
                    spec.id,
                    spec.source,
                    spec.title,
                    spec.survey,
                    row["series"],
                    row["series_label"],
                    s.base,
                    s.filter or "",
                    weight,
                    test,
                    row["column"],
                    row["column_label"],
                    "" if row["category"] is None else row["category"],
                    row["category_label"],
                    int(row["is_net"]),
                    row["stat"],
                    "" if hidden else f"{row['value']:.6f}",
                    cell_text({**row, "letters": ""}, formats, in_table=False),
                    "" if hidden else row["n"],
                    row["base"],
                    f"{row['n_eff']:.1f}",
                    row["flag"],
                    row["letters"],
                ]
            )


def environment(compiled: Path | None = None, formats: Formats = Formats()) -> jinja2.Environment:
    """Jinja with autoescape, strict undefined names and the house number formats as filters.

    `compiled` keeps the compiled templates (checked against their source) for later builds.
    """
    if compiled is not None:
        compiled.mkdir(parents=True, exist_ok=True)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        extensions=[ClaimExtension],
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(compiled)) if compiled else None,
    )
    env.filters["pct"] = formats.pct
    env.filters["num"] = fmt_number
    env.filters["date"] = lambda d: f"{d.day} {d:%B %Y}"
    return env


def _template_line(exc: BaseException) -> str:
    """Where in the templates an error arose: Jinja gives each template frame of the traceback
    the template's file and line (the innermost first, then the template that included it)."""
    frames = [
        (Path(f.f_code.co_filename), line)
        for f, line in traceback.walk_tb(exc.__traceback__)
        if f.f_code.co_filename.endswith(".j2")
    ]
    places = [
        f"{path.relative_to(TEMPLATES_DIR.parent) if path.is_relative_to(TEMPLATES_DIR.parent) else path}:{line}"
        for path, line in reversed(frames)
    ]
    return places[0] + (f" (from {places[-1]})" if len(places) > 1 else "") if places else ""


def render_template(env: jinja2.Environment, name: str, **context: object) -> str:
    """One template rendered; a mistake in it (bad syntax, an unknown name, table or cell, a
    withheld figure it reads) stops the build naming the template's file and line."""
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise SpecError(f"templates/{exc.name or name}:{exc.lineno}: {exc.message}") from exc
    except (jinja2.TemplateError, OhmskError) as exc:
        where = _template_line(exc) or f"templates/{name}"
        raise SpecError(f"{where}: {exc}") from exc


def render_bodies(config: dict, ctx: ReportContext, meta: dict) -> tuple[list[dict], list[dict]]:
    """Front matter and chapters rendered (the costly part), each with the sections it holds.

    For print, a chapter whose report.yaml entry lists `pdf_parts_at` (ids of h3 or h4 headings)
    is cut before each of them into continuation entries (`level` 3 or 4, the heading it starts
    with; a chapter's own entry has level 2), so the PDF can render it in parts.
    """

    def part(entry: dict) -> dict:
        body = Markup(render_template(ctx.env, entry["template"], R=ctx, meta=meta))
        return {**entry, "body": body, "sections": sections(body)}

    front = [part(f) for f in config.get("front", [])]
    chapters = []
    for ch in map(part, config["chapters"]):
        cuts = ch.get("pdf_parts_at", []) if ctx.mode == "pdf" else []
        starts = [m for m in re.finditer(r'<h([34]) id="([^"]+)"', ch["body"]) if m.group(2) in cuts]
        ends = [m.start() for m in starts] + [len(ch["body"])]
        chapters.append({**ch, "body": Markup(ch["body"][: ends[0]]), "level": 2})
        chapters += [
            {**ch, "body": Markup(ch["body"][m.start() : end]), "sections": [], "level": int(m.group(1))}
            for m, end in zip(starts, ends[1:])
        ]
    return front, chapters


def render_document(
    config: dict,
    ctx: ReportContext,
    meta: dict,
    front: list[dict],
    chapters: list[dict],
    pages: dict[str, int] | None = None,
) -> str:
    """The whole report as one document, its contents listing every section it renders.

    `pages` gives the contents the page of each heading (print only; see pipeline/output/pdf.py).
    """
    return render_template(
        ctx.env,
        "report.html.j2",
        config=config,
        front=front,
        chapters=chapters,
        R=ctx,
        meta=meta,
        mode=ctx.mode,
        pages=pages or {},
        placeholder=PLACEHOLDER_PAGE,
        part_break=PART_BREAK,
    )


_SECTION = re.compile(r'<h3 id="([^"]+)"[^>]*>(.*?)</h3>', re.S)


def sections(body: str) -> list[dict]:
    """The numbered sections (h3 with an id) a chapter renders, for the contents."""
    return [
        {"id": m.group(1), "title": Markup(re.sub(r"<[^>]+>", "", m.group(2))).unescape().strip()}
        for m in _SECTION.finditer(body)
    ]


def figure_markup(
    figures: dict, exhibits: dict[str, Exhibit], mode: str, svg_dir: Path, formats: Formats = Formats()
) -> dict[str, str]:
    """Interactive plotly divs (HTML) or links to vector SVGs (PDF) for every figure (plotly
    figure dicts by table id)."""
    out: dict[str, str] = {}
    for tid, ex in exhibits.items():
        if ex.spec.kind != "figure":
            continue
        if mode == "html":
            out[tid] = plotly.io.to_html(
                figures[tid],
                full_html=False,
                include_plotlyjs=False,
                validate=False,
                div_id=f"chart-{tid}",
                config={"displaylogo": False, "responsive": True},
            )
        else:
            out[tid] = (
                f'<img class="chart" src="{svg_dir.name}/{tid}.svg" alt="{html.escape(alt_text(ex.table, formats))}">'
            )
    return out
