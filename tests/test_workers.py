"""The build's worker pool: largest waiting job first, errors carried back, one process inline."""

import time

import pytest

from pipeline.build.workers import Workers


def _start_time_after(seconds: float) -> float:
    """Start now, finish `seconds` later: a job that holds its worker."""
    started = time.monotonic()
    time.sleep(seconds)
    return started


def test_the_largest_waiting_job_goes_first_whatever_order_it_came_in():
    with Workers(2) as pool:
        busy = pool.submit_all(time.sleep, [(0.3,), (0.3,)])  # both workers taken: the next ones wait
        small = pool.submit(_start_time_after, 0)
        large = pool.submit_all(_start_time_after, [(0.3,), (0.3,)], sizes=[30, 20])  # came in after it
        started = [f.result() for f in (*large, small)]
        assert all(f.done() for f in busy)
    # the small job waits for a worker the large ones hold for 0.3 s: it starts after both
    assert started[2] >= max(started[:2])


def test_a_job_that_fails_raises_its_error_where_the_result_is_asked_for():
    with Workers(2) as pool:
        failing = pool.submit(int, "not a number")
        fine = pool.submit(pow, 2, 10)
        with pytest.raises(ValueError, match="not a number"):
            failing.result()
        assert fine.result() == 1024


def test_with_one_process_jobs_run_here_at_once():
    pool = Workers(1)
    assert pool.pool is None
    done = pool.submit(pow, 2, 3)
    assert done.done() and done.result() == 8
    with pytest.raises(ZeroDivisionError):
        pool.submit(divmod, 1, 0).result()
