"""The schemas as JSON Schema files, so an editor can complete and check a spec as it is typed.

Each spec file names its schema in its first line (`# yaml-language-server: $schema=…`), which
the YAML language server (VS Code's YAML extension, and others built on it) reads.
`ohmsk schema` rewrites the files from the models; a test keeps them in step.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from pipeline.spec.schema.bench import Bench
from pipeline.spec.schema.codebook import Codebook
from pipeline.spec.schema.data_folder import Edition, Frame, Rename, Wave
from pipeline.spec.schema.data_tables import DataTables
from pipeline.spec.schema.glossary import Glossary
from pipeline.spec.schema.published import Published
from pipeline.spec.schema.reconstruct import Reconstruction
from pipeline.spec.schema.report import Report
from pipeline.spec.schema.tables import TablesFile

SCHEMAS: dict[str, tuple[type[BaseModel], str]] = {
    "report": (Report, "report.yaml: the report's structure and house conventions"),
    "codebook": (Codebook, "<survey>.yaml: a survey's questions and derived variables"),
    "tables": (TablesFile, "tables/<chapter>.yaml: a chapter's figures and tables"),
    "published": (Published, "published/<survey>.yaml: the statistics the 2020 report prints"),
    "reconstruct": (Reconstruction, "reconstruct/<survey>.yaml: how the synthetic respondents are made"),
    "data_tables": (DataTables, "data_tables.yaml: the data tables' banners, nets and bands"),
    "glossary": (Glossary, "glossary.yaml: terms and abbreviations"),
    "bench": (Bench, "bench.yaml: what make bench measures, and its budgets"),
    "edition": (Edition, "edition.yaml in a data folder: what the data are, each survey's wave and fieldwork"),
    "wave": (Wave, "wave.yaml in a data folder: this wave and the previous one"),
    "rename": (Rename, "rename.yaml in a data folder: variable names in the files"),
    "frame": (Frame, "frames/<survey>.yaml in a data folder: a population frame for weighting"),
}


def json_schema(kind: str) -> dict:
    model, title = SCHEMAS[kind]
    schema = model.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema, "title": title}


def render(kind: str) -> str:
    return json.dumps(json_schema(kind), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def write_schemas(folder: Path) -> list[Path]:
    """Every schema as `<folder>/<kind>.schema.json`; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in SCHEMAS:
        path = folder / f"{kind}.schema.json"
        path.write_text(render(kind), encoding="utf-8")
        written.append(path)
    return written
