"""Wave on wave: the change in every comparable figure since the previous wave, tested where a
test can be made from the cells, and the questions added, dropped or changed between the waves.

A data folder declares its wave in `wave.yaml` (`wave: "2026"`, `previous: <folder of the
previous wave, relative to this one>`, optionally `previous_wave: "2018"`); each survey's wave
labels come from the two folders' `edition.yaml`. Both folders go through the same stages, the
previous one read for what it has (pipeline.stages.clean.clean), so a question added since leaves
its figures without a previous value rather than stopping the build. A figure is comparable
when both waves have its cell (same table, series, column, category and statistic) with a base.

Tests, two-sided at the report's level, on each wave's cell as tabulated. Where either wave's
table takes design-based tests (pipeline.stages.sampling.test_method), every statistic with a
design-based standard error (shares, means, ratios, medians) is tested by the Wald z-test for
two independent samples on those standard errors (pipeline.stats.significance.compare_independent;
Lumley, *Complex Surveys*, 2010, section 5.2). Otherwise, the classical tests:
- shares: the pooled two-proportion z-test on the effective (Kish) bases, or Fisher's exact test
  where an expected count is small (pipeline.stats.significance.compare_proportions; Agresti,
  *Categorical Data Analysis*, 3rd ed., 2013, sections 3.1 and 3.5);
- means: Welch's t-test on the cells' means, standard deviations and effective bases
  (pipeline.stats.significance.compare_means; Welch, Biometrika 34, 1947);
- medians and ratios: the change is reported without a test. Their sampling variance needs
  the respondent rows (a median's through its density, a ratio's through linearisation of
  numerator and denominator), which the cells do not carry; rather than a test resting on an
  assumed distribution, the change is listed with `test` empty and never called significant.
  The appendix then shows them when the change is large (report.yaml `waves: show_percent`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.spec.objects import Codebook
from pipeline.stages.load import RawData, load
from pipeline.stages.tabulate import TOTAL, Table
from pipeline.stats.significance import MeanSummary, compare_independent, compare_means, compare_proportions

COMPARED = ("pct", "mean", "median", "ratio")
UNTESTED = "not tested (needs respondent rows)"


@dataclass(frozen=True)
class Change:
    """One figure in both waves, its change and (for shares and means) its test."""

    table: str
    series: str
    column: str
    category: object
    label: str
    previous: float
    current: float
    base_previous: int
    base_current: int
    pvalue: float  # NaN where no test is made (medians, ratios)
    significant: bool
    stat: str = "pct"
    survey: str = ""
    test: str = ""  # the test's name; empty where none is made

    @property
    def points(self) -> float:
        """The change: percentage points for shares, the statistic's own units otherwise."""
        return self.current - self.previous

    @property
    def relative(self) -> float:
        """The change as a percentage of the previous value (NaN where that is zero)."""
        return 100 * self.points / abs(self.previous) if self.previous else math.nan


def changes(current: dict[str, Table], previous: dict[str, Table], level: float = 0.95) -> list[Change]:
    """Every figure both waves have (shares, means, medians, ratios), with its test."""
    out = []
    for tid, table in current.items():
        if tid not in previous:
            continue
        now = _figures(table)
        then = _figures(previous[tid])
        for key in now.index.intersection(then.index):
            a, b = then.loc[key], now.loc[key]
            if a["base"] <= 0 or b["base"] <= 0 or math.isnan(a["value"]) or math.isnan(b["value"]):
                continue
            design = "design" in (table.tests, previous[tid].tests)
            test, pvalue, significant = _test(key[3], a, b, level, design)
            out.append(
                Change(
                    tid,
                    key[0],
                    key[1],
                    b["category"],
                    f"{b['series_label']}: {b['category_label']}",
                    float(a["value"]),
                    float(b["value"]),
                    int(a["base"]),
                    int(b["base"]),
                    pvalue,
                    significant,
                    key[3],
                    table.spec.survey,
                    test,
                )
            )
    return out


def _figures(table: Table) -> pd.DataFrame:
    c = table.cells[table.cells["stat"].isin(COMPARED) & (table.cells["flag"] != "suppressed")]
    return c.set_index([c["series"], c["column"], c["category"].map(repr), c["stat"]])


