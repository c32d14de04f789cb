"""The release's files, as the web page's "Data and downloads" section and each exhibit's links
name them.

GOV.UK and ONS bulletins give every chart its data and list every file of a release with its
format and size. The section is rendered into report.html last, once every other file is
written, in place of `MARKER`: before then the sizes are not known, and the HTML does not wait
for the PDF. Which files a build writes is mechanics, so it is here; what each is for is prose,
in templates/partials/downloads.html.j2.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import OhmskError
from pipeline.present.exhibits import Exhibit, data_file_stem

MARKER = "<!-- ohmsk: the release's files, listed here once they are written -->"
CSV_DIR, SVG_DIR = "csv", "figures"
ANNEX_PDF = "report-technical-annex.pdf"  # the print edition's long listings, beside report.pdf (which names it)
DOCUMENTS = ("report.pdf", ANNEX_PDF)
SPREADSHEETS = ("tables.xlsx", "tables.ods")
REFERENCE = ("audit.csv", "claims.csv", "cleaning_log.csv")
WAVE_FILES = ("changes.csv", "questions_changed.csv")


def csv_path(exhibits: dict[str, Exhibit], table_id: str) -> str:
    """A table's CSV, relative to the report (and to the output folder)."""
    return f"{CSV_DIR}/{data_file_stem(exhibits, table_id)}.csv"


def svg_path(exhibits: dict[str, Exhibit], table_id: str) -> str:
    """A figure's SVG, relative to the report."""
    return f"{SVG_DIR}/{data_file_stem(exhibits, table_id)}.svg"


@dataclass(frozen=True)
class Download:
    path: str  # relative to report.html: the link
    size: int  # bytes

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def format(self) -> str:
        return self.name.rsplit(".", 1)[-1].upper()

    @property
    def size_text(self) -> str:
        """'850 bytes', '12 KB', '1.8 MB': the sizes GOV.UK prints beside an attachment."""
        if self.size < 1024:
            return f"{self.size} bytes"
        if self.size < 1024**2:
            return f"{round(self.size / 1024)} KB"
        return f"{self.size / 1024**2:.1f} MB"


@dataclass(frozen=True)
class ExhibitFiles:
    exhibit: Exhibit | None  # None: a tabulation quoted in the text without an exhibit
    table_id: str
    title: str
    csv: Download
    svg: Download | None


def _download(out_dir: Path, path: str) -> Download:
    file = out_dir / path
    if not file.is_file():  # every file listed was written by this build: a bug otherwise
        raise OhmskError(f"{file}: the downloads list a file the build did not write")
    return Download(path, file.stat().st_size)


def release_files(out_dir: Path, exhibits: dict[str, Exhibit], titles: dict[str, str], waves: bool) -> dict:
    """Every file of the release a reader can download, grouped as the section lists them:
    `titles` holds every table's title by id (the exhibits and the text's tabulations)."""
    tables = [
        ExhibitFiles(
            exhibits.get(tid),
            tid,
            title,
            _download(out_dir, csv_path(exhibits, tid)),
            _download(out_dir, svg_path(exhibits, tid))
            if tid in exhibits and exhibits[tid].spec.kind == "figure"
            else None,
        )
        for tid, title in titles.items()
    ]
    return {
        "documents": [_download(out_dir, p) for p in DOCUMENTS],
        "spreadsheets": [_download(out_dir, p) for p in SPREADSHEETS],
        "exhibits": [t for t in tables if t.exhibit is not None],
        "text": [t for t in tables if t.exhibit is None],
        "reference": [_download(out_dir, p) for p in (*REFERENCE, *(WAVE_FILES if waves else ()))],
    }


def fill_downloads(html_path: Path, section: str) -> None:
    """Put the rendered list of files in report.html, where the template left MARKER."""
    page = html_path.read_text(encoding="utf-8")
    if page.count(MARKER) != 1:
        raise OhmskError(f"{html_path}: expected one place for the list of downloads, found {page.count(MARKER)}")
    html_path.write_text(page.replace(MARKER, section), encoding="utf-8")
