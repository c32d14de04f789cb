"""Schema of `survey_specs/data_tables.yaml`: the data tables (tab book) delivered beside the
report, every question of every codebook cross-tabulated by its survey's standard banner.

A banner is the list of subgroup breaks across the top of every table (SPSS Custom Tables' and
Q's "banner", quantipy's "x by y"). A break is one categorical variable, one column per code,
or two nested ones (each code of the outer variable split by the inner one's codes, the inner
columns tested against each other within their outer code). Nets count several codes of a
question together ("Agree (net)"); bands group a numeric question's answers where its codebook
declares no bands of its own.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from pipeline.spec.schema.base import Name, Number, Spec


class Break(Spec):
    """One subgroup break of a banner: a variable (`var`), or `nest: [outer, inner]`."""

    var: Name | None = Field(None, description="A categorical variable: one column per code")
    nest: list[Name] | None = Field(
        None,
        min_length=2,
        max_length=2,
        description="[outer, inner]: the inner variable's columns within each code of the outer one",
    )
    label: str | None = Field(None, description="The break's heading (default: the variable's label)")

    @model_validator(mode="after")
    def _one_of(self) -> Break:
        if (self.var is None) == (self.nest is None):
            raise ValueError("a break gives either `var` or `nest: [outer, inner]`")
        if self.nest is not None and self.nest[0] == self.nest[1]:
            raise ValueError(f"a nested break needs two different variables, not {self.nest[0]!r} twice")
        return self


class NetGroup(Spec):
    """A net added to each of `vars`' tables: the codes it counts together."""

    vars: list[Name] = Field(min_length=1, description="The questions it applies to (e.g. every item of a grid)")
    label: str = Field(min_length=1)
    codes: list[int] = Field(min_length=2, description="Answer codes (or a multi-code question's items) it counts")


class BandSpec(Spec):
    code: int
    label: str = Field(min_length=1)
    min: Number | None = None
    max: Number | None = None

    @model_validator(mode="after")
    def _bounded(self) -> BandSpec:
        if self.min is None and self.max is None:
            raise ValueError(f"band {self.label!r} needs `min`, `max` or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"band {self.label!r}: min {self.min} is above max {self.max}")
        return self


class BandGroup(Spec):
    """Bands of numeric questions whose codebook has none (both ends inclusive)."""

    vars: list[Name] = Field(min_length=1)
    bands: list[BandSpec] = Field(min_length=2)

    @model_validator(mode="after")
    def _codes_once(self) -> BandGroup:
        codes = [b.code for b in self.bands]
        if len(set(codes)) != len(codes):
            raise ValueError(f"band codes {codes} repeat a code")
        return self


class SurveyTables(Spec):
    """One survey's data tables: its banner, and the nets and bands its questions take."""

    banner: list[Break] = Field(min_length=1, description="The breaks after the Total column, in order")
    nets: list[NetGroup] = []
    bands: list[BandGroup] = []
    skip: dict[Name, str] = Field(
        {}, description="Questions not tabulated, each with the reason the contents print (e.g. a linking key)"
    )


class DataTables(Spec):
    """data_tables.yaml."""

    levels: list[Number] = Field(
        [0.95],
        min_length=1,
        max_length=2,
        description="Confidence levels of the letters: upper case at the first, lower case at the second (lower)",
    )
    tests: Literal["design", "auto", "classical"] = Field(
        "design",
        description="design: design-based t-tests for every survey; auto: as report.yaml's conventions choose; "
        "classical: z, Fisher and Welch tests (unweighted simple random samples only)",
    )
    surveys: dict[Name, SurveyTables] = Field(min_length=1)

    @model_validator(mode="after")
    def _levels_fall(self) -> DataTables:
        if any(not 0.5 < level < 1 for level in self.levels):
            raise ValueError(f"levels {self.levels} must lie between 0.5 and 1 (e.g. 0.95)")
        if len(self.levels) == 2 and not self.levels[0] > self.levels[1]:
            raise ValueError(f"the second level ({self.levels[1]}) must be below the first ({self.levels[0]})")
        return self
