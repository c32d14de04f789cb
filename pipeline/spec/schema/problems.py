"""Spec problems located precisely: file, line, key path, what is wrong and how to fix it.

Every check of the specs (the schema's, and those across files) reports here, so that all the
problems in all the files are listed at once, each as `file:line: where: message`.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from pipeline.errors import SpecError
from pipeline.spec.schema.source import Loc, Source

_LABELS = ("id", "name", "var", "key", "term", "number", "table")  # what names a list item


@dataclass(frozen=True, order=True)
class SpecProblem:
    """One thing wrong in one spec file."""

    file: str
    line: int
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.where + ': ' if self.where else ''}{self.message}"


class SpecProblems(SpecError):
    """Every problem found in the specs; nothing is built until all are fixed."""

    def __init__(self, problems: Iterable[SpecProblem]):
        self.problems = sorted(set(problems))
        listed = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the spec files; nothing was built:\n{listed}")


def suggest(word: object, choices: Iterable[str]) -> str:
    """'; did you mean 'filter'?' when one of `choices` is close to `word` (a key or value as
    read, e.g. an integer list index or code), else ''."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def describe(data: Any, loc: Loc) -> str:
    """A key path as a reader finds it: `tables[3] (capacity) > series[0] (capacity_band) > filtr`."""
    parts: list[str] = []
    node = data
    for part in loc:
        if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            node = node[part]
            label = next((node[k] for k in _LABELS if isinstance(node, dict) and k in node), None)
            parts[-1:] = [f"{parts[-1] if parts else ''}[{part}]" + (f" ({label})" if label is not None else "")]
            continue
        parts.append(str(part))
        node = node.get(part) if isinstance(node, dict) else None
    return " > ".join(parts)


@dataclass
class Findings:
    """The problems of one file, as they are found."""

    source: Source
    found: list[SpecProblem]

    def add(self, loc: Loc, message: str, at: Loc | None = None) -> None:
        """A problem at `loc` (where it is described); reported at the line of `at` if given."""
        self.found.append(
            SpecProblem(
                str(self.source.path),
                self.source.line(loc if at is None else at),
                describe(self.source.data, loc),
                message,
            )
        )


def _data_loc(data: Any, loc: tuple) -> tuple[Loc, bool]:
    """The part of a pydantic error location that is a path into the data; whether the rest
    held only union-branch tags (`int`, `str`, a model's name), which are dropped."""
    path: list = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return tuple(path), True
        path.append(part)
    return tuple(path), False


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional; of a union, the first member that holds keys or items."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        structured = [
            a
            for a in map(_unwrap, members)
            if (isinstance(a, type) and issubclass(a, BaseModel)) or typing.get_origin(a) in (list, dict)
        ]
        return structured[0] if structured else members[0]
    return annotation


def _keys_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys the schema allows in the mapping at `loc` (for suggestions)."""
    node: Any = model
    for part in loc:
        node = _unwrap(node)
        if isinstance(node, type) and issubclass(node, BaseModel):
            fields = {f.alias or name: f for name, f in node.model_fields.items()}
            if part not in fields:
                return []
            node = fields[part].annotation
        elif typing.get_origin(node) is list:
            node = typing.get_args(node)[0]
        elif typing.get_origin(node) is dict:
            node = typing.get_args(node)[1]
        else:
            return []
    node = _unwrap(node)
    if isinstance(node, type) and issubclass(node, BaseModel):
        return [f.alias or name for name, f in node.model_fields.items()]
    return []


_TYPES = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "dict_type": "a mapping (key: value)",
    "list_type": "a list",
    "date_type": "a date (YYYY-MM-DD)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _message(error: ErrorDetails, model: type[BaseModel], data_loc: Loc) -> str:
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        key = error["loc"][-1]
        allowed = _keys_at(model, data_loc[:-1])
        hint = suggest(key, allowed) or (f"; allowed here: {', '.join(allowed)}" if allowed else "")
        return f"unknown key {key!r}{hint}"
    if kind == "missing":
        return f"missing required key {error['loc'][-1]!r}"
    if kind == "literal_error":
        expected = [e.strip().strip("'") for e in error["ctx"]["expected"].replace(" or ", ", ").split(",")]
        return f"{_shown(value)} is not one of {', '.join(repr(e) for e in expected)}{suggest(value, expected)}"
    if kind == "string_type" and isinstance(value, bool):
        return (
            f"expected text, got {str(value).lower()}: YAML reads unquoted yes, no, on, off, true "
            f"and false as true or false; put the text in quotes"
        )
    if kind == "string_type" and isinstance(value, (int, float)):
        return f"expected text, got the number {value!r}: put it in quotes"
    if kind == "string_pattern_mismatch" and "A-Za-z_" in error["ctx"].get("pattern", ""):
        return f"{_shown(value)} is not a name: use letters, digits and underscores, not starting with a digit"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind in _TYPES:
        got = "nothing" if value is None else f"{_shown(value)} ({type(value).__name__})"
        return f"expected {_TYPES[kind]}, got {got}"
    return f"{error['msg']} (got {_shown(value)})"


def schema_problems(source: Source, model: type[BaseModel], exc: ValidationError) -> list[SpecProblem]:
    """The schema's findings in one file, located and worded for a person to fix; where a
    value fails every member of a union (e.g. an integer code or a label), one problem."""
    by_loc: dict[tuple[Loc, Loc], list[str]] = {}  # (where it is described, where its line is)
    errors = exc.errors(include_url=False)
    missing = {tuple(e["loc"]) for e in errors if e["type"] == "missing"}
    for e in errors:  # a misspelled required key is one mistake: keep 'unknown key … did you mean'
        if e["type"] == "extra_forbidden":
            parent = tuple(e["loc"][:-1])
            meant = difflib.get_close_matches(
                str(e["loc"][-1]), [str(m[-1]) for m in missing if m[:-1] == parent], n=1, cutoff=0.6
            )
            missing -= {(*parent, meant[0])} if meant else set()
    errors = [e for e in errors if e["type"] != "missing" or tuple(e["loc"]) in missing]
    for error in errors:
        loc, _ = _data_loc(source.data, error["loc"])
        at = loc
        if error["type"] in ("missing", "extra_forbidden"):  # described at the mapping, which the message names
            at = tuple(error["loc"])
            loc = at[:-1]
        messages = by_loc.setdefault((loc, at), [])
        text = _message(error, model, at)
        if text not in messages:
            messages.append(text)
    report = Findings(source, [])
    for (loc, at), messages in by_loc.items():
        if len(messages) > 1 and all(m.startswith("expected ") for m in messages):
            got = messages[0].split(", got ", 1)[-1]
            wanted = " or ".join(m.removeprefix("expected ").split(", got ")[0] for m in messages)
            messages = [f"expected {wanted}, got {got}"]
        for text in messages:
            report.add(loc, text, at)
    return report.found


def repeated_keys(source: Source) -> list[SpecProblem]:
    """Keys written twice in one mapping (YAML readers keep only the last)."""
    return [
        SpecProblem(
            str(source.path),
            line + 1,
            "",
            f"key {key!r} is written twice in one mapping; "
            f"YAML keeps only the last, so one of them would be silently ignored",
        )
        for key, line in source.repeated
    ]


def file_problem(path: Path | str, message: str, line: int = 1) -> SpecProblem:
    return SpecProblem(str(path), line, "", message)
