"""Contents, front matter and the generated appendices: complete, and true to the data and specs."""

import html as htmllib
import re

import pandas as pd
import pytest

from pipeline.errors import Problem
from pipeline.present.appendices import (
    audit_groups,
    audit_lines,
    codebook_rows,
    quality_issues,
    weight_bands,
    weight_spread,
)
from pipeline.present.exhibits import number_exhibits
from pipeline.spec.published import load_targets
from pipeline.stages.audit import run_audit
from pipeline.stages.clean import CleanData


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def _section(html: str, start_id: str, end_id: str | None = None) -> str:
    start = html.index(f'id="{start_id}"')
    return html[start : html.index(f'id="{end_id}"') if end_id else None]


def test_contents_links_every_section(built):
    html = (built / "report.html").read_text()
    contents = html[html.index('<nav class="contents"') : html.index("</nav>")]
    body = html[html.index('<main id="main">') :]  # the skip link's target
    linked = re.findall(r'href="#([^"]+)"', contents)
    sections = re.findall(r'<h3 id="([^"]+)"', body)
    chapters = re.findall(r'<section class="(?:chapter|front)" id="([^"]+)"', body)
    # unnumbered sections (the front matter, the web page's downloads) list no subsections
    front_h3 = set(re.findall(r'<h3 id="([^"]+)"', _section(body, "executive-summary", "chapter-1")))
    front_h3 |= set(re.findall(r'<h3 id="([^"]+)"', body[body.index('id="downloads"') :]))
    assert linked == [
        s for s in re.findall(r'<(?:section class="(?:chapter|front|back)"|h3) id="([^"]+)"', body) if s not in front_h3
    ]
    assert len(chapters) >= 10 and len(sections) > 30


@pytest.mark.build  # the fixture is asked for by name
@pytest.mark.parametrize(
    ("document", "first", "least"),
    [("pdf_pages", "Executive summary", 40), ("annex_pages", "A Reproduction audit", 10)],
)
def test_pdf_contents_page_numbers_point_at_the_headings(document, first, least, request):
    pages_text = request.getfixturevalue(document)
    first_section = next(i for i, p in enumerate(pages_text) if p.startswith(first))
    contents = "\n".join(pages_text[1:first_section])
    # each entry reads as its title then its page, on one line (the leader dots are not text)
    entries = [
        e for e in re.findall(r"^(\S.*?) (\d+)$", contents, flags=re.M) if not re.fullmatch(r"Page \d+ of", e[0])
    ]
    assert len(entries) > least
    squashed = [re.sub(r"\s+", " ", p) for p in pages_text]
    pages = [int(n) for _, n in entries]
    assert pages == sorted(pages)
    for title, page in entries:
        assert title in squashed[int(page) - 1], (title, page)


def test_audit_appendix_lists_every_published_figure(built, report_spec, tables, computed):
    html = (built / "report.html").read_text()
    rows, claims = run_audit(report_spec.config["surveys"], tables, computed.level)
    audit = _section(html, "s8-18", "s8-19")
    assert sum(len(load_targets(s)) for s in report_spec.config["surveys"]) == len(rows) > 800
    listed = re.findall(r'<tr><th scope="row">([A-Z]+\d+)</th>', audit)
    mismatched = [r.target.id for r in rows if not r.match]
    assert sorted(listed) == sorted([r.target.id for r in rows] + mismatched + [c.claim.id for c in claims])
    shown = [r for r in rows if not r.withheld]  # the published audit says nothing of withheld cells' matches
    assert f"{sum(r.match for r in shown)} of {len(rows)} published statistics reproduced" in _text(audit)
    assert f"{len(rows) - len(shown)} rest on cells this edition withholds" in _text(audit)
    for r in rows:
        if not r.match:  # every mismatch is printed beside its reason
            assert _text(r.target.contradiction[:60]) in _text(audit)
    assert (built / "audit.csv").read_text().count("\n") == len(rows) + len(claims) + 1


def test_print_audit_counts_every_published_figure_by_exhibit(report_spec, tables, computed, pdf_text, annex_text):
    """On paper the audit is one row per exhibit, in the technical annex (the HTML lists every
    figure; the report counts them by survey): the rows add up to every figure, and each one not
    reproduced is named there."""
    rows, _ = run_audit(report_spec.config["surveys"], tables, computed.level)
    lines = audit_lines(rows, tables, number_exhibits(tables, report_spec.tables))
    groups = audit_groups(lines)
    assert sum(g.figures for g in groups) == len(rows) and len(groups) < len(rows) / 5
    assert sum(g.reproduced for g in groups) == sum(r.match for r in rows if not r.withheld)
    named = [i for g in groups for i in g.not_reproduced.split(", ") if i]
    assert sorted(named) == sorted(r.target.id for r in rows if not r.match)
    withheld = [i for g in groups for i in g.withheld.split(", ") if i]
    assert sorted(withheld) == sorted(r.target.id for r in rows if r.withheld) and withheld
    text, annex = re.sub(r"\s+", " ", pdf_text), re.sub(r"\s+", " ", annex_text)
    for survey in report_spec.config["surveys"]:
        n = sum(line.survey == survey for line in lines)
        assert f"Each of these {n} figures" in annex, survey
        title = report_spec.codebooks[survey].title
        assert f"Published figures by exhibit of this edition: {title}" in annex, survey
        assert f"Published figures by exhibit of this edition: {title}" not in text, survey
    assert "The 2020 published figures by survey" in text  # the report's summary of them
    reproduced = [r.target.id for r in rows if r.match and not r.withheld]
    assert all(re.fullmatch(r"\w+", i) for i in reproduced)  # so a word of the text is an id printed whole
    words = set(re.findall(r"\w+", text + annex))
    assert not [i for i in reproduced if i in words]  # the listing is not printed


