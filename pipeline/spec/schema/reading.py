"""Read one spec file and validate it against its schema, collecting its problems.

Kept apart from the checks across files (which need the expression parser and pandas), so
that `make report`'s up-to-date check can read a data folder's wave.yaml without them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Generic, NamedTuple, TypeVar

from pydantic import BaseModel, ValidationError

from pipeline.errors import SpecError
from pipeline.spec.schema.problems import SpecProblem, SpecProblems, repeated_keys, schema_problems
from pipeline.spec.schema.source import Source, read_source

M = TypeVar("M", bound=BaseModel)


class Valid(NamedTuple, Generic[M]):
    """A file that met its schema: its model, and the source it was read from."""

    model: M
    source: Source


class Invalid(NamedTuple):
    """A file that failed: its source if it could at least be parsed (its problems are listed)."""

    model: None
    source: Source | None


def read_checked(path: Path, model: type[M], problems: list[SpecProblem]) -> Valid[M] | Invalid:
    """One file parsed and validated; its problems appended to `problems` (no model if it fails)."""
    try:
        source = read_source(path)
    except SpecError as exc:
        problems.append(SpecProblem(str(path), getattr(exc, "line", 1), "", getattr(exc, "reason", str(exc))))
        return Invalid(None, None)
    problems += repeated_keys(source)
    try:
        return Valid(model.model_validate(source.data), source)
    except ValidationError as exc:
        problems += schema_problems(source, model, exc)
        return Invalid(None, source)


def read_valid(path: Path, model: type[M]) -> M:
    """One file checked on its own: its model, or `SpecProblems` listing every problem."""
    problems: list[SpecProblem] = []
    spec, _ = read_checked(path, model, problems)
    if spec is None or problems:
        raise SpecProblems(problems)
    return spec
