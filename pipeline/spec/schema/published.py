"""Schema of `survey_specs/published/<survey>.yaml`: the statistics and significance claims the
2020 report prints (the audit's targets; only the audit and the reconstruction read them)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipeline.spec.schema.base import Name, Spec


class Target(Spec):
    """One printed statistic and the table cell that should reproduce it."""

    id: str
    figure: str = Field(description="Where the 2020 report prints it (e.g. 'Figure 4.1', 'text')")
    table: Name
    series: str | None = None
    category: int | str | None = None
    column: str = "total"
    stat: Literal["pct", "mean", "median", "ratio", "base", "n"] = "pct"
    published: str = Field(
        pattern=r"^<?-?[0-9][0-9,]*(\.[0-9]+)?%?$", description="As printed, e.g. '56%', '9.5', '<1%'"
    )
    compare: Literal["eq", "le", "ge"] = "eq"
    note: str = ""
    contradiction: str = Field("", description="Why the source contradicts itself here")
    quote: str | None = None
    section: str | None = None


class Claim(Spec):
    """A subgroup difference the 2020 report states, and what it says of its significance."""

    id: str
    figure: str
    table: Name
    series: str | None = None
    category: int | str | None = None
    columns: list[str] = Field(min_length=2, max_length=2)
    stat: Literal["pct", "mean"] = "pct"
    claim: Literal["significant", "not_significant", "stated"]
    direction: Literal["higher", "lower"] | None = Field(
        None,
        description="Whether the source says the first column's figure is higher or lower than the second's "
        "(by default read from its printed figures of both cells, where it prints them)",
    )
    note: str = ""
    contradiction: str = ""
    quote: str | None = None
    section: str | None = None


class Published(Spec):
    survey: Name
    targets: list[Target] = Field(min_length=1)
    claims: list[Claim] = []
