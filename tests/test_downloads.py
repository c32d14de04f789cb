"""The web page's downloads: every exhibit links to its data, its sheet and (a figure) its SVG,
and "Data and downloads" lists every file of the release with its true size."""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from openpyxl import load_workbook

from pipeline.output.downloads import ANNEX_PDF, Download


class _Links(HTMLParser):
    """Every link's href, and those inside the element with id `within` with their row's text."""

    def __init__(self, within: str):
        super().__init__()
        self.within, self.depth, self.hrefs, self.listed, self.row = within, 0, [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.depth:
            self.depth += 1
        elif attrs.get("id") == self.within:
            self.depth = 1
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
            if self.depth:
                self.listed.append(attrs["href"])
        # what the page loads: stylesheets, scripts (and the plotly.js they fetch), print images
        for name in ("src", "data-plotly") + (("href",) if tag == "link" else ()):
            if attrs.get(name) and not attrs[name].startswith("data:"):
                self.hrefs.append(attrs[name])
        if tag == "tr" and self.depth:
            self.row = []

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.row.append(data)


@pytest.fixture(scope="module")
def page(built) -> str:
    return (built / "report.html").read_text()


@pytest.fixture(scope="module")
def links(page) -> _Links:
    parser = _Links("downloads")
    parser.feed(page)
    return parser


def _local(href: str) -> bool:
    return not urlparse(href).scheme and not href.startswith("#")


def test_every_local_link_and_source_resolves_to_a_file_of_the_release(built, links):
    local = [h for h in links.hrefs if _local(h)]
    assert local, "the page links to no file"
    missing = sorted({h for h in local if not (built / unquote(h)).is_file()})
    assert not missing, f"links to files the build did not write: {missing[:10]}"
    assert not [h for h in local if h.startswith(("restricted/", ".cache/"))], "a link into restricted/ or .cache/"


def test_the_downloads_list_every_data_file_and_chart(built, links):
    listed = set(links.listed)
    written = {p.relative_to(built).as_posix() for d in ("csv", "figures") for p in (built / d).iterdir()}
    assert written <= listed, f"files not listed: {sorted(written - listed)[:10]}"
    for name in ("report.pdf", ANNEX_PDF, "tables.xlsx", "audit.csv", "claims.csv", "cleaning_log.csv"):
        assert name in listed, name


def test_listed_sizes_are_the_files_sizes(built, page):
    section = page[page.index('id="downloads"') :]
    rows = re.findall(
        r'<a href="([^"#]+)" download>[^<]+</a>(?:</th><td class="text">[^<]*</td><td>\w+</td><td>| \()([^<)]+)',
        section,
    )
    assert len(rows) > 100, len(rows)
    for href, size in rows:
        assert Download(href, (built / href).stat().st_size).size_text == size, href


def test_every_exhibit_links_to_its_data_and_sheet(built, page):
    sheets = set(load_workbook(built / "tables.xlsx", read_only=True).sheetnames)
    exhibits = re.findall(r'<figure class="exhibit[^"]*" id="([^"]+)">(.*?)</figure>', page, re.S)
    numbered = {n.lower().replace("_", "-") for n in sheets if n.startswith(("Figure_", "Table_"))}
    assert {anchor for anchor, _ in exhibits} == numbered, "the page's exhibits are not the workbook's"
    for anchor, body in exhibits:
        found = re.search(r'<p class="downloads">(.*?)</p>', body, re.S)
        assert found, f"{anchor}: no downloads"
        hrefs = re.findall(r'href="([^"]+)"', found.group(1))
        csv = [h for h in hrefs if h.endswith(".csv")]
        assert len(csv) == 1 and Path(csv[0]).stem.startswith(anchor + "_"), (anchor, hrefs)
        if anchor.startswith("figure-"):
            assert any(h.endswith(".svg") for h in hrefs), f"{anchor}: no SVG"
        sheet = re.search(r"sheet (\S+)</p>", found.group(0))
        assert sheet and sheet.group(1) in sheets, (anchor, sheet)


@pytest.mark.parametrize(("size", "text"), [(850, "850 bytes"), (12_345, "12 KB"), (1_887_437, "1.8 MB")])
def test_sizes_read_as_gov_uk_prints_them(size, text):
    assert Download("x.csv", size).size_text == text
