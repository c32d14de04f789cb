"""Build cache: results kept under the key of everything they were made from (build/keys.py).

A rebuild after a small change (one table's spec, one chart) redoes only what depends on it: each
survey's cleaned data, each table, each chart and its SVG and each PDF part is looked up by its
key, which covers its inputs, the pipeline's code and the libraries' versions. The cache lives in
`outputs/.cache/`; `make clean` removes it, so a clean build computes everything.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any


class Store:
    """A folder of cached results; each build marks what it used, and `prune` drops the rest."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.used: set[Path] = set()

    def path(self, key: str, suffix: str) -> Path:
        if self.folder is None:
            raise ValueError("this store keeps nothing on disk")
        path = self.folder / f"{key}{suffix}"
        self.used.add(path)
        return path

    def load(self, key: str) -> Any | None:
        """The object saved under `key`, or None (also when no folder is kept)."""
        if self.folder is None:
            return None
        path = self.path(key, ".pkl")
        if not path.exists():
            return None
        try:
            return pickle.loads(path.read_bytes())
        except Exception:  # an unreadable entry (e.g. left by a crash) is recomputed
            return None

    def save(self, key: str, value: Any) -> None:
        if self.folder is None:
            return
        path = self.path(key, ".pkl")
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        partial.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        partial.replace(path)

    def prune(self) -> None:
        """Delete entries this build did not use, so the cache does not grow without end."""
        if self.folder is None or not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if path.is_file() and path not in self.used:
                path.unlink()
