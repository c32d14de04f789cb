"""Weight stage: rim weights for each survey from its population frame, and what they change.

The reproduction is unweighted (the 2020 report's figures are), but each survey with a frame in
report.yaml is raked to it, so the methodology can report the weighting diagnostics (and, after
tabulation, how much the key figures would move: stages/sensitivity.py); with `use: rim` the
weights are applied to every table of the survey.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.errors import OhmskError
from pipeline.spec.schema import Frame
from pipeline.stages.derive import Dataset
from pipeline.stats.calibration import Code, WeightResult, rake
from pipeline.stats.design import Calibration, SurveyDesign


@dataclass(frozen=True)
class SurveyWeights:
    """Rim weights for one survey and where their targets came from."""

    survey: str
    use: str  # "none": computed for diagnostics only; "rim": applied to every table
    frame: dict  # the population frame as read (population, source, margins)
    frame_path: Path
    cap: float | None
    result: WeightResult
    design: SurveyDesign  # the survey's design with these weights, variances calibration-aware

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


def weigh(ds: Dataset, config: dict, frame_spec: Frame, path: Path, design: SurveyDesign) -> SurveyWeights:
    """Rake one survey's design weights to its (validated) population frame, as configured in
    report.yaml; the weighted design's variances account for the raking (its margins are the
    calibration variables, as R's ``calibrate(calfun = "raking")`` treats them)."""
    frame = frame_spec.model_dump()
    margins: dict[str, Mapping[Code, float]] = {
        var: {int(k): float(v) for k, v in m.items()} for var, m in frame["margins"].items()
    }
    if design.replicates is not None:
        raise OhmskError(
            f"weighting {ds.survey!r} to {path}: the survey has replicate weights, which carry the producer's "
            f"weighting; raking them too is not supported (remove the frame, or the replicate weights)"
        )
    try:
        result = rake(
            ds.frame,
            margins,
            weight=pd.Series(design.weights, index=ds.frame.index),
            cap=config.get("cap"),
            tol=float(config.get("tol", 1e-6)),
            max_iter=int(config.get("max_iter", 100)),
        )
    except OhmskError as exc:
        raise OhmskError(f"weighting {ds.survey!r} to {path}: {exc}") from exc
    weights = result.weights.reindex(ds.frame.index).to_numpy(dtype=float)
    calibration = Calibration(_indicators(ds, margins), design.weights, weights)
    weighted = design.with_weights(weights, calibration, "raked to " + path.name)
    return SurveyWeights(ds.survey, config.get("use", "none"), frame, path, config.get("cap"), result, weighted)


def _indicators(ds: Dataset, margins: Mapping[str, Mapping[Code, float]]) -> np.ndarray:
    """One 0/1 column per category of every raking margin: the calibration variables."""
    columns = [ds.frame[var].to_numpy(dtype=float, na_value=np.nan) == code for var, m in margins.items() for code in m]
    return np.column_stack(columns).astype(float)


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
