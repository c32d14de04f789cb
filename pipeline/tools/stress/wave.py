"""One attempt at a stress wave: per family, how many copies of each unit are drawn under the
tilts, and exact edits to those copies (whole respondents kept, dropped or repeated).

Rows stay valid because no answer is invented: a wave only repeats or leaves out respondents of
the given wave. Every weighting margin's category keeps a respondent, since raking needs one in each.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from pipeline.tools.stress.meter import Cell, Meter
from pipeline.tools.stress.record import Perturbation
from pipeline.tools.stress.source import Source

SIZE = (0.85, 1.2)  # a new wave's sample size, as a multiple of the given wave's


class Wave:
    """One attempt: per family, how many copies of each unit, and the perturbations aimed at."""

    def __init__(self, source: Source, meter: Meter, rng: np.random.Generator):
        self.source, self.meter, self.rng = source, meter, rng
        self.tilt = {name: np.ones(len(f)) for name, f in source.raw.items()}
        self.copies: list[np.ndarray] = []
        self.used: set[tuple[str, str]] = set()  # (survey, variable) already perturbed
        self.aims: list[tuple[str, Callable[[], Perturbation | None]]] = []

    # rows and units
    def rows(self, survey: str) -> np.ndarray:
        i, fam = self.source.family(survey)
        return self.copies[i][fam.unit_of_row[survey]]

    def draw(self) -> None:
        self.copies = []
        for fam in self.source.families:
            w = np.ones(fam.n_units)
            for name in fam.surveys:  # a unit's tilt: the mean of its rows' tilts, survey by survey
                units = fam.unit_of_row[name]
                rows = np.bincount(units, minlength=fam.n_units)
                tilted = np.bincount(units, self.tilt[name], fam.n_units)
                w *= np.where(rows > 0, tilted / np.maximum(rows, 1), 1.0)
            n = int(round(fam.n_units * self.rng.uniform(*SIZE)))
            self.copies.append(self.rng.multinomial(n, w / w.sum()).astype(int))
        self.repair()

    def repair(self) -> None:
        """A respondent for each weighting-margin category left empty: raking needs one in each
        (pipeline.stats.calibration refuses an empty margin), and a real wave would have sampled one."""
        for survey, variables in self.source.specs.margins.items():
            values = self.source.datasets[survey].frame
            for var in variables:
                v = values[var].to_numpy(dtype=float, na_value=np.nan)
                for code in np.unique(v[~np.isnan(v)]):
                    if not self.rows(survey)[v == code].sum():
                        Edit(self, survey).add(v == code, 1)

    def value(self, cell: Cell) -> float:
        return self.meter.value(cell, self.rows(self.meter.target(cell).survey))

    def before(self, cell: Cell) -> float:
        survey = self.meter.target(cell).survey
        return self.meter.value(cell, np.ones(len(self.source.raw[survey]), dtype=int))

    def free(self, survey: str, var: str) -> bool:
        return (survey, var) not in self.used and var not in self.source.specs.margins.get(survey, [])


class Edit:
    """Exact changes to one survey's drawn copies, through units holding exactly one row of it
    (so adding or removing one changes one row of that survey)."""

    def __init__(self, w: Wave, survey: str):
        self.w, self.survey = w, survey
        self.i, self.fam = w.source.family(survey)
        units = self.fam.unit_of_row[survey]
        self.single = np.bincount(units, minlength=self.fam.n_units)[units] == 1

    def units(self, rows: np.ndarray) -> np.ndarray:
        """The units holding any of the given source rows."""
        return np.unique(self.fam.unit_of_row[self.survey][rows])

    def add(self, rows: np.ndarray, k: int) -> bool:
        """k more copies of single-row units among `rows` (bool over source rows)."""
        pool = self.fam.unit_of_row[self.survey][rows & self.single]
        if k <= 0:
            return k == 0
        if not len(pool):
            return False
        np.add.at(self.w.copies[self.i], self.w.rng.choice(pool, k), 1)
        return True

    def remove(self, rows: np.ndarray, k: int | None = None) -> bool:
        """k copies (None: every copy) of the drawn units holding any of `rows` removed."""
        copies = self.w.copies[self.i]
        units = self.units(np.flatnonzero(rows))
        if k is None:
            copies[units] = 0
            return True
        units = self.fam.unit_of_row[self.survey][rows & self.single]
        drawn = np.repeat(units, copies[units])
        if k > len(drawn):
            return False
        for u in self.w.rng.choice(drawn, k, replace=False):
            copies[u] -= 1
        return True

    def size(self) -> int:
        return int(self.w.rows(self.survey).sum())

    def pad(self, to: int, rows: np.ndarray) -> None:
        """Back up to `to` respondents with copies of units among `rows` (those that keep the case)."""
        self.add(rows, to - self.size())


def margins_kept(w: Wave) -> bool:
    """Every weighting margin's category keeps a respondent (raking needs one in each)."""
    for survey, variables in w.source.specs.margins.items():
        frame, rows = w.source.datasets[survey].frame, w.rows(survey)
        for var in variables:
            present = set(frame[var].to_numpy(dtype=float)[rows > 0])
            if not set(frame[var].dropna().to_numpy(dtype=float)) <= present:
                return False
    return True
