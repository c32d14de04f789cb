"""The built report as a reader sees it: every exhibit, base line and number present and computed."""

import re
import shutil

import pytest
from conftest import RAW, read_raw, rewrite

from pipeline.build.schedule import build_report, render_html
from pipeline.output.downloads import ANNEX_PDF
from pipeline.present.exhibits import data_file_stem, number_exhibits
from pipeline.spec.objects import load_codebook
from pipeline.stats.rounding import round_half_up

pytestmark = pytest.mark.skipif(
    shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
    reason="Chromium is needed for static chart export; `make report` installs it",
)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_every_exhibit_is_numbered_in_sequence(built, pdf_text):
    html = (built / "report.html").read_text()
    expected = (
        [f"Figure 4.{i}" for i in range(1, 17)]
        + [f"Figure 5.{i}" for i in range(1, 24)]
        + [f"Figure 6.{i}" for i in range(1, 19)]
        + ["Table 6.1", "Table 6.2"]
        + [f"Table 8.{i}" for i in range(1, 5)]
    )
    for label in expected:
        assert f"{label}:" in html, label
        assert f"{label}:" in _squash(pdf_text), label
    assert "Figure 4.17" not in html and "Figure 5.24:" not in html and "Table 8.5:" not in html
    assert "Figure 6.19" not in html
    assert "Figure 20:" not in html and "Figure 29:" not in html  # the 2020 report's misprinted captions
    captions = re.findall(r'<span class="number">(Figure|Table) (\d+)\.(\d+):', html)
    assert len(captions) == len(set(captions)) == len(expected)


def test_source_numbers_are_given_where_they_differ(built):
    html = _squash((built / "report.html").read_text())
    assert "Figure 4.3 in the 2020 report, where its caption is misprinted as Figure 2.3" in html
    assert "(Figure 5.5 in the 2020 report)" in html
    assert "(Figure 5.10 in the 2020 report)" in html  # the workforce charts follow on from 5.5
    # the 2020 report numbers both the training and the recruitment charts 5.16-5.19
    for number in ("5.16", "5.17", "5.18", "5.19"):
        assert f"(the first of two figures numbered {number} in the 2020 report)" in html
        assert f"(the second of two figures numbered {number} in the 2020 report)" in html
    assert "Figure 6.1 in the 2020 report, where its caption is misprinted as Figure 20" in html
    assert "Figure 6.10 in the 2020 report, where its caption is misprinted as Figure 29" in html


def test_every_figure_has_a_base_line_chart_and_alt_text(built, pdf_text):
    html = (built / "report.html").read_text()
    figures = html.count('<figure class="exhibit" ')
    assert figures == 57
    assert html.count('<p class="base">Base: ') == figures + 6  # plus Tables 6.1, 6.2 and 8.1-8.4
    assert "Base: All OH providers who participated in private providers survey (103)" in _squash(pdf_text)
    assert len(list((built / "figures").glob("*.svg"))) == 57
    for svg in (built / "figures").glob("*.svg"):
        assert svg.read_text().startswith("<svg")


def test_html_works_offline(built):
    html = (built / "report.html").read_text()
    assert "cdn.plot.ly" not in html
    assert '<script defer src="assets/report.js" data-plotly="assets/plotly.min.js"></script>' in html
    assert 1_000_000 < (built / "assets" / "plotly.min.js").stat().st_size < 1_500_000  # the partial bundle
    assert '<script src="http' not in html


def test_every_table_has_a_csv(built, tables, report_spec):
    """Named after its exhibit (csv/figure-4-1_services_count.csv; text_<id> without one)."""
    exhibits = number_exhibits(tables, report_spec.tables)
    for tid in tables:
        assert (built / "csv" / f"{data_file_stem(exhibits, tid)}.csv").exists(), tid


@pytest.mark.build
@pytest.mark.parametrize("build", ["html", pytest.param("full", marks=pytest.mark.slow)])
def test_changing_one_answer_changes_the_report(tmp_path, raw_copy, report_spec, build):
    """Nothing is typed in: flip one provider's answer and the printed share moves: in the
    report's HTML alone (render_html, as for the stress waves), and in a full build."""
    book = load_codebook("providers")
    frame = read_raw(raw_copy / "providers.sav")
    before = (frame["gp_report"] == 1).sum()
    rid = frame.index[frame["gp_report"] == 2][0]
    frame.loc[rid, "gp_report"] = 1
    rewrite(raw_copy / "providers.sav", frame, book)
    out = tmp_path / "out"
    if build == "full":
        build_report(raw_copy, out, progress=lambda m: None)
    else:
        render_html(report_spec, raw_copy, out)
    html = _squash((out / "report.html").read_text())
    old = f"{round_half_up(100 * before / 103):.0f}% had contacted an employee's GP"
    new = f"{round_half_up(100 * (before + 1) / 103):.0f}% had contacted an employee's GP"
    assert new in html and old not in html


def test_methodology_is_generated_from_specs_and_data(built):
    text = _squash(re.sub(r"<[^>]+>", " ", (built / "report.html").read_text()))
    assert "2 Introduction and methodology" in text
    assert "Survey of private OH providers provider 322 103 32%" in text
    assert "the weighting efficiency is" in text and "respondents carry the precision of" in text  # 8.20
    assert "Finite population correction (Survey of private OH providers): not applied" in text
    assert "The 2020 report publishes no profile of the starting sample" in text


