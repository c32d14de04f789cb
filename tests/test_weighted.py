"""Weighted mode: a build with the providers survey rim weighted (`use: rim`, a copy of the specs).

Five weighted figures and their effective bases are recomputed here from the respondent rows
and the frame, raking with a few lines of iterative proportional fitting of our own (not the
pipeline's weighting), and must match the CSVs and what the HTML prints. The sensitivity table
must set the true unweighted figures beside the weighted ones in either mode; every exhibit on
weighted data must say so and print both bases; the unweighted surveys must say they are; the
audit must still check the 2020 figures against unweighted ones; and R.n must refuse a count
from a weighted table, naming the template line.
"""

from __future__ import annotations

import csv
import html
import re
import shutil
import subprocess
from pathlib import Path

import jinja2
import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from conftest import RAW, ROOT, read_raw

from pipeline.build.data import compute
from pipeline.build.schedule import build_report
from pipeline.errors import SpecError
from pipeline.output.document import render_template
from pipeline.output.template_api import ReportContext
from pipeline.present.exhibits import number_exhibits
from pipeline.present.formats import Formats, fmt_number
from pipeline.spec.report_spec import load_report_spec

WEIGHTED_REASON = "Weighted in this test build, to check that weighted mode is right."


def _weighted_specs(root: Path) -> Path:
    """A copy of survey_specs/ with the providers survey weighted (and a reason that says so)."""
    specs = root / "specs"
    shutil.copytree(ROOT / "survey_specs", specs)
    text = (specs / "report.yaml").read_text()
    start = text.index("  providers:\n    use: none\n    reason: >-\n")
    end = text.index("    frame: frames/providers.yaml\n", start)
    text = text[:start] + f"  providers:\n    use: rim\n    reason: {WEIGHTED_REASON}\n" + text[end:]
    (specs / "report.yaml").write_text(text)
    return specs


@pytest.fixture(scope="module")
def weighted_spec(tmp_path_factory):
    return load_report_spec(_weighted_specs(tmp_path_factory.mktemp("weighted-specs")))


@pytest.fixture(scope="module")
def weighted(weighted_spec):
    """The data stages with the providers survey weighted."""
    return compute(weighted_spec, RAW)


@pytest.fixture(scope="module")
def weighted_build(tmp_path_factory) -> Path:
    if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
        pytest.skip("Chromium is needed for static chart export; `make report` installs it")
    root = tmp_path_factory.mktemp("weighted")
    out = root / "out"
    build_report(RAW, out, progress=lambda m: None, specs_dir=_weighted_specs(root))
    return out


# -- an independent recomputation ----------------------------------------------------------


def _ipf(rows: pd.DataFrame, margins: dict[str, dict[int, float]], tol: float = 1e-10) -> np.ndarray:
    """Rim weights by iterative proportional fitting (Deming and Stephan 1940): scale the
    weights to each margin in turn until all of them hold."""
    w = np.ones(len(rows))
    for _ in range(1000):
        for var, target in margins.items():
            for code, count in target.items():
                hit = (rows[var] == code).to_numpy()
                w[hit] *= count / w[hit].sum()
        worst = max(
            abs(w[(rows[var] == code).to_numpy()].sum() - count)
            for var, target in margins.items()
            for code, count in target.items()
        )
        if worst < tol:
            return w
    raise AssertionError("independent raking did not converge")


@pytest.fixture(scope="module")
def independent() -> tuple[pd.DataFrame, np.ndarray]:
    """The providers' respondent rows and their rim weights to the frame, computed here."""
    rows = read_raw(RAW / "providers.sav")
    frame = yaml.safe_load((RAW / "frames" / "providers.yaml").read_text())
    employees = rows["employees"]
    rows["size_band"] = np.select(
        [employees == 0, employees <= 9, employees <= 49, employees <= 199], [1, 2, 3, 4], default=5
    )
    w = _ipf(rows, {var: {int(k): float(v) for k, v in m.items()} for var, m in frame["margins"].items()})
    assert w.max() < 5 * w.mean()  # report.yaml caps weights at 5 x the mean: the cap must not bind here
    return rows, w


