"""Load stage: read a survey's SPSS file, keeping value labels and user-missing codes."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyreadstat

from .errors import OhmskError
from .specs import Codebook


@dataclass(frozen=True)
class RawData:
    """The file's rows exactly as delivered, plus the metadata SPSS carried with them."""

    path: Path
    frame: pd.DataFrame
    variable_labels: dict[str, str]
    value_labels: dict[str, dict]
    missing_ranges: dict[str, list]


def load(codebook: Codebook, data_dir: Path) -> RawData:
    """Read `<data_dir>/<codebook.file>`; user-missing codes stay as values, not NaN."""
    path = data_dir / codebook.file
    if not path.exists():
        raise OhmskError(f"{path}: data file not found (expected by survey {codebook.survey!r})")
    try:
        frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    except Exception as exc:  # pyreadstat raises several unrelated types for corrupt files
        raise OhmskError(f"{path}: cannot be read as an SPSS .sav file ({exc})") from exc
    if frame.empty:
        raise OhmskError(f"{path}: the file has no respondents")
    return RawData(path=path, frame=frame, variable_labels=dict(meta.column_names_to_labels),
                   value_labels=dict(meta.variable_value_labels),
                   missing_ranges={k: list(v) for k, v in (meta.missing_ranges or {}).items()})
