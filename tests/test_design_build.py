"""A survey declared weighted, stratified and clustered goes through design-based inference
everywhere: its tables, letters, notes, claims and methodology. And the weighting methods
report.yaml offers (raking, linear and bounded logit calibration, trimming) weight a survey.

The copies here change the shipped providers survey: design variables are added to its data
and declared in its codebook, or its weighting settings are changed in report.yaml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import RAW, ROOT, read_raw, rewrite

from pipeline.build.data import compute
from pipeline.build.schedule import build_report
from pipeline.spec.report_spec import load_report_spec
from pipeline.stages.audit import run_audit
from pipeline.stages.compare import note_on_tests

DESIGN_VARIABLES = """
  - name: stratum
    label: Sampling stratum
    type: numeric
    asked: all
    range: [1, 3]
  - name: psu
    label: Primary sampling unit
    type: numeric
    asked: all
    range: [0, 1000]
  - name: wt
    label: Design weight
    type: numeric
    asked: all
    range: [0, 10]
"""


def clustered_copy(root: Path) -> tuple[Path, Path]:
    """Specs and data where providers are a stratified cluster sample with unequal weights:
    three strata, PSUs of about two providers within each, weights between 0.5 and 2."""
    specs, data = root / "specs", root / "data"
    shutil.copytree(ROOT / "survey_specs", specs)
    shutil.copytree(RAW, data)
    book_path = specs / "providers.yaml"
    text = book_path.read_text().replace("\nvariables:\n", "\ndesign:\n  weights: wt\n  strata: stratum\n"
                                         "  clusters: [psu]\nvariables:\n" + DESIGN_VARIABLES, 1)  # fmt: skip
    assert "design:" in text
    book_path.write_text(text)
    frame = read_raw(data / "providers.sav")
    order = np.arange(len(frame))
    frame["stratum"] = order % 3 + 1
    frame["psu"] = frame["stratum"] * 100 + (order // 3) // 2
    frame["wt"] = np.random.default_rng(7).uniform(0.5, 2.0, len(frame)).round(3)
    rewrite(data / "providers.sav", frame, load_report_spec(specs).codebooks["providers"])
    return specs, data


@pytest.fixture(scope="module")
def clustered(tmp_path_factory):
    specs, data = clustered_copy(tmp_path_factory.mktemp("clustered"))
    return load_report_spec(specs), data, compute(load_report_spec(specs), data)


def test_a_clustered_weighted_survey_takes_design_based_tests_throughout(clustered):
    spec, _, results = clustered
    assert results.tests["providers"] == "design"
    assert results.designs["providers"] == "stratified one-stage cluster sample"
    assert results.tests["workforce"] == "classical"  # the other surveys keep their own designs
    tables = {tid: t for tid, t in results.tables.items() if t.spec.survey == "providers"}
    with_columns = [t for t in tables.values() if t.spec.by]
    assert with_columns
    for table in tables.values():
        assert table.tests == "design" and table.design == "stratified one-stage cluster sample"
    for table in with_columns:
        assert "design-based t-test" in note_on_tests(table, 0.95) and "cluster sample" in note_on_tests(table, 0.95)
    assert any((t.cells["letters"] != "").any() for t in with_columns)  # letters are still given
    shares = [t.cells[(t.cells["stat"] == "pct") & (t.cells["base"] > 1)] for t in tables.values()]
    assert all(np.isfinite(s["se"]).all() and (s["deff"].dropna() > 0).all() for s in shares)
    _, claims = run_audit(list(spec.codebooks), results.tables, results.level)
    tested = [c for c in claims if c.claim.survey == "providers" and "p " in c.computed]
    assert tested and all("design-based t-test" in c.computed for c in tested)


def test_clustering_and_weights_change_the_standard_errors(clustered, tables):
    _, _, results = clustered
    compared = 0
    for tid, table in results.tables.items():
        if table.spec.survey == "providers":
            ours, srs = table.cells["se"].to_numpy(), tables[tid].cells["se"].to_numpy()
            finite = np.isfinite(ours) & np.isfinite(srs) & (srs > 0)
            compared += int(finite.sum())
            assert not np.allclose(ours[finite], srs[finite])
    assert compared > 100


def _weighted_copy(root: Path, settings: dict) -> tuple[Path, Path]:
    specs = root / "specs"
    shutil.copytree(ROOT / "survey_specs", specs)
    report = yaml.safe_load((specs / "report.yaml").read_text())
    entry = report["weighting"]["providers"]
    entry.pop("cap", None)
    entry.update(settings)
    (specs / "report.yaml").write_text(yaml.safe_dump(report, sort_keys=False))
    return specs, RAW


@pytest.mark.slow
@pytest.mark.parametrize(
    "settings",
    [
        {"use": "rim", "method": "linear"},
        {"use": "rim", "method": "logit", "bounds": [0.5, 8.0]},
        {"use": "rim", "method": "rake", "trim": {"upper": 1.5, "strict": True}},
    ],
)
def test_weighting_methods_meet_the_frame_and_feed_design_based_tables(tmp_path, settings):
    specs, data = _weighted_copy(tmp_path, settings)
    results = compute(load_report_spec(specs), data)
    sw = results.weights["providers"]
    w, frame = sw.result.weights.to_numpy(), results.datasets["providers"].frame
    population = sum(next(iter(sw.frame["margins"].values())).values())
    assert w.sum() == pytest.approx(population)  # the frame's margins are counts
    if "trim" in settings:
        assert w.max() <= 1.5 * w.mean() + 1e-9
    else:
        for var, margin in sw.frame["margins"].items():
            total = sum(margin.values())
            for code, target in margin.items():
                achieved = w[frame[var].to_numpy() == int(code)].sum() / w.sum()
                assert achieved == pytest.approx(target / total, abs=1e-6)
    if settings.get("method") == "logit":
        g = w / sw.design.calibration.before
        assert g.min() > 0.5 and g.max() < 8.0
    table = next(t for t in results.tables.values() if t.spec.survey == "providers" and t.spec.by)
    assert table.weighted and table.tests == "design" and sw.design.calibration is not None


@pytest.mark.slow
def test_a_clustered_weighted_copy_builds_the_whole_report(tmp_path):
    specs, data = clustered_copy(tmp_path)
    out = tmp_path / "out"
    build_report(data, out, progress=lambda m: None, specs_dir=specs)
    page = (out / "report.html").read_text()
    assert "stratified one-stage cluster sample" in page and "design-based t-test" in page
    assert (out / "report.pdf").stat().st_size > 100_000
