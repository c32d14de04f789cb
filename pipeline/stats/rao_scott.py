"""Rao-Scott corrected chi-square test of independence in a two-way table of a survey.

Pearson's X^2 assumes a simple random sample. Rao and Scott correct it with the eigenvalues
delta of the design effect matrix of the interaction contrasts: the first-order correction
divides X^2 by their mean (a chi-square on (r-1)(c-1) df); the second-order one divides it by
their sum and refers it to an F distribution on d and d x (design df) degrees of freedom,
d = (sum delta)^2 / sum delta^2. These are R survey's ``svychisq(statistic = "Chisq")`` and
its default ``statistic = "F"``.

References
----------
J. N. K. Rao and A. J. Scott, "On chi-squared tests for multiway contingency tables with cell
proportions estimated from survey data", Annals of Statistics 12 (1984), 46-60.
D. R. Thomas and J. N. K. Rao, "Small-sample comparisons of level and power for simple
goodness-of-fit statistics under cluster sampling", JASA 82 (1987), 630-636.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.errors import OhmskError
from pipeline.stats.design import ArrayLike, SurveyDesign
from pipeline.stats.estimators import ratio_estimates


@dataclass(frozen=True)
class TableTest:
    """The corrected statistic, its degrees of freedom and p-value."""

    test: str  # "Rao-Scott F" or "Rao-Scott chi-square"
    statistic: float
    df: tuple[float, ...]  # (ndf, ddf) for F, (df,) for chi-square
    pvalue: float
    pearson: float  # the uncorrected Pearson X^2 on the table scaled to the sample size


def rao_scott(
    design: SurveyDesign, rows: ArrayLike, columns: ArrayLike, statistic: str = "F", domain: ArrayLike | None = None
) -> TableTest:
    """Test that `rows` and `columns` (one code per respondent; missing codes left out, as R's
    ``na.rm``) are independent in the population, with the Rao-Scott correction."""
    if statistic not in ("F", "Chisq"):
        raise OhmskError(f"statistic must be 'F' or 'Chisq', not {statistic!r}")
    r_codes, c_codes = pd.Series(np.asarray(rows, dtype=object)), pd.Series(np.asarray(columns, dtype=object))
    inside = (r_codes.notna() & c_codes.notna()).to_numpy()
    if domain is not None:
        inside &= np.asarray(domain, dtype=bool)
    r_pos, r_levels = pd.factorize(r_codes.where(inside), sort=True)
    c_pos, c_levels = pd.factorize(c_codes.where(inside), sort=True)
    nr, nc = len(r_levels), len(c_levels)
    if nr < 2 or nc < 2:
        raise OhmskError("a test of independence needs at least two rows and two columns with respondents")
    cell = np.where(inside, c_pos * nr + r_pos, -1)  # R's interaction(): the row factor varies fastest
    indicators = np.zeros((design.n, nr * nc))
    indicators[np.flatnonzero(inside), cell[inside]] = 1.0
    share, cov = ratio_estimates(design, indicators, np.repeat(inside[:, None], nr * nc, axis=1).astype(float))
    n = int(inside.sum())
    contrasts = _interaction_contrasts(nr, nc)
    inverse = np.diag(np.where(share > 0, 1 / np.where(share > 0, share, 1), 0.0))
    denominator = contrasts.T @ (inverse / n) @ contrasts
    numerator = contrasts.T @ inverse @ cov @ inverse @ contrasts
    delta = np.linalg.solve(denominator, numerator)
    pearson = _pearson(share.reshape(nc, nr).T * n)
    trace, trace_sq = float(np.trace(delta)), float(np.trace(delta @ delta))
    if statistic == "Chisq":
        value = pearson / (trace / delta.shape[0])
        df = (nr - 1) * (nc - 1)
        return TableTest("Rao-Scott chi-square", value, (float(df),), float(stats.chi2.sf(value, df)), pearson)
    d0 = trace**2 / trace_sq
    ddf = d0 * design.degf(inside)
    value = pearson / trace
    return TableTest("Rao-Scott F", value, (d0, ddf), float(stats.f.sf(value, d0, ddf)), pearson)


def _interaction_contrasts(nr: int, nc: int) -> np.ndarray:
    """The interaction columns of the saturated model for an nr x nc table, made orthogonal
    to the main effects (R's ``qr.resid`` of ``~ rows * cols`` on ``~ rows + cols``), cells
    ordered with the row varying fastest."""
    r = np.tile(np.arange(nr), nc)
    c = np.repeat(np.arange(nc), nr)
    main = np.column_stack([np.ones(nr * nc), *(r == i for i in range(1, nr)), *(c == j for j in range(1, nc))])
    interaction = np.column_stack([(r == i) & (c == j) for j in range(1, nc) for i in range(1, nr)]).astype(float)
    beta = np.linalg.lstsq(main, interaction, rcond=None)[0]
    return interaction - main @ beta


def _pearson(table: np.ndarray) -> float:
    """Pearson's X^2 for independence, without continuity correction."""
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.nansum((table - expected) ** 2 / expected))