# (table, series, category, column, who is in the base, who is in the category) for five figures
FIVE = [
    (
        "ots_extent",
        "ots_extent",
        "Offer packages at least some of the time",
        "total",
        lambda r: r.index == r.index,
        lambda r: r["ots_extent"].isin([2, 3, 4, 5]),
    ),
    ("outcome_data", "outcome_data", 1, "total", lambda r: r.index == r.index, lambda r: r["outcome_data"] == 1),
    (
        "ots_number",
        "ots_multi",
        1,
        "total",
        lambda r: r["ots_extent"].isin([2, 3, 4, 5]),
        lambda r: r["ots_multi"] == 1,
    ),
    (
        "outcome_usefulness",
        "outcome_useful",
        5,
        "total",
        lambda r: r["outcome_data"].isin([1, 2, 3, 4]),
        lambda r: r["outcome_useful"] == 5,
    ),
    (
        "capacity",
        "capacity_band",
        "Fewer than 200 individuals",
        "size_band=2",
        lambda r: r["size_band"] == 2,
        lambda r: r["capacity"] < 200,
    ),
]


def _expected(independent, base, hit) -> tuple[float, int, float]:
    """(weighted %, unweighted base, Kish effective base) of one cell, from the rows."""
    rows, w = independent
    inside = np.asarray(base(rows), dtype=bool)
    yes = inside & np.asarray(hit(rows), dtype=bool)
    wb = w[inside]
    return 100 * w[yes].sum() / wb.sum(), int(inside.sum()), wb.sum() ** 2 / (wb**2).sum()


def _csv_row(out: Path, table: str, series: str, category, column: str) -> dict:
    (path,) = (out / "csv").glob(f"*_{table}.csv")  # named after its exhibit, then the table id
    with open(path, encoding="utf-8") as fh:
        found = [
            r
            for r in csv.DictReader(fh)
            if r["series"] == series
            and r["column"] == column
            and r["stat"] == "pct"
            and r["category"] in (str(category), f"{category}.0")
        ]
    assert len(found) == 1, (table, series, category, column, found)
    return found[0]


def _exhibit(page: str, anchor: str) -> str:
    start = page.index(f'id="{anchor}"')
    return page[start : page.index("</figure>", start)]


def _cells(tag: str, markup: str) -> list[str]:
    return [
        html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
        for c in re.findall(rf"<{tag}[^>]*>(.*?)</{tag}>", markup, re.S)
    ]


def _printed(exhibit: str, row_label: str, headers: tuple[str, ...]) -> str:
    """What the exhibit's data table prints in the row `row_label`, under the first header that
    is one of `headers` (a column's label, maybe with its letter, or its series' label)."""
    table = exhibit[exhibit.index('<table class="data-table">') :]
    head = _cells("th", table[: table.index("</thead>")])[1:]
    index = next(i for i, h in enumerate(head) if h in headers or re.sub(r" \([A-Z]\)$", "", h) in headers)
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", table[table.index("<tbody>") :], re.S):
        th = _cells("th", tr)
        if th and th[0] == row_label:
            return _cells("td", tr)[index]
    raise AssertionError(f"no row {row_label!r}")


@pytest.mark.parametrize("table, series, category, column, base, hit", FIVE, ids=[f[0] for f in FIVE])
def test_five_weighted_figures_and_effective_bases_are_computed_as_an_independent_recomputation_gives(
    weighted, independent, table, series, category, column, base, hit
):
    """The data stages' weighted tables, without a build (the default tier's version of the
    next test, which reads them from the weighted build's CSVs and HTML)."""
    value, n, n_eff = _expected(independent, base, hit)
    computed_table = weighted.tables[table]
    cell = computed_table.cell(series, category, column)
    assert float(cell["value"]) == pytest.approx(value, abs=1e-4)  # raked to tol 1e-6 of the total
    assert int(cell["base"]) == n and float(cell["n_eff"]) == pytest.approx(n_eff, abs=0.05)
    assert computed_table.weighting.startswith("rim weights to providers.yaml")
    assert n_eff < n  # unequal weights cost precision: the two bases are not the same number


