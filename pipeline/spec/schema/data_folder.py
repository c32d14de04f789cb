"""Schemas of the YAML files a data folder holds beside its respondent files: `edition.yaml`
(required), `wave.yaml`, `rename.yaml` and the population frames under `frames/`."""

from __future__ import annotations

import datetime
from typing import Literal

from pydantic import Field, RootModel, StrictBool, model_validator

from pipeline.spec.schema.base import Count, Name, Number, Spec


class Fieldwork(Spec):
    """When a survey was in the field: both dates, or the year and a note saying why not."""

    start: datetime.date | None = None
    end: datetime.date | None = None
    year: int | None = Field(None, ge=1900, le=2999, description="The fieldwork year, where the dates are not known")
    note: str | None = Field(
        None, description="Said instead of dates where they are not known, e.g. '2019 (dates not published)'"
    )

    @model_validator(mode="after")
    def _dates_or_year(self) -> Fieldwork:
        if (self.start is None) != (self.end is None):
            raise ValueError("give both `start` and `end`, or neither (then `year` and `note`)")
        if self.start is not None and self.end is not None:
            if self.start > self.end:
                raise ValueError(f"fieldwork starts ({self.start}) after it ends ({self.end})")
            if self.year is not None and self.year != self.start.year:
                raise ValueError(f"`year` {self.year} is not the year fieldwork started ({self.start.year})")
        elif self.year is None or not self.note:
            raise ValueError("without `start` and `end`, give the `year` and a `note` saying the dates are not known")
        return self

    @property
    def first_year(self) -> int:
        """The year fieldwork started, from the dates or as declared (what summaries print)."""
        if self.start is not None:
            return self.start.year
        assert self.year is not None, "the validator requires `year` where the dates are not known"
        return int(self.year)


class SurveyEdition(Spec):
    """One survey's wave in this data folder."""

    wave: str = Field(min_length=1, description="The wave's label, e.g. '2018' or 'Wave 2'")
    fieldwork: Fieldwork


class Provenance(Spec):
    """Where the respondent data come from, in the words the report prints."""

    kind: Literal["synthetic", "real"] = Field(description="synthetic: generated data; real: survey data as delivered")
    label: str = Field(
        min_length=1, description="A short name, e.g. 'synthetic reconstruction' (cover, workbook sources)"
    )
    summary: str = Field(min_length=1, description="One or two sentences for the cover and the workbook")
    statement: str = Field(min_length=1, description="The paragraph on the data behind this edition (section 2.6)")


class Release(Spec):
    """This edition as a release: the version and date readers cite."""

    version: str = Field(min_length=1, description="e.g. '1.0'; a corrected release takes the next one")
    date: datetime.date = Field(description="The date the release is published")


class Edition(Spec):
    """edition.yaml: what this data folder is, which the cover, the summary and the methodology say."""

    name: str = Field(min_length=1, description="The edition's name, e.g. 'Reconstruction of the 2020 report'")
    data_as_of: datetime.date = Field(description="The date the data describe (the cover's 'Data as of')")
    provenance: Provenance
    reproduces_published: StrictBool = Field(
        description="Whether these are the data of the published report, so that every statistic it prints "
        "must be reproduced: only then the reproduction audit and remarks on what the report said "
        "appear; otherwise the published figures are compared with this edition's"
    )
    surveys: dict[Name, SurveyEdition] = Field(min_length=1, description="Every survey of report.yaml")
    release: Release | None = Field(
        None, description="The release's version and date; without it the outputs say they are a draft"
    )


class Wave(Spec):
    """wave.yaml: which wave this folder is, and where the previous one is. Each survey's wave
    labels come from the two folders' edition.yaml; `previous_wave` names a previous wave whose
    folder has none."""

    wave: str = Field(description="This wave's name, e.g. '2026'")
    previous: str = Field(description="The previous wave's folder, relative to this one")
    previous_wave: str | None = Field(
        None, description="The previous wave's name where its folder has no edition.yaml (default: its folder's name)"
    )


class Rename(RootModel[dict[Name, dict[str, Name]]]):
    """rename.yaml: per survey, {name in the file: name in the codebook}."""

    model_config = {"strict": True}


class Frame(Spec):
    """A population frame for rim weighting: counts (or shares) per category of each variable."""

    survey: Name
    population: Count
    source: str = Field(description="Where the counts come from ('assumed' if they are a declared assumption)")
    margins: dict[Name, dict[int, Number]] = Field(min_length=1)
