"""Run the data stages in order: load, clean, derive, check routing, tabulate."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .clean import CleanData, check_routing, clean
from .derive import Dataset, derive
from .load import load
from .specs import SPECS_DIR, Codebook, TableSpec, check_tables, load_codebook, load_tables, read_yaml
from .compare import add_letters
from .errors import OhmskError
from .tabulate import Table, tabulate
from .weighting import SensitivityRow, SurveyWeights, sensitivity, weigh


@dataclass
class ReportSpec:
    """report.yaml plus every table spec it names, in chapter order."""

    config: dict
    codebooks: dict[str, Codebook]
    tables: list[TableSpec]


def load_report_spec(specs_dir: Path = SPECS_DIR) -> ReportSpec:
    config = read_yaml(specs_dir / "report.yaml")
    books = {s: load_codebook(s, specs_dir) for s in config["surveys"]}
    conventions = config.get("conventions", {})
    tables = [t for ch in config["chapters"] if "tables" in ch
              for t in load_tables(specs_dir / ch["tables"], conventions)]
    check_tables(tables, books)
    return ReportSpec(config=config, codebooks=books, tables=tables)


def prepare(book: Codebook, data_dir: Path,
            others: dict[str, Dataset] | None = None) -> tuple[CleanData, Dataset]:
    """Load, validate and derive one survey; raises ValidationError listing every problem.

    `others` are the surveys prepared before this one, which `link` variables may read.
    """
    cleaned = clean(load(book, data_dir), book)
    dataset = derive(cleaned, others)
    check_routing(cleaned, dataset.frame, dataset.asked)
    return cleaned, dataset


@dataclass
class Results:
    """Everything the data stages produce, for rendering and the audit."""

    cleaned: dict[str, CleanData]
    datasets: dict[str, Dataset]
    tables: dict[str, Table]
    weights: dict[str, SurveyWeights]
    sensitivity: dict[str, list[SensitivityRow]]
    level: float


def sampling_fractions(spec: ReportSpec, cleaned: dict[str, CleanData]) -> dict[str, float]:
    """Achieved / population size for each survey whose `fpc:` entry in report.yaml applies it."""
    out = {}
    for name, entry in spec.config.get("fpc", {}).items():
        if entry.get("apply") and name in cleaned:
            size = spec.codebooks[name].meta.get("population", {}).get("size")
            if not size:
                raise OhmskError(f"report.yaml: fpc for {name!r} needs the population size in its codebook")
            out[name] = cleaned[name].counts["kept"] / float(size)
    return out


def compute(spec: ReportSpec, data_dir: Path) -> Results:
    """Every table of the report, computed from the respondent rows in `data_dir`."""
    cleaned: dict[str, CleanData] = {}
    datasets: dict[str, Dataset] = {}
    for name, book in spec.codebooks.items():
        cleaned[name], datasets[name] = prepare(book, data_dir, datasets)
    config = spec.config.get("weighting", {})
    weights = {name: weigh(datasets[name], config[name], data_dir) for name in datasets if name in config}
    level = 1 - float(spec.config.get("conventions", {}).get("significance_level", 0.05))
    applied = {name: w.result.weights for name, w in weights.items() if w.use != "none"}
    adjust = spec.config.get("conventions", {}).get("multiple_comparisons", "none")
    fractions = sampling_fractions(spec, cleaned)
    tables = {}
    for t in spec.tables:
        table = tabulate(datasets[t.survey], t, applied.get(t.survey))
        table.fraction = fractions.get(t.survey, 0.0)
        tables[t.id] = add_letters(table, level, adjust)
    sens = {name: sensitivity(config[name].get("sensitivity", {}).get("cells", []), tables,
                              datasets[name], w.result.weights, level)
            for name, w in weights.items()}
    return Results(cleaned, datasets, tables, weights, sens, level)
