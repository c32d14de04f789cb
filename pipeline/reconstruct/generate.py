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

from ..derive import derive_column
from ..errors import OhmskError, SpecError
from ..expr import mask
from ..specs import SPECS_DIR, Codebook, Variable, load_codebook, read_yaml
from . import values as numeric
from .allocate import CountRule, Problem, solve
from .sav import write_sav


def _count_range(value: Any, where: str) -> tuple[int, int]:
    if isinstance(value, list) and len(value) == 2:
        return int(value[0]), int(value[1])
    if isinstance(value, int):
        return value, value
    raise SpecError(f"{where}: a count must be an integer or [low, high]")


class Generator:
    """Builds the respondent frame one step at a time."""

    def __init__(self, book: Codebook, spec: dict):
        self.book = book
        self.spec = spec
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
        """Compute every derived variable whose inputs now exist (routing may use them)."""
        for der in self.book.derived.values():
            try:
                values = derive_column(self.frame, der, self.book, self.missing.get(der.of or ""))
            except (KeyError, SpecError):
                continue
            self.frame[der.name] = values

    # -- steps ----------------------------------------------------------------------------
    def run(self) -> pd.DataFrame:
        for step in self.spec["steps"]:
            name = step["var"]
            var = self.book.variables.get(name)
            if var is None:
                raise SpecError(f"reconstruction step {name!r}: not a codebook question")
            where = f"reconstruction step {name!r}"
            eligible = self._mask(step.get("among", var.asked), where)
            if var.type == "multi":
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
        totals = {int(k): int(v) for k, v in step["row_totals"].items()} if "row_totals" in step else None
        total_rules = [CountRule(self._mask(rule["where"], where), tuple(int(t) for t in rule["totals"]),
                                 *_count_range(rule["count"], where), str(rule["where"]))
                       for rule in step.get("row_total_cells", [])]
        problem = Problem(var.name, codes, eligible, self._rules(step, where), forbidden,
                          multi=True, row_totals=totals, min_items=int(step.get("min_items", 0)),
                          total_rules=total_rules)
        chosen = solve(problem, self.rng)
        for j, code in enumerate(codes):
            self.frame[f"{var.name}_{code}"] = np.where(eligible, chosen[:, j].astype(float), np.nan)

    def _numeric(self, var: Variable, step: dict, eligible: np.ndarray, where: str) -> None:
        bands = {int(b["code"]): b for b in step["bands"]}
        problem = Problem(var.name, list(bands), eligible, self._rules(step, where))
        chosen = solve(problem, self.rng)
        band = np.full(len(self.frame), -1)
        rows, cols = np.nonzero(chosen)
        band[rows] = np.array(list(bands))[cols]
        is_missing = np.isin(band, list(var.missing))
        valid = eligible & ~is_missing
        lo = np.array([float(bands[b].get("min", 0)) if b in bands else 0.0 for b in band])
        hi = np.array([float(bands[b].get("max", 0)) if b in bands else 0.0 for b in band])
        integer = bool(step.get("integer", True))
        vals = numeric.draw(lo, hi, self.rng, integer)
        for rule in step.get("median", []):
            members = valid & self._mask(rule.get("where"), where)
            numeric.pin_median(vals, lo, hi, members, float(rule["value"]))
        for key in ("mean", "weighted_mean"):
            for rule in step.get(key, []):
                members = valid & self._mask(rule.get("where"), where)
                weights = self.frame[rule["weight"]].to_numpy(dtype=float) if key == "weighted_mean" else None
                try:
                    numeric.adjust_mean(vals, lo, hi, members, float(rule["value"]),
                                        float(rule.get("tol", 0.25)), integer, weights)
                except OhmskError as exc:
                    raise OhmskError(f"{where}, {key} {rule}: {exc}") from exc
        self.missing[var.name] = pd.Series(np.where(eligible & is_missing, band, np.nan))
        self.frame[var.name] = np.where(valid, vals, np.nan)

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


def reconstruct(survey: str, out_dir: Path, specs_dir: Path = SPECS_DIR) -> Path:
    """Generate `<out_dir>/<codebook file>` for one survey; deterministic for a given spec."""
    book = load_codebook(survey, specs_dir)
    spec = read_yaml(specs_dir / "reconstruct" / f"{survey}.yaml")
    frame = Generator(book, spec).run()
    path = out_dir / book.file
    write_sav(frame, book, path, stamp=str(spec.get("file_date", "")))
    return path
