"""Properties that hold for any data, checked on data hypothesis generates."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import OhmskError
from pipeline.present.formats import Formats
from pipeline.present.layouts import cell_text
from pipeline.spec.objects import load_codebook
from pipeline.stages.derive import Dataset
from pipeline.stages.disclosure import SUPPRESSED
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


HOUSE = Formats()
OTHER = Formats(decimals_pct=1, below_one="under 0.1%", zero_chart="none", zero_table="nil")


@SETTINGS
@given(
    value=st.floats(0, 10_000),
    other=st.floats(0, 10_000),
    base=st.integers(0, 500),  # withheld for a small base, or (any base) to protect another cell
    letters=st.sampled_from(["", "A", "BC"]),
    stat=st.sampled_from(["pct", "mean", "median", "ratio"]),
    unit=st.sampled_from(["", "%"]),
    caution=st.booleans(),
    formats=st.sampled_from([HOUSE, OTHER]),
    in_table=st.booleans(),
)
def test_a_suppressed_cell_never_shows_its_value(value, other, base, letters, stat, unit, caution, formats, in_table):
    """Whatever a withheld cell holds, and whatever its base, statistic or the conventions, its
    printed text is the same: it tells nothing of the value, the letters or the base."""
    shown = {"flag": "caution" if caution else "", "stat": stat, "value": value, "base": base}
    shown |= {"letters": letters, "unit": unit}
    hidden = {**shown, "flag": SUPPRESSED}
    text = cell_text(hidden, formats, in_table)
    assert text == cell_text({**hidden, "value": other, "letters": "", "base": 0}, formats, in_table)
    assert text != cell_text(shown, formats, in_table)  # the flag, and nothing else, withholds it
    assert text == "[c]"  # the symbol the tables' notes and the workbook explain


@pytest.mark.parametrize(
    "row, formats, in_table, printed",
    [
        ({"stat": "pct", "value": 12.34}, HOUSE, True, "12%"),
        ({"stat": "pct", "value": 12.34}, OTHER, True, "12.3%"),
        ({"stat": "pct", "value": 52.5, "letters": "AC"}, HOUSE, True, "53% AC"),
        ({"stat": "pct", "value": 0.3, "flag": "caution"}, HOUSE, True, "<1%*"),
        ({"stat": "pct", "value": 0.0, "flag": "caution"}, HOUSE, True, "-"),
        ({"stat": "pct", "value": 0.0}, OTHER, False, "none"),
        ({"stat": "mean", "value": 9.4098}, HOUSE, True, "9.4"),
        ({"stat": "mean", "value": 61.25, "unit": "%"}, HOUSE, True, "61%"),
        ({"stat": "ratio", "value": 56.31}, HOUSE, True, "56.3%"),
    ],
)
def test_a_shown_cell_prints_its_value_letters_and_caution(row, formats, in_table, printed):
    assert cell_text({"flag": "", "letters": "", "unit": "", "base": 40, **row}, formats, in_table) == printed


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
