"""Hostile text from data files (labels, verbatims) is inert in every output."""

import csv
import dataclasses
from datetime import datetime

import openpyxl
import pytest

from pipeline.output.csv_files import write_csv
from pipeline.output.document import environment
from pipeline.output.safe_csv import inert
from pipeline.output.template_api import ReportContext
from pipeline.output.workbook import write_workbook
from pipeline.present.exhibits import number_exhibits
from pipeline.present.figures import build_figure

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.mark.parametrize(
    "value, safe",
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-", "-"),
        ("-2.5", "-2.5"),
        ("+1,000", "+1,000"),
        ("Health surveillance", "Health surveillance"),
        (42, 42),
        (None, None),
        ("", ""),
    ],
)
def test_inert_defuses_formula_starts_only(value, safe):
    assert inert(value) == safe


@pytest.fixture()
def hostile_table(tables):
    """A real table whose labels a hostile data file supplied."""
    table = tables["services_count"]
    cells = table.cells.copy()
    plain = cells.index[~cells["is_net"].astype(bool)]  # nets print as 'Net: <label>'
    cells.loc[cells["category_label"] == cells.loc[plain[0], "category_label"], "category_label"] = FORMULA
    cells.loc[cells["category_label"] == cells.loc[plain[1], "category_label"], "category_label"] = SCRIPT
    cells["series_label"] = "@cmd|' /C calc'!A0"
    return dataclasses.replace(table, cells=cells)


def test_csv_cells_cannot_start_a_formula(hostile_table, tmp_path):
    path = tmp_path / "t.csv"
    write_csv(hostile_table, path)
    with open(path, newline="", encoding="utf-8") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert "'" + FORMULA in cells and FORMULA not in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)


def test_xlsx_holds_hostile_text_as_text(hostile_table, report_spec, tmp_path):
    tables = {"services_count": hostile_table}
    exhibits = number_exhibits(tables, [hostile_table.spec])
    path = tmp_path / "t.xlsx"
    write_workbook(tables, exhibits, report_spec.config, report_spec.codebooks, path, datetime(2019, 1, 1))
    wb = openpyxl.load_workbook(path)
    values = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert any(c.value == FORMULA for c in values)
    assert all(c.data_type != "f" for c in values)  # no cell is a formula


def test_html_escapes_hostile_labels_in_tables_and_charts(hostile_table):
    tables = {"services_count": hostile_table}
    exhibits = number_exhibits(tables, [hostile_table.spec])
    fig = build_figure(exhibits["services_count"].table)
    chart = fig.to_html(full_html=False, include_plotlyjs=False)
    ctx = ReportContext(tables, exhibits, "html", environment(), {"services_count": chart})
    html = str(ctx.figure("services_count")) + str(ctx.table("services_count"))
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert" in html  # shown to the reader as text
