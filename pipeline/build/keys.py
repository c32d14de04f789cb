"""One hashing scheme for every cache key and for the build's fingerprint.

A key digests the step that made a result, the inputs the step declares, the pipeline's own
code and the versions of the libraries that shape the outputs. So a result made by other code,
or under another pandas, plotly or WeasyPrint, is never reused: a machine whose libraries differ
from the lock file rebuilds everything rather than mixing results. Nothing here imports those
libraries (their versions are read from their installed metadata), so the up-to-date check that
runs before any heavy import can use it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

PIPELINE = Path(__file__).resolve().parents[1]
# every library whose version can change a byte of an output (pinned in requirements.lock)
LIBRARIES = (
    "gptables",
    "jinja2",
    "lxml",
    "numpy",
    "openpyxl",
    "pandas",
    "pikepdf",
    "plotly",
    "pydantic",
    "pydyf",
    "pyreadstat",
    "pyyaml",
    "scipy",
    "statsmodels",
    "weasyprint",
    "xlsxwriter",
)


def digest(*parts: bytes | str) -> str:
    """A short, stable hash of `parts` (each length-prefixed, so boundaries count)."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()[:32]


def key(step: str, *inputs: bytes | str) -> str:
    """The cache key of what `step` makes from `inputs`, under this code and these libraries."""
    return digest(step, code_version(), library_versions(), *inputs)


@lru_cache(maxsize=1)
def code_version() -> str:
    """The hash of the pipeline's source: results made by other code are never reused."""
    return digest(*(p.read_bytes() for p in sorted(PIPELINE.rglob("*.py"))))


@lru_cache(maxsize=1)
def library_versions() -> str:
    """The installed version of every library in LIBRARIES, as one line ("absent" if one is not)."""
    return ";".join(f"{name}={_version(name)}" for name in LIBRARIES)


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def file_digest(*paths: Path) -> str:
    """Contents of the files that exist among `paths` (with their names), for keys."""
    return digest(*(part for p in paths if p.is_file() for part in (p.name, p.read_bytes())))


def folder_parts(folder: Path) -> Iterable[bytes]:
    """Every file under `folder` (but Python's bytecode caches) as its relative path and its
    contents, in a stable order: what a folder contributes to a key."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        yield str(path.relative_to(folder)).encode()
        yield path.read_bytes()
