"""Sensitivity stage, after tabulation: how much the key figures report.yaml lists would move if
a survey's tables were weighted, set beside the unweighted figures and their confidence interval.

It runs after the tables exist (it re-tabulates the listed cells with the survey's weights), so
it is a stage of its own rather than part of the weighting stage that comes before tabulation.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.stages.derive import Dataset
from pipeline.stages.disclosure import withheld
from pipeline.stages.tabulate import TOTAL, Table, tabulate
from pipeline.stages.weighting import SurveyWeights
from pipeline.stats.intervals import wilson


@dataclass(frozen=True)
class SensitivityRow:
    """One key figure unweighted and weighted, and whether the difference matters."""

    table: str
    label: str
    unweighted: float
    weighted: float
    ci_low: float
    ci_high: float
    base: int
    n_eff: float
    withheld: bool = False  # the cell is withheld (small base): publications show none of it

    @property
    def difference(self) -> float:
        return self.weighted - self.unweighted

    def matters(self, threshold: float) -> bool:
        outside = not (self.ci_low <= self.weighted <= self.ci_high)
        return outside or abs(self.difference) >= threshold


def sensitivity(
    cells: list[dict], unweighted: dict[str, Table], ds: Dataset, weights: SurveyWeights, level: float = 0.95
) -> list[SensitivityRow]:
    """Recompute the listed cells with weights and set them beside the unweighted figures.

    `unweighted` must be the survey's unweighted tables whatever report.yaml applies: under
    `use: rim` the report's own tables are the weighted ones, and comparing them with a
    reweighting of themselves would show no difference at all.
    """
    rows = []
    for ref in cells:
        table = unweighted[ref["table"]]
        series = ref.get("series")
        plain = table.cell(series, ref["category"], TOTAL)
        weighted = tabulate(ds, table.spec, weights.design).cell(series, ref["category"], TOTAL)
        low, high = wilson(float(plain["value"]) / 100, float(plain["n_eff"]), level)
        rows.append(
            SensitivityRow(
                ref["table"],
                str(ref.get("label", plain["category_label"])),
                float(plain["value"]),
                float(weighted["value"]),
                100 * low,
                100 * high,
                int(plain["base"]),
                float(weighted["n_eff"]),
                withheld(plain) or withheld(weighted),
            )
        )
    return rows
