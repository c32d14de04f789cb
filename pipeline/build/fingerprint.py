"""Whether the outputs already reflect what a build reads.

Checked before anything heavy is imported, so that `make report` with nothing changed returns
at once: the build's fingerprint hashes the raw data (and a previous wave's), the specs, the
templates, the pipeline's code and the libraries' versions, and is recorded beside the outputs when a build completes.
"""

from __future__ import annotations

from itertools import chain
from pathlib import Path

from pipeline.build.keys import digest_of, folder_parts, library_versions, system_versions
from pipeline.output.downloads import ANNEX_PDF
from pipeline.spec.folders import ROOT, wave_spec

STAMP = ".build-fingerprint"
OUTPUT_FILES = ("report.html", "report.pdf", ANNEX_PDF, "tables.xlsx", "tables.ods")


def fingerprint(data_dir: Path, specs_dir: Path, restricted: bool = False, draft: bool = False) -> str:
    """The key of the build's inputs: the raw data (and a previous wave's), specs, templates,
    pipeline code, the versions of the libraries and of the system's text and drawing packages,
    and whether the restricted, unsuppressed copy or a draft was asked for."""
    waves = wave_spec(data_dir)
    sources = [data_dir, specs_dir, ROOT / "templates", ROOT / "pipeline"] + ([waves.previous_dir] if waves else [])
    flags = ("restricted" if restricted else "") + ("draft" if draft else "")
    settings = ("build", flags, library_versions(), system_versions())
    # one file at a time: a data folder need not fit in memory twice
    return digest_of(chain(settings, (part for folder in sources for part in folder_parts(folder))))


def is_current(out_dir: Path, key: str) -> bool:
    """Whether `out_dir` holds every output of a completed build from inputs hashing to `key`."""
    stamp = out_dir / STAMP
    return stamp.exists() and stamp.read_text() == key and all((out_dir / f).exists() for f in OUTPUT_FILES)


def record(out_dir: Path, key: str) -> None:
    (out_dir / STAMP).write_text(key)
