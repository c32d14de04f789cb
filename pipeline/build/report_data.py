"""What the report's templates read besides the tables: the configuration and codebooks, the
coverage of each survey, the weighting margins, the edition, the appendices' listings (audit,
data quality, codebooks) and, with a previous wave declared, the changes between the waves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipeline.build.cache import Store
from pipeline.build.data import Results, compute
from pipeline.output.csv_files import write_changes, write_questions
from pipeline.present.appendices import (
    audit_groups,
    audit_lines,
    claim_lines,
    codebook_rows,
    missing_counts,
    quality_issues,
    weight_bands,
    weight_spread,
)
from pipeline.present.publication import publication_details
from pipeline.spec.folders import wave_spec
from pipeline.spec.report_spec import ReportSpec
from pipeline.spec.schema.data_folder import Edition
from pipeline.stages.audit import claims_summary, summary
from pipeline.stages.coverage import coverage
from pipeline.stages.waves import (
    changed_questions,
    changes,
    main_changes,
    matters,
    question_changed,
)
from pipeline.stages.weighting import margin_rows


def template_meta(
    spec: ReportSpec,
    results: Results,
    exhibits: dict,
    audit_rows: list,
    claim_rows: list,
    waves: dict | None,
    edition: Edition,
) -> dict:
    """What the templates read besides the tables (`meta`), the same for HTML and print."""
    return {
        "config": spec.config,
        "codebooks": spec.codebooks,
        "results": results,
        "coverage": coverage(spec.codebooks, results.cleaned),
        "margins": {name: margin_rows(results.datasets[name], sw) for name, sw in results.weights.items()},
        "edition": edition,
        "publication": publication_details(spec.config, edition),
        "glossary": spec.checked.glossary.model_dump(),
        "appendix": appendix_data(results, exhibits, audit_rows, claim_rows, edition.reproduces_published),
        "waves": waves,
    }


def appendix_data(results: Results, exhibits: dict, audit_rows: list, claim_rows: list, reproduces: bool) -> dict:
    """What the generated appendices print: the audit (or, for an edition with other data than
    the 2020 report's, the comparison with its figures), data quality and the codebooks."""
    lines = audit_lines(audit_rows, results.unweighted, exhibits)
    return {
        "audit": lines,
        "audit_groups": audit_groups(lines),
        "audit_summary": summary(audit_rows, published=True, reproduces=reproduces),
        "claims": claim_lines(claim_rows, results.unweighted, exhibits),
        "claims_summary": claims_summary(claim_rows, published=True, reproduces=reproduces),
        "quality": {
            name: {"issues": quality_issues(c), "missing": missing_counts(c)} for name, c in results.cleaned.items()
        },
        "weights": {
            name: {"spread": weight_spread(sw.result.weights), "bands": weight_bands(sw.result.weights)}
            for name, sw in results.weights.items()
        },
        "codebook": {name: codebook_rows(ds.codebook, ds) for name, ds in results.datasets.items()},
    }


def wave_data(
    spec: ReportSpec, data_dir: Path, results: Results, out_dir: Path, cache: Store, progress: Callable[[str], None]
) -> dict | None:
    """With a previous wave declared: every comparable figure's change, tested where it can be,
    the questions added, dropped, reworded or recoded, and the changes the report prints."""
    waves = wave_spec(data_dir)
    if waves is None:
        return None
    progress(f"comparing with the previous wave ({waves.previous_dir}) …")
    previous = compute(spec, waves.previous_dir, cache, previous=True)
    found = changes(results.tables, previous.tables, results.level)
    flagged = [q for book in spec.codebooks.values() for q in changed_questions(book, data_dir, waves.previous_dir)]
    write_changes(found, flagged, out_dir / "changes.csv")
    write_questions(flagged, out_dir / "questions_changed.csv")
    shown = spec.config["waves"]
    return {
        "spec": waves,
        "changes": found,
        "questions": flagged,
        "shown": [c for c in found if c.column == "total" and matters(c, shown["show_points"], shown["show_percent"])],
        "main": main_changes(found),
        "settings": shown,
        "changed_series": {c.series for c in found if question_changed(c, flagged)},
    }
