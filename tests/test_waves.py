"""Wave on wave: a perturbed second wave's changes match an independent recomputation."""

import dataclasses
import math

import pytest
from conftest import read_raw
from statsmodels.stats.proportion import proportions_ztest

from pipeline.build.cache import Store
from pipeline.build.data import compute
from pipeline.errors import OhmskError, ValidationError
from pipeline.output.csv_files import write_changes
from pipeline.spec.folders import wave_spec
from pipeline.spec.objects import load_codebook
from pipeline.spec.report_spec import load_report_spec
from pipeline.stages.clean import ABSENT_RULE, RECODED_RULE
from pipeline.stages.waves import Change, changed_questions, changes, matters, question_changed
from pipeline.tools.reconstruct.sav import write_sav


@pytest.fixture(scope="module")
def two_waves(tmp_path_factory, report_spec):
    """raw/ as the first wave; a second with 15 'has unfilled roles' answers turned to 'no'
    and the question reworded."""
    import shutil

    from conftest import RAW

    root = tmp_path_factory.mktemp("waves")
    first, second = root / "2018", root / "2026"
    shutil.copytree(RAW, first)
    shutil.copytree(RAW, second)
    book = load_codebook("providers")
    frame = read_raw(second / "providers.sav")
    frame.loc[frame.index[frame["unfilled"] == 1][:15], "unfilled"] = 2
    reworded = dataclasses.replace(book.variables["unfilled"], label="Has any vacancy it could not fill")
    write_sav(
        frame, dataclasses.replace(book, variables={**book.variables, "unfilled": reworded}), second / "providers.sav"
    )
    (second / "wave.yaml").write_text("wave: '2026'\nprevious: ../2018\nprevious_wave: '2018'\n")
    return first, second


@pytest.fixture(scope="module")
def two_wave_results(two_waves, report_spec, computed):
    """The data stages on each of the two waves (second, first), once for the module: the
    first is a copy of raw/, whose data stages the session has run (`computed`)."""
    first, second = two_waves
    return compute(report_spec, second), computed


def test_changes_match_an_independent_recomputation(two_waves, two_wave_results):
    first, second = two_waves
    spec = wave_spec(second)
    assert spec.wave == "2026" and spec.previous_wave == "2018" and spec.previous_dir == first.resolve()
    now, then = two_wave_results
    found = changes(now.tables, then.tables)
    by_key = {(c.table, c.series, c.column, c.category): c for c in found}
    old, new = read_raw(first / "providers.sav"), read_raw(second / "providers.sav")
    k_old, k_new = int((old["unfilled"] == 1).sum()), int((new["unfilled"] == 1).sum())
    assert k_old - k_new == 15
    c = by_key[("unfilled_roles", "unfilled", "total", 1)]
    assert c.previous == pytest.approx(100 * k_old / len(old))
    assert c.current == pytest.approx(100 * k_new / len(new))
    assert c.points == pytest.approx(-100 * 15 / len(new))
    _, p = proportions_ztest([k_new, k_old], [len(new), len(old)])
    assert c.pvalue == pytest.approx(p) and c.significant == (p < 0.05)
    unchanged = by_key[("services_count", "services_band", "total", "10 or more services")]
    assert unchanged.points == 0 and not unchanged.significant


def test_reworded_question_is_flagged(two_waves, tmp_path):
    first, second = two_waves
    flagged = changed_questions(load_codebook("providers"), second, first)
    assert [(q["variable"], q["changed"]) for q in flagged] == [("unfilled", "wording")]
    assert flagged[0]["current"] == "Has any vacancy it could not fill"
    change = dataclasses.make_dataclass("C", ["series"])("unfilled")
    assert question_changed(change, flagged)


def test_changes_csv_lists_every_comparison(two_wave_results, tmp_path):
    now, then = two_wave_results
    found = changes(now.tables, then.tables)
    write_changes(found, [], tmp_path / "changes.csv")
    assert (tmp_path / "changes.csv").read_text().count("\n") == len(found) + 1 > 1000


def test_bad_wave_file_is_named(tmp_path):
    (tmp_path / "wave.yaml").write_text("wave: '2026'\nprevious: ../nowhere\n")
    with pytest.raises(OhmskError, match="previous wave folder .* not found"):
        wave_spec(tmp_path)
    (tmp_path / "wave.yaml").write_text("just: text\n")
    with pytest.raises(OhmskError, match="wave.yaml:1: missing required key 'wave'") as found:
        wave_spec(tmp_path)
    assert "unknown key 'just'" in str(found.value)


