"""Write an SPSS .sav file as an agency would deliver it: labels, value labels, user-missing codes.

SPSS stamps the file header with the time of writing; we overwrite that stamp with a fixed
date so the same spec always yields byte-identical files.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat

from pipeline.spec.objects import Codebook

# Offsets of the creation date (9 bytes, "dd Mon yy") and time (8 bytes, "hh:mm:ss") in the
# fixed-size SPSS file header record.
_DATE_AT, _TIME_AT = 92, 101


def _metadata(book: Codebook) -> tuple[dict, dict, dict, dict]:
    labels: dict[str, str] = {book.id: book.variables[book.id].label}
    values: dict[str, dict[float, str]] = {}
    missing: dict[str, list[float]] = {}
    measure: dict[str, str] = {book.id: "nominal"}
    for var in book.variables.values():
        if var.type == "id":
            continue
        for code, col in zip(var.codes or [None], var.columns) if var.type == "multi" else [(None, var.name)]:
            labels[col] = f"{var.label}: {var.codes[code]}" if code is not None else var.label
            if var.type == "multi":
                values[col] = {0.0: "Not mentioned", 1.0: "Mentioned"}
            elif var.type in ("single", "scale"):
                values[col] = {float(k): v for k, v in var.labels.items()}
            elif var.missing:
                values[col] = {float(k): v for k, v in var.missing.items()}
            if var.missing:
                missing[col] = [float(k) for k in var.missing]
            measure[col] = {"numeric": "scale", "scale": "ordinal"}.get(var.type, "nominal")
    return labels, values, missing, measure


def write_sav(frame: pd.DataFrame, book: Codebook, path: Path, stamp: str = "") -> None:
    """Write `frame` with the codebook's metadata; `stamp` is 'dd Mon yy' for the header date."""
    labels, values, missing, measure = _metadata(book)
    path.parent.mkdir(parents=True, exist_ok=True)
    pyreadstat.write_sav(
        frame,
        str(path),
        file_label=book.title,
        column_labels=labels,
        variable_value_labels=values,
        missing_ranges=missing,
        variable_measure=measure,
    )
    _fix_header_stamp(path, stamp or "01 Jan 00")


def _fix_header_stamp(path: Path, date: str) -> None:
    data = bytearray(path.read_bytes())
    data[_DATE_AT : _DATE_AT + 9] = date.encode("ascii")[:9].ljust(9)
    data[_TIME_AT : _TIME_AT + 8] = b"00:00:00"
    path.write_bytes(bytes(data))
