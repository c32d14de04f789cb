"""The survey specs as the stages see them: typed, immutable objects built from the validated
YAML (`pipeline.spec.schema` checks every file first, and every reference between them).

All survey knowledge lives in `survey_specs/`; the stages only see these objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import SpecError
from pipeline.spec import schema
from pipeline.spec.folders import SPECS_DIR
from pipeline.spec.schema.reading import read_valid


@dataclass(frozen=True)
class Variable:
    """A question as asked: its type, codes, user-missing codes and routing."""

    name: str
    label: str
    type: str
    asked: str = "all"
    codes: dict[int, str] = field(default_factory=dict)
    missing: dict[int, str] = field(default_factory=dict)
    range: tuple[float, float] | None = None
    selected_in: str | None = None
    differs_from: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        """Columns this question occupies in the data file (one per item for multi-code)."""
        if self.type == "multi":
            return [f"{self.name}_{code}" for code in self.codes]
        return [self.name]

    @property
    def labels(self) -> dict[int, str]:
        """Answer codes then user-missing codes, for tabulating categorical answers."""
        return {**self.codes, **self.missing}


@dataclass(frozen=True)
class Band:
    code: int
    label: str
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Derived:
    """A variable computed from answers: a count of items, bands of a number, or an expression."""

    name: str
    label: str
    kind: str
    of: str | None = None
    bands: tuple[Band, ...] = ()
    expr: str | None = None
    asked: str | None = None
    codes: dict[int, str] = field(default_factory=dict)
    source: str | None = None  # link: the other unit's survey (e.g. CCGs for a lead)
    key: str | None = None  # link: the variable both files share
    agg: str | None = None  # link: how the other unit's rows combine
    var: str | None = None  # link: the other unit's variable to combine (or use `expr`)

    @property
    def labels(self) -> dict[int, str]:
        if self.kind == "bands":
            return {b.code: b.label for b in self.bands}
        return dict(self.codes)


@dataclass(frozen=True)
class Codebook:
    """Everything known about one survey's questions and derived variables."""

    survey: str
    title: str
    file: str
    id: str
    unit: str
    meta: dict[str, Any]
    variables: dict[str, Variable]
    derived: dict[str, Derived]

    def labels(self, name: str) -> dict[int, str]:
        """Category labels of any categorical question or derived variable."""
        if name in self.variables:
            return self.variables[name].labels
        if name in self.derived:
            der = self.derived[name]
            source = self.variables.get(der.of or "")
            if der.kind == "bands" and source is not None:
                return {**der.labels, **source.missing}
            return der.labels
        raise SpecError(f"{self.survey}: unknown variable {name!r}")

    def label(self, name: str) -> str:
        if name in self.variables:
            return self.variables[name].label
        if name in self.derived:
            return self.derived[name].label
        raise SpecError(f"{self.survey}: unknown variable {name!r}")

    def kind(self, name: str) -> str:
        """'multi', 'numeric' or 'categorical': how a variable is tabulated."""
        var = self.variables.get(name)
        if var is not None:
            if var.type in ("multi", "numeric"):
                return var.type
            return "categorical"
        der = self.derived.get(name)
        if der is None:
            raise SpecError(f"{self.survey}: unknown variable {name!r}")
        return "categorical" if der.labels else "numeric"


def codebook_from(model: schema.Codebook) -> Codebook:
    """The stages' codebook from its validated spec: default missing codes applied, codes
    taken from the questions `codes_from` names."""
    defaults = {"categorical": dict(model.missing.categorical), "numeric": dict(model.missing.numeric)}
    variables: dict[str, Variable] = {}
    for v in model.variables:
        codes = (
            dict(variables[v.codes_from].codes)
            if v.codes_from
            else dict((v.items if v.type == "multi" else v.codes) or {})
        )
        missing = (
            {} if v.type in ("id", "multi", "text") else defaults["numeric" if v.type == "numeric" else "categorical"]
        )
        variables[v.name] = Variable(
            name=v.name,
            label=v.label,
            type=v.type,
            asked=v.asked,
            codes=codes,
            missing=dict(v.missing) if v.missing is not None else missing,
            range=(v.range[0], v.range[1]) if v.range else None,  # the schema checks it is [lowest, highest]
            selected_in=v.selected_in,
            differs_from=tuple(v.differs_from),
        )
    derived = {
        d.name: Derived(
            name=d.name,
            label=d.label,
            kind=d.kind,
            of=d.of,
            bands=tuple(Band(code=b.code, label=b.label, min=b.min, max=b.max) for b in d.bands),
            expr=d.expr,
            asked=d.asked,
            codes=dict(d.codes),
            source=d.source,
            key=d.key,
            agg=d.agg,
            var=d.var,
        )
        for d in model.derived
    }
    meta = {
        key: getattr(model, key).model_dump(exclude_none=True)
        for key in ("population",)
        if getattr(model, key) is not None
    }
    meta["design"] = model.design.model_dump()
    if model.roles:  # in questionnaire order, each with its names for prose
        meta["roles"] = {
            key: {"one": r.one, "many": r.many, "full": r.full or r.many} for key, r in model.roles.items()
        }
    return Codebook(
        survey=model.survey,
        title=model.title,
        file=model.file,
        id=model.id,
        unit=model.unit,
        meta=meta,
        variables=variables,
        derived=derived,
    )


