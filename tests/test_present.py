"""House rounding and symbols."""

import math

import pytest

from pipeline.present.formats import fmt_number
from pipeline.stats.rounding import decimals_of, fmt_pct, round_half_up


@pytest.mark.parametrize(
    "value, expected",
    [(0.5, 1), (1.5, 2), (2.5, 3), (52.5, 53), (52.49, 52), (100 * 21 / 40, 53), (100 * 1 / 8, 13), (-0.4, -0.0)],
)
def test_round_half_up_rounds_halves_up(value, expected):
    assert round_half_up(value) == expected


def test_round_half_up_keeps_decimals():
    assert round_half_up(9.45, 1) == 9.5
    assert round_half_up(9.44, 1) == 9.4
    assert math.isnan(round_half_up(float("nan")))


@pytest.mark.parametrize(
    "value, shown", [(0, "0%"), (0.2, "<1%"), (0.49, "<1%"), (0.5, "1%"), (56.31, "56%"), (99.5, "100%")]
)
def test_fmt_pct(value, shown):
    assert fmt_pct(value) == shown


def test_fmt_pct_table_zero_is_dash():
    assert fmt_pct(0, zero="-") == "-"


def test_fmt_number_and_decimals():
    assert fmt_number(9.524, 1) == "9.5"
    assert fmt_number(1234.5) == "1,235"
    assert decimals_of("9.5") == 1 and decimals_of("56%") == 0 and decimals_of("1,200") == 0
