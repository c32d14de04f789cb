"""Checked claims: prose about the data carries the condition it rests on, evaluated by the build.

A sentence that characterises the data ("a small-scale market with spare capacity", "most
providers", "NHS departments were more likely to …") is true of one wave and may be false of
the next. Templates therefore state such a sentence inside a claim block, with the condition
that makes it true and the wording to use when it does not hold:

    {% claim R.value('capacity_taken', 'cap_used', 'ratio') < 90 %}
      A small-scale market with spare capacity.
    {% otherwise %}
      A small-scale market working close to its capacity.
    {% endclaim %}

The condition must compare figures read from the tables (`R.value`, `R.rounded`, `R.diff(…)`
and `R.ranked(…)` values are `Fact`s, and comparing a `Fact` gives a `Condition` that records
the figures it compared); `and`, `or` and `not` combine conditions and keep every figure.
A condition on plain numbers is refused, since the build could not say what it rests on.
Prose whose source is not the survey data (expert interviews, case studies, the literature)
is marked `{% qualitative "its source" %} … {% endqualitative %}`.

A condition that reads a withheld figure (a base too small to publish) can be judged neither
way: the alternative is used, or the claim left out when it has none, and claims.csv says so.
When the condition fails and there is no `{% otherwise %}`, the build stops with the sentence,
the condition and its figures (`ClaimFailed`); a draft build (`ohmsk report --draft`) marks the
sentence in the HTML instead and lists it. Every claim is written to `outputs/claims.csv`
(template, line, condition, the figures, whether it held, the wording used), with the words
that helpers choose from the data (`R.words`, `Difference.phrase`), so a reviewer can audit the
words as the reproduction audit does the numbers.
"""

from __future__ import annotations

import html
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from jinja2.runtime import Context
from markupsafe import Markup

from pipeline.errors import OhmskError, SpecError
from pipeline.stages.disclosure import SuppressedFigure


class ClaimFailed(OhmskError):
    """A claim's condition does not hold on this wave's data and it has no alternative wording."""


def _number(value: float) -> str:
    """A figure as claims.csv and error messages print it: enough digits to check, no more."""
    return "nan" if math.isnan(float(value)) else f"{float(value):.4g}"


class Fact(float):
    """A number read from the tables, with where it came from: comparing it gives a Condition
    that names it, and arithmetic on facts gives a fact naming every figure it used."""

    label: str

    def __new__(cls, value: float, label: str) -> Fact:
        fact = super().__new__(cls, value)
        fact.label = label
        return fact

    def describe(self) -> str:
        return f"{self.label} = {_number(self)}"

    def _arith(self, other: object, op: str, fn: Callable[[float, float], float], reflected: bool = False) -> Fact:
        if not isinstance(other, (int, float)):
            return NotImplemented
        mine, theirs = self.label, other.label if isinstance(other, Fact) else _number(float(other))
        left, right = (theirs, mine) if reflected else (mine, theirs)
        value = fn(float(other), float(self)) if reflected else fn(float(self), float(other))
        return Fact(value, f"({left} {op} {right})")

    def __add__(self, o: object) -> Fact:
        return self._arith(o, "+", lambda a, b: a + b)  # noqa: E704

    def __radd__(self, o: object) -> Fact:
        return self._arith(o, "+", lambda a, b: a + b, True)  # noqa: E704

    def __sub__(self, o: object) -> Fact:
        return self._arith(o, "-", lambda a, b: a - b)  # noqa: E704

    def __rsub__(self, o: object) -> Fact:
        return self._arith(o, "-", lambda a, b: a - b, True)  # noqa: E704

    def __mul__(self, o: object) -> Fact:
        return self._arith(o, "*", lambda a, b: a * b)  # noqa: E704

    def __rmul__(self, o: object) -> Fact:
        return self._arith(o, "*", lambda a, b: a * b, True)  # noqa: E704

    def __truediv__(self, o: object) -> Fact:
        return self._arith(o, "/", lambda a, b: a / b)  # noqa: E704

    def __rtruediv__(self, o: object) -> Fact:
        return self._arith(o, "/", lambda a, b: a / b, True)  # noqa: E704

    def __neg__(self) -> Fact:
        return Fact(-float(self), f"-{self.label}")

    def __abs__(self) -> Fact:
        return Fact(abs(float(self)), f"|{self.label}|")

    def _compare(self, other: object, op: str) -> Condition:
        if not isinstance(other, (int, float)):
            return NotImplemented
        holds = _OPS[op](float(self), float(other))
        theirs = other.describe() if isinstance(other, Fact) else _number(float(other))
        return Condition(holds, f"{self.describe()} {op} {theirs}")

    # a comparison of facts gives a Condition (true or false as a bool is, and naming the figures it
    # compared), not the bool that float's comparisons are typed to return: hence `ignore[override]`
    def __lt__(self, o: object) -> Condition:  # type: ignore[override]
        return self._compare(o, "<")  # noqa: E704

    def __le__(self, o: object) -> Condition:  # type: ignore[override]
        return self._compare(o, "<=")  # noqa: E704

    def __gt__(self, o: object) -> Condition:  # type: ignore[override]
        return self._compare(o, ">")  # noqa: E704

    def __ge__(self, o: object) -> Condition:  # type: ignore[override]
        return self._compare(o, ">=")  # noqa: E704

    def __eq__(self, o: object) -> Condition:  # type: ignore[override]
        return self._compare(o, "==")  # noqa: E704

    def __ne__(self, o: object) -> Condition:  # type: ignore[override]
        return self._compare(o, "!=")  # noqa: E704

    __hash__ = float.__hash__

    # facts pickle (a cached table's helpers never hold one, but be safe)
    def __reduce__(self) -> tuple[type[Fact], tuple[float, str]]:
        return (Fact, (float(self), self.label))


