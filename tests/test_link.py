"""A survey answered at two levels: CCG rows linked to the leads who answered for them."""

from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.build.data import prepare
from pipeline.errors import SpecError
from pipeline.spec.objects import load_codebook
from pipeline.tools.reconstruct.sav import write_sav

CCGS = {
    "survey": "units",
    "title": "CCGs",
    "file": "units.sav",
    "id": "ccg_id",
    "variables": [
        {"name": "ccg_id", "label": "CCG", "type": "id"},
        {"name": "lead_id", "label": "Lead answering", "type": "numeric", "range": [1, 99]},
        {"name": "rural", "label": "Mainly rural", "type": "single", "codes": {1: "Rural", 2: "Urban"}},
        {"name": "spend", "label": "Spend", "type": "numeric", "range": [0, 100]},
    ],
}
LEADS = {
    "survey": "leads",
    "title": "Leads",
    "file": "leads.sav",
    "id": "lead_id",
    "variables": [
        {"name": "lead_id", "label": "Lead", "type": "id"},
        {"name": "priority", "label": "Priority", "type": "single", "codes": {1: "High", 2: "Low"}},
    ],
    "derived": [
        {
            "name": "n_ccgs",
            "label": "CCGs answered for",
            "kind": "link",
            "from": "units",
            "key": "lead_id",
            "agg": "count",
        },
        {
            "name": "any_rural",
            "label": "Answers for a rural CCG",
            "kind": "link",
            "from": "units",
            "key": "lead_id",
            "agg": "any",
            "expr": "rural == 1",
            "codes": {0: "No", 1: "Yes"},
        },
        {
            "name": "mean_spend",
            "label": "Mean spend of CCGs",
            "kind": "link",
            "from": "units",
            "key": "lead_id",
            "agg": "mean",
            "var": "spend",
        },
    ],
}


@pytest.fixture()
def specs(tmp_path: Path) -> Path:
    for book, rows in (
        (CCGS, {"ccg_id": [11.0, 12, 13], "lead_id": [1.0, 1, 2], "rural": [2.0, 1, 2], "spend": [10.0, 30, 50]}),
        (LEADS, {"lead_id": [1.0, 2], "priority": [1.0, 2]}),
    ):
        (tmp_path / f"{book['survey']}.yaml").write_text(yaml.safe_dump(book))
        write_sav(pd.DataFrame(rows), load_codebook(book["survey"], tmp_path), tmp_path / book["file"])
    return tmp_path


def test_lead_variables_combine_their_ccgs(specs):
    _, units = prepare(load_codebook("units", specs), specs)
    _, leads = prepare(load_codebook("leads", specs), specs, {"units": units})
    f = leads.frame
    assert f.loc["1", "n_ccgs"] == 2 and f.loc["2", "n_ccgs"] == 1
    assert f.loc["1", "any_rural"] == 1 and f.loc["2", "any_rural"] == 0
    assert f.loc["1", "mean_spend"] == pytest.approx(20.0)


def test_linking_to_a_survey_not_yet_prepared_is_a_spec_error(specs):
    with pytest.raises(SpecError, match="must be listed before"):
        prepare(load_codebook("leads", specs), specs, {})
