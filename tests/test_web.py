"""The web edition as a reader on a phone or a keyboard meets it: page weight, layout at phone
widths (headless Chromium with tests/a11y/check-layout.js), tab stops, the skip link, the
contents, chart colours and the chart assets."""

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline.errors import OhmskError
from pipeline.output import web_assets
from pipeline.output.web_assets import chart_markup, compact, scrolling_tables
from pipeline.present.figures import INK, PALETTE, _label_height, contrast

A11Y = Path(__file__).resolve().parent / "a11y"
# report.html and everything it loads (assets/): 6.2 MB with the full plotly.js; now 2 MiB, of
# which the 1.19 MB plotly.js is fetched only once a chart nears the viewport
PAGE_BUDGET = 2 * 1024 * 1024
_PHONE = """<!DOCTYPE html><html lang="en"><head><title>phone</title></head><body style="margin:0">
<iframe src="report.html" style="width:{width}px;height:900px;border:0" title="report"></iframe>
<script>window.addEventListener("message", function (e) {{
  var pre = document.createElement("pre"); pre.id = "layout-results"; pre.textContent = e.data;
  document.body.appendChild(pre);
}});</script></body></html>"""
_FIGURE = re.compile(r'<script type="application/json" id="chart-([^"]+)-data">(.*?)</script>', re.S)


def layout_at(built: Path, width: int, tmp: Path) -> dict:
    """check-layout.js's findings on a copy of the report in a `width` px wide Chromium window."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "Chromium is missing: `make setup` installs Debian's chromium"
    shutil.copytree(built / "assets", tmp / "assets")
    shutil.copy(A11Y / "check-layout.js", tmp / "assets" / "check-layout.js")
    page = (built / "report.html").read_text(encoding="utf-8")
    (tmp / "report.html").write_text(
        page.replace("</body>", '<script src="assets/check-layout.js" data-report></script></body>'), encoding="utf-8"
    )
    # a headless window is at least 500 px wide: the page is measured in an iframe of the phone's width
    (tmp / "phone.html").write_text(_PHONE.format(width=width), encoding="utf-8")
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=800,900",
            "--allow-file-access-from-files",
            "--virtual-time-budget=120000",
            "--dump-dom",
            (tmp / "phone.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    found = re.search(r'<pre id="layout-results">(.*?)</pre>', done.stdout, re.S)
    assert found, f"no layout results (chromium exit {done.returncode}): {done.stderr[-500:]}"
    return json.loads(html.unescape(found.group(1)))


@pytest.fixture(scope="module", params=[320, 390])
def phone(request, built, tmp_path_factory) -> dict:
    return layout_at(built, request.param, tmp_path_factory.mktemp(f"w{request.param}"))


def test_the_page_never_scrolls_sideways_on_a_phone(phone):
    """Nothing (a chart, a 745 px table, a long word) makes the page wider than the screen."""
    assert phone["width"] in (320, 390) and phone["scrollWidth"] <= phone["width"], phone


def test_every_chart_keeps_its_labels_and_legend_on_a_phone(phone):
    """Every chart drawn; no value label, category label, legend entry or axis label cut off or
    off the screen; no value label dropped; no category labels running into each other."""
    assert phone["drawn"] >= 57
    assert not phone["charts"], phone["charts"]


def test_a_keyboard_reaches_the_first_chapter_in_under_100_tab_stops(phone):
    """The contents list is closed and charts have no toolbars: 794 tab stops were 513 toolbar
    buttons; before the first chapter are now only the skip link, the cover's links, the
    contents' toggle and the summary's and glossary's links."""
    assert 0 < phone["tabStopsBeforeFirstChapter"] < 100


def test_page_and_its_assets_stay_light(built):
    weight = (built / "report.html").stat().st_size + sum(p.stat().st_size for p in (built / "assets").iterdir())
    assert weight < PAGE_BUDGET, weight


def test_the_page_loads_nothing_that_blocks_its_first_paint(built):
    """One deferred script, no inline script but the charts' JSON (which nothing executes); the
    skip link is the first thing a keyboard reaches and leads to the main content; the contents
    are a closed disclosure, so the summary begins near the top."""
    page = (built / "report.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script\b([^>]*)>", page)
    assert scripts.count(' defer src="assets/report.js" data-plotly="assets/plotly.min.js"') == 1
    assert all('type="application/json"' in s or "defer" in s for s in scripts), scripts
    assert re.search(r'<body class="html"><a class="skip-link" href="#main">', page)
    assert page.count('<main id="main">') == 1
    assert re.search(r'<details class="toc-details"><summary><h2 id="contents-title">', page)


