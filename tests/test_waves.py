"""Wave on wave: a perturbed second wave's changes match an independent recomputation."""
import dataclasses

import pytest
from statsmodels.stats.proportion import proportions_ztest

from conftest import read_raw
from pipeline.build import compute
from pipeline.errors import OhmskError
from pipeline.reconstruct.sav import write_sav
from pipeline.specs import load_codebook
from pipeline.inputs import wave_spec
from pipeline.waves import changed_questions, changes, question_changed, write_changes


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
    write_sav(frame, dataclasses.replace(book, variables={**book.variables, "unfilled": reworded}),
              second / "providers.sav")
    (second / "wave.yaml").write_text("wave: '2026'\nprevious: ../2018\nprevious_wave: '2018'\n")
    return first, second


def test_changes_match_an_independent_recomputation(two_waves, report_spec):
    first, second = two_waves
    spec = wave_spec(second)
    assert spec.wave == "2026" and spec.previous_wave == "2018" and spec.previous_dir == first.resolve()
    found = changes(compute(report_spec, second).tables, compute(report_spec, first).tables)
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


def test_changes_csv_lists_every_comparison(two_waves, report_spec, tmp_path):
    first, second = two_waves
    found = changes(compute(report_spec, second).tables, compute(report_spec, first).tables)
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


def test_changes_sheet_in_the_workbook(two_waves, report_spec, tmp_path):
    import openpyxl
    from datetime import datetime

    from pipeline.render import number_exhibits
    from pipeline.spreadsheet import write_workbook
    from pipeline.waves import changes_frame

    first, second = two_waves
    current = compute(report_spec, second).tables
    found = changes(current, compute(report_spec, first).tables)
    flagged = changed_questions(load_codebook("providers"), second, first)
    exhibits = number_exhibits(current, report_spec.tables)
    frame = changes_frame(found, flagged, exhibits)
    write_workbook(current, exhibits, report_spec.config, report_spec.codebooks, tmp_path / "t.xlsx",
                   datetime(2026, 1, 1), frame)
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["Change_since_previous_wave"]
    rows = [r for r in ws.iter_rows(values_only=True) if r[1] and "unable to fill: Yes" in str(r[1])]
    assert rows and "(question changed)" in rows[0][1]
    assert rows[0][2:5] == (44, 29, -15)  # 45 of 103, then 30 of 103, rounded as printed
