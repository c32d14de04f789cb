"""Expand a survey to any number of respondents, for testing the engine at scale.

Respondents are drawn with replacement from the delivered file, whole rows at a time, so every
answer pattern and all routing stay valid; numeric answers are then jittered (scaled by a
log-normal factor, kept in the codebook's range, whole numbers kept whole, zero kept zero and
positive kept positive) so the copies are not identical. Variables that any routing depends on,
directly or through derived variables, are left as they are, so that who was asked what holds.
"""

from __future__ import annotations

import re

import numpy as np

from pipeline.spec.objects import Codebook
from pipeline.stages.load import RawData

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def routing_names(book: Codebook) -> set[str]:
    """Every variable a routing condition reads, followed through derived variables."""
    found: set[str] = set()
    pending = [name for v in book.variables.values() for name in _NAME.findall(v.asked or "")]
    pending += [name for d in book.derived.values() for name in _NAME.findall(d.asked or "")]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found.add(name)
        der = book.derived.get(name)
        if der is not None:
            pending += [n for n in (der.of, der.var) if n] + _NAME.findall(der.expr or "")
    return found


def expand(raw: RawData, book: Codebook, n: int, jitter: float = 0.1, seed: int = 1) -> RawData:
    """`n` respondents resampled from `raw`, numeric answers jittered; ids renumbered 1..n."""
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(raw.frame), size=n)
    frame = raw.frame.iloc[rows].reset_index(drop=True)
    frame[book.id] = np.arange(1, n + 1, dtype=float)
    fixed = routing_names(book)
    for var in book.variables.values():
        if var.type == "numeric" and var.name not in fixed and var.name in frame.columns:
            frame[var.name] = _jittered(frame[var.name].to_numpy(dtype=float), var.missing, var.range, jitter, rng)
    return RawData(
        path=raw.path,
        frame=frame,
        variable_labels=raw.variable_labels,
        value_labels=raw.value_labels,
        missing_ranges=raw.missing_ranges,
    )


def _jittered(
    values: np.ndarray, missing: dict, bounds: tuple[float, float] | None, jitter: float, rng: np.random.Generator
) -> np.ndarray:
    """Scale the substantive positive answers by exp(N(0, jitter)); codes and blanks stay."""
    out = values.copy()
    movable = np.isfinite(values) & (values > 0) & ~np.isin(values, list(missing))
    moved = values[movable] * np.exp(rng.normal(0.0, jitter, movable.sum()))
    whole = np.all(np.mod(values[movable], 1) == 0)
    if whole:
        moved = np.maximum(np.rint(moved), 1)
    if bounds is not None:
        moved = np.clip(moved, max(bounds[0], 1 if whole else 0), bounds[1])
    out[movable] = moved
    return out
