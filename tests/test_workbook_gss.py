"""The workbook against the checklist of the Analysis Function's "Releasing statistics in
spreadsheets" (GSS), every point that a program can check, on the session's build.

Each point is a check: a function from the workbook (openpyxl) and what the build should say to
the problems it finds. `test_the_built_workbook_passes` runs them all on the built workbook;
`test_each_check_fails_when_its_point_is_broken` breaks each point in a fresh copy and asserts
that its check then reports it, so no check passes vacuously.

Points the guidance makes that need a reader (plain English, a title that says what, where and
when, sensible decimal places) are not here: the cover and sheets print the specs' own words.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import PatternFill
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.present.exhibits import data_file_stem, number_exhibits
from pipeline.spec.folders import read_edition
from pipeline.stages.disclosure import withheld
from pipeline.stages.tabulate import Table

RAW = Path(__file__).resolve().parent.parent / "raw"
FRONT = ("Cover", "Contents", "Notes")
SHORTHAND = re.compile(r"\[[a-z]+\]")  # [c], [low], [z]: GSS shorthand (not "[note 4]")
# "Providers (%)", "Mean (number)", "Base (number of CCGs)", "Change (percentage points)"
UNIT = re.compile(r"\((%|percentage points|probability|number\b[^)]*)\)")
SHEET_NAME = re.compile(r"^(Figure|Table)_\d+_\d+$|^Text_\w+$|^Change_since_previous_wave$")
FILES = ("report.pdf", "report.html", "tables.xlsx", "csv/", "figures/")


@dataclass(frozen=True)
class Expected:
    """What the build says the workbook holds, for the checks to compare it with."""

    title: str
    created: str  # the release date, ISO
    tables: dict[str, Table]  # by table id
    percent_format: str


Check = Callable[[Workbook, Expected], list[str]]


def table_sheets(wb: Workbook) -> list[Worksheet]:
    return [ws for ws in wb.worksheets if ws.title not in FRONT]


def _text(ws: Worksheet) -> list[str]:
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


def _grid(ws: Worksheet) -> tuple[list[str], list[tuple]]:
    """The sheet's one Excel table: its header and its rows of values."""
    (table,) = ws.tables.values()
    rows = [tuple(c.value for c in row) for row in ws[table.ref]]
    return [str(h) for h in rows[0]], rows[1:]


def check_cover(wb: Workbook, ex: Expected) -> list[str]:
    """The cover first, with the title, source, dates, contact, licence and the files released."""
    if wb.sheetnames[0] != "Cover":
        return [f"the first sheet is {wb.sheetnames[0]!r}, not the cover"]
    ws = wb["Cover"]
    text = "\n".join(_text(ws))
    problems = [] if ws["A1"].value == ex.title else [f"the cover's A1 is {ws['A1'].value!r}, not the title"]
    for needed in ("Source: ", "Data as of: ", "Release date: ", "Contact", "Licence: ", "Publisher: ", *FILES):
        if needed not in text:
            problems.append(f"the cover does not give {needed.strip(': ')!r}")
    links = {c.hyperlink.target for c in ws["A"] if c.hyperlink}
    if not any(str(t).startswith("mailto:") for t in links) or not any(str(t).startswith("https://") for t in links):
        problems.append("the cover has no contact email link or no licence link")
    return problems


def check_no_build_paths(wb: Workbook, ex: Expected) -> list[str]:
    """Nothing names the machine it was built on (a path means nothing to a reader)."""
    return [f"{ws.title}: {t!r}" for ws in wb.worksheets for t in _text(ws) if re.search(r"(^|\s)/\w|outputs/", t)]


def check_contents(wb: Workbook, ex: Expected) -> list[str]:
    """A contents sheet, second, linking every table sheet."""
    if wb.sheetnames[1] != "Contents":
        return ["the contents sheet is not second"]
    linked = {c.value for c in wb["Contents"]["A"] if c.hyperlink and c.hyperlink.location == f"'{c.value}'!A1"}
    return [f"the contents does not link {ws.title}" for ws in table_sheets(wb) if ws.title not in linked]


