"""Reproduction audit: every statistic the source report prints, recomputed through the stages.

Only this module and the reconstruction read the published targets; the stages never do.
A target may carry `contradiction:` when the source contradicts itself so that no data can
reproduce every printed figure; such a mismatch is reported with its explanation and does not
fail the audit. Any other mismatch does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import SpecError
from pipeline.spec.objects import SPECS_DIR
from pipeline.spec.published import CLAIMS, Claim, Target, claims_from, read_published, targets_from
from pipeline.spec.schema import Published
from pipeline.stages.compare import compare_columns, rest_of
from pipeline.stages.disclosure import withheld
from pipeline.stages.tabulate import TOTAL, Table
from pipeline.stats.rounding import decimals_of, fmt_pct, round_half_up
from pipeline.stats.significance import compare_proportions

AUDIT_COLUMNS = ["target_id", "survey", "figure", "cell", "published", "computed", "match", "note"]


def _note(note: str, contradiction: str) -> str:
    """The audit note: the reading recorded with the target, then any source contradiction."""
    return "; ".join(x for x in (note, f"source contradiction: {contradiction}" if contradiction else "") if x)


def computed_cell(target: Target, tables: dict[str, Table]) -> tuple[float, bool]:
    """The unrounded value of the cell a target points at, and whether publications withhold
    it (a base is never withheld: it is printed beside every withheld cell). A cell this
    wave's table lacks is NaN, and its row reads "n/a": data that no longer have a figure
    cannot reproduce it, which is not an error in the data."""
    table = tables.get(target.table)
    if table is None:
        raise SpecError(f"target {target.id}: unknown table {target.table!r}")
    try:
        row = table.cell(target.series, target.category, target.column, target.stat)
    except SpecError:  # another wave's data may lack the cell (a category outside a top-N list)
        return math.nan, False
    value = float(row[{"base": "base", "n": "n"}.get(target.stat, "value")])
    return value, target.stat != "base" and withheld(row)


def _matches(computed: float, published: float, compare: str) -> bool:
    if compare == "le":
        return computed <= published
    if compare == "ge":
        return computed >= published
    return computed == published


WITHHELD_NOTE = "ours withheld: its base is under the minimum, or it would reveal a cell that is"
NOT_SHOWN = "not shown"


@dataclass(frozen=True)
class AuditRow:
    """One target checked. `withheld` rows are checked like any other, but a published audit
    shows neither our figure nor whether it matched, which would reveal it."""

    target: Target
    computed: str
    match: bool
    withheld: bool = False

    @property
    def explained(self) -> bool:
        return self.match or bool(self.target.contradiction)

    def as_dict(self, published: bool = True) -> dict[str, str]:
        t = self.target
        hide = published and self.withheld
        note = _note(t.note, t.contradiction)
        if hide:
            note = "; ".join(x for x in (note, WITHHELD_NOTE) if x)
        return {
            "target_id": t.id,
            "survey": t.survey,
            "figure": t.figure,
            "cell": t.cell,
            "published": t.published,
            "computed": "[c]" if hide else self.computed,
            "match": NOT_SHOWN if hide else "yes" if self.match else "no",
            "note": note,
        }


def audit(targets: list[Target], tables: dict[str, Table]) -> list[AuditRow]:
    """Compare each target with its recomputed cell at the printed precision."""
    rows = []
    for t in targets:
        value, hidden = computed_cell(t, tables)
        if t.published.startswith("<"):  # the house symbol '<1%': above zero, under 1 once rounded
            bound = float(t.published[1:].rstrip("%"))
            ok = not math.isnan(value) and value > 0 and round_half_up(value) < bound
            rows.append(AuditRow(t, "n/a" if math.isnan(value) else fmt_pct(value), ok, hidden))
            continue
        decimals = decimals_of(t.published)
        rounded = round_half_up(value, decimals)
        shown = "n/a" if math.isnan(rounded) else f"{rounded:.{decimals}f}"
        if t.published.endswith("%") and shown != "n/a":
            shown += "%"
        published = float(t.published.rstrip("%").replace(",", ""))
        rows.append(AuditRow(t, shown, not math.isnan(rounded) and _matches(rounded, published, t.compare), hidden))
    return rows


def _withheld_clause(rows: list, published: bool) -> tuple[list, str]:
    """The rows a summary may count, and what it says of the others (withheld when published)."""
    hidden = [r for r in rows if published and r.withheld]
    if not hidden:
        return rows, ""
    return (
        [r for r in rows if r not in hidden],
        f"; {len(hidden)} rest on cells this edition withholds (base under its minimum), so ours are not shown",
    )


def claims_summary(rows: list[ClaimRow], published: bool = False, reproduces: bool = True) -> str:
    """'N of M significance claims agree with our tests' (in significance and direction); for
    an edition with other data than the source's (`reproduces` False), worded as a comparison."""
    shown, hidden = _withheld_clause(rows, published)
    checked = [r for r in shown if r.match is not None]
    agree = sum(r.match for r in checked)
    if not reproduces:
        return (
            f"{agree} of the {len(checked)} differences it called significant or not significant test the same "
            f"way, in the same direction, in this edition's data; {len(shown) - len(checked)} further "
            "stated differences tested" + hidden
        )
    return (
        f"{agree} of {len(checked)} significance claims agree with our tests; "
        f"{len(shown) - len(checked)} further stated differences tested" + hidden
    )


