"""Numbers in words, checked on every boundary."""

import pytest

from pipeline.present.words import PHRASES, share_words


@pytest.mark.parametrize(
    "pct, words",
    [
        (100, "all"),
        (99.6, "all"),
        (99.4, "almost all"),
        (95, "almost all"),
        (94.4, "around nine in ten"),
        (88, "around nine in ten"),
        (87.4, "around eight in ten"),
        (78, "around eight in ten"),
        (77, "around three-quarters"),
        (73, "around three-quarters"),
        (72, "around seven in ten"),
        (66.7, "around two-thirds"),
        (64, "around two-thirds"),
        (63, "around six in ten"),
        (56, "over half"),
        (50.5, "over half"),
        (50.4, "half"),
        (49, "just under half"),
        (45, "just under half"),
        (44, "around four in ten"),
        (33.3, "around a third"),
        (25, "around a quarter"),
        (20, "around one in five"),
        (10, "around one in ten"),
        (6, "a small minority"),
        (3, "very few"),
        (0.3, "very few"),
        (0, "none"),
    ],
)
def test_share_words(pct, words):
    assert share_words(pct) == words


def test_phrases_cover_every_whole_percentage_in_order():
    lows = [low for low, _ in PHRASES]
    assert lows == sorted(lows, reverse=True) and lows[-1] == 0
    assert all(share_words(p) for p in range(0, 101))


def test_out_of_range_is_refused():
    with pytest.raises(ValueError):
        share_words(101)


@pytest.mark.parametrize(
    "pct, words",
    [
        (33.3, "around a third of"),
        (66.7, "around two-thirds of"),
        (75, "around three-quarters of"),
        (56, "over half of"),
        (50, "half of"),
        (6, "a small minority of"),
        (0, "no"),
        (90, "around nine in ten"),
        (97, "almost all"),
        (100, "all"),
        (3, "very few"),
    ],
)
def test_share_words_before_a_noun(pct, words):
    """'around a third of providers', 'no providers', 'nine in ten providers'."""
    assert share_words(pct, before_noun=True) == words
