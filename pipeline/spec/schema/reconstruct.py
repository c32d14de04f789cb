"""Schema of `survey_specs/reconstruct/<survey>.yaml`: how the synthetic respondents are made
(read by `pipeline/tools/reconstruct` only)."""

from __future__ import annotations

from pydantic import Field, StrictBool, model_validator

from pipeline.spec.schema.base import Count, Expression, Name, Number, Spec

CountOrRange = Count | list[Count]  # an exact count, or [lowest, highest]


class CodeSet(Spec):
    """Respondents giving any of several codes."""

    codes: list[int] = Field(min_length=1)
    count: CountOrRange


class Cell(Spec):
    """Counts within a subgroup."""

    where: Expression
    counts: dict[int, CountOrRange] = {}
    sets: list[CodeSet] = []


class BandRange(Spec):
    code: int
    min: Number | None = None
    max: Number | None = None


class RowTotalCell(Spec):
    where: Expression
    totals: list[int] = Field(min_length=1)
    count: CountOrRange


class MeanRule(Spec):
    value: Number
    where: Expression | None = None
    tol: Number = Field(0.25, gt=0)


class MedianRule(Spec):
    value: Number
    where: Expression | None = None


class WeightedMeanRule(Spec):
    value: Number
    weight: Name
    where: Expression | None = None
    tol: Number = Field(0.25, gt=0)


class GroupRule(Spec):
    where: Expression
    count: CountOrRange
    sizes: list[Count] | None = None


class Groups(Spec):
    start: int = 1
    sizes: dict[int, Count]
    within: list[GroupRule] = []


class Verbatim(Spec):
    codes: Name = Field(description="The multi-code question the open answers were coded to")
    phrases: dict[int, list[str]]


class Step(Spec):
    """One question's answers (or, with `shares`, several numeric shares of one whole)."""

    var: Name | None = None
    shares: list[Name] | None = None
    among: Expression | None = Field(None, description="Who answers (default: who was asked)")
    counts: dict[int, CountOrRange] = {}
    sets: list[CodeSet] = []
    cells: list[Cell] = []
    only_if: dict[int, Expression] = {}
    row_totals: dict[int, Count] | None = None
    row_total_cells: list[RowTotalCell] = []
    min_items: Count = 0
    bands: list[BandRange] = []
    integer: StrictBool = True
    at_least: Expression | None = None
    at_most: Expression | None = None
    mean: list[MeanRule] = []
    median: list[MedianRule] = []
    weighted_mean: list[WeightedMeanRule] = []
    groups: Groups | None = None
    answered: Count | None = None
    means: list[Number] = []
    total: Count = 100
    concentration: Number = Field(6, gt=0)
    missing_code: Number = 99998
    verbatim: Verbatim | None = None

    @model_validator(mode="after")
    def _one_question(self) -> Step:
        if (self.var is None) == (self.shares is None):
            raise ValueError("a step names one question (`var`) or several shares (`shares`)")
        if self.shares is not None and (self.answered is None or len(self.means) != len(self.shares)):
            raise ValueError("a `shares` step needs `answered` and one of `means` per share")
        return self


class Reconstruction(Spec):
    survey: Name
    seed: int
    n: Count
    id_start: int = 1
    file_date: str = Field("", description="The header stamp of the generated .sav, e.g. '07 Dec 18'")
    steps: list[Step] = Field(min_length=1)
