"""Disclosure control holds in every file a reader can get.

Two proofs. First, the variant build (conftest.py: a second wave, so changes.csv and its
appendix are written too, and the restricted copy) in which every withheld cell's value, count
and spread are replaced by sentinel numbers before anything is rendered: if any published
file's code path read a withheld figure, the sentinel would surface in that file, in whatever
format it was printed. Second, on the ordinary build, no withheld cell can be worked out from
the cells its table does publish, and every chart leaves off exactly the bars its table withholds.
"""

from __future__ import annotations

import base64
import csv
import json
import re
import shutil
import subprocess
import zipfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from conftest import SENTINEL

from pipeline.output.downloads import ANNEX_PDF
from pipeline.stages.disclosure import RESTRICTED_DIR, SUPPRESSED
from pipeline.stages.tabulate import TOTAL

_TYPED_ARRAY = re.compile(r'\{"dtype":"([a-z0-9]+)","bdata":"([^"]*)"(?:,"shape":"[^"]*")?\}')


def _decoded(match: re.Match) -> str:
    """A plotly typed array ({"dtype", "bdata"}: base64 bytes) as the numbers it holds."""
    data = base64.b64decode(json.loads(f'"{match.group(2)}"'))  # the page escapes "/" as \\u002f
    return json.dumps(np.frombuffer(data, dtype=match.group(1)).tolist())


def _texts(out: Path) -> dict[Path, str]:
    """What a reader of each published file sees, as text: every file under `out` but the
    build cache and the restricted folder."""
    found = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out)
        if not path.is_file() or rel.parts[0] in (".cache", RESTRICTED_DIR) or path.name == "plotly.min.js":
            continue
        if path.suffix == ".pdf":  # poppler's text extraction: pypdf takes a minute over 120 pages
            found[rel] = subprocess.run(
                ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
            ).stdout
        elif path.suffix in (".xlsx", ".ods"):  # both zips of XML
            with zipfile.ZipFile(path) as z:
                found[rel] = "\n".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
        else:  # plotly writes chart data as base64 typed arrays: read them as numbers
            found[rel] = _TYPED_ARRAY.sub(_decoded, path.read_text(encoding="utf-8", errors="replace"))
    return found


@pytest.mark.build
@pytest.mark.parametrize(
    "variant, kinds, files",
    [
        pytest.param("variant_html", {".html", ".csv"}, {"report.html", "claims.csv", "changes.csv"}, id="html"),
        pytest.param(
            "variant_build",
            {".html", ".pdf", ".xlsx", ".ods", ".csv", ".svg"},
            {
                "report.html",
                "report.pdf",
                ANNEX_PDF,
                "tables.xlsx",
                "tables.ods",
                "changes.csv",
                "audit.csv",
                "claims.csv",
            },
            id="full-build",
            marks=pytest.mark.slow,
        ),
    ],
)
def test_no_published_file_holds_a_withheld_figure(request, variant, kinds, files):
    """Every file of the variant build (slow tier); in the default tier, the variant's HTML,
    claims and changes (the prose, the tables under the charts, the wave comparison)."""
    texts = _texts(request.getfixturevalue(variant))
    assert kinds <= {p.suffix for p in texts}  # every format was walked
    assert {Path(f) for f in files} <= set(texts)
    leaks = {str(p): SENTINEL.findall(t)[:3] for p, t in texts.items() if SENTINEL.search(t)}
    assert not leaks, f"withheld figures published in {leaks}"


@pytest.mark.slow  # the variant build
def test_the_restricted_copy_has_them_and_says_so(variant_build):
    restricted = variant_build / RESTRICTED_DIR
    assert "NOT FOR PUBLICATION" in (restricted / "README.txt").read_text()
    tables = "".join(p.read_text() for p in (restricted / "csv").glob("*.csv"))
    assert "987654.321000" in tables and ",876543," in tables
    assert "[c]" not in (restricted / "audit.csv").read_text().split("\n", 1)[1].replace("shown", "")
    html = (variant_build / "report.html").read_text()
    assert RESTRICTED_DIR + "/" not in html  # never linked from the publication


