"""Exact allocation of answers to respondents by integer programming.

Every published percentage is a count over a base, so the reconstruction hands out answers
with exact counts, possibly in several overlapping subgroups at once (e.g. by size AND by
whether a provider sells packages). A 0/1 programme solves all those counts together; random
costs make the choice among feasible answers look natural rather than sorted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix, csr_matrix

from pipeline.errors import OhmskError


@dataclass
class CountRule:
    """Between `low` and `high` of the `members` give any of `codes`.

    For a multi-code question a respondent counts once if they mention any of the codes.
    """

    members: np.ndarray  # boolean over respondents
    codes: tuple[int, ...]
    low: int
    high: int
    where: str


@dataclass
class Problem:
    """Allocate one code (single) or a set of codes (multi) to each respondent in `eligible`."""

    name: str
    codes: list[int]
    eligible: np.ndarray
    rules: list[CountRule] = field(default_factory=list)
    forbidden: np.ndarray | None = None  # respondents x codes; True = may not take the code
    multi: bool = False
    row_totals: dict[int, int] | None = None  # multi: how many respondents mention k codes
    total_rules: list[CountRule] = field(default_factory=list)  # multi: counts of row totals in cells
    min_items: int = 0  # multi: fewest codes any eligible respondent mentions


# the column of respondent r's indicator for code j
Column = Callable[[int | np.integer, int], int]


class _Programme:
    """Sparse rows of a 0/1 linear programme, built up one constraint at a time."""

    def __init__(self, n_vars: int):
        self.n = n_vars
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []
        self.lo: list[float] = []
        self.hi: list[float] = []

    def new_vars(self, count: int) -> int:
        start, self.n = self.n, self.n + count
        return start

    def add(self, coef: dict[int, float], low: float, high: float) -> None:
        i = len(self.lo)
        for col, v in coef.items():
            self.rows.append(i)
            self.cols.append(col)
            self.vals.append(v)
        self.lo.append(low)
        self.hi.append(high)

    def matrix(self) -> csr_matrix:
        coords = (np.asarray(self.rows), np.asarray(self.cols))
        return coo_matrix((np.asarray(self.vals), coords), shape=(len(self.lo), self.n)).tocsr()


def solve(problem: Problem, rng: np.random.Generator) -> np.ndarray:
    """Return a respondents x codes 0/1 matrix meeting every rule, or explain why not."""
    n, k = len(problem.eligible), len(problem.codes)
    idx = {c: j for j, c in enumerate(problem.codes)}
    prog = _Programme(n * k)
    who = np.flatnonzero(problem.eligible)

    def x(r: int | np.integer, j: int) -> int:
        return int(r) * k + j

    for r in who:
        every = {x(r, j): 1.0 for j in range(k)}
        if not problem.multi:
            prog.add(every, 1, 1)
        elif problem.min_items:
            prog.add(every, problem.min_items, k)
    if problem.multi and problem.row_totals:
        _row_totals(prog, problem, problem.row_totals, who, x)
    for rule in problem.rules:
        unknown = set(rule.codes) - set(idx)
        if unknown:
            raise OhmskError(f"reconstruction of {problem.name}: rule for unknown codes {sorted(unknown)}")
        members = np.flatnonzero(rule.members & problem.eligible)
        cols = [idx[c] for c in rule.codes]
        if problem.multi and len(cols) > 1:
            _any_of(prog, members, cols, x, rule.low, rule.high)
        else:
            prog.add({x(r, j): 1.0 for r in members for j in cols}, rule.low, rule.high)
    upper = np.ones(prog.n)
    out_of_scope = ~problem.eligible
    upper[: n * k] = np.repeat(~out_of_scope, k).astype(float)
    if problem.forbidden is not None:
        upper[: n * k][problem.forbidden.reshape(-1)] = 0
    res = milp(
        rng.random(prog.n),
        constraints=LinearConstraint(prog.matrix(), prog.lo, prog.hi),
        integrality=np.ones(prog.n, dtype=np.uint8),
        bounds=Bounds(np.zeros(prog.n), upper),
        options={"time_limit": 60},
    )
    if res.x is None:
        raise OhmskError(
            f"reconstruction of {problem.name}: the declared counts cannot all hold "
            f"together ({res.message}); check its rules in the reconstruction spec"
        )
    return np.rint(res.x[: n * k]).reshape(n, k).astype(bool)


def _row_totals(prog: _Programme, problem: Problem, row_totals: dict[int, int], who: np.ndarray, x: Column) -> None:
    """Exactly row_totals[t] respondents mention t codes (one indicator per respondent and t)."""
    totals = sorted(row_totals)
    k = len(problem.codes)
    start = prog.new_vars(len(who) * len(totals))
    for i, r in enumerate(who):
        y = {start + i * len(totals) + t: 1.0 for t in range(len(totals))}
        prog.add(y, 1, 1)
        coef = {x(r, j): 1.0 for j in range(k)}
        coef.update({start + i * len(totals) + t: -float(tot) for t, tot in enumerate(totals)})
        prog.add(coef, 0, 0)
    for t, tot in enumerate(totals):
        want = row_totals[tot]
        prog.add({start + i * len(totals) + t: 1.0 for i in range(len(who))}, want, want)
    position = {r: i for i, r in enumerate(who)}
    for rule in problem.total_rules:
        picked = [t for t, tot in enumerate(totals) if tot in rule.codes]
        members = [r for r in np.flatnonzero(rule.members) if r in position]
        prog.add({start + position[r] * len(totals) + t: 1.0 for r in members for t in picked}, rule.low, rule.high)


def _any_of(prog: _Programme, members: np.ndarray, cols: list[int], x: Column, low: int, high: int) -> None:
    """Count respondents mentioning at least one of `cols`, via one indicator each."""
    start = prog.new_vars(len(members))
    for i, r in enumerate(members):
        z = start + i
        prog.add({z: 1.0, **{x(r, j): -1.0 for j in cols}}, -len(cols), 0)  # z <= sum
        for j in cols:
            prog.add({z: 1.0, x(r, j): -1.0}, 0, 1)  # z >= each
    prog.add({start + i: 1.0 for i in range(len(members))}, low, high)