def test_web_codebook_appendix_counts_every_variable_and_links_the_annex(built, computed):
    """The web page, as the PDF, counts each survey's variables and links to the annex that lists
    them (test_print_codebooks_are_in_the_annex_not_the_report): the listings would take some
    150 KB of a page held under 2 MB with its assets."""
    html = (built / "report.html").read_text()
    appendix = _section(html, "s8-21")
    assert 'href="report-technical-annex.pdf"' in appendix
    for ds in computed.datasets.values():
        book = ds.codebook
        count = len([*book.variables, *book.derived])
        row = re.search(rf"<th scope=\"row\">{re.escape(book.title)}</th>.*?<td>(\d+)</td></tr>", appendix, re.S)
        assert row and int(row.group(1)) == count, book.title


def test_print_codebooks_are_in_the_annex_not_the_report(computed, pdf_text, annex_pages):
    """The technical annex lists every variable of every codebook, each survey from a page of its
    own; the report's appendix 8.21 counts them and points there."""
    text = re.sub(r"\s+", " ", pdf_text)
    assert "Codebook: " not in text and "report-technical-annex.pdf" in text
    for name, ds in computed.datasets.items():
        opening = next(i for i, p in enumerate(annex_pages) if f"Codebook: {ds.codebook.title}" in p)
        following = next(
            (i for i, p in enumerate(annex_pages[opening + 1 :], opening + 1) if "Codebook: " in p), len(annex_pages)
        )
        # a long name wraps inside its narrow column, so the text is read without its line breaks
        listing = re.sub(r"\s+", "", " ".join(annex_pages[opening:following]))
        names = [*ds.codebook.variables, *ds.codebook.derived]
        assert [v for v in names if v not in listing] == [], name
        book = ds.codebook
        assert f"{book.title} {book.file} {book.unit} {len(names)}" in text  # its row of the report's count


def test_codebook_rows_give_codes_routing_and_base(computed):
    ds = computed.datasets["providers"]
    rows = {r["name"]: r for r in codebook_rows(ds.codebook, ds)}
    assert rows["unfilled"]["codes"] == "1 Yes; 2 No" and rows["unfilled"]["base"] == len(ds.frame)
    routed = rows["training_eff"]  # asked only of providers with a training system
    assert routed["asked"] == "training_sys == 1"
    assert routed["base"] == int((ds.frame["training_sys"] == 1).sum()) < len(ds.frame)
    assert rows["size10"]["type"] == "derived (bands)"


def test_data_quality_groups_warnings_and_names_respondents(computed):
    base = computed.cleaned["providers"]
    log = [Problem("warning", "providers.sav", "extra", "-", "-", "variable not in the codebook; ignored")]
    log += [Problem("warning", "providers.sav", "employees", str(i), "900", "unusually large") for i in range(10)]
    log += [Problem("info", "providers.sav", "", "", "103", "respondents read")]
    issues = quality_issues(CleanData(base.codebook, base.file, base.frame, base.missing, log, base.counts), shown=3)
    assert [(i.variable, i.count) for i in issues] == [("extra", 1), ("employees", 10)]
    assert issues[0].respondents == ""
    assert issues[1].respondents == "0, 1, 2 and 7 more"


def test_data_quality_appendix_accounts_for_every_respondent(built, computed):
    appendix = _text(_section((built / "report.html").read_text(), "s8-19", "s8-20"))
    for name, c in computed.cleaned.items():
        assert f"{c.file} {c.counts['read']} {c.counts['kept']}" in appendix, name


def test_glossary_and_abbreviations_are_sorted_and_complete(built, report_spec):
    glossary = report_spec.checked.glossary.model_dump()
    html = _section((built / "report.html").read_text(), "glossary", "chapter-1")
    terms = re.findall(r"<dt>(.*?)</dt>", html)
    assert terms == sorted((t["term"] for t in glossary["terms"]), key=str.lower) and len(terms) >= 10
    abbreviations = re.findall(r'<tr><th scope="row">(.*?)</th>', html)
    assert abbreviations == sorted(glossary["abbreviations"], key=str.lower) and "MSK" in abbreviations


def test_weight_spread_and_bands_describe_the_weights():
    weights = pd.Series([0.5, 1.0, 1.0, 1.5, 6.0])  # mean 2
    spread = {r["label"]: r for r in weight_spread(weights)}
    assert spread["Smallest"]["relative"] == 0.25 and spread["Largest"]["weight"] == 6.0
    assert spread["Median"]["weight"] == 1.0
    bands = weight_bands(weights)
    assert [r["n"] for r in bands] == [
        1,
        3,
        0,
        0,
        1,
    ]  # relative 0.25; 0.5, 0.5, 0.75; 3 and sum(r["pct"] for r in bands) == 100
    assert bands[0]["label"] == "under 0.50 times the mean"