def test_changes_sheet_in_the_workbook(two_waves, two_wave_results, report_spec, tmp_path):
    from datetime import datetime

    import openpyxl

    from pipeline.output.workbook import changes_frame, write_workbook
    from pipeline.present.exhibits import number_exhibits

    first, second = two_waves
    current = two_wave_results[0].tables
    found = changes(current, two_wave_results[1].tables)
    flagged = changed_questions(load_codebook("providers"), second, first)
    exhibits = number_exhibits(current, report_spec.tables)
    frame = changes_frame(found, flagged, exhibits)
    write_workbook(
        current, exhibits, report_spec.config, report_spec.codebooks, tmp_path / "t.xlsx", datetime(2026, 1, 1), frame
    )
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["Change_since_previous_wave"]
    rows = [r for r in ws.iter_rows(values_only=True) if r[1] and "unable to fill: Yes" in str(r[1])]
    assert rows and "(question changed)" in rows[0][1]
    assert rows[0][2:5] == (44, 29, -15)  # 45 of 103, then 30 of 103, rounded as printed
    # one measure per column, each with its unit, shares as numbers (tests/test_workbook_gss.py)
    from test_workbook_gss import Expected, check_percentages, check_units

    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert check_units(book, Expected("", "", {}, "0")) == check_percentages(book, Expected("", "", {}, "0")) == []


# -- a new wave with a question added, one dropped and one recoded, as a real new wave comes -----

NEW_EDITION = """name: Test wave 2026
data_as_of: 2026-02-27
provenance:
  kind: real
  label: survey data (test)
  summary: The respondent data behind this edition are test files standing in for a 2026 wave.
  statement: The files this edition is built from stand in for a 2026 wave of the three surveys.
reproduces_published: false
surveys:
  providers: {wave: "Wave 2026", fieldwork: {start: 2026-01-12, end: 2026-02-06}}
  workforce: {wave: "Wave 2026", fieldwork: {start: 2026-01-19, end: 2026-02-27}}
  ccg: {wave: "Wave 2026", fieldwork: {year: 2026, note: "early 2026 (dates not recorded)"}}
  ccg_leads: {wave: "Wave 2026", fieldwork: {year: 2026, note: "early 2026 (dates not recorded)"}}
"""


def _edited(path, *pairs):
    text = path.read_text(encoding="utf-8")
    for old, new in pairs:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def new_wave(tmp_path_factory):
    """raw/ as the previous wave; a new one, with its own edition, in which providers were asked
    a new question (`video`), no longer asked `inv_adj_ind`, and answered `inv_ffw_ind` on two
    codes where there were four (merged in pairs): specs edited as a researcher would."""
    import shutil

    from conftest import RAW, ROOT

    root = tmp_path_factory.mktemp("newwave")
    specs, first, second = root / "specs", root / "2018", root / "2026"
    shutil.copytree(ROOT / "survey_specs", specs)
    shutil.copytree(RAW, first)
    shutil.copytree(RAW, second)
    _edited(
        specs / "providers.yaml",
        (
            '  - name: inv_adj_ind\n    label: "Workplace adjustment advice: involvement of the individual"\n'
            "    type: scale\n    asked: serv_1 == 1\n    codes: *involvement\n",
            "  - name: video\n    label: Offers OH consultations by video call\n    type: single\n    asked: all\n"
            '    codes: {1: "Yes", 2: "No"}\n',
        ),
        (
            "  - name: inv_ffw_ind\n"
            '    label: "Fitness for work assessments: involvement of the individual"\n'
            "    type: scale\n    asked: serv_2 == 1\n    codes: *involvement\n",
            "  - name: inv_ffw_ind\n"
            '    label: "Fitness for work assessments: involvement of the individual"\n'
            "    type: scale\n    asked: serv_2 == 1\n"
            "    codes: {1: In all or most cases, 2: In some cases or never}\n",
        ),
    )
    _edited(
        specs / "tables" / "ch4.yaml",
        (
            '      - {var: inv_adj_ind, label: "Workplace adjustments: individual", base: OH providers who offer '
            "workplace adjustment advice, base_name: Workplace adjustment advice}\n",
            "",
        ),
    )
    _edited(  # the dropped question has no table to net, and the recoded one's net is now its first code
        specs / "data_tables.yaml",
        (
            "inv_ffw_rep, inv_ffw_ind, inv_adj_lm, inv_adj_rep, inv_adj_ind, followup",
            "inv_ffw_rep, inv_adj_lm, inv_adj_rep, followup",
        ),
    )
    book = load_codebook("providers", specs)
    frame = read_raw(second / "providers.sav").drop(columns=["inv_adj_ind"])
    frame["inv_ffw_ind"] = frame["inv_ffw_ind"].map({1: 1, 2: 1, 3: 2, 4: 2})  # blank stays blank
    frame["video"] = [1.0 if i % 3 else 2.0 for i in range(len(frame))]
    frame.loc[frame.index[frame["unfilled"] == 1][:15], "unfilled"] = 2  # a change that matters (45 to 30 of 103)
    write_sav(frame, book, second / "providers.sav")
    (second / "edition.yaml").write_text(NEW_EDITION)
    (second / "wave.yaml").write_text("wave: '2026'\nprevious: ../2018\n")
    return specs, first, second


