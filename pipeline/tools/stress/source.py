"""The given wave a stress wave is made from: its rows as delivered, its derived datasets, and its
families (surveys resampled as one unit because a `link` derived variable joins them).

It is read once (`load_source`), so callers making many waves share one reading. The published
targets are not read: stress waves must not be tuned to the 2020 report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from pipeline.build.data import prepare
from pipeline.errors import OhmskError
from pipeline.spec import schema
from pipeline.spec.folders import SPECS_DIR
from pipeline.spec.objects import Codebook, TableSpec, load_codebook, load_tables
from pipeline.spec.schema.reading import read_valid
from pipeline.stages.derive import Dataset


@dataclass
class Specs:
    """What the generator reads from the specs: codebooks, table specs, min/caution bases and the
    weighting margins (a raking margin must keep a respondent in each of its categories)."""

    codebooks: dict[str, Codebook]
    tables: list[TableSpec]
    margins: dict[str, list[str]]  # survey -> variables its weighting frame rakes to (from the data folder)


def load_specs(specs_dir: Path = SPECS_DIR) -> Specs:
    """The codebooks and table specs report.yaml names, each checked against its schema (the
    published targets are not read: stress waves must not be tuned to the 2020 report)."""
    report = read_valid(specs_dir / "report.yaml", schema.Report)
    books = {name: load_codebook(name, specs_dir) for name in report.surveys}
    tables = [t for ch in report.chapters if ch.tables for t in load_tables(specs_dir / ch.tables, report.conventions)]
    return Specs(books, tables, {})


@dataclass
class Family:
    """Surveys resampled together: unit i is one respondent of an unlinked survey, or one linked
    unit with every row that links to it (a lead and the CCGs they answered for)."""

    surveys: list[str]
    n_units: int
    unit_of_row: dict[str, np.ndarray]  # survey -> each source row's unit
    links: list[tuple[str, str, str]] = field(default_factory=list)  # (linked survey, source, key)


@dataclass
class Source:
    """The given wave, read once: raw rows as delivered, derived datasets, and the families."""

    data_dir: Path
    specs: Specs
    raw: dict[str, pd.DataFrame]
    datasets: dict[str, Dataset]
    families: list[Family]

    def family(self, survey: str) -> tuple[int, Family]:
        return next((i, f) for i, f in enumerate(self.families) if survey in f.surveys)


def load_source(data_dir: Path, specs_dir: Path = SPECS_DIR) -> Source:
    """Read every survey of `data_dir` (validated and derived as the report reads it)."""
    specs = load_specs(specs_dir)
    for name, frame_file in _frames(specs_dir, data_dir).items():
        specs.margins[name] = list(read_valid(frame_file, schema.Frame).margins)
    raw: dict[str, pd.DataFrame] = {}
    datasets: dict[str, Dataset] = {}
    for name, book in specs.codebooks.items():
        raw[name], _ = pyreadstat.read_sav(str(data_dir / book.file), user_missing=True)
        datasets[name] = prepare(book, data_dir, datasets)[1]
        if len(datasets[name].frame) != len(raw[name]):  # positions in one are positions in the other
            raise OhmskError(f"{data_dir / book.file}: rows were dropped while preparing it")
    return Source(data_dir, specs, raw, datasets, _families(specs.codebooks, raw))


def _frames(specs_dir: Path, data_dir: Path) -> dict[str, Path]:
    report = read_valid(specs_dir / "report.yaml", schema.Report)
    return {name: data_dir / entry.frame for name, entry in report.weighting.items() if entry.frame}


def _families(books: dict[str, Codebook], raw: dict[str, pd.DataFrame]) -> list[Family]:
    """One family per unlinked survey; a survey with `link` variables joins the survey it reads,
    each of its rows a unit holding the rows whose key names it."""
    families = {name: Family([name], len(raw[name]), {name: np.arange(len(raw[name]))}) for name in books}
    for name, book in books.items():
        for der in book.derived.values():
            source = der.source
            if der.kind != "link" or source in families[name].surveys:
                continue
            if source is None:  # the codebook schema requires one
                raise OhmskError(f"stress waves: {name}: link {der.name!r} names no survey to join")
            if der.key != book.id:
                raise OhmskError(
                    f"stress waves: {name}: link {der.name!r} joins on {der.key!r}; only a link "
                    f"on the survey's own id ({book.id!r}) can be resampled as one unit"
                )
            key = book.id  # the link's key, as just checked
            ids = {_key(v): i for i, v in enumerate(raw[name][book.id])}
            other = raw[source][key].map(_key)
            orphans = ~other.isin(ids)
            units = other.map(ids).to_numpy(dtype=float)
            units[orphans.to_numpy()] = len(ids) + np.arange(int(orphans.sum()))
            fam = Family(
                [source, name],
                len(ids) + int(orphans.sum()),
                {source: units.astype(int), name: np.arange(len(ids))},
                [(name, source, key)],
            )
            families[source] = families[name] = fam
    return list({id(f): f for f in families.values()}.values())


def _key(value: object) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