def check_notes(wb: Workbook, ex: Expected) -> list[str]:
    """Every shorthand used in a cell, and every note a sheet cites, explained on the Notes sheet."""
    notes = {str(r[0]): str(r[1]) for r in wb["Notes"].iter_rows(min_row=4, values_only=True) if r[0] is not None}
    explained = {m.group(0) for text in notes.values() for m in [SHORTHAND.match(text)] if m}
    used, cited = set(), set()
    for ws in table_sheets(wb):
        for t in _text(ws):
            used |= set(SHORTHAND.findall(t))
            cited |= set(re.findall(r"\[note (\d+)\]", t)) | set(re.findall(r"see note (\d+)", t))
    return [f"shorthand {s} is not on the Notes sheet" for s in sorted(used - explained)] + [
        f"note {n} is cited but not on the Notes sheet" for n in sorted(cited - set(notes))
    ]


def check_titles(wb: Workbook, ex: Expected) -> list[str]:
    """Every sheet's title in A1 (screen readers start there); a table's names its exhibit."""
    problems = [f"{ws.title}: no title in A1" for ws in wb.worksheets if not ws["A1"].value]
    for ws in table_sheets(wb):
        label = ws.title.replace("_", " ", 1).replace("_", ".") if not ws.title.startswith("Text_") else ""
        if ws["A1"].value and label and not str(ws["A1"].value).startswith(label + ":"):
            problems.append(f"{ws.title}: A1 {ws['A1'].value!r} does not name {label}")
    return problems


def check_no_merged_cells(wb: Workbook, ex: Expected) -> list[str]:
    return [f"{ws.title}: merged {ws.merged_cells.ranges}" for ws in wb.worksheets if ws.merged_cells.ranges]


def check_tables_defined(wb: Workbook, ex: Expected) -> list[str]:
    """Each table sheet holds one Excel table, with unique, non-empty headers, that ends at the
    sheet's last row (nothing below it)."""
    problems = []
    for ws in table_sheets(wb):
        if len(ws.tables) != 1:
            problems.append(f"{ws.title}: {len(ws.tables)} Excel tables")
            continue
        header, rows = _grid(ws)
        if len(set(header)) != len(header) or "None" in header:
            problems.append(f"{ws.title}: headers not unique or empty: {header}")
        (table,) = ws.tables.values()
        last = int(re.sub(r"^.*[A-Z]", "", table.ref))
        if any(c.value is not None for row in ws.iter_rows(min_row=last + 1) for c in row):
            problems.append(f"{ws.title}: cells below the table {table.ref}")
    return problems


def check_no_blanks(wb: Workbook, ex: Expected) -> list[str]:
    """No blank row, column or cell inside a table (shorthand says why a figure is missing)."""
    problems = []
    for ws in table_sheets(wb):
        header, rows = _grid(ws)
        blanks = [(i, header[j]) for i, row in enumerate(rows) for j, v in enumerate(row) if v is None or v == ""]
        if blanks:
            problems.append(f"{ws.title}: blank cells at {blanks[:3]}")
    return problems


def check_units(wb: Workbook, ex: Expected) -> list[str]:
    """Every column holding numbers names its unit in its header, and holds one measure."""
    problems = []
    for ws in table_sheets(wb):
        header, rows = _grid(ws)
        for j, name in enumerate(header):
            if any(isinstance(row[j], int | float) for row in rows) and not UNIT.search(name):
                problems.append(f"{ws.title}: {name!r} holds numbers but names no unit")
    return problems


def check_percentages(wb: Workbook, ex: Expected) -> list[str]:
    """Percentages are numbers (or shorthand), never text with a symbol, in the report's format."""
    problems = []
    for ws in table_sheets(wb):
        (table,) = ws.tables.values()
        cells = list(ws[table.ref])
        for j, head in enumerate(cells[0]):
            if not str(head.value).endswith("(%)") or str(head.value).startswith(("Mean", "Median", "Ratio")):
                continue
            for row in cells[1:]:
                c = row[j]
                if isinstance(c.value, str) and not SHORTHAND.fullmatch(c.value):
                    problems.append(f"{ws.title}!{c.coordinate}: {c.value!r} is text")
                elif isinstance(c.value, int | float) and c.number_format != ex.percent_format:
                    problems.append(f"{ws.title}!{c.coordinate}: format {c.number_format!r}")
    return problems


def check_no_colour(wb: Workbook, ex: Expected) -> list[str]:
    """No cell says anything by colour alone: no fills, and coloured text only on links."""
    problems = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.fill.fill_type not in (None, "none"):
                    problems.append(f"{ws.title}!{c.coordinate}: filled")
                colour = c.font.color.rgb if c.font and c.font.color else None
                if isinstance(colour, str) and colour not in ("FF000000", "00000000") and not c.hyperlink:
                    problems.append(f"{ws.title}!{c.coordinate}: coloured text {colour}")
    return problems[:5]


