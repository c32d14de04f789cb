"""Clean stage: check every row against the codebook and account for every respondent.

All problems are collected before anything stops, so a user fixes a file in one pass.
Structure (variables, types, codes, ranges, ids) is checked on the raw rows; routing and
consistency rules need derived variables, so `check_routing` runs after the derive stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.errors import Problem, SpecError, ValidationError
from pipeline.spec.objects import Codebook, Variable
from pipeline.stages.load import RawData


@dataclass
class CleanData:
    """Validated answers: numeric user-missing codes moved out of the values into `missing`."""

    codebook: Codebook
    file: str
    frame: pd.DataFrame
    missing: dict[str, pd.Series]
    log: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    absent: tuple[str, ...] = ()  # a previous wave's columns it does not have (blank, not compared)


def _fmt(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, str) else str(value)


class _Collector:
    """Accumulates problems for one file."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def add(self, severity: str, variable: str, respondent: str, value: object, rule: str) -> None:
        self.problems.append(Problem(severity, self.file, variable, respondent, _fmt(value), rule))

    def rows(
        self, severity: str, variable: str, frame: pd.DataFrame, mask: pd.Series, values: pd.Series, rule: str
    ) -> None:
        for rid in frame.index[mask.to_numpy()]:
            self.add(severity, variable, str(rid), values.loc[rid], rule)


def _check_ids(raw: RawData, book: Codebook, out: _Collector) -> pd.Series | None:
    frame = raw.frame
    if book.id not in frame.columns:
        out.add("error", book.id, "-", "-", "the respondent id variable is missing from the file")
        return None
    ids = frame[book.id]
    for pos in np.flatnonzero(ids.isna().to_numpy()):
        out.add("error", book.id, f"row {pos + 1}", "blank", "every respondent needs an id")
    dup = ids.duplicated(keep=False) & ids.notna()
    for pos in np.flatnonzero(dup.to_numpy()):
        out.add("error", book.id, _fmt(ids.iloc[pos]), _fmt(ids.iloc[pos]), f"duplicate respondent id (row {pos + 1})")
    return ids


def _numeric_column(raw: pd.Series, var: Variable, col: str, frame: pd.DataFrame, out: _Collector) -> pd.Series:
    """Coerce to float; text where a number belongs is an error naming each bad value."""
    if pd.api.types.is_numeric_dtype(raw):
        return raw.astype(float)
    as_num = pd.to_numeric(raw.replace("", np.nan), errors="coerce")
    bad = as_num.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
    out.rows("error", col, frame, bad, raw, f"expected a number for {var.type} question {var.name!r}, got text")
    return as_num


def _check_codes(values: pd.Series, var: Variable, col: str, frame: pd.DataFrame, out: _Collector) -> None:
    if var.type == "multi":
        allowed, what = {0, 1}, "0 (not mentioned) or 1 (mentioned)"
    else:
        allowed, what = set(var.codes) | set(var.missing), f"a code of {var.name!r}"
    bad = values.notna() & ~values.isin(list(allowed))
    out.rows("error", col, frame, bad, values, f"not {what}; valid codes are {sorted(allowed)}")


def _check_range(values: pd.Series, var: Variable, frame: pd.DataFrame, out: _Collector) -> None:
    if var.range is None:
        return
    lo, hi = var.range
    bad = values.notna() & ((values < lo) | (values > hi))
    out.rows("error", var.name, frame, bad, values, f"outside the valid range {lo:g} to {hi:g}")


ABSENT_RULE = "not in this previous wave's file (a question added since): left blank and not compared"
RECODED_RULE = "codes outside this wave's codebook (the question was recoded since): left blank and not compared"


