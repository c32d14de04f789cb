"""A table file's references: each table's survey, variables, subgroups, nets, statistics and
filters exist, and ids are used once; and the table cells that other specs name (targets, claims,
sensitivity cells) exist in their table.
"""

from __future__ import annotations

from pipeline.spec.schema.problems import Findings, suggest
from pipeline.spec.schema.references.names import Survey, check_expression
from pipeline.spec.schema.source import Loc, Source
from pipeline.spec.schema.tables import Series, Table, TablesFile


def check_tables(
    source: Source,
    spec: TablesFile,
    surveys: dict[str, Survey],
    seen: dict[str, str],
    pending: set[str],
    findings: list,
) -> None:
    """Each table's survey, variables, subgroups, nets, statistics and filters; ids once."""
    f = Findings(source, findings)
    for i, table in enumerate(spec.tables):
        where = ("tables", i)
        if table.id in seen:
            f.add((*where, "id"), f"table id {table.id!r} is used twice (also in {seen[table.id]})")
        seen.setdefault(table.id, source.path.name)
        name = table.survey or spec.survey
        survey = surveys.get(name or "")
        if name in pending:
            continue
        if survey is None:
            key = (*where, "survey") if table.survey else ("survey",)
            f.add(
                key,
                f"unknown survey {name!r}{suggest(name or '', surveys)}"
                if name
                else "no `survey` for this table (give one here or for the whole file)",
            )
            continue
        for j, by in enumerate(table.by):
            if missing := survey.lacks(by):
                f.add((*where, "by", j), missing)
            elif by not in survey.labels:
                f.add((*where, "by", j), f"subgroup variable {by!r} has no codes to make columns of")
        for j, series in enumerate(table.series):
            _check_series(f, (*where, "series", j), series, table, survey)


def _check_series(f: Findings, where: Loc, s: Series, table: Table, survey: Survey) -> None:
    if missing := survey.lacks(s.var):
        f.add((*where, "var"), missing)
        return
    numeric = s.var in survey.numeric
    if numeric and "pct" in s.stats:
        f.add((*where, "stats"), f"{s.var!r} is numeric: give `stats:` mean, median or ratio (not pct)")
    if not numeric and set(s.stats) != {"pct"}:
        f.add((*where, "stats"), f"{s.var!r} is categorical: only pct applies (mean, median and ratio are for numbers)")
    if s.top and s.var not in survey.multi:
        f.add((*where, "top"), f"`top` applies to multi-code questions, not {s.var!r}")
    if s.unit and not numeric:
        f.add((*where, "unit"), f"`unit` applies to numeric statistics, not to {s.var!r}")
    if s.denominator and (survey.lacks(s.denominator) or s.denominator not in survey.numeric):
        f.add((*where, "denominator"), survey.lacks(s.denominator) or f"{s.denominator!r} is not numeric")
    check_expression(f, (*where, "filter"), s.filter, survey)
    codes = survey.multi.get(s.var) or survey.labels.get(s.var)
    for key, nets in (("nets", s.nets), ("table nets", table.nets)):
        for k, net in enumerate(nets):
            lacking = sorted(set(net.codes) - set(codes or {}))
            if numeric or lacking:
                loc = (*where, "nets", k, "codes") if key == "nets" else where
                f.add(
                    loc,
                    f"net {net.label!r} uses codes {lacking or net.codes} that {s.var!r} does not have"
                    + (f" (its codes: {', '.join(map(str, codes))})" if codes else ""),
                )


def table_ref(f: Findings, loc: Loc, table_id: str, tables: dict[str, Table]) -> Table | None:
    table = tables.get(table_id)
    if table is None:
        f.add(loc, f"unknown table {table_id!r}{suggest(table_id, tables)}")
    return table


def cell_ref(
    f: Findings,
    where: Loc,
    table: Table,
    survey: Survey,
    series: str | None,
    category: int | str | None,
    column: str,
    stat: str,
) -> None:
    """A cell a target, claim or sensitivity entry names: its series, column and category exist."""
    keys = {(s.key or s.var): s for s in table.series}
    s = keys.get(series) if series else table.series[0]
    if s is None:
        f.add((*where, "series"), f"table {table.id!r} has no series {series!r}{suggest(series or '', keys)}")
        return
    if column != "total":
        var, _, code = column.partition("=")
        if var not in table.by:
            f.add(
                (*where, "column"),
                f"column {column!r}: table {table.id!r} has no subgroup {var!r} "
                f"(its `by`: {', '.join(table.by) or 'none'})",
            )
        elif not code.lstrip("-").isdigit() or int(code) not in survey.labels.get(var, {}):
            f.add((*where, "column"), f"column {column!r}: {code!r} is not a code of {var!r}")
    if stat in ("base", "n") or category is None:
        return
    nets = {n.label for n in [*s.nets, *table.nets]} | ({s.top_label} if s.top else set())
    codes = survey.multi.get(s.var) or survey.labels.get(s.var) or {}
    if isinstance(category, int) or (isinstance(category, str) and category.isdigit()):
        if int(category) not in codes:
            f.add((*where, "category"), f"{category!r} is not a code of {s.var!r}")
    elif category not in nets and category not in codes.values():
        f.add(
            (*where, "category"),
            f"{category!r} is neither a net nor a category of series "
            f"{s.key or s.var!r}{suggest(category, [*nets, *codes.values()])}",
        )
