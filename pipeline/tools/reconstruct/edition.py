"""The edition file of a reconstructed data folder: the reconstruction declares the edition
(`survey_specs/reconstruct/edition.yaml`) beside the respondent files it generates, and `make raw`
writes it with the respondent files so that it reproduces raw/ file for file.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.spec.folders import EDITION_FILE
from pipeline.spec.objects import SPECS_DIR
from pipeline.spec.schema.data_folder import Edition
from pipeline.spec.schema.reading import read_valid


def write_edition(out_dir: Path, specs_dir: Path = SPECS_DIR) -> Path:
    """`<out_dir>/edition.yaml`: the edition the reconstruction declares for the folder it writes
    (`reconstruct/edition.yaml`, validated), with its schema line pointing at the schema from
    `out_dir`, so that `make raw` reproduces raw/ file for file."""
    source = specs_dir / "reconstruct" / EDITION_FILE
    read_valid(source, Edition)
    _, rest = source.read_text(encoding="utf-8").split("\n", 1)
    schema = os.path.relpath((specs_dir / "schemas" / "edition.schema.json").resolve(), out_dir.resolve())
    path = out_dir / EDITION_FILE
    path.write_text(f"# yaml-language-server: $schema={Path(schema).as_posix()}\n{rest}", encoding="utf-8")
    return path
