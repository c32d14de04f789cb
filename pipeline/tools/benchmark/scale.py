"""The engine at a million respondents: tabulation with significance tests, and rim weighting.

One survey (survey_specs/bench.yaml) is expanded by resampling with jitter, validated and
derived like delivered data, and then: its whole table set is tabulated, every cell with its
design-based standard error, and tested, beside the bare numpy bincount floor for the same
tables; it is raked to four margins, beside weightipy's rim weighting on the same margins; and
tabulated and tested again as a weighted, stratified design (the raked weights, stratified by
the first margin) with design-based t-tests. Each step's time and peak memory (the process's
resident high-water mark during the step, data included) is recorded.
"""

from __future__ import annotations

import resource
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import SupportsIndex, overload

import numpy as np
import pandas as pd

from pipeline.spec.report_spec import ReportSpec
from pipeline.stages.clean import check_routing, clean
from pipeline.stages.compare import add_letters
from pipeline.stages.derive import derive
from pipeline.stages.load import load
from pipeline.stages.tabulate import tabulate
from pipeline.stats.calibration import Code, rake
from pipeline.stats.design import survey_design
from pipeline.tools.benchmark.expand import expand
from pipeline.tools.benchmark.floor import floor_tables


@dataclass
class Step:
    """One timed step of the scale benchmark; `key` is how the budgets find it."""

    key: str
    name: str
    seconds: float = 0.0
    peak_gb: float = 0.0
    note: str = ""


def _reset_peak() -> None:
    """Restart the kernel's resident high-water mark (Linux), so a step's own peak is read."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass  # elsewhere the peak is the process's since it started


def _peak_gb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


class Steps(list[Step]):
    """The steps measured so far, each shown as it finishes."""

    def __init__(self, progress: Callable[[str], None]):
        super().__init__()
        self.progress = progress

    @contextmanager
    def __call__(self, key: str, name: str) -> Iterator[Step]:
        step = Step(key, name)
        _reset_peak()
        t0 = time.perf_counter()
        yield step
        step.seconds, step.peak_gb = time.perf_counter() - t0, _peak_gb()
        self.append(step)
        self.progress(f"{name}: {step.seconds:.2f} s, peak {step.peak_gb:.2f} GB {step.note}".rstrip())

    @overload
    def __getitem__(self, key: str | SupportsIndex) -> Step: ...
    @overload
    def __getitem__(self, key: slice) -> list[Step]: ...
    def __getitem__(self, key: str | SupportsIndex | slice) -> Step | list[Step]:
        """A step by position, or by its key ("tabulate", "tests", "floor", "rake", "weightipy")."""
        if isinstance(key, str):
            return next(step for step in self if step.key == key)
        return super().__getitem__(key)


def run_scale(spec: ReportSpec, data_dir: Path, config: dict, progress: Callable[[str], None]) -> Steps:
    """Every step of the scale benchmark, as configured by bench.yaml's `scale:`."""
    steps = Steps(progress)
    book = spec.codebooks[config["survey"]]
    n = int(config["respondents"])
    raw = load(book, data_dir)
    with steps("expand", f"expand {len(raw.frame)} respondents to {n:,} (resample, jitter)"):
        big = expand(raw, book, n, float(config.get("jitter", 0.1)), int(config.get("seed", 1)))
    with steps("prepare", "validate and derive (clean, derive, routing checks)"):
        cleaned = clean(big, book)
        del big
        ds = derive(cleaned)
        check_routing(cleaned, ds.frame, ds.asked)
    tables = [t for t in spec.tables if t.survey == book.survey]
    with steps("tabulate", f"tabulate {len(tables)} tables") as step:
        computed = {t.id: tabulate(ds, t) for t in tables}
        step.note = f"({sum(len(t.cells) for t in computed.values()):,} cells)"
    with steps("tests", "significance tests (column letters)"):
        tested = {tid: add_letters(t) for tid, t in computed.items()}
    with steps("floor", "numpy bincount floor, same tables") as step:
        floor = floor_tables(ds, tables)
        compared, differ = agreement(tested, floor)
        step.note = f"(checked against the engine: {compared:,} bases and counts, {differ} differ)"
    margins: dict[str, Mapping[Code, float]] = {
        var: {int(k): float(v) for k, v in m.items()} for var, m in config["margins"].items()
    }
    frame = ds.frame[list(margins)]
    with steps("rake", f"rim weighting, {len(margins)} margins (ohmsk)") as step:
        ours = rake(frame, margins, tol=1e-6, max_iter=200)
        d = ours.diagnostics
        step.note = (
            f"({d.iterations} iterations, {'converged' if d.converged else 'NOT converged'}, "
            f"worst margin off by {_worst_margin(frame, margins, ours.weights.to_numpy()):.1e})"
        )
    strata = str(next(iter(margins)))
    design = survey_design(len(ds.frame), weights=ours.weights.to_numpy(), strata=ds.frame[strata].to_numpy())
    with steps("tabulate_design", f"tabulate again: raked weights, stratified by {strata}") as step:
        weighted = {t.id: replace(tabulate(ds, t, design), tests="design") for t in tables}
        step.note = f"({design.description})"
    with steps("tests_design", "design-based t-tests (column letters)"):
        for table in weighted.values():
            add_letters(table)
    with steps("weightipy", f"rim weighting, {len(margins)} margins (weightipy)") as step:
        theirs = _weightipy(frame, margins)
        mine = ours.weights.to_numpy() / ours.weights.mean()  # both scaled to a mean weight of 1
        step.note = (
            f"(worst margin off by {_worst_margin(frame, margins, theirs):.1e}; weights differ from "
            f"ohmsk's by at most {np.max(np.abs(theirs - mine)):.1e})"
        )
    return steps


