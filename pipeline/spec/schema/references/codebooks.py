"""A codebook's references: variables defined once, references to earlier questions, the id
variable, derived variables using only those before them, links to another survey, and every
routing rule and derived expression naming only variables its survey has.
"""

from __future__ import annotations

from pipeline.spec.schema.codebook import Codebook, Derived
from pipeline.spec.schema.problems import Findings, suggest
from pipeline.spec.schema.references.names import Survey, check_expression
from pipeline.spec.schema.source import Loc, Source


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
    _check_design(f, book)


def _check_design(f: Findings, book: Codebook) -> None:
    """Every variable the sample design names is a question of the codebook: weights, fpc and
    replicate weights numeric ones."""
    kinds = {v.name: v.type for v in book.variables}
    design = book.design
    named: list[tuple[tuple, str, bool]] = [(("design", "weights"), design.weights or "", True)]
    named.append((("design", "strata"), design.strata or "", False))
    named += [(("design", "clusters", i), name, False) for i, name in enumerate(design.clusters)]
    named += [(("design", "fpc", i), v, True) for i, v in enumerate(design.fpc) if isinstance(v, str)]
    if design.replicates is not None:
        named += [(("design", "replicates", "columns", i), c, True) for i, c in enumerate(design.replicates.columns)]
    for where, name, numeric in named:
        if not name:
            continue
        if name not in kinds:
            f.add(where, f"{name!r} is not a variable of {book.survey}.yaml{suggest(name, list(kinds))}")
        elif numeric and kinds[name] != "numeric":
            f.add(where, f"{name!r} must be a numeric variable, not {kinds[name]!r}")


def _check_link(
    f: Findings, where: Loc, der: Derived, book: Codebook, surveys: dict[str, Survey], order: list[str]
) -> None:
    source, key = der.source, der.key
    if source is None or key is None:  # the schema has reported a link without both
        return
    other = surveys.get(source)
    if other is None:
        f.add((*where, "from"), f"{source!r} is not a survey listed in report.yaml{suggest(source, order)}")
        return
    if book.survey in order and source in order and order.index(source) > order.index(book.survey):
        f.add(
            (*where, "from"),
            f"survey {source!r} must be listed before {book.survey!r} in report.yaml's "
            f"`surveys`, so that it is prepared first and can be linked",
        )
    for survey in (surveys[book.survey], other):
        if key != survey.book.id and survey.lacks(key):
            f.add((*where, "key"), f"link key {key!r} is not a variable of {survey.book.survey!r}")
    if der.var and (missing := other.lacks(der.var)):
        f.add((*where, "var"), missing)
    check_expression(f, (*where, "expr"), der.expr, other)
