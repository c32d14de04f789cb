"""Spreadsheet output: every table in one workbook following GSS guidance, via ONS's gptables.

The Analysis Function's "Releasing statistics in spreadsheets" asks for a cover sheet (title,
what the release is, source, dates, contact, licence, the files released), a contents sheet, a
notes sheet explaining every shorthand, and one table per sheet, its title in A1, with no merged
cells, no blank rows or columns, and one kind of measure per column with its unit in the header.
gptables does the sheet layout; this module decides what goes in it.

Each table sheet is tidy: one row per cell of the table (question, group, answer), and one
column per measure: the percentage of the base's units, a mean, a median or a ratio, each named
with its unit, then the significance letters, the caution mark and the base in columns of their
own. Percentages are numbers at the report's precision with "(%)" in their header, so the same
numbers read alike in the ODS copy and the CSVs. Shorthand in square brackets stands where a
number cannot: [c] withheld (disclosure control), [low] under the smallest printed share, [z]
not applicable. A withheld cell's value and letters are never written.
"""

from __future__ import annotations

import math
import warnings
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import gptables as gpt
import pandas as pd
import xlsxwriter.exceptions

from pipeline.errors import OhmskError
from pipeline.output.ods import INSTRUCTIONS, Content, Sheet, write_ods
from pipeline.present.exhibits import Exhibit, data_file_stem, exhibit_label
from pipeline.present.formats import Formats
from pipeline.present.notes import base_line, weight_notes
from pipeline.present.publication import Publication, long_date, publication_details
from pipeline.spec.objects import Codebook
from pipeline.spec.schema.data_folder import Edition, Fieldwork
from pipeline.stages.compare import column_letter_map, note_on_tests
from pipeline.stages.disclosure import withheld
from pipeline.stages.tabulate import TOTAL, Table
from pipeline.stages.waves import UNTESTED, Change, question_changed
from pipeline.stats.rounding import round_half_up

LANGUAGE = "en-GB"
WITHHELD, LOW, NOT_APPLICABLE = "[c]", "[low]", "[z]"
# the measures a cell can hold, in the order their columns appear
MEASURES = ("pct", "mean", "median", "ratio")


def shorthand(formats: Formats) -> dict[str, str]:
    """The shorthand cells use, explained on the Notes sheet (GSS guidance)."""
    return {
        WITHHELD: "Withheld (disclosure control): the base is under the table's minimum, or showing the "
        "figure would let one with such a base be worked out. Its base is shown; its value, "
        "significance letters and caution mark are not.",
        LOW: f"More than zero but under {formats.smallest} (shown as {formats.below_one} in the report).",
        NOT_APPLICABLE: "Not applicable: the measure does not exist for this row (e.g. a mean in a row "
        "of a percentage), or the group is the total, which has no letter and is not tested.",
    }


CAUTION_NOTE = (
    "Caution column: 'yes' where the cell's base is under the table's caution base (the number in the "
    "column header): the figure is shown but rests on few respondents, so treat it with caution. The "
    "report marks such figures with an asterisk (*)."
)


@dataclass(frozen=True)
class Notes:
    """The Notes sheet: the shorthand first, then the caution mark, then one note per test the
    tables' letters come from; `number` finds a text's note number for the sheets to cite."""

    texts: tuple[str, ...]

    @classmethod
    def of(cls, tables: dict[str, Table], level: float, formats: Formats) -> Notes:
        tests = dict.fromkeys(_test_note(t, level) for t in tables.values() if _has_groups(t))
        codes = [f"{code} {text}" for code, text in shorthand(formats).items()]
        return cls((*codes, CAUTION_NOTE, *tests))

    def number(self, text: str) -> int:
        return self.texts.index(text) + 1

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"Note number": [f"note {i}" for i in range(1, len(self.texts) + 1)], "Note text": list(self.texts)}
        )


def _test_note(table: Table, level: float) -> str:
    """The note on a table's letters: which column holds them, and the report's own words on its test."""
    where = "Significance (the 'Significantly higher than' column; each group's letter is in 'Group letter')."
    return f"{where} {note_on_tests(table, level)}"


def _has_groups(table: Table) -> bool:
    return bool((table.cells["column"] != TOTAL).any())