def _test(stat: str, a: pd.Series, b: pd.Series, level: float, design: bool) -> tuple[str, float, bool]:
    """(test, p-value, significant) of the previous cell `a` against the current cell `b`."""
    if design:
        if not all(math.isfinite(float(c["se"])) for c in (a, b)):
            return "", math.nan, False
        t = compare_independent(float(a["value"]), float(a["se"]), float(b["value"]), float(b["se"]), level=level)
        return t.test, t.pvalue, t.significant
    if stat == "pct":
        t = compare_proportions(
            a["value"] / 100 * a["n_eff"], a["n_eff"], b["value"] / 100 * b["n_eff"], b["n_eff"], level=level
        )
        return t.test, t.pvalue, t.significant
    if stat == "mean" and min(a["n_eff"], b["n_eff"]) >= 2 and not (math.isnan(a["sd"]) or math.isnan(b["sd"])):
        t = compare_means(
            MeanSummary(a["value"], a["sd"], a["n_eff"]), MeanSummary(b["value"], b["sd"], b["n_eff"]), level=level
        )
        return t.test, t.pvalue, t.significant
    return "", math.nan, False


def matters(change: Change, show_points: float, show_percent: float) -> bool:
    """Whether a change is worth printing: significant, or at least `show_points` points for a
    share, or at least `show_percent` per cent of its previous value for another statistic."""
    if change.significant:
        return True
    if change.stat == "pct":
        return abs(change.points) >= show_points
    return not math.isnan(change.relative) and abs(change.relative) >= show_percent


def main_changes(found: list[Change], count: int = 3) -> list[Change]:
    """The largest significant changes among all respondents, shares only, largest first: what
    the summary states."""
    shown = [c for c in found if c.column == TOTAL and c.stat == "pct" and c.significant]
    return sorted(shown, key=lambda c: -abs(c.points))[:count]


def changed_questions(book: Codebook, data_dir: Path, previous_dir: Path) -> list[dict]:
    """Questions added, dropped, reworded or recoded between the two waves' files.

    `changed` is 'added' (a codebook question the previous file lacks), 'dropped' (in the
    previous file, not in this one), or 'wording', 'codes' or 'wording and codes' for a question
    both files have whose label or value labels differ (recoded: the codes changed).
    """
    now, then = load(book, data_dir), load(book, previous_dir)
    flagged = [_entry(book, q, "added", "", label) for q, label in _questions(book, now, then)]
    flagged += [_entry(book, q, "dropped", label, "") for q, label in _dropped(now, then)]
    for var in sorted(set(now.frame.columns) & set(then.frame.columns)):
        what = []
        if now.variable_labels.get(var) != then.variable_labels.get(var):
            what.append("wording")
        if now.value_labels.get(var) != then.value_labels.get(var):
            what.append("codes")
        if what:
            flagged.append(
                _entry(
                    book,
                    var,
                    " and ".join(what),
                    then.variable_labels.get(var) or "",
                    now.variable_labels.get(var) or "",
                )
            )
    return flagged


def _entry(book: Codebook, variable: str, changed: str, previous: str, current: str) -> dict:
    return {"survey": book.survey, "variable": variable, "changed": changed, "previous": previous, "current": current}


def _questions(book: Codebook, now: RawData, then: RawData) -> list[tuple[str, str]]:
    """Codebook questions this wave's file has and the previous one has none of (added)."""
    return [
        (v.name, v.label)
        for v in book.variables.values()
        if v.type != "id"
        and all(c in now.frame.columns for c in v.columns)
        and not any(c in then.frame.columns for c in v.columns)
    ]


def _dropped(now: RawData, then: RawData) -> list[tuple[str, str]]:
    """The previous file's questions this wave's file lacks, a multi-code question's items
    (`name_1`, `name_2`, …) named once by their stem."""
    gone = [c for c in then.frame.columns if c not in now.frame.columns]
    stems: dict[str, list[str]] = {}
    for col in gone:
        m = re.fullmatch(r"(.+)_\d+", col)
        stems.setdefault(m.group(1) if m else col, []).append(col)
    out = []
    for stem, cols in stems.items():
        whole = len(cols) > 1 or cols[0] == stem
        for col in [stem] if whole else cols:
            out.append((col, then.variable_labels.get(col) or then.variable_labels.get(cols[0]) or ""))
    return out


def question_changed(change: Change, flagged: list[dict]) -> bool:
    """Whether the figure's question (or one of its multi-code items) was reworded or recoded."""
    return any(
        q["changed"] not in ("added", "dropped")
        and (
            change.series == q["variable"]
            or q["variable"].startswith(f"{change.series}_")
            or change.series.startswith(f"{q['variable']}_")
        )
        for q in flagged
    )