@pytest.fixture(scope="module")
def new_wave_cache(tmp_path_factory) -> Store:
    """A build cache for the new wave's module: the report of the new wave (new_wave_build)
    reuses the data stages the test below ran on both waves, as a rebuild would."""
    return Store(tmp_path_factory.mktemp("newwave-cache"))


def test_a_question_added_dropped_and_recoded_is_listed_and_the_rest_compared(new_wave, new_wave_cache):
    specs, first, second = new_wave
    spec = load_report_spec(specs)
    before = compute(spec, first, new_wave_cache, previous=True)  # the previous wave lacks `video`: no error
    log = {(p.variable, p.rule) for p in before.cleaned["providers"].log}
    assert ("video", ABSENT_RULE) in log and ("inv_ffw_ind", RECODED_RULE) in log
    with pytest.raises(ValidationError, match="variable listed in the codebook is missing from the file"):
        compute(spec, first)  # read as this wave, the same folder stops the build
    flagged = changed_questions(spec.codebooks["providers"], second, first)
    assert {(q["variable"], q["changed"]) for q in flagged} == {
        ("video", "added"),
        ("inv_adj_ind", "dropped"),
        ("inv_ffw_ind", "codes"),
    }
    found = changes(compute(spec, second, new_wave_cache).tables, before.tables)
    series = {c.series for c in found}
    assert "inv_ffw_ind" not in series and "inv_ffw_rep" in series  # the recoded question is not compared
    assert {c.stat for c in found} == {"pct", "mean", "median", "ratio"}


def test_means_medians_and_ratios_are_compared(two_wave_results):
    """Beside shares, every mean, median and ratio both waves have: means tested (Welch's
    t-test), medians and ratios listed with their change and no test."""
    now, then = two_wave_results
    found = changes(now.tables, then.tables)
    mean = next(c for c in found if (c.series, c.column, c.stat) == ("n_services", "total", "mean"))
    assert mean.test == "Welch t-test" and mean.points == 0 and not mean.significant
    untested = [c for c in found if c.stat in ("median", "ratio")]
    assert {c.stat for c in untested} == {"median", "ratio"}
    assert all(c.test == "" and math.isnan(c.pvalue) and not c.significant for c in untested)


@pytest.mark.build  # the data stages on a second wave
def test_a_mean_that_moves_is_tested_as_scipy_tests_the_rows(report_spec, computed, tmp_path):
    """Five more employer clients for every provider moves the mean (and the median by five);
    Welch's test on the two cells gives scipy's p-value on the respondent rows."""
    import shutil

    from conftest import RAW
    from scipy import stats

    second = tmp_path / "2026"
    shutil.copytree(RAW, second)
    book = load_codebook("providers")
    frame = read_raw(second / "providers.sav")
    real = frame["n_employers"].notna() & ~frame["n_employers"].isin(list(book.variables["n_employers"].missing))
    frame.loc[real, "n_employers"] += 5
    write_sav(frame, book, second / "providers.sav")
    now, then = compute(report_spec, second), computed  # the session's data stages on raw/
    found = {c.stat: c for c in changes(now.tables, then.tables) if c.series == "n_employers" and c.column == "total"}
    a = then.datasets["providers"].frame["n_employers"].dropna()
    b = now.datasets["providers"].frame["n_employers"].dropna()
    mean = found["mean"]
    assert mean.previous == pytest.approx(a.mean()) and mean.current == pytest.approx(b.mean())
    assert mean.pvalue == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue)
    assert mean.significant == (mean.pvalue < 0.05)
    assert found["median"].points == pytest.approx(5) and found["median"].test == ""


