"""Bad input stops the build with a message naming file, variable, respondent and value."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyreadstat
import pytest
from conftest import read_raw, rewrite

from pipeline.build.data import prepare
from pipeline.cli import main
from pipeline.errors import ValidationError
from pipeline.spec.objects import load_codebook

BOOK = load_codebook("providers")
SAV = "providers.sav"


@dataclass
class Run:
    """What `ohmsk ARGS` gave: its exit code and what it printed (pipeline.cli.main, in process;
    a bug would raise here rather than print a traceback, and fail the test)."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture()
def run_cli(capsys):
    def run(*args: str) -> Run:
        capsys.readouterr()  # only what this command prints
        code = main(list(args))
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


def broken(raw_copy: Path, change, plain: bool = False) -> Path:
    """Apply `change` to the shipped respondents; `plain` writes without SPSS metadata."""
    frame = change(read_raw(raw_copy / SAV))
    if plain:
        pyreadstat.write_sav(frame, str(raw_copy / SAV))
    else:
        rewrite(raw_copy / SAV, frame, BOOK)
    return raw_copy


def problems(data_dir: Path) -> list:
    with pytest.raises(ValidationError) as info:
        prepare(BOOK, data_dir)
    return info.value.problems


def test_unknown_code_is_named(raw_copy, run_cli):  # `make check`'s one CLI run on broken data
    def change(f):
        f.loc[4, "sla"] = 7
        return f

    data = broken(raw_copy, change)
    result = run_cli("validate", "--data", str(data))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "providers.sav: variable 'sla', respondent 1005, value 7: not a code of 'sla'" in result.stderr


def test_missing_variable_is_named(raw_copy):
    data = broken(raw_copy, lambda f: f.drop(columns=["gp_report"]))
    found = problems(data)
    assert any(p.variable == "gp_report" and "missing from the file" in p.rule for p in found)


def test_duplicate_respondent_id_is_named(raw_copy):
    def change(f):
        f.loc[10, "resp_id"] = f.loc[9, "resp_id"]
        return f

    found = problems(broken(raw_copy, change))
    dup = [p for p in found if "duplicate respondent id" in p.rule]
    assert {p.respondent for p in dup} == {"1010"} and len(dup) == 2


def test_text_where_a_number_belongs_is_named(raw_copy):
    def change(f):
        f["employees"] = f["employees"].astype(object)
        f.loc[2, "employees"] = "about ten"
        return f

    found = problems(broken(raw_copy, change, plain=True))
    hit = [p for p in found if p.variable == "employees"]
    assert hit and hit[0].respondent == "1003" and hit[0].value == "'about ten'"
    assert "expected a number" in hit[0].rule


def test_out_of_range_number(raw_copy):
    def change(f):
        f.loc[0, "med_share"] = 140
        return f

    found = problems(broken(raw_copy, change))
    assert any(p.variable == "med_share" and p.value == "140" and "range" in p.rule for p in found)


def test_answer_from_someone_not_routed(raw_copy):
    def change(f):
        rid = f.index[f["market"] == 2][0]
        f.loc[rid, "market_to_1"] = 1
        return f

    found = problems(broken(raw_copy, change))
    assert any(p.variable == "market_to_1" and "not routed" in p.rule for p in found)


def test_blank_from_someone_routed(raw_copy):
    def change(f):
        rid = f.index[f["market"] == 1][0]
        f.loc[rid, "market_to_1"] = np.nan
        return f

    found = problems(broken(raw_copy, change))
    assert any(p.variable == "market_to_1" and "blank but routed" in p.rule for p in found)


def test_most_used_service_must_be_offered(raw_copy):
    def change(f):
        rid = f.index[(f["serv_most"] == 7)][0]
        f.loc[rid, "serv_7"] = 0
        return f

    found = problems(broken(raw_copy, change))
    assert any(p.variable == "serv_most" and "did not select" in p.rule for p in found)


