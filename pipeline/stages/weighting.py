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
from pipeline.stats.calibrate import calibrate, trim_weights
from pipeline.stats.calibration import Code, WeightResult, as_counts, is_share, rake, resolve_margin, weight_diagnostics
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
    method: str = "rake"  # how the weights were made: rake, linear or logit (report.yaml `method`)

    @property
    def applied(self) -> bool:
        """Whether the survey's tables are weighted (not only raked for the diagnostics)."""
        return self.use != "none"


def describe(sw: SurveyWeights, ds: Dataset) -> str:
    """What a weighted table is weighted to, in the words its notes, CSV and sheet print:
    the method, the frame's file, its population and variables, and whether it is assumed."""
    variables = " and ".join(ds.codebook.label(var).lower() for var in sw.frame["margins"])
    assumed = "; an assumed profile" if sw.frame["source"] == "assumed" else ""
    words = METHOD_WORDS[sw.method]
    return f"{words} to {sw.frame_path.name} ({sw.frame['population']}, by {variables}{assumed})"


METHOD_WORDS = {
    "rake": "rim weights",
    "linear": "linear (GREG) calibration weights",
    "logit": "logit-bounded calibration weights",
}


def weigh(ds: Dataset, config: dict, frame_spec: Frame, path: Path, design: SurveyDesign) -> SurveyWeights:
    """Weight one survey's design weights to its (validated) population frame, as configured
    in report.yaml: raking, or linear or bounded-logit calibration to the frame's margins, then
    any trimming. The weighted design's variances account for the weighting: the margins'
    categories are its calibration variables (as R's ``calibrate()`` treats them)."""
    frame = frame_spec.model_dump()
    margins: dict[str, Mapping[Code, float]] = {
        var: {int(k): float(v) for k, v in m.items()} for var, m in frame["margins"].items()
    }
    if design.replicates is not None:
        raise OhmskError(
            f"weighting {ds.survey!r} to {path}: the survey has replicate weights, which carry the producer's "
            f"weighting; weighting them again is not supported (remove the frame, or the replicate weights)"
        )
    method = config.get("method", "rake")
    try:
        if method == "rake":
            result = rake(
                ds.frame,
                margins,
                weight=pd.Series(design.weights, index=ds.frame.index),
                cap=config.get("cap"),
                tol=float(config.get("tol", 1e-6)),
                max_iter=int(config.get("max_iter", 100)),
            )
            weights = result.weights.reindex(ds.frame.index).to_numpy(dtype=float)
            calibration = Calibration(_indicators(ds, margins), design.weights, weights, result.diagnostics.iterations)
            weighted = design.with_weights(weights, calibration, "raked to " + path.name)
        else:
            weighted = _calibrated(ds, design, margins, method, config)
        if config.get("trim"):
            weighted = _trimmed(weighted, config["trim"])
    except OhmskError as exc:
        raise OhmskError(f"weighting {ds.survey!r} to {path}: {exc}") from exc
    if method != "rake" or config.get("trim"):
        result = _result(ds, weighted, config)
    use, cap = config.get("use", "none"), config.get("cap")
    return SurveyWeights(ds.survey, use, frame, path, cap, result, weighted, method)


def _calibrated(
    ds: Dataset, design: SurveyDesign, margins: Mapping[str, Mapping[Code, float]], method: str, config: dict
) -> SurveyDesign:
    """Linear or logit calibration to the margins' category totals (shares scaled to the total
    of a count margin, or of the design weights)."""
    for var, m in margins.items():  # every respondent in a category, every category held (as rake checks)
        resolve_margin(var, ds.frame[var].to_numpy(), m)
    counts = [np.array(list(m.values()), dtype=float) for m in margins.values()]
    count_margins = [c for c in counts if not is_share(c)]
    total = float(count_margins[0].sum()) if count_margins else float(design.weights.sum())
    targets = np.concatenate([as_counts(c, total) for c in counts])
    bounds = tuple(config["bounds"]) if config.get("bounds") else None
    return calibrate(
        design, _indicators(ds, margins), targets, method, bounds, tol=float(config.get("tol", 1e-6)),
        max_iter=int(config.get("max_iter", 100)),
    )  # fmt: skip


def _trimmed(design: SurveyDesign, trim: Mapping) -> SurveyDesign:
    """The weights cut to report.yaml's bounds (multiples of the mean weight)."""
    mean = float(design.weights.mean())
    lower = trim["lower"] * mean if trim.get("lower") else -np.inf
    upper = trim["upper"] * mean if trim.get("upper") else np.inf
    return trim_weights(design, lower, upper, bool(trim.get("strict")))


def _result(ds: Dataset, design: SurveyDesign, config: dict) -> WeightResult:
    """Diagnostics of weights made by calibration or trimming."""
    w = design.weights
    trim = config.get("trim") or {}
    mean = float(w.mean())
    at_bounds = int(np.sum(np.isclose(w, (trim.get("upper") or np.inf) * mean)))
    at_bounds += int(np.sum(np.isclose(w, (trim.get("lower") or -np.inf) * mean)))
    iterations = design.calibration.iterations if design.calibration is not None else 0
    return WeightResult(pd.Series(w, index=ds.frame.index), weight_diagnostics(w, iterations, True, at_bounds, ()))


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