@pytest.mark.parametrize("table, series, category, column, base, hit", FIVE, ids=[f[0] for f in FIVE])
@pytest.mark.slow  # the weighted build, a second full build
def test_five_weighted_figures_and_effective_bases_match_an_independent_recomputation(
    weighted_build, independent, weighted, weighted_spec, table, series, category, column, base, hit
):
    value, n, n_eff = _expected(independent, base, hit)
    row = _csv_row(weighted_build, table, series, category, column)
    assert float(row["value"]) == pytest.approx(value, abs=1e-4)  # raked to tol 1e-6 of the total
    assert int(row["base"]) == n and float(row["effective_base"]) == pytest.approx(n_eff, abs=0.05)
    assert row["weight"].startswith("rim weights to providers.yaml")
    assert n_eff < n  # unequal weights cost precision: the two bases are not the same number
    page = (weighted_build / "report.html").read_text(encoding="utf-8")
    exhibit = _exhibit(page, number_exhibits(weighted.tables, weighted_spec.tables)[table].anchor)
    label = ("Net: " if row["is_net"] == "1" else "") + row["category_label"]
    headers = (row["column_label"],) if column != "total" else ("Total", row["series_label"])
    shown = _printed(exhibit, label, headers)
    assert shown.split(" ")[0].rstrip("*") == Formats().pct(value, in_table=True)
    assert _printed(exhibit, "Effective base", headers) == fmt_number(n_eff, 1)
    assert _printed(exhibit, "Base (n)", headers) == str(n)
    if column == "total":
        assert f"({n}, effective base {fmt_number(n_eff, 1)})" in html.unescape(exhibit)


# -- the sensitivity table ------------------------------------------------------------------


def _true_weighted(independent, table, category) -> float | None:
    """The independent weighted figure of a sensitivity cell, where FIVE has it."""
    for t, _, c, column, base, hit in FIVE:
        if (t, c, column) == (table, category, "total"):
            return _expected(independent, base, hit)[0]
    return None


@pytest.mark.parametrize("mode", ["none", "rim"])
def test_the_sensitivity_table_sets_true_unweighted_beside_true_weighted_figures(
    mode, computed, weighted, independent, report_spec
):
    """Under `use: rim` the 'Unweighted' column once showed the weighted figures (every
    difference +0.0): both columns must be the true figures whichever mode is set."""
    results = computed if mode == "none" else weighted
    cells = report_spec.config["weighting"]["providers"]["sensitivity"]["cells"]
    rows = results.sensitivity["providers"]
    assert len(rows) == len(cells)
    for cell, row in zip(cells, rows):
        plain = computed.tables[cell["table"]].cell(cell.get("series"), cell["category"])
        assert row.unweighted == pytest.approx(float(plain["value"]))  # the default build's unweighted figure
        assert row.base == int(plain["base"])
        truth = _true_weighted(independent, cell["table"], cell["category"])
        if truth is not None:
            assert row.weighted == pytest.approx(truth, abs=1e-4)  # report.yaml: tol 1e-6 of the total
    assert any(abs(r.difference) > 0.05 for r in rows)  # weighting moves some figure: the columns differ
    assert [r.weighted for r in computed.sensitivity["providers"]] == pytest.approx([r.weighted for r in rows])


def test_a_weighted_survey_keeps_its_unweighted_tables_for_the_audit(computed, weighted):
    for tid, table in weighted.tables.items():
        plain = weighted.unweighted[tid]
        assert not plain.weighted
        pd.testing.assert_frame_equal(plain.cells, computed.tables[tid].cells)
        assert table.weighted == (table.spec.survey == "providers")
        if table.weighted:
            assert table.weighting.startswith("rim weights to providers.yaml (322, by ")
            assert (table.cells["n_eff"] < table.cells["base"] + 1e-9).all()


# -- what the weighted build prints -----------------------------------------------------------