_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


@dataclass(frozen=True)
class Condition:
    """Whether something holds of the data, and what was compared to find out (with figures)."""

    holds: bool
    text: str

    def __bool__(self) -> bool:
        return self.holds

    def negated(self) -> Condition:
        return Condition(not self.holds, f"not ({self.text})")

    @staticmethod
    def every(*conditions: Condition) -> Condition:
        return Condition(all(c.holds for c in conditions), " and ".join(f"({c.text})" for c in conditions))

    @staticmethod
    def some(*conditions: Condition) -> Condition:
        return Condition(any(c.holds for c in conditions), " or ".join(f"({c.text})" for c in conditions))


@dataclass(frozen=True)
class Claim:
    """One checked statement, as claims.csv lists it."""

    template: str
    line: int
    kind: str  # "claim" (a template's claim block) or "worded" (words a helper chose from the data)
    condition: str  # the condition as written, or the helper call
    evaluated: str  # the figures compared, with their values
    holds: bool
    wording: str  # "as written", "alternative", "failed (draft)", "… (withheld figure)"; helpers: "chosen"
    text: str


@dataclass
class ClaimLog:
    """The claims one rendering made, in document order; `draft` marks failures instead of stopping."""

    draft: bool = False
    claims: list[Claim] = field(default_factory=list)
    pending: object = None  # the condition a claim block is evaluating

    @property
    def failed(self) -> list[Claim]:
        return [c for c in self.claims if c.wording == "failed (draft)"]

    def worded(self, call: str, evaluated: str, text: str) -> None:
        """Record words a helper chose from the data, at the template line that asked for them."""
        template, line = template_position()
        self.claims.append(Claim(template, line, "worded", call, evaluated, True, "chosen", _plain(text)))


