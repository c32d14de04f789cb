"""The reproduction audit: every published statistic recomputed through the real stages."""

import csv
import dataclasses

import pytest
from conftest import RAW, SURVEYS

import pipeline.build.data
from pipeline.cli import main
from pipeline.spec.published import load_claims, load_targets
from pipeline.spec.report_spec import load_report_spec
from pipeline.stages.audit import AUDIT_COLUMNS, audit, audit_claims, summary


@pytest.mark.parametrize("survey", SURVEYS)
def test_every_target_is_reproduced_or_a_recorded_contradiction(survey, tables):
    """Each survey report.yaml lists: every statistic the 2020 report prints is reproduced, or
    is one the source contradicts (and says so in a note); a contradiction note never hides a
    target that does reproduce."""
    targets = load_targets(survey)
    assert targets, f"{survey}: no published statistic to check"
    rows = audit(targets, tables)
    failed = [(r.target.id, r.target.cell, r.target.published, r.computed) for r in rows if not r.explained]
    assert failed == []
    assert {r.target.id for r in rows if not r.match} == {t.id for t in targets if t.contradiction}
    assert summary(rows).startswith(f"{sum(r.match for r in rows)} of {len(targets)} published")


def test_the_providers_audit_covers_chapter_4():
    assert len(load_targets("providers")) >= 130


def test_a_wrong_target_is_caught(tables):
    target = load_targets("providers")[0]
    wrong = dataclasses.replace(target, published="99%")
    (row,) = audit([wrong], tables)
    assert not row.match and not row.explained
    excused = dataclasses.replace(wrong, contradiction="the source prints two values")
    (row,) = audit([excused], tables)
    assert not row.match and row.explained
    assert "source contradiction: the source prints two values" in row.as_dict()["note"]


def test_bounds_compare_as_printed(tables):
    target = next(t for t in load_targets("providers") if t.compare == "le")
    (row,) = audit([target], tables)
    assert row.match
    (row,) = audit([dataclasses.replace(target, published="0%")], tables)
    assert not row.match


@pytest.mark.build  # the audit command
def test_make_audit_writes_the_csv(tmp_path, capsys, monkeypatch, computed):
    """`ohmsk audit` (in process): the data stages it runs on raw/ are the session's, which
    computed the same specs and data once for every test (conftest.py)."""
    asked = []

    def compute(spec, data_dir, *args, **kwargs):
        asked.append(data_dir)
        return computed

    monkeypatch.setattr(pipeline.build.data, "compute", compute)
    code = main(["audit", "--out", str(tmp_path)])
    assert asked == [RAW]  # the CLI's default data folder
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "published statistics reproduced" in out and f"wrote {tmp_path / 'audit.csv'}" in out
    with open(tmp_path / "audit.csv", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == AUDIT_COLUMNS
        rows = list(reader)
    surveys = load_report_spec().config["surveys"]
    assert len(rows) == sum(len(load_targets(s)) + len(load_claims(s)) for s in surveys)
    assert {r["survey"] for r in rows} == set(surveys)
    claim = next(r for r in rows if r["target_id"] == "S02")
    assert claim["published"] == "significant" and claim["match"] == "yes"
    assert "Fisher's exact p = " in claim["computed"] and "z-test p = " in claim["computed"]
    assert next(r for r in rows if r["figure"] == "Figure 4.3")["cell"].startswith("ots_extent/")


# the surveys whose published spec states subgroup comparisons (ccg_leads' states none)
CLAIMING = [s for s in SURVEYS if load_claims(s)]


@pytest.mark.parametrize("survey", CLAIMING)
def test_every_significance_claim_agrees_with_our_test_or_is_a_recorded_contradiction(survey, tables):
    """Every stated subgroup comparison is tested; where the source makes a claim, our test
    agrees with it, except the claims recorded as contradicted (and then it disagrees)."""
    claims = load_claims(survey)
    rows = audit_claims(claims, tables)
    assert [r.claim.id for r in rows] == [c.id for c in claims]
    assert all(r.explained for r in rows)
    checked = [r for r in rows if r.match is not None]
    assert checked, f"{survey}: no claim checked"
    disagree = {r.claim.id for r in checked if not r.match}
    assert disagree == {c.id for c in claims if c.contradiction and c.claim != "stated"}


def test_the_providers_claims_are_all_tested_and_hold(tables):
    rows = audit_claims(load_claims("providers"), tables)
    checked = [r for r in rows if r.match is not None]
    assert len(checked) >= 4 and all(r.match for r in checked)
    assert len(rows) >= 14  # every stated subgroup comparison is tested


def test_a_wrong_claim_is_caught(tables):
    claim = next(c for c in load_claims("providers") if c.claim == "significant")
    (row,) = audit_claims([dataclasses.replace(claim, claim="not_significant")], tables)
    assert row.match is False and not row.explained
