"""Finding a stress wave under a seed (`stress_wave`): sets of tilts are tried until a draw holds
every random perturbation and the edge cases can be made on it, and that wave is written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.errors import OhmskError
from pipeline.spec.folders import SPECS_DIR
from pipeline.tools.stress.aims import RANDOM_KINDS, aim_random
from pipeline.tools.stress.candidates import numeric_series, share_series
from pipeline.tools.stress.edges import EDGE_KINDS, apply_edges, edge_kinds
from pipeline.tools.stress.meter import Meter
from pipeline.tools.stress.record import Perturbation, StressWave
from pipeline.tools.stress.source import Source, load_source
from pipeline.tools.stress.wave import Wave, margins_kept
from pipeline.tools.stress.writer import write_wave

ATTEMPTS = 40  # sets of tilts tried before a seed is given up
DRAWS = 10  # draws tried under one set of tilts


def stress_wave(
    data_dir: Path,
    out_dir: Path,
    seed: int,
    source: Source | None = None,
    specs_dir: Path = SPECS_DIR,
    previous: bool = True,
) -> StressWave:
    """Write a plausible new wave of every survey in `data_dir` to `out_dir`, under `seed`.

    `source` is the given wave already read (`load_source`), for callers making many waves.
    With `previous` the folder names `data_dir` as its previous wave (wave.yaml), so a report
    built from it compares the two; every other file of `data_dir` (frames, rename map) is copied.
    """
    source = source or load_source(data_dir, specs_dir)
    meter = Meter(source)
    rng = np.random.default_rng(seed)
    for _ in range(ATTEMPTS):
        w = Wave(source, meter, rng)
        found = _try(w, seed)
        if found is not None:
            return write_wave(w, found, seed, Path(data_dir), Path(out_dir), previous)
    raise OhmskError(
        f"stress wave seed {seed}: no wave with every kind of perturbation found in {ATTEMPTS} attempts from {data_dir}"
    )


def _try(w: Wave, seed: int) -> list[Perturbation] | None:
    """Tilts, draws until the random perturbations all land, then the edge cases; the
    perturbations that hold in the end, or None when some kind is missing."""
    shares, numeric = share_series(w.source), numeric_series(w.source)
    aim_random(w, shares, numeric)
    for _ in range(DRAWS):  # a few draws under the same tilts: sampling noise may miss an aim
        w.draw()
        kinds = [p.kind for _, check in w.aims if (p := check()) is not None]
        if margins_kept(w) and all(kinds.count(k) >= n for k, n in RANDOM_KINDS.items()):
            break
    else:
        return None
    edges = apply_edges(w, edge_kinds(seed, w.rng), shares, numeric)
    found = [p for _, check in [*w.aims, *edges] if (p := check()) is not None]  # edits may undo a tilt
    kinds = [p.kind for p in found]
    if any(kinds.count(k) < n for k, n in RANDOM_KINDS.items()) or sum(k in EDGE_KINDS for k in kinds) < 3:
        return None
    return found
