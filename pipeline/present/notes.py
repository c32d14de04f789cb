"""Exhibit notes: the base line and the notes printed under a figure or table (weighting,
significance letters, small-base symbols, the series a chart leaves off).

They are words about one computed table, the same wherever the exhibit is printed: the
report's figures and tables and the workbook's sheets read them from here.
"""

from __future__ import annotations

import pandas as pd

from pipeline.present.formats import Formats, fmt_number
from pipeline.spec.objects import TableSpec
from pipeline.stages.compare import note_on_tests
from pipeline.stages.disclosure import SUPPRESSED
from pipeline.stages.tabulate import TOTAL, Table


def base_line(table: Table, column: str = TOTAL) -> str:
    """'Base: <who> (<n>)', one clause per distinct base, as the report prints them.

    Where bases differ, a clause is prefixed with its series' label when the spec gives one.
    A weighted table prints each base's effective base (Kish) beside it: the unweighted count
    says how many answered, the effective base how much their weighted figures are worth.
    """
    c = table.cells[table.cells["column"] == column]
    if table.spec.layout == "grid":  # each row prints its own base: name who, once per wording
        where = (
            "each row's base and effective base in the last columns"
            if table.weighted
            else "each row's base in the last column"
        )
        return "Base: " + "; ".join(dict.fromkeys(s.base for s in table.spec.series)) + f" ({where})"
    clauses: dict[tuple[str, int], str] = {}
    named: dict[str, dict[str, int]] = {}  # wording -> each series' name and base
    effective: dict[tuple[str, int], float] = {}  # (wording, base) -> its effective base
    for s in table.spec.series:
        rows = c[c["series"] == s.key]
        if not rows.empty:
            n = int(rows["base"].iloc[0])
            clauses.setdefault((s.base, n), s.base_name or s.label)
            named.setdefault(s.base, {}).setdefault(s.base_name or s.label, n)
            effective.setdefault((s.base, n), float(rows["n_eff"].iloc[0]))
    several = len(clauses) > 1

    def n_text(base: str, n: int) -> str:
        return f"{n}, effective base {fmt_number(effective[(base, n)], 1)}" if table.weighted else str(n)

    parts = []
    for base, items in named.items():
        if len(set(items.values())) > 1 and all(items):  # one wording, a base per series (e.g. per role)
            parts.append(f"{base} ({'; '.join(f'{label}: {n_text(base, n)}' for label, n in items.items())})")
        else:
            parts += [
                (f"'{label}': " if several and label else "") + f"{b} ({n_text(b, n)})"
                for (b, n), label in clauses.items()
                if b == base
            ]
    return "Base: " + "; ".join(parts)


def weight_notes(table: Table) -> list[str]:
    """Say that a table's figures are weighted, to what, and what its two bases mean; an
    unweighted table needs no note (the methodology says which surveys are weighted).

    The effective base is Kish's (sum w)^2 / sum w^2 (Kish 1965, Survey Sampling, section 11.7),
    the size of a simple random sample as precise as the weighted one.
    """
    if not table.weighted:
        return []
    return [
        f"Weighted: {table.weighting}. Bases are numbers of respondents (unweighted); the "
        f"effective base is the number of unweighted respondents that would give the same "
        f"precision (Kish)."
    ]


def left_off_note(table: Table) -> list[str]:
    """Name the series a chart leaves off because their base is under the table's minimum."""
    c = table.cells
    gone = c[(c["column"] == TOTAL) & (c["flag"] == SUPPRESSED) & (c["stat"] == "pct")]
    names = {s.key: s.base_name or s.label for s in table.spec.series}
    left = list(dict.fromkeys(names.get(k) or lab for k, lab in zip(gone["series"], gone["series_label"])))
    return [f"Not shown, base under {table.spec.min_base}: {'; '.join(left)}."] if left else []


def base_notes(cells: pd.DataFrame, spec: TableSpec) -> list[str]:
    """Explain the small-base symbols that `cells` actually use."""
    notes = []
    if (cells["flag"] == "caution").any():
        notes.append(f"* Base under {spec.caution_base}: treat with caution.")
    hidden = cells["flag"] == SUPPRESSED
    if hidden.any():
        protect = (hidden & (cells["base"] >= spec.min_base)).any()
        notes.append(
            f"[c] Not shown: base under {spec.min_base}"
            + (", or shown it would let such a figure be worked out." if protect else ".")
        )
    return notes


def table_notes(table: Table, level: float, formats: Formats = Formats()) -> list[str]:
    """The notes a table needs: the test behind its letters and the small-base symbols used."""
    c = table.cells
    notes = [note_on_tests(table, level)] if (c["column"] != TOTAL).any() else []
    if notes and table.fraction:
        notes.append(
            f"Tests apply a finite population correction: the survey covers "
            f"{formats.pct(100 * table.fraction)} of its population."
        )
    return notes + base_notes(c, table.spec)
