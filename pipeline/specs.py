"""Read the survey specs (YAML) into typed objects, rejecting malformed specs with clear errors.

All survey knowledge lives in `survey_specs/`; the stages only see these objects.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import SpecError

SPECS_DIR = Path(__file__).resolve().parent.parent / "survey_specs"
QUESTION_TYPES = {"id", "single", "scale", "multi", "numeric", "text"}
DERIVED_KINDS = {"count", "bands", "expr", "link"}
LINK_AGGREGATES = {"count", "any", "all", "sum", "mean", "min", "max", "first"}
TABLE_KINDS = {"figure", "table", "text"}
STATS = {"pct", "mean", "median", "ratio"}


# libyaml's C parser when PyYAML was built with it: the specs parse ten times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """Parse one YAML file, naming the file in any error."""
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_LOADER)
    except FileNotFoundError as exc:
        raise SpecError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: not valid YAML: {exc}") from exc


def _require(entry: dict, key: str, where: str) -> Any:
    if key not in entry:
        raise SpecError(f"{where}: missing required key {key!r}")
    return entry[key]


def _codes(raw: dict | None, where: str) -> dict[int, str]:
    if raw is None:
        return {}
    try:
        return {int(k): str(v) for k, v in raw.items()}
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{where}: codes must be integers mapped to labels") from exc


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


def _variable(entry: dict, missing: dict[str, dict[int, str]], siblings: dict) -> Variable:
    name = _require(entry, "name", "variable")
    where = f"variable {name!r}"
    vtype = _require(entry, "type", where)
    if vtype not in QUESTION_TYPES:
        raise SpecError(f"{where}: type {vtype!r} is not one of {sorted(QUESTION_TYPES)}")
    codes = _codes(entry.get("items") if vtype == "multi" else entry.get("codes"), where)
    if "codes_from" in entry:
        codes = dict(siblings[entry["codes_from"]].codes)
    if vtype in ("single", "scale", "multi") and not codes:
        raise SpecError(f"{where}: a {vtype} question needs codes (or items)")
    miss = {} if vtype in ("id", "multi", "text") else missing["numeric" if vtype == "numeric" else "categorical"]
    if "missing" in entry:
        miss = _codes(entry["missing"], where)
    rng = tuple(entry["range"]) if "range" in entry else None
    return Variable(name=name, label=_require(entry, "label", where), type=vtype,
                    asked=str(entry.get("asked", "all")), codes=codes, missing=miss, range=rng,
                    selected_in=entry.get("selected_in"),
                    differs_from=tuple(entry.get("differs_from", ())))


def _derived(entry: dict) -> Derived:
    name = _require(entry, "name", "derived variable")
    where = f"derived variable {name!r}"
    kind = _require(entry, "kind", where)
    if kind not in DERIVED_KINDS:
        raise SpecError(f"{where}: kind {kind!r} is not one of {sorted(DERIVED_KINDS)}")
    for b in entry.get("bands", ()):
        unknown = set(b) - {"code", "label", "min", "max"}
        if unknown or not {"code", "label"} <= set(b):
            raise SpecError(f"{where}: band {b} needs code and label (and min/max) only; "
                            f"unexpected {sorted(map(str, unknown))} (quote labels containing commas)")
    bands = tuple(Band(code=int(b["code"]), label=str(b["label"]), min=b.get("min"), max=b.get("max"))
                  for b in entry.get("bands", ()))
    if kind == "bands" and not bands:
        raise SpecError(f"{where}: kind 'bands' needs a list of bands")
    if kind in ("count", "bands") and "of" not in entry:
        raise SpecError(f"{where}: kind {kind!r} needs 'of'")
    if kind == "expr" and "expr" not in entry:
        raise SpecError(f"{where}: kind 'expr' needs 'expr'")
    if kind == "link":
        if not {"from", "key", "agg"} <= set(entry):
            raise SpecError(f"{where}: kind 'link' needs 'from' (survey), 'key' and 'agg'")
        if entry["agg"] not in LINK_AGGREGATES:
            raise SpecError(f"{where}: agg {entry['agg']!r} is not one of {sorted(LINK_AGGREGATES)}")
    return Derived(name=name, label=_require(entry, "label", where), kind=kind, of=entry.get("of"),
                   bands=bands, expr=entry.get("expr"), asked=entry.get("asked"),
                   codes=_codes(entry.get("codes"), where), source=entry.get("from"),
                   key=entry.get("key"), agg=entry.get("agg"), var=entry.get("var"))


def load_codebook(survey: str, specs_dir: Path = SPECS_DIR) -> Codebook:
    """Load `survey_specs/<survey>.yaml`."""
    path = specs_dir / f"{survey}.yaml"
    raw = read_yaml(path)
    try:
        missing = {k: _codes(v, f"{path}: missing") for k, v in raw.get("missing", {}).items()}
        missing.setdefault("categorical", {})
        missing.setdefault("numeric", {})
        variables: dict[str, Variable] = {}
        for entry in _require(raw, "variables", str(path)):
            var = _variable(entry, missing, variables)
            if var.name in variables:
                raise SpecError(f"variable {var.name!r} is defined twice")
            variables[var.name] = var
        derived: dict[str, Derived] = {}
        for entry in raw.get("derived", []):
            der = _derived(entry)
            if der.name in variables or der.name in derived:
                raise SpecError(f"derived variable {der.name!r} clashes with another variable")
            derived[der.name] = der
    except SpecError as exc:
        raise SpecError(f"{path}: {exc}") from exc
    meta = {k: raw[k] for k in ("fieldwork", "population") if k in raw}
    return Codebook(survey=raw["survey"], title=raw["title"], file=raw["file"], id=raw["id"],
                    unit=raw.get("unit", "respondent"), meta=meta, variables=variables,
                    derived=derived)


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


def _nets(raw: list | None, where: str) -> tuple[Net, ...]:
    nets = []
    for n in raw or ():
        try:
            nets.append(Net(label=str(n["label"]), codes=tuple(int(c) for c in n["codes"])))
        except (KeyError, TypeError, ValueError) as exc:
            raise SpecError(f"{where}: a net needs a label and a list of integer codes") from exc
    return tuple(nets)


def _series(entry: dict, table_nets: tuple[Net, ...], where: str) -> Series:
    var = _require(entry, "var", where)
    stats = tuple(entry.get("stats", ("pct",)))
    bad = set(stats) - STATS
    if bad:
        raise SpecError(f"{where}: unknown stats {sorted(bad)}; use {sorted(STATS)}")
    if "ratio" in stats and "denominator" not in entry:
        raise SpecError(f"{where}: stat 'ratio' needs a 'denominator' variable")
    return Series(var=var, key=str(entry.get("key", var)), label=str(entry.get("label", "")),
                  base=str(_require(entry, "base", where)), filter=entry.get("filter"),
                  stats=stats, nets=_nets(entry.get("nets"), where) + table_nets,
                  denominator=entry.get("denominator"), base_name=str(entry.get("base_name", "")),
                  row=str(entry.get("row", "")), col=str(entry.get("col", "")),
                  unit=str(entry.get("unit", "")), top=int(entry.get("top", 0)), panel=str(entry.get("panel", "")),
                  top_label=str(entry.get("top_label", Series.top_label)))


LAYOUTS = {"categories", "series_rows", "grid"}


def _layout(layout: str, series: tuple[Series, ...], where: str) -> str:
    if layout not in LAYOUTS:
        raise SpecError(f"{where}: layout {layout!r} is not one of {sorted(LAYOUTS)}")
    if layout == "grid" and any(not (s.row and s.col) for s in series):
        raise SpecError(f"{where}: a grid layout needs `row` and `col` on every series")
    return layout


def _table(entry: dict, chapter: int, survey: str, where: str, defaults: dict) -> TableSpec:
    tid = _require(entry, "id", where)
    where = f"{where}: table {tid!r}"
    kind = _require(entry, "kind", where)
    if kind not in TABLE_KINDS:
        raise SpecError(f"{where}: kind {kind!r} is not one of {sorted(TABLE_KINDS)}")
    table_nets = _nets(entry.get("nets"), where)
    series = tuple(_series(s, table_nets, where) for s in _require(entry, "series", where))
    keys = [s.key for s in series]
    if len(set(keys)) != len(keys):
        raise SpecError(f"{where}: two series share a key; give one of them `key:`")
    return TableSpec(id=tid, chapter=chapter, survey=entry.get("survey", survey), kind=kind,
                     source=str(entry.get("source", "text")), title=_require(entry, "title", where),
                     series=series, printed_as=entry.get("printed_as"), chart=entry.get("chart"),
                     sort=entry.get("sort"), by=tuple(entry.get("by", ())),
                     layout=_layout(entry.get("layout", "categories"), series, where),
                     min_base=int(entry.get("min_base", defaults.get("min_base", 30))),
                     caution_base=int(entry.get("caution_base", defaults.get("caution_base", 50))),
                     notes=tuple(str(n) for n in entry.get("notes", ())))


def load_tables(path: Path, defaults: dict | None = None) -> list[TableSpec]:
    """Load one `survey_specs/tables/<chapter>.yaml` file; `defaults` are report.yaml conventions."""
    raw = read_yaml(path)
    chapter = int(_require(raw, "chapter", str(path)))
    survey = raw.get("survey", "")
    return [_table(e, chapter, survey, str(path), defaults or {})
            for e in _require(raw, "tables", str(path))]


def check_tables(tables: list[TableSpec], codebooks: dict[str, Codebook]) -> None:
    """Fail early when a table names a survey, variable or net code the codebook lacks."""
    seen: set[str] = set()
    for t in tables:
        where = f"table {t.id!r}"
        if t.id in seen:
            raise SpecError(f"{where}: id used twice")
        seen.add(t.id)
        book = codebooks.get(t.survey)
        if book is None:
            raise SpecError(f"{where}: unknown survey {t.survey!r}")
        for name in [s.var for s in t.series] + list(t.by):
            book.label(name)
        for s in t.series:
            if s.top and book.kind(s.var) != "multi":
                raise SpecError(f"{where}: `top` applies to multi-code questions, not {s.var!r}")
            if book.kind(s.var) == "numeric":
                continue
            codes = set(book.labels(s.var)) if book.kind(s.var) != "multi" else set(
                book.variables[s.var].codes)
            for net in s.nets:
                missing = set(net.codes) - codes
                if missing:
                    raise SpecError(f"{where}: net {net.label!r} uses codes {sorted(missing)} "
                                    f"that {s.var!r} does not have")
