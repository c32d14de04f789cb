"""Tabulation on a tiny hand-made survey whose answers can be counted by eye."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline.build.data import prepare
from pipeline.spec.objects import load_codebook, load_tables
from pipeline.stages.tabulate import tabulate
from pipeline.tools.reconstruct.sav import write_sav

CODEBOOK = {
    "survey": "tiny",
    "title": "Tiny survey",
    "file": "tiny.sav",
    "id": "rid",
    "missing": {"categorical": {98: "Don't know"}, "numeric": {99998: "Don't know"}},
    "variables": [
        {"name": "rid", "label": "Respondent", "type": "id"},
        {"name": "size", "label": "Size", "type": "single", "codes": {1: "Small", 2: "Large"}},
        {"name": "likes", "label": "Likes", "type": "multi", "items": {1: "Tea", 2: "Coffee", 3: "Juice"}},
        {
            "name": "fav",
            "label": "Favourite",
            "type": "single",
            "asked": "likes_1 == 1",
            "codes": {1: "Green", 2: "Black"},
        },
        {"name": "cups", "label": "Cups a day", "type": "numeric", "range": [0, 20]},
    ],
    "derived": [
        {"name": "n_likes", "label": "Number liked", "kind": "count", "of": "likes"},
        {
            "name": "cups_band",
            "label": "Cups (banded)",
            "kind": "bands",
            "of": "cups",
            "bands": [{"code": 1, "label": "0-2", "max": 2}, {"code": 2, "label": "3+", "min": 3}],
        },
    ],
}
ROWS = pd.DataFrame(
    {
        "rid": [1.0, 2, 3, 4, 5],
        "size": [1.0, 1, 2, 2, 2],
        "likes_1": [1.0, 1, 0, 1, 0],
        "likes_2": [0.0, 1, 1, 1, 0],
        "likes_3": [0.0, 0, 0, 1, 1],
        "fav": [1.0, 98, np.nan, 2, np.nan],
        "cups": [1.0, 4, 99998, 2, 6],
    }
)
TABLES = {
    "chapter": 1,
    "survey": "tiny",
    "tables": [
        {
            "id": "likes",
            "kind": "figure",
            "title": "Likes",
            "chart": "bar",
            "by": ["size"],
            "series": [{"var": "likes", "base": "All", "nets": [{"label": "Hot drink", "codes": [1, 2]}]}],
        },
        {
            "id": "fav",
            "kind": "text",
            "title": "Favourite",
            "series": [{"var": "fav", "base": "Tea drinkers", "nets": [{"label": "Any", "codes": [1, 2]}]}],
        },
        {
            "id": "bands",
            "kind": "table",
            "title": "Bands by series",
            "layout": "series_rows",
            "min_base": 1,
            "caution_base": 1,
            "series": [
                {"var": "cups_band", "base": "All", "label": "Cups", "nets": [{"label": "Any", "codes": [1, 2]}]}
            ],
        },
        {
            "id": "grid",
            "kind": "table",
            "title": "Grid",
            "layout": "grid",
            "min_base": 1,
            "caution_base": 1,
            "series": [
                {"var": "cups", "key": "m", "stats": ["mean"], "base": "All", "row": "Cups", "col": "Mean"},
                {"var": "cups", "key": "md", "stats": ["median"], "base": "All", "row": "Cups", "col": "Median"},
            ],
        },
        {
            "id": "cups",
            "kind": "text",
            "title": "Cups",
            "series": [
                {"var": "cups", "stats": ["mean", "median"], "base": "Answering"},
                {"var": "cups_band", "base": "All"},
            ],
        },
    ],
}


@pytest.fixture()
def tiny(tmp_path: Path):
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(CODEBOOK))
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(TABLES))
    book = load_codebook("tiny", tmp_path)
    write_sav(ROWS, book, tmp_path / "tiny.sav")
    _, ds = prepare(book, tmp_path)
    return {t.id: tabulate(ds, t) for t in load_tables(tmp_path / "t.yaml")}


def test_multi_code_items_nets_and_subgroups(tiny):
    t = tiny["likes"]
    assert t.cell(category=2)["n"] == 3 and t.cell(category=2)["base"] == 5
    assert t.cell(category=2)["value"] == pytest.approx(60.0)
    assert t.cell(category="Hot drink")["n"] == 4  # respondent 5 likes juice only
    assert t.cell(category=1, column="size=1")["value"] == pytest.approx(100.0)
    assert t.cell(category=1, column="size=2")["n"] == 1
    assert t.cell(category=1, column="size=2")["base"] == 3


def test_routing_sets_the_base_and_dont_know_is_a_category(tiny):
    t = tiny["fav"]
    assert t.cell(category=1)["base"] == 3  # only tea drinkers were asked
    assert t.cell(category=98)["n"] == 1
    assert t.cell(category="Any")["value"] == pytest.approx(200 / 3)


def test_numeric_stats_exclude_missing_codes_and_bands_keep_them(tiny):
    t = tiny["cups"]
    assert t.cell("cups", stat="mean")["value"] == pytest.approx((1 + 4 + 2 + 6) / 4)
    assert t.cell("cups", stat="median")["value"] == pytest.approx(3.0)
    assert t.cell("cups", stat="mean")["base"] == 4
    assert t.cell("cups_band", 99998)["n"] == 1
    assert t.cell("cups_band", 2)["n"] == 2


def test_series_rows_and_grid_layouts(tiny):
    from pipeline.present.layouts import data_rows

    rows = data_rows(tiny["bands"])
    assert rows["header"] == ["Any", "0-2", "3+", "Don't know", "Base (n)"]
    assert rows["body"] == [["Cups", "80%", "40%", "40%", "20%", 5]]
    grid = data_rows(tiny["grid"])
    assert grid["header"] == ["Mean", "Median", "Base (n)"]
    assert grid["body"] == [["Cups", "3.3", "3.0", 4]]


def test_secondary_suppression_hides_the_sibling_of_a_lone_suppressed_column(tables):
    """NHS providers' column is under the minimum base; the private column would reveal it
    (total minus private), so it is suppressed as well, and no other column is."""
    cells = tables["training_posts_available"].cells
    bases = cells.groupby("column")["base"].first()
    assert bases["sector=2"] < 30 <= bases["sector=1"]
    flags = cells.groupby("column")["flag"].agg(set)
    assert flags["sector=2"] == flags["sector=1"] == {"suppressed"}
    assert "suppressed" not in flags["total"]


def test_no_suppressed_cell_can_be_worked_out_from_its_table(tables):
    """In every table, a `by` variable has either no suppressed column or at least two."""
    for tid, table in tables.items():
        c = table.cells[table.cells["column"] != "total"]
        var = c["column"].str.split("=").str[0]
        for (series, _), part in c.groupby([c["series"], var]):
            hidden = part[part["flag"] == "suppressed"]["column"].nunique()
            assert hidden != 1 or part["column"].nunique() == 1, (tid, series)
