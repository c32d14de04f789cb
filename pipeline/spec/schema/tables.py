"""Schema of a chapter's table specs, `survey_specs/tables/<chapter>.yaml`: every figure, table
and quoted tabulation, what it counts, over whom, split by what."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from pipeline.spec.schema.base import Count, Expression, Name, Spec

Statistic = Literal["pct", "mean", "median", "ratio"]
TableKind = Literal["figure", "table", "text"]
ChartKind = Literal["bar", "stacked"]
Layout = Literal["categories", "series_rows", "grid"]


class Net(Spec):
    """Several codes counted together (e.g. 'Any vacancies')."""

    label: str
    codes: list[int] = Field(min_length=1)


class Series(Spec):
    """One variable tabulated over one base: who was asked it, and who meets `filter`."""

    var: Name
    key: str | None = Field(None, description="How templates and targets name this series (default: `var`)")
    label: str = ""
    base: str = Field(description="The base in words, as printed under the exhibit")
    filter: Expression | None = Field(None, description="Restricts the base further, e.g. `size10 == 2`")
    stats: list[Statistic] = Field(["pct"], min_length=1)
    nets: list[Net] = []
    denominator: Name | None = Field(None, description="ratio: the variable the series is a share of")
    base_name: str = Field("", description="How the base line names this series' base where bases differ")
    row: str = Field("", description="grid layout: the row this series' statistic fills")
    col: str = Field("", description="grid layout: the column")
    unit: Literal["", "%"] = Field("", description="'%': a mean or median that is itself a percentage")
    top: Count = Field(0, description="multi-code: show only the `top` most mentioned codes, netting the rest")
    panel: str = Field("", description="charts: side-by-side panels sharing categories")
    top_label: str = "Other answers (outside the top ten)"

    @model_validator(mode="after")
    def _ratio_has_a_denominator(self) -> Series:
        if "ratio" in self.stats and not self.denominator:
            raise ValueError("stat 'ratio' needs a `denominator` variable")
        if self.denominator and "ratio" not in self.stats:
            raise ValueError("`denominator` is used only by stat 'ratio'")
        return self


class Table(Spec):
    """One exhibit or quoted tabulation."""

    id: Name
    kind: TableKind
    source: str = Field("text", description="The 2020 report's number for the exhibit, or 'text'")
    title: str
    series: list[Series] = Field(min_length=1)
    survey: Name | None = Field(None, description="Default: the file's `survey`")
    printed_as: str | None = Field(None, description="A misprinted caption in the 2020 report")
    chart: ChartKind | None = None
    sort: Literal["desc"] | None = None
    by: list[Name] = Field([], description="Subgroup variables: one column per code")
    layout: Layout = "categories"
    min_base: Count | None = Field(None, description="Suppress below this base (default: report.yaml's)")
    caution_base: Count | None = Field(None, description="Mark below this base (default: report.yaml's)")
    notes: list[str] = []
    nets: list[Net] = Field([], description="Nets added to every series")

    @model_validator(mode="after")
    def _consistent(self) -> Table:
        keys = [s.key or s.var for s in self.series]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValueError(f"two series share the key {twice[0]!r}: give one of them `key:`")
        if self.layout == "grid" and any(not (s.row and s.col) for s in self.series):
            raise ValueError("a grid layout needs `row` and `col` on every series")
        if self.chart and self.kind != "figure":
            raise ValueError(f"`chart` applies to figures, not to a {self.kind}")
        return self


class TablesFile(Spec):
    """The tables of one chapter."""

    chapter: int = Field(description="The number of the chapter in report.yaml that lists this file")
    survey: Name | None = Field(None, description="The survey of every table that names none")
    tables: list[Table] = Field(min_length=1)
