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
TABS_STAMP = ".tabs-fingerprint"  # make tabs alone: the data tables' own stamp
TABS_FILES = ("data_tables.csv",)
OUTPUT_FILES = ("report.html", "report.pdf", ANNEX_PDF, "tables.xlsx", "tables.ods")


def fingerprint(
    data_dir: Path, specs_dir: Path, restricted: bool = False, draft: bool = False, what: str = "build"
) -> str:
    """The key of the build's inputs: the raw data (and a previous wave's), specs, templates,
    pipeline code, the versions of the libraries and of the system's text and drawing packages,
    and whether the restricted, unsuppressed copy or a draft was asked for; `what` names the
    outputs (the whole report's "build", or "data tables" alone)."""
    waves = wave_spec(data_dir)
    sources = [data_dir, specs_dir, ROOT / "templates", ROOT / "pipeline"] + ([waves.previous_dir] if waves else [])
    flags = ("restricted" if restricted else "") + ("draft" if draft else "")
    settings = (what, flags, library_versions(), system_versions())
    # one file at a time: a data folder need not fit in memory twice
    return digest_of(chain(settings, (part for folder in sources for part in folder_parts(folder))))


def is_current(out_dir: Path, key: str, stamp_name: str = STAMP, files: tuple[str, ...] = OUTPUT_FILES) -> bool:
    """Whether `out_dir` holds every output (`files`) of a completed build from inputs hashing
    to `key`, as its stamp file `stamp_name` records."""
    stamp = out_dir / stamp_name
    return stamp.exists() and stamp.read_text() == key and all((out_dir / f).exists() for f in files)


def record(out_dir: Path, key: str, stamp_name: str = STAMP) -> None:
    (out_dir / stamp_name).write_text(key)
