"""Wave on wave: the change in every comparable share since the previous wave, tested.

A data folder declares its wave in `wave.yaml` (`wave: "2026"`, `previous: <folder of the
previous wave, relative to this one>`, optionally `previous_wave: "2018"`). Both folders go
through the same stages; a share is comparable when both waves have its cell (same table,
series, category and column). Questions whose wording or codes differ between the two files'
metadata are flagged, since their change may be an artefact of the question.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .load import load
from .safecsv import Writer
from .significance import compare_proportions
from .specs import Codebook
from .present import Formats
from .render import exhibit_label
from .tabulate import TOTAL, Table

@dataclass(frozen=True)
class Change:
    """One share in both waves, the change in percentage points and its test."""

    table: str
    series: str
    column: str
    category: object
    label: str
    previous: float
    current: float
    base_previous: int
    base_current: int
    pvalue: float
    significant: bool

    @property
    def points(self) -> float:
        return self.current - self.previous


def changes(current: dict[str, Table], previous: dict[str, Table], level: float = 0.95) -> list[Change]:
    """Every share both waves have, with a two-sample test of the two waves' proportions."""
    out = []
    for tid, table in current.items():
        if tid not in previous:
            continue
        now = _shares(table)
        then = _shares(previous[tid])
        for key in now.index.intersection(then.index):
            a, b = then.loc[key], now.loc[key]
            if a["base"] <= 0 or b["base"] <= 0 or math.isnan(a["value"]) or math.isnan(b["value"]):
                continue
            test = compare_proportions(a["value"] / 100 * a["n_eff"], a["n_eff"], b["value"] / 100 * b["n_eff"],
                                       b["n_eff"], level=level)
            out.append(Change(tid, key[0], key[1], b["category"], f"{b['series_label']}: {b['category_label']}",
                              float(a["value"]), float(b["value"]), int(a["base"]), int(b["base"]),
                              test.pvalue, test.significant))
    return out


def _shares(table: Table) -> pd.DataFrame:
    c = table.cells[(table.cells["stat"] == "pct") & (table.cells["flag"] != "suppressed")]
    return c.set_index([c["series"], c["column"], c["category"].map(repr)])


def changed_questions(book: Codebook, data_dir: Path, previous_dir: Path) -> list[dict]:
    """Variables whose label or value labels differ between the two waves' files."""
    now, then = load(book, data_dir), load(book, previous_dir)
    flagged = []
    for var in sorted(set(now.frame.columns) & set(then.frame.columns)):
        what = []
        if now.variable_labels.get(var) != then.variable_labels.get(var):
            what.append("wording")
        if now.value_labels.get(var) != then.value_labels.get(var):
            what.append("codes")
        if what:
            flagged.append({"survey": book.survey, "variable": var, "changed": " and ".join(what),
                            "previous": then.variable_labels.get(var) or "", "current": now.variable_labels.get(var) or ""})
    return flagged


def question_changed(change: Change, flagged: list[dict]) -> bool:
    """Whether the share's question (or one of its multi-code items) was flagged as changed."""
    return any(change.series == q["variable"] or q["variable"].startswith(f"{change.series}_")
               or change.series.startswith(f"{q['variable']}_") for q in flagged)


def write_changes(found: list[Change], flagged: list[dict], path: Path) -> None:
    """Every comparable share with both waves' values, the change and its test."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = Writer(fh)
        w.writerow(["table_id", "series", "column", "category", "label", "previous", "current",
                    "change_points", "base_previous", "base_current", "p_value", "significant",
                    "question_changed"])
        for c in found:
            w.writerow([c.table, c.series, c.column, c.category, c.label, f"{c.previous:.6f}",
                        f"{c.current:.6f}", f"{c.points:.6f}", c.base_previous, c.base_current,
                        f"{c.pvalue:.6f}", int(c.significant), int(question_changed(c, flagged))])


def changes_frame(found: list[Change], flagged: list[dict], exhibits: dict,
                  formats: Formats = Formats()) -> pd.DataFrame:
    """The all-respondents changes as a spreadsheet table: numbers as numbers, rounded as printed."""
    rows = [{"Exhibit": exhibit_label(exhibits, c.table, c.table),
             "Share": c.label + (" (question changed)" if question_changed(c, flagged) else ""),
             "Previous wave (%)": formats.rounded(c.previous), "This wave (%)": formats.rounded(c.current),
             "Change (points)": formats.rounded(c.points), "p-value": round(c.pvalue, 4),
             "Significant": "yes" if c.significant else "no"}
            for c in found if c.column == TOTAL]
    return pd.DataFrame(rows)
