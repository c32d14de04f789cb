"""Stress waves (pipeline/tools/stress/): 20 seeded new waves are valid, really contain what their
record says (recomputed by the pipeline's own data stages), and the report's prose builds on
each of them.

Every test runs on two sets of seeds: 9 and 18 in the default tier (together they hold every edge
case, EDGE_KINDS), and all 20 in the slow tier (`make test-slow`; about six minutes)."""

from __future__ import annotations

import math
import time

import pytest
from conftest import RAW

from pipeline.build.cache import Store
from pipeline.build.data import compute
from pipeline.build.schedule import render_html
from pipeline.errors import OhmskError
from pipeline.present.words import PHRASES
from pipeline.stages.tabulate import TOTAL
from pipeline.tools.stress import EDGE_KINDS, RANDOM_KINDS, Cell, load_source, stress_wave

FAST_SEEDS = (9, 18)  # between them every edge case: 9 ties, word boundaries and small bases, 18 the rest
SEEDS = tuple(range(20))


@pytest.fixture(
    scope="module",
    params=[pytest.param(FAST_SEEDS, id="seeds-9-18"), pytest.param(SEEDS, id="seeds-0-19", marks=pytest.mark.slow)],
)
def waves(request, tmp_path_factory):
    """The seeds' stress waves of raw/ (single-wave folders: no previous wave declared, to keep
    the prose builds cheap), read from one reading of raw/."""
    source = load_source(RAW)
    root = tmp_path_factory.mktemp("stress")
    return {seed: stress_wave(RAW, root / f"seed{seed}", seed, source, previous=False) for seed in request.param}


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Store:
    """One cache for the module: the prose builds reuse what test (b) computed."""
    return Store(tmp_path_factory.mktemp("stress-cache"))


@pytest.fixture(scope="module")
def wave_tables(waves, report_spec, cache):
    return {seed: compute(report_spec, w.folder, cache).tables for seed, w in waves.items()}


def value(tables, cell: Cell) -> float:
    return float(tables[cell.table].cell(cell.series, cell.category, cell.column, cell.stat)["value"])


def leader(tables, cell: Cell) -> tuple[object, float, float]:
    """The first category of the cell's series (total column), its share and the runner-up's."""
    c = tables[cell.table].cells
    rows = c[(c["series"] == cell.series) & (c["column"] == TOTAL) & (c["stat"] == "pct") & ~c["is_net"]]
    top = rows.sort_values("value", ascending=False, kind="stable")
    return top["category"].iloc[0], float(top["value"].iloc[0]), float(top["value"].iloc[1])


def test_stress_waves_are_valid_and_new(waves, wave_tables):
    """(a) Routing and codes valid in every seed's folder (the data stages behind `wave_tables`
    run every check `validate` runs, and raise on any problem); each differs from raw/."""
    for seed, w in waves.items():
        assert set(wave_tables[seed]), f"seed {seed}: no tables"
        changed = [
            name
            for name, (before, after) in w.sizes.items()
            if before != after or (w.folder / f"{name}.sav").read_bytes() != (RAW / f"{name}.sav").read_bytes()
        ]
        assert changed == list(w.sizes), f"seed {seed}: {set(w.sizes) - set(changed)} unchanged"


def test_each_seed_holds_a_mix_and_the_seeds_cover_every_edge_case(waves):
    for seed, w in waves.items():
        kinds = [p.kind for p in w.perturbations]
        for kind, least in RANDOM_KINDS.items():
            assert kinds.count(kind) >= least, f"seed {seed}: {kinds}"
        assert sum(k in EDGE_KINDS for k in kinds) >= 3, f"seed {seed}: {kinds}"
    assert set(EDGE_KINDS) <= set().union(*(w.kinds() for w in waves.values()))


def test_the_same_seed_writes_the_same_wave(waves, tmp_path):
    seed = 7 if 7 in waves else max(waves)
    again = stress_wave(RAW, tmp_path / "again", seed, previous=False)
    assert again.perturbations == waves[seed].perturbations
    for name in again.sizes:
        assert (tmp_path / "again" / f"{name}.sav").read_bytes() == (waves[seed].folder / f"{name}.sav").read_bytes()


