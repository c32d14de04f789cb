"""Spreadsheet output: every table in one workbook following GSS guidance, via ONS's gptables.

gptables writes the cover, contents and notes sheets and lays each table out as the
Government Statistical Service asks (title and description in cells, one table per sheet,
no merged cells, no blank rows inside tables). Figures are numbers; shorthand in square
brackets stands where a number cannot: [c] suppressed (small base), [low] under 0.5%,
[z] not applicable.
"""

from __future__ import annotations

import math
import warnings
from datetime import datetime
from functools import partial
from pathlib import Path

import gptables as gpt
import pandas as pd
import xlsxwriter.exceptions

from pipeline.errors import OhmskError
from pipeline.present.exhibits import Exhibit, exhibit_label
from pipeline.present.formats import Formats
from pipeline.present.layouts import data_rows
from pipeline.present.notes import base_line, weight_notes
from pipeline.spec.schema.data_folder import Provenance
from pipeline.stages.disclosure import withheld
from pipeline.stages.tabulate import TOTAL, Table
from pipeline.stages.waves import UNTESTED, Change, question_changed
from pipeline.stats.rounding import round_half_up


def shorthand(formats: Formats) -> dict[str, str]:
    """The shorthand cells use, explained on the Notes sheet (GSS guidance)."""
    return {
        "[c]": "Suppressed: the base is too small to show a reliable figure, or showing it would reveal one.",
        "[low]": f"More than zero but under {formats.smallest} (shown as {formats.below_one} in the report).",
        "[z]": "Not applicable: the statistic does not exist for this row and column.",
    }


def _value(row: dict, formats: Formats) -> float | str:
    if withheld(row):
        return "[c]"
    value = float(row["value"])
    share = row["stat"] == "pct" or row.get("unit") == "%"  # a percentage, or a mean of percentages
    if share and value > 0 and formats.rounded(value) == 0:
        return "[low]"
    return formats.rounded(value) if share else round_half_up(value, 1)


def table_frame(table: Table, formats: Formats = Formats()) -> pd.DataFrame:
    """The table as the report lays it out, with numbers as numbers and shorthand elsewhere."""
    rows = data_rows(table, fmt=partial(_value, formats=formats), empty="[z]")
    body = rows["body"] + [extra for extra in (rows["bases"], rows["effective"]) if extra]
    return pd.DataFrame(body, columns=["Category", *rows["header"]])


def changes_frame(
    found: list[Change], flagged: list[dict], exhibits: dict, formats: Formats = Formats()
) -> pd.DataFrame:
    """The all-respondents changes as a spreadsheet table: numbers as numbers, rounded as printed."""

    def shown(c: Change, value: float) -> float:
        return formats.rounded(value) if c.stat == "pct" else round_half_up(value, 1)

    rows = [
        {
            "Exhibit": exhibit_label(exhibits, c.table, c.table),
            "Figure": c.label + (" (question changed)" if question_changed(c, flagged) else ""),
            "Previous wave": shown(c, c.previous),
            "This wave": shown(c, c.current),
            "Change": shown(c, c.points),
            "Statistic": {"pct": "% (change in points)"}.get(c.stat, c.stat),
            "Test": c.test or UNTESTED,
            "p-value": "[z]" if math.isnan(c.pvalue) else round(c.pvalue, 4),
            "Significant": "yes" if c.significant else "no",
        }
        for c in found
        if c.column == TOTAL
    ]
    return pd.DataFrame(rows)


def weighting(table: Table) -> str:
    """Whether the sheet's figures are weighted, as its notes say it: the exhibit's weighting
    note (what to, and what the effective base is), or that they are unweighted."""
    return " ".join(weight_notes(table)) or "Unweighted."


def _places(decimals: int) -> str:
    return "whole numbers" if decimals == 0 else f"{decimals} decimal place{'s' if decimals > 1 else ''}"


def sheet_name(ex_label: str | None, table_id: str) -> str:
    """A table's sheet: its exhibit's label ('Figure_4_1'), which the web page's links name too."""
    return (ex_label or f"Text {table_id}").replace(" ", "_").replace(".", "_")[:31]


def write_workbook(
    tables: dict[str, Table],
    exhibits: dict[str, Exhibit],
    config: dict,
    surveys: dict,
    path: Path,
    published: datetime,
    changes: pd.DataFrame | None = None,
    formats: Formats = Formats(),
    provenance: Provenance | None = None,
) -> None:
    """Write `path` (xlsx) with a cover, contents, notes and one sheet per table, and with a
    second wave, a sheet of the change in every share since the previous one. `provenance`
    is what the data folder's edition.yaml says the data are (the sources and the cover say it)."""
    origin = f" ({provenance.label})" if provenance else ""
    sheets: dict[str, gpt.GPTable] = {}
    for tid, table in tables.items():
        ex = exhibits.get(tid)
        label = ex.label if ex else None
        title = f"{label}: {table.spec.title}" if label else table.spec.title
        book = surveys[table.spec.survey]
        sheets[sheet_name(label, tid)] = gpt.GPTable(
            table=table_frame(table, formats),
            table_name=f"table_{tid}",
            title=title,
            subtitles=[base_line(table), f"{weighting(table)} Source: {book.title}{origin}."],
            source=f"Source: ohmsk regeneration of DWP/DHSC research report 985 (table id {tid})",
            index_columns={2: 0},
        )
    if changes is not None and not changes.empty:
        sheets["Change_since_previous_wave"] = gpt.GPTable(
            table=changes,
            table_name="table_changes",
            title="Change since the previous wave, all respondents",
            subtitles=[
                "Shares: change in percentage points, two-sided two-proportion test of the two waves' shares; "
                "means: Welch's t-test; medians and ratios: the change, not tested.",
                "Every comparison, subgroups included: changes.csv; questions added, dropped or "
                "changed: questions_changed.csv.",
            ],
            source="Source: ohmsk regeneration of DWP/DHSC research report 985",
            index_columns={2: 0},
        )
    notes_text = shorthand(formats)
    notes = pd.DataFrame(
        {
            "Note number": [f"note {i}" for i in range(1, len(notes_text) + 1)],
            "Note text": [f"{code} {text}" for code, text in notes_text.items()],
        }
    )
    cover = gpt.Cover(
        title=config["title"],
        intro=[
            config["subtitle"],
            "Every table of the report, one per sheet. Percentages are of each table's base, "
            f"rounded half up to {_places(formats.decimals_pct)}; means to one decimal place.",
        ],
        about=[
            *([provenance.summary] if provenance else []),
            "The CSV files in outputs/csv hold the unrounded values.",
            "Shorthand used in cells is explained on the Notes sheet.",
        ],
    )
    with warnings.catch_warnings():
        # gptables warns that our shorthand notes are not footnote-referenced (they explain
        # cell symbols), and about pandas deprecations inside itself that we cannot act on
        warnings.simplefilter("ignore")
        wb = gpt.produce_workbook(
            filename=str(path),
            sheets=sheets,
            cover=cover,
            notes_table=notes,
            contentsheet_label="Contents",
            notesheet_label="Notes",
            # text from data files stays text: never a formula or a link
            workbook_options={"strings_to_formulas": False, "strings_to_urls": False},
        )
    wb.set_properties({"title": config["title"], "created": published})
    try:
        wb.close()
    except (OSError, xlsxwriter.exceptions.FileCreateError) as exc:  # e.g. the file is open elsewhere
        raise OhmskError(f"{path}: cannot write the workbook ({exc})") from exc
