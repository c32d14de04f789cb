"""The weight stage on the providers survey: frame, diagnostics and the sensitivity table."""

from pathlib import Path

import pytest
import yaml
from conftest import RAW

from pipeline.errors import OhmskError
from pipeline.spec.schema import Frame
from pipeline.spec.schema.checked import check_data_folder
from pipeline.spec.schema.problems import SpecProblems
from pipeline.stages.sensitivity import SensitivityRow
from pipeline.stages.weighting import margin_rows, weigh
from pipeline.stats.design import survey_design

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
    # weighting moves 'market their services' from 63.1% to 60.1%, inside 53.5-71.8%: three points
    assert (round(row.unweighted, 1), round(row.weighted, 1)) == (63.1, 60.1)
    assert (round(row.ci_low, 1), round(row.ci_high, 1)) == (53.5, 71.8)
    assert row.matters(threshold=3.0) and not row.matters(threshold=3.1) and not row.matters(threshold=5)


def _row(weighted: float, unweighted: float = 40.0, ci: tuple[float, float] = (30.5, 49.9)) -> SensitivityRow:
    return SensitivityRow("t", "a key figure", unweighted, weighted, *ci, base=100, n_eff=90.0)


@pytest.mark.parametrize(
    "weighted, threshold, matters",
    [
        (43.0, 5, False),  # 3 points, inside the interval
        (45.0, 5, True),  # reaches the threshold
        (44.9, 5, False),  # just under it
        (35.0, 5, True),  # 5 points down
        (35.1, 5, False),
        (49.9, 100, False),  # on the interval's upper end: inside
        (30.5, 100, False),  # on its lower end: inside
        (50.2, 100, True),  # above the interval: however small the threshold's reach
        (29.0, 100, True),  # below it
    ],
)
def test_a_difference_matters_when_it_reaches_the_threshold_or_leaves_the_interval(weighted, threshold, matters):
    """report.yaml: a difference "matters" when it reaches `threshold` percentage points or the
    weighted figure leaves the unweighted 95% interval."""
    assert _row(weighted).matters(threshold) is matters


def test_a_frame_category_missing_from_the_sample_is_named(computed, tmp_path: Path):
    frame = yaml.safe_load((RAW / "frames" / "providers.yaml").read_text())
    frame["margins"]["region"][13] = 5  # a region no respondent is in
    path = tmp_path / "frames" / "providers.yaml"
    with pytest.raises(OhmskError, match="region"):
        weigh(computed.datasets["providers"], CONFIG, Frame.model_validate(frame), path, survey_design(103))


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
