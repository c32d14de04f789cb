"""Run the data stages in order: load, clean, derive, check routing, weight, tabulate, test.

With a cache (pipeline/build/cache.py), each survey's prepared data and each table are reused when
nothing they were computed from has changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.build.cache import Store
from pipeline.build.keys import DATA_LIBRARIES, digest, file_digest, key
from pipeline.errors import OhmskError, Problem, ValidationError
from pipeline.spec.folders import wave_spec
from pipeline.spec.objects import Codebook, TableSpec
from pipeline.spec.report_spec import ReportSpec, load_report_spec
from pipeline.spec.schema.checked import DataFolder, check_data_folder, check_tool_specs
from pipeline.stages.clean import CleanData, check_routing, clean
from pipeline.stages.compare import add_letters
from pipeline.stages.derive import Dataset, derive
from pipeline.stages.load import RENAME_FILE, load
from pipeline.stages.sampling import design_of, test_method
from pipeline.stages.sensitivity import SensitivityRow, sensitivity
from pipeline.stages.tabulate import Table, tabulate
from pipeline.stages.weighting import SurveyWeights, describe, weigh
from pipeline.stats.design import SurveyDesign


def prepare(
    book: Codebook, data_dir: Path, others: dict[str, Dataset] | None = None, previous: bool = False
) -> tuple[CleanData, Dataset]:
    """Load, validate and derive one survey; raises ValidationError listing every problem.

    `others` are the surveys prepared before this one, which `link` variables may read. A
    `previous` wave is read for what it has (pipeline.stages.clean.clean).
    """
    cleaned = clean(load(book, data_dir), book, previous)
    dataset = derive(cleaned, others)
    check_routing(cleaned, dataset.frame, dataset.asked)
    return cleaned, dataset


def validate(specs_dir: Path, data_dir: Path, progress: Callable[[str], None], spec: ReportSpec | None = None) -> None:
    """Every check `make report` makes before it computes anything, and nothing else: the specs
    (and the tools' specs), the data folder's YAML, and each survey's data and routing, in
    `data_dir` and in the previous wave it names. Raises listing every problem found.

    `spec` is `specs_dir` already loaded, for callers checking many data folders."""
    spec = spec or load_report_spec(specs_dir)
    check_tool_specs(spec.checked)
    progress(
        f"specs: {len(spec.codebooks)} codebooks, {len(spec.tables)} tables, "
        f"{sum(len(p.targets) for p in spec.checked.published.values())} published targets checked"
    )
    waves = wave_spec(data_dir) if data_dir.is_dir() else None
    problems: list[Problem] = []
    for folder in [data_dir] + ([waves.previous_dir] if waves else []):
        if not folder.is_dir():
            raise OhmskError(f"{folder}: data folder not found")
        before = folder != data_dir  # the previous wave: read for what it has
        check_data_folder(spec.checked, folder, previous=before)
        datasets: dict[str, Dataset] = {}
        for name, book in spec.codebooks.items():
            if any(d.kind == "link" and d.source not in datasets for d in book.derived.values()):
                progress(f"{name}: not checked, as a survey it links to failed")
                continue
            try:
                cleaned, datasets[name] = prepare(book, folder, datasets, previous=before)
            except ValidationError as exc:
                problems += exc.problems
                continue
            warnings = sum(p.severity == "warning" for p in cleaned.log)
            progress(
                f"{folder.name}/{book.file}: {cleaned.counts['read']} respondents read, "
                f"{cleaned.counts['kept']} kept, {warnings} warning(s)"
            )
    if problems:
        raise ValidationError(problems)


@dataclass
class Results:
    """Everything the data stages produce, for rendering and the audit.

    `tables` are the report's (weighted for a survey whose report.yaml entry says `use: rim`);
    `unweighted` holds every table unweighted, the same objects where a survey is unweighted:
    the 2020 figures the audit checks and the sensitivity table's first column are unweighted.
    """

    cleaned: dict[str, CleanData]
    datasets: dict[str, Dataset]
    tables: dict[str, Table]
    weights: dict[str, SurveyWeights]
    sensitivity: dict[str, list[SensitivityRow]]
    level: float
    table_keys: dict[str, str] = field(default_factory=dict)  # what each table was computed from
    unweighted: dict[str, Table] = field(default_factory=dict)
    tests: dict[str, str] = field(default_factory=dict)  # per survey: "design" or "classical"
    designs: dict[str, str] = field(default_factory=dict)  # per survey: its design, in words


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


def _data_key(book: Codebook, data_dir: Path, linked: list[str], previous: bool = False) -> str:
    """What one survey's prepared data depend on: codebook, data file, rename map, linked
    surveys, and whether it is read as a previous wave."""
    sav = data_dir / book.file
    return key(
        "prepared data",
        repr(book),
        str(data_dir.resolve()),  # the cleaning log names the files
        file_digest(sav, sav.with_suffix(".csv"), data_dir / RENAME_FILE),
        *linked,
        *(["previous wave"] if previous else []),
        libraries=DATA_LIBRARIES,
    )


def prepared_surveys(
    spec: ReportSpec, data_dir: Path, cache: Store, previous: bool = False
) -> tuple[dict, dict, dict[str, str]]:
    """Every survey loaded, validated and derived, in report.yaml order (links read earlier ones)."""
    cleaned: dict[str, CleanData] = {}
    datasets: dict[str, Dataset] = {}
    keys: dict[str, str] = {}
    for name, book in spec.codebooks.items():
        keys[name] = _data_key(book, data_dir, list(keys.values()), previous)
        hit = cache.load(keys[name])
        if hit is None:
            hit = prepare(book, data_dir, datasets, previous)
            cache.save(keys[name], hit)
        cleaned[name], datasets[name] = hit
    return cleaned, datasets, keys


def survey_weights(
    spec: ReportSpec, data_dir: Path, datasets: dict[str, Dataset], folder: DataFolder
) -> tuple[dict[str, SurveyDesign], dict[str, SurveyWeights]]:
    """Each survey's design (its codebook's, with report.yaml's fpc), and the weights of every
    survey with a frame in the data folder `folder` (applied where report.yaml says `use: rim`)."""
    config = spec.config.get("weighting", {})
    designs = {name: design_of(ds, spec.config.get("fpc", {}).get(name)) for name, ds in datasets.items()}
    weights = {
        name: weigh(datasets[name], config[name], folder.frames[name], data_dir / config[name]["frame"], designs[name])
        for name in datasets
        if name in folder.frames
    }
    return designs, weights


def compute(spec: ReportSpec, data_dir: Path, cache: Store | None = None, previous: bool = False) -> Results:
    """Every table of the report, computed from the respondent rows in `data_dir` (read for
    what it has when it is the `previous` wave)."""
    cache = cache or Store(None)
    folder = check_data_folder(spec.checked, data_dir, previous)
    cleaned, datasets, data_keys = prepared_surveys(spec, data_dir, cache, previous)
    config = spec.config.get("weighting", {})
    designs, weights = survey_weights(spec, data_dir, datasets, folder)
    conventions = spec.config.get("conventions", {})
    level = 1 - float(conventions.get("significance_level", 0.05))
    applied = {name: w for name, w in weights.items() if w.applied}
    adjust = conventions.get("multiple_comparisons", "none")
    fractions = sampling_fractions(spec, cleaned)
    weight_keys = {name: digest(w.result.weights.to_numpy().tobytes()) for name, w in applied.items()}  # once a survey

    def table(t: TableSpec, sw: SurveyWeights | None) -> tuple[str, Table]:
        """One table, weighted by `sw` or with the design's own weights, from the cache when
        nothing it rests on changed."""
        design = sw.design if sw else designs[t.survey]
        tests = test_method(design, conventions.get("tests", "auto"))
        table_key = key(
            "table",
            repr(t),
            data_keys[t.survey],
            str(level),
            adjust,
            tests,
            repr(fractions.get(t.survey, 0.0)),
            design.description,
            weight_keys[t.survey] if sw else "",
            libraries=DATA_LIBRARIES,
        )
        found = cache.load(table_key)
        if found is None:
            found = tabulate(datasets[t.survey], t, design)
            found.fraction = fractions.get(t.survey, 0.0)
            found.tests = tests
            found = add_letters(found, level, adjust)
            cache.save(table_key, found)
        found.weighting = describe(sw, datasets[t.survey]) if sw else ""  # words, not cached: always current
        return table_key, found

    tables, unweighted, keys = {}, {}, {}
    for t in spec.tables:
        keys[t.id], tables[t.id] = table(t, applied.get(t.survey))
        unweighted[t.id] = table(t, None)[1] if t.survey in applied else tables[t.id]
    sens = {
        name: sensitivity(config[name].get("sensitivity", {}).get("cells", []), unweighted, datasets[name], w, level)
        for name, w in weights.items()
    }
    final = {name: applied[name].design if name in applied else d for name, d in designs.items()}
    tests = {name: test_method(d, conventions.get("tests", "auto")) for name, d in final.items()}
    described = {name: d.description for name, d in final.items()}
    return Results(cleaned, datasets, tables, weights, sens, level, keys, unweighted, tests, described)
