"""The names one survey's codebook defines, as other specs may use them: its variables, their
codes and items, and the names an expression may use. Every check across files looks names up
here, and expressions and raking margins are checked against them.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.spec.expressions import Known, expression_problems
from pipeline.spec.schema.codebook import Codebook, Variable
from pipeline.spec.schema.problems import Findings, suggest
from pipeline.spec.schema.source import Loc


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
    """Each problem `expr` has with the names the survey (or `known`) defines, found at `loc`."""
    if expr:
        for message in expression_problems(expr, survey.known if known is None else known, survey.groups):
            findings.add(loc, message)


def check_margins(f: Findings, where: Loc, margins: dict[str, dict[int, float]], survey: Survey) -> None:
    """Raking margins: categorical variables of the survey, and codes they have."""
    for var, margin in margins.items():
        if var not in survey.labels:
            f.add((*where, var), survey.lacks(var) or f"{var!r} has no codes to rake to")
            continue
        for code in margin:
            if code not in survey.labels[var]:
                f.add((*where, var, code), f"{code} is not a code of {var!r}")
