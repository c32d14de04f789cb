"""The weight stage on the providers survey: frame, diagnostics and the sensitivity table."""

from pathlib import Path

import pytest
import yaml
from conftest import RAW

from pipeline.errors import OhmskError
from pipeline.spec.schema import Frame
from pipeline.spec.schema.checked import check_data_folder
from pipeline.spec.schema.problems import SpecProblems
from pipeline.stages.weighting import margin_rows, weigh

CONFIG = {"frame": "frames/providers.yaml", "cap": 5, "use": "none"}


def test_rim_weights_hit_the_frame_margins(computed):
    sw = computed.weights["providers"]
    d = sw.result.diagnostics
    assert d.converged and d.n == 103
    assert sw.result.weights.sum() == pytest.approx(sw.frame["population"])
    assert 0 < d.efficiency <= 100 and d.n_eff <= d.n
    for row in margin_rows(computed.datasets["providers"], sw):
        assert row.weighted_pct == pytest.approx(row.frame_pct, abs=1e-3)


def test_sensitivity_compares_every_declared_cell(computed, report_spec):
    cells = report_spec.config["weighting"]["providers"]["sensitivity"]["cells"]
    rows = computed.sensitivity["providers"]
    assert [r.label for r in rows] == [c["label"] for c in cells]
    plain = computed.tables["marketing_any"].cell("market", 1)
    row = next(r for r in rows if r.table == "marketing_any")
    assert row.unweighted == pytest.approx(plain["value"])
    assert row.ci_low < row.unweighted < row.ci_high
    outside = not (row.ci_low <= row.weighted <= row.ci_high)
    assert row.matters(threshold=100.0) == outside
    assert row.matters(threshold=abs(row.difference)) is True


def test_a_frame_category_missing_from_the_sample_is_named(computed, tmp_path: Path):
    frame = yaml.safe_load((RAW / "frames" / "providers.yaml").read_text())
    frame["margins"]["region"][13] = 5  # a region no respondent is in
    path = tmp_path / "frames" / "providers.yaml"
    with pytest.raises(OhmskError, match="region"):
        weigh(computed.datasets["providers"], CONFIG, Frame.model_validate(frame), path)


def test_a_frame_code_the_codebook_lacks_is_named_before_anything_runs(report_spec, tmp_path: Path):
    frame = yaml.safe_load((RAW / "frames" / "providers.yaml").read_text())
    frame["margins"]["region"][13] = 5
    (tmp_path / "frames").mkdir()
    (tmp_path / "frames" / "providers.yaml").write_text(yaml.safe_dump(frame))
    with pytest.raises(SpecProblems, match=r"providers.yaml:\d+: margins > region > 13: 13 is not a code of 'region'"):
        check_data_folder(report_spec.checked, tmp_path)


def test_a_missing_frame_is_reported(report_spec, tmp_path: Path):
    with pytest.raises(SpecProblems, match="population frame for weighting survey 'providers' not found"):
        check_data_folder(report_spec.checked, tmp_path)