def test_all_problems_reported_at_once(raw_copy):
    def change(f):
        f.loc[0, "sla"] = 7
        f.loc[1, "balance"] = 9
        return f

    found = problems(broken(raw_copy, change))
    assert {p.variable for p in found} >= {"sla", "balance"}


@pytest.mark.build  # `ohmsk` on a broken copy of raw/
def test_missing_file_and_corrupt_file(raw_copy, run_cli):
    (raw_copy / SAV).write_bytes(b"not an spss file at all")
    result = run_cli("validate", "--data", str(raw_copy))
    assert result.returncode == 2 and "cannot be read as an SPSS .sav file" in result.stderr
    (raw_copy / SAV).unlink()
    result = run_cli("validate", "--data", str(raw_copy))
    assert result.returncode == 2 and "data file not found" in result.stderr
    assert "Traceback" not in result.stderr


def _as_csv(raw_copy: Path, **options) -> Path:
    """Replace the providers .sav with a CSV export of the same respondents."""
    read_raw(raw_copy / SAV).to_csv(raw_copy / "providers.csv", index=False, **options)
    (raw_copy / SAV).unlink()
    return raw_copy


def test_csv_export_gives_the_same_data_as_the_sav(raw_copy):
    from_sav, _ = prepare(BOOK, raw_copy)
    from_csv, _ = prepare(BOOK, _as_csv(raw_copy))
    assert from_csv.file == "providers.csv"
    assert from_csv.frame.equals(from_sav.frame)


@pytest.mark.build  # `ohmsk` on a broken copy of raw/
@pytest.mark.parametrize(
    "options, message",
    [
        ({"sep": ";"}, "separated by semicolons, not commas"),
        ({"sep": "\t"}, "separated by tabs, not commas"),
    ],
)
def test_csv_with_the_wrong_delimiter_is_named(raw_copy, options, message, run_cli):
    result = run_cli("validate", "--data", str(_as_csv(raw_copy, **options)))
    assert result.returncode == 2 and message in result.stderr and "providers.csv" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.build  # `ohmsk` on a broken copy of raw/
def test_csv_in_the_wrong_encoding_is_named(raw_copy, run_cli):
    frame = read_raw(raw_copy / SAV).astype(object)
    frame.loc[0, "region"] = "Café"  # one non-ASCII character, saved as Latin-1
    frame.to_csv(raw_copy / "providers.csv", index=False, encoding="latin-1")
    (raw_copy / SAV).unlink()
    result = run_cli("validate", "--data", str(raw_copy))
    assert result.returncode == 2 and "not UTF-8 text (byte 0xe9 on line 2)" in result.stderr