def summary(rows: list[AuditRow], published: bool = False, reproduces: bool = True) -> str:
    """'N of M published statistics reproduced' (for a publication: of those it may show); for
    an edition with other data than the source's (`reproduces` False), worded as a comparison,
    since its figures are not expected to equal the printed ones."""
    shown, hidden = _withheld_clause(rows, published)
    reproduced = sum(r.match for r in shown)
    if not reproduces:
        return (
            f"{reproduced} of {len(rows)} published statistics are the same in this edition, "
            f"{len(shown) - reproduced} differ" + hidden
        )
    explained = sum(1 for r in shown if not r.match and r.explained)
    text = f"{reproduced} of {len(rows)} published statistics reproduced"
    if explained:
        text += f"; {explained} not reproducible because the source contradicts itself (see notes)"
    return text + hidden


WITHHELD_TEST = "not shown: a figure compared is withheld, as its base is too small"


@dataclass(frozen=True)
class ClaimRow:
    claim: Claim
    computed: str
    match: bool | None  # None where the source makes no claim to check
    withheld: bool = False  # a compared cell is withheld: publications show no test of it

    @property
    def explained(self) -> bool:
        return self.match is not False or bool(self.claim.contradiction)

    def as_dict(self, published: bool = True) -> dict[str, str]:
        c = self.claim
        hide = published and self.withheld
        note = _note(c.note, c.contradiction)
        match = NOT_SHOWN if hide else {True: "yes", False: "no", None: "n/a"}[self.match]
        return {
            "target_id": c.id,
            "survey": c.survey,
            "figure": c.figure,
            "cell": c.cell,
            "published": CLAIMS[c.claim],
            "computed": WITHHELD_TEST if hide else self.computed,
            "match": match,
            "note": note,
        }


def _p(pvalue: float) -> str:
    """'= 0.0160', or '< 0.0001' where four decimals would print a misleading zero."""
    return "< 0.0001" if pvalue < 0.0001 else f"= {pvalue:.4f}"


def _alternative_p(claim: Claim, tables: dict[str, Table], level: float) -> str:
    """For proportions, the other test's p-value too (z-test and Fisher's exact test)."""
    table = tables[claim.table]
    a = table.cell(claim.series, claim.category, claim.columns[0], "pct")
    b = table.cell(claim.series, claim.category, claim.columns[1], "pct")
    if claim.columns[1] == TOTAL:
        b = rest_of(b, a)
    k1, n1 = round(a["value"] / 100 * a["n_eff"]), round(a["n_eff"])
    k2, n2 = round(b["value"] / 100 * b["n_eff"]), round(b["n_eff"])
    z = compare_proportions(k1, n1, k2, n2, sampling_fraction=table.fraction, level=level, min_expected=0)
    exact = compare_proportions(k1, n1, k2, n2, level=level, min_expected=float("inf"))
    return f"z-test p {_p(z.pvalue)}; Fisher's exact p {_p(exact.pvalue)}"


