"""What every spec model shares: strict types, no unknown keys, and the names specs use.

Strict (pydantic's strict mode): a number where text is wanted, or text where a number is,
is an error rather than a silent conversion; "Yes" unquoted (which YAML reads as true) in a
label is caught rather than printed as "True". Unknown keys are errors, so a misspelled key is
never dropped.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

Name = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="An identifier: letters, digits and underscores, not starting with a digit",
    ),
]
Codes = dict[StrictInt, str]  # answer code -> label
Count = Annotated[int, Field(ge=0)]
Number = StrictInt | StrictFloat
Expression = Annotated[
    str,
    Field(
        description="A pandas expression over the survey's variable names, "
        "e.g. `comm_1 == 1`, `ots_extent in [2, 3]`, `capacity.notna()`, or `all`"
    ),
]


class Spec(BaseModel):
    """A mapping in a spec file: strict types, every key known."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
