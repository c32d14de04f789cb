"""Shared fixtures: the real specs and the shipped raw data, computed once per session, and the
two full builds the output tests read (the ordinary one, and one under non-default settings)."""

from __future__ import annotations

import copy
import dataclasses
import re
import shutil
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from pypdf import PdfReader

import pipeline.build.data
import pipeline.build.schedule
from pipeline.build.data import compute
from pipeline.build.schedule import build_report
from pipeline.spec.report_spec import load_report_spec
from pipeline.stages.disclosure import SUPPRESSED
from pipeline.tools.reconstruct.sav import write_sav

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


# -- the variant build ------------------------------------------------------------------------

VALUE, COUNT, SPREAD = 987654.321, 876543, 765432.1
# the sentinels however they are printed: 987654%, 987,654.3, 876543, 876,543, 765432.1 …
SENTINEL = re.compile(r"987,?654|876,?543|765,?432")


def _poisoned(tabulate, originals: dict):
    """tabulate, then every withheld cell given the sentinels (bases and flags kept); the true
    table is kept in `originals` for the audit, the one reader entitled to it."""

    def run(*args, **kwargs):
        table = tabulate(*args, **kwargs)
        originals.setdefault(table.spec.id, copy.deepcopy(table))
        hidden = table.cells["flag"] == SUPPRESSED
        table.cells.loc[hidden, "value"] = VALUE
        table.cells.loc[hidden, "n"] = COUNT
        table.cells.loc[hidden, "sd"] = SPREAD
        return table

    return run


# report.yaml conventions the variant build changes (old, new), and what its letters use
VARIANT_CONVENTIONS = [
    ("decimals_pct: 0 ", "decimals_pct: 1 "),
    ('below_one: "<1%"', 'below_one: "under 0.1%"'),
    ('zero_chart: "0%"', 'zero_chart: "none"'),
    ('zero_table: "-"', 'zero_table: "nil"'),
    ("multiple_comparisons: none ", "multiple_comparisons: holm "),
]


@pytest.fixture(scope="session")
def variant_build(tmp_path_factory) -> Path:
    """One full build under every non-default setting the output tests need at once, so the
    suite pays for one second build, not several: other house conventions and Holm-adjusted
    letters (test_conventions), a second wave and the restricted copy, and every withheld
    cell's value, count and spread replaced by sentinels before anything is rendered
    (test_disclosure). If disclosure holds, the sentinels change nothing published."""
    if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
        pytest.skip("Chromium is needed for static chart export; `make report` installs it")
    root = tmp_path_factory.mktemp("variant")
    specs, data, out = root / "specs", root / "data", root / "out"
    shutil.copytree(ROOT / "survey_specs", specs)
    text = (specs / "report.yaml").read_text()
    for old, new in VARIANT_CONVENTIONS:
        assert old in text, old
        text = text.replace(old, new)
    (specs / "report.yaml").write_text(text)
    shutil.copytree(RAW, data)
    (data / "wave.yaml").write_text(f"wave: '2026'\nprevious: {RAW}\nprevious_wave: '2018'\n")
    originals: dict = {}
    real_audit = pipeline.build.schedule.run_audit

    def audit_on_true_tables(surveys, tables, *args):
        """The audit checks every target on the true cells (it needs them: a claim on a
        withheld cell is still tested); what it publishes is checked by test_disclosure."""
        true = {tid: dataclasses.replace(originals.get(tid, t), fraction=t.fraction) for tid, t in tables.items()}
        return real_audit(surveys, true, *args)

    patch = pytest.MonkeyPatch()
    patch.setattr(pipeline.build.data, "tabulate", _poisoned(pipeline.build.data.tabulate, originals))
    patch.setattr(pipeline.build.schedule, "run_audit", audit_on_true_tables)
    try:
        pipeline.build.schedule.build_report(data, out, progress=lambda m: None, specs_dir=specs, restricted=True)
    finally:
        patch.undo()
    return out
