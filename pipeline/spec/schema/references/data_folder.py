"""A data folder's references: its rename map names the report's surveys and their variables, and
each population frame is the survey's and rakes to codes it has.
"""

from __future__ import annotations

from pipeline.spec.schema.data_folder import Frame, Rename
from pipeline.spec.schema.problems import Findings, suggest
from pipeline.spec.schema.references.names import Survey, check_margins
from pipeline.spec.schema.source import Source


def check_rename(source: Source, spec: Rename, surveys: dict[str, Survey], findings: list) -> None:
    """Each survey named is one of the report's; each new name a codebook variable, given once."""
    f = Findings(source, findings)
    for survey, mapping in spec.root.items():
        known = surveys.get(survey)
        if known is None:
            f.add((survey,), f"unknown survey {survey!r}{suggest(survey, surveys)}")
            continue
        columns = [*known.names, *(c for cols in known.groups.values() for c in cols)]
        for old, new in mapping.items():
            if new not in columns and new != known.book.id:
                f.add((survey, old), f"{new!r} is not a variable of {survey!r}{suggest(new, columns)}")
        targets = list(mapping.values())
        for old, new in mapping.items():
            if targets.count(new) > 1:
                f.add((survey, old), f"two columns would be renamed {new!r}")


def check_frame(source: Source, frame: Frame, survey: Survey, findings: list) -> None:
    f = Findings(source, findings)
    if frame.survey != survey.book.survey:
        f.add(("survey",), f"this frame is for {frame.survey!r}, but report.yaml weights {survey.book.survey!r} to it")
    check_margins(f, ("margins",), frame.margins, survey)
