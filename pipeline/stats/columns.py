"""A table's columns as domains of one design: their estimates, covariances and the rest.

A crosstab's columns (the total, or the codes of a subgroup variable) are disjoint domains of
the survey. For every row of the table (a category's share, a mean, a ratio) this module gives
each column's estimate, its design-based standard error and design effect, the covariance of
every pair of columns, and each column's covariance with "the rest" (the base outside it), so
subgroup tests need no second pass over respondents. The numbers are those of
:func:`pipeline.stats.estimators.ratio_estimates` on domain scores; for element samples without
calibration or replicates (each respondent its own PSU) they come from per-stratum moments in a
few ``bincount`` passes, which is what keeps tabulation with standard errors near the cost of
counting (the tests check both paths agree).

Reference: T. Lumley, *Complex Surveys*, Wiley, 2010, section 2.4 (domains), 3.4 (deff).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pipeline.stats.design import SurveyDesign
from pipeline.stats.estimators import ratio_estimates


@dataclass(frozen=True)
class ColumnStats:
    """One table row across k disjoint columns (positions 0..k-1) of a design.

    `rest_*` describe, for column j, everyone in the row's base outside column j; `df_pair`
    and `df_rest` are the design degrees of freedom of the subset of the two domains compared,
    less one (R's ``svyttest`` on that subset).
    """

    estimate: np.ndarray  # (k,)
    cov: np.ndarray  # (k, k)
    deff: np.ndarray  # (k,)
    rest_estimate: np.ndarray  # (k,)
    rest_var: np.ndarray  # (k,)
    rest_cov: np.ndarray  # (k,) covariance of column j with its rest
    df_pair: np.ndarray  # (k, k)
    df_rest: np.ndarray  # (k,)

    def se(self) -> np.ndarray:
        return np.sqrt(np.maximum(np.diag(self.cov), 0.0))

    def difference(self, j: int, other: int | None) -> tuple[float, float, int]:
        """Difference, its variance and test df: column j minus column `other` (None: the rest)."""
        if other is None:
            variance = self.cov[j, j] + self.rest_var[j] - 2 * self.rest_cov[j]
            return float(self.estimate[j] - self.rest_estimate[j]), float(variance), int(self.df_rest[j])
        variance = self.cov[j, j] + self.cov[other, other] - 2 * self.cov[j, other]
        return float(self.estimate[j] - self.estimate[other]), float(variance), int(self.df_pair[j, other])


def column_stats(
    design: SurveyDesign,
    base: np.ndarray,
    column: np.ndarray,
    size: int,
    numerator: np.ndarray,
    denominator: np.ndarray | None = None,
) -> list[ColumnStats]:
    """Per row (a column of `numerator`, n x r), the stats of `size` columns of one grouping.

    `base` marks who is in the row's base; `column` gives each respondent's column (0..size-1,
    or -1 for none, who still count in the rest); `denominator` (n) is 1 for means and shares
    when None, the ratio's denominator otherwise. Values outside the base are ignored.
    """
    y = np.where(base[:, None], np.asarray(numerator, dtype=float), 0.0)
    x = np.where(base, 1.0 if denominator is None else np.asarray(denominator, dtype=float), 0.0)
    counts = _domain_counts(design, base, column, size)
    if _moments_apply(design):
        return [_from_moments(design, base, column, size, y[:, r], x, counts) for r in range(y.shape[1])]
    return [_from_scores(design, base, column, size, y[:, r], x, counts) for r in range(y.shape[1])]


def _moments_apply(design: SurveyDesign) -> bool:
    """Whether per-stratum moments give the variance: one stage, element sampling, no
    calibration or replicate weights."""
    return (
        len(design.stages) == 1
        and design.stages[0].units == design.n
        and design.calibration is None
        and design.replicates is None
    )


@dataclass(frozen=True)
class _Counts:
    """Respondents by stratum and column (columns 0..k-1, then the base as column k), for
    degrees of freedom and the simple-random-sample variance of design effects."""

    by_stratum: np.ndarray  # (H, k + 1) respondents
    df_pair: np.ndarray
    df_rest: np.ndarray


def _domain_counts(design: SurveyDesign, base: np.ndarray, column: np.ndarray, size: int) -> _Counts:
    first = design.stages[0]
    strata = len(first.fraction)
    inside = base & (column >= 0)
    # PSUs with a member in each column, per stratum (a PSU is in a column if any member is)
    unit_col = np.unique(first.unit[inside] * size + column[inside])
    units, cols = np.divmod(unit_col, size)
    by_stratum = np.zeros((strata, size + 1), dtype=np.int64)
    np.add.at(by_stratum, (first.unit_stratum[units], cols), 1)
    base_units = np.unique(first.unit[base])
    by_stratum[:, size] = np.bincount(first.unit_stratum[base_units], minlength=strata)
    present = by_stratum > 0
    psus = by_stratum.sum(axis=0)
    # two disjoint columns: PSUs of either (shared PSUs counted once, as R counts a subset's)
    shared = _shared_units(first.unit[inside], column[inside], size)
    pair_psus = psus[:size, None] + psus[None, :size] - shared
    pair_strata = (present[:, :size, None] | present[:, None, :size]).sum(axis=0)
    df_pair = pair_psus - pair_strata - 1
    df_rest = np.full(size, psus[size] - int(present[:, size].sum()) - 1)
    return _Counts(by_stratum, df_pair, df_rest)


def _shared_units(unit: np.ndarray, column: np.ndarray, size: int) -> np.ndarray:
    """How many PSUs hold members of both columns j and l (zero for element samples)."""
    shared = np.zeros((size, size), dtype=np.int64)
    membership = np.unique(unit * size + column)
    units, cols = np.divmod(membership, size)
    if len(np.unique(units)) == len(units):
        return shared
    starts = np.flatnonzero(np.r_[True, units[1:] != units[:-1]])
    for group in np.split(cols, starts[1:]):
        if len(group) > 1:
            shared[np.ix_(group, group)] += 1
    np.fill_diagonal(shared, 0)
    return shared


def _from_moments(
    design: SurveyDesign, base: np.ndarray, column: np.ndarray, size: int, y: np.ndarray, x: np.ndarray,
    counts: _Counts,
) -> ColumnStats:  # fmt: skip
    """Covariances from per-(stratum, column) sums: element samples only.

    For disjoint domains j and l in stratum h, with scores s_i = w_i (y_i - R_j x_i) / X_j,
    Var R_j = sum_h c_h (sum s^2 - n_h mean(s)^2) and Cov(R_j, R_l) = -sum_h c_h n_h
    mean_j(s) mean_l(s), where c_h = (1 - f_h) n_h / (n_h - 1) and n_h counts every
    respondent of the stratum, in the domain or not.
    """
    first = design.stages[0]
    strata = len(first.fraction)
    w = design.weights
    cell = np.where(base & (column >= 0), first.unit_stratum[first.unit] * (size + 1) + column, -1)
    rest_cell = np.where(base, first.unit_stratum[first.unit] * (size + 1) + size, -1)
    keep, keep_base = cell >= 0, rest_cell >= 0

    def sums(values: np.ndarray) -> np.ndarray:
        found = np.bincount(cell[keep], weights=values[keep], minlength=strata * (size + 1))
        found = found.reshape(strata, size + 1)
        found[:, size] = np.bincount(
            first.unit_stratum[first.unit][keep_base], weights=values[keep_base], minlength=strata
        )
        return found

    wy, wx = sums(w * y), sums(w * x)
    wyy, wxy, wxx = sums(w * w * y * y), sums(w * w * x * y), sums(w * w * x * x)
    # the rest of column j: the base's sums less column j's
    rest = [m[:, size : size + 1] - m[:, :size] for m in (wy, wx, wyy, wxy, wxx)]
    cols = [m[:, :size] for m in (wy, wx, wyy, wxy, wxx)]
    n_h = first.sampled.astype(float)
    c_h = np.where(n_h > 1, (1 - first.fraction) * n_h / np.maximum(n_h - 1, 1), 0.0)

    def variance(m: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        sy, sx, syy, sxy, sxx = m
        with np.errstate(invalid="ignore", divide="ignore"):
            theta = sy.sum(axis=0) / sx.sum(axis=0)
            big_x = sx.sum(axis=0)
            mean_s = (sy - theta * sx) / big_x / n_h[:, None]
            squares = (syy - 2 * theta * sxy + theta**2 * sxx) / big_x**2
        var = np.sum(c_h[:, None] * (squares - n_h[:, None] * mean_s**2), axis=0)
        return theta, var, mean_s

    theta, var, mean_s = variance(cols)
    rest_theta, rest_var, rest_mean = variance(rest)
    cov = -np.einsum("h,hj,hl->jl", c_h * n_h, np.nan_to_num(mean_s), np.nan_to_num(mean_s))
    np.fill_diagonal(cov, var)
    rest_cov = -np.einsum("h,hj,hj->j", c_h * n_h, np.nan_to_num(mean_s), np.nan_to_num(rest_mean))
    with np.errstate(invalid="ignore", divide="ignore"):
        deff = var / _srs_variance(design, base, column, size, y, x, theta)
    return ColumnStats(theta, cov, deff, rest_theta, rest_var, rest_cov, counts.df_pair, counts.df_rest)


def _from_scores(
    design: SurveyDesign, base: np.ndarray, column: np.ndarray, size: int, y: np.ndarray, x: np.ndarray,
    counts: _Counts,
) -> ColumnStats:  # fmt: skip
    """Covariances from the design's own covariance of domain scores (any design)."""
    inside = np.zeros((design.n, size), dtype=bool)
    rows = np.flatnonzero(base & (column >= 0))
    inside[rows, column[rows]] = True
    rest = base[:, None] & ~inside
    masks = np.hstack([inside, rest])
    theta, cov = ratio_estimates(design, y[:, None] * masks, x[:, None] * masks)
    k = size
    with np.errstate(invalid="ignore", divide="ignore"):
        deff = np.diag(cov)[:k] / _srs_variance(design, base, column, size, y, x, theta[:k])
    return ColumnStats(
        theta[:k], cov[:k, :k], deff, theta[k:], np.diag(cov)[k:], np.diag(cov[:k, k:]).copy(),
        counts.df_pair, counts.df_rest,
    )  # fmt: skip


def _srs_variance(
    design: SurveyDesign, base: np.ndarray, column: np.ndarray, size: int, y: np.ndarray, x: np.ndarray,
    theta: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """Each column's variance under simple random sampling of its size (as in
    :func:`pipeline.stats.estimators.mean`'s design effect)."""
    inside = base & (column >= 0)
    g, w = column[inside], design.weights[inside]
    yy, xx = y[inside], x[inside]
    n = np.bincount(g, minlength=size).astype(float)
    psum = np.bincount(g, weights=w, minlength=size)
    sx = np.bincount(g, weights=w * xx, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        residual = yy - theta[g] * xx
        spread = np.bincount(g, weights=w * residual**2, minlength=size) / psum * n / (n - 1)
        correction = np.where(psum > n, (psum - n) / psum, 1.0)
        mean_x = sx / psum
        out = spread * correction / n / mean_x**2
    return np.where(n > 1, out, math.nan)
