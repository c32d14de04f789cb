"""Evaluate the small expressions specs use for routing, filters and derived variables.

Specs write pandas expressions over variable names, e.g. `comm_1 == 1`,
`ots_extent in [2, 3]`, `capacity.notna()`, `employees >= 50 and n_employers.notna()`.
"""
from __future__ import annotations

import re

import pandas as pd

from .errors import SpecError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def evaluate(frame: pd.DataFrame, expr: str, where: str) -> pd.Series:
    """Evaluate `expr` row-wise; `all` means everyone. Errors name the spec entry."""
    if expr.strip() == "all":
        return pd.Series(True, index=frame.index)
    # pandas resolves every column of the frame on each eval; hand it only the names used
    used = [name for name in dict.fromkeys(_NAME.findall(expr)) if name in frame.columns]
    try:
        result = frame[used].eval(expr, engine="python")
    except Exception as exc:  # pandas raises many types for a bad expression
        raise SpecError(f"{where}: cannot evaluate {expr!r}: {exc}") from exc
    if not isinstance(result, pd.Series):
        result = pd.Series(result, index=frame.index)
    return result


def mask(frame: pd.DataFrame, expr: str, where: str) -> pd.Series:
    """A boolean row filter; NaN comparisons count as False."""
    return evaluate(frame, expr, where).fillna(False).astype(bool)
