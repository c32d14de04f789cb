"""tables.ods: the workbook in OpenDocument, the open format the GSS guidance asks for beside
(or instead of) xlsx, written with odfpy, the library pandas' own ODS engine uses.

It is written from the same content as tables.xlsx (pipeline/output/workbook.py's `Content`:
the cover's lines, the notes, and each sheet's title, notes and tidy table), so the two hold
the same sheets, words and numbers, withheld cells included as `[c]` only. What it keeps of the
xlsx's form: each sheet's title in A1, numbers as numbers (percentages in the report's number
format), links on the cover and the contents, each table as a named database range (ODS's
counterpart of an Excel table), and the document's title, author, subject, keywords, language and
creation date. Not kept: gptables' fonts and column widths.

Why odfpy rather than LibreOffice (`soffice --convert-to ods`): LibreOffice converts more of the
styling, but is some 300 MB of Debian packages, takes seconds to start, and stamps the time of the
conversion into the file, so two builds would differ; odfpy is 1.7 MB of pure Python (with
defusedxml), and the zip's dates are set here to the release date.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
from odf import meta, number, style, table, text
from odf.dc import Creator, Date, Description, Language, Subject, Title
from odf.element import Element
from odf.opendocument import OpenDocumentSpreadsheet

from pipeline.errors import OhmskError

INSTRUCTIONS = (
    "This worksheet contains one table. Some cells may refer to notes, which can be found on the notes worksheet."
)


@dataclass(frozen=True)
class Sheet:
    """One table's sheet as both formats write it: its title and the lines under it, and its table."""

    name: str  # the table's name (an Excel table, an ODS database range)
    title: str
    subtitles: list[str]
    source: str
    frame: pd.DataFrame
    percent_columns: list[str]

    @property
    def lines(self) -> list[str]:
        """What is above the table, from A1 down, in gptables' order."""
        return [self.title, *self.subtitles, INSTRUCTIONS, self.source]


@dataclass(frozen=True)
class Content:
    """A whole workbook: the cover's lines, the notes' texts, the sheets by sheet name."""

    cover_lines: list[str]
    notes: list[str]
    tables: dict[str, Sheet]
    percent_format: str


_LINK = re.compile(r"\[(.+)\]\((.+)\)")  # "[display text](url)": how the cover writes a link


def _link_or_text(value: str) -> Element:
    """A paragraph, with the link gptables would make of a markdown link in it."""
    p = text.P()
    found = _LINK.search(value)
    if not found:
        p.addText(value)
        return p
    before, after = value[: found.start()], value[found.end() :]
    if before:
        p.addText(before)
    p.addElement(text.A(href=found.group(2), text=found.group(1)))
    if after:
        p.addText(after)
    return p


class _Sheets:
    """The document being built, with the styles its cells share."""

    def __init__(self, percent_format: str) -> None:
        self.doc = OpenDocumentSpreadsheet()
        decimals = len(percent_format.partition(".")[2])
        shares = number.NumberStyle(name="share")
        shares.addElement(number.Number(decimalplaces=decimals, minintegerdigits=1))
        self.doc.automaticstyles.addElement(shares)
        self.share = style.Style(name="share-cell", family="table-cell", datastylename="share")
        self.doc.automaticstyles.addElement(self.share)
        self.ranges = table.DatabaseRanges()

    def cell(self, value: object, share: bool = False, link: str | None = None) -> Element:
        if isinstance(value, bool) or value is None:
            return table.TableCell()
        if isinstance(value, int | float):
            cell = table.TableCell(valuetype="float", value=value, **({"stylename": self.share} if share else {}))
            cell.addElement(text.P(text=f"{value:g}"))
            return cell
        cell = table.TableCell(valuetype="string")
        if link:
            p = text.P()
            p.addElement(text.A(href=link, text=str(value)))
            cell.addElement(p)
        else:
            cell.addElement(_link_or_text(str(value)))
        return cell

    def sheet(
        self,
        name: str,
        lines: list[str],
        header: list[str] | None = None,
        rows: list[list] | None = None,
        shares: set[int] | None = None,
        links: dict[int, str] | None = None,
        range_name: str | None = None,
    ) -> None:
        """A sheet: `lines` down column A from A1, then (maybe) a table of `header` and `rows`,
        named `range_name`; `shares` are the columns in the share format, `links` a link per row."""
        sheet = table.Table(name=name)
        for line in lines:
            row = table.TableRow()
            row.addElement(self.cell(line))
            sheet.addElement(row)
        if header is not None and rows is not None:
            first = len(lines) + 1
            for i, values in enumerate([header, *rows]):
                row = table.TableRow()
                for j, value in enumerate(values):
                    link = (links or {}).get(i - 1) if j == 0 and i else None
                    row.addElement(self.cell(value, share=i > 0 and j in (shares or set()), link=link))
                sheet.addElement(row)
            if range_name:
                last = first + len(rows)
                self.ranges.addElement(
                    table.DatabaseRange(
                        name=range_name,
                        targetrangeaddress=f"'{name}'.A{first}:'{name}'.{_column(len(header))}{last}",
                        containsheader="true",
                    )
                )
        self.doc.spreadsheet.addElement(sheet)


