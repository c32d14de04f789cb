"""report.yaml's references: its surveys, chapters, templates, table files, glossary, weighting
and fpc entries all exist, and every table file is listed by the chapter it belongs to.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pipeline.spec.schema.problems import Findings, suggest
from pipeline.spec.schema.references.names import Survey
from pipeline.spec.schema.references.tables import cell_ref, table_ref
from pipeline.spec.schema.report import Chapter, FrontSection, Report
from pipeline.spec.schema.source import Source
from pipeline.spec.schema.tables import Table, TablesFile


def check_report(
    source: Source,
    report: Report,
    specs_dir: Path,
    templates_dir: Path,
    table_files: dict[str, TablesFile],
    surveys: dict[str, Survey],
    tables: dict[str, Table],
    pending: set[str],
    findings: list,
) -> None:
    """Surveys, chapters, templates, table files, weighting and fpc entries all exist."""
    f = Findings(source, findings)
    _check_surveys(f, report, specs_dir)
    _check_chapters(f, report, specs_dir, table_files)
    _check_templates(f, report, templates_dir)
    _check_every_table_file_listed(f, report, specs_dir)
    if not (specs_dir / report.glossary).is_file():
        f.add(("glossary",), f"glossary file {report.glossary!r} not found under {specs_dir}")
    _check_sections_name_surveys(f, report)
    _check_sensitivity_cells(f, report, surveys, tables, pending)
    _check_fpc(f, report, surveys)


def _check_surveys(f: Findings, report: Report, specs_dir: Path) -> None:
    """Each survey is listed once and has its codebook."""
    for i, name in enumerate(report.surveys):
        if report.surveys.index(name) != i:
            f.add(("surveys", i), f"survey {name!r} is listed twice")
        elif not (specs_dir / f"{name}.yaml").is_file():
            f.add(("surveys", i), f"no codebook {name}.yaml in {specs_dir}")


def _check_chapters(f: Findings, report: Report, specs_dir: Path, table_files: dict[str, TablesFile]) -> None:
    """Chapter numbers are used once; each chapter's table file exists and names that chapter."""
    numbers = [ch.number for ch in report.chapters]
    for i, ch in enumerate(report.chapters):
        if numbers.index(ch.number) != i:
            f.add(("chapters", i, "number"), f"chapter number {ch.number} is used twice")
        if ch.tables and not (specs_dir / ch.tables).is_file():
            f.add(("chapters", i, "tables"), f"table file {ch.tables!r} not found under {specs_dir}")
        elif ch.tables and ch.tables in table_files and table_files[ch.tables].chapter != ch.number:
            f.add(
                ("chapters", i, "tables"),
                f"{ch.tables} says `chapter: {table_files[ch.tables].chapter}` but chapter {ch.number} lists it",
            )


def _check_templates(f: Findings, report: Report, templates_dir: Path) -> None:
    """Every front-matter and chapter template exists under templates/."""
    groups: list[tuple[str, Sequence[FrontSection | Chapter]]] = [
        ("front", report.front),
        ("chapters", report.chapters),
    ]
    for key, entries in groups:
        for i, entry in enumerate(entries):
            if not (templates_dir / entry.template).is_file():
                found = [str(p.relative_to(templates_dir)) for p in templates_dir.rglob("*.j2")]
                f.add(
                    (key, i, "template"),
                    f"template {entry.template!r} not found under templates/{suggest(entry.template, found)}",
                )


def _check_every_table_file_listed(f: Findings, report: Report, specs_dir: Path) -> None:
    """Every file under tables/ is listed by a chapter: otherwise none of its tables is built."""
    listed = {ch.tables for ch in report.chapters if ch.tables}
    for path in sorted((specs_dir / "tables").glob("*.yaml")) if (specs_dir / "tables").is_dir() else []:
        rel = f"tables/{path.name}"
        if rel not in listed:
            f.add(
                ("chapters",),
                f"{rel} is listed by no chapter, so none of its tables would be built: "
                f"add `tables: {rel}` to its chapter, or delete the file",
            )


def _check_sections_name_surveys(f: Findings, report: Report) -> None:
    """The weighting and fpc sections name only surveys listed in `surveys`."""
    for section in ("weighting", "fpc"):
        for name in getattr(report, section):
            if name not in report.surveys:
                f.add((section, name), f"{name!r} is not a survey listed in `surveys`{suggest(name, report.surveys)}")


def _check_sensitivity_cells(
    f: Findings, report: Report, surveys: dict[str, Survey], tables: dict[str, Table], pending: set[str]
) -> None:
    """Each weighting sensitivity cell is a cell of a table of the survey it weights."""
    for name, entry in report.weighting.items():
        for i, cell in enumerate(entry.sensitivity.cells if entry.sensitivity else ()):
            where = ("weighting", name, "sensitivity", "cells", i)
            if cell.table in pending:
                continue
            table = table_ref(f, (*where, "table"), cell.table, tables)
            if table is not None:
                if (table.survey or "") != name:
                    f.add((*where, "table"), f"table {cell.table!r} is from survey {table.survey!r}, not {name!r}")
                elif name in surveys:
                    cell_ref(f, where, table, surveys[name], cell.series, cell.category, "total", "pct")


def _check_fpc(f: Findings, report: Report, surveys: dict[str, Survey]) -> None:
    """A finite population correction applied only where the codebook gives the population size."""
    for name, entry in report.fpc.items():
        book = surveys[name].book if name in surveys else None
        if entry.apply and book is not None and not (book.population and book.population.size):
            f.add(
                ("fpc", name, "apply"),
                f"the correction needs the population size: add `population: {{size: …}}` to {name}.yaml",
            )
