"""The survey design: how respondents were sampled, built once and passed to every estimator.

A :class:`SurveyDesign` is what R's ``svydesign`` (and ``svrepdesign``) returns: the analysis
weights, the strata, the sampling units of one or two stages, the finite population correction
of each stage, optional replicate weights, and the calibration that made the weights (so that
variances account for it). Estimators hand it the linearised scores (influence values) of what
they estimate; it returns their covariance.

Taylor linearisation follows R survey's ``svyrecvar``: at stage one, PSU totals of the scores
are centred on their stratum mean and summed as squares with the factor ``(1 - f_h) n_h /
(n_h - 1)``; when a stage-one correction is given and there is a second stage, each PSU adds its
SSUs' spread in the same way, times its stratum's stage-one sampling fraction (Särndal,
Swensson and Wretman 1992, Result 4.3.1). A stratum with one PSU is an error unless the PSU was
taken with certainty (R's ``lonely.psu = "fail"``). Domains keep the whole design: a score is
zero outside its domain, so PSUs without domain members still count (Lumley 2010, section 2.4).

References
----------
T. Lumley, *Complex Surveys: A Guide to Analysis Using R*, Wiley, 2010.
C.-E. Särndal, B. Swensson and J. Wretman, *Model Assisted Survey Sampling*, Springer, 1992.
J.-C. Deville and C.-E. Särndal, "Calibration estimators in survey sampling", JASA 87 (1992).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeAlias

import numpy as np
import pandas as pd

from pipeline.errors import OhmskError

ArrayLike: TypeAlias = Sequence | np.ndarray | pd.Series


@dataclass(frozen=True)
class Replicates:
    """Replicate weights and how their spread makes a variance (R's ``svrepdesign``).

    The variance of an estimate is ``scale * sum_r rscales[r] * (theta_r - centre)^2``, the
    centre being the full-sample estimate when `mse` and the replicates' mean otherwise.
    """

    weights: np.ndarray  # (n, R)
    scale: float
    rscales: np.ndarray  # (R,)
    mse: bool = True


@dataclass(frozen=True)
class Calibration:
    """What calibrated the weights, for the variance of calibrated estimators.

    Scores are replaced by their residuals from the weighted regression on the calibration
    variables (Deville and Särndal 1992), as R's ``svyrecvar`` does after ``calibrate()``:
    ``e = z - w * X @ beta`` with ``beta = (X' D X)^-1 X' (z / g)``, where D holds the
    weights before calibration, w those it made and g = w / d; all three are those of the
    calibration itself, so later trimming does not change the regression.
    """

    matrix: np.ndarray  # (n, p) calibration variables (model matrix)
    before: np.ndarray  # (n,) weights before calibration
    after: np.ndarray  # (n,) weights calibration made
    iterations: int = 0  # Newton steps it took (for the diagnostics)

    def residuals(self, scores: np.ndarray) -> np.ndarray:
        g = self.after / self.before
        cross = self.matrix.T @ (self.matrix * self.before[:, None])
        beta = np.linalg.lstsq(cross, self.matrix.T @ (scores / g[:, None]), rcond=None)[0]
        return scores - self.after[:, None] * (self.matrix @ beta)


@dataclass(frozen=True)
class Stage:
    """One sampling stage: each respondent's unit, each unit's stratum, each stratum's fraction.

    At stage one the strata are the design's strata; at stage two each PSU is the stratum its
    SSUs were drawn within. `fraction` is the sampling fraction n/N of each stratum (0 when no
    correction is given: sampling with replacement).
    """

    unit: np.ndarray  # (n,) unit code of each respondent, 0..units-1
    unit_stratum: np.ndarray  # (units,) stratum code of each unit
    fraction: np.ndarray  # (strata,) sampling fraction of each stratum
    has_fpc: bool
    labels: tuple  # stratum labels, for messages

    @property
    def units(self) -> int:
        return len(self.unit_stratum)

    @cached_property
    def sampled(self) -> np.ndarray:
        """Units sampled in each stratum."""
        return np.bincount(self.unit_stratum, minlength=len(self.fraction))

    @cached_property
    def respondent_stratum(self) -> np.ndarray:
        """The stratum of each respondent's unit."""
        return self.unit_stratum[self.unit]


@dataclass(frozen=True)
class SurveyDesign:
    """A sample design: weights, stages, replicates and calibration (see the module docstring).

    Build one with :func:`survey_design`; estimators in :mod:`pipeline.stats.estimators` take it.
    """

    weights: np.ndarray
    stages: tuple[Stage, ...]
    weighted: bool  # weights were given (not all equal by construction)
    replicates: Replicates | None = None
    calibration: Calibration | None = None
    ids: np.ndarray | None = None  # respondent ids, for messages
    description: str = field(default="simple random sample")

    @property
    def n(self) -> int:
        return len(self.weights)

    @cached_property
    def squared_weights(self) -> np.ndarray:
        return self.weights * self.weights

    @property
    def simple(self) -> bool:
        """An unweighted simple random sample with replacement: no strata, clusters, correction,
        replicates or calibration. The classical tests are valid here and only here."""
        first = self.stages[0]
        return (
            not self.weighted
            and len(self.stages) == 1
            and len(first.fraction) == 1
            and first.units == self.n
            and not first.has_fpc
            and self.replicates is None
            and self.calibration is None
        )

    @property
    def clustered(self) -> bool:
        return self.stages[0].units < self.n or len(self.stages) > 1

    def degf(self, inside: np.ndarray | None = None) -> int:
        """Design degrees of freedom: PSUs minus strata (R's ``degf``), counting only the PSUs
        and strata with a respondent in `inside` (a subset's, as R counts them); for replicate
        designs, the rank of the replicate weights minus one."""
        if self.replicates is not None:
            return int(np.linalg.matrix_rank(self.replicates.weights)) - 1
        first = self.stages[0]
        if first.units == self.n:  # each respondent its own PSU
            strata = first.respondent_stratum if inside is None else first.respondent_stratum[inside]
            return int(len(strata) - np.count_nonzero(np.bincount(strata, minlength=len(first.fraction))))
        units = first.unit if inside is None else first.unit[inside]
        present = np.unique(units)
        return int(len(present) - len(np.unique(first.unit_stratum[present])))

    def with_weights(self, weights: np.ndarray, calibration: Calibration | None, how: str) -> SurveyDesign:
        """The same design with new weights (`how` they were made, for descriptions), and the
        calibration behind them if any; None keeps the design's own calibration (trimming)."""
        return SurveyDesign(
            np.asarray(weights, dtype=float),
            self.stages,
            True,
            self.replicates,
            calibration if calibration is not None else self.calibration,
            self.ids,
            f"{self.description}, {how}",
        )

    def covariance(self, scores: np.ndarray) -> np.ndarray:
        """Taylor-linearised covariance of the totals of `scores` (n x k, or n).

        Scores are influence values already multiplied by the weights (R's ``x`` in
        ``svyrecvar``); a k-vector of estimates has a k x k covariance.
        """
        z = np.asarray(scores, dtype=float)
        z = z[:, None] if z.ndim == 1 else z
        if self.calibration is not None:
            z = self.calibration.residuals(z)
        first = self.stages[0]
        variance = _stage_variance(z, first)
        if len(self.stages) > 1 and first.has_fpc:
            # each PSU's spread of SSUs, times the stage-one fraction of the PSU's stratum
            share = first.fraction[first.unit_stratum]
            variance = variance + _stage_variance(z, self.stages[1], weight_of_stratum=share)
        return variance

    def replicate_covariance(self, full: np.ndarray, replicated: np.ndarray) -> np.ndarray:
        """Covariance from replicate estimates (R x k) around the full-sample ones (k)."""
        assert self.replicates is not None
        r = self.replicates
        centre = full if r.mse else replicated.mean(axis=0)
        spread = replicated - centre
        return float(r.scale) * (spread * r.rscales[:, None]).T @ spread


def _unit_totals(z: np.ndarray, unit: np.ndarray, units: int) -> np.ndarray:
    """Column totals of the scores within each sampling unit."""
    totals = np.empty((units, z.shape[1]))
    for j in range(z.shape[1]):
        totals[:, j] = np.bincount(unit, weights=z[:, j], minlength=units)
    return totals


def _stage_variance(z: np.ndarray, stage: Stage, weight_of_stratum: np.ndarray | None = None) -> np.ndarray:
    """One stage's between-unit covariance within strata, with the correction (1 - f)."""
    totals = _unit_totals(z, stage.unit, stage.units)
    strata = len(stage.fraction)
    sampled = stage.sampled
    means = np.empty((strata, z.shape[1]))
    for j in range(z.shape[1]):
        means[:, j] = np.bincount(stage.unit_stratum, weights=totals[:, j], minlength=strata)
    means /= np.maximum(sampled, 1)[:, None]
    centred = totals - means[stage.unit_stratum]
    factor = (1 - stage.fraction) * sampled / np.maximum(sampled - 1, 1)
    factor = np.where(sampled > 1, factor, 0.0)
    if weight_of_stratum is not None:
        factor = factor * weight_of_stratum
    return (centred * factor[stage.unit_stratum][:, None]).T @ centred


def survey_design(
    n: int,
    weights: ArrayLike | None = None,
    strata: ArrayLike | None = None,
    clusters: Sequence[ArrayLike] = (),
    fpc: Sequence[ArrayLike | float | None] = (),
    nest: bool = False,
    replicates: Replicates | None = None,
    ids: ArrayLike | None = None,
) -> SurveyDesign:
    """A design from per-respondent arrays, read as R's ``svydesign`` reads its arguments.

    Parameters
    ----------
    n : int
        Respondents.
    weights : array_like or None
        Sampling weights; None gives equal weights, or, with a correction at every stage, the
        inverse of the product of the stages' sampling fractions (as R does).
    strata : array_like or None
        Stratum of each respondent (stage one); None for one stratum.
    clusters : sequence of array_like
        The PSU of each respondent, then (optionally) its SSU; none for an element sample.
    fpc : sequence
        Per stage, a population size (values above 1: PSUs in the stratum at stage one, SSUs in
        the PSU at stage two) or a sampling fraction (values at most 1); a number or one value
        per respondent, constant within a stratum (stage one) or PSU (stage two).
    nest : bool
        PSU labels repeat across strata and mean different PSUs (R's ``nest = TRUE``).
    replicates : Replicates or None
        Replicate weights; the variance then comes from them instead of linearisation.
    ids : array_like or None
        Respondent ids, named in messages.
    """
    if n < 1:
        raise OhmskError("a design needs at least one respondent")
    if len(clusters) > 2 or len(fpc) > max(len(clusters), 1):
        raise OhmskError("a design has at most two stages, and a correction per stage at most")
    stratum, labels = _codes(strata, n, "strata")
    first_unit = _codes(clusters[0], n, "clusters (stage 1)")[0] if clusters else np.arange(n)
    if clusters and nest:
        first_unit = pd.factorize(pd.MultiIndex.from_arrays([stratum, first_unit]))[0]
    first = _stage(first_unit, stratum, labels, fpc[0] if fpc else None, "stage 1")
    stages = [first]
    if len(clusters) == 2:
        ssu = pd.factorize(pd.MultiIndex.from_arrays([first.unit, _codes(clusters[1], n, "clusters (stage 2)")[0]]))[0]
        psu_labels = tuple(range(first.units))
        stages.append(_stage(ssu, first.unit, psu_labels, fpc[1] if len(fpc) > 1 else None, "stage 2"))
    _check_lonely(stages)
    w = _weights(weights, stages, n)
    return SurveyDesign(
        w,
        tuple(stages),
        weights is not None or bool(np.ptp(w) > 0),
        replicates,
        None,
        None if ids is None else np.asarray(ids),
        _describe(strata is not None, len(clusters), any(s.has_fpc for s in stages), replicates),
    )


def _describe(stratified: bool, stages: int, corrected: bool, replicates: Replicates | None) -> str:
    kind = {0: "element sample", 1: "one-stage cluster sample", 2: "two-stage cluster sample"}[stages]
    if not stratified and stages == 0:
        kind = "simple random sample"
    parts = [("stratified " if stratified else "") + kind]
    if corrected:
        parts.append("with finite population correction")
    if replicates is not None:
        parts.append(f"with {replicates.weights.shape[1]} replicate weights")
    return ", ".join(parts)


def _codes(values: ArrayLike | None, n: int, what: str) -> tuple[np.ndarray, tuple]:
    if values is None:
        return np.zeros(n, dtype=np.intp), (None,)
    array = np.asarray(values, dtype=object)
    if len(array) != n:
        raise OhmskError(f"{what} must give one value per respondent ({len(array)} for {n})")
    codes, labels = pd.factorize(array)
    if (codes < 0).any():
        raise OhmskError(f"{what}: {int((codes < 0).sum())} respondent(s) have no value")
    return codes.astype(np.intp), tuple(labels)


def _stage(unit: np.ndarray, stratum: np.ndarray, labels: tuple, fpc: ArrayLike | float | None, where: str) -> Stage:
    """Units of one stage, each in one stratum, and the stage's sampling fraction per stratum."""
    units = int(unit.max()) + 1
    unit_stratum = np.full(units, -1, dtype=np.intp)
    unit_stratum[unit] = stratum
    if (unit_stratum[unit] != stratum).any():
        raise OhmskError(f"{where}: a sampling unit lies in more than one stratum (set nest: true if labels repeat)")
    sampled = np.bincount(unit_stratum, minlength=len(labels))
    if fpc is None:
        return Stage(unit, unit_stratum, np.zeros(len(labels)), False, labels)
    values = np.asarray(fpc, dtype=float)
    if values.ndim == 0:
        per = np.full(len(labels), float(values))
    else:
        if len(values) != len(stratum):
            raise OhmskError(f"{where}: fpc must give one value per respondent")
        per = np.full(len(labels), np.nan)
        per[stratum] = values
        if (per[stratum] != values).any() or np.isnan(values).any():
            raise OhmskError(f"{where}: fpc must be given for every respondent and constant within each stratum")
    if (per <= 0).any():
        raise OhmskError(f"{where}: fpc values must be positive")
    fraction = np.where(per <= 1, per, sampled / per)
    if (fraction > 1 + 1e-12).any():
        h = int(np.argmax(fraction))
        raise OhmskError(
            f"{where}: stratum {labels[h]!r} samples {sampled[h]} units from a population of {per[h]:g}; "
            f"a population size must be at least the number sampled"
        )
    return Stage(unit, unit_stratum, np.minimum(fraction, 1.0), True, labels)


def _check_lonely(stages: list[Stage]) -> None:
    """A stratum with one sampled unit has no variance estimate unless taken with certainty."""
    for number, stage in enumerate(stages, 1):
        lonely = np.flatnonzero((stage.sampled == 1) & (stage.fraction < 1))
        if len(lonely) and number == 1:
            raise OhmskError(
                f"stratum {stage.labels[lonely[0]]!r} has a single PSU; its variance cannot be estimated "
                f"(combine it with another stratum, or give a correction showing it was taken with certainty)"
            )
        if len(lonely) and number == 2 and stages[0].has_fpc:
            raise OhmskError(
                f"{len(lonely)} PSU(s) have a single SSU at stage 2 and were not fully enumerated; "
                f"their within-PSU variance cannot be estimated"
            )


def _weights(weights: ArrayLike | None, stages: list[Stage], n: int) -> np.ndarray:
    if weights is not None:
        w = np.asarray(weights, dtype=float)
        if len(w) != n or not (np.isfinite(w) & (w > 0)).all():
            bad = int((~(np.isfinite(w) & (w > 0))).sum()) if len(w) == n else len(w)
            raise OhmskError(f"weights must be one positive number per respondent ({bad} are not)")
        return w
    if all(s.has_fpc for s in stages):  # R: the weights follow from the sampling fractions
        probability = np.ones(n)
        for stage in stages:
            probability = probability * stage.fraction[stage.unit_stratum[stage.unit]]
        return 1 / probability
    return np.ones(n)
