"""Design stage: each survey's sample design, from its codebook's `design:` and report.yaml.

The design (R's ``svydesign``) is built once per survey from the respondent rows: the sampling
weights, strata and clusters the codebook names, the finite population correction (the
codebook's stage sizes or, where report.yaml's `fpc:` applies it to an element sample, the
population size), and any replicate weights. Every table, test and interval of the survey is
computed with it; weighting (stages/weighting.py) calibrates it. Which tests the survey's
tables use follows from it (:func:`test_method`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from pipeline.errors import OhmskError
from pipeline.stages.derive import Dataset
from pipeline.stats.design import Replicates, SurveyDesign, survey_design

TEST_METHODS = ("auto", "design", "classical")


def design_of(ds: Dataset, fpc: Mapping[str, Any] | None) -> SurveyDesign:
    """The survey's design: its codebook's `design:` block, with report.yaml's `fpc:` entry
    (`fpc`, or None where report.yaml has none) deciding whether the correction applies."""
    spec = ds.codebook.meta.get("design") or {}
    frame = ds.frame
    where = f"survey_specs/{ds.survey}.yaml, design"
    size = ds.codebook.meta.get("population", {}).get("size")
    stages_fpc: list = list(spec.get("fpc") or [])
    if fpc is not None and not fpc.get("apply"):
        stages_fpc = []
    elif fpc is not None and not stages_fpc:
        stages_fpc = [float(size)]  # validated: an applied fpc has the codebook's population size
    try:
        return survey_design(
            len(frame),
            weights=_column(ds, spec.get("weights"), positive=True),
            strata=_column(ds, spec.get("strata")),
            clusters=[_required(ds, c) for c in spec.get("clusters") or []],
            fpc=[_required(ds, v) if isinstance(v, str) else v for v in stages_fpc],
            nest=bool(spec.get("nest")),
            replicates=_replicates(ds, spec.get("replicates")),
            ids=frame.index.to_numpy(),  # the respondent ids
        )
    except OhmskError as exc:
        raise OhmskError(f"{where}: {exc}") from exc


def test_method(design: SurveyDesign, setting: str) -> str:
    """'classical' or 'design': report.yaml's `conventions.tests`, where 'auto' (the default)
    takes the classical tests only for an unweighted simple random sample with no correction
    and the design-based ones for any other design."""
    if setting not in TEST_METHODS:
        raise OhmskError(f"conventions.tests must be one of {', '.join(TEST_METHODS)}, not {setting!r}")
    if setting == "auto":
        return "classical" if design.simple else "design"
    return setting


def _column(ds: Dataset, name: str | None, positive: bool = False) -> np.ndarray | None:
    """A design variable's values, refusing missing (and, for weights, non-positive) ones with
    the respondents named."""
    if not name:
        return None
    values = ds.frame[name]
    bad = values.isna().to_numpy()
    if positive:
        bad = bad | ~(values.to_numpy(dtype=float, na_value=np.nan) > 0)
    if bad.any():
        ids = ds.frame.index[bad].tolist()
        shown = ", ".join(f"{i} ({v!r})" for i, v in zip(ids[:5], values[bad].tolist()[:5]))
        more = f" and {len(ids) - 5} more" if len(ids) > 5 else ""
        need = "a positive value" if positive else "a value"
        raise OhmskError(f"design variable {name!r} needs {need} for every respondent; respondents {shown}{more}")
    return values.to_numpy()


def _required(ds: Dataset, name: str) -> np.ndarray:
    found = _column(ds, name)
    assert found is not None, "a named design variable has values"
    return found


def _replicates(ds: Dataset, spec: Mapping[str, Any] | None) -> Replicates | None:
    """Replicate weights and their scale as R's svrepdesign sets it for each type."""
    if not spec:
        return None
    matrix = np.column_stack([ds.frame[c].to_numpy(dtype=float, na_value=np.nan) for c in spec["columns"]])
    if np.isnan(matrix).any() or (matrix < 0).any():
        raise OhmskError("replicate weights must be given, and not negative, for every respondent")
    count = matrix.shape[1]
    by_type = {
        "JK1": (count - 1) / count,
        "BRR": 1 / count,
        "Fay": 1 / (count * (1 - float(spec.get("rho") or 0)) ** 2),
        "bootstrap": 1 / (count - 1),
    }
    scale = spec.get("scale") or by_type[spec["type"]]  # validated: type 'other' gives a scale
    return Replicates(matrix, float(scale), np.ones(count), bool(spec.get("mse", True)))
