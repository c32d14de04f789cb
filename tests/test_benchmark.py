"""The benchmark's tools: the survey expander, the bincount floor and the printed verdicts."""

import numpy as np
import pytest
from conftest import RAW

from pipeline.stages.clean import check_routing, clean
from pipeline.stages.derive import derive
from pipeline.stages.load import load
from pipeline.tools.benchmark.builds import Build
from pipeline.tools.benchmark.expand import expand, routing_names
from pipeline.tools.benchmark.floor import floor_tables
from pipeline.tools.benchmark.report import summary
from pipeline.tools.benchmark.scale import Step, Steps, agreement


@pytest.fixture(scope="module")
def providers(report_spec):
    return report_spec.codebooks["providers"]


@pytest.fixture(scope="module")
def expanded(providers):
    raw = load(providers, RAW)
    return raw, expand(raw, providers, 5000, jitter=0.2, seed=7)


def test_expanded_survey_passes_every_check_and_keeps_routing(providers, expanded):
    raw, big = expanded
    assert len(big.frame) == 5000 and big.frame[providers.id].is_unique
    cleaned = clean(big, providers)
    ds = derive(cleaned)
    check_routing(cleaned, ds.frame, ds.asked)  # raises if anyone answered what they were not asked
    fixed = routing_names(providers) & set(raw.frame.columns)
    assert {"employees", "capacity", "subcon"} <= fixed  # numeric answers that routing reads
    for name in fixed:  # routing variables take only values the delivered file has
        assert set(big.frame[name].dropna()) <= set(raw.frame[name].dropna())


def test_jitter_moves_numbers_within_range_and_keeps_zero_and_blank(providers, expanded):
    raw, big = expanded
    numeric = [
        v for v in providers.variables.values() if v.type == "numeric" and v.name not in routing_names(providers)
    ]
    assert numeric
    moved = 0
    for var in numeric:
        values = big.frame[var.name]
        lo, hi = var.range or (-np.inf, np.inf)
        substantive = values[~values.isin(list(var.missing))].dropna()
        assert ((substantive >= lo) & (substantive <= hi)).all(), var.name
        moved += len(set(substantive) - set(raw.frame[var.name].dropna()))
    assert moved > 0  # new values appear: copies are not identical
    assert expand(raw, providers, 300, seed=7).frame.equals(expand(raw, providers, 300, seed=7).frame)


def test_bincount_floor_computes_the_engines_bases_and_counts(report_spec, computed, tables):
    ds = computed.datasets["providers"]
    specs = [t for t in report_spec.tables if t.survey == "providers"]
    compared, differ = agreement({t.id: tables[t.id] for t in specs}, floor_tables(ds, specs))
    assert compared > 300 and differ == 0


def test_summary_prints_each_figure_beside_its_budget():
    steps = Steps(lambda m: None)
    for key, seconds, peak in [
        ("tabulate", 4.0, 1.8),
        ("tests", 0.2, 1.7),
        ("floor", 2.0, 1.8),
        ("rake", 0.5, 1.8),
        ("weightipy", 1.5, 1.9),
        ("tabulate_design", 7.0, 1.9),
        ("tests_design", 0.4, 1.9),
    ]:
        steps.append(Step(key, f"{key} step", seconds, peak))
    builds = [Build("full", 31.0, 30), Build("unchanged", 0.4, 2)]
    text = "\n".join(summary(builds, steps, {"memory_gb": 4, "tabulation_vs_floor": 3}))
    assert "31.00 s   budget   30 s   NOT MET" in text and "0.40 s   budget    2 s   met" in text
    assert "3.0x as fast" in text and "2.00x" in text and "1.90 GB" in text
    assert "weighted and stratified: 3.50x (3.70x with the design-based t-tests)" in text
    assert text.count("NOT MET") == 2  # the full build, and the weighted tabulation at 3.5x
