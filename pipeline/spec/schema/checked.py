"""Read and check every spec file a command uses, reporting all problems at once.

`check_specs` reads report.yaml and everything it names (codebooks, table files, glossary,
published targets), validates each file against its schema, then checks what the files say of
each other (`references`). `check_tool_specs` does the same for the reconstruction specs and
bench.yaml, and `check_data_folder` for a data folder's edition.yaml, wave.yaml, rename.yaml
and frames.
Any problem raises `SpecProblems` listing every one found, each at its file and line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.spec.folders import EDITION_FILE, RENAME_FILE, WAVE_FILE
from pipeline.spec.schema.bench import Bench
from pipeline.spec.schema.codebook import Codebook
from pipeline.spec.schema.data_folder import Edition, Frame, Rename, Wave
from pipeline.spec.schema.data_tables import DataTables
from pipeline.spec.schema.glossary import Glossary
from pipeline.spec.schema.problems import Findings, SpecProblem, SpecProblems, suggest
from pipeline.spec.schema.published import Published
from pipeline.spec.schema.reading import read_checked
from pipeline.spec.schema.reconstruct import Reconstruction
from pipeline.spec.schema.references.codebooks import check_codebook
from pipeline.spec.schema.references.data_folder import check_frame, check_rename
from pipeline.spec.schema.references.data_tables import check_data_tables
from pipeline.spec.schema.references.names import Survey, survey_names
from pipeline.spec.schema.references.published import check_published
from pipeline.spec.schema.references.report import check_report
from pipeline.spec.schema.references.tables import check_tables
from pipeline.spec.schema.report import Report
from pipeline.spec.schema.source import Source
from pipeline.spec.schema.tables import Table, TablesFile
from pipeline.spec.schema.tools import check_bench, check_reconstruction

TEMPLATES_DIR = Path(__file__).resolve().parents[3] / "templates"


@dataclass
class CheckedSpecs:
    """The specs a build reads, each validated, with the names every survey defines."""

    folder: Path
    report: Report
    codebooks: dict[str, Codebook]  # in report.yaml order
    table_files: dict[str, TablesFile]  # by the path report.yaml gives ("tables/ch4.yaml")
    tables: dict[str, Table]  # every table by id, its survey filled in from its file
    glossary: Glossary
    published: dict[str, Published]  # surveys without a published/<survey>.yaml have none
    surveys: dict[str, Survey]
    data_tables: DataTables | None = None  # report.yaml names no data tables file: none are built


def check_specs(specs_dir: Path, templates_dir: Path = TEMPLATES_DIR) -> CheckedSpecs:
    """Every spec file `make report` reads, checked alone and against each other."""
    problems: list[SpecProblem] = []
    read = read_checked(specs_dir / "report.yaml", Report, problems)
    report = read.model
    listed = report.surveys if report else _listed(read.source, "surveys")
    pending: set[str] = set()  # surveys and tables whose file failed its schema: not referred to yet
    codebooks, sources = _read_codebooks(specs_dir, listed, pending, problems)
    surveys = {book.survey: survey_names(book) for book in codebooks.values()}
    for name, book in codebooks.items():
        check_codebook(sources[name], book, name, surveys, list(listed), pending, problems)
    paths = [ch.tables for ch in report.chapters] if report else _listed(read.source, "chapters", "tables")
    table_files, table_sources = _read_table_files(specs_dir, paths, pending, problems)
    tables = _tables_by_id(table_files)
    seen: dict[str, str] = {}
    for key, spec in table_files.items():
        check_tables(table_sources[key], spec, surveys, seen, pending, problems)
    glossary = None
    if report and (specs_dir / report.glossary).is_file():
        glossary, _ = read_checked(specs_dir / report.glossary, Glossary, problems)
    published = _read_published(specs_dir, listed, tables, surveys, pending, problems)
    data_tables = _read_data_tables(specs_dir, report.data_tables if report else None, surveys, pending, problems)
    if read.model is not None:
        check_report(read.source, read.model, specs_dir, templates_dir, table_files, surveys, tables, pending, problems)
    if problems or report is None:  # a report.yaml that failed has listed its problems
        raise SpecProblems(problems)
    return CheckedSpecs(
        specs_dir, report, codebooks, table_files, tables, glossary or Glossary(), published, surveys, data_tables
    )


def _read_data_tables(
    specs_dir: Path, name: str | None, surveys: dict[str, Survey], pending: set[str], problems: list[SpecProblem]
) -> DataTables | None:
    """The data tables' spec report.yaml names, checked alone and against the codebooks."""
    if name is None:
        return None
    path = specs_dir / name
    if not path.is_file():
        problems.append(SpecProblem(str(specs_dir / "report.yaml"), 1, "data_tables", f"{path} not found"))
        return None
    read = read_checked(path, DataTables, problems)
    if read.model is not None:
        check_data_tables(read.source, read.model, surveys, pending, problems)
    return read.model


