"""Data tables stage: every question of a codebook tabulated against its survey's banner.

A research agency's "tab book" (SPSS Custom Tables, Q, quantipy): each single, scale, multi-code
and numeric question is one table whose columns are the Total then each break of the banner
(`survey_specs/data_tables.yaml`), with counts, column percentages, nets, means and medians, and
letters from pairwise tests between the columns of a break at one or two confidence levels.
Each table is an ordinary `TableSpec` computed by the tabulate and compare stages, so its
bases, standard errors, suppression (primary and secondary) and tests are the report's own.

A nested break (`nest: [outer, inner]`) becomes one subgroup variable per outer code, holding
the inner answer for respondents with that outer code: its columns are then tested, and
secondarily suppressed, against each other within the outer code, as a nested banner is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import pandas as pd

from pipeline.spec.objects import Band, Codebook, Derived, Net, Series, TableSpec
from pipeline.spec.schema.data_tables import SurveyTables
from pipeline.stages.compare import add_letters
from pipeline.stages.derive import Dataset, derive_column
from pipeline.stages.tabulate import Table, tabulate
from pipeline.stats.design import SurveyDesign

TABULATED = ("single", "scale", "multi", "numeric")
NUMERIC_STATS = ("mean", "median")


@dataclass(frozen=True)
class BannerBreak:
    """One break as the tables show it: its heading and the subgroup variables it is made of
    (one for a plain break, one per outer code for a nested one)."""

    label: str
    by: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    """One question's table: the spec it is computed from, and the codebook entry it tabulates."""

    name: str
    type: str
    label: str
    asked: str
    spec: TableSpec


def _substantive_codes(book: Codebook, name: str) -> dict[int, str]:
    var = book.variables.get(name)
    return dict(var.codes) if var is not None else dict(book.derived[name].labels)


def nested_name(outer: str, code: int, inner: str) -> str:
    return f"{outer}_{code}__{inner}"


def band_name(var: str) -> str:
    return f"{var}__band"


def with_banner(ds: Dataset, tabs: SurveyTables, missing: Mapping[str, pd.Series]) -> tuple[Dataset, list[BannerBreak]]:
    """The dataset with the variables nested breaks and spec-declared bands need, and the
    banner's breaks in order. `missing` holds each question's user-missing answers (the clean
    stage's), which a band keeps as its own rows, as the codebook's bands do."""
    book, frame = ds.codebook, ds.frame.copy()
    derived = dict(book.derived)
    asked = dict(ds.asked)
    breaks: list[BannerBreak] = []
    for brk in tabs.banner:
        if brk.var:
            breaks.append(BannerBreak(brk.label or book.label(brk.var), (brk.var,)))
            continue
        outer, inner = brk.nest or ["", ""]
        inner_codes = _substantive_codes(book, inner)
        names = []
        for code, label in _substantive_codes(book, outer).items():
            name = nested_name(outer, code, inner)
            frame[name] = frame[inner].where(frame[outer] == code)
            derived[name] = Derived(name=name, label=f"{label}: {book.label(inner)}", kind="expr", codes=inner_codes)
            names.append(name)
        breaks.append(BannerBreak(brk.label or f"{book.label(outer)} by {book.label(inner)}", tuple(names)))
    for group in tabs.bands:
        for var in group.vars:
            name = band_name(var)
            bands = tuple(Band(b.code, b.label, b.min, b.max) for b in group.bands)
            derived[name] = Derived(name=name, label=f"{book.label(var)} (banded)", kind="bands", of=var, bands=bands)
            frame[name] = derive_column(frame, derived[name], book, missing.get(var)).where(asked[var])
            asked[name] = asked[var]
    return Dataset(replace(book, derived=derived), frame, asked), breaks


def base_words(book: Codebook, asked: str) -> str:
    """The base line of a question: everyone, or those its routing says were asked."""
    unit = book.unit if book.unit.endswith("s") else f"{book.unit}s"
    return f"All {unit}" if asked == "all" else f"{unit[:1].upper()}{unit[1:]} asked the question ({asked})"


def questions(
    ds: Dataset, tabs: SurveyTables, breaks: list[BannerBreak], min_base: int, caution_base: int
) -> list[Question]:
    """One table spec per tabulated question, in codebook order (skipped questions left out)."""
    book = ds.codebook
    by = tuple(name for brk in breaks for name in brk.by)
    nets: dict[str, list[Net]] = {}
    for group in tabs.nets:
        for name in group.vars:
            nets.setdefault(name, []).append(Net(group.label, tuple(group.codes)))
    out = []
    for var in book.variables.values():
        if var.type not in TABULATED or var.name in tabs.skip:
            continue
        base = base_words(book, var.asked)
        numeric = var.type == "numeric"
        series = [
            Series(
                var=var.name,
                key=var.name,
                label=var.label,
                base=base,
                stats=NUMERIC_STATS if numeric else ("pct",),
                nets=tuple(nets.get(var.name, ())),
            )
        ]
        if numeric:
            bands = [d for d in book.derived.values() if d.kind == "bands" and d.of == var.name]
            series += [Series(var=d.name, key=d.name, label=d.label, base=base) for d in bands]
        spec = TableSpec(
            id=f"{book.survey}_{var.name}",
            chapter=0,
            survey=book.survey,
            kind="table",
            source="data tables",
            title=var.label,
            series=tuple(series),
            by=by,
            min_base=min_base,
            caution_base=caution_base,
        )
        out.append(Question(var.name, var.type, var.label, var.asked, spec))
    return out


def tab_table(
    ds: Dataset, spec: TableSpec, design: SurveyDesign, tests: str, levels: list[float], fraction: float
) -> Table:
    """One question's cells, with `letters` (at the first level) and `letters_2` (at the
    second, when two are declared: every column significant there, including the first's)."""
    table = tabulate(ds, spec, design)
    table.tests, table.fraction = tests, fraction
    lettered = add_letters(table, levels[0])
    if len(levels) > 1:
        lettered.cells["letters_2"] = add_letters(table, levels[1]).cells["letters"]
    else:
        lettered.cells["letters_2"] = ""
    return lettered
