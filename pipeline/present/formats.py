"""Present stage: the house rounding and symbols, applied the same way in charts, tables and prose."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from pipeline.spec.schema.report import Conventions


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


_DEFAULTS = Conventions.model_fields


@dataclass(frozen=True)
class Formats:
    """The house conventions for printing shares, from report.yaml's `conventions`: every
    chart, table, CSV, workbook and sentence prints a share through one of these."""

    # report.yaml's defaults (pipeline/spec/schema/report.py), for callers that pass none
    decimals_pct: int = _DEFAULTS["decimals_pct"].default
    below_one: str = _DEFAULTS["below_one"].default
    zero_chart: str = _DEFAULTS["zero_chart"].default  # charts and text
    zero_table: str = _DEFAULTS["zero_table"].default

    @classmethod
    def of(cls, conventions: Mapping) -> Formats:
        return cls(**{key: conventions[key] for key in ("decimals_pct", "below_one", "zero_chart", "zero_table")})

    def pct(self, value: float, in_table: bool = False) -> str:
        """A share as charts and text print it (`in_table`: as tables do)."""
        return fmt_pct(value, self.zero_table if in_table else self.zero_chart, self.below_one, self.decimals_pct)

    def rounded(self, value: float) -> float:
        """A share at the printed precision, as a number (the workbook's cells)."""
        return round_half_up(value, self.decimals_pct)

    @property
    def smallest(self) -> str:
        """The smallest share printed as a number ('0.5%'): anything above zero but under it
        is shown as `below_one`."""
        return f"{0.5 * 10**-self.decimals_pct:g}%"


def decimals_of(printed: str) -> int:
    """How many decimals a printed figure carries ('9.5' -> 1, '56%' -> 0)."""
    digits = printed.strip().rstrip("%").replace(",", "")
    return len(digits.split(".")[1]) if "." in digits else 0
