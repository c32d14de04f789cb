"""Rows for the generated appendices: reproduction audit, data quality, weighting and codebooks.

Each function turns one stage's output into plain rows a template prints, so the appendices
describe exactly the data and specs the build used.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd

from pipeline.errors import SpecError
from pipeline.present.exhibits import Exhibit, exhibit_label
from pipeline.present.formats import fmt_number
from pipeline.spec.objects import Codebook, Variable
from pipeline.stages.audit import NOT_SHOWN, AuditRow, ClaimRow
from pipeline.stages.clean import CleanData
from pipeline.stages.derive import Dataset
from pipeline.stages.tabulate import TOTAL, Table


@dataclass(frozen=True)
class AuditLine:
    """One published statistic beside ours, described in our exhibit numbering."""

    survey: str
    id: str
    source: str
    exhibit: str
    statistic: str
    published: str
    ours: str
    agrees: str
    note: str


def _describe(
    tables: dict[str, Table], table: str, series: str | None, category: int | str | None, column: str, stat: str
) -> str:
    """'Series: category (column)' in words, from the cell's own labels (a cell this wave's
    table lacks, e.g. a category outside a top-N list, is named by its address)."""
    try:
        row = tables[table].cell(series, category, column, stat)
    except SpecError:
        return f"{series or ''} {category if category is not None else ''} ({column}, {stat}): not in this wave's table"
    parts = [str(row["series_label"])]
    if category is not None:
        parts.append(str(row["category_label"]))
    if stat in ("mean", "median", "ratio", "base", "n"):
        parts.append({"n": "number", "ratio": "share of the total"}.get(stat, stat))
    text = ": ".join(p for p in parts if p)
    return f"{text} ({row['column_label']})" if column != TOTAL else text


def audit_lines(rows: list[AuditRow], tables: dict[str, Table], exhibits: dict[str, Exhibit]) -> list[AuditLine]:
    """Every published statistic against the cell that reproduces it (as published: a
    withheld cell's figure and match are not shown)."""
    out = []
    for r in rows:
        t, shown = r.target, r.as_dict()
        out.append(
            AuditLine(
                t.survey,
                t.id,
                t.figure,
                exhibit_label(exhibits, t.table, "text"),
                _describe(tables, t.table, t.series, t.category, t.column, t.stat),
                t.published,
                shown["computed"],
                shown["match"],
                t.contradiction,
            )
        )
    return out


def claim_lines(rows: list[ClaimRow], tables: dict[str, Table], exhibits: dict[str, Exhibit]) -> list[AuditLine]:
    """Every stated subgroup difference, what the source says of it and what our test finds."""
    out = []
    for r in rows:
        c = r.claim
        cells = [tables[c.table].cell(c.series, c.category, col, c.stat)["column_label"] for col in c.columns]
        what = _describe(tables, c.table, c.series, c.category, TOTAL, c.stat)
        shown = r.as_dict()
        agrees = {"n/a": "not claimed"}.get(shown["match"], shown["match"])
        out.append(
            AuditLine(
                c.survey,
                c.id,
                c.figure,
                exhibit_label(exhibits, c.table, "text"),
                f"{what}: {cells[0]} vs {cells[1]}",
                c.claim.replace("_", " "),
                shown["computed"].split(" [")[0],
                agrees,
                c.contradiction,
            )
        )
    return out


@dataclass(frozen=True)
class AuditGroup:
    """The published statistics one exhibit of this edition reproduces, counted."""

    survey: str
    exhibit: str
    sources: str  # the 2020 exhibits they were printed in
    figures: int
    reproduced: int
    not_reproduced: str  # their ids
    withheld: str  # the ids whose cell this edition withholds (neither figure nor match shown)


def audit_groups(lines: list[AuditLine]) -> list[AuditGroup]:
    """The audit by survey and exhibit, in the order the figures were published: the print
    edition's summary of a listing too long to read on paper (the HTML and audit.csv have it)."""
    groups: dict[tuple[str, str], list[AuditLine]] = {}
    for line in lines:
        groups.setdefault((line.survey, line.exhibit), []).append(line)
    return [
        AuditGroup(
            survey,
            exhibit,
            "; ".join(dict.fromkeys(g.source for g in group)),
            len(group),
            sum(g.agrees == "yes" for g in group),
            ", ".join(g.id for g in group if g.agrees == "no"),
            ", ".join(g.id for g in group if g.agrees == NOT_SHOWN),
        )
        for (survey, exhibit), group in groups.items()
    ]


@dataclass(frozen=True)
class QualityIssue:
    """Warnings of one rule on one variable, counted, with the respondents concerned."""

    variable: str
    rule: str
    count: int
    respondents: str


def quality_issues(cleaned: CleanData, shown: int = 8) -> list[QualityIssue]:
    """The cleaning log's warnings grouped by variable and rule; ids listed up to `shown`."""
    groups: dict[tuple[str, str], list[str]] = {}
    for p in cleaned.log:
        if p.severity == "warning":
            groups.setdefault((p.variable, p.rule), []).append(p.respondent)
    out = []
    for (variable, rule), ids in groups.items():
        listed = ", ".join(i for i in ids[:shown] if i != "-")
        more = len(ids) - shown
        out.append(QualityIssue(variable, rule, len(ids), listed + (f" and {more} more" if more > 0 else "")))
    return out


def missing_counts(cleaned: CleanData) -> list[dict]:
    """How many answers were user-missing codes ("don't know", "refused") per question."""
    book = cleaned.codebook
    rows = []
    for var in book.variables.values():
        counts: Counter = Counter()
        for col in var.columns:
            if col in cleaned.missing:
                counts.update(cleaned.missing[col].dropna().astype(int))
            elif col in cleaned.frame and var.missing:
                counts.update(cleaned.frame[col][cleaned.frame[col].isin(list(var.missing))].astype(int))
        if counts:
            rows.append(
                {
                    "variable": var.name,
                    "label": var.label,
                    "codes": "; ".join(f"{var.missing.get(code, code)}: {n}" for code, n in sorted(counts.items())),
                }
            )
    return rows


def _codes_text(codes: dict[int, str]) -> str:
    return "; ".join(f"{code} {label}" for code, label in codes.items())


def codebook_rows(book: Codebook, dataset: Dataset) -> list[dict]:
    """Every question and derived variable: wording, type, codes, who was asked, base."""
    rows = []
    for var in book.variables.values():
        rows.append(
            {
                "name": var.name,
                "label": var.label,
                "type": var.type,
                "codes": _codes_text(var.codes) or _range_text(var),
                "missing": _codes_text(var.missing),
                "asked": var.asked,
                "base": _base(dataset, var.name, var.type),
            }
        )
    for der in book.derived.values():
        rows.append(
            {
                "name": der.name,
                "label": der.label,
                "type": f"derived ({der.kind})",
                "codes": _codes_text(der.labels),
                "missing": "",
                "asked": der.asked or (f"as {der.of}" if der.of else "all"),
                "base": _base(dataset, der.name, "derived"),
            }
        )
    return rows


def _range_text(var: Variable) -> str:
    if var.range is None:
        return ""
    lo, hi = var.range
    return f"{fmt_number(lo)} to {fmt_number(hi)}"


def _base(dataset: Dataset, name: str, vtype: str) -> int | str:
    """Respondents the variable applies to (the base of any table on it)."""
    if vtype == "id":
        return len(dataset.frame)
    asked = dataset.asked.get(name)
    return int(asked.sum()) if asked is not None else ""


def weight_spread(weights: pd.Series) -> list[dict]:
    """Quantiles of the weights relative to their mean: how unequal the weighting is."""
    relative = weights / weights.mean()
    points = [("Smallest", 0.0), ("Lower quartile", 0.25), ("Median", 0.5), ("Upper quartile", 0.75), ("Largest", 1.0)]
    return [
        {"label": label, "weight": float(weights.quantile(q)), "relative": float(relative.quantile(q))}
        for label, q in points
    ]


def weight_bands(weights: pd.Series, edges: tuple[float, ...] = (0.5, 0.8, 1.25, 2.0)) -> list[dict]:
    """Respondents by weight relative to the mean, in bands a reader can scan for outliers."""
    relative = weights / weights.mean()
    bounds = [0.0, *edges, float("inf")]
    rows = []
    for lo, hi in zip(bounds, bounds[1:]):
        n = int(((relative >= lo) & (relative < hi)).sum())
        label = (
            f"under {fmt_number(hi, 2)}"
            if lo == 0
            else f"{fmt_number(lo, 2)} or more"
            if hi == float("inf")
            else f"{fmt_number(lo, 2)} to under {fmt_number(hi, 2)}"
        )
        rows.append({"label": label + " times the mean", "n": n, "pct": 100 * n / len(weights)})
    return rows
