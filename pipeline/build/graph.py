"""The build graph: steps that declare what they need, run by one scheduler.

A step is a function of the results of the steps it names in `needs`. A step may hand its work
to another process or thread and return something `Pending` (a Future, a batch of PDF parts:
anything with `done()` and a blocking `result()`): the workbook in a worker, the charts in
Chromium, the PDF's parts in the workers. The scheduler then counts that step as running
elsewhere, and the steps that need it get its `result()`. It runs, in declared order, the first
step whose inputs are all finished, so this process works on whatever is ready while the other
cores render; when nothing is ready it waits for the inputs of the first step still pending (the
steps are declared in the order this process prefers). Every pending result is waited for before
the build ends, so an error in a worker is never lost. Nothing outside this module decides when
a step runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Pending(Protocol):
    """Work handed elsewhere: whether it has finished, and its outcome (waiting for it)."""

    def done(self) -> bool: ...

    def result(self) -> Any: ...


class StageTimes(dict[str, float]):
    """Wall-clock seconds per stage of one build, in order, for progress and `make bench`."""

    def __init__(self, progress: Callable[[str], None]):
        super().__init__()
        self.progress = progress

    @contextmanager
    def __call__(self, stage: str, message: str | None = None) -> Iterator[None]:
        if message:
            self.progress(message)
        t0 = time.perf_counter()
        yield
        self[stage] = self.get(stage, 0.0) + time.perf_counter() - t0


@dataclass(frozen=True)
class Step:
    """One step of a build: `run(*results of needs)`, timed under `stage`, announced by `message`."""

    name: str
    run: Callable[..., Any]
    needs: tuple[str, ...] = ()
    stage: str | None = None  # the stage its time counts towards (default: its name)
    message: str | None = None


def check_graph(steps: Sequence[Step]) -> None:
    """Every step named once, needing only steps declared before it (so the graph has no cycle)."""
    seen: set[str] = set()
    for step in steps:
        if step.name in seen:
            raise ValueError(f"build step {step.name!r} is declared twice")
        unknown = [n for n in step.needs if n not in seen]
        if unknown:
            raise ValueError(f"build step {step.name!r} needs {unknown}, not declared before it")
        seen.add(step.name)


def run_steps(steps: Sequence[Step], times: StageTimes) -> dict[str, Any]:
    """Run every step once its needs are finished; every step's result, waited for."""
    check_graph(steps)
    results: dict[str, Any] = {}
    pending = list(steps)
    while pending:
        # the first step whose inputs are all finished; else the first pending, whose inputs have
        # all run (they are declared before it), waiting for those still running elsewhere
        step = next((s for s in pending if all(n in results and _finished(results[n]) for n in s.needs)), pending[0])
        pending.remove(step)
        with times(step.stage or step.name, step.message):
            results[step.name] = step.run(*(_value(results[n]) for n in step.needs))
    return {name: _value(result) for name, result in results.items()}


def _finished(result: Any) -> bool:
    return result.done() if isinstance(result, Pending) else True


def _value(result: Any) -> Any:
    """A step's result as the steps that need it see it: the outcome of work handed elsewhere,
    waited for (its error raised here)."""
    return result.result() if isinstance(result, Pending) else result
