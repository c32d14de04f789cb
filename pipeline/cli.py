"""Command line: `ohmsk raw | validate | report | audit | bench | schema | stress-wave`.

User mistakes (bad data, bad specs, missing files) end with a readable message and exit 2;
only genuine bugs show a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.errors import OhmskError, ValidationError
from pipeline.spec.folders import SPECS_DIR

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "raw"
OUTPUTS = ROOT / "outputs"


def _progress(message: str) -> None:
    print(f"  {message}", flush=True)


def cmd_raw(args: argparse.Namespace) -> None:
    """Regenerate the synthetic respondent files in raw/ from the reconstruction specs."""
    from pipeline.spec.report_spec import load_report_spec
    from pipeline.spec.schema.checked import check_tool_specs
    from pipeline.tools.reconstruct.edition import write_edition
    from pipeline.tools.reconstruct.generate import reconstruct

    specs = Path(args.specs)
    spec = load_report_spec(specs)
    check_tool_specs(spec.checked, bench=False)
    for survey in spec.config["surveys"]:
        path = reconstruct(survey, Path(args.out or RAW), specs)
        _progress(f"wrote {path}")
    _progress(f"wrote {write_edition(Path(args.out or RAW), specs)}")


def cmd_validate(args: argparse.Namespace) -> None:
    """Run every check `report` runs before computing: specs, data folder, data, routing."""
    from pipeline.build.data import validate

    validate(Path(args.specs), Path(args.data), progress=_progress)
    _progress("valid: every spec and data file passed")


def cmd_report(args: argparse.Namespace) -> None:
    """Build outputs/report.html, outputs/report.pdf, outputs/csv/ and outputs/figures/."""
    from pipeline.build.fingerprint import fingerprint, is_current

    data, out, specs = Path(args.data), Path(args.out), Path(args.specs)
    key = fingerprint(data, specs, args.restricted, args.draft) if data.is_dir() else None
    if key and is_current(out, key):  # before the heavy imports
        _progress("outputs are up to date (no input changed)")
        return
    from pipeline.build.schedule import build_report

    stages = build_report(
        data, out, progress=_progress, specs_dir=specs, inputs_key=key, restricted=args.restricted, draft=args.draft
    )
    _progress("stage times: " + " · ".join(f"{name} {seconds:.2f} s" for name, seconds in stages.items()))


def cmd_tabs(args: argparse.Namespace) -> None:
    """Build outputs/data_tables.csv: every question by its survey's banner (data_tables.yaml)."""
    from pipeline.build.fingerprint import TABS_FILES, TABS_STAMP, fingerprint, is_current, record

    data, out, specs = Path(args.data), Path(args.out), Path(args.specs)
    key = fingerprint(data, specs, what="data tables") if data.is_dir() else None
    if key and is_current(out, key, TABS_STAMP, TABS_FILES):  # before the heavy imports
        _progress("data tables are up to date (no input changed)")
        return
    from pipeline.build.cache import Store
    from pipeline.build.data_tables import build_data_tables
    from pipeline.spec.report_spec import load_report_spec

    out.mkdir(parents=True, exist_ok=True)
    build_data_tables(load_report_spec(specs), data, out, Store(out / ".cache"), _progress)
    if key:
        record(out, key, TABS_STAMP)


def cmd_audit(args: argparse.Namespace) -> None:
    """Recompute every published statistic and write outputs/audit.csv."""
    from pipeline.build.data import compute
    from pipeline.output.csv_files import write_audit
    from pipeline.spec.folders import read_edition
    from pipeline.spec.report_spec import load_report_spec
    from pipeline.stages.audit import AuditRow, ClaimRow, claims_summary, run_audit, summary

    spec = load_report_spec(Path(args.specs))
    results = compute(spec, Path(args.data))
    rows, claims = run_audit(
        spec.config["surveys"],
        results.unweighted,
        results.level,
        spec.folder,  # as 2020: unweighted
        spec.checked.published,
    )
    reproduces = read_edition(Path(args.data)).reproduces_published
    out = Path(args.out) / "audit.csv"
    checks: list[AuditRow | ClaimRow] = [*rows, *claims]
    write_audit(checks, out)
    for r in checks:
        if r.match is False:
            d = r.as_dict(published=False)  # the analyst's console: every check in full
            status = "explained" if r.explained else "MISMATCH"
            print(
                f"  {status}: {d['target_id']} {d['figure']} {d['cell']}: "
                f"published {d['published']}, computed {d['computed']}"
            )
    print(summary(rows, reproduces=reproduces))
    print(claims_summary(claims, reproduces=reproduces))
    print(f"  wrote {out}")
    if reproduces and not all(r.explained for r in checks):  # other data: a comparison, not a test
        raise OhmskError("the audit found mismatches that no note explains")


def cmd_schema(args: argparse.Namespace) -> None:
    """Write the JSON Schema of every kind of spec file, for editors (survey_specs/schemas/)."""
    from pipeline.spec.schema.export import write_schemas

    for path in write_schemas(Path(args.out)):
        _progress(f"wrote {path}")


def cmd_bench(args: argparse.Namespace) -> None:
    """Time full, unchanged and one-table-changed builds, and the engine at a million respondents."""
    from pipeline.tools.benchmark.report import run_bench

    run_bench(Path(args.data), Path(args.specs), scale_only=args.scale_only, progress=_progress)


def cmd_stress_wave(args: argparse.Namespace) -> None:
    """Write a plausible new wave (a stress wave) of the data under a seed, and say what it holds."""
    from pipeline.tools.stress import stress_wave

    wave = stress_wave(Path(args.data), Path(args.out), args.seed, specs_dir=Path(args.specs))
    print(wave.summary())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ohmsk", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func in [
        ("raw", cmd_raw),
        ("validate", cmd_validate),
        ("report", cmd_report),
        ("tabs", cmd_tabs),
        ("audit", cmd_audit),
        ("bench", cmd_bench),
        ("schema", cmd_schema),
        ("stress-wave", cmd_stress_wave),
    ]:
        p = sub.add_parser(name, help=(func.__doc__ or "").partition("\n")[0])
        p.add_argument("--data", default=str(RAW), help="folder of raw .sav files (default raw/)")
        out = {"raw": None, "schema": str(SPECS_DIR / "schemas")}.get(name, str(OUTPUTS))
        p.add_argument("--out", default=out, required=name == "stress-wave", help="output folder")
        p.add_argument("--specs", default=str(SPECS_DIR), help="folder of survey specs (default survey_specs/)")
        if name == "report":
            p.add_argument(
                "--restricted",
                action="store_true",
                help="also write the unsuppressed figures to OUT/restricted/ (never publish it)",
            )
            p.add_argument(
                "--draft",
                action="store_true",
                help="mark claims that do not hold on this data (and list them) instead of stopping",
            )
        if name == "stress-wave":
            p.add_argument("--seed", type=int, required=True, help="the seed: the same seed writes the same wave")
        if name == "bench":
            p.add_argument("--scale-only", action="store_true", help="only the million-respondent engine test")
        p.set_defaults(func=func)
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except ValidationError as exc:
        print(f"ohmsk: the data failed validation; nothing was built.\n{exc}", file=sys.stderr)
        return 2
    except OhmskError as exc:
        print(f"ohmsk: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
