"""The small expressions specs use for routing, filters and derived variables: checked when the
specs are loaded (`expression_problems`), evaluated by the stages (`evaluate`, `mask`).

Specs write pandas expressions over variable names, e.g. `comm_1 == 1`,
`ots_extent in [2, 3]`, `capacity.notna()`, `employees >= 50 and n_employers.notna()`.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from pipeline.errors import SpecError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def evaluate(frame: pd.DataFrame, expr: str, where: str) -> pd.Series:
    """Evaluate `expr` row-wise; `all` means everyone. Errors name the spec entry."""
    if expr.strip() == "all":
        return pd.Series(True, index=frame.index)
    # pandas resolves every column of the frame on each eval; hand it only the names used
    used = [name for name in dict.fromkeys(_NAME.findall(expr)) if name in frame.columns]
    try:
        result = frame[used].eval(expr, engine="python")
    except Exception as exc:  # pandas raises many types for a bad expression
        raise SpecError(f"{where}: cannot evaluate {expr!r}: {exc}") from exc
    if not isinstance(result, pd.Series):
        result = pd.Series(result, index=frame.index)
    return result


def mask(frame: pd.DataFrame, expr: str, where: str) -> pd.Series:
    """A boolean row filter; NaN comparisons count as False."""
    return evaluate(frame, expr, where).fillna(False).astype(bool)


# -- checking expressions when the specs are loaded ------------------------------------------


@dataclass(frozen=True)
class Known:
    """What an expression may know of a name: what it holds and, if coded, its codes."""

    holds: str  # "number" (numbers or codes) or "text"
    codes: frozenset[float] | None = None  # answer and missing codes of a coded variable


# What specs may write: arithmetic, comparisons, `and`/`or`/`not`, `in [...]`, and the
# missing-value methods below. Anything else (calls, attributes, subscripts) is refused.
_NODES = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.Invert,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Pow,
    ast.BitAnd,
    ast.BitOr,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.List,
    ast.Tuple,
    ast.Call,
    ast.Attribute,
)
METHODS = ("notna", "isna", "notnull", "isnull", "fillna")
_SINGLE_EQUALS = re.compile(r"(?<![=!<>])=(?!=)")


def _syntax_problem(expr: str, exc: SyntaxError) -> str:
    """A syntax error worded with its likely fix."""
    if _SINGLE_EQUALS.search(expr):
        return f"{expr!r}: '=' assigns; to compare, write '=='"
    for wrong, right in (("&&", "and"), ("||", "or")):
        if wrong in expr:
            return f"{expr!r}: write {right!r}, not {wrong!r}"
    for opening, closing in ("()", "[]"):
        if expr.count(opening) != expr.count(closing):
            return (
                f"{expr!r}: unbalanced brackets ({expr.count(opening)} {opening!r} but "
                f"{expr.count(closing)} {closing!r})"
            )
    return f"{expr!r} is not a valid expression ({exc.msg}, at character {exc.offset})"


def _constants(node: ast.AST) -> list[object] | None:
    """The literal values of a constant or a list/tuple of them; None for anything else."""
    if isinstance(node, ast.Constant):
        return [node.value]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        return [-node.operand.value] if isinstance(node.operand.value, (int, float)) else None
    if isinstance(node, (ast.List, ast.Tuple)):
        values: list[object] = []
        for element in node.elts:
            found = _constants(element)
            if found is None:
                return None
            values.extend(found)
        return values
    return None


def _compared(name: str, known: Known, values: list[object], op: ast.cmpop) -> str | None:
    """A comparison of a variable with literal values that cannot be meant."""
    texts = [v for v in values if isinstance(v, str)]
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if known.holds == "number" and texts:
        return f"{name!r} holds numbers (codes), but is compared with the text {texts[0]!r}: compare it with a code"
    if known.holds == "text" and numbers:
        return f"{name!r} holds text, but is compared with the number {numbers[0]!r}"
    if known.codes is not None and isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn)):
        strange = [v for v in numbers if float(v) not in known.codes]
        if strange:
            codes = ", ".join(f"{c:g}" for c in sorted(known.codes))
            return f"{strange[0]!r} is not a code of {name!r} (its codes: {codes})"
    return None


def expression_problems(
    expr: str, known: Mapping[str, Known], groups: Mapping[str, list[str]] | None = None
) -> list[str]:
    """Everything wrong with a routing rule, filter or derived expression, found by parsing it
    (nothing is evaluated): syntax (`=` for `==`, unbalanced brackets), names the survey does not
    have (with the nearest it does), constructs specs may not use, and comparisons of a variable
    with a value of the wrong type or a code it lacks. `groups` maps each multi-code question to
    its item columns, which are what expressions name."""
    text = expr.strip()
    if text == "all":
        return []
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        return [_syntax_problem(text, exc)]
    found: list[str] = []
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            found.append(f"{text!r}: {type(node).__name__.lower()} expressions are not allowed in specs")
        elif isinstance(node, ast.Call):
            method = node.func.attr if isinstance(node.func, ast.Attribute) else None
            if method not in METHODS or any(_constants(a) is None for a in node.args) or node.keywords:
                found.append(
                    f"{text!r}: only the methods {', '.join(m + '()' for m in METHODS)} may be "
                    f"called (fillna with a number)"
                )
        elif isinstance(node, ast.Attribute) and id(node) not in called:
            found.append(f"{text!r}: '.{node.attr}' is not allowed (only the methods {', '.join(METHODS)})")
        elif isinstance(node, ast.Name) and node.id not in known:
            items = (groups or {}).get(node.id)
            hint = (
                f"; {node.id!r} is a multi-code question: name an item, e.g. {items[0]!r}"
                if items
                else _nearest(node.id, known)
            )
            found.append(f"unknown variable {node.id!r} in {text!r}{hint}")
        elif isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for op, (left, right) in zip(node.ops, zip(operands, operands[1:])):
                for var, other in ((left, right), (right, left)):
                    values = _constants(other)
                    if isinstance(var, ast.Name) and var.id in known and values is not None:
                        clash = _compared(var.id, known[var.id], values, op)
                        if clash:
                            found.append(f"{text!r}: {clash}")
    return list(dict.fromkeys(found))


def _nearest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
