"""Accessibility of the outputs: axe-core on the HTML in headless Chromium, PDF/UA structure."""
import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest

A11Y = Path(__file__).resolve().parent / "a11y"
AXE = A11Y / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = {"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}


def run_axe(page: Path, tmp: Path) -> list[dict]:
    """Every axe-core violation on `page` (all rules), run in headless Chromium."""
    assert AXE.exists(), "axe-core is missing: run `make setup` (npm ci --prefix tests/a11y)"
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "Chromium is missing: `make setup` installs Debian's chromium"
    shutil.copytree(page.parent / "assets", tmp / "assets")
    shutil.copy(AXE, tmp / "assets" / "axe.min.js")
    shutil.copy(A11Y / "run-axe.js", tmp / "assets" / "run-axe.js")
    text = page.read_text(encoding="utf-8").replace(
        "</body>", '<script src="assets/axe.min.js"></script><script src="assets/run-axe.js"></script></body>')
    copy = tmp / page.name
    copy.write_text(text, encoding="utf-8")
    done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                           "--virtual-time-budget=120000", "--dump-dom", copy.as_uri()],
                          capture_output=True, text=True, timeout=600)
    found = re.search(r'<pre id="axe-results">(.*?)</pre>', done.stdout, re.S)
    assert found, f"axe produced no results (chromium exit {done.returncode}): {done.stderr[-500:]}"
    result = html.unescape(found.group(1))
    assert not result.startswith("ERROR"), result
    return json.loads(result)


def _describe(violations: list[dict]) -> str:
    return "\n".join(f"{v['impact']}: {v['id']} ({v['count']}x) {v['help']}; e.g. {v['targets']}"
                     for v in violations)


@pytest.fixture(scope="module")
def axe_violations(built, tmp_path_factory) -> list[dict]:
    return run_axe(built / "report.html", tmp_path_factory.mktemp("axe"))


def test_axe_finds_no_serious_or_critical_wcag_aa_violation(axe_violations):
    bad = [v for v in axe_violations if v["impact"] in ("serious", "critical") and WCAG_AA & set(v["tags"])]
    assert not bad, _describe(bad)


def test_axe_finds_no_violation_at_all(axe_violations):
    """Best-practice rules too (heading order, empty headers, landmarks): none is left."""
    assert not axe_violations, _describe(axe_violations)


def test_axe_run_detects_violations(tmp_path):
    """The harness itself: a page with an image lacking alt text and faint text fails."""
    page = tmp_path / "site" / "bad.html"
    (page.parent / "assets").mkdir(parents=True)
    page.write_text('<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><main>'
                    '<img src="x.png"><p style="color:#ccc;background:#fff">faint</p></main></body></html>')
    found = {v["id"]: v["impact"] for v in run_axe(page, tmp_path / "run")}
    assert found.get("image-alt") == "critical" and found.get("color-contrast") == "serious"


@pytest.fixture(scope="module")
def pdf(built):
    with pikepdf.open(built / "report.pdf") as doc:
        yield doc


def _struct_elements(pdf) -> list:
    out, stack = [], [pdf.Root.StructTreeRoot]
    while stack:
        node = stack.pop()
        kids = node.get("/K")
        if kids is None:
            continue
        for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]):
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                out.append(kid)
                stack.append(kid)
    return out


def test_pdf_is_tagged_with_language_title_and_a4_pages(pdf):
    assert pdf.Root.MarkInfo.Marked is True
    assert str(pdf.Root.Lang) == "en-GB"
    assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
    with pdf.open_metadata() as meta:
        assert meta.get("dc:title", "").startswith("Understanding the provision of occupational health")
    for page in pdf.pages:
        width, height = (float(v) for v in page.MediaBox[2:])
        assert abs(width - 595.3) < 1 and abs(height - 841.9) < 1  # A4 in points


def test_pdf_structure_has_headings_tables_and_figures_with_alt_text(pdf):
    elements = _struct_elements(pdf)
    kinds = {str(e.S) for e in elements}
    assert {"/H1", "/H2", "/H3", "/Table", "/TH", "/TD", "/Figure"} <= kinds, sorted(kinds)
    figures = [e for e in elements if str(e.S) == "/Figure"]
    assert len(figures) >= 57
    assert all(str(e.get("/Alt", "")).strip() for e in figures)
