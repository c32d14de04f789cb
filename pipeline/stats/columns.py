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

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pipeline.stats.design import SurveyDesign
from pipeline.stats.estimators import ratio_estimates, srs_variance


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
    total: np.ndarray  # (k,) each column's weighted total of y: the estimate's numerator
    weight: np.ndarray  # (k,) each column's weighted total of x (of the weights, for shares and means)

    def se(self) -> np.ndarray:
        return np.sqrt(np.maximum(np.diag(self.cov), 0.0))

    def difference(self, j: int, other: int | None) -> tuple[float, float, int]:
        """Difference, its variance and test df: column j minus column `other` (None: the rest)."""
        if other is None:
            variance = self.cov[j, j] + self.rest_var[j] - 2 * self.rest_cov[j]
            return float(self.estimate[j] - self.rest_estimate[j]), float(variance), int(self.df_rest[j])
        variance = self.cov[j, j] + self.cov[other, other] - 2 * self.cov[j, other]
        return float(self.estimate[j] - self.estimate[other]), float(variance), int(self.df_pair[j, other])


class Domains:
    """One grouping's `size` columns within one row base, set up once for its rows.

    `base` marks who is in the base; `column` gives each respondent's column (0..size-1, or -1
    for none, who still count in the rest). The respondents' cells, the counts behind degrees
    of freedom and the sums of weights are computed here once, and each row then costs its
    own sums only.
    """

    def __init__(self, design: SurveyDesign, base: np.ndarray, column: np.ndarray, size: int):
        self.design, self.base, self.column, self.size = design, base, column, size
        self.moments = _moments_apply(design)
        self.shape = (len(design.stages[0].fraction), size + 1)
        self.cell = _cells(design, base, column, size)
        if design.stages[0].units == design.n:  # each respondent its own PSU: respondents are PSUs
            self.respondents = _sums(self.cell, self.shape, np.ones(design.n))
        self.counts = _domain_counts(design, base, column, size, self)
        self._weight_sums: tuple[np.ndarray, np.ndarray] | None = None

    def weight_sums(self) -> tuple[np.ndarray, np.ndarray]:
        """Sums of w and of w^2 per (stratum, column): no further pass when weights are equal."""
        if self._weight_sums is None:
            w = self.design.weights
            if self.design.weighted:
                self._weight_sums = _sums(self.cell, self.shape, w), _sums(self.cell, self.shape, w * w)
            else:
                self._weight_sums = self.respondents * w[0], self.respondents * w[0] ** 2
        return self._weight_sums

    def rows(
        self, numerator: np.ndarray | list[np.ndarray], denominator: np.ndarray | None = None, shares: bool = False
    ) -> list[ColumnStats]:
        """Per row (a column of `numerator`, n x r, or one array of n per row): means, or with
        `shares` the shares of 0/1 indicators, or ratios to `denominator` (n). Values outside
        the base are ignored."""
        design, cell, shape = self.design, self.cell, self.shape
        columns = list(numerator.T) if isinstance(numerator, np.ndarray) and numerator.ndim == 2 else numerator
        x = np.ones(design.n) if denominator is None else np.asarray(denominator, dtype=float)
        if not self.moments:
            x = np.where(self.base, x, 0.0)
            return [_from_scores(self, np.where(self.base, np.asarray(y, dtype=float), 0.0), x) for y in columns]
        w, w2 = design.weights, design.squared_weights
        if shares and denominator is None:  # 0/1 values: y^2 = xy = y, x = 1
            w_sum, w2_sum = self.weight_sums()
            if design.weighted:
                wy = np.stack([_sums(cell, shape, w * y) for y in columns], axis=-1)
                squares = np.stack([_sums(cell, shape, w2 * y) for y in columns], axis=-1)
            else:
                wy = np.stack([_sums(cell, shape, y) for y in columns], axis=-1) * w[0]
                squares = wy * w[0]
            return _from_moments(
                design, _Moments(wy, w_sum, squares, squares, w2_sum, wy, wy, w_sum, w_sum), self.counts
            )
        weight_sums = [_sums(cell, shape, v) for v in (w * x, w2 * x * x, w * x * x, w)]
        ys = [np.asarray(column, dtype=float) for column in columns]

        def stacked(f: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
            return np.stack([_sums(cell, shape, f(y)) for y in ys], axis=-1)

        moments = _Moments(
            stacked(lambda y: w * y), weight_sums[0], stacked(lambda y: w2 * y * y), stacked(lambda y: w2 * x * y),
            weight_sums[1], stacked(lambda y: w * y * y), stacked(lambda y: w * x * y), *weight_sums[2:],
        )  # fmt: skip
        return _from_moments(design, moments, self.counts)

    def codes(self, code: np.ndarray, codes: int) -> list[ColumnStats]:
        """The shares of each of `codes` answer codes (`code`: each respondent's position, -1
        for none), all in one pass (the single-code case of :meth:`rows`, same results)."""
        design, size = self.design, self.size
        given = self.base & (code >= 0)
        if not self.moments:
            hit = np.zeros((design.n, codes))
            hit[np.flatnonzero(given), code[given]] = 1.0
            return self.rows(hit, shares=True)
        flat = self.cell[given] * codes + code[given]
        bins = self.shape[0] * (size + 1) * codes

        def by_code(values: np.ndarray | None) -> np.ndarray:
            weights = None if values is None else values[given]
            found = np.bincount(flat, weights=weights, minlength=bins).astype(float).reshape(-1, size + 1, codes)
            found[:, size] = found.sum(axis=1)
            return found

        w = design.weights
        if design.weighted:
            wy, squares = by_code(w), by_code(design.squared_weights)
        else:  # equal weights: every weighted sum is a count times the weight (or its square)
            wy = by_code(None) * w[0]
            squares = wy * w[0]
        w_sum, w2_sum = self.weight_sums()
        return _from_moments(design, _Moments(wy, w_sum, squares, squares, w2_sum, wy, wy, w_sum, w_sum), self.counts)


def column_stats(
    design: SurveyDesign,
    base: np.ndarray,
    column: np.ndarray,
    size: int,
    numerator: np.ndarray,
    denominator: np.ndarray | None = None,
) -> list[ColumnStats]:
    """Per row (a column of `numerator`, n x r), the stats of `size` columns of one grouping
    (see :class:`Domains`); 0/1 numerators are read as shares."""
    y = np.asarray(numerator, dtype=float)
    shares = denominator is None and bool(np.isin(y[base], (0.0, 1.0)).all())
    return Domains(design, base, column, size).rows(y, denominator, shares)


def code_column_stats(
    design: SurveyDesign, base: np.ndarray, column: np.ndarray, size: int, code: np.ndarray, codes: int
) -> list[ColumnStats]:
    """The shares of each answer code across `size` columns (see :meth:`Domains.codes`)."""
    return Domains(design, base, column, size).codes(code, codes)


@dataclass(frozen=True)
class _Moments:
    """Sums per (stratum, column; the base last) of w y, w x, w^2 y^2, w^2 x y, w^2 x^2 (for the
    design variance) and w y^2, w x y, w x^2, w (for the simple-random-sample variance)."""

    wy: np.ndarray
    wx: np.ndarray
    wyy: np.ndarray
    wxy: np.ndarray
    wxx: np.ndarray
    w1yy: np.ndarray
    w1xy: np.ndarray
    w1xx: np.ndarray
    w1: np.ndarray  # sums of the weights alone

    def split(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The columns' moments and each column's rest (the base's less the column's)."""
        size = self.wy.shape[1] - 1
        design_parts = tuple(_rows(a) for a in (self.wy, self.wx, self.wyy, self.wxy, self.wxx))
        return [m[:, :size] for m in design_parts], [m[:, size : size + 1] - m[:, :size] for m in design_parts]


def _cells(design: SurveyDesign, base: np.ndarray, column: np.ndarray, size: int) -> np.ndarray:
    """Each respondent's (stratum, column) cell, the column `size` for those in the base with no
    column, and one bin past the last for everyone outside the base (summed, then dropped)."""
    first = design.stages[0]
    stratum = first.respondent_stratum
    outside = len(first.fraction) * (size + 1)
    return np.where(base, stratum * (size + 1) + np.where(column >= 0, column, size), outside)


def _sums(cell: np.ndarray, shape: tuple[int, int], values: np.ndarray) -> np.ndarray:
    """Sums of `values` per (stratum, column), the last column holding the whole base's: one
    bincount over every respondent, those outside the base falling in a bin that is dropped."""
    strata, columns = shape
    found = np.bincount(cell, weights=values, minlength=strata * columns + 1)[: strata * columns]
    found = found.reshape(strata, columns)
    found[:, columns - 1] = found.sum(axis=1)
    return found


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


def _domain_counts(design: SurveyDesign, base: np.ndarray, column: np.ndarray, size: int, domains: Domains) -> _Counts:
    first = design.stages[0]
    strata = len(first.fraction)
    inside = base & (column >= 0)
    by_stratum = np.zeros((strata, size + 1), dtype=np.int64)
    if first.units == design.n:  # each respondent its own PSU: count respondents, nothing shared
        by_stratum = domains.respondents.astype(np.int64)
        shared = np.zeros((size, size), dtype=np.int64)
    else:  # PSUs with a member in each column, per stratum (a PSU is in a column if any member is)
        units, cols = np.divmod(np.unique(first.unit[inside] * size + column[inside]), size)
        np.add.at(by_stratum, (first.unit_stratum[units], cols), 1)
        by_stratum[:, size] = np.bincount(first.unit_stratum[np.unique(first.unit[base])], minlength=strata)
        # two disjoint columns: PSUs of either (shared PSUs counted once, as R counts a subset's)
        shared = _shared_units(first.unit[inside], column[inside], size)
    present = by_stratum > 0
    psus = by_stratum.sum(axis=0)
    pair_psus = psus[:size, None] + psus[None, :size] - shared
    pair_strata = (present[:, :size, None] | present[:, None, :size]).sum(axis=0)
    df_pair = pair_psus - pair_strata - 1
    df_rest = np.full(size, psus[size] - int(present[:, size].sum()) - 1)
    return _Counts(by_stratum, df_pair, df_rest)


def _shared_units(unit: np.ndarray, column: np.ndarray, size: int) -> np.ndarray:
    """How many PSUs hold members of both columns j and l."""
    shared = np.zeros((size, size), dtype=np.int64)
    units, cols = np.divmod(np.unique(unit * size + column), size)
    starts = np.flatnonzero(np.r_[True, units[1:] != units[:-1]])
    for group in np.split(cols, starts[1:]):
        if len(group) > 1:
            shared[np.ix_(group, group)] += 1
    np.fill_diagonal(shared, 0)
    return shared


def _from_moments(design: SurveyDesign, m: _Moments, counts: _Counts) -> list[ColumnStats]:
    """Covariances from per-(stratum, column) sums, for every row at once: element samples only.

    For disjoint domains j and l in stratum h, with scores s_i = w_i (y_i - R_j x_i) / X_j,
    Var R_j = sum_h c_h (sum s^2 - n_h mean(s)^2) and Cov(R_j, R_l) = -sum_h c_h n_h
    mean_j(s) mean_l(s), where c_h = (1 - f_h) n_h / (n_h - 1) and n_h counts every
    respondent of the stratum, in the domain or not. The moments are (stratum, column, row)
    arrays; sums shared by every row may be (stratum, column).
    """
    first = design.stages[0]
    n_h = first.sampled.astype(float)[:, None, None]
    c_h = np.where(n_h > 1, (1 - first.fraction[:, None, None]) * n_h / np.maximum(n_h - 1, 1), 0.0)
    cols, rest = m.split()

    def variance(parts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        sy, sx, syy, sxy, sxx = parts
        with np.errstate(invalid="ignore", divide="ignore"):
            big_x = sx.sum(axis=0)
            theta = sy.sum(axis=0) / big_x
            mean_s = (sy - theta * sx) / big_x / n_h
            squares = (syy - 2 * theta * sxy + theta**2 * sxx) / big_x**2
        return theta, np.sum(c_h * (squares - n_h * mean_s**2), axis=0), np.nan_to_num(mean_s)

    theta, var, mean_s = variance(cols)  # (columns, rows); mean_s (strata, columns, rows)
    rest_theta, rest_var, rest_mean = variance(rest)
    weight = (c_h * n_h)[:, 0, 0]
    cov = -np.einsum("h,hjr,hlr->rjl", weight, mean_s, mean_s)
    size = theta.shape[0]
    cov[:, np.arange(size), np.arange(size)] = var.T
    rest_cov = -np.einsum("h,hjr,hjr->jr", weight, mean_s, rest_mean)
    empty = ~np.isfinite(theta)  # a column with nobody in it has no estimate, and no covariance
    for r in np.flatnonzero(empty.any(axis=0)):
        cov[r][empty[:, r], :], cov[r][:, empty[:, r]] = np.nan, np.nan
    rest_cov[empty] = np.nan
    psum, big_x, syy, sxy, sxx = (_rows(a)[:, :size].sum(axis=0) for a in (m.w1, m.wx, m.w1yy, m.w1xy, m.w1xx))
    spread = syy - 2 * theta * sxy + theta**2 * sxx
    n = counts.by_stratum[:, :size].sum(axis=0).astype(float)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        deff = var / srs_variance(spread, n, psum, big_x)
    totals, weights = cols[0].sum(axis=0), cols[1].sum(axis=0)
    return [
        ColumnStats(
            theta[:, r],
            cov[r],
            deff[:, r],
            rest_theta[:, r],
            rest_var[:, r],
            rest_cov[:, r],
            counts.df_pair,
            counts.df_rest,
            totals[:, r],
            np.broadcast_to(weights, theta.shape)[:, r],
        )  # fmt: skip
        for r in range(theta.shape[1])
    ]


def _rows(a: np.ndarray) -> np.ndarray:
    """A (stratum, column) sum shared by every row, as a (stratum, column, 1) array."""
    return a if a.ndim == 3 else a[..., None]


def _from_scores(domains: Domains, y: np.ndarray, x: np.ndarray) -> ColumnStats:
    """Covariances from the design's own covariance of domain scores (any design)."""
    design, base, column, size = domains.design, domains.base, domains.column, domains.size
    inside = np.zeros((design.n, size), dtype=bool)
    rows = np.flatnonzero(base & (column >= 0))
    inside[rows, column[rows]] = True
    rest = base[:, None] & ~inside
    masks = np.hstack([inside, rest])
    theta, cov = ratio_estimates(design, y[:, None] * masks, x[:, None] * masks)
    k = size
    with np.errstate(invalid="ignore", divide="ignore"):
        deff = np.diag(cov)[:k] / _srs_variance(design, base, column, size, y, x, theta[:k])
    counts = domains.counts
    w = design.weights
    return ColumnStats(
        theta[:k], cov[:k, :k], deff, theta[k:], np.diag(cov)[k:], np.diag(cov[:k, k:]).copy(),
        counts.df_pair, counts.df_rest, w @ (y[:, None] * inside), w @ (x[:, None] * inside),
    )  # fmt: skip


def _srs_variance(
    design: SurveyDesign, base: np.ndarray, column: np.ndarray, size: int, y: np.ndarray, x: np.ndarray,
    theta: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """Each column's variance under simple random sampling of its size, from respondents."""
    inside = base & (column >= 0)
    g, w, yy, xx = column[inside], design.weights[inside], y[inside], x[inside]

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(g, weights=values, minlength=size)

    with np.errstate(invalid="ignore", divide="ignore"):
        spread = total(w * (yy - theta[g] * xx) ** 2)
        return srs_variance(spread, np.bincount(g, minlength=size).astype(float), total(w), total(w * xx))