@pytest.mark.slow  # the weighted build, a second full build
def test_every_exhibit_on_weighted_data_says_so_and_prints_both_bases(weighted_build, weighted, weighted_spec):
    page = (weighted_build / "report.html").read_text(encoding="utf-8")
    exhibits = number_exhibits(weighted.tables, weighted_spec.tables)
    surveys = {ex.spec.survey for ex in exhibits.values()}
    assert {"providers", "workforce", "ccg"} <= surveys
    for tid, ex in exhibits.items():
        text = html.unescape(_exhibit(page, ex.anchor))
        weighted_here = ex.spec.survey == "providers"
        assert ("Weighted: rim weights to providers.yaml" in text) == weighted_here, tid
        assert bool(re.search(r"effective base \d", text)) == weighted_here, (
            tid
        )  # not the test note's "effective bases"
        assert (
            '<th scope="row">Effective base</th>' in text or '<th scope="col">Effective base</th>' in text
        ) == weighted_here, tid
    pdf = subprocess.run(
        ["pdftotext", str(weighted_build / "report.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    notes = " ".join(pdf.split()).count("Weighted: rim weights to")
    assert notes == sum(ex.spec.survey == "providers" for ex in exhibits.values())


@pytest.mark.slow  # the weighted build, a second full build
def test_the_workbook_says_per_sheet_whether_it_is_weighted(weighted_build, weighted, weighted_spec):
    exhibits = number_exhibits(weighted.tables, weighted_spec.tables)
    book = openpyxl.load_workbook(weighted_build / "tables.xlsx", read_only=True)
    seen = set()
    for tid, ex in exhibits.items():
        sheet = book[ex.label.replace(" ", "_").replace(".", "_")]
        top = [str(c) for row in sheet.iter_rows(max_row=6, values_only=True) for c in row if c]
        weighted_here = ex.spec.survey == "providers"
        assert any(t.startswith("Weighted: rim weights to providers.yaml") for t in top) == weighted_here, tid
        assert any(t.startswith("Unweighted.") for t in top) != weighted_here, tid
        assert any("effective base" in t for t in top) == weighted_here, tid
        headers = [str(c) for r in sheet.iter_rows(values_only=True) if r[0] == "Question" for c in r]
        assert ("Effective base (number of providers)" in headers) == weighted_here, tid
        seen.add(weighted_here)
    assert seen == {True, False}


def _section_2_4(page: str) -> str:
    text = page[page.index('id="s2-4"') : page.index('id="s2-5"')]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


@pytest.mark.slow  # the weighted build, a second full build
def test_the_methodology_states_per_survey_whether_it_is_weighted_and_why(weighted_build, built, weighted_spec):
    books = weighted_spec.codebooks
    for out, providers in ((weighted_build, "weighted"), (built, "unweighted")):
        section = _section_2_4((out / "report.html").read_text(encoding="utf-8"))
        assert f"{books['providers'].title}: {providers}." in section
        for name in ("workforce", "ccg", "ccg_leads"):
            reason = " ".join(weighted_spec.config["weighting"][name]["reason"].split())
            assert f"{books[name].title}: unweighted. {reason} With no population frame" in section, name
    weighted_text = _section_2_4((weighted_build / "report.html").read_text(encoding="utf-8"))
    assert WEIGHTED_REASON in weighted_text and "Every figure from it is rim weighted" in weighted_text
    default_text = _section_2_4((built / "report.html").read_text(encoding="utf-8"))
    assert "To show what weighting would change, it was rim weighted" in default_text
    assert WEIGHTED_REASON not in default_text


@pytest.mark.slow  # the weighted build, a second full build
def test_the_audit_still_checks_the_2020_figures_on_unweighted_tables(weighted_build, built):
    """The 2020 figures are unweighted: weighting the exhibits must change no audit result."""
    assert (weighted_build / "audit.csv").read_text() == (built / "audit.csv").read_text()
    page = " ".join((weighted_build / "report.html").read_text(encoding="utf-8").split())
    assert "whose exhibits here are weighted, ours are its unweighted figures" in page
    assert "whose exhibits here are weighted" not in (built / "report.html").read_text(encoding="utf-8")


# -- R.n on a weighted table --------------------------------------------------------------------


def test_a_count_from_a_weighted_table_stops_the_build_naming_the_template_line(weighted, weighted_spec, tmp_path):
    (tmp_path / "count.html.j2").write_text(
        "<p>Shares are weighted.</p>\n<p>{{ R.n('ots_extent', 1) }} providers bespoke only.</p>\n"
    )
    (tmp_path / "share.html.j2").write_text(
        "{{ R.pct('ots_extent', 1) }} {{ R.n('workforce_profile', 1, 'sector') }}"
        " {{ R.weighted('ots_extent') }} {{ R.weighted('workforce_profile') }}"
    )
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(tmp_path), undefined=jinja2.StrictUndefined)
    ctx = ReportContext(weighted.tables, number_exhibits(weighted.tables, weighted_spec.tables), "html", env, {})
    with pytest.raises(
        SpecError,
        match=r"count\.html\.j2:2: R\.n reads a count from table 'ots_extent', "
        r"whose figures are weighted \(rim weights to providers\.yaml",
    ):
        render_template(env, "count.html.j2", R=ctx)
    pct, n, yes, no = render_template(env, "share.html.j2", R=ctx).split()
    plain = weighted.tables["workforce_profile"].cell("sector", 1)
    assert n == str(int(plain["n"])) and (yes, no) == ("True", "False")
    assert pct == Formats().pct(float(weighted.tables["ots_extent"].cell(None, 1)["value"]))
