"""Accessibility of the outputs: axe-core on the HTML in headless Chromium, PDF/UA structure."""

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest

from pipeline.output.downloads import ANNEX_PDF

A11Y = Path(__file__).resolve().parent / "a11y"
AXE = A11Y / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = {"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}


def run_axe(page: Path, tmp: Path) -> dict:
    """axe-core on `page` in headless Chromium (every default rule, plus target-size and duplicate
    ids: see a11y/run-axe.js): {"charts": plotly charts drawn when axe ran, "violations": [...]}."""
    assert AXE.exists(), "axe-core is missing: run `make setup` (npm ci --prefix tests/a11y)"
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "Chromium is missing: `make setup` installs Debian's chromium"
    shutil.copytree(page.parent / "assets", tmp / "assets")
    shutil.copy(AXE, tmp / "assets" / "axe.min.js")
    shutil.copy(A11Y / "run-axe.js", tmp / "assets" / "run-axe.js")
    text = page.read_text(encoding="utf-8").replace(
        "</body>", '<script src="assets/axe.min.js"></script><script src="assets/run-axe.js"></script></body>'
    )
    copy = tmp / page.name
    copy.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=120000",
            "--dump-dom",
            copy.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    found = re.search(r'<pre id="axe-results">(.*?)</pre>', done.stdout, re.S)
    assert found, f"axe produced no results (chromium exit {done.returncode}): {done.stderr[-500:]}"
    result = html.unescape(found.group(1))
    assert not result.startswith("ERROR"), result
    return json.loads(result)


def _describe(violations: list[dict]) -> str:
    return "\n".join(f"{v['impact']}: {v['id']} ({v['count']}x) {v['help']}; e.g. {v['targets']}" for v in violations)


@pytest.fixture(scope="module")
def axe_result(built, tmp_path_factory) -> dict:
    return run_axe(built / "report.html", tmp_path_factory.mktemp("axe"))


@pytest.fixture(scope="module")
def axe_violations(axe_result) -> list[dict]:
    return axe_result["violations"]


def test_axe_ran_on_the_drawn_charts(built, axe_result):
    """axe looked at the page after plotly had drawn every chart, not at empty chart divs."""
    charts = built.joinpath("report.html").read_text(encoding="utf-8").count('class="chart-plot"')
    assert charts >= 57 and axe_result["charts"] == charts


def test_axe_finds_no_serious_or_critical_wcag_aa_violation(axe_violations):
    bad = [v for v in axe_violations if v["impact"] in ("serious", "critical") and WCAG_AA & set(v["tags"])]
    assert not bad, _describe(bad)


def test_axe_finds_no_violation_at_all(axe_violations):
    """Best-practice rules too (heading order, empty headers, landmarks): none is left."""
    assert not axe_violations, _describe(axe_violations)


def test_charts_have_no_toolbar(axe_result):
    """plotly's toolbar put nine buttons a chart in the tab order (513 of the page's 794 tab stops)
    and overlapped legends; the page draws its charts without it (the data table under each chart
    is the accessible way to its values)."""
    assert axe_result["charts"] >= 57 and axe_result["toolbars"] == 0


def test_axe_run_detects_violations(tmp_path):
    """The harness itself: an image without alt text, faint text, a duplicate id and tiny
    adjacent buttons are all caught."""
    page = tmp_path / "site" / "bad.html"
    (page.parent / "assets").mkdir(parents=True)
    page.write_text(
        '<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><main>'
        '<img src="x.png"><p style="color:#ccc;background:#fff">faint</p>'
        '<p id="a">one</p><p id="a">two</p>'
        '<button style="width:12px;height:12px;padding:0;border:0">x</button> '
        '<button style="width:12px;height:12px;padding:0;border:0">y</button></main></body></html>'
    )
    found = {v["id"]: v["impact"] for v in run_axe(page, tmp_path / "run")["violations"]}
    assert found.get("image-alt") == "critical" and found.get("color-contrast") == "serious"
    assert "target-size" in found and "duplicate-id" in found  # rules axe ships disabled are on


@pytest.fixture(scope="module", params=["report.pdf", ANNEX_PDF])
def pdf(built, request):
    """Each print document: the report and its technical annex."""
    with pikepdf.open(built / request.param) as doc:
        yield doc


@pytest.fixture(scope="module")
def report_pdf(built):
    """The report alone (the annex has no charts)."""
    with pikepdf.open(built / "report.pdf") as doc:
        yield doc


def _kids(node) -> list:
    kids = node.get("/K")
    if kids is None:
        return []
    return [
        kid
        for kid in (kids if isinstance(kids, pikepdf.Array) else [kids])
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid
    ]


def _struct_elements(node) -> list:
    """Every structure element under `node` (a pikepdf.Pdf: its StructTreeRoot), in reading order."""
    if isinstance(node, pikepdf.Pdf):
        node = node.Root.StructTreeRoot
    return [e for kid in _kids(node) for e in (kid, *_struct_elements(kid))]


def test_pdf_is_tagged_with_language_title_and_a4_pages(pdf):
    assert "/StructTreeRoot" in pdf.Root
    assert pdf.Root.MarkInfo.Marked is True
    assert str(pdf.Root.Lang) == "en-GB"
    assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
    with pdf.open_metadata() as meta:
        title = meta.get("dc:title", "")
        assert meta.get("pdfuaid:part") == "1"  # declares PDF/UA-1
    assert title.startswith("Understanding the provision of occupational health")
    assert str(pdf.docinfo.Title) == title
    for page in pdf.pages:
        width, height = (float(v) for v in page.MediaBox[2:])
        assert abs(width - 595.3) < 1 and abs(height - 841.9) < 1  # A4 in points


def test_pdf_structure_has_headings_and_tables(pdf):
    kinds = {str(e.S) for e in _struct_elements(pdf)}
    assert {"/H1", "/H2", "/H3", "/Table", "/TH", "/TD"} <= kinds, sorted(kinds)


def test_pdf_figures_have_alt_text(report_pdf):
    elements = _struct_elements(report_pdf)
    figures = [e for e in elements if str(e.S) == "/Figure"]
    assert len(figures) >= 57
    assert all(str(e.get("/Alt", "")).strip() for e in figures)


def test_pdf_headings_do_not_skip_levels(pdf):
    levels = [int(str(e.S)[2:]) for e in _struct_elements(pdf) if str(e.S) in {f"/H{i}" for i in range(1, 7)}]
    assert levels[0] == 1 and levels.count(1) == 1
    skips = [(a, b) for a, b in zip(levels, levels[1:]) if b > a + 1]
    assert not skips, skips


def test_pdf_tables_are_well_formed_and_cells_find_their_headers(pdf):
    """Each Table holds only rows, row groups and a caption, and has header cells (a hidden caption
    drawn as an absolute box once became a Table nested in the Table; a caption left at the foot of
    a page became a Table of its own). Each data cell's /Headers names TH elements that the
    structure tree's IDTree finds: that is how a screen reader announces a cell's headers."""
    root = pdf.Root.StructTreeRoot
    names = root.IDTree.Names if "/IDTree" in root else pikepdf.Array()
    ids = {bytes(names[i]): names[i + 1] for i in range(0, len(names), 2)}
    allowed = {"/THead", "/TBody", "/TFoot", "/TR", "/Caption"}
    tables = [e for e in _struct_elements(pdf) if str(e.S) == "/Table"]
    assert len(tables) >= 20
    for table in tables:
        parts = {str(k.S) for k in _kids(table)}
        cells = _struct_elements(table)
        page = next(i for i, p in enumerate(pdf.pages, 1) if p.objgen == table.Pg.objgen)
        assert parts <= allowed and any(str(c.S) == "/TH" for c in cells), (page, sorted(parts))
        for cell in cells:
            if str(cell.S) == "/TD":
                headers = [ids.get(bytes(h)) for h in cell.A.get("/Headers", [])]
                assert headers and all(h is not None and str(h.S) == "/TH" for h in headers), page


def test_pdf_links_are_tagged_with_text_and_fonts_embedded(pdf):
    for number, page in enumerate(pdf.pages, 1):
        links = [a for a in page.get("/Annots", []) if a.Subtype == "/Link"]
        if links:
            assert page.get("/Tabs") == "/S", number  # tab order follows the structure
        for link in links:
            assert "/StructParent" in link and str(link.get("/Contents", "")).strip(), number
        for font in page.Resources.get("/Font", {}).values():
            base = font.DescendantFonts[0] if "/DescendantFonts" in font else font
            described = base.get("/FontDescriptor")
            assert described is not None and any(k in described for k in ("/FontFile", "/FontFile2", "/FontFile3")), (
                number,
                str(font.get("/BaseFont")),
            )