def plural(unit: str) -> str:
    """A codebook's unit as the headers count it: 'provider' -> 'providers'."""
    return unit if unit.endswith("s") else f"{unit}s"


def _measure_unit(row: dict) -> str:
    """The unit of a mean, median or ratio: '%' for a share (declared `unit: "%"`, a ratio, or a
    variable its label calls a percentage or share), otherwise a number of what the question counts."""
    label = str(row["series_label"]).lower()
    share = row.get("unit") == "%" or row["stat"] == "ratio" or label.startswith(("percentage", "share"))
    return "%" if share else "number"


def _header(stat: str, unit_text: str, units: str) -> str:
    if stat == "pct":
        return f"{units[:1].upper()}{units[1:]} (%)"
    name = {"mean": "Mean", "median": "Median", "ratio": "Ratio of totals"}[stat]
    return f"{name} ({unit_text})"


def _value(row: dict, formats: Formats) -> float | str:
    """A cell's figure at the report's precision: a share (or a mean of shares) as its
    percentages, other statistics to one decimal place; shorthand where a number cannot stand."""
    if withheld(row):
        return WITHHELD
    value = float(row["value"])
    share = row["stat"] == "pct" or row.get("unit") == "%"
    if share and value > 0 and formats.rounded(value) == 0:
        return LOW
    return formats.rounded(value) if share else round_half_up(value, 1)


def _letters(row: dict, letters: dict[str, str]) -> str:
    if row["column"] not in letters:
        return NOT_APPLICABLE
    if withheld(row):
        return WITHHELD
    return str(row["letters"]) if row.get("letters") else "none"


def table_frame(
    table: Table, formats: Formats = Formats(), unit: str = "respondent", notes: tuple[int, int] | None = None
) -> pd.DataFrame:
    """The table, tidy: one row per cell, one column per measure (each with its unit), then the
    letters, caution and bases; `notes`, the Notes sheet's numbers for the letters' test and the
    caution mark, which those columns' headers cite."""
    units = plural(unit)
    records = table.cells.to_dict("records")
    headers = {
        (r["stat"], _measure_unit(r) if r["stat"] != "pct" else "%"): None
        for stat in MEASURES
        for r in records
        if r["stat"] == stat
    }
    columns = {key: _header(*key, units) for key in headers}
    letters = column_letter_map(table)
    grouped = _has_groups(table)
    spec = table.spec
    rows = []
    for r in records:
        key = (r["stat"], _measure_unit(r) if r["stat"] != "pct" else "%")
        row: dict[str, object] = {
            "Question": r["series_label"],
            "Group": r["column_label"],
        }
        if grouped:
            row["Group letter"] = letters.get(r["column"], NOT_APPLICABLE)
        row["Answer"] = _answer(r)
        for k, header in columns.items():
            row[header] = _value(r, formats) if k == key else NOT_APPLICABLE
        if grouped:
            row[f"Significantly higher than (group letters){_cite(notes, 0)}"] = _letters(r, letters)
        row[f"Caution: base under {spec.caution_base}{_cite(notes, 1)}"] = _caution(r)
        row[f"Base (number of {units})"] = int(r["base"])
        if table.weighted:
            row[f"Effective base (number of {units})"] = round_half_up(float(r["n_eff"]), 1)
        rows.append(row)
    return pd.DataFrame(rows)


def _caution(row: dict) -> str:
    """Whether the figure rests on a base under the caution base; a withheld cell says nothing."""
    if withheld(row):
        return WITHHELD
    return "yes" if row["flag"] == "caution" else "no"


def _cite(notes: tuple[int, int] | None, which: int) -> str:
    return f" [note {notes[which]}]" if notes else ""


def _answer(row: dict) -> str:
    """The row's answer: the category (nets named so), or who a summary statistic is over."""
    if row["stat"] != "pct":
        return "All answering"
    return ("Net: " if row["is_net"] else "") + str(row["category_label"])


def percent_columns(frame: pd.DataFrame) -> list[str]:
    """The columns of percentages of the base, which take the report's number format."""
    return [c for c in frame.columns if c.endswith("(%)") and not c.startswith(("Mean", "Median", "Ratio"))]


