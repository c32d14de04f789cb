"""Stress waves: plausible new waves of the surveys, generated under a seed, for tests and users.

A stress wave is what a new wave could look like when the world has moved: shares shifted by
15-40 points, subgroup differences reversed, new leaders in ranked lists, means moved across
their medians, and the edge cases prose must survive (ties for first, shares exactly on a
word's boundary, categories at zero, every respondent giving one answer, subgroups under the
minimum or caution base, equal shares in compared groups, a mean equal to its median).

Rows stay valid because no answer is invented: the new wave is the given wave's respondents,
resampled with replacement under tilted probabilities (exponential tilting of the empirical
distribution, as in Efron's weighted bootstrap: Efron 1981, "Nonparametric standard errors and
confidence intervals", Canadian Journal of Statistics 9(2)), and edge cases are made by keeping,
dropping or repeating whole respondents; everyone then gets a fresh unique id. Surveys joined by
a `link` derived variable (a CCG lead and the CCGs they answered for) are resampled as one unit,
so every link stays valid. What to perturb is chosen at random from the codebooks and table
specs, never from the report's sentences, and never from the published targets.

This package is a tool beside the report stages: it reads a data folder and the specs, and
writes a data folder (`python -m pipeline.cli stress-wave --seed N --out DIR`). Its API is what
this module exposes: `stress_wave` makes one wave, `load_source` reads the given wave once for
callers making many, and the record (`StressWave`, `Perturbation`, `Cell`) says what a wave
contains. Its modules follow the making of a wave: `source` (the given wave and its families),
`meter` (cells measured on a resampling), `candidates` (what to perturb), `wave` (one attempt:
drawn copies and exact edits), `aims` (the random perturbations), `edges` (the edge cases),
`search` (attempts until every kind lands), `writer` (the new folder) and `record`.
"""

from pipeline.tools.stress.aims import RANDOM_KINDS
from pipeline.tools.stress.edges import EDGE_KINDS
from pipeline.tools.stress.meter import Cell
from pipeline.tools.stress.record import Perturbation, StressWave
from pipeline.tools.stress.search import stress_wave
from pipeline.tools.stress.source import Source, load_source

__all__ = [
    "EDGE_KINDS",
    "RANDOM_KINDS",
    "Cell",
    "Perturbation",
    "Source",
    "StressWave",
    "load_source",
    "stress_wave",
]
