"""Present stage: the house rounding and symbols, applied the same way in charts, tables and prose."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.spec.schema.report import Conventions
from pipeline.stats.rounding import fmt_pct, round_half_up


def fmt_number(value: float, decimals: int = 0) -> str:
    """A mean, median or count at the printed precision, with thousands separators."""
    if value is None or math.isnan(value):
        return "n/a"
    return f"{round_half_up(value, decimals):,.{decimals}f}"


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

    @property
    def number_format(self) -> str:
        """The spreadsheet number format of a share at the printed precision ('0', '0.0' …)."""
        return "0" + ("." + "0" * self.decimals_pct if self.decimals_pct else "")
