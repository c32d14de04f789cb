"""User-facing errors: raised for bad input, caught by the CLI and printed without a traceback."""

from __future__ import annotations

from dataclasses import dataclass


class OhmskError(Exception):
    """A problem the user can fix (bad data, bad spec, missing file)."""


class SpecError(OhmskError):
    """A survey spec (YAML) is malformed or inconsistent."""


@dataclass(frozen=True)
class Problem:
    """One validation finding, located precisely enough to fix by hand."""

    severity: str  # "error" or "warning"
    file: str
    variable: str
    respondent: str
    value: str
    rule: str

    def line(self) -> str:
        return (
            f"{self.severity.upper():7} {self.file}: variable {self.variable!r}, "
            f"respondent {self.respondent}, value {self.value}: {self.rule}"
        )


class ValidationError(OhmskError):
    """The data broke one or more codebook rules; every problem found is listed."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        shown = "\n".join(p.line() for p in errors[:200])
        more = f"\n… and {len(errors) - 200} more" if len(errors) > 200 else ""
        super().__init__(f"{len(errors)} validation error(s):\n{shown}{more}")

    def __reduce__(self) -> tuple[type[ValidationError], tuple[list[Problem]]]:
        """Rebuilt from its problems, so that it can come back from a worker process."""
        return (ValidationError, (self.problems,))
