"""The template API: `R`, the object report templates call for every figure they print.

Templates never contain numbers: they call the helpers on `ReportContext`, which read the
computed tables, so every figure in the prose changes when the data change. Each helper
applies the house formats and the disclosure rules (a withheld cell is never printed, and may
not choose words either), and records the words it chooses from the data in the claim log
(claims.csv).
"""

from __future__ import annotations

import html
from dataclasses import replace
from functools import partial

import jinja2
import pandas as pd
from markupsafe import Markup

from pipeline.errors import SpecError
from pipeline.output.downloads import csv_path, svg_path
from pipeline.output.workbook import sheet_name
from pipeline.present.claims import ClaimLog, Condition, Fact
from pipeline.present.differences import Difference, difference
from pipeline.present.exhibits import Exhibit, exhibit_label
from pipeline.present.figures import alt_text, chart_cells
from pipeline.present.formats import Formats, fmt_number
from pipeline.present.layouts import cell_text, data_rows
from pipeline.present.notes import base_line, base_notes, left_off_note, table_notes, weight_notes
from pipeline.present.words import share_words
from pipeline.spec.schema.problems import suggest
from pipeline.stages.disclosure import Withheld, placeholder, refuse, withheld
from pipeline.stages.tabulate import TOTAL, Table
from pipeline.stats.rounding import round_half_up


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
    ) -> Fact:
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
                "label": label,
                "pct": self.formats.pct(value),
                "code": code,
                "value": Fact(value, f"{table_id} {series_label}: {label} ({column})"),
            }
            for label, value, code, series_label in zip(
                rows["category_label"], rows["value"], rows["category"], rows["series_label"]
            )
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
            if cut is not None and p >= cut
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

    def files(self, table_id: str) -> dict[str, str | None]:
        """An exhibit's downloads, as its links name them: its CSV, its workbook sheet and, for
        a figure, its SVG (the files pipeline/output/downloads.py lists)."""
        ex = self.exhibits[table_id]
        return {
            "csv": csv_path(self.exhibits, table_id),
            "svg": svg_path(self.exhibits, table_id) if ex.spec.kind == "figure" else None,
            "sheet": sheet_name(ex.label, table_id),
        }

    def figure(self, table_id: str) -> Markup:
        ex = self.exhibits[table_id]
        tpl = self.env.get_template("partials/figure.html.j2")
        html_only = self.mode == "html"  # print: the alt text is on the chart's img
        # print: a data table only under a stacked chart, whose small segments carry no label
        tabled = html_only or ex.spec.chart == "stacked"
        return Markup(
            tpl.render(
                ex=ex,
                R=self,
                base=base_line(ex.table),
                alt=alt_text(ex.table, self.formats) if html_only else None,
                chart=Markup(self.figure_html.get(table_id, "")),
                rows=data_rows(ex.table, partial(cell_text, formats=self.formats)) if tabled else None,
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