CHANGE_MEASURES = {  # a share's columns, then any other statistic's: one measure per column
    True: ("Previous wave (%)", "This wave (%)", "Change (percentage points)"),
    False: ("Previous wave (number; % for a ratio)", "This wave (number; % for a ratio)", "Change (number)"),
}


def changes_frame(
    found: list[Change], flagged: list[dict], exhibits: dict, formats: Formats = Formats()
) -> pd.DataFrame:
    """The all-respondents changes as a spreadsheet table: numbers as numbers, rounded as
    printed, a share's in columns of percentages and any other statistic's in columns of its own."""

    def shown(c: Change, value: float) -> float:
        return formats.rounded(value) if c.stat == "pct" else round_half_up(value, 1)

    def measures(c: Change) -> dict[str, float | str]:
        values = (shown(c, c.previous), shown(c, c.current), shown(c, c.points))
        return {
            header: value if share == (c.stat == "pct") else NOT_APPLICABLE
            for share, headers in CHANGE_MEASURES.items()
            for header, value in zip(headers, values)
        }

    rows = [
        {
            "Exhibit": exhibit_label(exhibits, c.table, c.table),
            "Figure": c.label + (" (question changed)" if question_changed(c, flagged) else ""),
            **measures(c),
            "Statistic": {"pct": "percentage"}.get(c.stat, c.stat),
            "Test": c.test or UNTESTED,
            "p-value (probability)": NOT_APPLICABLE if math.isnan(c.pvalue) else round(c.pvalue, 4),
            "Significant": "yes" if c.significant else "no",
        }
        for c in found
        if c.column == TOTAL
    ]
    return pd.DataFrame(rows)


def changes_sheet(changes: pd.DataFrame) -> Sheet:
    """The sheet of every all-respondents change since the previous wave."""
    return Sheet(
        name="table_changes",
        title="Change since the previous wave, all respondents",
        subtitles=[
            "Shares: change in percentage points, two-sided two-proportion test of the two waves' shares; "
            "means: Welch's t-test; medians and ratios: the change, not tested.",
            "Every comparison, subgroups included: changes.csv; questions added, dropped or "
            "changed: questions_changed.csv.",
        ],
        source="Source: ohmsk regeneration of DWP/DHSC research report 985",
        frame=changes,
        percent_columns=percent_columns(changes),
    )


def weighting(table: Table) -> str:
    """Whether the sheet's figures are weighted, as its notes say it: the exhibit's weighting
    note (what to, and what the effective base is), or that they are unweighted."""
    return " ".join(weight_notes(table)) or "Unweighted."


def _places(decimals: int) -> str:
    return "whole numbers" if decimals == 0 else f"{decimals} decimal place{'s' if decimals > 1 else ''}"


def sheet_name(ex_label: str | None, table_id: str) -> str:
    """A table's sheet: its exhibit's label ('Figure_4_1'), which the web page's links name too."""
    return (ex_label or f"Text {table_id}").replace(" ", "_").replace(".", "_")[:31]


def _fieldwork(fw: Fieldwork) -> str:
    if fw.start and fw.end:
        return f"fieldwork {long_date(fw.start)} to {long_date(fw.end)}"
    return f"fieldwork {fw.note}"


def _sheet(
    tid: str,
    table: Table,
    exhibits: dict[str, Exhibit],
    book: Codebook,
    origin: str,
    notes: Notes,
    level: float,
    formats: Formats,
) -> Sheet:
    """One table's sheet: its title, base, weighting, source and notes above the tidy table."""
    ex = exhibits.get(tid)
    label = ex.label if ex else None
    test = notes.number(_test_note(table, level)) if _has_groups(table) else 0
    frame = table_frame(table, formats, book.unit, (test, notes.number(CAUTION_NOTE)))
    fpc = (
        [
            f"Tests apply a finite population correction: the survey covers {formats.pct(100 * table.fraction)} "
            "of its population."
        ]
        if test and table.fraction
        else []
    )
    return Sheet(
        name=f"table_{tid}",
        title=f"{label}: {table.spec.title}" if label else table.spec.title,
        subtitles=[
            base_line(table),
            f"{weighting(table)} Source: {book.title}{origin}.",
            *([f"Significance letters: see note {test} on the Notes sheet."] if test else []),
            *fpc,
            *table.spec.notes,
        ],
        source=f"Source: ohmsk regeneration of DWP/DHSC research report 985; every cell with its standard "
        f"error and test: csv/{data_file_stem(exhibits, tid)}.csv",
        frame=frame,
        percent_columns=percent_columns(frame),
    )


