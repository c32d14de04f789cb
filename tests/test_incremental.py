"""Cached rebuilds: after one table's spec changes, only what shows it is redone, and the outputs
are exactly those of a clean build from the changed specs."""

import shutil

import pikepdf
import pytest
from conftest import RAW, ROOT

import pipeline.build.pdf_parts as pdf_parts
import pipeline.output.pdf_render as pdf
from pipeline.build.schedule import build_report
from pipeline.tools.benchmark.builds import _edit_table

pytestmark = pytest.mark.skipif(
    shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
    reason="Chromium is needed for static chart export; `make report` installs it",
)


def _outputs(root):
    return {
        p.relative_to(root): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".build-fingerprint" and ".cache" not in p.relative_to(root).parts
    }


@pytest.mark.slow  # two more builds: the rebuild and a clean one
def test_one_changed_table_rebuilds_its_part_and_matches_a_clean_build(built, tmp_path, monkeypatch):
    """The rebuild after one table's title changed renders one PDF part and prints the new
    title, and a clean build from the changed specs gives every output of the rebuild, byte for
    byte."""
    specs = tmp_path / "specs"
    shutil.copytree(ROOT / "survey_specs", specs)
    out = tmp_path / "outputs"
    shutil.copytree(built, out)  # the session's clean build, cache included, from identical specs
    _edit_table(specs, {"file": "tables/ch4.yaml", "table": "services_count"})
    rendered = []
    real = pdf_parts.render_part
    monkeypatch.setattr(pdf_parts, "render_part", lambda job: (rendered.append(job[0]), real(job)))
    stages = build_report(RAW, out, lambda m: None, specs_dir=specs, workers=1)  # one process: we see every render
    assert "data" in stages and len(rendered) == 1 and "4 Private providers" in rendered[0]
    monkeypatch.undo()
    edited = b"Number of services offered by OH providers (edited)"
    assert edited in (out / "report.html").read_bytes()
    assert edited not in (built / "report.html").read_bytes()
    clean = tmp_path / "clean"
    build_report(RAW, clean, lambda m: None, specs_dir=specs)
    incremental, fresh = _outputs(out), _outputs(clean)
    assert incremental.keys() == fresh.keys()
    assert [str(p) for p in fresh if incremental[p] != fresh[p]] == []
    assert edited in fresh[next(p for p in fresh if p.name == "report.html")]


def test_links_between_pdf_parts_point_at_named_destinations(built):
    """Parts are rendered apart, so a link to another part's figure is written as an xref: URI and
    pointed at the joined document's named destination; none is left dangling."""
    with pikepdf.open(built / "report.pdf") as doc:
        names = doc.Root.Names.Dests.Names
        dests = {bytes(names[i]).decode() for i in range(0, len(names), 2)}
        links = [a for page in doc.pages for a in page.get("/Annots", []) if a.Subtype == "/Link"]
        internal = [str(a.Dest) for a in links if "/Dest" in a]
        uris = [str(a.A.URI) for a in links if "/A" in a and "/URI" in a.A]
    assert len(internal) > 100 and set(internal) <= dests
    assert not [u for u in uris if u.startswith(pdf.XREF)]
    assert {"figure-4-1", "chapter-8", "s8-21"} <= dests


def test_split_document_keeps_the_head_and_marks_links_to_other_parts():
    document = (
        '<html><head><title>t</title></head><body class="pdf"><nav><a href="#a">A</a></nav>'
        f'{pdf.PART_BREAK}<section id="a"><a href="#b">B</a> <a href="#a">me</a></section>'
        f'{pdf.PART_BREAK}<section id="b">b</section></body></html>'
    )
    parts = pdf.split_document(document, [1, 2, 3])
    assert [p.level for p in parts] == [1, 2, 3]
    assert all(p.html.startswith('<html><head><title>t</title></head><body class="pdf">') for p in parts)
    assert all(p.html.endswith("</body></html>") for p in parts)
    assert f'href="{pdf.XREF}a"' in parts[0].html
    assert f'href="{pdf.XREF}b"' in parts[1].html and 'href="#a"' in parts[1].html
