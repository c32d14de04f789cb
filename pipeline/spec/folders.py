"""A data folder's own files beside the respondent data: its edition, its wave and the previous
wave it names, and variables renamed; with the project's folders (specs, templates).

Read before anything heavy is imported, so that `make report` with nothing changed returns at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import OhmskError

if TYPE_CHECKING:  # imported only when read, below: the up-to-date check imports nothing heavy
    from pipeline.spec.schema.data_folder import Edition

ROOT = Path(__file__).resolve().parents[2]
SPECS_DIR = ROOT / "survey_specs"
EDITION_FILE = "edition.yaml"  # in a data folder: what the data are, each survey's wave and fieldwork
WAVE_FILE = "wave.yaml"  # in a data folder: which wave it is, and where the previous one is
RENAME_FILE = "rename.yaml"  # in a data folder: variables named differently from the codebook


@dataclass(frozen=True)
class WaveSpec:
    """Two waves compared: this folder's wave and the previous one's, with each survey's label
    in both (from the folders' edition.yaml; the previous folder may have none)."""

    wave: str
    previous_wave: str
    previous_dir: Path
    labels: dict[str, str] = field(default_factory=dict)  # survey -> this wave's label
    previous_labels: dict[str, str] = field(default_factory=dict)  # survey -> the previous wave's label

    def label(self, survey: str) -> str:
        return self.labels.get(survey, self.wave)

    def previous_label(self, survey: str) -> str:
        return self.previous_labels.get(survey, self.previous_wave)


def read_edition(data_dir: Path) -> Edition:
    """The folder's edition.yaml, validated (pipeline.spec.schema.data_folder.Edition); an error
    saying what to write when it is missing (`check_data_folder` says it with an example)."""
    from pipeline.spec.schema.data_folder import Edition  # only now: the up-to-date check imports nothing heavy
    from pipeline.spec.schema.reading import read_valid

    path = data_dir / EDITION_FILE
    if not path.is_file():
        raise OhmskError(
            f"{path}: not found; every data folder declares its edition in {EDITION_FILE} "
            f"(run `ohmsk validate --data {data_dir}` for an example)"
        )
    return read_valid(path, Edition)


def wave_spec(data_dir: Path) -> WaveSpec | None:
    """The folder's wave declaration, or None for a single-wave build."""
    path = data_dir / WAVE_FILE
    if not path.exists():
        return None
    from pipeline.spec.schema.data_folder import Wave  # only now: the up-to-date check imports nothing heavy
    from pipeline.spec.schema.reading import read_valid

    spec = read_valid(path, Wave)
    previous = (data_dir / spec.previous).resolve()
    if not previous.is_dir():
        raise OhmskError(f"{path}: previous wave folder {previous} not found")
    labels = _wave_labels(data_dir)
    before = _wave_labels(previous)
    return WaveSpec(spec.wave, spec.previous_wave or previous.name, previous, labels, before)


def _wave_labels(data_dir: Path) -> dict[str, str]:
    """Each survey's wave label from the folder's edition.yaml; none when it has no such file."""
    if not (data_dir / EDITION_FILE).is_file():
        return {}
    return {name: s.wave for name, s in read_edition(data_dir).surveys.items()}