def test_missing_browser_is_a_clear_error(monkeypatch, tmp_path):
    """Without a Chromium the charts cannot be drawn: the build says what to install."""
    import pipeline.output.svg as svg
    from pipeline.errors import OhmskError

    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chromium"))
    monkeypatch.setattr(svg.shutil, "which", lambda name: None)
    with pytest.raises(OhmskError, match="apt-get install chromium"):
        svg.find_browser()


def test_spreadsheet_follows_gss_layout(built, tables):
    import openpyxl

    wb = openpyxl.load_workbook(built / "tables.xlsx")
    assert wb.sheetnames[:3] == ["Cover", "Contents", "Notes"]
    assert len(wb.sheetnames) == 3 + len(tables)
    ws = wb["Figure_4_1"]
    assert ws["A1"].value == "Figure 4.1: Number of services offered by OH providers"
    assert not ws.merged_cells.ranges
    rows = list(ws.iter_rows(values_only=True))
    header = next(r for r in rows if r[0] == "Question")  # tidy: one row per cell (tests/test_workbook_gss.py)
    assert header[:5] == ("Question", "Group", "Group letter", "Answer", "Providers (%)")
    values = {(r[1], r[3]): r[4] for r in rows[rows.index(header) + 1 :]}
    assert values[("Total", "Net: 10 or more services")] == 56  # a number, not text
    notes = " ".join(str(r[1]) for r in wb["Notes"].iter_rows(values_only=True))
    assert all(code in notes for code in ("[c] Withheld", "[low]", "[z]"))


@pytest.mark.slow  # a second clean build
def test_two_clean_builds_are_byte_identical(built, tmp_path):
    again = tmp_path / "again"
    build_report(RAW, again, progress=lambda m: None)

    def outputs(root):  # the build fingerprint records inputs and .cache/ holds work, not output
        return sorted(
            p.relative_to(root)
            for p in root.rglob("*")
            if p.is_file() and p.name != ".build-fingerprint" and ".cache" not in p.relative_to(root).parts
        )

    produced = outputs(built)
    assert produced == outputs(again) and len(produced) > 50
    different = [str(p) for p in produced if (built / p).read_bytes() != (again / p).read_bytes()]
    assert different == []


def test_no_dangling_references(built, pdf_text):
    html = (built / "report.html").read_text()
    targets = set(re.findall(r'\bid="([^"]+)"', html))
    links = set(re.findall(r'href="#([^"]+)"', html))
    assert links and links <= targets, sorted(links - targets)
    for text in (html, pdf_text):
        assert "Error! Reference source not found" not in text
        assert "??" not in re.sub(r"<script.*?</script>", "", text, flags=re.S)


def test_prose_words_around_withheld_figures(built):
    """Where a share is suppressed (small base, or to protect one), prose says so in words
    rather than printing a placeholder in mid-sentence."""
    html = (built / "report.html").read_text()
    paragraphs = " ".join(re.findall(r"<p>(.*?)</p>", html, flags=re.S))
    assert "[not shown" not in paragraphs
    assert "Registrar posts are not compared between the 23 NHS departments" in _squash(paragraphs)
    assert "too few for a figure of their own" in _squash(paragraphs)


# each print document, and at least how many pages it runs to (the report's long listings are
# in the annex since the annex was split off: the report has some 85 pages, the annex some 45)
PRINTED = {"pdf_pages": 60, "annex_pages": 30}


@pytest.mark.build  # the fixture is asked for by name
@pytest.mark.parametrize("document", PRINTED)
def test_pdf_pages_are_numbered_after_the_cover(document, request):
    """The PDF is joined from parts rendered apart, then numbered: every page but the cover ends
    with its own number and the total."""
    pages = request.getfixturevalue(document)
    assert "Page" not in pages[0][-40:]
    total = len(pages)
    unnumbered = [i for i, text in enumerate(pages[1:], 2) if not text.rstrip().endswith(f"Page {i} of {total}")]
    assert total > PRINTED[document] and unnumbered == []


@pytest.mark.build  # the fixture is asked for by name
@pytest.mark.parametrize(("document", "chapter"), [("pdf_pages", "8 Appendices"), ("annex_pages", "C Codebooks")])
def test_pdf_pages_carry_the_running_header_after_the_cover(document, chapter, request):
    """Each part is rendered as a document of its own, so a first-page rule must not take the
    header off the first page of a chapter or of a chapter's later part; the cover has none."""
    pages = request.getfixturevalue(document)
    header = "Provision of occupational health and work-related MSK services"
    assert header not in pages[0]
    assert [i for i, text in enumerate(pages[1:], 2) if header not in text] == []
    chapter_pages = [text for text in pages if f"{header} {chapter}" in text]
    assert len(chapter_pages) > 10  # the chapter's name beside it, on every page of a long chapter


@pytest.mark.parametrize("name", ["report.pdf", ANNEX_PDF])
def test_every_pdf_page_is_set_in_the_report_fonts(built, name):
    """Each PDF part reads the stylesheet; a part laid out without it (say, rendered before the
    stylesheet was written) falls back to a serif font and loses its running header."""
    import pikepdf

    with pikepdf.open(built / name) as pdf:
        fonts = [
            {str(f.get("/BaseFont")).split("+")[-1] for f in page.Resources.get("/Font", {}).values()}
            for page in pdf.pages
        ]
    stray = {
        (i, name)
        for i, names in enumerate(fonts, 1)
        for name in names
        if not name.startswith(("Liberation-Sans", "DejaVu-Sans-Mono"))
    }
    assert stray == set() and all(any("Liberation-Sans" in n for n in names) for names in fonts)
