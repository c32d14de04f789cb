"""What a reader meets first: the publication details on the cover, the Main points at the top of
the summary, and p-values written as a bulletin writes them."""

import datetime
import re
from html.parser import HTMLParser

import pytest
import yaml
from conftest import RAW, ROOT

from pipeline.present.publication import publication_details
from pipeline.spec.schema.data_folder import Edition
from pipeline.stats.rounding import fmt_p, round_half_up


@pytest.mark.parametrize(
    ("pvalue", "text"),
    [
        (0.0, "p < 0.001"),
        (0.000999, "p < 0.001"),
        (0.001, "p = 0.001"),
        (0.0123, "p = 0.012"),
        (0.0504, "p = 0.050"),  # two decimals would read as the 0.05 level itself
        (0.051, "p = 0.051"),  # two would round it onto the level
        (0.055, "p = 0.06"),
        (0.43, "p = 0.43"),
    ],
)
def test_p_values_are_written_as_bulletins_write_them(pvalue, text):
    assert fmt_p(pvalue) == text


def test_a_bare_p_value_is_for_a_column_headed_p():
    assert fmt_p(0.0002, bare=True) == "< 0.001"
    assert fmt_p(0.2, bare=True) == "0.20"


def test_the_level_decides_the_decimals():
    assert fmt_p(0.095, level=0.1) == "p = 0.095"
    assert fmt_p(0.095) == "p = 0.10"


def _edition(release: dict | None) -> Edition:
    data = yaml.safe_load((RAW / "edition.yaml").read_text())
    data.pop("release", None)
    if release:
        data["release"] = release
    return Edition.model_validate(data)


def _config() -> dict:
    return yaml.safe_load((ROOT / "survey_specs" / "report.yaml").read_text())


def test_a_release_is_cited_with_its_version_and_year():
    pub = publication_details(_config(), _edition({"version": "2.1", "date": datetime.date(2027, 3, 4)}))
    assert pub.date_text == "4 March 2027"
    assert pub.version_text == "Version 2.1"
    assert pub.citation.endswith("(2027). " + _config()["title"] + ". " + _config()["series"] + ". Version 2.1.")
    assert pub.copyright_text == "© Crown copyright 2027"


def test_without_a_release_the_outputs_say_they_are_a_draft():
    pub = publication_details(_config(), _edition(None))
    assert not pub.released
    assert pub.version_text.startswith("Draft")
    assert "(draft)" in pub.citation and pub.date_text == "Not published"


class _Text(HTMLParser):
    """The text of one element (by id or class) and of each of its <li>."""

    def __init__(self, where: tuple[str, str]):
        super().__init__()
        self.where, self.depth, self.items, self.text = where, 0, [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        attr, value = self.where
        if self.depth:
            self.depth += 1
            if tag == "li":
                self.items.append("")
        elif value in (attrs.get(attr) or "").split():
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.text.append(data)
            if self.items:
                self.items[-1] += data


def _element(html: str, attr: str, value: str) -> _Text:
    parser = _Text((attr, value))
    parser.feed(html)
    return parser


def test_main_points_open_the_summary_with_computed_figures(built, tables):
    html = (built / "report.html").read_text()
    summary = html[html.index('id="executive-summary"') :]
    first_block = re.search(r"</h2>\s*<(\w+)[^>]*>", summary)
    assert first_block and 'class="main-points"' in summary[first_block.start() : first_block.end() + 40], (
        "the executive summary does not open with its Main points"
    )
    points = _element(html, "class", "main-points")
    items = [re.sub(r"\s+", " ", i).strip() for i in points.items]
    assert len(items) >= 5, items
    assert all(re.search(r"\d+%", i) for i in items), "a main point without a figure"
    broad = int(round_half_up(float(tables["services_count"].cell(None, "10 or more services")["value"])))
    assert items[0].startswith(f"{broad}% of private OH providers offer ten or more services"), items[0]


def test_publication_details_are_on_the_cover_of_both_editions(built, pdf_pages):
    pub = publication_details(_config(), _edition(yaml.safe_load((RAW / "edition.yaml").read_text())["release"]))
    cover = re.sub(r"\s+", " ", "".join(_element((built / "report.html").read_text(), "class", "cover").text))
    page = re.sub(r"\s+", " ", pdf_pages[0])
    for fact in (pub.date_text, pub.version_text, pub.publisher, pub.contact_email, pub.licence_name):
        assert fact in cover, f"the web page's cover lacks {fact!r}"
        assert fact in page, f"the PDF's cover lacks {fact!r}"
