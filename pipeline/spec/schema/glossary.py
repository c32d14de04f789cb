"""Schema of glossary.yaml: terms and abbreviations, printed after the executive summary."""

from __future__ import annotations

from pydantic import model_validator

from pipeline.spec.schema.base import Spec


class Term(Spec):
    term: str
    definition: str


class Glossary(Spec):
    """glossary.yaml: terms and abbreviations, printed after the executive summary."""

    terms: list[Term] = []
    abbreviations: dict[str, str] = {}

    @model_validator(mode="after")
    def _each_term_once(self) -> Glossary:
        names = [t.term.lower() for t in self.terms]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"term {twice[0]!r} is defined twice")
        return self