def agreement(tested: dict, floor: dict[tuple[str, str], list[dict]]) -> tuple[int, int]:
    """Proof that the floor computed the same tables: every column base, and every single-code
    category count, of the engine's cells against the floor's; (compared, differing)."""
    compared = differ = 0
    for (tid, key), groupings in floor.items():
        cells = tested[tid].cells
        cells = cells[(cells["series"] == key) & (cells["stat"] == "pct") & ~cells["is_net"].astype(bool)]
        columns = list(dict.fromkeys(cells["column"]))
        for column in columns:
            at = cells[cells["column"] == column]
            grouping, position = _grouping_of(column, columns)
            found = groupings[grouping]
            compared += 1
            differ += int(at["base"].iloc[0]) != int(found["bases"][position])
            if "counts" in found:
                for category, n in zip(at["category"], at["n"]):
                    compared += 1
                    differ += int(n) != int(found["counts"][position, found["codes"].index(category)])
    return compared, differ


def _grouping_of(column: str, columns: list[str]) -> tuple[int, int]:
    """Which grouping (total, then each `by` variable) a column belongs to, and its place there."""
    if column == "total":
        return 0, 0
    by = column.split("=", 1)[0]
    order = list(dict.fromkeys(c.split("=", 1)[0] for c in columns if c != "total"))
    same = [c for c in columns if c.split("=", 1)[0] == by]
    return 1 + order.index(by), same.index(column)


def _worst_margin(frame: pd.DataFrame, margins: dict, weights: np.ndarray) -> float:
    """The largest gap between a weighted margin share and its target share."""
    worst = 0.0
    for var, targets in margins.items():
        total = sum(targets.values())
        for code, target in targets.items():
            share = weights[(frame[var] == code).to_numpy()].sum() / weights.sum()
            worst = max(worst, abs(share - target / total))
    return worst


def _weightipy(frame: pd.DataFrame, margins: dict) -> np.ndarray:
    """weightipy's rim weights for the same margins (as percentages), scaled to mean 1."""
    import weightipy

    scheme = weightipy.scheme_from_dict(
        {
            var: {code: 100 * v / sum(targets.values()) for code, v in targets.items()}
            for var, targets in margins.items()
        },
        name="bench",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weights = weightipy.weight(frame.reset_index(drop=True), scheme).to_numpy(dtype=float)
    return weights / weights.mean()
