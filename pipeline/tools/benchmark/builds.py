"""Build times as a researcher meets them: `make report` from clean, again with nothing changed,
and again after one table's spec changed (survey_specs/bench.yaml names the table).

Each build is a real `make report` in a subprocess, into a fresh output folder, reading a copy
of the specs so that one table can be edited without touching the project's own.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline.errors import OhmskError
from pipeline.spec.folders import ROOT

_STAGES = re.compile(r"stage times: (.*)")


@dataclass
class Build:
    """One timed `make report` and the stage times it printed."""

    name: str
    seconds: float
    budget: float
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def met(self) -> bool:
        return self.seconds <= self.budget


def run_builds(data_dir: Path, specs_dir: Path, config: dict, progress: Callable[[str], None]) -> list[Build]:
    """The three builds of bench.yaml's `builds:`, timed."""
    budgets = config["budgets"]
    with tempfile.TemporaryDirectory(prefix="ohmsk-bench-") as tmp:
        specs, out = Path(tmp) / "specs", Path(tmp) / "outputs"
        shutil.copytree(specs_dir, specs)
        runs = []
        for name, budget, change in (
            ("full make report from a clean outputs/", budgets["full"], False),
            ("make report again, nothing changed", budgets["unchanged"], False),
            ("make report after one table's spec changed", budgets["one_table"], True),
        ):
            if change:
                _edit_table(specs, config["change"])
            runs.append(_timed(name, budget, data_dir, specs, out))
            progress(f"{name}: {runs[-1].seconds:.1f} s")
    return runs


def _edit_table(specs: Path, change: dict) -> None:
    """Append ' (edited)' to one table's title in the copied specs."""
    path = specs / change["file"]
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    table = next((t for t in raw["tables"] if t["id"] == change["table"]), None)
    if table is None:
        raise OhmskError(f"bench.yaml: table {change['table']!r} is not in {change['file']}")
    table["title"] += " (edited)"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _timed(name: str, budget: float, data_dir: Path, specs: Path, out: Path) -> Build:
    command = ["make", "--no-print-directory", "-s", "report", f"DATA={data_dir}", f"SPECS={specs}", f"OUT={out}"]
    t0 = time.perf_counter()
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if run.returncode != 0:
        raise OhmskError(f"`{' '.join(command)}` failed (exit {run.returncode}):\n{run.stderr[-2000:]}")
    found = _STAGES.search(run.stdout)
    stages = {}
    if found:
        for part in found.group(1).split(" · "):
            stage, value = part.rsplit(" ", 2)[0], part.rsplit(" ", 2)[1]
            stages[stage] = float(value)
    return Build(name, seconds, float(budget), stages)