def test_which_changes_matter():
    base = dict(table="t", series="s", column="total", category=1, label="l", base_previous=50, base_current=50)
    share = Change(**base, previous=40.0, current=46.0, pvalue=0.3, significant=False)
    assert matters(share, 5, 10) and not matters(share, 7, 10)
    median = Change(**base, previous=10.0, current=10.5, pvalue=math.nan, significant=False, stat="median")
    assert not matters(median, 5, 10) and matters(median, 5, 4)
    assert matters(dataclasses.replace(share, current=41.0, significant=True), 5, 10)


REMARKS_ON_2020 = [
    "According to the 2020 report",
    "The 2020 report published unweighted figures",
    "as the 2020 report published them",
    "the 2020 report singled out",
    "the 2020 report described neither as significant",
    "the 2020 report's rows do not add to 100",
    "The 2020 report's net",
    "the 2020 report's chapter text gives a lower figure",
    "The 2020 report publishes no profile",
    "regenerates the 2020 report",
    "Reproduction audit",
    "not reproduced",
    "check the data",
]


@pytest.fixture(scope="module", params=["html", pytest.param("full-build", marks=pytest.mark.slow)])
def new_wave_build(request, new_wave, new_wave_cache, tmp_path_factory):
    """The report of the new wave, against raw/ as the previous wave: its HTML with the changes
    CSVs beside it (render_html) in the default tier, the whole build in the slow tier."""
    import shutil

    from pipeline.build.schedule import build_report, render_html

    specs, first, second = new_wave
    out = tmp_path_factory.mktemp("newwave-out")
    if request.param == "html":
        render_html(load_report_spec(specs), second, out, new_wave_cache)
        return out
    if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
        pytest.skip("Chromium is needed for static chart export; `make report` installs it")
    build_report(second, out, progress=lambda m: None, specs_dir=specs)
    return out


def test_the_new_wave_builds_and_its_appendix_lists_the_questions(new_wave_build):
    import re

    html = (new_wave_build / "report.html").read_text(encoding="utf-8")
    wave = html[html.index('id="s8-22"') :]
    for variable, what in (("video", "added"), ("inv_adj_ind", "dropped"), ("inv_ffw_ind", "codes")):
        assert re.search(
            rf'<th scope="row">{variable}</th><td class="text">[^<]*</td><td class="text">{what}</td>', wave
        ), variable
    questions = (new_wave_build / "questions_changed.csv").read_text(encoding="utf-8")
    assert all(v in questions for v in ("video", "inv_adj_ind", "inv_ffw_ind"))
    assert "<td>2018</td><td>Wave 2026</td>" in wave and "<td>2019</td><td>Wave 2026</td>" in wave
    listed = (new_wave_build / "changes.csv").read_text(encoding="utf-8").count("\n") - 1
    table = wave[wave.index("Changes that matter") : wave.index("</table>", wave.index("Changes that matter"))]
    printed = table.count('<tr><th scope="row">')
    assert 0 < printed < listed / 5, (printed, listed)  # the appendix prints what matters, not every comparison
    assert "changes.csv" in wave and "Change_since_previous_wave" in wave


def test_the_edition_file_is_what_the_report_says(new_wave_build):
    html = (new_wave_build / "report.html").read_text(encoding="utf-8")
    cover = html[: html.index('<nav class="contents"')]
    assert "Test wave 2026" in cover and "27 February 2026" in cover
    assert "test files standing in for a 2026 wave" in cover and "synthetic" not in cover
    chapter2 = html[html.index('id="chapter-2"') : html.index('id="chapter-3"')]
    assert "between 12 January 2026 and 6 February 2026" in chapter2
    assert "in early 2026 (dates not recorded)" in chapter2
    assert "stand in for a 2026 wave of the three surveys" in chapter2 and "synthetic reconstruction" not in chapter2
    assert 'id="s8-18">8.18 Compared with the 2020 published figures' in html


def test_no_remark_on_the_2020_report_in_another_edition(new_wave_build):
    from conftest import ROOT

    templates = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "templates").rglob("*.j2"))
    html = (new_wave_build / "report.html").read_text(encoding="utf-8").replace("&#39;", "'")
    for remark in REMARKS_ON_2020:
        assert remark in templates, f"{remark!r} is no longer in the templates: update the list"
        assert remark not in html, remark