@pytest.mark.slow  # the variant build
def test_a_build_without_the_option_removes_the_restricted_copy(variant_build, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(variant_build / RESTRICTED_DIR, out / RESTRICTED_DIR)
    from pipeline.stages.disclosure import reset_restricted

    assert reset_restricted(out, wanted=False) is None
    assert not (out / RESTRICTED_DIR).exists()


def test_the_published_audit_withholds_what_the_tables_do(built):
    """A withheld cell's computed figure, or whether it matched the 2020 figure, would reveal
    it: the published audit shows neither (the restricted copy has both)."""
    withheld = {
        (tid, r["series"], r["category"], r["column"], r["stat"])
        for tid, rows in _published_cells(built).items()
        for r in rows
        if r["flag"] == SUPPRESSED
    }
    with open(built / "audit.csv", newline="", encoding="utf-8") as fh:
        audit = list(csv.DictReader(fh))
    hidden = [r for r in audit if r["computed"] == "[c]" or r["match"] == "not shown"]
    assert hidden and all(r["computed"] in ("[c]",) or r["computed"].startswith("not shown") for r in hidden)
    for r in audit:
        table, series, category, column, stat = (r["cell"].split("/") + [""] * 5)[:5]
        if " vs " in column or stat in ("base",):
            continue
        key = (table, series, category, column, "pct" if stat == "n" else stat)
        if key in withheld:
            assert r["computed"] == "[c]" and r["match"] == "not shown", r


def _published_cells(built: Path) -> dict[str, list[dict]]:
    cells = {}
    for path in sorted((built / "csv").glob("*.csv")):  # named after exhibits: the id is in the rows
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        cells[rows[0]["table_id"]] = rows
    return cells


def test_withheld_rows_keep_labels_base_and_flag_only(built):
    rows = [r for table in _published_cells(built).values() for r in table if r["flag"] == SUPPRESSED]
    assert rows  # the shipped data have withheld cells
    for r in rows:
        assert r["value"] == "" and r["n"] == "" and r["shown"] == "[c]" and r["significantly_higher_than"] == ""
        assert r["standard_error"] == "" and r["design_effect"] == ""  # a share follows from its SE and base
        assert r["base"].isdigit() and r["column_label"] and r["category_label"] is not None


def test_no_withheld_cell_can_be_worked_out_from_its_table(built):
    """Withholding is whole columns (every cell of a series in a column shares its base), and
    within each subgroup variable never a single column while the total is shown: the total
    minus the shown columns would give it."""
    for tid, rows in _published_cells(built).items():
        by_column = defaultdict(set)
        groups = defaultdict(dict)
        for r in rows:
            by_column[(r["series"], r["column"], r["stat"])].add(r["flag"] == SUPPRESSED)
            var = r["column"].split("=")[0]
            groups[(r["series"], r["category"], r["stat"], var)][r["column"]] = r["flag"] == SUPPRESSED
        mixed = [k for k, flags in by_column.items() if len(flags) > 1]
        assert not mixed, f"{tid}: a column partly withheld: {mixed[:3]}"
        totals = {(s, c, st): hidden[TOTAL] for (s, c, st, var), hidden in groups.items() if var == TOTAL}
        for (series, category, stat, var), hidden in groups.items():
            if var == TOTAL or totals.get((series, category, stat), True):
                continue
            assert sum(hidden.values()) != 1 or len(hidden) == 1, (
                f"{tid}: one {var} column withheld beside a shown total ({series}, {category}, {stat})"
            )


def _chart_points(html: str) -> dict[str, set[tuple[str, str]]]:
    """Each chart's drawn bars as (trace name, category) pairs, from the plotly data in the page
    (each figure's JSON, which report.js draws)."""
    points = {}
    for tid, figure in re.findall(
        r'<script type="application/json" id="chart-([^"]+)-data">(.*?)</script>', html, re.S
    ):
        pairs = set()
        for trace in json.loads(figure)["data"]:
            name = re.sub(r"<br>", " ", trace.get("name") or "")
            for y, x in zip(trace.get("y", []), trace.get("x", [])):
                if x is not None:
                    pairs.add((name, re.sub(r"<br>", " ", str(y))))
        points[tid] = pairs
    return points


def test_charts_draw_no_bar_their_table_withholds(built):
    charts = _chart_points(_TYPED_ARRAY.sub(_decoded, (built / "report.html").read_text(encoding="utf-8")))
    cells = _published_cells(built)
    assert len(charts) == 57
    checked = 0
    for tid, pairs in charts.items():
        for r in cells[tid]:
            if r["column"] != TOTAL or r["stat"] != "pct" or r["flag"] != SUPPRESSED:
                continue
            checked += 1
            drawn = {(r["series_label"], r["category_label"]), (r["category_label"], r["series_label"])}
            assert not drawn & pairs, f"{tid}: a withheld cell is drawn: {drawn & pairs}"
    assert checked  # some charts have withheld bars in the shipped data
