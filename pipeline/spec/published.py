"""The figures and claims the 2020 report prints (`survey_specs/published/`), as the typed
objects the audit checks: each figure a `Target` (the cell that should reproduce it), each
stated subgroup difference a `Claim`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.spec.objects import SPECS_DIR
from pipeline.spec.schema import Published
from pipeline.spec.schema.reading import read_valid


@dataclass(frozen=True)
class Target:
    """One printed statistic and the table cell that should reproduce it."""

    id: str
    survey: str
    figure: str
    table: str
    series: str | None
    category: int | str | None
    column: str
    stat: str
    published: str
    compare: str
    note: str
    contradiction: str

    @property
    def cell(self) -> str:
        parts = [
            self.table,
            self.series or "",
            str(self.category if self.category is not None else ""),
            self.column,
            self.stat,
        ]
        return "/".join(parts)


def read_published(survey: str, specs_dir: Path) -> Published | None:
    """`published/<survey>.yaml`, validated; None when the survey has no published figures."""
    path = specs_dir / "published" / f"{survey}.yaml"
    if not path.is_file():
        return None
    return read_valid(path, Published)


def targets_from(spec: Published | None) -> list[Target]:
    """The audit's targets from a validated published file."""
    if spec is None:
        return []
    return [
        Target(
            id=t.id,
            survey=spec.survey,
            figure=t.figure,
            table=t.table,
            series=t.series,
            category=t.category,
            column=t.column,
            stat=t.stat,
            published=t.published,
            compare=t.compare,
            note=t.note,
            contradiction=t.contradiction,
        )
        for t in spec.targets
    ]


def load_targets(survey: str, specs_dir: Path = SPECS_DIR) -> list[Target]:
    return targets_from(read_published(survey, specs_dir))


CLAIMS = {
    "significant": "significant",
    "not_significant": "not significant",
    "stated": "difference stated, no significance claimed",
}


@dataclass(frozen=True)
class Claim:
    """A subgroup comparison the source states, and what it says about significance."""

    id: str
    survey: str
    figure: str
    table: str
    series: str | None
    category: int | str | None
    columns: tuple[str, str]
    stat: str
    claim: str
    note: str
    contradiction: str
    direction: str | None = None  # 'higher' or 'lower': the first column against the second, as the source says

    @property
    def cell(self) -> str:
        cat = "" if self.category is None else str(self.category)
        return f"{self.table}/{self.series or ''}/{cat}/{self.columns[0]} vs {self.columns[1]}/{self.stat}"


def claims_from(spec: Published | None) -> list[Claim]:
    """The stated subgroup differences from a validated published file."""
    if spec is None:
        return []
    return [
        Claim(
            id=c.id,
            survey=spec.survey,
            figure=c.figure,
            table=c.table,
            series=c.series,
            category=c.category,
            columns=(c.columns[0], c.columns[1]),
            stat=c.stat,
            claim=c.claim,
            note=c.note,
            contradiction=c.contradiction,
            direction=c.direction,
        )
        for c in spec.claims
    ]


def load_claims(survey: str, specs_dir: Path = SPECS_DIR) -> list[Claim]:
    return claims_from(read_published(survey, specs_dir))
