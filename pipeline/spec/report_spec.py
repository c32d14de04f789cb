"""Every spec a report reads, loaded together: report.yaml, the codebooks and the table specs it
names, checked against their schemas and each other before anything is computed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.spec.objects import SPECS_DIR, Codebook, TableSpec, codebook_from, tables_from
from pipeline.spec.schema.checked import CheckedSpecs, check_specs


@dataclass
class ReportSpec:
    """report.yaml plus every codebook and table spec it names (tables in chapter order), and
    the validated files themselves (`checked`: glossary, published targets, …)."""

    config: dict  # report.yaml with its defaults filled in, as templates read it
    codebooks: dict[str, Codebook]
    tables: list[TableSpec]
    checked: CheckedSpecs
    folder: Path = SPECS_DIR


def load_report_spec(specs_dir: Path = SPECS_DIR) -> ReportSpec:
    """Every spec `make report` reads, checked (each file against its schema, and every
    reference between them) before anything is computed; all problems are reported at once."""
    checked = check_specs(specs_dir)
    report = checked.report
    tables = [
        t
        for ch in report.chapters
        if ch.tables
        for t in tables_from(checked.table_files[ch.tables], report.conventions)
    ]
    return ReportSpec(
        config=report.model_dump(exclude_none=True, by_alias=True),
        codebooks={name: codebook_from(book) for name, book in checked.codebooks.items()},
        tables=tables,
        checked=checked,
        folder=specs_dir,
    )
