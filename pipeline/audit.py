"""Reproduction audit: every statistic the source report prints, recomputed through the stages.

Only this module and the reconstruction read the published targets; the stages never do.
A target may carry `contradiction:` when the source contradicts itself so that no data can
reproduce every printed figure; such a mismatch is reported with its explanation and does not
fail the audit. Any other mismatch does.
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from .errors import SpecError
from .present import decimals_of, round_half_up
from .specs import SPECS_DIR, read_yaml
from .tabulate import TOTAL, Table

AUDIT_COLUMNS = ["target_id", "survey", "figure", "cell", "published", "computed", "match", "note"]


@dataclass(frozen=True)
class Target:
    """One printed statistic and the table cell that should reproduce it."""

    id: str
    survey: str
    figure: str
    table: str
    series: str | None
    category: int | str | None
    column: str
    stat: str
    published: str
    compare: str
    note: str
    contradiction: str

    @property
    def cell(self) -> str:
        parts = [self.table, self.series or "", str(self.category if self.category is not None else ""),
                 self.column, self.stat]
        return "/".join(parts)


def load_targets(survey: str, specs_dir: Path = SPECS_DIR) -> list[Target]:
    path = specs_dir / "published" / f"{survey}.yaml"
    raw = read_yaml(path)
    targets = []
    for entry in raw["targets"]:
        try:
            targets.append(Target(
                id=str(entry["id"]), survey=survey, figure=str(entry["figure"]),
                table=entry["table"], series=entry.get("series"), category=entry.get("category"),
                column=str(entry.get("column", TOTAL)), stat=entry.get("stat", "pct"),
                published=str(entry["published"]), compare=entry.get("compare", "eq"),
                note=str(entry.get("note", "")), contradiction=str(entry.get("contradiction", ""))))
        except KeyError as exc:
            raise SpecError(f"{path}: target {entry.get('id', '?')} lacks {exc}") from exc
    ids = [t.id for t in targets]
    if len(set(ids)) != len(ids):
        raise SpecError(f"{path}: duplicate target ids")
    return targets


def computed_value(target: Target, tables: dict[str, Table]) -> float:
    """The unrounded value of the cell a target points at."""
    table = tables.get(target.table)
    if table is None:
        raise SpecError(f"target {target.id}: unknown table {target.table!r}")
    row = table.cell(target.series, target.category, target.column, target.stat)
    return float(row[{"base": "base", "n": "n"}.get(target.stat, "value")])


def _matches(computed: float, published: float, compare: str) -> bool:
    if compare == "le":
        return computed <= published
    if compare == "ge":
        return computed >= published
    return computed == published


@dataclass(frozen=True)
class AuditRow:
    target: Target
    computed: str
    match: bool

    @property
    def explained(self) -> bool:
        return self.match or bool(self.target.contradiction)

    def as_dict(self) -> dict[str, str]:
        t = self.target
        note = "; ".join(x for x in (t.note, f"source contradiction: {t.contradiction}"
                                     if t.contradiction else "") if x)
        return {"target_id": t.id, "survey": t.survey, "figure": t.figure, "cell": t.cell,
                "published": t.published, "computed": self.computed,
                "match": "yes" if self.match else "no", "note": note}


def audit(targets: list[Target], tables: dict[str, Table]) -> list[AuditRow]:
    """Compare each target with its recomputed cell at the printed precision."""
    rows = []
    for t in targets:
        value = computed_value(t, tables)
        decimals = decimals_of(t.published)
        rounded = round_half_up(value, decimals)
        shown = "n/a" if math.isnan(rounded) else f"{rounded:.{decimals}f}"
        if t.published.endswith("%") and shown != "n/a":
            shown += "%"
        published = float(t.published.rstrip("%").replace(",", ""))
        rows.append(AuditRow(t, shown, not math.isnan(rounded) and _matches(rounded, published, t.compare)))
    return rows


def write_audit(rows: list[AuditRow], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=AUDIT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(r.as_dict() for r in rows)


def summary(rows: list[AuditRow]) -> str:
    reproduced = sum(r.match for r in rows)
    explained = sum(1 for r in rows if not r.match and r.explained)
    text = f"{reproduced} of {len(rows)} published statistics reproduced"
    if explained:
        text += f"; {explained} not reproducible because the source contradicts itself (see notes)"
    return text
