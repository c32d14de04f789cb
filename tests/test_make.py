"""The Makefile's housekeeping targets do what `make help` says."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
def test_make_clean_removes_generated_outputs_and_keeps_the_readme(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    outputs = tmp_path / "outputs"
    for name in (
        "csv/a.csv",
        "figures/b.svg",
        "assets/report.css",
        "report.html",
        "report.pdf",
        "tables.xlsx",
        "audit.csv",
        ".build-fingerprint",
    ):
        (outputs / name).parent.mkdir(parents=True, exist_ok=True)
        (outputs / name).write_text("generated")
    (outputs / "README.md").write_text("what this folder holds")
    (tmp_path / ".pytest_cache").mkdir()
    done = subprocess.run(["make", "clean"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert [p.name for p in outputs.iterdir()] == ["README.md"]
    assert not (tmp_path / ".pytest_cache").exists()
