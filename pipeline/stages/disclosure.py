"""Disclosure control: which cells are withheld, and what every published file says instead.

A cell is withheld ("suppressed") when its base is under the table's minimum, or when showing
it would let such a cell be worked out from the total and its siblings (secondary suppression,
`tabulate._flags`). A withheld cell keeps its labels, base and flag in every published file;
its value, count, mean, significance letters and any comparison resting on it are never
written. Analysts who need the unsuppressed figures ask for them explicitly (`ohmsk report
--restricted`), and get them in a folder of their own that the publication never links to.

References: Office for National Statistics, *Disclosure control guidance for tables produced
from surveys* (2014); GSS, *Releasing statistics in spreadsheets* (shorthand ``[c]``).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn, TypeAlias

import pandas as pd

from pipeline.errors import OhmskError

SUPPRESSED = "suppressed"
RESTRICTED_DIR = "restricted"  # beside the published outputs, only with --restricted
RESTRICTED_README = """RESTRICTED: NOT FOR PUBLICATION

This folder holds figures that disclosure control withholds from every published output:
the value and count of every cell whose base is under its table's minimum (or that would
reveal such a cell), and the reproduction audit with those cells' computed values.

It was written because the build was asked for it (ohmsk report --restricted, or
make report RESTRICTED=1). Nothing in the report, the workbook or the published CSVs links
here. Do not copy it to a publication folder; delete it when it is no longer needed. A build
without --restricted removes it.
"""


class SuppressedFigure(OhmskError):
    """Prose or a table asked for the number behind a withheld cell."""


class Withheld(str):
    """The text prose prints for a withheld figure. It refuses arithmetic and conversion to a
    number, so a template cannot compute with it (`R.n(...) + R.n(...)`) as if it were one."""

    def _refuse(self, *_: object) -> NoReturn:
        raise SuppressedFigure(
            f"a template computes with a withheld figure ({str(self)}); word the sentence around it with R.shown(...)"
        )

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = _refuse
    __lt__ = __le__ = __gt__ = __ge__ = __int__ = __float__ = _refuse


# a cell: a row of `Table.cells`, or the same fields in a mapping by column name (which pandas'
# to_dict types as Hashable)
Cell: TypeAlias = pd.Series | Mapping[Any, Any]


def withheld(row: Cell) -> bool:
    """Whether a cell (a row of `Table.cells`) is withheld from published outputs."""
    return row["flag"] == SUPPRESSED


def placeholder(row: Cell, min_base: int) -> str:
    """What prose prints instead of a withheld figure: why it is not shown, never the figure.

    The base is kept, as it is in every published table (it is what the reader needs to see
    why); a cell withheld only to protect another (its base is adequate) says so.
    """
    if row["base"] >= min_base:
        return "[not shown, to protect a figure with a small base]"
    return f"[not shown: base of {int(row['base'])}]"


def refuse(row: Cell, table_id: str, what: str) -> SuppressedFigure:
    """The error for code that needs a withheld cell's number to choose its words."""
    where = f"table {table_id!r}, series {row['series']!r}, column {row['column']!r}"
    if row.get("category") is not None:
        where += f", category {row['category']!r}"
    return SuppressedFigure(
        f"{what} reads a withheld cell ({where}: base {int(row['base'])}, under the minimum or "
        f"protecting a cell that is): its figure may not decide or appear in published text. "
        f"Word the sentence around it with R.shown(...) in the template."
    )


def reset_restricted(out_dir: Path, wanted: bool) -> Path | None:
    """The restricted folder, emptied and labelled when `wanted`; otherwise removed, so that
    unsuppressed figures never outlive the build that was asked for them."""
    folder = out_dir / RESTRICTED_DIR
    if folder.exists():
        shutil.rmtree(folder)
    if not wanted:
        return None
    folder.mkdir(parents=True)
    (folder / "README.txt").write_text(RESTRICTED_README, encoding="utf-8")
    return folder
