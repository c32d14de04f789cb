"""Load stage: read a survey's data file, keeping value labels and user-missing codes.

A survey is read from `<data_dir>/<codebook.file>` (SPSS .sav) or, when that is absent, from a
UTF-8, comma-separated `.csv` of the same name, as spreadsheets export. Variables named
differently from the codebook are mapped by `<data_dir>/rename.yaml`
(`<survey>: {name in file: name in codebook}`), so nobody edits the data.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyreadstat

from pipeline.errors import OhmskError
from pipeline.spec.folders import RENAME_FILE
from pipeline.spec.objects import Codebook
from pipeline.spec.schema import Rename
from pipeline.spec.schema.reading import read_valid


@dataclass(frozen=True)
class RawData:
    """The file's rows exactly as delivered, plus the metadata SPSS carried with them."""

    path: Path
    frame: pd.DataFrame
    variable_labels: dict[str, str | None]  # None for a column SPSS gave no label
    value_labels: dict[str, dict]
    missing_ranges: dict[str, list]


def load(codebook: Codebook, data_dir: Path) -> RawData:
    """Read the survey's file; user-missing codes stay as values, not NaN."""
    sav = data_dir / codebook.file
    path = sav if sav.exists() or not sav.with_suffix(".csv").exists() else sav.with_suffix(".csv")
    if not path.exists():
        raise OhmskError(
            f"{sav}: data file not found (expected by survey {codebook.survey!r}; "
            f"a UTF-8 {sav.with_suffix('.csv').name} is also accepted)"
        )
    if path.stat().st_size == 0:
        raise OhmskError(f"{path}: the file is empty (0 bytes)")
    raw = _read_csv(path) if path.suffix == ".csv" else _read_sav(path)
    if raw.frame.empty:
        raise OhmskError(f"{path}: the file has no respondents")
    return _renamed(raw, codebook.survey, data_dir)


def _read_sav(path: Path) -> RawData:
    try:
        frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    except Exception as exc:  # pyreadstat raises several unrelated types for corrupt files
        raise OhmskError(f"{path}: cannot be read as an SPSS .sav file ({exc})") from exc
    return RawData(
        path=path,
        frame=frame,
        variable_labels=dict(meta.column_names_to_labels),
        value_labels=dict(meta.variable_value_labels),
        missing_ranges={k: list(v) for k, v in (meta.missing_ranges or {}).items()},
    )


def _read_csv(path: Path) -> RawData:
    """A CSV export: UTF-8 (a BOM is fine), commas; anything else is named, not guessed."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise OhmskError(
            f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); save the file as 'CSV UTF-8'"
        ) from exc
    header = text.splitlines()[0] if text.strip() else ""
    if "," not in header:
        other = next(
            (name for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")) if sep in header), None
        )
        if other:
            raise OhmskError(
                f"{path}: columns are separated by {other}, not commas; export the file as comma-separated CSV"
            )
    try:
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        raise OhmskError(f"{path}: cannot be read as CSV ({exc})") from exc
    frame = frame.apply(_typed)
    return RawData(path=path, frame=frame, variable_labels={}, value_labels={}, missing_ranges={})


def _typed(column: pd.Series) -> pd.Series:
    """Numbers where every value is one; text is kept as text for the clean stage to name."""
    try:
        return pd.to_numeric(column)
    except (ValueError, TypeError):
        return column


def _renamed(raw: RawData, survey: str, data_dir: Path) -> RawData:
    """Apply the folder's rename file for this survey, refusing maps that lose or merge columns."""
    rename_path = data_dir / RENAME_FILE
    if not rename_path.exists():
        return raw
    spec = read_valid(rename_path, Rename)
    mapping = dict(spec.root.get(survey, {}))
    absent = [k for k in mapping if k not in raw.frame.columns]
    if absent:
        raise OhmskError(f"{rename_path}: {survey}: {', '.join(absent)} not found in {raw.path.name}")
    targets = [mapping.get(c, c) for c in raw.frame.columns]
    clash = sorted({t for t in targets if targets.count(t) > 1})
    if clash:
        raise OhmskError(f"{rename_path}: {survey}: renaming would give two columns named {', '.join(clash)}")

    def relabel(by_name: dict) -> dict:
        return {mapping.get(k, k): v for k, v in by_name.items()}

    return RawData(
        path=raw.path,
        frame=raw.frame.rename(columns=mapping),
        variable_labels=relabel(raw.variable_labels),
        value_labels=relabel(raw.value_labels),
        missing_ranges=relabel(raw.missing_ranges),
    )
