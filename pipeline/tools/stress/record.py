"""The record of a stress wave: each perturbation it contains, with its cells' values before and
after, and where the wave was written, so that a failing seed can be read back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.tools.stress.meter import Cell


@dataclass(frozen=True)
class Perturbation:
    """One change the wave contains, with its cells' values before (given wave) and after."""

    kind: str
    survey: str
    cells: tuple[Cell, ...]
    before: tuple[float, ...]
    after: tuple[float, ...]
    note: str = ""

    def line(self) -> str:
        vals = "; ".join(f"{c.text()}: {b:.1f} -> {a:.1f}" for c, b, a in zip(self.cells, self.before, self.after))
        return f"{self.kind:18} {self.survey}: {vals}" + (f" ({self.note})" if self.note else "")


@dataclass
class StressWave:
    """What `stress_wave` wrote and did, so a failing seed can be read back."""

    seed: int
    folder: Path
    source: Path
    sizes: dict[str, tuple[int, int]]  # survey -> (respondents in the given wave, in this one)
    perturbations: list[Perturbation]

    def kinds(self) -> set[str]:
        return {p.kind for p in self.perturbations}

    def summary(self) -> str:
        sizes = ", ".join(f"{name} {a} -> {b}" for name, (a, b) in self.sizes.items())
        return "\n".join(
            [
                f"stress wave seed {self.seed}: {self.folder} (from {self.source}); respondents: {sizes}",
                *(f"  {p.line()}" for p in self.perturbations),
            ]
        )