def check_no_hidden_sheets(wb: Workbook, ex: Expected) -> list[str]:
    return [f"{ws.title} is {ws.sheet_state}" for ws in wb.worksheets if ws.sheet_state != "visible"]


def check_sheet_names(wb: Workbook, ex: Expected) -> list[str]:
    """Sheet names say what they hold (no 'Sheet1'), as the Contents lists them."""
    return [
        f"sheet name {ws.title!r}"
        for ws in wb.worksheets
        if (ws.title not in FRONT and not SHEET_NAME.match(ws.title)) or len(ws.title) > 31
    ]


def check_properties(wb: Workbook, ex: Expected) -> list[str]:
    """Title, author, language and the release's date in the document properties."""
    p = wb.properties
    found = {"title": p.title, "author": p.creator, "language": p.language, "created": p.created}
    wanted = {"title": ex.title, "language": "en-GB", "created": ex.created}
    problems = [f"{k} is {found[k]!r}" for k, v in wanted.items() if str(found[k])[: len(str(v))] != str(v)]
    return problems + ([] if p.creator else ["no author"])


def check_withheld(wb: Workbook, ex: Expected) -> list[str]:
    """Every withheld cell shows [c] for its measure and letters, never a figure: row i of a
    sheet's table is cell i of its computed table."""
    problems = []
    for ws in table_sheets(wb):
        (table,) = ws.tables.values()
        tid = table.name.removeprefix("table_")
        if tid not in ex.tables:
            continue
        header, rows = _grid(ws)
        measures = [j for j, h in enumerate(header) if "(%)" in h or h.startswith(("Mean", "Median", "Ratio"))]
        letters = [j for j, h in enumerate(header) if h.startswith("Significantly higher than")]
        for row, cell in zip(rows, ex.tables[tid].cells.to_dict("records")):
            if withheld(cell) and any(row[j] not in ("[c]", "[z]") for j in measures + letters):
                problems.append(f"{ws.title}: a withheld cell shows {row}")
    return problems


CHECKS: list[Check] = [
    check_cover,
    check_no_build_paths,
    check_contents,
    check_notes,
    check_titles,
    check_no_merged_cells,
    check_tables_defined,
    check_no_blanks,
    check_units,
    check_percentages,
    check_no_colour,
    check_no_hidden_sheets,
    check_sheet_names,
    check_properties,
    check_withheld,
]


@pytest.fixture(scope="session")
def expected(tables, report_spec) -> Expected:
    edition = read_edition(RAW)
    release = edition.release.date if edition.release else edition.data_as_of
    decimals = report_spec.config["conventions"]["decimals_pct"]
    return Expected(
        report_spec.config["title"], release.isoformat(), tables, "0" + ("." + "0" * decimals if decimals else "")
    )


@pytest.fixture(scope="session")
def book(built) -> Workbook:
    return openpyxl.load_workbook(built / "tables.xlsx")


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
def test_the_built_workbook_passes(book, expected, check):
    assert check(book, expected) == []


def _first_table(wb: Workbook) -> Worksheet:
    return wb["Figure_4_1"]


def _data_cell(wb: Workbook, header_start: str, row: int = 1):
    ws = _first_table(wb)
    (table,) = ws.tables.values()
    cells = list(ws[table.ref])
    j = next(i for i, c in enumerate(cells[0]) if str(c.value).startswith(header_start))
    return cells[row][j]


def _withheld_cell(wb: Workbook):
    ws = _first_table(wb)
    (table,) = ws.tables.values()
    cells = list(ws[table.ref])
    return next(row[4] for row in cells[1:] if row[4].value == "[c]")


def _unlink_contents(wb: Workbook) -> None:
    next(c for c in wb["Contents"]["A"] if c.hyperlink).hyperlink = None


def _set(cell, value) -> None:
    cell.value = value