def _read_codebooks(
    specs_dir: Path, listed: list[str], pending: set[str], problems: list[SpecProblem]
) -> tuple[dict[str, Codebook], dict[str, Source]]:
    """The listed surveys' codebooks that exist, each checked against its schema, with their
    sources; a survey whose codebook fails its schema is added to `pending`."""
    codebooks: dict[str, Codebook] = {}
    sources: dict[str, Source] = {}
    for name in listed:
        path = specs_dir / f"{name}.yaml"
        if path.is_file():
            read = read_checked(path, Codebook, problems)
            if read.model is not None:
                codebooks[name], sources[name] = read
            else:
                pending.add(name)
    return codebooks, sources


def _read_table_files(
    specs_dir: Path, paths: Sequence[str | None], pending: set[str], problems: list[SpecProblem]
) -> tuple[dict[str, TablesFile], dict[str, Source]]:
    """The chapters' table files that exist, each checked against its schema, with their
    sources; the table ids a failing file still names are added to `pending`."""
    table_files: dict[str, TablesFile] = {}
    table_sources: dict[str, Source] = {}
    for path in paths:
        if path and (specs_dir / path).is_file():
            read = read_checked(specs_dir / path, TablesFile, problems)
            if read.model is not None:
                table_files[path], table_sources[path] = read
            else:
                pending.update(_listed(read.source, "tables", "id"))
    return table_files, table_sources


def _tables_by_id(table_files: dict[str, TablesFile]) -> dict[str, Table]:
    """Every table by id, its survey filled in from its file."""
    tables: dict[str, Table] = {}  # the first of two tables with one id is the one others mean
    for spec in table_files.values():
        for t in spec.tables:
            tables.setdefault(t.id, t.model_copy(update={"survey": t.survey or spec.survey}))
    return tables


def _read_published(
    specs_dir: Path,
    listed: list[str],
    tables: dict[str, Table],
    surveys: dict[str, Survey],
    pending: set[str],
    problems: list[SpecProblem],
) -> dict[str, Published]:
    """Each listed survey's published targets and claims, if it has a file, checked alone and
    against the tables and codebooks."""
    published: dict[str, Published] = {}
    ids: dict[str, str] = {}
    for name in listed:
        path = specs_dir / "published" / f"{name}.yaml"
        if path.is_file():
            read = read_checked(path, Published, problems)
            if read.model is not None:
                published[name] = read.model
                check_published(read.source, read.model, name, tables, surveys, ids, pending, problems)
    return published


def _listed(source: Source | None, key: str, field: str | None = None) -> list[str]:
    """The surveys (or chapters' table files) an invalid report.yaml still names, so that
    their files are checked too."""
    raw = source.data.get(key) if source is not None and isinstance(source.data, dict) else None
    if field is not None and isinstance(raw, list):
        raw = [entry.get(field) for entry in raw if isinstance(entry, dict)]
    return [s for s in raw if isinstance(s, str)] if isinstance(raw, list) else []


def check_tool_specs(specs: CheckedSpecs, reconstruction: bool = True, bench: bool = True) -> None:
    """The reconstruction specs (`make raw`) and bench.yaml (`make bench`), against the rest."""
    problems: list[SpecProblem] = []
    for name in specs.codebooks if reconstruction else ():
        path = specs.folder / "reconstruct" / f"{name}.yaml"
        if not path.is_file():
            problems.append(SpecProblem(str(path), 1, "", f"no reconstruction spec for survey {name!r}"))
            continue
        read = read_checked(path, Reconstruction, problems)
        if read.model is not None:
            check_reconstruction(read.source, read.model, name, specs.surveys, problems)
    edition = specs.folder / "reconstruct" / EDITION_FILE  # what `make raw` writes as the folder's edition
    if reconstruction and not edition.is_file():
        problems.append(SpecProblem(str(edition), 1, "", "no edition for the data folder the reconstruction writes"))
    elif reconstruction:
        read_checked(edition, Edition, problems)
    if bench and (specs.folder / "bench.yaml").is_file():
        bench_read = read_checked(specs.folder / "bench.yaml", Bench, problems)
        if bench_read.model is not None:
            check_bench(bench_read.source, bench_read.model, specs.folder, specs.table_files, specs.surveys, problems)
    if problems:
        raise SpecProblems(problems)


