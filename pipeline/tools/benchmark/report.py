"""`ohmsk bench`: run the build and scale benchmarks and print every figure beside its budget."""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from pathlib import Path

from pipeline.spec.schema import Bench
from pipeline.spec.schema.reading import read_valid
from pipeline.tools.benchmark.builds import Build, run_builds
from pipeline.tools.benchmark.scale import Steps, run_scale


def run_bench(data_dir: Path, specs_dir: Path, scale_only: bool, progress: Callable[[str], None]) -> None:
    from pipeline.spec.report_spec import load_report_spec
    from pipeline.spec.schema.checked import check_tool_specs

    check_tool_specs(load_report_spec(specs_dir).checked, reconstruction=False)  # before any build
    config = read_valid(specs_dir / "bench.yaml", Bench).model_dump()
    print(f"ohmsk bench: {os.cpu_count()} cores, Python {platform.python_version()}, data {data_dir}")
    builds = [] if scale_only else run_builds(data_dir, specs_dir, config["builds"], progress)
    steps = run_scale(load_report_spec(specs_dir), data_dir, config["scale"], progress)
    print()
    for line in summary(builds, steps, config["scale"]["budgets"]):
        print(line)


def _verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def summary(builds: list[Build], steps: Steps, budgets: dict) -> list[str]:
    """The benchmark's figures as printed lines, each budget beside the figure it governs."""
    lines = []
    if builds:
        lines.append("Builds (make report, this machine)")
        for b in builds:
            lines.append(f"  {b.name:<46} {b.seconds:7.2f} s   budget {b.budget:>4g} s   {_verdict(b.met)}")
        for b in builds:
            if b.stages:
                lines.append(f"  time per stage, {b.name}:")
                lines += [f"    {stage:<40} {seconds:7.2f} s" for stage, seconds in b.stages.items()]
    lines.append("Scale (one process; peak = resident high-water mark during the step, data included)")
    for s in steps:
        lines.append(f"  {s.name:<56} {s.seconds:7.2f} s  {s.peak_gb:5.2f} GB  {s.note}")
    tabulate, tests, floor, ours, theirs = (steps[key] for key in ("tabulate", "tests", "floor", "rake", "weightipy"))
    design, design_tests = steps["tabulate_design"], steps["tests_design"]
    peak = max(s.peak_gb for s in steps)
    ratio = tabulate.seconds / floor.seconds
    with_tests = (tabulate.seconds + tests.seconds) / floor.seconds
    lines += [
        "Budgets at scale",
        f"  raking vs weightipy: {ours.seconds:.2f} s vs {theirs.seconds:.2f} s "
        f"({theirs.seconds / ours.seconds:.1f}x as fast)   budget: at least as fast   "
        f"{_verdict(ours.seconds <= theirs.seconds)}",
        f"  tabulation with design-based standard errors vs bincount floor: {ratio:.2f}x "
        f"({with_tests:.2f}x with the significance tests)"
        f"   budget {budgets['tabulation_vs_floor']:g}x   {_verdict(ratio <= budgets['tabulation_vs_floor'])}",
        f"  the same, weighted and stratified: {design.seconds / floor.seconds:.2f}x "
        f"({(design.seconds + design_tests.seconds) / floor.seconds:.2f}x with the design-based t-tests)"
        f"   budget {budgets['tabulation_vs_floor']:g}x   "
        f"{_verdict(design.seconds / floor.seconds <= budgets['tabulation_vs_floor'])}",
        f"  peak memory: {peak:.2f} GB   budget under {budgets['memory_gb']:g} GB   "
        f"{_verdict(peak < budgets['memory_gb'])}",
    ]
    return lines
