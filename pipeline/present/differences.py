"""Differences for prose: a test of two subgroup cells as the words templates may use of it.

`R.diff(...)` (pipeline/output/template_api.py) gives a `Difference`: the stage's test of the
two cells (pipeline.stages.compare.compare_columns) with the conditions checked claims rest on
(`.higher`, `.significantly_higher`, `.alike` …), the phrase that follows the test and the
verdict for a parenthesis. Words chosen from the test are recorded in the claim log, and a
difference resting on a withheld cell refuses to be worded as anything but not compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.present.claims import ClaimLog, Condition
from pipeline.stages.compare import ColumnTest, compare_columns
from pipeline.stages.disclosure import SuppressedFigure
from pipeline.stages.tabulate import Table
from pipeline.stats.rounding import fmt_p, round_half_up
from pipeline.stats.significance import Comparison


@dataclass(frozen=True)
class Difference(ColumnTest):
    """Two cells compared: which is higher and whether the test says it matters.

    A difference that rests on a withheld cell (`Difference.withheld_by`) carries no values and
    no test: its phrase and verdict say it was not compared, and asking whether it is
    significant is an error, so no published word can depend on the hidden figure.
    """

    log: ClaimLog | None = field(default=None, compare=False, repr=False)  # records the words chosen

    def _tested(self) -> Comparison:
        if self.comparison is None:
            raise SuppressedFigure(
                f"a template rests a claim on a withheld comparison ({self.withheld}); word it with `.shown` first"
            )
        return self.comparison

    def _condition(self, holds: bool, what: str) -> Condition:
        test = self._tested()
        return Condition(
            holds, f"{self.label}: {_fmt(self.a)} vs {_fmt(self.b)} {what} ({test.test}, p = {test.pvalue:.3g})"
        )

    @property
    def higher(self) -> Condition:
        """The first cell is higher (whatever the test says): for claims of direction only."""
        return self._condition(self.a > self.b, "a > b")

    @property
    def lower(self) -> Condition:
        return self._condition(self.a < self.b, "a < b")

    @property
    def significantly_higher(self) -> Condition:
        """Higher, and significantly so: for claims that a group is 'more likely' to …."""
        return self._condition(self.a > self.b and self._tested().significant, "a > b, significant")

    @property
    def significantly_lower(self) -> Condition:
        return self._condition(self.a < self.b and self._tested().significant, "a < b, significant")

    @property
    def differs(self) -> Condition:
        """Significantly different, in either direction."""
        return self._condition(self._tested().significant, "significant")

    @property
    def alike(self) -> Condition:
        """Not significantly different: for claims that two groups are similar."""
        return self._condition(not self._tested().significant, "not significant")

    @property
    def shown(self) -> bool:
        """Whether the comparison may be published (neither cell withheld)."""
        return self.comparison is not None

    @property
    def significant(self) -> bool:
        if self.comparison is None:
            raise SuppressedFigure(
                f"a template asks whether a withheld comparison is significant "
                f"({self.withheld}); word it with `.shown` first"
            )
        return self.comparison.significant

    def phrase(self, more: str = "more likely than", less: str = "less likely than", same: str = "as likely as") -> str:
        """'significantly more likely than', 'less likely than', 'as likely as': prose that
        follows the test, and the direction as printed (two shares that print alike and do not
        differ significantly are 'as likely')."""
        if self.comparison is None:
            return "[not compared: too few respondents]"
        alike = not self.significant and round_half_up(self.a) == round_half_up(self.b)
        word = same if alike else more if self.a > self.b else less
        if word != same and self.significant:
            word = f"significantly {word}"
        if self.log is not None:
            self.log.worded(
                "R.diff(...).phrase()",
                f"{self.label}: {_fmt(self.a)} vs {_fmt(self.b)} "
                f"({self.comparison.test}, p = {self.comparison.pvalue:.3g})",
                word,
            )
        return word

    @property
    def verdict(self) -> str:
        """Whether the difference passed the test, in words for a parenthesis."""
        if self.comparison is None:
            return "not tested: a figure it rests on is withheld, as its base is too small"
        test = self.comparison.test
        p = fmt_p(self.comparison.pvalue, round(1 - self.comparison.level, 10))
        if self.significant:
            return f"a statistically significant difference ({test}, {p})"
        return f"not a statistically significant difference ({test}, {p})"


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def difference(
    table: Table,
    category: int | str | None,
    col_a: str,
    col_b: str,
    series: str | None = None,
    stat: str = "pct",
    level: float = 0.95,
    withhold: bool = True,
) -> Difference:
    """Column a tested against column b (with `col_b` = 'total', against everyone outside a),
    for prose; `withhold` as in pipeline.stages.compare.compare_columns."""
    tested = compare_columns(table, category, col_a, col_b, series, stat, level, withhold)
    return Difference(tested.a, tested.b, tested.comparison, tested.withheld, tested.label)
