"""Exhibit numbering: which figures and tables the report numbers, and how the 2020 report did.

Every output that names an exhibit (the report's captions and cross-references, the workbook's
sheets, the appendices' audit lines, the wave changes) reads its number from here, so the
numbering is decided once, in spec order, and each source note says where the 2020 report's
numbering differs.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.spec.objects import TableSpec
from pipeline.stages.tabulate import Table


@dataclass(frozen=True)
class Exhibit:
    """A numbered figure or table and how the 2020 report numbered it."""

    table: Table
    label: str  # "Figure 4.1" / "Table 8.1"
    shared: tuple[int, int] = (1, 1)  # (which, of how many) exhibits the 2020 report numbers alike

    @property
    def spec(self) -> TableSpec:
        return self.table.spec

    @property
    def anchor(self) -> str:
        return self.label.lower().replace(" ", "-").replace(".", "-")

    @property
    def file_stem(self) -> str:
        """The name its downloads share (CSV, SVG): the exhibit as readers know it, then the table
        id that stays put when a new edition renumbers the exhibits, e.g. figure-4-1_services_offered."""
        return f"{self.anchor}_{self.spec.id}"

    @property
    def source_note(self) -> str:
        """Where our number differs from the 2020 report's, say what the reader will find there."""
        s = self.spec
        if s.printed_as:
            return f"{s.source} in the 2020 report, where its caption is misprinted as {s.printed_as}"
        which, count = self.shared
        if count > 1:  # the 2020 report gives one number to several exhibits
            word, number = s.source.split(" ", 1)
            return (
                f"the {_ORDINALS[which - 1]} of {_COUNTS[count - 2]} {word.lower()}s numbered "
                f"{number} in the 2020 report"
            )
        if s.source not in (self.label, "text"):
            return f"{s.source} in the 2020 report"
        return ""


_ORDINALS = ("first", "second", "third", "fourth")
_COUNTS = ("two", "three", "four")


def number_exhibits(tables: dict[str, Table], specs: list[TableSpec]) -> dict[str, Exhibit]:
    """Number figures and tables in spec order within each chapter: Figure 4.1, 4.2 …

    Where the 2020 report gave one number to several exhibits (and no caption is recorded as
    misprinted), each says which of them it is.
    """
    counters: dict[tuple[int, str], int] = {}
    out: dict[str, Exhibit] = {}
    numbered = [s for s in specs if s.kind != "text"]
    alike = {
        s.source: [t.id for t in numbered if t.source == s.source and not t.printed_as]
        for s in numbered
        if s.source != "text"
    }
    for spec in numbered:
        word = "Figure" if spec.kind == "figure" else "Table"
        key = (spec.chapter, word)
        counters[key] = counters.get(key, 0) + 1
        same = alike.get(spec.source, [])
        shared = (same.index(spec.id) + 1, len(same)) if spec.id in same and len(same) > 1 else (1, 1)
        out[spec.id] = Exhibit(tables[spec.id], f"{word} {spec.chapter}.{counters[key]}", shared)
    return out


def data_file_stem(exhibits: dict[str, Exhibit], table_id: str) -> str:
    """The name of a table's downloads: its exhibit's (see Exhibit.file_stem), or text_<id> for
    a tabulation the report quotes in its text without an exhibit."""
    ex = exhibits.get(table_id)
    return ex.file_stem if ex else f"text_{table_id}"


def exhibit_label(exhibits: dict[str, Exhibit], table_id: str, default: str) -> str:
    """'Figure 4.1' for a numbered exhibit; `default` for a text-only tabulation."""
    ex = exhibits.get(table_id)
    return ex.label if ex else default
