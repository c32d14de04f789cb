"""CSV writing that cannot smuggle a formula into a spreadsheet.

Labels, verbatims and respondent values come from data files nobody here has seen. A cell
beginning with `=`, `+`, `-` or `@` (or a tab or carriage return) is run as a formula when a
CSV is opened in Excel or LibreOffice, so such text is prefixed with an apostrophe, as OWASP
advises. Numbers, including negative ones, are left alone.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: object) -> object:
    """`value`, made safe to open in a spreadsheet: text that could start a formula gets a `'`."""
    if not isinstance(value, str) or not value.startswith(TRIGGERS) or value == "-":
        return value  # the house dash for "none" is harmless on its own
    try:
        float(value.replace(",", ""))
        return value  # a plain number such as -2.5
    except ValueError:
        return "'" + value


class Writer:
    """`csv.writer` with every cell passed through `inert` and Unix line endings."""

    def __init__(self, fh: IO[str]):
        self._writer = csv.writer(fh, lineterminator="\n")

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([inert(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)
