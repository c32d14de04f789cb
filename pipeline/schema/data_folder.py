"""Schemas of the YAML files a data folder may hold beside its respondent files: `wave.yaml`,
`rename.yaml` and the population frames under `frames/`."""
from __future__ import annotations

from pydantic import Field, RootModel

from .base import Count, Name, Number, Spec


class Wave(Spec):
    """wave.yaml: which wave this folder is, and where the previous one is."""

    wave: str = Field(description="This wave's name, e.g. '2026'")
    previous: str = Field(description="The previous wave's folder, relative to this one")
    previous_wave: str | None = Field(None, description="The previous wave's name (default: its folder's name)")


class Rename(RootModel[dict[Name, dict[str, Name]]]):
    """rename.yaml: per survey, {name in the file: name in the codebook}."""

    model_config = {"strict": True}


class Frame(Spec):
    """A population frame for rim weighting: counts (or shares) per category of each variable."""

    survey: Name
    population: Count
    source: str = Field(description="Where the counts come from ('assumed' if they are a declared assumption)")
    margins: dict[Name, dict[int, Number]] = Field(min_length=1)
