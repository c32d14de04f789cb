"""data_tables.yaml's references: every survey of report.yaml has a banner; each break is a
categorical variable of its survey, used once; each net counts codes its questions have; bands
are of numeric questions; skipped questions exist and are neither netted nor banded."""

from __future__ import annotations

from pipeline.spec.schema.data_tables import DataTables, SurveyTables
from pipeline.spec.schema.problems import Findings, suggest
from pipeline.spec.schema.references.names import Survey
from pipeline.spec.schema.source import Loc, Source


def check_data_tables(
    source: Source, spec: DataTables, surveys: dict[str, Survey], pending: set[str], findings: list
) -> None:
    """Each survey's banner, nets, bands and skipped questions against its codebook."""
    f = Findings(source, findings)
    for name in surveys:
        if name not in spec.surveys:
            f.add(("surveys",), f"survey {name!r} of report.yaml has no entry (its banner)")
    for name, tabs in spec.surveys.items():
        if name in pending:
            continue
        survey = surveys.get(name)
        if survey is None:
            f.add(("surveys", name), f"unknown survey {name!r}{suggest(name, surveys)}")
            continue
        _check_banner(f, ("surveys", name, "banner"), tabs, survey)
        _check_nets(f, ("surveys", name, "nets"), tabs, survey)
        _check_bands(f, ("surveys", name, "bands"), tabs, survey)
        _check_skip(f, ("surveys", name, "skip"), tabs, survey)


def _categorical(f: Findings, loc: Loc, var: str, survey: Survey) -> None:
    if missing := survey.lacks(var):
        f.add(loc, missing)
    elif var not in survey.labels:
        f.add(loc, f"banner variable {var!r} has no codes to make columns of (it is numeric or multi-code)")


def _check_banner(f: Findings, where: Loc, tabs: SurveyTables, survey: Survey) -> None:
    seen: set[tuple[str, ...]] = set()
    for i, brk in enumerate(tabs.banner):
        names = [brk.var] if brk.var else list(brk.nest or [])
        for j, var in enumerate(names):
            _categorical(f, (*where, i, "var") if brk.var else (*where, i, "nest", j), var, survey)
        if tuple(names) in seen:
            f.add((*where, i), f"break {' within '.join(reversed(names))!r} is in the banner twice")
        seen.add(tuple(names))


def _question_codes(survey: Survey, var: str) -> dict[int, str] | None:
    """A categorical or multi-code question's codes (items); None for any other variable."""
    return survey.multi.get(var) or survey.labels.get(var)


def _check_nets(f: Findings, where: Loc, tabs: SurveyTables, survey: Survey) -> None:
    for i, net in enumerate(tabs.nets):
        for j, var in enumerate(net.vars):
            loc = (*where, i, "vars", j)
            if missing := survey.lacks(var):
                f.add(loc, missing)
                continue
            codes = _question_codes(survey, var)
            if codes is None:
                f.add(loc, f"net {net.label!r}: {var!r} is numeric; nets count codes of categorical questions")
                continue
            lacking = sorted(set(net.codes) - set(codes))
            if lacking:
                f.add(
                    (*where, i, "codes"),
                    f"net {net.label!r} uses codes {lacking} that {var!r} does not have "
                    f"(its codes: {', '.join(map(str, codes))})",
                )
            if var in tabs.skip:
                f.add(loc, f"net {net.label!r}: {var!r} is skipped (surveys > skip), so it has no table to net")


def _check_bands(f: Findings, where: Loc, tabs: SurveyTables, survey: Survey) -> None:
    banded: set[str] = set()
    for i, group in enumerate(tabs.bands):
        for j, var in enumerate(group.vars):
            loc = (*where, i, "vars", j)
            if missing := survey.lacks(var):
                f.add(loc, missing)
            elif var not in survey.numeric or var not in {v.name for v in survey.book.variables}:
                f.add(loc, f"bands apply to numeric questions; {var!r} is not one")
            elif var in banded:
                f.add(loc, f"{var!r} is banded twice")
            elif var in tabs.skip:
                f.add(loc, f"{var!r} is skipped (surveys > skip), so it has no table to band")
            banded.add(var)


def _check_skip(f: Findings, where: Loc, tabs: SurveyTables, survey: Survey) -> None:
    questions = {v.name for v in survey.book.variables}
    for var in tabs.skip:
        if var not in questions:
            f.add((*where, var), f"unknown question {var!r} in survey {survey.book.survey!r}{suggest(var, questions)}")