def _gptable(sheet: Sheet, formats: Formats) -> gpt.GPTable:
    share_format = {"num_format": formats.number_format}
    return gpt.GPTable(
        table=sheet.frame,
        table_name=sheet.name,
        title=sheet.title,
        subtitles=list(sheet.subtitles),  # gptables rewrites what it is given
        instructions=INSTRUCTIONS,
        source=sheet.source,
        index_columns={2: 0},
        additional_formatting=[{"column": {"columns": sheet.percent_columns, "format": share_format}}]
        if sheet.percent_columns
        else [],
    )


def release_files(example: str, with_changes: bool, with_ods: bool) -> list[str]:
    """What the release holds, as the cover lists it (GSS: say what else is published);
    `example` is one table's download name, to show how they are named."""
    return [
        "report.pdf: the report, A4, tagged for screen readers.",
        "report.html: the same report with interactive charts and a data table under each chart.",
        "tables.xlsx: this workbook, every table of the report, one per sheet.",
        *(["tables.ods: the same workbook in OpenDocument format."] if with_ods else []),
        f"csv/: one file per table, named after its exhibit (e.g. {example}.csv; "
        "text_<table> for a tabulation the text quotes), every cell unrounded with its base, "
        "standard error, design effect and test.",
        f"figures/: every chart as SVG, named as its CSV (e.g. {example}.svg).",
        "audit.csv: every statistic the 2020 report prints, recomputed and compared.",
        "claims.csv: every statement the text makes about the data, with the figures it rests on.",
        "cleaning_log.csv: respondents read and kept, and every warning raised while cleaning.",
        *(["changes.csv and questions_changed.csv: every comparison with the previous wave."] if with_changes else []),
    ]


@dataclass(frozen=True)
class CoverText:
    """The cover's words, in gptables' sections, for both formats."""

    title: str
    intro: list[str]
    about: list[str]
    contact: list[str]

    @property
    def lines(self) -> list[str]:
        """The cover from A1 down, with gptables' section headings."""
        return [self.title, "Introductory information", *self.intro, "About these data", *self.about] + [
            "Contact",
            *self.contact,
        ]

    def gptables(self) -> gpt.Cover:
        # copies: gptables rewrites the lists it is given (links become dicts)
        return gpt.Cover(title=self.title, intro=list(self.intro), about=list(self.about), contact=list(self.contact))


def cover(
    config: dict,
    surveys: dict,
    formats: Formats,
    edition: Edition | None,
    example: str,
    with_changes: bool,
    with_ods: bool,
) -> CoverText:
    """The cover sheet: what the release is, its source and dates, the release's files, its
    licence and whom to ask (the publication details the report's cover prints too)."""
    pub: Publication | None = publication_details(config, edition) if edition else None
    sources = [
        f"{book.title}"
        + (f" ({edition.surveys[name].wave} wave, {_fieldwork(edition.surveys[name].fieldwork)})" if edition else "")
        for name, book in surveys.items()
        if name in config["surveys"]
    ]
    about = [
        "Source: " + "; ".join(sources) + ".",
        *([edition.provenance.summary, f"Data as of: {long_date(edition.data_as_of)}."] if edition else []),
        *(
            [
                f"Release date: {pub.date_text}.",
                f"{pub.version_text}.",
                f"Publisher: {pub.publisher}.",
                f"Citation: {pub.citation}",
                f"Licence: [{pub.licence_name}]({pub.licence_url})",
                *([pub.copyright_text] if pub.copyright_text else []),
            ]
            if pub
            else []
        ),
        f"Percentages are of each table's base and rounded half up to {_places(formats.decimals_pct)}, "
        "stored as numbers with (%) in the column header; means, medians and ratios to one decimal place.",
        "Letters name the groups a figure is significantly higher than; the Notes sheet says which test, "
        "and explains every shorthand used in cells ([c], [low], [z]) and the caution column.",
        "Files in this release:",
        *release_files(example, with_changes, with_ods),
    ]
    contact = (
        [f"{pub.contact_name}", f"Email: [{pub.contact_email}](mailto:{pub.contact_email})"]
        if pub
        else [config["publication"]["contact"]["name"]]
    )
    return CoverText(
        title=config["title"],
        intro=[
            config["subtitle"],
            "Every table of the report, one per sheet, listed on the Contents sheet.",
        ],
        about=about,
        contact=contact,
    )


