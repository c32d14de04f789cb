"""Shared fixtures: the real specs and the shipped raw data, computed once per session."""
from __future__ import annotations

import shutil
from pathlib import Path

from pypdf import PdfReader

import pandas as pd
import pyreadstat
import pytest

from pipeline.build import compute, load_report_spec
from pipeline.reconstruct.sav import write_sav
from pipeline.report import build_report

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


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """One full build of the report from raw/, shared by every test that reads the outputs."""
    if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
        pytest.skip("Chromium is needed for static chart export; `make report` installs it")
    out = tmp_path_factory.mktemp("outputs")
    build_report(RAW, out, progress=lambda m: None)
    return out


@pytest.fixture(scope="session")
def pdf_pages(built) -> list[str]:
    """The PDF's text, page by page."""
    return [page.extract_text() for page in PdfReader(built / "report.pdf").pages]


@pytest.fixture(scope="session")
def pdf_text(pdf_pages) -> str:
    return "\n".join(pdf_pages)