def _plain(markup: str) -> str:
    """A rendered fragment as a reader reads it: no tags, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", str(markup))).split())


def template_position() -> tuple[str, int]:
    """The template file and line being rendered (the innermost template frame of the stack).

    Jinja compiles each template to Python whose code objects carry the template's file name;
    the template object maps the generated line back to the template's (`get_corresponding_lineno`).
    """
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.endswith(".j2"):
            template = frame.f_globals.get("__jinja_template__")
            line = template.get_corresponding_lineno(frame.f_lineno) if template else frame.f_lineno
            return _relative(name), line
        frame = frame.f_back
    return "", 0


def _relative(path: str) -> str:
    parts = Path(path).parts
    return "/".join(parts[parts.index("templates") :]) if "templates" in parts else path


class ClaimExtension(Extension):
    """`{% claim condition %} … {% otherwise %} … {% endclaim %}` for Jinja (see the module doc).

    The condition's `and`, `or` and `not` are rewritten into calls that keep every compared
    figure (Python's would keep only the operand they return).
    """

    tags = {"claim", "qualitative"}

    def parse(self, parser: Parser) -> nodes.Node | list[nodes.Node]:
        token = next(parser.stream)
        if token.value == "qualitative":
            return self._qualitative(parser)
        lineno = token.lineno
        source = self._condition_source(parser, lineno)
        condition = self._combine(parser.parse_expression())
        body = parser.parse_statements(("name:otherwise", "name:endclaim"))
        alternative = None
        if next(parser.stream).test("name:otherwise"):
            alternative = parser.parse_statements(("name:endclaim",), drop_needle=True)

        # the claim's caller renders in three modes: "test" evaluates the condition (so that a
        # withheld figure it reads can be caught), then "claim" or "otherwise" the chosen wording
        def mode(name: str) -> nodes.Compare:
            return nodes.Compare(nodes.Name("claim_mode", "load"), [nodes.Operand("eq", nodes.Const(name))])

        test = [nodes.Output([self.call_method("_hold", [condition, nodes.ContextReference()])])]
        chosen = nodes.If(mode("test"), test, [], [nodes.If(mode("claim"), body, [], alternative or [])])
        call = self.call_method(
            "_claim",
            [
                nodes.Const(alternative is not None),
                nodes.Const(_relative(parser.filename or parser.name or "")),
                nodes.Const(lineno),
                nodes.Const(source),
                nodes.ContextReference(),
            ],
        )
        return nodes.CallBlock(call, [nodes.Name("claim_mode", "param")], [], [chosen]).set_lineno(lineno)

    def _qualitative(self, parser: Parser) -> list[nodes.Node]:
        """`{% qualitative "expert interviews" %} … {% endqualitative %}`: prose whose source is
        not the survey data (interviews, case studies, the literature), which no figure of this
        wave can contradict; the body renders as written. Its source must be named."""
        named = not parser.stream.current.test("block_end")
        source = parser.parse_expression() if named else None
        if not isinstance(source, nodes.Const) or not str(source.value).strip():
            parser.fail(
                '{% qualitative %} names the passage\'s source, e.g. {% qualitative "case studies" %}',
                parser.stream.current.lineno,
            )
        return parser.parse_statements(("name:endqualitative",), drop_needle=True)

    def _condition_source(self, parser: Parser, lineno: int) -> str:
        """The condition as the template writes it (for claims.csv and errors): the text of the
        next `{% claim … %}` tag at or after its line."""
        seen = getattr(parser, "_claims_seen", 0)
        setattr(parser, "_claims_seen", seen + 1)  # noqa: B010 (a count the parser carries for this extension)
        loader = self.environment.loader
        source = loader.get_source(self.environment, parser.name)[0] if parser.name and loader is not None else ""
        source = re.sub(r"\{#.*?#\}", lambda m: " " * len(m.group(0)), source, flags=re.S)  # not comments
        tags = list(re.finditer(r"\{%-?\s*claim\s+(.*?)\s*-?%\}", source, re.S))
        return " ".join(tags[seen].group(1).split()) if seen < len(tags) else ""

    def _combine(self, node: nodes.Expr) -> nodes.Expr:
        """`a and b` → `_every(a, b)`, `a or b` → `_some(a, b)`, `not a` → `_negate(a)`."""
        if isinstance(node, nodes.And):
            return self.call_method("_every", [self._combine(node.left), self._combine(node.right)])
        if isinstance(node, nodes.Or):
            return self.call_method("_some", [self._combine(node.left), self._combine(node.right)])
        if isinstance(node, nodes.Not):
            return self.call_method("_negate", [self._combine(node.node)])
        return node

    @staticmethod
    def _every(a: object, b: object) -> object:
        return Condition.every(a, b) if isinstance(a, Condition) and isinstance(b, Condition) else (a and b)

    @staticmethod
    def _some(a: object, b: object) -> object:
        return Condition.some(a, b) if isinstance(a, Condition) and isinstance(b, Condition) else (a or b)

    @staticmethod
    def _negate(a: object) -> object:
        return a.negated() if isinstance(a, Condition) else (not a)

    @staticmethod
    def _hold(condition: object, context: Context) -> str:
        """Keep the evaluated condition for `_claim` (it renders nothing)."""
        context["R"].claims.pending = condition
        return ""

    def _claim(
        self,
        has_alternative: bool,
        template: str,
        line: int,
        source: str,
        context: Context,
        caller: Callable[[str], str],
    ) -> str:
        """Evaluate the claim's condition and render the wording it chooses.

        A condition that reads a withheld figure can be judged neither way, and the figure may
        not decide the words: the alternative is used, or the claim is left out if it has none.
        """
        log: ClaimLog = context["R"].claims
        try:
            caller("test")
            condition = log.pending
        except SuppressedFigure as exc:
            return self._unknowable(log, has_alternative, template, line, source, str(exc), caller)
        if not isinstance(condition, Condition):
            raise SpecError(
                f"the claim's condition `{source}` does not compare figures read from the "
                f"tables (R.value, R.rounded, R.diff, R.ranked values), so the build cannot "
                f"say what the claim rests on"
            )
        if condition.holds or has_alternative:
            text = caller("claim" if condition.holds else "otherwise")
            wording = "as written" if condition.holds else "alternative"
        else:
            text = caller("claim")
            if not log.draft:
                raise ClaimFailed(
                    f"the claim \u201c{_plain(text)}\u201d rests on `{source}`, which does "
                    f"not hold on this data: {condition.text}. Give it an {{% otherwise %}} "
                    f"wording, or a condition that fits what it says"
                )
            wording = "failed (draft)"
            text = Markup('<mark class="claim-failed" title="{}">{}</mark>').format(
                f"Claim does not hold: {condition.text}", text
            )
        log.claims.append(
            Claim(template, line, "claim", source, condition.text, condition.holds, wording, _plain(text))
        )
        return text

    @staticmethod
    def _unknowable(
        log: ClaimLog,
        has_alternative: bool,
        template: str,
        line: int,
        source: str,
        reason: str,
        caller: Callable[[str], str],
    ) -> str:
        """A claim whose condition reads a withheld figure: its alternative, unless that reads
        one too, in which case the claim is left out."""
        text: str = Markup("")
        wording = "left out (withheld figure)"
        if has_alternative:
            try:
                text, wording = caller("otherwise"), "alternative (withheld figure)"
            except SuppressedFigure:
                pass
        log.claims.append(Claim(template, line, "claim", source, reason, False, wording, _plain(text)))
        return text
