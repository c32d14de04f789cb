"""The 2019 workforce survey: its audit, its reconstruction and what its rows must satisfy."""

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from conftest import RAW

from pipeline.present.exhibits import number_exhibits
from pipeline.present.figures import chart_cells
from pipeline.present.notes import left_off_note
from pipeline.spec.published import load_claims, load_targets
from pipeline.stages.audit import audit, audit_claims

ROLES = ["scphn", "ntrain", "nothq", "nnoq", "ohp", "reg", "dothq", "psych", "dnoq", "ot", "tech", "physio"]
DOCTORS_AND_NURSES = ["scphn", "ntrain", "nothq", "nnoq", "ohp", "reg", "dothq", "psych", "dnoq"]
TRAINING = ["ntrain", "reg", "nothq", "dothq"]


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    frame, _ = pyreadstat.read_sav(str(RAW / "workforce.sav"), user_missing=True)  # as delivered
    return frame


@pytest.fixture(scope="module")
def frame(computed) -> pd.DataFrame:
    return computed.datasets["workforce"].frame


def test_the_workforce_audit_covers_chapter_5_and_records_the_contradictions_the_issue_names(tables):
    """Every target reproduced or recorded: test_audit.py, per survey. Here: how many, which
    contradictions are recorded, and which of two readings holds where the rest gave no number."""
    targets = load_targets("workforce")
    assert len(targets) >= 280
    assert not any(r.match for r in audit([t for t in targets if t.contradiction], tables))
    # the four the issue names, each read one way: 76% not 73%, 64% not 61%, 'majority' of 22%/25%
    quoted = {t.published for t in targets if t.contradiction}
    assert {"73%", "61%", "50%"} <= quoted
    # 59% without and 37% with vacancies both hold: the rest could not give a number
    vacancy = {
        (t.category, t.published)
        for t in targets
        if t.table == "vacancies" and t.column == "total" and t.stat == "pct" and not t.contradiction
    }
    assert {(1, "59%"), ("At least one vacancy", "37%")} <= vacancy


def test_every_cell_of_tables_8_2_to_8_4_is_a_target():
    targets = [t for t in load_targets("workforce") if t.figure in ("Table 8.2", "Table 8.3", "Table 8.4")]
    cells = [t for t in targets if t.stat == "pct"]
    assert len(cells) == 12 * 3 * 4  # role x contract type x (1-5, 6-10, more than 10, any)
    assert len({(t.series, str(t.category)) for t in cells}) == len(cells)


def test_subgroup_claims_follow_our_tests(tables):
    """Every claim agrees or is a recorded contradiction: test_audit.py, per survey. Here: how
    many are stated and tested."""
    result = audit_claims(load_claims("workforce"), tables)
    assert len(result) >= 40
    checked = [r for r in result if r.match is not None]
    assert len(checked) >= 12


def test_routing_is_obeyed_in_generated_rows(rows):
    for k in ROLES:
        employs = (rows[f"ft_{k}"] + rows[f"pt_{k}"] + rows[f"sub_{k}"]) > 0
        assert rows.loc[employs, f"fn_{k}_1"].notna().all() and rows.loc[~employs, f"fn_{k}_1"].isna().all()
        with_vacancies = (rows["vac_n"] > 0) & (rows["vac_n"] < 99998)  # 99998: could not say
        assert rows.loc[with_vacancies, f"vac_{k}"].notna().all()
        assert rows.loc[~with_vacancies, f"vac_{k}"].isna().all()
        recruiting = (rows["rec_yes"] == 1) & (rows[f"vac_{k}"] > 0)
        assert rows.loc[recruiting, f"rec_{k}"].notna().all() and rows.loc[~recruiting, f"rec_{k}"].isna().all()
    any_source = rows[[f"fund_src_{c}" for c in range(1, 7)]].sum(axis=1) > 0
    assert rows.loc[any_source, "fund_main"].notna().all() and rows.loc[~any_source, "fund_main"].isna().all()
    posts = rows["fund_src_2"] == 1
    for k in TRAINING:
        assert rows.loc[posts, f"post_av_{k}"].notna().all() and rows.loc[~posts, f"post_fill_{k}"].isna().all()