def clean(raw: RawData, book: Codebook, previous: bool = False) -> CleanData:
    """Validate structure and return typed answers indexed by respondent id.

    A `previous` wave is read against this wave's codebook for what it has: a question it
    lacks (added since), or whose codes it uses that this wave's codebook does not have
    (recoded since), is left blank, logged and not compared, rather than stopping the build.
    This wave's own file must have every question.
    """
    out = _Collector(raw.path.name)
    ids = _check_ids(raw, book, out)
    frame = raw.frame.copy()
    if ids is not None:
        frame.index = pd.Index([_fmt(v) for v in ids], name=book.id)
    expected = [c for v in book.variables.values() if v.type != "id" for c in v.columns]
    absent = [c for c in expected if c not in frame.columns]
    if previous:
        absent += _recoded(frame, book, absent)
        for col in absent:
            out.add("warning", col, "-", "-", ABSENT_RULE if col not in frame.columns else RECODED_RULE)
        frame = frame.drop(columns=[c for c in absent if c in frame.columns])
    for col in absent if not previous else ():
        out.add("error", col, "-", "-", "variable listed in the codebook is missing from the file")
    for col in frame.columns:
        if col not in expected and col != book.id:
            out.add("warning", col, "-", "-", "variable not in the codebook; ignored")
    data: dict[str, pd.Series] = {}
    missing: dict[str, pd.Series] = {}
    for var in book.variables.values():
        if var.type in ("id",):
            continue
        for col in var.columns:
            if col not in frame.columns:
                continue
            if var.type == "text":
                data[col] = frame[col].astype(str)
                continue
            values = _numeric_column(frame[col], var, col, frame, out)
            if var.type == "numeric":
                is_missing = values.isin(list(var.missing))
                missing[col] = values.where(is_missing)
                values = values.where(~is_missing)
                _check_range(values, var, frame, out)
            else:
                _check_codes(values, var, col, frame, out)
            data[col] = values
    _raise_errors(out.problems)
    result = pd.DataFrame(data, index=frame.index)
    for var in book.variables.values():  # blank: every table of it has no base, so nothing is compared
        for col in (c for c in var.columns if c in absent):
            result[col] = "" if var.type == "text" else np.nan
    result = result[[c for c in expected if c in result.columns]]
    return CleanData(
        codebook=book,
        file=raw.path.name,
        frame=result,
        missing=missing,
        log=list(out.problems),
        counts={"read": len(frame)},
        absent=tuple(absent),
    )


def _recoded(frame: pd.DataFrame, book: Codebook, absent: list[str]) -> list[str]:
    """A previous wave's columns holding codes this wave's codebook does not have: every column
    of such a question, since its answers do not mean what this wave's codes mean."""
    out: list[str] = []
    for var in book.variables.values():
        if var.type not in ("single", "multi", "scale") or any(c in absent for c in var.columns):
            continue
        allowed = {0, 1} if var.type == "multi" else set(var.codes) | set(var.missing)
        for col in var.columns:
            values = pd.to_numeric(frame[col], errors="coerce")
            if (values.notna() & ~values.isin(list(allowed))).any():
                out += list(var.columns)
                break
    return out


def _raise_errors(problems: list[Problem]) -> None:
    if any(p.severity == "error" for p in problems):
        raise ValidationError(problems)


def check_routing(clean_data: CleanData, frame: pd.DataFrame, asked: dict[str, pd.Series]) -> None:
    """Answers only from those asked, an answer from everyone asked, consistent multi-part answers."""
    book = clean_data.codebook
    out = _Collector(clean_data.file)
    for var in book.variables.values():
        if var.type in ("id", "text") or any(c in clean_data.absent for c in var.columns):
            continue
        mask = asked[var.name]
        for col in var.columns:
            answered = frame[col].notna()
            if col in clean_data.missing:
                answered |= clean_data.missing[col].notna()
            out.rows(
                "error",
                col,
                frame,
                answered & ~mask,
                frame[col],
                f"answered but not routed to this question (asked: {var.asked})",
            )
            out.rows(
                "error",
                col,
                frame,
                ~answered & mask,
                frame[col],
                f"blank but routed to this question (asked: {var.asked})",
            )
        _check_consistency(var, frame, out)
    _raise_errors(out.problems)
    clean_data.log.extend(out.problems)
    clean_data.counts["kept"] = len(frame)


def _check_consistency(var: Variable, frame: pd.DataFrame, out: _Collector) -> None:
    values = frame[var.name] if var.type != "multi" else None
    if var.selected_in and values is not None:
        unselected = pd.Series(False, index=frame.index)
        for code in values.dropna().unique():
            item = f"{var.selected_in}_{int(code)}"
            if item in frame.columns:
                unselected |= (values == code) & (frame[item] != 1)
        out.rows(
            "error",
            var.name,
            frame,
            unselected,
            values,
            f"names an option the respondent did not select at {var.selected_in!r}",
        )
    if var.selected_in and var.type == "multi":  # each item mentioned must be selected there too
        for code in var.codes:
            item, there = f"{var.name}_{code}", f"{var.selected_in}_{code}"
            if item in frame.columns and there in frame.columns:
                bad = (frame[item] == 1) & (frame[there] != 1)
                out.rows(
                    "error",
                    item,
                    frame,
                    bad,
                    frame[item],
                    f"mentions an option the respondent did not select at {var.selected_in!r}",
                )
    for other in var.differs_from:
        if values is None:
            raise SpecError(f"{var.name}: a multi-code question has no single answer for `differs_from` to compare")
        clash = values.isin(list(var.codes)) & (values == frame[other])
        out.rows("error", var.name, frame, clash, values, f"repeats the answer given at {other!r}")