def test_each_chart_is_json_beside_a_container_hidden_from_screen_readers(built):
    """The drawn SVG's labels are hidden from assistive technology (which reads the alt text and
    the data table); each figure's JSON parses, and its print SVG exists beside the page."""
    page = (built / "report.html").read_text(encoding="utf-8")
    figures = dict(_FIGURE.findall(page))
    assert len(figures) == 57
    for tid, payload in figures.items():
        figure = json.loads(payload)
        assert "width" not in figure["layout"] and "template" not in figure["layout"]
        assert f'<div class="chart-plot" id="chart-{tid}" aria-hidden="true"' in page
    prints = re.findall(r'<img class="chart-print" src="([^"]+)" alt="" loading="lazy">', page)
    assert len(prints) == 57 and all((built / src).is_file() and src.startswith("figures/") for src in prints)


def test_every_table_scrolls_in_a_named_container(built):
    page = (built / "report.html").read_text(encoding="utf-8")
    tables = page.count('<table class="data-table')
    assert tables > 57 and page.count('<div class="table-scroll" role="group" aria-label="') == tables


def test_segments_and_bars_next_to_each_other_are_3_to_1_apart(built):
    """WCAG 1.4.11 in every chart the page draws: each bar colour against white, each against the
    next bar in a group or the next segment in a stack, and a segment's label against its bar."""
    page = (built / "report.html").read_text(encoding="utf-8")
    for tid, payload in _FIGURE.findall(page):
        traces = [t for t in json.loads(payload)["data"] if t.get("showlegend", True) is not False]
        colours = [t["marker"]["color"] for t in traces]
        assert all(contrast(c, "#ffffff") >= 3 for c in colours), tid
        assert all(contrast(a, b) >= 3 for a, b in zip(colours, colours[1:])), (tid, colours)
        for trace in traces:
            if trace.get("textposition") == "inside":
                text = {"white": "#ffffff"}.get(trace["textfont"]["color"], trace["textfont"]["color"])
                assert contrast(trace["marker"]["color"], text) >= 4.5, tid


def test_the_palette_keeps_3_to_1_around_its_cycle():
    cycle = PALETTE + PALETTE[:1]
    assert all(contrast(a, b) >= 3 for a, b in zip(cycle, cycle[1:]))
    assert all(contrast(c, "#ffffff") >= 3 and max(contrast(c, "#ffffff"), contrast(c, INK)) >= 4.5 for c in PALETTE)
    assert round(contrast("#6BACE6", "#BFD9F1"), 1) < 3  # the light ramp it replaced did not


def test_rows_grow_to_fit_the_longest_label():
    """Figure 4.2: 16 categories in 47 px rows, the longest wrapped to three lines."""
    labels = ["a<br>b<br>c"] * 4 + ["a"] * 12
    assert _label_height(labels, 47) == 16 * (17 * 3 + 2 - 47)
    assert _label_height(["a<br>b"] * 5, 30) == 0  # two lines fit a 30 px row


def test_a_table_is_wrapped_and_named_after_its_caption():
    page = '<p>x</p><table class="data-table audit-table"><caption>Costs &amp; <b>fees</b></caption></table>'
    assert scrolling_tables(page) == (
        '<p>x</p><div class="table-scroll" role="group" aria-label="Costs &amp; fees (table)">'
        '<table class="data-table audit-table"><caption>Costs &amp; <b>fees</b></caption></table></div>'
    )


def test_indentation_and_blank_lines_go_but_line_breaks_stay():
    assert compact("<p>a\n    b</p>\n\n  \n<p>c  d</p>\n\t<p>") == "<p>a\nb</p>\n<p>c  d</p>\n<p>"


def test_chart_json_cannot_close_its_script_element():
    figure = {"data": [{"type": "bar", "name": "</script><script>alert(1)</script>"}], "layout": {"width": 760}}
    markup = chart_markup("t", figure, "figures/t.svg")
    assert markup.count("</script>") == 1 and "\\u003c/script>" in markup


def test_a_plotly_js_of_another_version_stops_the_build(monkeypatch):
    """The figures are made by the Python plotly for its own plotly.js: another version of the
    bundle would draw them differently (or not at all)."""
    monkeypatch.setattr(web_assets.plotly.offline, "get_plotlyjs_version", lambda: "0.0.1")
    with pytest.raises(OhmskError, match="pin plotly.js-basic-dist-min@0.0.1"):
        web_assets.plotly_bundle()