def _column(n: int) -> str:
    """The letters of the `n`-th column (1 -> A, 27 -> AA)."""
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def write_ods(content: Content, path: Path, properties: dict[str, object], language: str) -> None:
    """Write `content` to `path` as ODS with the workbook's document properties."""
    created = properties["created"]
    assert isinstance(created, datetime)
    sheets = _Sheets(content.percent_format)
    sheets.sheet("Cover", content.cover_lines)
    names = list(content.tables)
    sheets.sheet(
        "Contents",
        ["Table of contents", "This worksheet contains one table."],
        ["Sheet name", "Table description"],
        [[n, content.tables[n].title] for n in names],
        links={i: f"#'{n}'.A1" for i, n in enumerate(names)},
        range_name="contents_table",
    )
    sheets.sheet(
        "Notes",
        ["Notes", "This worksheet contains one table."],
        ["Note number", "Note text"],
        [[i, t] for i, t in enumerate(content.notes, start=1)],
        range_name="notes_table",
    )
    for name, t in content.tables.items():
        header = list(t.frame.columns)
        shares = {header.index(c) for c in t.percent_columns}
        rows = [[_plain(v) for v in r] for r in t.frame.itertuples(index=False)]
        sheets.sheet(name, t.lines, header, rows, shares=shares, range_name=t.name)
    sheets.doc.spreadsheet.addElement(sheets.ranges)
    _meta(sheets.doc, properties, language)
    buffer = io.BytesIO()
    sheets.doc.write(buffer)
    try:
        path.write_bytes(_dated(buffer.getvalue(), created))
    except OSError as exc:
        raise OhmskError(f"{path}: cannot write the OpenDocument copy of the workbook ({exc})") from exc


def _plain(value: object) -> object:
    """A frame's value as a cell takes it (numpy numbers as Python's)."""
    return value.item() if hasattr(value, "item") else value


def _meta(doc: OpenDocumentSpreadsheet, properties: dict[str, object], language: str) -> None:
    created = properties["created"]
    assert isinstance(created, datetime)
    stamp = created.strftime("%Y-%m-%dT%H:%M:%S")
    doc.meta.addElement(Title(text=str(properties["title"])))
    doc.meta.addElement(Subject(text=str(properties["subject"])))
    doc.meta.addElement(Description(text=str(properties["comments"])))
    doc.meta.addElement(meta.InitialCreator(text=str(properties["author"])))
    doc.meta.addElement(Creator(text=str(properties["author"])))
    doc.meta.addElement(meta.CreationDate(text=stamp))
    doc.meta.addElement(Date(text=stamp))
    doc.meta.addElement(Language(text=language))
    for word in str(properties["keywords"]).split(", "):
        doc.meta.addElement(meta.Keyword(text=word))


def _dated(data: bytes, when: datetime) -> bytes:
    """The zip with every entry dated `when` (odfpy dates them now) and each XML part's root
    attributes in a fixed order: two builds are identical."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w") as new:
        for info in old.infolist():
            dated = zipfile.ZipInfo(info.filename, when.timetuple()[:6])
            dated.compress_type = info.compress_type
            dated.external_attr = info.external_attr
            part = old.read(info.filename)
            new.writestr(dated, _sorted_root(part) if info.filename.endswith(".xml") else part)
    return out.getvalue()


_ROOT = re.compile(rb"<(?![?!])([\w:.-]+)((?:\s+[\w:.-]+=\"[^\"]*\")*)(\s*/?>)")
_ATTRIBUTE = re.compile(rb'\s+([\w:.-]+="[^"]*")')


def _used(attribute: bytes, root_attributes: bytes, rest: bytes) -> bool:
    """Whether a root attribute stays: any but a namespace declaration, and a declaration whose
    prefix the document uses (odfpy also declares every namespace any earlier document of the
    process used)."""
    if not attribute.startswith(b"xmlns:"):
        return True
    prefix = attribute[len(b"xmlns:") : attribute.index(b"=")] + b":"
    return (
        re.search(rb"(?:^|[<\s/])" + re.escape(prefix), rest + b" " + root_attributes.replace(attribute, b""))
        is not None
    )


def _sorted_root(xml: bytes) -> bytes:
    """The part with its root element's attributes (the namespace declarations) sorted and only
    the namespaces it uses declared: odfpy
    declares them in the order its process-wide registry met them, which reading an ODS in
    the same process (pandas' odf engine, say) changes, though the document is the same."""
    root = _ROOT.search(xml)
    if root is None:
        return xml
    rest = root.group(1) + b" " + xml[root.end() :]
    attributes = b" ".join(sorted(a for a in _ATTRIBUTE.findall(root.group(2)) if _used(a, root.group(2), rest)))
    tag = b"<" + root.group(1) + (b" " + attributes if attributes else b"") + root.group(3)
    return xml[: root.start()] + tag + xml[root.end() :]
