"""Every setting is live: report.yaml's house conventions drive every output that prints a share.

First cell by cell: a table with a share above zero that rounds to nothing, a zero and an
ordinary share, printed by every writer under two sets of conventions; every writer's output
changes. Then a whole build under changed conventions (the variant build, conftest.py): every
kind of published file changes, and the methodology prints the conventions that build used.
"""

from __future__ import annotations

import dataclasses
import zipfile
from html import unescape

import pytest
import yaml
from conftest import RAW
from pypdf import PdfReader

from pipeline.output.csv_files import write_csv
from pipeline.output.document import environment
from pipeline.output.template_api import ReportContext
from pipeline.output.workbook import changes_frame, shorthand, table_frame
from pipeline.present.exhibits import number_exhibits
from pipeline.present.figures import alt_text, figure_spec
from pipeline.present.formats import Formats
from pipeline.present.layouts import cell_text
from pipeline.stages.tabulate import TOTAL
from pipeline.stages.waves import Change

HOUSE = Formats()
OTHER = Formats(decimals_pct=1, below_one="under 0.1%", zero_chart="none", zero_table="nil")


@pytest.fixture()
def small_shares(tables):
    """Figure 4.3's cells with its first three total shares set to 0.03%, 0% and 12.34%."""
    table = tables["ots_extent"]
    cells = table.cells.copy()
    rows = cells.index[(cells["column"] == TOTAL) & ~cells["is_net"].astype(bool)][:3]
    cells.loc[rows, "value"] = [0.03, 0.0, 12.34]
    return dataclasses.replace(table, cells=cells), rows


def _every_output(table, rows, formats: Formats, tmp_path) -> dict[str, str]:
    """What each writer prints of the table under `formats`."""
    tid = table.spec.id
    exhibits = number_exhibits({tid: table}, [table.spec])
    ctx = ReportContext({tid: table}, exhibits, "html", environment(formats=formats), {}, formats=formats)
    cells = [table.cells.loc[r] for r in rows]
    codes = [c["category"] for c in cells]
    write_csv(table, tmp_path / f"{formats.zero_table}.csv", formats=formats)
    change = Change(tid, cells[0]["series"], TOTAL, codes[0], "x", 0.03, 12.34, 100, 100, 0.5, False)
    return {
        "text": " ".join(ctx.pct(tid, code) for code in codes),
        "ranked": " ".join(r["pct"] for r in ctx.ranked(tid)),
        "table": " ".join(cell_text(c, formats) for c in cells) + str(ctx.table(tid)),
        "csv": (tmp_path / f"{formats.zero_table}.csv").read_text(),
        "chart": str(figure_spec(table, formats)["data"]),
        "alt text": alt_text(table, formats),
        "workbook": table_frame(table, formats).to_string() + str(shorthand(formats)),
        "wave changes": changes_frame([change], [], exhibits, formats).to_string(),
        "template filter": environment(formats=formats).from_string("{{ 0.03|pct }} {{ 0|pct }}").render(),
    }


def test_every_writer_follows_the_conventions(small_shares, tmp_path):
    table, rows = small_shares
    house, other = (_every_output(table, rows, f, tmp_path) for f in (HOUSE, OTHER))
    assert [k for k in house if house[k] == other[k]] == []  # every output changed
    assert house["text"] == "<1% 0% 12%" and other["text"] == "under 0.1% none 12.3%"
    assert "<1% - 12%" in house["table"] and "under 0.1% nil 12.3%" in other["table"]
    assert "12.3%" in other["chart"] and "12.3%" in other["alt text"] and "[low]" in other["workbook"]
    assert "shown as under 0.1% in the report" in other["workbook"] and "12.3" in other["wave changes"]


def test_the_house_conventions_are_the_2020_reports():
    """The defaults (and report.yaml) print as the 2020 report did: the audit compares with it."""
    assert HOUSE.pct(0.3) == "<1%" and HOUSE.pct(0) == "0%" and HOUSE.pct(0, in_table=True) == "-"
    assert HOUSE.pct(52.5) == "53%" and HOUSE.smallest == "0.5%" and OTHER.smallest == "0.05%"
    with open(RAW.parent / "survey_specs" / "report.yaml", encoding="utf-8") as fh:
        conventions = yaml.safe_load(fh)["conventions"]
    assert Formats.of(conventions) == HOUSE


def test_the_html_follows_changed_conventions(built, variant_html):
    """The variant's HTML (conftest.py) asks for other conventions and Holm-adjusted letters: the
    methodology says so, and its shares are printed to them (the whole build: below)."""
    html = (variant_html / "report.html").read_text()
    assert html != (built / "report.html").read_text()
    assert "rounded half up to 1 decimal place;" in " ".join(html.split())
    assert "<q>under 0.1%</q>" in html and "<q>none</q> in charts" in html and "<q>nil</q> in tables" in html
    assert "adjusted for multiple comparisons (Holm's step-down method)" in " ".join(unescape(html).split())
    assert "not adjusted for multiple comparisons" in " ".join((built / "report.html").read_text().split())
    assert ">56.3%<" in html  # Figure 4.1's 10 or more services, in the table under the chart


@pytest.mark.slow  # the variant build
def test_a_whole_build_follows_changed_conventions(built, variant_build):
    """The variant build (conftest.py) asks for other conventions and Holm-adjusted letters."""
    downloads = ("csv/figure-4-1_services_count.csv", "figures/figure-4-1_services_count.svg")
    for name in ("report.html", "report.pdf", "tables.xlsx", *downloads):
        assert (built / name).read_bytes() != (variant_build / name).read_bytes(), name
    html = (variant_build / "report.html").read_text()
    assert "rounded half up to 1 decimal place;" in " ".join(html.split())
    assert "<q>under 0.1%</q>" in html and "<q>none</q> in charts" in html and "<q>nil</q> in tables" in html
    assert "adjusted for multiple comparisons (Holm's step-down method)" in " ".join(unescape(html).split())
    assert "not adjusted for multiple comparisons" in " ".join((built / "report.html").read_text().split())
    assert ">56.3%<" in html or "56.3%" in (variant_build / "figures" / "figure-4-1_services_count.svg").read_text()
    pdf = " ".join(page.extract_text() for page in PdfReader(variant_build / "report.pdf").pages[10:40])
    assert "56.3%" in pdf
    with zipfile.ZipFile(variant_build / "tables.xlsx") as book:
        strings = book.read("xl/sharedStrings.xml").decode("utf-8")
    assert "shown as under 0.1% in the report" in strings and "rounded half up to 1 decimal place" in strings