MISSING_CELLS = "n/a: this wave's table has no such cell"


def _has_cells(table: Table, claim: Claim) -> bool:
    """Whether the table has both cells a stated comparison compares (another wave's data may
    lack one, e.g. a category outside a top-N list)."""
    try:
        for column in claim.columns:
            table.cell(claim.series, claim.category, column, claim.stat)
    except SpecError:
        return False
    return True


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def printed_direction(claim: Claim, targets: list[Target]) -> int:
    """Which way the source says the difference goes: +1 when the first column's figure is the
    higher, -1 when lower, 0 when unknown. Declared by the claim's `direction`, or else read
    from the source's own printed figures of both cells (a subgroup against the total goes the
    way it goes against the rest), when it prints both and they differ."""
    if claim.direction:
        return {"higher": 1, "lower": -1}[claim.direction]
    printed: dict[str, float] = {}
    for t in targets:
        if (
            (t.table, t.series, t.category, t.stat) == (claim.table, claim.series, claim.category, claim.stat)
            and t.column in claim.columns
            and not t.published.startswith("<")
            and t.compare == "eq"
        ):
            printed.setdefault(t.column, float(t.published.rstrip("%").replace(",", "")))
    if len(printed) < 2:
        return 0
    return _sign(printed[claim.columns[0]] - printed[claim.columns[1]])


def audit_claims(
    claims: list[Claim], tables: dict[str, Table], level: float = 0.95, targets: Sequence[Target] = ()
) -> list[ClaimRow]:
    """Run our test on each stated comparison and check it against what the source claims: a
    claim agrees when our test agrees on significance and, where the source's direction is
    known (`printed_direction`), our difference goes the same way, so a difference that
    reversed and stayed significant does not agree."""
    rows = []
    for c in claims:
        if c.table not in tables:
            raise SpecError(f"claim {c.id}: unknown table {c.table!r}")
        table = tables[c.table]
        if not _has_cells(table, c):
            rows.append(ClaimRow(c, MISSING_CELLS, None))
            continue
        d = compare_columns(table, c.category, c.columns[0], c.columns[1], c.series, c.stat, level, withhold=False)
        hidden = any(withheld(table.cell(c.series, c.category, col, c.stat)) for col in c.columns)
        if d.comparison is None:  # a compared group has no respondents in this wave
            rows.append(ClaimRow(c, f"n/a: {d.withheld}", None, hidden))
            continue
        significant = d.comparison.significant
        outcome = "significant" if significant else "not significant"
        computed = f"{outcome}: {d.comparison.test} p {_p(d.comparison.pvalue)} ({d.a:.1f} vs {d.b:.1f})"
        if tables[c.table].fraction:
            computed += f", finite population correction f = {tables[c.table].fraction:.3f}"
        if c.stat == "pct":
            computed += f" [{_alternative_p(c, tables, level)}]"
        direction = printed_direction(c, list(targets))
        reversed_ = direction != 0 and _sign(d.a - d.b) != direction
        if reversed_:
            computed += "; the difference goes the other way from the source's"
        match = None if c.claim == "stated" else (significant == (c.claim == "significant") and not reversed_)
        rows.append(ClaimRow(c, computed, match, hidden))
    return rows


def run_audit(
    surveys: list[str],
    tables: dict[str, Table],
    level: float = 0.95,
    specs_dir: Path = SPECS_DIR,
    published: Mapping[str, Published] | None = None,
) -> tuple[list[AuditRow], list[ClaimRow]]:
    """Every survey's targets and claims, checked against the computed tables (`published`:
    the files already validated with the rest of the specs; otherwise they are read here)."""
    found = (
        {s: published.get(s) for s in surveys}
        if published is not None
        else {s: read_published(s, specs_dir) for s in surveys}
    )
    rows = [r for survey in surveys for r in audit(targets_from(found[survey]), tables)]
    claims = [
        r
        for survey in surveys
        for r in audit_claims(claims_from(found[survey]), tables, level, targets_from(found[survey]))
    ]
    return rows, claims