def test_answers_are_consistent_with_each_other(rows):
    role_items = lambda q: rows[[f"{q}_{c}" for c in range(1, 13)]].sum(axis=1)  # noqa: E731
    known = rows["vac_n"].notna() & (rows["vac_n"] < 99998)
    by_role = sum(rows[f"vac_{k}"].fillna(0) for k in ROLES)
    assert (by_role[known] == rows.loc[known, "vac_n"]).all()  # vacancies by role add to the total
    for k in ROLES:
        assert (rows[f"rec_{k}"].dropna() <= rows.loc[rows[f"rec_{k}"].notna(), f"vac_{k}"]).all()
        for c in range(1, 10):  # a most time-consuming function is one the role carries out
            assert not ((rows[f"fn3_{k}_{c}"] == 1) & (rows[f"fn_{k}_{c}"] != 1)).any()
    for k in TRAINING:
        assert (rows[f"post_fill_{k}"].dropna() <= rows[f"post_av_{k}"].dropna()).all()
    direct = sum(rows[f"ft_{k}"] + rows[f"pt_{k}"] for k in ROLES)
    size_known = rows["employees"].notna()
    assert (rows.loc[size_known, "employees"] >= direct[size_known]).all()
    # "no access to funding" and "don't know" are answers on their own
    sources = rows[[f"fund_src_{c}" for c in range(1, 7)]].sum(axis=1) > 0
    assert ((sources.astype(int) + rows["fund_src_7"] + rows["fund_src_8"]) == 1).all()
    assert (role_items("recruit_role")[rows["recruit_n"] == 0] == 0).all()
    assert (role_items("recruit_role") <= rows["recruit_n"]).all()
    assert (role_items("leave_role") <= rows["leave_n"]).all()
    for k in DOCTORS_AND_NURSES:
        shares = rows[[f"prev_{k}_{s}" for s in ("nhs", "inh", "oprov", "out")]].dropna()
        assert (shares.sum(axis=1) == 100).all()


def test_previous_employer_ranges_hold_across_every_role(tables):
    t = tables["previous_employers"]
    for source, low, high in (("nhs", 57, 94), ("inh", 0, 22), ("out", 0, 36)):
        means = [round(float(t.cell(f"prev_{k}_{source}", stat="mean")["value"])) for k in DOCTORS_AND_NURSES]
        assert (min(means), max(means)) == (low, high), source


def test_small_base_roles_are_left_off_the_charts_and_named(tables, report_spec):
    for tid, hidden in (
        ("doctor_functions", {"fn_reg", "fn3_reg", "fn_psych", "fn3_psych", "fn_dnoq", "fn3_dnoq"}),
        ("other_functions", {"fn_ot", "fn3_ot"}),
        ("recruitment_ease", {"ease_reg", "ease_dothq", "ease_psych", "ease_dnoq", "ease_ot"}),
    ):
        table = tables[tid]
        drawn = set(chart_cells(table)["series"])
        assert not drawn & hidden and drawn
        names = {s.base_name for s in table.spec.series if s.key in hidden}
        (note,) = left_off_note(table)
        assert note.startswith("Not shown, base under 30") and all(n in note for n in names)
    shown = {
        int(tables["recruitment_ease"].cell(k, stat="base")["base"])
        for k in set(chart_cells(tables["recruitment_ease"])["series"])
    }
    assert (min(shown), max(shown)) == (34, 92)  # the 2020 report's "bases range from 34 to 92"


def test_figures_are_numbered_in_sequence_with_the_source_numbers(tables, report_spec):
    exhibits = number_exhibits(tables, report_spec.tables)
    chapter5 = [e for e in exhibits.values() if e.label.startswith("Figure 5.")]
    assert [e.label for e in chapter5] == [f"Figure 5.{i}" for i in range(1, 24)]
    assert exhibits["nurses_employed"].source_note == "Figure 5.10 in the 2020 report"
    assert exhibits["training_funding"].source_note == "the first of two figures numbered 5.16 in the 2020 report"
    assert exhibits["staff_recruited"].source_note == "the second of two figures numbered 5.16 in the 2020 report"
    assert [
        exhibits[t].label for t in ("nurses_employed_table", "doctors_employed_table", "other_roles_employed_table")
    ] == ["Table 8.2", "Table 8.3", "Table 8.4"]


def test_ease_shares_are_of_all_providers_and_the_chart_of_those_who_tried(tables):
    everyone, tried = tables["recruitment_ease_all"], tables["recruitment_ease"]
    assert everyone.cell("ease_scphn", "Difficult")["base"] == 156
    assert tried.cell("ease_scphn", "Difficult")["base"] < 156
    assert np.isclose(tried.cell("ease_scphn", 6)["value"], 0)  # nobody in the chart's base had not tried
