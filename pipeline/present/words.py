"""Shares in words, in the report's idiom ("around a quarter", "nine in ten"), from the number.

Prose calls this on the computed share so the words change with the data. The phrase follows
the share as printed (rounded half up), so words and figure never disagree.
"""

from __future__ import annotations

from pipeline.stats.rounding import round_half_up

# (lowest printed percentage, phrase), highest first: a share takes the first phrase it reaches.
PHRASES: tuple[tuple[int, str], ...] = (
    (100, "all"),
    (95, "almost all"),
    (88, "around nine in ten"),
    (78, "around eight in ten"),
    (73, "around three-quarters"),
    (68, "around seven in ten"),
    (64, "around two-thirds"),
    (58, "around six in ten"),
    (51, "over half"),
    (50, "half"),
    (45, "just under half"),
    (38, "around four in ten"),
    (31, "around a third"),
    (27, "around three in ten"),
    (23, "around a quarter"),
    (18, "around one in five"),
    (13, "around one in seven"),
    (8, "around one in ten"),
    (5, "a small minority"),
    (1, "very few"),
    (0, "none"),
)


# Phrases that take "of" before a noun ("around a third of providers", not "around a third providers").
_NEEDS_OF = ("half", "third", "thirds", "quarter", "quarters", "minority")


def share_words(pct: float, before_noun: bool = False) -> str:
    """The idiom for a percentage (0-100), judged on the whole-number value a reader sees.

    With `before_noun` the phrase reads straight into a plural noun: "no", "around a third of".
    """
    phrase = _phrase(pct)
    if not before_noun:
        return phrase
    if phrase == "none":
        return "no"
    return f"{phrase} of" if phrase.split(" ")[-1].split("-")[-1] in _NEEDS_OF else phrase


def _phrase(pct: float) -> str:
    shown = round_half_up(pct)
    if not 0 <= shown <= 100:
        raise ValueError(f"a share must be between 0 and 100, not {pct}")
    if shown == 0 and pct > 0:
        return "very few"
    return next(phrase for lowest, phrase in PHRASES if shown >= lowest)
