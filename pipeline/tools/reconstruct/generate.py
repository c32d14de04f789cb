"""Generate a synthetic respondent file from the codebook and a reconstruction spec.

The reconstruction spec (`survey_specs/reconstruct/<survey>.yaml`) declares, question by
question, how many respondents give each answer overall and within subgroups: the published
counts implied by the report's percentages, and declared assumptions for everything the report
does not publish. Steps run in order, so later questions can be split by earlier answers.
Routing comes from the codebook: only respondents asked a question get an answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.errors import OhmskError, SpecError
from pipeline.spec.expressions import evaluate, mask
from pipeline.spec.objects import SPECS_DIR, Codebook, Variable, load_codebook
from pipeline.spec.schema import Reconstruction
from pipeline.spec.schema.reading import read_valid
from pipeline.stages.derive import derive_column
from pipeline.tools.reconstruct import values as numeric
from pipeline.tools.reconstruct.allocate import CountRule, Problem, solve
from pipeline.tools.reconstruct.sav import write_sav


def _count_range(value: Any, where: str) -> tuple[int, int]:
    if isinstance(value, list) and len(value) == 2:
        return int(value[0]), int(value[1])
    if isinstance(value, int):
        return value, value
    raise SpecError(f"{where}: a count must be an integer or [low, high]")


class Generator:
    """Builds the respondent frame one step at a time."""

    def __init__(self, book: Codebook, spec: dict, others: dict | None = None):
        self.book = book
        self.spec = spec
        self.others = others or {}  # linked surveys already generated (for `link` variables)
        self.rng = np.random.default_rng(int(spec["seed"]))
        n = int(spec["n"])
        start = int(spec.get("id_start", 1))
        self.frame = pd.DataFrame({book.id: np.arange(start, start + n, dtype=float)})
        self.missing: dict[str, pd.Series] = {}

    # -- helpers --------------------------------------------------------------------------
    def _mask(self, expr: str | None, where: str) -> np.ndarray:
        return mask(self.frame, expr or "all", where).to_numpy()

    def _rules(self, step: dict, where: str) -> list[CountRule]:
        """Count rules from the step's `counts` and `sets`, overall and in each of its `cells`."""
        rules = []
        blocks = [{"where": "all", "counts": step.get("counts"), "sets": step.get("sets")}]
        for block in blocks + list(step.get("cells", [])):
            members = self._mask(block.get("where"), where)
            label = f"{where}, cell {block.get('where')!r}"
            for code, count in (block.get("counts") or {}).items():
                low, high = _count_range(count, f"{label}, code {code}")
                rules.append(CountRule(members, (int(code),), low, high, label))
            for group in block.get("sets") or []:
                low, high = _count_range(group["count"], f"{label}, codes {group['codes']}")
                rules.append(CountRule(members, tuple(int(c) for c in group["codes"]), low, high, label))
        return rules

    def _refresh_derived(self) -> None:
        """Compute every derived variable whose inputs now exist (routing may use them).

        Steps only add columns, so a derived variable, once computed, never changes.
        """
        for der in self.book.derived.values():
            if der.name in self.frame:
                continue
            values: np.ndarray | pd.Series
            try:
                if der.kind == "link":  # linked rows are matched on ids, as the derive stage does
                    framed = self.frame.set_index(self.frame[self.book.id].to_numpy())
                    values = derive_column(framed, der, self.book, None, self.others).to_numpy()
                else:
                    values = derive_column(self.frame, der, self.book, self.missing.get(der.of or ""))
            except (KeyError, SpecError):
                continue
            self.frame[der.name] = values

    # -- steps ----------------------------------------------------------------------------
    def run(self) -> pd.DataFrame:
        self._refresh_derived()  # routing may use derived variables that need no answers
        for step in self.spec["steps"]:
            if "shares" in step:
                self._shares(step, f"reconstruction step shares {step['shares'][0]!r}")
                self.frame = self.frame.copy()
                self._refresh_derived()
                continue
            name = step["var"]
            var = self.book.variables.get(name)
            if var is None:
                raise SpecError(f"reconstruction step {name!r}: not a codebook question")
            where = f"reconstruction step {name!r}"
            eligible = self._mask(step.get("among", var.asked), where)
            if "groups" in step:
                self._groups(var, step, eligible, where)
            elif var.type == "text":
                self._text(var, step, eligible, where)
            elif var.type == "multi":
                self._multi(var, step, eligible, where)
            elif var.type == "numeric":
                self._numeric(var, step, eligible, where)
            else:
                self._single(var, step, eligible, where)
            self.frame = self.frame.copy()  # keep the frame contiguous as columns accumulate
            self._refresh_derived()
        return self._output()

    def _single(self, var: Variable, step: dict, eligible: np.ndarray, where: str) -> None:
        codes = list(var.codes) + list(var.missing)
        forbidden = np.zeros((len(self.frame), len(codes)), dtype=bool)
        for j, code in enumerate(codes):
            if var.selected_in and code in var.codes:
                col = f"{var.selected_in}_{code}"
                forbidden[:, j] |= self.frame[col].to_numpy() != 1
            for other in var.differs_from if code in var.codes else ():
                forbidden[:, j] |= self.frame[other].to_numpy() == code
        problem = Problem(var.name, codes, eligible, self._rules(step, where), forbidden)
        chosen = solve(problem, self.rng)
        values = np.full(len(self.frame), np.nan)
        rows, cols = np.nonzero(chosen)
        values[rows] = np.array(codes, dtype=float)[cols]
        self.frame[var.name] = values

    def _multi(self, var: Variable, step: dict, eligible: np.ndarray, where: str) -> None:
        codes = list(var.codes)
        forbidden = np.zeros((len(self.frame), len(codes)), dtype=bool)
        for code, expr in (step.get("only_if") or {}).items():
            forbidden[:, codes.index(int(code))] |= ~self._mask(expr, where)
        if var.selected_in:  # only items also chosen at the earlier question (where it has them)
            for j, code in enumerate(codes):
                col = f"{var.selected_in}_{code}"
                if col in self.frame:
                    forbidden[:, j] |= self.frame[col].to_numpy() != 1
        totals = {int(k): int(v) for k, v in step["row_totals"].items()} if "row_totals" in step else None
        total_rules = [
            CountRule(
                self._mask(rule["where"], where),
                tuple(int(t) for t in rule["totals"]),
                *_count_range(rule["count"], where),
                str(rule["where"]),
            )
            for rule in step.get("row_total_cells", [])
        ]
        problem = Problem(
            var.name,
            codes,
            eligible,
            self._rules(step, where),
            forbidden,
            multi=True,
            row_totals=totals,
            min_items=int(step.get("min_items", 0)),
            total_rules=total_rules,
        )
        chosen = solve(problem, self.rng)
        for j, code in enumerate(codes):
            self.frame[f"{var.name}_{code}"] = np.where(eligible, chosen[:, j].astype(float), np.nan)

    def _limits(self, step: dict, where: str) -> tuple[np.ndarray, np.ndarray]:
        """Per-respondent bounds from `at_least` / `at_most` expressions of earlier answers.

        E.g. no more posts filled than posts available (`at_most: post_av_1`), or a remainder
        (`at_least` and `at_most` both `100 - a - b`). Blank bounds do not bind.
        """
        n = len(self.frame)
        low, high = np.full(n, -np.inf), np.full(n, np.inf)
        for key, out in (("at_least", low), ("at_most", high)):
            if key in step:
                bound = evaluate(self.frame, str(step[key]), f"{where}, {key}").to_numpy(dtype=float)
                out[~np.isnan(bound)] = bound[~np.isnan(bound)]
        return low, high

    def _numeric(self, var: Variable, step: dict, eligible: np.ndarray, where: str) -> None:
        bands = {int(b["code"]): b for b in step["bands"]}
        low, high = self._limits(step, where)
        forbidden = np.zeros((len(self.frame), len(bands)), dtype=bool)
        for j, b in enumerate(bands.values()):  # a band wholly outside a respondent's bounds
            if "min" in b or "max" in b:
                forbidden[:, j] = (float(b.get("min", -np.inf)) > high) | (float(b.get("max", np.inf)) < low)
        problem = Problem(
            var.name, list(bands), eligible, self._rules(step, where), forbidden if forbidden.any() else None
        )
        chosen = solve(problem, self.rng)
        band = np.full(len(self.frame), -1)
        rows, cols = np.nonzero(chosen)
        band[rows] = np.array(list(bands))[cols]
        is_missing = np.isin(band, list(var.missing))
        valid = eligible & ~is_missing
        lo = np.array([float(bands[b].get("min", 0)) if b in bands else 0.0 for b in band])
        hi = np.array([float(bands[b].get("max", 0)) if b in bands else 0.0 for b in band])
        lo[valid] = np.maximum(lo[valid], low[valid])
        hi[valid] = np.minimum(hi[valid], high[valid])
        integer = bool(step.get("integer", True))
        vals = numeric.draw(lo, hi, self.rng, integer)
        for rule in step.get("median", []):
            members = valid & self._mask(rule.get("where"), where)
            numeric.pin_median(vals, lo, hi, members, float(rule["value"]))
        self._fit_means(step, vals, lo, hi, valid, integer, where)
        self.missing[var.name] = pd.Series(np.where(eligible & is_missing, band, np.nan))
        self.frame[var.name] = np.where(valid, vals, np.nan)

    def _fit_means(
        self, step: dict, vals: np.ndarray, lo: np.ndarray, hi: np.ndarray, valid: np.ndarray, integer: bool, where: str
    ) -> None:
        """Move values to each `mean` / `weighted_mean` rule in turn.

        Rules over overlapping subgroups (e.g. by sector and by size) can undo one another, so
        when one pass leaves any rule off its target, all are met at once by integer programming.
        """
        rules = []
        for key in ("mean", "weighted_mean"):
            for rule in step.get(key, []):
                members = valid & self._mask(rule.get("where"), where)
                weights = self.frame[rule["weight"]].to_numpy(dtype=float) if key == "weighted_mean" else None
                rules.append((key, rule, members, weights))
        for key, rule, members, weights in rules:
            try:
                numeric.adjust_mean(
                    vals, lo, hi, members, float(rule["value"]), float(rule.get("tol", 0.25)), integer, weights
                )
            except OhmskError as exc:
                if len(rules) < 2:
                    raise OhmskError(f"{where}, {key} {rule}: {exc}") from exc

        def off(members: np.ndarray, weights: np.ndarray | None, rule: dict) -> bool:
            w = np.ones(len(vals)) if weights is None else weights
            got = (w[members] * vals[members]).sum() / w[members].sum()
            return abs(got - float(rule["value"])) > float(rule.get("tol", 0.25))

        if len(rules) > 1 and any(off(m, w, r) for _, r, m, w in rules):
            try:
                numeric.fit_means_jointly(
                    vals,
                    lo,
                    hi,
                    [(m, float(r["value"]), float(r.get("tol", 0.25)), w) for _, r, m, w in rules],
                    integer,
                )
            except OhmskError as exc:
                raise OhmskError(f"{where}: {exc}") from exc

    def _groups(self, var: Variable, step: dict, eligible: np.ndarray, where: str) -> None:
        """A link key: respondents share ids in groups of declared sizes (e.g. CCGs per lead).

        `groups: {start, sizes: {size: how many groups}, within: [{sizes, where, count}]}`:
        ids run from `start` in a random order of group sizes; each `within` rule bounds how
        many members of every group of the listed sizes match `where`.
        """
        spec = step["groups"]
        sizes = [int(size) for size, k in sorted(spec["sizes"].items()) for _ in range(int(k))]
        sizes = [sizes[i] for i in self.rng.permutation(len(sizes))]
        if sum(sizes) != int(eligible.sum()):
            raise SpecError(
                f"{where}: group sizes add to {sum(sizes)}, not the {int(eligible.sum())} respondents asked"
            )
        start = int(spec.get("start", 1))
        ids = list(range(start, start + len(sizes)))
        everyone = np.ones(len(self.frame), dtype=bool)
        rules = [CountRule(everyone, (g,), size, size, f"{where}, group {g}") for g, size in zip(ids, sizes)]
        for rule in spec.get("within", []):
            members = self._mask(rule["where"], where)
            applies = {int(x) for x in rule.get("sizes", sizes)}
            low, high = _count_range(rule["count"], f"{where}, within {rule['where']!r}")
            rules += [
                CountRule(members, (g,), low, high, f"{where}, within {rule['where']!r}")
                for g, size in zip(ids, sizes)
                if size in applies
            ]
        chosen = solve(Problem(var.name, ids, eligible, rules), self.rng)
        values = np.full(len(self.frame), np.nan)
        rows, cols = np.nonzero(chosen)
        values[rows] = np.array(ids, dtype=float)[cols]
        self.frame[var.name] = values

    def _shares(self, step: dict, where: str) -> None:
        """Numeric shares of one whole answered together (e.g. referrals by source).

        `shares: [vars]`, `answered`: how many of those asked give shares (the rest get
        `missing_code`, don't know), `means`: each share's mean over them, `total`: the whole
        (each respondent's shares add to at most this; any remainder is left unattributed).
        """
        names = [str(n) for n in step["shares"]]
        variables = [v for n in names if (v := self.book.variables.get(n)) is not None and v.type == "numeric"]
        if len(variables) != len(names):
            raise SpecError(f"{where}: every share must be a numeric codebook question")
        eligible = self._mask(step.get("among", variables[0].asked), where)
        who = np.flatnonzero(eligible)
        answered = int(step["answered"])
        if answered > len(who):
            raise SpecError(f"{where}: {answered} answering but only {len(who)} asked")
        means = [float(m) for m in step["means"]]
        if len(means) != len(names):
            raise SpecError(f"{where}: give one mean per share")
        total = int(step.get("total", 100))
        chosen = np.sort(self.rng.choice(who, size=answered, replace=False))
        targets = np.floor(np.array(means) * answered + 0.5).astype(int)
        try:
            matrix = numeric.compose(targets, answered, total, self.rng, float(step.get("concentration", 6)))
        except OhmskError as exc:
            raise OhmskError(f"{where}: {exc}") from exc
        code = float(step.get("missing_code", 99998))
        not_given = np.setdiff1d(who, chosen)
        for j, name in enumerate(names):  # rows outside `among` keep any earlier step's shares
            values = (
                self.frame[name].to_numpy(dtype=float).copy()
                if name in self.frame
                else np.full(len(self.frame), np.nan)
            )
            values[who] = np.nan
            values[chosen] = matrix[:, j]
            missing = (
                self.missing[name].to_numpy(dtype=float).copy()
                if name in self.missing
                else np.full(len(self.frame), np.nan)
            )
            missing[who] = np.nan
            missing[not_given] = code
            self.frame[name] = values
            self.missing[name] = pd.Series(missing)

    def _text(self, var: Variable, step: dict, eligible: np.ndarray, where: str) -> None:
        """Verbatim answers to an open question, built from the codes already given for it.

        `verbatim: {codes: <multi question>, phrases: {code: [ways of saying it]}}`: each
        code mentioned contributes one of its phrases, in random order.
        """
        spec = step["verbatim"]
        coded = self.book.variables.get(spec["codes"])
        if coded is None or coded.type != "multi":
            raise SpecError(f"{where}: `codes` must name a multi-code question")
        phrases = {int(k): [str(p) for p in v] for k, v in spec["phrases"].items()}
        lacking = sorted(set(coded.codes) - set(phrases))
        if lacking:
            raise SpecError(f"{where}: no phrases for codes {lacking}")
        out = np.full(len(self.frame), "", dtype=object)
        for r in np.flatnonzero(eligible):
            said = [c for c in coded.codes if self.frame.at[r, f"{coded.name}_{c}"] == 1]
            parts = [
                phrases[said[i]][self.rng.integers(len(phrases[said[i]]))] for i in self.rng.permutation(len(said))
            ]
            text = "; ".join(parts)
            out[r] = text[:1].upper() + text[1:] + ("" if not text or text[-1] in ".!?" else ".")
        self.frame[var.name] = out

    def _output(self) -> pd.DataFrame:
        """The file's columns in codebook order, numeric user-missing codes restored."""
        cols: dict[str, pd.Series] = {self.book.id: self.frame[self.book.id]}
        for var in self.book.variables.values():
            if var.type == "id":
                continue
            for col in var.columns:
                if col not in self.frame:
                    raise OhmskError(f"reconstruction: no step generates {col!r}")
                values = self.frame[col]
                if col in self.missing:
                    values = values.where(self.missing[col].isna(), self.missing[col])
                cols[col] = values
        return pd.DataFrame(cols)


def _linked(book: Codebook, out_dir: Path, specs_dir: Path) -> dict:
    """Surveys this one links to (derived `link` variables), read back from files made earlier."""
    from pipeline.build.data import prepare

    others: dict = {}
    for source in dict.fromkeys(d.source for d in book.derived.values() if d.kind == "link" and d.source):
        others[source] = prepare(load_codebook(source, specs_dir), out_dir, others)[1]
    return others


def reconstruct(survey: str, out_dir: Path, specs_dir: Path = SPECS_DIR) -> Path:
    """Generate `<out_dir>/<codebook file>` for one survey; deterministic for a given spec.

    A survey linked to another unit's file (e.g. leads to the CCGs they answered for) is
    generated after it, from the file already in `out_dir`.
    """
    book = load_codebook(survey, specs_dir)
    spec = read_valid(specs_dir / "reconstruct" / f"{survey}.yaml", Reconstruction).model_dump(
        exclude_none=True, by_alias=True
    )
    frame = Generator(book, spec, _linked(book, out_dir, specs_dir)).run()
    path = out_dir / book.file
    write_sav(frame, book, path, stamp=str(spec.get("file_date", "")))
    return path
