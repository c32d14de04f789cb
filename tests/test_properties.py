"""Properties that hold for any data, checked on data hypothesis generates."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import OhmskError
from pipeline.present.layouts import cell_text
from pipeline.spec.objects import load_codebook
from pipeline.stages.derive import Dataset
from pipeline.stages.load import load
from pipeline.stages.tabulate import tabulate
from pipeline.stats.calibration import rake

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def providers(computed, report_spec):
    spec = next(t for t in report_spec.tables if t.id == "unfilled_roles")
    return computed.datasets["providers"], spec


@SETTINGS
@given(
    answers=st.lists(st.sampled_from([1.0, 2.0, 98.0]), min_size=103, max_size=103),
    sizes=st.lists(st.sampled_from([1.0, 2.0]), min_size=103, max_size=103),
)
def test_single_code_shares_sum_to_100_in_every_column(providers, answers, sizes):
    ds, spec = providers
    frame = ds.frame.copy()
    frame["unfilled"], frame["size10"] = answers, sizes
    table = tabulate(Dataset(ds.codebook, frame, ds.asked), spec)
    c = table.cells[(table.cells["stat"] == "pct") & ~table.cells["is_net"].astype(bool)]
    for column, part in c.groupby("column"):
        if part["base"].iloc[0] > 0:
            assert part["value"].sum() == pytest.approx(100), column


@SETTINGS
@given(value=st.floats(0, 100), base=st.integers(0, 29), letters=st.sampled_from(["", "A", "BC"]))
def test_a_suppressed_cell_never_shows_its_value(value, base, letters):
    row = pd.Series({"flag": "suppressed", "stat": "pct", "value": value, "base": base, "letters": letters, "unit": ""})
    assert cell_text(row) == "[c]"


@st.composite
def samples(draw):
    """Respondents with two raking variables, and margins some positive weighting attains."""
    n = draw(st.integers(10, 80))
    a = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n).filter(lambda v: set(v) == {0, 1, 2}))
    b = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(lambda v: set(v) == {0, 1}))
    truth = pd.Series(draw(st.lists(st.floats(0.2, 5), min_size=n, max_size=n)))
    frame = pd.DataFrame({"a": a, "b": b})
    margins = {var: truth.groupby(frame[var]).sum().to_dict() for var in ("a", "b")}
    return frame, margins


@SETTINGS
@given(sample=samples())
def test_raking_meets_attainable_margins_with_positive_weights(sample):
    frame, margins = sample
    result = rake(frame, margins, max_iter=1000, tol=1e-8)
    w = result.weights
    assert result.diagnostics.converged
    assert (w > 0).all() and np.isfinite(w).all()
    for var, target in margins.items():
        got = w.groupby(frame[var]).sum()
        for code, figure in target.items():
            assert got[code] == pytest.approx(figure, rel=1e-6)


def test_raking_says_so_when_margins_cannot_be_met():
    """One respondent cannot be both under 1 (as a=0) and 2.25 (as b=1): a warning, not silence."""
    frame = pd.DataFrame({"a": [0, 0, 1, 2, 0], "b": [0, 0, 0, 0, 1]})
    with pytest.warns(RuntimeWarning, match="did not converge"):
        result = rake(frame, {"a": {0: 1, 1: 1, 2: 1}, "b": {0: 0.75, 1: 2.25}}, max_iter=50)
    assert not result.diagnostics.converged


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=4096), suffix=st.sampled_from([".sav", ".csv"]))
def test_loaders_never_crash_on_arbitrary_bytes(tmp_path, data, suffix):
    book = dataclasses.replace(load_codebook("providers"), file="fuzz.sav")
    for old in tmp_path.glob("fuzz.*"):
        old.unlink()
    (tmp_path / f"fuzz{suffix}").write_bytes(data)
    try:
        raw = load(book, tmp_path)
    except OhmskError as exc:
        assert "fuzz" in str(exc)  # the message names the file
    else:
        assert isinstance(raw.frame, pd.DataFrame) and not raw.frame.empty
