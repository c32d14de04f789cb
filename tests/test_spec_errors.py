"""Specs that refuse mistakes: a battery of deliberately broken spec copies (and data-folder
files), each of which stops the build with exit 2, no traceback, nothing built, and a message
naming the file, the line and the fix. Plus: every problem is listed at once, the shipped
specs pass, and the JSON Schemas editors read are the schemas the build applies."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from pipeline.cli import main
from pipeline.spec.schema.checked import check_data_folder, check_specs, check_tool_specs
from pipeline.spec.schema.export import SCHEMAS, render
from pipeline.spec.schema.source import read_source

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "survey_specs"
RAW = ROOT / "raw"

# (file, text in it, what replaces it, text on the line the message must name, the fix it names)
BROKEN_SPECS = [
    (
        "tables/ch4.yaml",
        "      - var: n_services\n        stats: [mean]\n",
        "      - var: n_services\n        stats: [mean]\n        filtr: size10 == 2\n",
        "filtr:",
        "unknown key 'filtr'; did you mean 'filter'?",
    ),
    (
        "tables/ch4.yaml",
        "        nets:\n          - {label: Fewer than 4 services",
        "        net:\n          - {label: Fewer than 4 services",
        "net:",
        "unknown key 'net'; did you mean 'nets'?",
    ),
    (
        "tables/ch4.yaml",
        "    title: Number of services offered by OH providers\n",
        "    titel: Number of services offered by OH providers\n",
        "titel:",
        "did you mean 'title'?",
    ),
    ("tables/ch4.yaml", "chapter: 4\n", "chaptr: 4\n", "chaptr:", "did you mean 'chapter'?"),
    (
        "tables/ch4.yaml",
        "{label: Fewer than 4 services, codes: [1]}",
        "{lable: Fewer than 4 services, codes: [1]}",
        "lable:",
        "did you mean 'label'?",
    ),
    (
        "tables/ch4.yaml",
        "    by: [size10, size_band]\n",
        "    by: [size10, size_band]\n    min_base: thirty\n",
        "min_base: thirty",
        "expected a whole number, got 'thirty'",
    ),
    (
        "tables/ch4.yaml",
        "      - var: services_band\n",
        "      - var: services_bnad\n",
        "services_bnad",
        "unknown variable 'services_bnad' in survey 'providers'; did you mean 'services_band'?",
    ),
    (
        "tables/ch4.yaml",
        "    by: [size10, size_band]\n",
        "    by: [size10, size_bnd]\n",
        "size_bnd",
        "did you mean 'size_band'?",
    ),
    (
        "tables/ch4.yaml",
        "      - var: n_services\n        stats: [mean]\n",
        "      - var: n_services\n        stats: [mean]\n        filter: digtal == 1\n",
        "digtal",
        "unknown variable 'digtal'",
    ),
    (
        "tables/ch4.yaml",
        "{label: 10 or more services, codes: [4, 5]}",
        "{label: 10 or more services, codes: [4, 9]}",
        "codes: [4, 9]",
        "uses codes [9] that 'services_band' does not have",
    ),
    (
        "tables/ch4.yaml",
        "  - id: services_offered\n",
        "  - id: services_count\n",
        "id: services_count",
        "table id 'services_count' is used twice",
    ),
    (
        "tables/ch4.yaml",
        "    chart: bar\n    series:\n      - var: services_band",
        "    chart: pie\n    series:\n      - var: services_band",
        "chart: pie",
        "'pie' is not one of 'bar', 'stacked'",
    ),
    (
        "tables/ch4.yaml",
        "      - var: n_services\n        stats: [mean]\n",
        "      - var: n_services\n        stats: [mean]\n        filter: (size10 == 2\n",
        "(size10 == 2",
        "unbalanced brackets",
    ),
    (
        "tables/ch4.yaml",
        "      - var: n_services\n        stats: [mean]\n        base:",
        "      - var: n_services\n        stats: [mean]\n        stats: [median]\n        base:",
        "stats: [median]",
        "key 'stats' is written twice",
    ),
    (
        "providers.yaml",
        "    asked: partner == 1\n",
        "    asked: partner = 1\n",
        "partner = 1",
        "to compare, write '=='",
    ),
    ("providers.yaml", "    asked: partner == 1\n", "    asked: partnr == 1\n", "partnr", "did you mean 'partner'?"),
    ("providers.yaml", "    asked: partner == 1\n", "    asked: partner == 'yes'\n", "'yes'", "compare it with a code"),
    ("providers.yaml", "    asked: partner == 1\n", "    askd: partner == 1\n", "askd:", "did you mean 'asked'?"),
    (
        "providers.yaml",
        "title: Survey of private OH providers\n",
        "titel: Survey of private OH providers\n",
        "titel:",
        "did you mean 'title'?",
    ),
    (
        "providers.yaml",
        "    expr: ots_extent in [2, 3, 4, 5]\n",
        "    expr: ots_extent in [2, 3, 4, 5\n",
        "[2, 3, 4, 5",
        "unbalanced brackets",
    ),
    (
        "providers.yaml",
        "    type: single\n    asked: all\n    codes:\n      1: North East",
        "    type: singel\n    asked: all\n    codes:\n      1: North East",
        "singel",
        "did you mean 'single'?",
    ),
    ("report.yaml", "  min_base: 30 ", "  min_bse: 30 ", "min_bse", "did you mean 'min_base'?"),
    (
        "report.yaml",
        "template: chapters/ch4.html.j2, tables: tables/ch4.yaml}",
        "template: chapters/ch4.html.j2, tabels: tables/ch4.yaml}",
        "tabels",
        "did you mean 'tables'?",
    ),
    (
        "report.yaml",
        "template: chapters/ch4.html.j2, tables: tables/ch4.yaml}",
        "template: chapters/ch4.html.j2}",
        "chapters:",
        "tables/ch4.yaml is listed by no chapter",
    ),
    (
        "report.yaml",
        "template: chapters/ch4.html.j2,",
        "template: chapters/ch4.htm.j2,",
        "ch4.htm.j2",
        "did you mean 'chapters/ch4.html.j2'?",
    ),
    ("report.yaml", "    use: none\n", "    use: yes\n", "use: yes", "is not one of 'none', 'rim'"),
    (
        "report.yaml",
        "  workforce:\n    use: none\n",
        "  workforce:\n    use: rim\n",
        "workforce:",
        "`use: rim` needs a `frame` to weight to",
    ),
    (
        "report.yaml",
        "  ccg_leads:\n    use: none\n    reason:",
        "  ccg_leads:\n    use: none\n    raeson:",
        "raeson",
        "did you mean 'reason'?",
    ),
    (
        "published/providers.yaml",
        '    published: "33%"\n',
        '    publshed: "33%"\n',
        "publshed",
        "did you mean 'published'?",
    ),
    (
        "published/providers.yaml",
        "    table: services_offered\n    series: serv_most\n    category: 7\n",
        "    table: services_offered\n    series: serv_mots\n    category: 7\n",
        "serv_mots",
        "has no series 'serv_mots'; did you mean 'serv_most'?",
    ),
    ("glossary.yaml", "  - term: Access to Work\n", "  - trem: Access to Work\n", "trem:", "did you mean 'term'?"),
    # a misspelled key at the other levels of each kind of file
    ("providers.yaml", "    kind: count\n", "    knd: count\n", "knd:", "did you mean 'kind'?"),
    (
        "providers.yaml",
        "{code: 1, label: 1-3 services, min: 1, max: 3}",
        "{code: 1, label: 1-3 services, min: 1, mx: 3}",
        "mx: 3",
        "did you mean 'max'?",
    ),
    (
        "providers.yaml",
        "    range: [0, 5000]\n",
        "    range: [0, '5000']\n",
        "'5000'",
        "expected a whole number or a number",
    ),
    ("report.yaml", "glossary: glossary.yaml ", "glossry: glossary.yaml ", "glossry:", "did you mean 'glossary'?"),
    (
        "report.yaml",
        "template: front/glossary.html.j2}",
        "templte: front/glossary.html.j2}",
        "templte",
        "did you mean 'template'?",
    ),
    ("report.yaml", "    cap: 5 ", "    capp: 5 ", "capp:", "did you mean 'cap'?"),
    (
        "report.yaml",
        "{table: services_count, category: 10 or more services,",
        "{table: services_count, categry: 10 or more services,",
        "categry",
        "did you mean 'category'?",
    ),
    ("report.yaml", "    apply: false\n", "    aply: false\n", "aply:", "did you mean 'apply'?"),
    (
        "published/providers.yaml",
        "    columns: [comm_ind=1, comm_ind=0]\n    claim: significant\n",
        "    columns: [comm_ind=1, comm_ind=0]\n    claim: signficant\n",
        "signficant",
        "did you mean 'significant'?",
    ),
    ("published/providers.yaml", "\nsurvey: providers\n", "\nsurvy: providers\n", "survy:", "did you mean 'survey'?"),
    (
        "tables/appendix.yaml",
        "    layout: series_rows\n",
        "    layout: serie_rows\n",
        "serie_rows",
        "did you mean 'series_rows'?",
    ),
]


def _copy_with(tmp_path: Path, file: str, old: str, new: str, marker: str) -> tuple[Path, int]:
    """A copy of the specs with one edit, and the line of the copy holding `marker`."""
    specs = tmp_path / "specs"
    shutil.copytree(SPECS, specs)
    text = (specs / file).read_text(encoding="utf-8")
    assert old in text, f"{file} no longer holds {old!r}: update the battery"
    at = text.index(old)
    edited = text[:at] + new + text[at + len(old) :]
    (specs / file).write_text(edited, encoding="utf-8")
    found = edited.find(marker, at)
    line = edited[: found if found >= 0 else edited.index(marker)].count("\n") + 1
    return specs, line


def _battery() -> list:
    """BROKEN_SPECS as test cases: the first case of each kind of spec file runs in `make check`,
    the rest (each a second's spec reading) with the build tier (`make test`)."""
    seen: set[str] = set()
    cases = []
    for case in BROKEN_SPECS:
        kind = case[0].split("/")[0]
        marks = [pytest.mark.build] if kind in seen else []
        seen.add(kind)
        cases.append(pytest.param(*case, id=f"{case[0]}:{case[4][:40]}", marks=marks))
    return cases


@pytest.mark.parametrize("file, old, new, marker, fix", _battery())
def test_a_broken_spec_stops_the_build_naming_file_line_and_fix(tmp_path, capsys, file, old, new, marker, fix):
    specs, line = _copy_with(tmp_path, file, old, new, marker)
    out = tmp_path / "out"
    assert main(["report", "--specs", str(specs), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{specs / file}:{line}:" in err and fix in err, err
    assert "Traceback" not in err and not (out / "report.html").exists()


def test_the_battery_is_large_enough():
    assert len(BROKEN_SPECS) >= 15
    assert {f.split("/")[0] for f, *_ in BROKEN_SPECS} >= {
        "tables",
        "providers.yaml",
        "report.yaml",
        "published",
        "glossary.yaml",
    }


def test_every_problem_is_listed_at_once(tmp_path, capsys):
    specs, _ = _copy_with(tmp_path, "tables/ch4.yaml", "chapter: 4\n", "chaptr: 4\n", "chaptr")
    (specs / "providers.yaml").write_text(
        (specs / "providers.yaml").read_text().replace("    asked: partner == 1\n", "    asked: partner = 1\n")
    )
    (specs / "report.yaml").write_text((specs / "report.yaml").read_text().replace("  min_base: 30 ", "  min_bse: 30 "))
    assert main(["validate", "--specs", str(specs)]) == 2
    err = capsys.readouterr().err
    assert all(hint in err for hint in ("'chaptr'", "write '=='", "'min_bse'")), err
    assert re.search(r"\b3 problem\(s\) in the spec files", err), err


@pytest.mark.build  # a fresh process: the one CLI smoke test
def test_a_broken_spec_stops_make_report_as_a_user_runs_it(tmp_path):
    """End to end, as a user meets it: a fresh process, exit 2, the message, no traceback."""
    specs, line = _copy_with(tmp_path, *BROKEN_SPECS[0][:3], BROKEN_SPECS[0][3])
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "report", "--specs", str(specs), "--out", str(tmp_path / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"tables/ch4.yaml:{line}:" in done.stderr and "did you mean 'filter'?" in done.stderr


@pytest.mark.build  # the CLI on a copy of the data or specs
@pytest.mark.parametrize(
    "file, text, fix",
    [
        ("rename.yaml", "providers: [region]\n", "providers: expected a mapping"),
        ("rename.yaml", "provders:\n  REGION_HQ: region\n", "unknown survey 'provders'; did you mean 'providers'?"),
        ("wave.yaml", "wave: '2026'\nprevius: ../raw\n", "unknown key 'previus'; did you mean 'previous'?"),
        # edition.yaml: the fieldwork dates moved here from the codebooks, and what the edition is
        (
            "edition.yaml",
            (RAW / "edition.yaml")
            .read_text()
            .replace("{start: 2018-11-12, end: 2018-12-07}", "{start: 2018-11-12, ende: 2018-12-07}"),
            "did you mean 'end'?",
        ),
        (
            "edition.yaml",
            (RAW / "edition.yaml").read_text().replace("  ccg_leads:\n", "  ccg_lead:\n"),
            "unknown survey 'ccg_lead'; did you mean 'ccg_leads'?",
        ),
        (
            "edition.yaml",
            (RAW / "edition.yaml")
            .read_text()
            .replace("reproduces_published: true", "reproduces_published: yes please"),
            "reproduces_published",
        ),
        (
            "edition.yaml",
            (RAW / "edition.yaml")
            .read_text()
            .replace('{year: 2019, note: "2019 (dates not published)"}', '{note: "2019 (dates not published)"}', 1),
            "give the `year` and a `note`",
        ),
        (
            "edition.yaml",
            (RAW / "edition.yaml").read_text().replace("end: 2018-12-07", "end: 2018-10-07"),
            "fieldwork starts (2018-11-12) after it ends (2018-10-07)",
        ),
        (
            "frames/providers.yaml",
            "survey: providers\npopulation: 322\nsource: assumed\nmargins:\n  size_bnd: {1: 5}\n",
            "did you mean 'size_band'?",
        ),
    ],
)
def test_a_broken_data_folder_file_stops_the_build(tmp_path, capsys, file, text, fix):
    data = tmp_path / "data"
    shutil.copytree(RAW, data)
    (data / file).write_text(text)
    out = tmp_path / "out"
    assert main(["report", "--data", str(data), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{data / file}:" in err and fix in err and "Traceback" not in err, err
    assert not (out / "report.html").exists()


@pytest.mark.build  # the CLI on a copy of the data or specs
@pytest.mark.parametrize("command", ["validate", "report"])
def test_a_data_folder_without_an_edition_file_is_told_what_to_write(tmp_path, capsys, command):
    """No default edition: whether data are synthetic or real, and the published report's or
    not, cannot be guessed, so `validate` and `report` stop and show what the file holds."""
    data = tmp_path / "data"
    shutil.copytree(RAW, data)
    (data / "edition.yaml").unlink()
    out = tmp_path / "out"
    assert main([command, "--data", str(data), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{data / 'edition.yaml'}:1: no edition file" in err and "Traceback" not in err, err
    for key in (
        "name:",
        "data_as_of:",
        "provenance:",
        "reproduces_published:",
        "surveys:",
        "providers: {wave:",
        "ccg_leads: {wave:",
        "fieldwork: {year:",
    ):
        assert key in err, key
    assert not (out / "report.html").exists()


@pytest.mark.build  # the CLI on a copy of the data or specs
@pytest.mark.parametrize(
    "command, file, old, new, fix",
    [
        (
            "raw",
            "reconstruct/providers.yaml",
            "  - var: partner           # [published] 78 partner (76%)\n    counts:",
            "  - var: partner           # [published] 78 partner (76%)\n    cuonts:",
            "did you mean 'counts'?",
        ),
        (
            "raw",
            "reconstruct/providers.yaml",
            "  - var: partner           # [published] 78 partner (76%)\n",
            "  - var: partnr           # [published] 78 partner (76%)\n",
            "did you mean 'partner'?",
        ),
        (
            "bench",
            "bench.yaml",
            "  change: {file: tables/ch4.yaml, table: services_count}",
            "  change: {file: tables/ch4.yaml, table: services_cuont}",
            "did you mean 'services_count'?",
        ),
    ],
)
def test_the_tools_specs_are_checked_before_they_run(tmp_path, capsys, command, file, old, new, fix):
    specs, _ = _copy_with(tmp_path, file, old, new, new.strip()[:6])
    assert main([command, "--specs", str(specs), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert str(specs / file) in err and fix in err and "Traceback" not in err, err
    assert not (tmp_path / "out" / "providers.sav").exists()


def test_the_shipped_specs_and_data_pass_every_check():
    specs = check_specs(SPECS)
    check_tool_specs(specs)
    folder = check_data_folder(specs, RAW)
    assert len(specs.tables) == 86 and set(folder.frames) == {"providers"}


@pytest.mark.build  # validates every data file
def test_validate_passes_on_the_shipped_data(capsys):
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert "ccg_leads.sav: 87 respondents read, 87 kept" in out and "valid" in out


def test_the_json_schemas_are_current_and_accept_every_shipped_spec():
    """Editors check specs with the exported JSON Schemas: those files are what the models
    give, and every spec file names its schema and passes it."""
    folder = SPECS / "schemas"
    for kind in SCHEMAS:
        assert (folder / f"{kind}.schema.json").read_text(encoding="utf-8") == render(kind), (
            f"{kind}.schema.json is stale: run `ohmsk schema`"
        )
    for path in sorted(SPECS.rglob("*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        named = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert named, f"{path} does not name its schema"
        schema = json.loads((path.parent / named.group(1)).read_text(encoding="utf-8"))
        data = json.loads(json.dumps(read_source(path).data, default=str))  # as an editor sees it
        jsonschema.Draft202012Validator(schema).validate(data)
