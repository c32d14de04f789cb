"""Rounding at a printed precision: half up, as survey reports round, and the precision a printed figure carries.

Pure functions of their arguments (no setting from report.yaml), placed low so that every layer
rounds alike: the audit (a stage) compares each recomputed cell with the source's printed figure
at that figure's precision, and presentation prints at the house precision (the conventions
report.yaml sets are pipeline/present/formats.py's `Formats`, which prints through these).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal


def round_half_up(value: float, decimals: int = 0) -> float:
    """Round as survey reports do (2.5 -> 3), not as Python's banker's rounding (2.5 -> 2).

    The value is first fixed to 9 decimals so that binary noise (52.49999999997 for 21/40)
    cannot pull an exact half down.
    """
    if value is None or math.isnan(value):
        return math.nan
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(f"{float(value):.9f}").quantize(quantum, rounding=ROUND_HALF_UP))


def fmt_pct(value: float, zero: str = "0%", below_one: str = "<1%", decimals: int = 0) -> str:
    """A percentage as printed: rounded half up to `decimals` places, `below_one` for a share
    above zero that rounds to nothing, `zero` for none. The defaults are the 2020 report's
    (whole numbers, '<1%', '0%'), which the audit compares against."""
    if value is None or math.isnan(value):
        return "n/a"
    if value == 0:
        return zero
    rounded = round_half_up(value, decimals)
    if value > 0 and rounded == 0:
        return below_one
    return f"{rounded:.{decimals}f}%"


def decimals_of(printed: str) -> int:
    """How many decimals a printed figure carries ('9.5' -> 1, '56%' -> 0)."""
    digits = printed.strip().rstrip("%").replace(",", "")
    return len(digits.split(".")[1]) if "." in digits else 0


def fmt_p(pvalue: float, level: float = 0.05, bare: bool = False) -> str:
    """A p-value as prose prints it: 'p < 0.001' below 0.001 (never 'p = 0.000', which reads as
    impossible certainty), else three decimals where it is below `level` and two where it is not,
    unless two would round it onto or under the level (0.0504 is 'p = 0.050', not 'p = 0.05').
    The CSVs and the workbook keep the unrounded value. `bare`: without 'p ' and '= ', for a
    table column headed p."""
    if pvalue < 0.001:
        text = "< 0.001"
    elif pvalue < level or round(pvalue, 2) <= level:
        text = f"= {pvalue:.3f}"
    else:
        text = f"= {pvalue:.2f}"
    return text.removeprefix("= ") if bare else f"p {text}"
