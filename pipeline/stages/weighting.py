"""Weight stage: rim weights for each survey from its population frame, and what they change.

The reproduction is unweighted (the 2020 report's figures are), but each survey with a frame in
report.yaml is raked to it, so the methodology can report the weighting diagnostics and how much
the key figures would move under weighting; with `use: rim` the weights are applied to every
table of the survey.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from pipeline.errors import OhmskError
from pipeline.spec.schema import Frame
from pipeline.stages.derive import Dataset
from pipeline.stages.disclosure import withheld
from pipeline.stages.tabulate import TOTAL, Table, tabulate
from pipeline.stats.calibration import Code, WeightResult, rake


@dataclass(frozen=True)
class SurveyWeights:
    """Rim weights for one survey and where their targets came from."""

    survey: str
    use: str  # "none": computed for diagnostics only; "rim": applied to every table
    frame: dict  # the population frame as read (population, source, margins)
    frame_path: Path
    cap: float | None
    result: WeightResult

    @property
    def applied(self) -> bool:
        """Whether the survey's tables are weighted (not only raked for the diagnostics)."""
        return self.use != "none"


def describe(sw: SurveyWeights, ds: Dataset) -> str:
    """What a weighted table is weighted to, in the words its notes, CSV and sheet print:
    the method, the frame's file, its population and variables, and whether it is assumed."""
    variables = " and ".join(ds.codebook.label(var).lower() for var in sw.frame["margins"])
    assumed = "; an assumed profile" if sw.frame["source"] == "assumed" else ""
    return f"rim weights to {sw.frame_path.name} ({sw.frame['population']}, by {variables}{assumed})"


def weigh(ds: Dataset, config: dict, frame_spec: Frame, path: Path) -> SurveyWeights:
    """Rake one survey to its (validated) population frame, as configured in report.yaml."""
    frame = frame_spec.model_dump()
    margins: dict[str, Mapping[Code, float]] = {
        var: {int(k): float(v) for k, v in m.items()} for var, m in frame["margins"].items()
    }
    try:
        result = rake(
            ds.frame,
            margins,
            cap=config.get("cap"),
            tol=float(config.get("tol", 1e-6)),
            max_iter=int(config.get("max_iter", 100)),
        )
    except OhmskError as exc:
        raise OhmskError(f"weighting {ds.survey!r} to {path}: {exc}") from exc
    return SurveyWeights(ds.survey, config.get("use", "none"), frame, path, config.get("cap"), result)


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
    cells: list[dict], unweighted: dict[str, Table], ds: Dataset, weights: pd.Series, level: float = 0.95
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
        weighted = tabulate(ds, table.spec, weights).cell(series, ref["category"], TOTAL)
        low, high = proportion_confint(int(plain["n"]), int(plain["base"]), alpha=1 - level, method="wilson")
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


@dataclass(frozen=True)
class MarginRow:
    """One category of a raking variable: frame, achieved sample and weighted sample."""

    variable: str
    category: str
    frame_count: float
    frame_pct: float
    sample_n: int
    sample_pct: float
    weighted_pct: float


def margin_rows(ds: Dataset, sw: SurveyWeights) -> list[MarginRow]:
    """How the achieved sample compares with the frame, before and after weighting."""
    rows = []
    w = sw.result.weights
    for var, margin in sw.frame["margins"].items():
        labels = ds.codebook.labels(var)
        total = float(sum(margin.values()))
        values = ds.frame[var]
        for code, count in margin.items():
            hit = values == int(code)
            rows.append(
                MarginRow(
                    ds.codebook.label(var),
                    labels.get(int(code), str(code)),
                    float(count),
                    100 * float(count) / total,
                    int(hit.sum()),
                    100 * hit.mean(),
                    100 * float(w[hit].sum()) / float(w.sum()),
                )
            )
    return rows