def load_codebook(survey: str, specs_dir: Path = SPECS_DIR) -> Codebook:
    """One codebook, `<specs_dir>/<survey>.yaml`, checked against its schema (the checks across
    files run when the whole report's specs are loaded, `pipeline.spec.report_spec.load_report_spec`)."""
    return codebook_from(read_valid(specs_dir / f"{survey}.yaml", schema.Codebook))


@dataclass(frozen=True)
class Net:
    label: str
    codes: tuple[int, ...]


@dataclass(frozen=True)
class Series:
    """One variable tabulated over one base (routing of the variable plus an optional filter)."""

    var: str
    key: str
    label: str
    base: str
    filter: str | None = None
    stats: tuple[str, ...] = ("pct",)
    nets: tuple[Net, ...] = ()
    denominator: str | None = None
    base_name: str = ""  # how the base line names this series' base where bases differ
    row: str = ""  # grid layout: the row and column this series' statistic fills
    col: str = ""
    unit: str = ""  # "%": a mean (or median) that is itself a percentage, shown like one
    top: int = 0  # multi-code: show only the `top` most mentioned codes, netting the rest
    panel: str = ""  # charts: side-by-side panels (e.g. "carry out" | "most time"), one colour per base_name
    top_label: str = "Other answers (outside the top ten)"


@dataclass(frozen=True)
class TableSpec:
    """One exhibit or quoted tabulation: what to count, over whom, split by what."""

    id: str
    chapter: int
    survey: str
    kind: str
    source: str
    title: str
    series: tuple[Series, ...]
    printed_as: str | None = None
    chart: str | None = None
    sort: str | None = None
    by: tuple[str, ...] = ()
    layout: str = "categories"  # categories (down) | series_rows (one row per series) | grid
    min_base: int = 30
    caution_base: int = 50
    notes: tuple[str, ...] = ()  # printed under the exhibit (e.g. how open answers were coded)


def _nets(nets: list[schema.Net]) -> tuple[Net, ...]:
    return tuple(Net(label=n.label, codes=tuple(n.codes)) for n in nets)


def table_from(model: schema.Table, chapter: int, survey: str, conventions: schema.Conventions) -> TableSpec:
    """The stages' table spec from its validated entry; bases default to report.yaml's."""
    table_nets = _nets(model.nets)
    series = tuple(
        Series(
            var=s.var,
            key=s.key or s.var,
            label=s.label,
            base=s.base,
            filter=s.filter,
            stats=tuple(s.stats),
            nets=_nets(s.nets) + table_nets,
            denominator=s.denominator,
            base_name=s.base_name,
            row=s.row,
            col=s.col,
            unit=s.unit,
            top=s.top,
            panel=s.panel,
            top_label=s.top_label,
        )
        for s in model.series
    )
    return TableSpec(
        id=model.id,
        chapter=chapter,
        survey=model.survey or survey,
        kind=model.kind,
        source=model.source,
        title=model.title,
        series=series,
        printed_as=model.printed_as,
        chart=model.chart,
        sort=model.sort,
        by=tuple(model.by),
        layout=model.layout,
        min_base=conventions.min_base if model.min_base is None else model.min_base,
        caution_base=conventions.caution_base if model.caution_base is None else model.caution_base,
        notes=tuple(model.notes),
    )


def tables_from(model: schema.TablesFile, conventions: schema.Conventions) -> list[TableSpec]:
    return [table_from(t, model.chapter, model.survey or "", conventions) for t in model.tables]


def load_tables(path: Path, conventions: schema.Conventions | None = None) -> list[TableSpec]:
    """One chapter's table specs, checked against their schema."""
    return tables_from(read_valid(path, schema.TablesFile), conventions or schema.Conventions())