@dataclass(frozen=True)
class DataFolder:
    """What a data folder declares beside its respondent files that the stages read from
    here (wave.yaml and rename.yaml are checked here too; `inputs` and `load` read them)."""

    frames: dict[str, Frame]  # survey -> the frame report.yaml weights it to
    edition: Edition | None = None  # None only for a previous wave's folder without one


def check_data_folder(specs: CheckedSpecs, data_dir: Path, previous: bool = False) -> DataFolder:
    """edition.yaml, wave.yaml, rename.yaml and every weighting frame the report needs from
    `data_dir`. A `previous` wave's folder may lack edition.yaml (its labels then come from
    this wave's wave.yaml); any other folder must have one."""
    problems: list[SpecProblem] = []
    edition = _check_edition(specs, data_dir, previous, problems)
    wave = None
    if (data_dir / WAVE_FILE).is_file():
        wave, _ = read_checked(data_dir / WAVE_FILE, Wave, problems)
        if wave is not None and not (data_dir / wave.previous).is_dir():
            problems.append(
                SpecProblem(
                    str(data_dir / WAVE_FILE),
                    1,
                    "previous",
                    f"previous wave folder {(data_dir / wave.previous).resolve()} not found",
                )
            )
    if (data_dir / RENAME_FILE).is_file():
        rename = read_checked(data_dir / RENAME_FILE, Rename, problems)
        if rename.model is not None:
            check_rename(rename.source, rename.model, specs.surveys, problems)
    frames: dict[str, Frame] = {}
    for name, entry in specs.report.weighting.items():
        if entry.frame is None:  # an unweighted survey with nothing to weight it to
            continue
        path = data_dir / entry.frame
        if not path.is_file():
            problems.append(
                SpecProblem(
                    str(path),
                    1,
                    "",
                    f"population frame for weighting survey {name!r} "
                    f"not found (report.yaml weighting > {name} > frame)",
                )
            )
            continue
        read = read_checked(path, Frame, problems)
        if read.model is not None and name in specs.surveys:
            check_frame(read.source, read.model, specs.surveys[name], problems)
            frames[name] = read.model
    if problems:
        raise SpecProblems(problems)
    return DataFolder(frames, edition)


def _check_edition(specs: CheckedSpecs, data_dir: Path, previous: bool, problems: list[SpecProblem]) -> Edition | None:
    """The folder's edition.yaml, naming every survey of report.yaml and no other.

    A missing file is an error, not a default: whether data are synthetic or real, and whether
    they are the published report's, cannot be guessed, and a wrong guess prints a false
    provenance statement or audit on the cover of a report that looks right.
    """
    path = data_dir / EDITION_FILE
    if not path.is_file():
        if not previous:
            problems.append(SpecProblem(str(path), 1, "", edition_missing(list(specs.surveys))))
        return None
    read = read_checked(path, Edition, problems)
    if read.model is None:
        return None
    edition, source = read
    f = Findings(source, problems)
    for name in edition.surveys:
        if name not in specs.surveys:
            f.add(("surveys", name), f"unknown survey {name!r}{suggest(name, specs.surveys)}")
    for name in specs.surveys:
        if name not in edition.surveys:
            f.add(("surveys",), f"survey {name!r} of report.yaml has no entry (its wave and fieldwork)")
    return edition


def edition_missing(surveys: list[str]) -> str:
    """What to write in a data folder that has no edition.yaml, with an example."""
    lines = "\n".join(
        f"          {name}: {{wave: '2026', fieldwork: {{start: 2026-01-12, end: 2026-02-27}}}}" for name in surveys
    )
    return (
        "no edition file: every data folder declares what its data are and when each survey was in the "
        f"field in {EDITION_FILE} (raw/{EDITION_FILE} is a complete example), e.g.\n"
        "        name: Survey of OH provision, 2026 wave\n"
        "        data_as_of: 2026-02-27\n"
        "        provenance: {kind: real, label: survey data, summary: 'The respondent data are the survey "
        "files as delivered.', statement: 'The respondent data are the survey files as delivered.'}\n"
        "        reproduces_published: false   # true only for the data of the published 2020 report\n"
        f"        surveys:\n{lines}\n"
        "      (for a survey whose dates are not known: fieldwork: {year: 2026, note: '2026 (dates not known)'})"
    )
