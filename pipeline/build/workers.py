"""Worker processes for a build's independent, CPU-bound jobs: the PDF's parts and the spreadsheet.

They are forked as a build starts, before any thread and before the data are computed, so that
they load their libraries (WeasyPrint) on the idle core meanwhile. Jobs wait here rather than in
the pool's own queue, so that whenever a worker is free the largest waiting job goes next,
whatever order the jobs came in: the PDF parts with charts, which can start only once Chromium
has drawn them, still go before the short parts started earlier.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from functools import partial
from typing import Any


def _nothing() -> None:
    """A job that starts the workers."""


class Workers:
    """A fork-based process pool with a largest-first queue; one process runs each job here."""

    def __init__(self, processes: int | None = None, initializer: Callable[[], None] | None = None):
        self.processes = processes or min(2, os.cpu_count() or 1)
        self.pool: ProcessPoolExecutor | None = None
        self._waiting: list[tuple[int, Callable, tuple, Future]] = []  # smallest first
        self._busy = 0
        self._lock = threading.RLock()  # a job's end (a pool thread) and `submit` both dispatch
        if self.processes > 1:
            self.pool = ProcessPoolExecutor(
                self.processes, mp_context=multiprocessing.get_context("fork"), initializer=initializer
            )
            self.pool.submit(_nothing)  # forks the workers now

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Run `fn(*args)` in a worker (here, with one process)."""
        return self.submit_all(fn, [args])[0]

    def submit_all(self, fn: Callable[..., Any], jobs: Sequence[tuple], sizes: Sequence[int] = ()) -> list[Future]:
        """Run `fn(*args)` for each args in `jobs`, the largest `sizes` first (with any already
        waiting); queued together, so that the first is not sent off before the largest."""
        outcomes: list[Future] = [Future() for _ in jobs]
        if self.pool is None:
            for args, outcome in zip(jobs, outcomes):
                try:
                    outcome.set_result(fn(*args))
                except Exception as exc:
                    outcome.set_exception(exc)
            return outcomes
        with self._lock:
            self._waiting += [(size, fn, args, o) for size, args, o in zip(sizes or [0] * len(jobs), jobs, outcomes)]
            self._waiting.sort(key=lambda job: job[0])
        self._dispatch()
        return outcomes

    def _dispatch(self) -> None:
        pool = self.pool
        if pool is None:  # with one process, jobs ran as they were submitted
            return
        with self._lock:
            while self._waiting and self._busy < self.processes:
                _, fn, args, outcome = self._waiting.pop()
                try:
                    running = pool.submit(fn, *args)
                except Exception as exc:  # a broken pool: each job waiting fails the same way
                    outcome.set_exception(exc)
                    continue
                self._busy += 1
                running.add_done_callback(partial(self._finished, outcome))

    def _finished(self, outcome: Future, done: Future) -> None:
        with self._lock:
            self._busy -= 1
        if done.cancelled():  # the pool is shutting down (the build failed elsewhere)
            outcome.cancel()
            return
        if done.exception() is not None:
            outcome.set_exception(done.exception())
        else:
            outcome.set_result(done.result())
        self._dispatch()
