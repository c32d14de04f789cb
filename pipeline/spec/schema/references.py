"""Checks across spec files: every name a spec uses refers to something that exists.

The schema checks each file alone; these check what one file says of another: a table's
variables and subgroups are in its survey's codebook, a net's codes are the question's, a
target's table, series, column and category exist, every table file is listed by the chapter
it belongs to, and every routing rule, filter and derived expression names only variables its
survey has (see `pipeline.spec.expressions.expression_problems`). Each finding is located at its key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.spec.expressions import Known, expression_problems
from pipeline.spec.schema.codebook import Codebook, Variable
from pipeline.spec.schema.data_folder import Frame, Rename
from pipeline.spec.schema.problems import Findings, suggest
from pipeline.spec.schema.published import Published
from pipeline.spec.schema.report import Report
from pipeline.spec.schema.source import Loc, Source
from pipeline.spec.schema.tables import Series, Table, TablesFile


@dataclass(frozen=True)
class Survey:
    """What other specs may name in one survey: variables, their codes, expression names."""

    book: Codebook
    known: dict[str, Known]  # names an expression may use
    groups: dict[str, list[str]]  # multi-code question -> its item columns
    labels: dict[str, dict[int, str]]  # categorical variable -> answer (and missing) codes
    numeric: set[str]
    multi: dict[str, dict[int, str]]  # multi-code question -> items

    @property
    def names(self) -> list[str]:
        return [*self.labels, *self.numeric, *self.multi]

    def lacks(self, name: str) -> str | None:
        """Why `name` is not a variable of this survey (with the nearest that is), or None."""
        if name in self.labels or name in self.numeric or name in self.multi:
            return None
        return f"unknown variable {name!r} in survey {self.book.survey!r}{suggest(name, self.names)}"


def _codes_of(var: Variable, book: Codebook) -> dict[int, str]:
    if var.codes_from:
        source = next((v for v in book.variables if v.name == var.codes_from), None)
        return dict((source.items or source.codes or {}) if source else {})
    return dict(var.items or var.codes or {})


def survey_names(book: Codebook) -> Survey:
    """Every name the codebook defines, as expressions and tables may use them."""
    known: dict[str, Known] = {}
    groups: dict[str, list[str]] = {}
    labels: dict[str, dict[int, str]] = {}
    numeric: set[str] = set()
    multi: dict[str, dict[int, str]] = {}
    missing_default = {"categorical": book.missing.categorical, "numeric": book.missing.numeric}
    for var in book.variables:
        codes = _codes_of(var, book)
        missing = (
            var.missing
            if var.missing is not None
            else (
                missing_default["numeric" if var.type == "numeric" else "categorical"]
                if var.type in ("single", "scale", "numeric")
                else {}
            )
        )
        if var.type == "multi":
            multi[var.name] = codes
            groups[var.name] = [f"{var.name}_{c}" for c in codes]
            known.update({col: Known("number", frozenset({0.0, 1.0})) for col in groups[var.name]})
        elif var.type == "text":
            known[var.name] = Known("text")
        elif var.type == "numeric":
            numeric.add(var.name)
            known[var.name] = Known("number")
        elif var.type in ("single", "scale"):
            labels[var.name] = {**codes, **missing}
            known[var.name] = Known("number", frozenset(float(c) for c in labels[var.name]))
    for der in book.derived:
        if der.kind == "bands":
            source = next((v for v in book.variables if v.name == der.of), None)
            source_missing = (
                source.missing
                if source and source.missing is not None
                else book.missing.numeric
                if source and source.type == "numeric"
                else {}
            )
            codes = {**{b.code: b.label for b in der.bands}, **source_missing}
        else:
            codes = dict(der.codes)
        if codes:
            labels[der.name] = codes
            known[der.name] = Known("number", frozenset(float(c) for c in codes))
        else:
            numeric.add(der.name)
            known[der.name] = Known("number")
    return Survey(book, known, groups, labels, numeric, multi)


def check_expression(
    findings: Findings, loc: Loc, expr: str | None, survey: Survey, known: dict[str, Known] | None = None
) -> None:
    if expr:
        for message in expression_problems(expr, survey.known if known is None else known, survey.groups):
            findings.add(loc, message)


# -- codebooks ------------------------------------------------------------------------------


def check_codebook(
    source: Source,
    book: Codebook,
    stem: str,
    surveys: dict[str, Survey],
    order: list[str],
    pending: set[str],
    findings: list,
) -> None:
    """Names defined once, references to earlier questions, links, and every expression.

    `pending` names surveys and tables whose own file failed its schema: references to them
    are checked once that file is mended, rather than reported as unknown now.
    """
    f = Findings(source, findings)
    me = surveys[book.survey]
    if book.survey != stem:
        f.add(
            ("survey",),
            f"survey {book.survey!r} is defined in {stem}.yaml: the file must be named "
            f"after its survey ({book.survey}.yaml), or `survey` changed to {stem!r}",
        )
    seen: dict[str, int] = {}
    for i, var in enumerate(book.variables):
        where = ("variables", i)
        if var.name in seen:
            f.add((*where, "name"), f"variable {var.name!r} is defined twice (first at variables[{seen[var.name]}])")
        seen.setdefault(var.name, i)
        earlier = {v.name: v for v in book.variables[:i]}
        for key, wanted in (("codes_from", None), ("selected_in", "multi")):
            ref = getattr(var, key)
            if ref and (ref not in earlier or (wanted and earlier[ref].type != wanted)):
                what = "an earlier multi-code question" if wanted else "an earlier question with codes"
                f.add((*where, key), f"{ref!r} is not {what}{suggest(ref, list(earlier))}")
        for j, other in enumerate(var.differs_from):
            if other not in earlier:
                f.add(
                    (*where, "differs_from", j), f"{other!r} is not an earlier question{suggest(other, list(earlier))}"
                )
        check_expression(f, (*where, "asked"), var.asked, me)
    ids = [v.name for v in book.variables if v.type == "id"]
    if book.id not in ids:
        f.add(("id",), f"the id variable {book.id!r} is not a variable of type 'id'{suggest(book.id, ids)}")
    defined = {v.name for v in book.variables}
    for i, der in enumerate(book.derived):
        where = ("derived", i)
        if der.name in defined:
            f.add((*where, "name"), f"derived variable {der.name!r} clashes with another variable")
        later = {d.name for d in book.derived[i:]}
        before = {k: v for k, v in me.known.items() if k not in later}  # each may use those before it
        if der.of and der.of not in defined:
            f.add(
                (*where, "of"),
                me.lacks(der.of)
                or f"{der.of!r} is defined after {der.name!r}: a derived variable may use only those before it",
            )
        elif der.kind == "count" and der.of not in me.multi:
            f.add((*where, "of"), f"kind 'count' counts the items of a multi-code question; {der.of!r} is not one")
        elif der.kind == "bands" and der.of not in me.numeric:
            f.add((*where, "of"), f"kind 'bands' bands a number; {der.of!r} is not numeric")
        defined.add(der.name)
        check_expression(f, (*where, "asked"), der.asked, me, before)
        if der.kind == "link" and der.source not in pending:
            _check_link(f, where, der, book, surveys, order)
        else:
            check_expression(f, (*where, "expr"), der.expr, me, before)


def _check_link(f: Findings, where: Loc, der, book: Codebook, surveys: dict[str, Survey], order: list[str]) -> None:
    other = surveys.get(der.source)
    if other is None:
        f.add((*where, "from"), f"{der.source!r} is not a survey listed in report.yaml{suggest(der.source, order)}")
        return
    if book.survey in order and der.source in order and order.index(der.source) > order.index(book.survey):
        f.add(
            (*where, "from"),
            f"survey {der.source!r} must be listed before {book.survey!r} in report.yaml's "
            f"`surveys`, so that it is prepared first and can be linked",
        )
    for survey in (surveys[book.survey], other):
        if der.key != survey.book.id and survey.lacks(der.key):
            f.add((*where, "key"), f"link key {der.key!r} is not a variable of {survey.book.survey!r}")
    if der.var and other.lacks(der.var):
        f.add((*where, "var"), other.lacks(der.var))
    check_expression(f, (*where, "expr"), der.expr, other)


def check_margins(f: Findings, where: Loc, margins: dict[str, dict[int, float]], survey: Survey) -> None:
    """Raking margins: categorical variables of the survey, and codes they have."""
    for var, margin in margins.items():
        if var not in survey.labels:
            f.add((*where, var), survey.lacks(var) or f"{var!r} has no codes to rake to")
            continue
        for code in margin:
            if code not in survey.labels[var]:
                f.add((*where, var, code), f"{code} is not a code of {var!r}")


# -- report.yaml ----------------------------------------------------------------------------


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
    for i, name in enumerate(report.surveys):
        if report.surveys.index(name) != i:
            f.add(("surveys", i), f"survey {name!r} is listed twice")
        elif not (specs_dir / f"{name}.yaml").is_file():
            f.add(("surveys", i), f"no codebook {name}.yaml in {specs_dir}")
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
    for key, entries in (("front", report.front), ("chapters", report.chapters)):
        for i, entry in enumerate(entries):
            if not (templates_dir / entry.template).is_file():
                found = [str(p.relative_to(templates_dir)) for p in templates_dir.rglob("*.j2")]
                f.add(
                    (key, i, "template"),
                    f"template {entry.template!r} not found under templates/{suggest(entry.template, found)}",
                )
    listed = {ch.tables for ch in report.chapters if ch.tables}
    for path in sorted((specs_dir / "tables").glob("*.yaml")) if (specs_dir / "tables").is_dir() else []:
        rel = f"tables/{path.name}"
        if rel not in listed:
            f.add(
                ("chapters",),
                f"{rel} is listed by no chapter, so none of its tables would be built: "
                f"add `tables: {rel}` to its chapter, or delete the file",
            )
    if not (specs_dir / report.glossary).is_file():
        f.add(("glossary",), f"glossary file {report.glossary!r} not found under {specs_dir}")
    for section in ("weighting", "fpc"):
        for name in getattr(report, section):
            if name not in report.surveys:
                f.add((section, name), f"{name!r} is not a survey listed in `surveys`{suggest(name, report.surveys)}")
    for name, entry in report.weighting.items():
        for i, cell in enumerate(entry.sensitivity.cells if entry.sensitivity else ()):
            where = ("weighting", name, "sensitivity", "cells", i)
            if cell.table in pending:
                continue
            table = _table_ref(f, (*where, "table"), cell.table, tables)
            if table is not None:
                if (table.survey or "") != name:
                    f.add((*where, "table"), f"table {cell.table!r} is from survey {table.survey!r}, not {name!r}")
                elif name in surveys:
                    _cell_ref(f, where, table, surveys[name], cell.series, cell.category, "total", "pct")
    for name, entry in report.fpc.items():
        book = surveys[name].book if name in surveys else None
        if entry.apply and book is not None and not (book.population and book.population.size):
            f.add(
                ("fpc", name, "apply"),
                f"the correction needs the population size: add `population: {{size: …}}` to {name}.yaml",
            )


# -- tables ---------------------------------------------------------------------------------


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
            if survey.lacks(by):
                f.add((*where, "by", j), survey.lacks(by))
            elif by not in survey.labels:
                f.add((*where, "by", j), f"subgroup variable {by!r} has no codes to make columns of")
        for j, series in enumerate(table.series):
            _check_series(f, (*where, "series", j), series, table, survey)


def _check_series(f: Findings, where: Loc, s: Series, table: Table, survey: Survey) -> None:
    if survey.lacks(s.var):
        f.add((*where, "var"), survey.lacks(s.var))
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


def _table_ref(f: Findings, loc: Loc, table_id: str, tables: dict[str, Table]) -> Table | None:
    table = tables.get(table_id)
    if table is None:
        f.add(loc, f"unknown table {table_id!r}{suggest(table_id, tables)}")
    return table


def _cell_ref(
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


# -- published targets and claims -----------------------------------------------------------


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
    for key, entries in (("targets", spec.targets), ("claims", spec.claims)):
        for i, entry in enumerate(entries):
            where = (key, i)
            if entry.id in ids:
                f.add((*where, "id"), f"id {entry.id!r} is used twice (also in {ids[entry.id]})")
            ids.setdefault(entry.id, source.path.name)
            if entry.table in pending:
                continue
            table = _table_ref(f, (*where, "table"), entry.table, tables)
            survey = surveys.get(table.survey or "") if table is not None else None
            if table is None or survey is None:
                continue
            columns = [entry.column] if key == "targets" else entry.columns
            for column in columns:
                _cell_ref(f, where, table, survey, entry.series, entry.category, column, entry.stat)


# -- a data folder's rename map and population frames --------------------------------------
def check_rename(source: Source, spec: Rename, surveys: dict[str, Survey], findings: list) -> None:
    """Each survey named is one of the report's; each new name a codebook variable, given once."""
    f = Findings(source, findings)
    for survey, mapping in spec.root.items():
        known = surveys.get(survey)
        if known is None:
            f.add((survey,), f"unknown survey {survey!r}{suggest(survey, surveys)}")
            continue
        columns = [*known.names, *(c for cols in known.groups.values() for c in cols)]
        for old, new in mapping.items():
            if new not in columns and new != known.book.id:
                f.add((survey, old), f"{new!r} is not a variable of {survey!r}{suggest(new, columns)}")
        targets = list(mapping.values())
        for old, new in mapping.items():
            if targets.count(new) > 1:
                f.add((survey, old), f"two columns would be renamed {new!r}")


def check_frame(source: Source, frame: Frame, survey: Survey, findings: list) -> None:
    f = Findings(source, findings)
    if frame.survey != survey.book.survey:
        f.add(("survey",), f"this frame is for {frame.survey!r}, but report.yaml weights {survey.book.survey!r} to it")
    check_margins(f, ("margins",), frame.margins, survey)
