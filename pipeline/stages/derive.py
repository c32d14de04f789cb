"""Derive stage: add the codebook's derived variables and work out who was asked what."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.errors import SpecError
from pipeline.spec.expressions import evaluate, mask
from pipeline.spec.objects import Codebook, Derived
from pipeline.stages.clean import CleanData


@dataclass
class Dataset:
    """Answers plus derived variables, and for every variable the respondents it applies to."""

    codebook: Codebook
    frame: pd.DataFrame
    asked: dict[str, pd.Series]

    @property
    def survey(self) -> str:
        return self.codebook.survey


def _given(value: str | None, der: Derived, key: str) -> str:
    """A key that the schema requires of this kind of derived variable."""
    if value is None:
        raise SpecError(f"derived variable {der.name!r}: a {der.kind!r} variable needs `{key}`")
    return value


def _count(frame: pd.DataFrame, der: Derived, book: Codebook) -> pd.Series:
    cols = book.variables[_given(der.of, der, "of")].columns
    return (frame[cols] == 1).sum(axis=1).astype(float)


def _bands(frame: pd.DataFrame, der: Derived, missing: pd.Series | None) -> pd.Series:
    values = frame[_given(der.of, der, "of")]
    out = pd.Series(np.nan, index=frame.index)
    for band in der.bands:
        inside = values.notna()
        if band.min is not None:
            inside &= values >= band.min
        if band.max is not None:
            inside &= values <= band.max
        out[inside] = band.code
    if missing is not None:
        out = out.where(missing.isna(), missing)
    return out


def _expr(frame: pd.DataFrame, der: Derived) -> pd.Series:
    result = evaluate(frame, _given(der.expr, der, "expr"), f"derived variable {der.name!r}")
    if der.codes:
        return result.fillna(False).astype(bool).astype(float)
    return result.astype(float)


def _keys(frame: pd.DataFrame, key: str, book: Codebook) -> pd.Series:
    """Link keys as text, whether the key is the file's respondent id (the index) or a variable."""
    raw = frame.index.to_series(index=frame.index) if key == book.id else frame[key]
    return raw.map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))


def _link(frame: pd.DataFrame, der: Derived, book: Codebook, others: Mapping[str, Dataset]) -> pd.Series:
    """Combine the linked unit's rows for each row here (e.g. a lead's CCGs, or a CCG's lead)."""
    where = f"derived variable {der.name!r}"
    key, agg = _given(der.key, der, "key"), _given(der.agg, der, "agg")
    other = others.get(der.source or "")
    if other is None:
        raise SpecError(
            f"{where}: survey {der.source!r} must be listed before {book.survey!r} "
            f"in report.yaml surveys so it can be linked"
        )
    o = other.frame
    values = evaluate(o, der.expr, where) if der.expr else o[der.var] if der.var else pd.Series(1.0, index=o.index)
    groups = values.groupby(_keys(o, key, other.codebook).to_numpy())
    if agg == "count":
        combined = (
            groups.size()
            if not (der.expr or der.var)
            else groups.apply(lambda v: float(v.fillna(0).astype(bool).sum()))
        )
    elif agg in ("any", "all"):
        combined = groups.apply(lambda v: float(getattr(v.fillna(False).astype(bool), agg)()))
    else:
        combined = getattr(groups, agg)()
    return _keys(frame, key, book).map(combined).astype(float)


def derive_column(
    frame: pd.DataFrame,
    der: Derived,
    book: Codebook,
    missing: pd.Series | None,
    others: Mapping[str, Dataset] | None = None,
) -> pd.Series:
    """One derived variable's values, before routing is applied."""
    if der.kind == "link":
        return _link(frame, der, book, others or {})
    if der.kind == "count":
        return _count(frame, der, book)
    if der.kind == "bands":
        return _bands(frame, der, missing)
    return _expr(frame, der)


def derive(clean: CleanData, others: Mapping[str, Dataset] | None = None) -> Dataset:
    """Compute derived variables in codebook order; each may use those before it.

    `others` are surveys already derived, for `link` variables that combine another unit's
    rows (a survey answered at two levels, e.g. CCGs and the leads answering for them).
    """
    book = clean.codebook
    frame = clean.frame.copy()
    asked: dict[str, pd.Series] = {}
    gone = _absent(clean)  # a previous wave's questions it lacks: asked of nobody, so no figure has a base
    for name in gone & set(book.variables):
        asked[name] = pd.Series(False, index=frame.index)

    def asked_for(name: str) -> pd.Series:
        if name not in asked:
            var = book.variables[name]
            asked[name] = mask(frame, var.asked, f"routing of {name!r}")
        return asked[name]

    for i, der in enumerate(book.derived.values(), 1):
        values = derive_column(frame, der, book, clean.missing.get(der.of or ""), others)
        if der.asked:
            applies = mask(frame, der.asked, f"derived variable {der.name!r}")
        elif der.of:
            applies = asked[der.of] if der.of in asked else asked_for(der.of)
        else:
            applies = pd.Series(True, index=frame.index)
        if gone and _reads(der, gone):  # made from a question the previous wave lacks
            applies = pd.Series(False, index=frame.index)
            gone.add(der.name)
        frame[der.name] = values.where(applies)
        asked[der.name] = applies
        if i % 50 == 0:
            frame = frame.copy()  # many derived columns: keep the frame in one block
    for name in book.variables:
        if book.variables[name].type != "id":
            asked_for(name)
    return Dataset(codebook=book, frame=frame, asked=asked)


def _absent(clean: CleanData) -> set[str]:
    """The questions (and their columns) a previous wave's file lacks (pipeline.stages.clean.clean)."""
    if not clean.absent:
        return set()
    out = set(clean.absent)
    out |= {v.name for v in clean.codebook.variables.values() if any(c in clean.absent for c in v.columns)}
    return out


def _reads(der: Derived, names: set[str]) -> bool:
    """Whether a derived variable is made from, or routed by, any of `names`."""
    used = {der.of} if der.of else set()
    for text in (der.expr, der.asked):
        if text:
            used |= {n.id for n in ast.walk(ast.parse(text, mode="eval")) if isinstance(n, ast.Name)}
    return bool(used & names)
