"""The shipped raw files are exactly what the reconstruction code generates."""

import shutil
from pathlib import Path

import numpy as np
import pyreadstat
import pytest
from conftest import RAW, SURVEYS

from pipeline.spec.objects import load_codebook
from pipeline.tools.reconstruct.edition import write_edition
from pipeline.tools.reconstruct.generate import reconstruct


@pytest.mark.build  # `make raw`, one survey a case
@pytest.mark.parametrize("survey", SURVEYS)
def test_regenerated_file_is_byte_identical(survey, tmp_path: Path):
    """`make raw` writes each survey's shipped file byte for byte. A survey linked to another's
    file (the CCG leads to the CCGs they answered for) is generated from that file, as `make raw`
    does after writing it: the shipped one, which that survey's own case proves is the same."""
    book = load_codebook(survey)
    for source in {d.source for d in book.derived.values() if d.kind == "link"}:
        shutil.copy(RAW / load_codebook(source).file, tmp_path)
    path = reconstruct(survey, tmp_path)
    assert path.name == book.file
    assert path.read_bytes() == (RAW / book.file).read_bytes()


def test_regenerated_edition_file_is_the_shipped_one(tmp_path: Path):
    """`make raw` writes raw/edition.yaml too: the shipped file's text, its schema line pointing
    at the schema from the folder it is written to (for raw/, the shipped line)."""
    written = write_edition(tmp_path).read_text(encoding="utf-8")
    shipped = (RAW / "edition.yaml").read_text(encoding="utf-8")
    assert written.split("\n", 1)[1] == shipped.split("\n", 1)[1]
    for folder, text in ((tmp_path, written), (RAW, shipped)):
        first = text.split("\n", 1)[0]
        assert first.startswith("# yaml-language-server: $schema=")
        schema = (folder / first.split("$schema=", 1)[1]).resolve()
        assert schema == RAW.parent / "survey_specs" / "schemas" / "edition.schema.json" and schema.is_file()


def test_file_carries_spss_metadata():
    book = load_codebook("providers")
    frame, meta = pyreadstat.read_sav(str(RAW / "providers.sav"), user_missing=True)
    assert len(frame) == book.meta["population"]["achieved"]
    assert meta.column_names_to_labels["sla"] == book.variables["sla"].label
    assert meta.variable_value_labels["sla"][1.0] == "Every time"
    assert meta.variable_value_labels["balance"][98.0] == "Don't know"
    assert {"lo": 99998.0, "hi": 99998.0} in meta.missing_ranges["capacity"]
    assert (frame["capacity"] == 99998).sum() > 0  # user-missing codes survive as values


def test_routing_is_obeyed_in_generated_rows():
    frame, _ = pyreadstat.read_sav(str(RAW / "providers.sav"), user_missing=True)
    not_asked = frame["market"] == 2
    assert frame.loc[not_asked, "market_to_1"].isna().all()
    assert frame.loc[~not_asked, "market_to_1"].notna().all()
    offered = frame[[f"serv_{c}" for c in range(1, 16)]].sum(axis=1)
    assert np.isnan(frame.loc[offered <= 1, "serv_most"]).all()
