"""Schema of bench.yaml: what `make bench` builds and measures, and the budgets it is held to."""

from __future__ import annotations

from pydantic import Field

from pipeline.spec.schema.base import Count, Name, Number, Spec


class BuildChange(Spec):
    file: str = Field(description="A table spec file, under the specs folder")
    table: Name = Field(description="The table in it whose title the benchmark edits")


class BuildBudgets(Spec):
    full: Number = Field(gt=0)
    unchanged: Number = Field(gt=0)
    one_table: Number = Field(gt=0)


class Builds(Spec):
    change: BuildChange
    budgets: BuildBudgets


class ScaleBudgets(Spec):
    memory_gb: Number = Field(gt=0)
    tabulation_vs_floor: Number = Field(gt=0)


class Scale(Spec):
    survey: Name
    respondents: Count
    jitter: Number = Field(ge=0)
    seed: int
    budgets: ScaleBudgets
    margins: dict[Name, dict[int, Number]] = Field(min_length=1)


class Bench(Spec):
    """bench.yaml: what `make bench` builds and measures, and its budgets."""

    builds: Builds
    scale: Scale
