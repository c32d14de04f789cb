"""How much of its population each survey's achieved sample covers.

The methodology prints each survey's completion rate (achieved / starting sample) and what the
finite population correction would do to standard errors. Both are arithmetic on the codebook's
population size and the respondents kept; they are computed here, once, so that templates print
them and never compute them.

Reference: Cochran, W. G. (1977) *Sampling Techniques*, 3rd edn, section 2.6: the standard error
of a mean or proportion from a simple random sample of n from N is multiplied by sqrt(1 - n/N).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pipeline.spec.objects import Codebook
from pipeline.stages.clean import CleanData


@dataclass(frozen=True)
class Coverage:
    """One survey's achieved sample against its population (`size` None where it is unknown)."""

    kept: int
    size: int | None

    @property
    def rate(self) -> float | None:
        """Respondents kept as a percentage of the population or starting sample."""
        return 100 * self.kept / self.size if self.size else None

    @property
    def se_reduction(self) -> float | None:
        """How much (in per cent) the finite population correction would shrink a standard
        error: 100 * (1 - sqrt(1 - n/N))."""
        if not self.size or self.kept > self.size:
            return None
        return 100 * (1 - math.sqrt(1 - self.kept / self.size))


def coverage(codebooks: dict[str, Codebook], cleaned: dict[str, CleanData]) -> dict[str, Coverage]:
    """Every survey's coverage, by survey name."""
    return {
        name: Coverage(int(cleaned[name].counts["kept"]), codebooks[name].meta.get("population", {}).get("size"))
        for name in cleaned
    }
