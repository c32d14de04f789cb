"""Shared fixtures: the real specs and the shipped raw data, computed once per session."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from pipeline.build import compute, load_report_spec
from pipeline.reconstruct.sav import write_sav

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "raw"


@pytest.fixture(scope="session")
def report_spec():
    return load_report_spec()


@pytest.fixture(scope="session")
def computed(report_spec):
    """Results of the data stages on the shipped data."""
    return compute(report_spec, RAW)


@pytest.fixture(scope="session")
def tables(computed):
    return computed.tables


@pytest.fixture()
def raw_copy(tmp_path: Path) -> Path:
    """A writable copy of raw/ for tests that break or change the data."""
    dest = tmp_path / "raw"
    shutil.copytree(RAW, dest)
    return dest


def read_raw(path: Path) -> pd.DataFrame:
    frame, _ = pyreadstat.read_sav(str(path), user_missing=True)
    return frame


def rewrite(path: Path, frame: pd.DataFrame, book) -> None:
    """Write a modified respondent frame back with the codebook's metadata."""
    write_sav(frame, book, path)
