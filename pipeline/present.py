"""Present stage: the house rounding and symbols, applied the same way in charts, tables and prose."""
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


def fmt_number(value: float, decimals: int = 0) -> str:
    """A mean, median or count at the printed precision, with thousands separators."""
    if value is None or math.isnan(value):
        return "n/a"
    return f"{round_half_up(value, decimals):,.{decimals}f}"


def fmt_pct(value: float, zero: str = "0%", below_one: str = "<1%") -> str:
    """A percentage as printed: whole numbers, '<1%' for 0 < p < 0.5, `zero` for none."""
    if value is None or math.isnan(value):
        return "n/a"
    if value == 0:
        return zero
    if value < 0.5:
        return below_one
    return f"{round_half_up(value):.0f}%"


def decimals_of(printed: str) -> int:
    """How many decimals a printed figure carries ('9.5' -> 1, '56%' -> 0)."""
    digits = printed.strip().rstrip("%").replace(",", "")
    return len(digits.split(".")[1]) if "." in digits else 0
