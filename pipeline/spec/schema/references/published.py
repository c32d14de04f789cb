"""The published targets' and claims' references: each names a table cell that exists, under an
id used once.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.spec.schema.problems import Findings
from pipeline.spec.schema.published import Claim, Published, Target
from pipeline.spec.schema.references.names import Survey
from pipeline.spec.schema.references.tables import cell_ref, table_ref
from pipeline.spec.schema.source import Source
from pipeline.spec.schema.tables import Table


def check_published(
    source: Source,
    spec: Published,
    stem: str,
    tables: dict[str, Table],
    surveys: dict[str, Survey],
    ids: dict[str, str],
    pending: set[str],
    findings: list,
) -> None:
    f = Findings(source, findings)
    if spec.survey != stem:
        f.add(("survey",), f"the targets of survey {spec.survey!r} are in published/{stem}.yaml")
    groups: list[tuple[str, Sequence[Target | Claim]]] = [("targets", spec.targets), ("claims", spec.claims)]
    for key, entries in groups:
        for i, entry in enumerate(entries):
            where = (key, i)
            if entry.id in ids:
                f.add((*where, "id"), f"id {entry.id!r} is used twice (also in {ids[entry.id]})")
            ids.setdefault(entry.id, source.path.name)
            if entry.table in pending:
                continue
            table = table_ref(f, (*where, "table"), entry.table, tables)
            survey = surveys.get(table.survey or "") if table is not None else None
            if table is None or survey is None:
                continue
            columns = [entry.column] if isinstance(entry, Target) else entry.columns
            for column in columns:
                cell_ref(f, where, table, survey, entry.series, entry.category, column, entry.stat)