def test_recorded_perturbations_are_in_the_data(waves, wave_tables, tables):
    """(b) Every recorded cell's value, recomputed by the data stages from the written files,
    is the recorded one, and the perturbation is really there (against raw/'s tables)."""
    boundaries = {b for b, _ in PHRASES}
    for seed, w in waves.items():
        new = wave_tables[seed]
        for p in w.perturbations:
            where = f"seed {seed}: {p.line()}"
            cells = p.cells
            if p.kind in ("under_min_base", "under_caution_base"):
                row = new[cells[0].table].cell(cells[0].series, cells[0].category, cells[0].column)
                spec = new[cells[0].table].spec
                assert int(row["base"]) == p.after[0], where
                if p.kind == "under_min_base":
                    assert row["base"] < spec.min_base and row["flag"] == "suppressed", where
                else:
                    assert spec.min_base <= row["base"] < spec.caution_base and row["flag"], where
                continue
            now = [value(new, c) for c in cells]
            was = [value(tables, c) for c in cells]
            assert now == pytest.approx(list(p.after), abs=1e-9), where
            assert was == pytest.approx(list(p.before), abs=1e-9, nan_ok=True), where
            if p.kind == "shift":
                assert 15 <= abs(now[0] - was[0]) <= 40, where
            elif p.kind == "reversal":
                assert (now[0] - now[1]) * (was[0] - was[1]) < 0, where
            elif p.kind == "new_leader":
                before, after = leader(tables, cells[0]), leader(new, cells[0])
                assert before[0] == cells[0].category and after[0] == cells[1].category, where
                assert after[1] > after[2], where
            elif p.kind == "mean_median":
                assert (now[0] - now[1]) * (was[0] - was[1]) < 0, where
            elif p.kind == "zero":
                assert now[0] == 0, where
            elif p.kind == "all_one":
                assert now[0] == 100, where
            elif p.kind == "tie_first":
                top = leader(new, cells[0])
                assert now[0] == now[1] == top[1] == top[2] > 0, where
            elif p.kind == "word_boundary":
                assert now[0] in boundaries, where
            elif p.kind in ("equal_shares", "mean_equals_median"):
                assert now[0] == pytest.approx(now[1], abs=1e-9) and not math.isnan(now[0]), where
            else:
                pytest.fail(f"{where}: no check for kind {p.kind!r}")


def test_prose_builds_true_on_every_stress_wave(waves, wave_tables, report_spec, cache, tmp_path):
    """(c) Valid data never fail the build, and every claim the text makes holds on the data
    or gave way to its alternative (a claim that fails with no alternative stops the build, so
    it is listed here as a failed seed with the sentence, the figures and what the wave held)."""
    failed, times, alternatives = [], [], 0
    for seed, w in waves.items():
        t0 = time.perf_counter()
        try:
            log = render_html(report_spec, w.folder, tmp_path / f"seed{seed}", cache)
        except OhmskError as exc:
            failed.append(f"seed {seed}: {exc}\n{w.summary()}")
            continue
        finally:
            times.append(time.perf_counter() - t0)
        assert "<h1" in (tmp_path / f"seed{seed}" / "report.html").read_text(encoding="utf-8")
        claims = [c for c in log.claims if c.kind == "claim"]
        assert claims, f"seed {seed}: no claim was evaluated"
        wrong = [c for c in claims if not (c.holds or c.wording.startswith(("alternative", "left out")))]
        assert not wrong, f"seed {seed}: claims stated though their condition fails: {wrong}"
        alternatives += sum(not c.holds for c in claims)
    print(
        f"prose builds: {len(times)} seeds, {sum(times):.1f} s, {max(times):.1f} s the slowest; "
        f"{alternatives} alternative wordings used"
    )
    assert not failed, f"{len(failed)} of {len(waves)} seeds failed:\n" + "\n".join(failed)
    assert alternatives, "no stress wave made any claim take its alternative: the waves test nothing"
