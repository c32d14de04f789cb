"""CSV outputs: every CSV file the outputs hold, each written here through the safe writer.

csv/<table>.csv (write_csv), audit.csv (write_audit), claims.csv (write_claims),
cleaning_log.csv (write_cleaning_log) and, with a previous wave, changes.csv (write_changes) and
questions_changed.csv (write_questions). Each writer takes what a stage or the template API
computed and writes it as published, through pipeline/output/safe_csv.py, so that no text from
a data file can run as a spreadsheet formula. Keeping the files' layouts in the output layer
leaves the stages computing rows and never writing them.
"""

from __future__ import annotations

import math
from pathlib import Path

from pipeline.output.safe_csv import Writer
from pipeline.present.claims import ClaimLog
from pipeline.present.formats import Formats
from pipeline.present.layouts import cell_text
from pipeline.stages.audit import AUDIT_COLUMNS, AuditRow, ClaimRow
from pipeline.stages.compare import note_on_tests
from pipeline.stages.disclosure import withheld
from pipeline.stages.tabulate import Table
from pipeline.stages.waves import UNTESTED, Change, question_changed


def write_csv(
    table: Table, path: Path, level: float = 0.95, restricted: bool = False, formats: Formats = Formats()
) -> None:
    """The long cells of one table with everything needed to trace each number: its `weight`
    column says what the figures are weighted to, or "unweighted".

    A withheld cell keeps its labels, base, effective base and flag, with value, count and
    letters empty, unless `restricted` (the unsuppressed copy for the restricted folder).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    spec = table.spec
    bases = {s.key: s for s in spec.series}
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = Writer(fh)
        w.writerow(
            [
                "table_id",
                "source",
                "title",
                "survey",
                "series",
                "series_label",
                "base_description",
                "filter",
                "weight",
                "test",
                "column",
                "column_label",
                "category",
                "category_label",
                "is_net",
                "stat",
                "value",
                "shown",
                "n",
                "base",
                "effective_base",
                "standard_error",
                "design_effect",
                "flag",
                "significantly_higher_than",
            ]
        )
        test = note_on_tests(table, level) if spec.by else "none (no subgroup columns)"
        weight = table.weighting or "unweighted"
        for row in table.cells.to_dict("records"):
            s = bases[row["series"]]
            hidden = withheld(row) and not restricted
            w.writerow(
                [
                    spec.id,
                    spec.source,
                    spec.title,
                    spec.survey,
                    row["series"],
                    row["series_label"],
                    s.base,
                    s.filter or "",
                    weight,
                    test,
                    row["column"],
                    row["column_label"],
                    "" if row["category"] is None else row["category"],
                    row["category_label"],
                    int(row["is_net"]),
                    row["stat"],
                    "" if hidden else f"{row['value']:.6f}",
                    cell_text({**row, "letters": ""}, formats, in_table=False),
                    "" if hidden else row["n"],
                    row["base"],
                    f"{row['n_eff']:.1f}",
                    "" if hidden else _number(row["se"]),
                    "" if hidden else _number(row["deff"], 4),
                    row["flag"],
                    row["letters"],
                ]
            )


def _number(value: float, places: int = 6) -> str:
    """A statistic to `places` decimals, or empty where it is not defined (NaN)."""
    return "" if value is None or value != value else f"{value:.{places}f}"


def write_audit(rows: list[AuditRow | ClaimRow], path: Path, published: bool = True) -> None:
    """audit.csv; `published` False writes withheld cells' figures (the restricted copy)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = Writer(fh)
        writer.writerow(AUDIT_COLUMNS)
        writer.writerows([r.as_dict(published)[c] for c in AUDIT_COLUMNS] for r in rows)


def write_changes(found: list[Change], flagged: list[dict], path: Path) -> None:
    """Every comparable figure with both waves' values, the change and its test."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = Writer(fh)
        w.writerow(
            [
                "table_id",
                "series",
                "column",
                "category",
                "label",
                "stat",
                "previous",
                "current",
                "change",
                "base_previous",
                "base_current",
                "test",
                "p_value",
                "significant",
                "question_changed",
            ]
        )
        for c in found:
            w.writerow(
                [
                    c.table,
                    c.series,
                    c.column,
                    c.category,
                    c.label,
                    c.stat,
                    f"{c.previous:.6f}",
                    f"{c.current:.6f}",
                    f"{c.points:.6f}",
                    c.base_previous,
                    c.base_current,
                    c.test or UNTESTED,
                    "" if math.isnan(c.pvalue) else f"{c.pvalue:.6f}",
                    int(c.significant),
                    int(question_changed(c, flagged)),
                ]
            )


def write_questions(flagged: list[dict], path: Path) -> None:
    """questions_changed.csv: every question added, dropped, reworded or recoded."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = Writer(fh)
        w.writerow(["survey", "variable", "changed", "previous_wording", "current_wording"])
        for q in flagged:
            w.writerow([q["survey"], q["variable"], q["changed"], q["previous"], q["current"]])


CLAIMS_HEADER = ["template", "line", "kind", "condition", "figures", "holds", "wording", "text"]


def write_claims(log: ClaimLog, path: Path) -> None:
    """Every claim the HTML edition made, its condition, its figures and the wording used."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = Writer(fh)
        w.writerow(CLAIMS_HEADER)
        for c in log.claims:
            w.writerow([c.template, c.line, c.kind, c.condition, c.evaluated, int(c.holds), c.wording, c.text])


def write_cleaning_log(cleaned: dict, path: Path) -> None:
    """Every respondent in and out, and every warning raised while cleaning."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = Writer(fh)
        w.writerow(["survey", "severity", "file", "variable", "respondent", "value", "rule"])
        for name, c in cleaned.items():
            w.writerow([name, "info", c.file, "", "", c.counts["read"], "respondents read"])
            w.writerow([name, "info", c.file, "", "", c.counts["kept"], "respondents kept for analysis"])
            for p in c.log:
                w.writerow([name, p.severity, p.file, p.variable, p.respondent, p.value, p.rule])