# how to break each point in a fresh copy of the built workbook
BREAKS: dict[str, Callable[[Workbook], None]] = {
    "cover": lambda wb: _set(next(c for c in wb["Cover"]["A"] if str(c.value).startswith("Licence")), "Free"),
    "no_build_paths": lambda wb: _set(wb["Cover"]["A3"], "Built in /tmp/ohmsk/outputs/tables.xlsx"),
    "contents": _unlink_contents,
    "notes": lambda wb: _set(_data_cell(wb, "Providers (%)"), "[x]"),
    "titles": lambda wb: _set(_first_table(wb)["A1"], None),
    "no_merged_cells": lambda wb: _first_table(wb).merge_cells("A2:C2"),
    "tables_defined": lambda wb: _set(_data_cell(wb, "Group", 0), "Question"),
    "no_blanks": lambda wb: _set(_data_cell(wb, "Answer"), None),
    "units": lambda wb: _set(_data_cell(wb, "Providers (%)", 0), "Providers"),
    "percentages": lambda wb: _set(_data_cell(wb, "Providers (%)"), "3%"),
    "no_colour": lambda wb: setattr(_data_cell(wb, "Answer"), "fill", PatternFill("solid", fgColor="FFFF0000")),
    "no_hidden_sheets": lambda wb: setattr(_first_table(wb), "sheet_state", "hidden"),
    "sheet_names": lambda wb: setattr(_first_table(wb), "title", "Sheet1"),
    "properties": lambda wb: setattr(wb.properties, "language", None),
    "withheld": lambda wb: _set(_withheld_cell(wb), 42),
}


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
def test_each_check_fails_when_its_point_is_broken(built, expected, check):
    wb = openpyxl.load_workbook(built / "tables.xlsx")
    BREAKS[check.__name__.removeprefix("check_")](wb)
    assert check(wb, expected), f"{check.__name__} did not notice"


def test_the_downloads_are_named_after_their_exhibits(built, tables, report_spec):
    """csv/<stem>.csv for every table and figures/<stem>.svg for every chart, the names the web
    page links to (pipeline/present/exhibits.py data_file_stem), and nothing else."""
    exhibits = number_exhibits(tables, report_spec.tables)
    csvs = {p.name for p in (built / "csv").glob("*")}
    svgs = {p.name for p in (built / "figures").glob("*")}
    assert csvs == {f"{data_file_stem(exhibits, tid)}.csv" for tid in tables}
    assert svgs == {f"{ex.file_stem}.svg" for ex in exhibits.values() if ex.spec.kind == "figure"}
    assert "figure-4-1_services_count.csv" in csvs and any(n.startswith("text_") for n in csvs)


def test_the_cover_lists_only_files_the_release_has(book, built):
    text = "\n".join(_text(book["Cover"]))
    listed = [n for n in re.findall(r"^([\w.]+/?(?: and [\w.]+)?):", text, re.M) if "." in n or n.endswith("/")]
    assert listed and set(FILES) <= set(listed)
    for name in listed:
        for part in name.split(" and "):
            assert (built / part).exists(), part


def _values(rows) -> list[tuple]:
    """A sheet's rows as comparable values: blanks as None, whole floats as ints, trailing blanks cut."""

    def plain(v: object) -> object:
        if v is None or v == "" or (isinstance(v, float) and v != v):
            return None
        return int(v) if isinstance(v, float) and v.is_integer() else v

    out = [tuple(plain(v) for v in row) for row in rows]
    out = [row[: max((i + 1 for i, v in enumerate(row) if v is not None), default=0)] for row in out]
    while out and not out[-1]:
        out.pop()
    return out


def test_the_ods_copy_holds_what_the_workbook_does(book, built):
    """tables.ods: the same sheets in the same order, every cell the same value (so disclosure
    control holds in it as in the xlsx), a named range per table, and the same properties."""
    import pandas as pd
    from odf.opendocument import load
    from odf.table import DatabaseRange

    ods = pd.read_excel(built / "tables.ods", engine="odf", sheet_name=None, header=None, keep_default_na=False)
    assert list(ods) == book.sheetnames
    for name, frame in ods.items():
        assert _values(frame.itertuples(index=False)) == _values(book[name].iter_rows(values_only=True)), name
    doc = load(str(built / "tables.ods"))
    ranges = {str(r.getAttribute("name")) for r in doc.getElementsByType(DatabaseRange)}
    assert ranges == {t for ws in book.worksheets for t in ws.tables}
    with zipfile.ZipFile(built / "tables.ods") as z:
        text = z.read("meta.xml").decode("utf-8")
    assert "<dc:language>en-GB</dc:language>" in text and f"<dc:title>{book.properties.title}</dc:title>" in text
