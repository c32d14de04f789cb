"""Shared fixtures, and the tiers the suite runs in.

Fixtures: the real specs and the shipped raw data, computed once per session (`report_spec`,
`computed`, `tables`), and the full builds the output tests read, each made once per session and
shared: `built` (the ordinary build, with `pdf_pages` and `pdf_text`: the one full build of the
default tier, made by `ohmsk report` in the background from the moment the tests are collected,
while the tests that need no build, which run first, go on) and `variant_build` (one build under
every non-default setting: slow tier; its HTML alone, `variant_html`, in the default tier). A
test that reads outputs asks for one of these rather than building its own. Per-survey tests
are parametrised over SURVEYS, the list in survey_specs/report.yaml.

Tiers, by two markers (registered in pyproject.toml, which runs pytest with --strict-markers):

  @pytest.mark.build   the test builds something, a second to a minute each: it reads a full
                       build of the report or makes one, renders the report's HTML for other
                       data, computes other data than raw/, regenerates the raw files, or runs
                       the CLI on a copy of the specs or data. You seldom write it: a test that
                       asks for a fixture in BUILD_FIXTURES (below) gets it here; mark by hand a
                       test that builds by itself. The spec battery (test_spec_errors.py) leaves
                       its first case for each kind of spec file unmarked, so `make check` reads
                       every kind. Unmarked tests use objects built in the test or the session's
                       shared data stages (`computed`, `tables`), and run in `make check`.
  @pytest.mark.slow    inherently slow: more full builds than the shared one, all 20 stress-wave
                       seeds. Where one exists, a fast version of the same test stays in the
                       default tier (a parameter without the mark: 2 stress seeds fast, all 20
                       slow; the report's HTML alone, fast, beside a full build, slow).

  make check      -m "not build and not slow"  the edit-test loop, under a minute: unit tests of
                                              stats, specs, formats, words, the claims lint …
  make test       (default: -m "not slow")     everything but the slow tier, under 3 minutes
  make test-slow  -m slow                      the slow tier alone
  make test-all   -m "slow or not slow"        every test (CI)

pyproject.toml's addopts deselect the slow tier; a later -m on the command line replaces it. They
also give -ra (every skip and xfail says why) and --doctest-modules (the docstring examples in
pipeline/, which testpaths lists beside tests/, run with the unit tests).
"""

from __future__ import annotations

import copy
import dataclasses
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
import yaml

import pipeline.build.data
import pipeline.build.report_steps
import pipeline.build.schedule
from pipeline.build.data import compute
from pipeline.build.schedule import build_report, render_html
from pipeline.output.downloads import ANNEX_PDF
from pipeline.spec.report_spec import load_report_spec
from pipeline.stages.disclosure import SUPPRESSED
from pipeline.tools.reconstruct.sav import write_sav

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "raw"
# the surveys report.yaml lists, in its order: per-survey tests are parametrised over these
SURVEYS: list[str] = yaml.safe_load((ROOT / "survey_specs" / "report.yaml").read_text(encoding="utf-8"))["surveys"]


# Fixtures that are (or need) a build: a test asking for any of them is marked `build`.
BUILD_FIXTURES = {
    "built",  # the session's full build, and what is read from its PDF
    "pdf_pages",
    "pdf_text",
    "annex_pages",  # … and from the technical annex's
    "annex_text",
    "variant_build",  # the session's second full build (slow tier)
    "variant_html",  # the report's HTML under the same settings (default tier)
    "weighted_build",  # test_weighted.py: a full build with the providers weighted (slow tier)
    "new_wave_build",  # test_waves.py: the report of a new wave with changed specs
    "new_wave",  # test_waves.py: … and that wave, whose tests run the data stages on it
    "two_wave_results",  # test_waves.py: the data stages on two waves
    "waves",  # test_stress.py: stress waves, each computed and its prose rendered
}


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config, items):
    for item in items:
        if BUILD_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.build)
    # the tests that need no build first, while the session's build runs in the background
    items.sort(key=lambda item: item.get_closest_marker("build") is not None)


def _has_chromium() -> bool:
    return shutil.which("chromium") is not None or shutil.which("chromium-browser") is not None


