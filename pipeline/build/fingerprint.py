"""Whether the outputs already reflect what a build reads.

Checked before anything heavy is imported, so that `make report` with nothing changed returns
at once: the build's fingerprint hashes the raw data (and a previous wave's), the specs, the
templates and the pipeline's code, and is recorded beside the outputs when a build completes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pipeline.spec.folders import ROOT, wave_spec

STAMP = ".build-fingerprint"
OUTPUT_FILES = ("report.html", "report.pdf", "tables.xlsx")


def fingerprint(data_dir: Path, specs_dir: Path, restricted: bool = False, draft: bool = False) -> str:
    """Hash of the raw data, specs, templates and pipeline code: the build's inputs (and
    whether the restricted, unsuppressed copy or a draft was asked for)."""
    h = hashlib.sha256((b"restricted" if restricted else b"") + (b"draft" if draft else b""))
    waves = wave_spec(data_dir)
    sources = [data_dir, specs_dir, ROOT / "templates", ROOT / "pipeline"] + ([waves.previous_dir] if waves else [])
    for folder in sources:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(str(path.relative_to(folder)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def is_current(out_dir: Path, key: str) -> bool:
    """Whether `out_dir` holds every output of a completed build from inputs hashing to `key`."""
    stamp = out_dir / STAMP
    return stamp.exists() and stamp.read_text() == key and all((out_dir / f).exists() for f in OUTPUT_FILES)


def record(out_dir: Path, key: str) -> None:
    (out_dir / STAMP).write_text(key)
