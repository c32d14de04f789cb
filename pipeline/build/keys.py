"""One hashing scheme for every cache key and for the build's fingerprint.

A key digests the step that made a result, the inputs the step declares, the code that runs it
and the versions of the libraries (and Debian packages) that shape what it makes. So a result
made by other code, or under another pandas, WeasyPrint or Pango, is never reused. Most steps
count the whole pipeline's code; a step whose inputs are whole documents (a PDF part's HTML, a
chart's figure) counts only the modules that render them, since the documents already carry
whatever the rest of the pipeline contributed. Nothing here imports those libraries (their
versions are read from their installed metadata and dpkg's status file), so the up-to-date
check that runs before any heavy import can use it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import re
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from pathlib import Path

PIPELINE = Path(__file__).resolve().parents[1]
# the libraries whose version can change a byte of the outputs (all pinned in requirements.lock)
DATA_LIBRARIES = ("numpy", "pandas", "pyreadstat", "scipy", "statsmodels", "pydantic", "pydantic-core", "pyyaml")
CHART_LIBRARIES = ("plotly", "lxml")
DOCUMENT_LIBRARIES = ("jinja2", "markupsafe", "gptables", "xlsxwriter", "odfpy")
PDF_LIBRARIES = (
    "weasyprint",
    "pydyf",
    "fonttools",
    "tinycss2",
    "cssselect2",
    "tinyhtml5",
    "pyphen",
    "pillow",
    "pikepdf",
)
LIBRARIES = DATA_LIBRARIES + CHART_LIBRARIES + DOCUMENT_LIBRARIES + PDF_LIBRARIES
# the Debian packages that lay out, shape and draw text (the PDF, the charts' SVG)
SYSTEM_PACKAGES = (
    "chromium",
    "libpango-1.0-0",
    "libpangoft2-1.0-0",
    "libharfbuzz0b",
    "libfontconfig1",
    "fonts-liberation",
    "fonts-dejavu-core",
)
DPKG_STATUS = Path("/var/lib/dpkg/status")
WHOLE_PIPELINE = ("",)


def digest(*parts: bytes | str) -> str:
    """A short, stable hash of `parts` (each length-prefixed, so boundaries count)."""
    return digest_of(parts)


def digest_of(parts: Iterable[bytes | str]) -> str:
    """`digest` of parts given one at a time (a folder's files are hashed without all being
    held in memory at once)."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()[:32]


def key(
    step: str, *inputs: bytes | str, code: Sequence[str] = WHOLE_PIPELINE, libraries: Sequence[str] = LIBRARIES
) -> str:
    """The cache key of what `step` makes from `inputs`, run by `code` (paths under pipeline/:
    modules or packages; the whole pipeline unless given) under `libraries` (and the system's
    text and drawing packages)."""
    return digest(step, code_version(tuple(code)), library_versions(tuple(libraries)), system_versions(), *inputs)


@cache
def code_version(code: tuple[str, ...] = WHOLE_PIPELINE) -> str:
    """The hash of the source under `code` (with each file's path): results made by other code
    are never reused."""
    files = sorted({p for c in code for p in _sources(PIPELINE / c)})
    return digest_of(part for p in files for part in (str(p.relative_to(PIPELINE)), p.read_bytes()))


def _sources(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise ValueError(f"cache key: {path} is neither a module nor a package of the pipeline")
    return list(path.rglob("*.py"))


@cache
def library_versions(libraries: tuple[str, ...] = LIBRARIES) -> str:
    """The installed version of each library, as one line ("absent" if one is not)."""
    return ";".join(f"{name}={_version(name)}" for name in libraries)


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


@lru_cache(maxsize=1)
def system_versions() -> str:
    """The installed version of each of SYSTEM_PACKAGES as dpkg records it, and the Chromium
    named by $BROWSER_PATH (which need not be Debian's); empty where there is no dpkg."""
    installed = _dpkg_versions(DPKG_STATUS.read_text(errors="replace")) if DPKG_STATUS.is_file() else {}
    listed = ";".join(f"{name}={installed.get(name, 'absent')}" for name in SYSTEM_PACKAGES)
    return f"{listed};browser={os.environ.get('BROWSER_PATH', '')}"


def _dpkg_versions(status: str) -> dict[str, str]:
    """Package -> version of the packages dpkg's status file says are installed."""
    found = {}
    for entry in status.split("\n\n"):
        name = re.search(r"^Package: (.+)$", entry, re.M)
        version = re.search(r"^Version: (.+)$", entry, re.M)
        if name and version and re.search(r"^Status: .* installed$", entry, re.M):
            found[name.group(1).strip()] = version.group(1).strip()
    return found


def file_digest(*paths: Path) -> str:
    """Contents of the files that exist among `paths` (with their names), for keys."""
    return digest(*(part for p in paths if p.is_file() for part in (p.name, p.read_bytes())))


def folder_parts(folder: Path) -> Iterable[bytes]:
    """Every file under `folder` (but Python's bytecode caches) as its relative path and its
    contents, in a stable order: what a folder contributes to a key."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        yield str(path.relative_to(folder)).encode()
        yield path.read_bytes()