@pytest.mark.build  # `ohmsk` on a broken copy of raw/
@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "the file is empty (0 bytes)"),
        (None, "cannot be read as an SPSS .sav file"),  # truncated: the first half of the real file
    ],
)
def test_empty_and_truncated_files_are_named(raw_copy, content, message, run_cli):
    data = (raw_copy / SAV).read_bytes()
    (raw_copy / SAV).write_bytes(data[: len(data) // 2] if content is None else content)
    result = run_cli("validate", "--data", str(raw_copy))
    assert result.returncode == 2 and message in result.stderr and SAV in result.stderr
    assert "Traceback" not in result.stderr


def test_rename_file_maps_other_variable_names(raw_copy):
    frame = read_raw(raw_copy / SAV).rename(columns={"region": "REGION_HQ", "unfilled": "Q47"})
    pyreadstat.write_sav(frame, str(raw_copy / SAV))
    assert {p.variable for p in problems(raw_copy)} >= {"region", "unfilled", "REGION_HQ", "Q47"}
    (raw_copy / "rename.yaml").write_text("providers:\n  REGION_HQ: region\n  Q47: unfilled\n")
    cleaned, _ = prepare(BOOK, raw_copy)
    assert cleaned.counts["kept"] == len(frame)


@pytest.mark.build  # `ohmsk` on a broken copy of raw/
@pytest.mark.parametrize(
    "rename, message",
    [
        ("providers:\n  NOPE: region\n", "NOPE not found in providers.sav"),
        ("providers:\n  unfilled: region\n", "two columns named region"),
        ("providers: [region]\n", "rename.yaml:1: providers: expected a mapping (key: value), got ['region'] (list)"),
        ("providers:\n  REGION_HQ: regoin\n", "'regoin' is not a variable of 'providers'; did you mean 'region'?"),
    ],
)
def test_bad_rename_file_is_named(raw_copy, rename, message, run_cli):
    (raw_copy / "rename.yaml").write_text(rename)
    result = run_cli("validate", "--data", str(raw_copy))
    assert result.returncode == 2 and message in result.stderr and "rename.yaml" in result.stderr


@pytest.mark.build  # `ohmsk` on a broken copy of raw/
def test_report_on_broken_data_builds_nothing_and_prints_the_validation_report(raw_copy, tmp_path, run_cli):
    def change(f):
        f.loc[4, "sla"] = 7
        f.loc[6, "region"] = 40
        return f

    out = tmp_path / "outputs"
    result = run_cli("report", "--data", str(broken(raw_copy, change)), "--out", str(out))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "the data failed validation; nothing was built" in result.stderr
    assert "variable 'sla', respondent 1005, value 7" in result.stderr
    assert "variable 'region'" in result.stderr
    assert not (out / "report.html").exists() and not (out / "report.pdf").exists()


def _set(rid_pos: int, var: str, value):
    def change(f):
        if isinstance(value, str):
            f[var] = f[var].astype(object)
        f.loc[rid_pos, var] = value
        return f

    return change


def _routed(var: str, item: str, asked: int, value):
    def change(f):
        f.loc[f.index[f[var] == asked][0], item] = value
        return f

    return change


FAULTS = {  # one fault per broken copy, and what the message must name
    "unlabelled code": (_set(4, "sla", 7), "variable 'sla', respondent 1005, value 7"),
    "missing variable": (lambda f: f.drop(columns=["gp_report"]), "variable 'gp_report'"),
    "duplicate id": (_set(10, "resp_id", 1010), "respondent 1010"),
    "missing id": (_set(3, "resp_id", np.nan), "variable 'resp_id', respondent row 4"),
    "text for a number": (_set(2, "employees", "about ten"), "respondent 1003, value 'about ten'"),
    "out of range": (_set(0, "med_share", 140), "variable 'med_share', respondent 1001, value 140"),
    "answer not routed": (_routed("market", "market_to_1", 2, 1), "variable 'market_to_1'"),
    "blank though routed": (_routed("market", "market_to_1", 1, np.nan), "variable 'market_to_1'"),
    "inconsistent multi-code": (_routed("serv_most", "serv_7", 7, 0), "variable 'serv_most'"),
}


@pytest.mark.build  # `ohmsk` on a broken copy of raw/
@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_stops_the_report_naming_what_is_wrong(raw_copy, tmp_path, fault, run_cli):
    change, named = FAULTS[fault]
    out = tmp_path / "outputs"
    result = run_cli("report", "--data", str(broken(raw_copy, change, plain=True)), "--out", str(out))
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert "nothing was built" in result.stderr and named in result.stderr, result.stderr[-2000:]
    assert not (out / "report.pdf").exists()


def test_extra_variable_is_a_warning_in_the_cleaning_log(raw_copy):
    frame = read_raw(raw_copy / SAV).assign(interviewer_notes=1.0)
    pyreadstat.write_sav(frame, str(raw_copy / SAV))
    cleaned, _ = prepare(BOOK, raw_copy)
    assert [(p.severity, p.variable) for p in cleaned.log] == [("warning", "interviewer_notes")]