class _SessionBuild:
    """The session's full build (`built`), made by `ohmsk report` in a process of its own that
    starts as soon as the tests are collected, so that it runs while the tests that need no
    build do; the `built` fixture waits for it."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="ohmsk-tests-built-"))
        self.out = self.folder / "outputs"
        self.log = self.folder / "build.log"
        with open(self.log, "w", encoding="utf-8") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pipeline.cli", "report", "--out", str(self.out)],
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def result(self) -> Path:
        code = self.process.wait()
        text = self.log.read_text(encoding="utf-8", errors="replace")
        assert code == 0, f"`ohmsk report` for the session build exited {code}:\n{text[-3000:]}"
        return self.out

    def close(self) -> None:
        if self.process.poll() is None:  # the session ended first (-x, an interrupt)
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


_session_build: _SessionBuild | None = None


def pytest_collection_finish(session):
    global _session_build
    wanted = any("built" in getattr(item, "fixturenames", ()) for item in session.items)
    if wanted and _has_chromium() and not session.config.option.collectonly:
        _session_build = _SessionBuild()


def pytest_sessionfinish(session):
    if _session_build is not None:
        _session_build.close()


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
def built() -> Path:
    """One full build of the report from raw/, shared by every test that reads the outputs:
    `ohmsk report`, started in the background when the tests were collected (_SessionBuild)."""
    global _session_build
    if not _has_chromium():
        pytest.skip("Chromium is needed for static chart export; `make report` installs it")
    if _session_build is None:  # asked for by name (request.getfixturevalue), not by argument
        _session_build = _SessionBuild()
    return _session_build.result()


def _pages(pdf: Path) -> list[str]:
    """A PDF's text, page by page, in the order the page draws it: poppler's `pdftotext -raw`
    (a second; pypdf's extract_text, which gives the same words in the same order, takes twenty)."""
    done = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split("\f")[:-1]  # a form feed ends each page


@pytest.fixture(scope="session")
def pdf_pages(built) -> list[str]:
    return _pages(built / "report.pdf")


@pytest.fixture(scope="session")
def pdf_text(pdf_pages) -> str:
    return "\n".join(pdf_pages)


@pytest.fixture(scope="session")
def annex_pages(built) -> list[str]:
    """The technical annex's text, page by page (the print edition's long listings)."""
    return _pages(built / ANNEX_PDF)


@pytest.fixture(scope="session")
def annex_text(annex_pages) -> str:
    return "\n".join(annex_pages)


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
        table.cells.loc[hidden, "se"] = SPREAD  # a share could be worked out from its standard error
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


def _variant(root: Path, build) -> Path:
    """`build(data, out, specs)` under every non-default setting the output tests need at once:
    other house conventions and Holm-adjusted letters (test_conventions), a second wave, and
    every withheld cell's value, count and spread replaced by sentinels before anything is
    rendered (test_disclosure). If disclosure holds, the sentinels change nothing published."""
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
    # the full build's audit step (report_steps) and the HTML alone (schedule.render_html)
    patch.setattr(pipeline.build.report_steps, "run_audit", audit_on_true_tables)
    patch.setattr(pipeline.build.schedule, "run_audit", audit_on_true_tables)
    try:
        build(data, out, specs)
    finally:
        patch.undo()
    return out


@pytest.fixture(scope="session")
def variant_build(tmp_path_factory) -> Path:
    """One full build under the variant settings (_variant), and the restricted copy, so the
    suite pays for one second build, not several. Only the slow tier's tests read it."""
    if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
        pytest.skip("Chromium is needed for static chart export; `make report` installs it")

    def build(data, out, specs):
        build_report(data, out, progress=lambda m: None, specs_dir=specs, restricted=True)

    return _variant(tmp_path_factory.mktemp("variant"), build)


@pytest.fixture(scope="session")
def variant_html(tmp_path_factory) -> Path:
    """The report's HTML alone under the variant settings (_variant), with the claims and the
    changes CSVs beside it (render_html): the default tier's share of what the variant build
    proves, at the cost of the data stages and a Jinja render."""
    return _variant(
        tmp_path_factory.mktemp("variant-html"),
        lambda data, out, specs: render_html(load_report_spec(specs), data, out),
    )