def properties(config: dict, edition: Edition | None, created: datetime) -> dict[str, object]:
    """The document properties (GSS: title, and who publishes it); created on the release date,
    so that two builds of one edition are byte-identical."""
    pub = config["publication"]
    return {
        "title": config["title"],
        "subject": config["subtitle"],
        "author": pub["publisher"],
        "company": pub["publisher"],
        "keywords": "occupational health, musculoskeletal, survey, official statistics",
        "comments": edition.name if edition else config["subtitle"],
        "created": created,
    }


def release_day(edition: Edition) -> datetime:
    """The day the workbook is dated: the release's, or for a draft the data's."""
    day = edition.release.date if edition.release else edition.data_as_of
    return datetime.combine(day, datetime.min.time())


def write_workbook(
    tables: dict[str, Table],
    exhibits: dict[str, Exhibit],
    config: dict,
    surveys: dict,
    path: Path,
    published: datetime,
    changes: pd.DataFrame | None = None,
    formats: Formats = Formats(),
    edition: Edition | None = None,
    level: float = 0.95,
    ods: Path | None = None,
) -> None:
    """Write `path` (xlsx) with a cover, contents, notes and one sheet per table, and with a
    second wave, a sheet of the change in every share since the previous one; and with `ods`,
    the same content there as OpenDocument. `edition` is the data folder's edition.yaml
    (sources, dates, provenance, the release)."""
    origin = f" ({edition.provenance.label})" if edition else ""
    notes = Notes.of(tables, level, formats)
    sheets: dict[str, Sheet] = {
        sheet_name(exhibits[tid].label if tid in exhibits else None, tid): _sheet(
            tid, table, exhibits, surveys[table.spec.survey], origin, notes, level, formats
        )
        for tid, table in tables.items()
    }
    with_changes = changes is not None and not changes.empty
    if changes is not None and with_changes:
        sheets["Change_since_previous_wave"] = changes_sheet(changes)
    example = next((ex.file_stem for ex in exhibits.values() if ex.spec.kind == "figure"), "figure-1-1_<table>")
    front = cover(config, surveys, formats, edition, example, with_changes, ods is not None)
    props = properties(config, edition, published)
    if ods is not None:
        write_ods(Content(front.lines, list(notes.texts), sheets, formats.number_format), ods, props, LANGUAGE)
    with warnings.catch_warnings():
        # gptables warns that our notes are not footnote-referenced (the sheets cite them in
        # plain text), and about pandas deprecations inside itself that we cannot act on
        warnings.simplefilter("ignore")
        wb = gpt.produce_workbook(
            filename=str(path),
            sheets={name: _gptable(sheet, formats) for name, sheet in sheets.items()},
            cover=front.gptables(),
            notes_table=notes.frame(),
            contentsheet_label="Contents",
            notesheet_label="Notes",
            # text from data files stays text: never a formula or a link
            workbook_options={"strings_to_formulas": False, "strings_to_urls": False},
        )
    wb.set_properties(props)
    try:
        wb.close()
    except (OSError, xlsxwriter.exceptions.FileCreateError) as exc:  # e.g. the file is open elsewhere
        raise OhmskError(f"{path}: cannot write the workbook ({exc})") from exc
    set_language(path, LANGUAGE)


def set_language(path: Path, language: str) -> None:
    """Declare the document's language in docProps/core.xml (dc:language), which xlsxwriter
    cannot set: screen readers and the GSS checklist read it. Entries keep their dates, so the
    file stays byte-identical between builds."""
    with zipfile.ZipFile(path) as old:
        entries = [(info, old.read(info.filename)) for info in old.infolist()]
    with zipfile.ZipFile(path, "w") as new:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                data = data.replace(
                    b"</cp:coreProperties>", f"<dc:language>{language}</dc:language></cp:coreProperties>".encode()
                )
            new.writestr(info, data)
