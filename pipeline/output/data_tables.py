"""The data tables as one tidy CSV: a row per cell of every question's table, each with what
traces it (survey, question, base, routing, weight, test, column and its letter).

Disclosure control as everywhere: a withheld cell keeps its labels, base and flag, and its
value, count, standard error, design effect and letters are empty.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.output.safe_csv import Writer
from pipeline.stages.compare import column_letter_map, note_on_tests
from pipeline.stages.data_tables import BannerBreak, Question
from pipeline.stages.disclosure import withheld
from pipeline.stages.tabulate import TOTAL, Table

COLUMNS = [
    "survey",
    "table_id",
    "question",
    "question_type",
    "wording",
    "series",
    "series_label",
    "base_description",
    "routing",
    "weight",
    "test",
    "break",
    "column",
    "column_letter",
    "column_label",
    "category",
    "category_label",
    "is_net",
    "stat",
    "value",
    "n",
    "base",
    "effective_base",
    "standard_error",
    "design_effect",
    "flag",
    "higher_than_level_1",
    "higher_than_level_2",
]


def _number(value: object, places: int = 6) -> str:
    """A statistic to `places` decimals, or empty where it is not defined (NaN, None)."""
    if value is None or not isinstance(value, int | float) or value != value:
        return ""
    return f"{float(value):.{places}f}"


def _letters(value: object) -> str:
    return value if isinstance(value, str) else ""


def _break_of(breaks: list[BannerBreak]) -> dict[str, str]:
    return {by: brk.label for brk in breaks for by in brk.by}


def write_data_tables_csv(
    surveys: dict[str, tuple[list[BannerBreak], list[tuple[Question, Table]]]],
    path: Path,
    levels: list[float],
    weights: dict[str, str],
) -> int:
    """Write every survey's tables to `path`; the number of cells written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = Writer(fh)
        w.writerow(COLUMNS)
        for survey, (breaks, tables) in surveys.items():
            heading = _break_of(breaks)
            for question, table in tables:
                letters = column_letter_map(table)
                test = note_on_tests(table, levels[0])
                if len(levels) > 1:
                    test += f" Lower-case letters: the same test at {levels[1]:.0%} confidence."
                series = {s.key: s for s in table.spec.series}
                for row in table.cells.to_dict("records"):
                    hidden = withheld(row)
                    column = str(row["column"])
                    by = column.split("=", 1)[0]
                    w.writerow(
                        [
                            survey,
                            table.spec.id,
                            question.name,
                            question.type,
                            question.label,
                            row["series"],
                            row["series_label"],
                            series[row["series"]].base,
                            question.asked,
                            weights.get(survey) or "unweighted",
                            test,
                            "" if column == TOTAL else heading.get(by, by),
                            column,
                            letters.get(column, ""),
                            row["column_label"],
                            "" if row["category"] is None else row["category"],
                            row["category_label"],
                            int(row["is_net"]),
                            row["stat"],
                            "" if hidden else _number(row["value"]),
                            "" if hidden else row["n"],
                            row["base"],
                            _number(row["n_eff"], 1),
                            "" if hidden else _number(row["se"]),
                            "" if hidden else _number(row["deff"], 4),
                            row["flag"] if isinstance(row["flag"], str) else "",
                            "" if hidden else _letters(row.get("letters")),
                            "" if hidden else _letters(row.get("letters_2")),
                        ]
                    )
                    written += 1
    return written
