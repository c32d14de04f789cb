"""Checks across files for the tools' specs: the reconstruction steps (`make raw`) and the
benchmark's settings (`make bench`) name questions, codes and tables that exist."""

from __future__ import annotations

from pathlib import Path

from pipeline.spec.schema.bench import Bench
from pipeline.spec.schema.problems import Findings, suggest
from pipeline.spec.schema.reconstruct import Reconstruction, Step
from pipeline.spec.schema.references.names import Survey, check_expression, check_margins
from pipeline.spec.schema.source import Loc, Source
from pipeline.spec.schema.tables import TablesFile


def check_reconstruction(
    source: Source, spec: Reconstruction, stem: str, surveys: dict[str, Survey], findings: list
) -> None:
    """Each step's question, codes and expressions belong to the survey it reconstructs."""
    f = Findings(source, findings)
    survey = surveys.get(spec.survey)
    if spec.survey != stem or survey is None:
        f.add(("survey",), f"reconstruct/{stem}.yaml must reconstruct survey {stem!r}, not {spec.survey!r}")
        return
    for i, step in enumerate(spec.steps):
        _check_step(f, ("steps", i), step, survey)


def _check_step(f: Findings, where: Loc, step: Step, survey: Survey) -> None:
    """One step: its question, expressions, counted codes and verbatim source are the survey's."""
    _check_step_questions(f, where, step, survey)
    _check_step_expressions(f, where, step, survey)
    _check_step_codes(f, where, step, survey)
    if step.verbatim and step.verbatim.codes not in survey.multi:
        f.add((*where, "verbatim", "codes"), f"{step.verbatim.codes!r} is not a multi-code question")


def _check_step_questions(f: Findings, where: Loc, step: Step, survey: Survey) -> None:
    """The step's question (or its shares, each numeric) is the survey's."""
    questions = {v.name: v for v in survey.book.variables}
    for j, name in enumerate([step.var] if step.var else step.shares or []):
        key = (*where, "var") if step.var else (*where, "shares", j)
        if name not in questions:
            f.add(key, f"{name!r} is not a question of {survey.book.survey!r}{suggest(name, questions)}")
        elif step.shares and questions[name].type != "numeric":
            f.add(key, f"a share must be a numeric question; {name!r} is {questions[name].type}")


def _check_step_expressions(f: Findings, where: Loc, step: Step, survey: Survey) -> None:
    """Every expression of the step (eligibility, bounds, rules' and cells' subgroups) names
    only what the survey defines."""
    for key in ("among", "at_least", "at_most"):
        check_expression(f, (*where, key), getattr(step, key), survey)
    for key in ("mean", "median", "weighted_mean"):
        for j, rule in enumerate(getattr(step, key)):
            check_expression(f, (*where, key, j, "where"), rule.where, survey)
    for j, cell in enumerate(step.cells):
        check_expression(f, (*where, "cells", j, "where"), cell.where, survey)
    for j, row_cell in enumerate(step.row_total_cells):
        check_expression(f, (*where, "row_total_cells", j, "where"), row_cell.where, survey)
    for code, expr in step.only_if.items():
        check_expression(f, (*where, "only_if", code), expr, survey)
    if step.groups:
        for j, rule in enumerate(step.groups.within):
            check_expression(f, (*where, "groups", "within", j, "where"), rule.where, survey)


def _check_step_codes(f: Findings, where: Loc, step: Step, survey: Survey) -> None:
    """The codes the step counts, overall and in each cell, are codes of its question."""
    codes = survey.labels.get(step.var or "") or survey.multi.get(step.var or "")
    if codes is not None:
        blocks = [((*where, "counts"), step.counts)] + [
            ((*where, "cells", j, "counts"), c.counts) for j, c in enumerate(step.cells)
        ]
        for loc, counts in blocks:
            for code in counts:
                if code not in codes:
                    f.add((*loc, code), f"{code} is not a code of {step.var!r}")


def check_bench(
    source: Source,
    bench: Bench,
    specs_dir: Path,
    table_files: dict[str, TablesFile],
    surveys: dict[str, Survey],
    findings: list,
) -> None:
    """The table the benchmark edits exists in the file it names; the scale survey and its
    raking margins are the codebook's."""
    f = Findings(source, findings)
    change = bench.builds.change
    spec = table_files.get(change.file)
    if spec is None:
        f.add(
            ("builds", "change", "file"),
            f"{change.file!r} is not a table file listed in report.yaml{suggest(change.file, table_files)}",
        )
    elif change.table not in {t.id for t in spec.tables}:
        f.add(
            ("builds", "change", "table"),
            f"{change.file} has no table {change.table!r}{suggest(change.table, [t.id for t in spec.tables])}",
        )
    survey = surveys.get(bench.scale.survey)
    if survey is None:
        f.add(("scale", "survey"), f"unknown survey {bench.scale.survey!r}{suggest(bench.scale.survey, surveys)}")
        return
    check_margins(f, ("scale", "margins"), bench.scale.margins, survey)
