"""Schema of a codebook, `survey_specs/<survey>.yaml`: the questions as asked, and the
variables derived from them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from pipeline.spec.schema.base import Codes, Count, Expression, Name, Number, Spec

QuestionType = Literal["id", "single", "scale", "multi", "numeric", "text"]
DerivedKind = Literal["count", "bands", "expr", "link"]
LinkAggregate = Literal["count", "any", "all", "sum", "mean", "min", "max", "first"]


class Population(Spec):
    description: str
    size: Count | None = Field(None, description="Units in the population (for the finite population correction)")
    achieved: Count | None = None
    method: str | None = None


class ReplicateWeights(Spec):
    """Replicate weights delivered with the data, and how their spread makes a variance."""

    columns: list[Name] = Field(min_length=2, description="The replicate weight variables")
    type: Literal["JK1", "BRR", "Fay", "bootstrap", "other"] = Field(
        description="How they were made; sets the scale as R's svrepdesign does (other: give `scale`)"
    )
    scale: Number | None = Field(None, gt=0, description="Multiplier of the summed squared deviations")
    rho: Number | None = Field(None, ge=0, lt=1, description="Fay's coefficient (type Fay only)")
    mse: bool = Field(True, description="Deviations from the full-sample estimate (else from the replicates' mean)")

    @model_validator(mode="after")
    def _scale_known(self) -> ReplicateWeights:
        if self.type == "other" and self.scale is None:
            raise ValueError("replicate weights of type 'other' need a `scale`")
        if (self.type == "Fay") != (self.rho is not None):
            raise ValueError("`rho` is given for, and only for, replicate weights of type 'Fay'")
        return self


class Design(Spec):
    """How respondents were sampled, as R's svydesign is told: weights, strata, clusters, fpc."""

    weights: Name | None = Field(None, description="Variable holding the sampling weights (none: equal probability)")
    strata: Name | None = Field(None, description="Variable holding each respondent's stratum")
    clusters: list[Name] = Field([], max_length=2, description="Stage-one (PSU) then stage-two (SSU) variables")
    fpc: list[Name | Number] = Field(
        [],
        max_length=2,
        description="Per stage: a variable or a number, read as a population size when above 1 and a sampling "
        "fraction otherwise; without it (and without report.yaml's fpc) sampling is taken as with replacement",
    )
    nest: bool = Field(False, description="PSU labels repeat across strata and mean different PSUs")
    replicates: ReplicateWeights | None = None

    @model_validator(mode="after")
    def _stages_agree(self) -> Design:
        if len(self.fpc) > max(len(self.clusters), 1):
            raise ValueError(f"{len(self.fpc)} fpc entries for {max(len(self.clusters), 1)} stage(s)")
        if self.replicates is not None and (self.strata or self.clusters or self.fpc):
            raise ValueError("with replicate weights, the variance comes from them: give no strata, clusters or fpc")
        return self


class MissingCodes(Spec):
    """User-missing codes every question has unless it says otherwise."""

    categorical: Codes = {}
    numeric: Codes = {}


class Variable(Spec):
    """A question as asked: its type, answer codes, user-missing codes and routing."""

    name: Name
    label: str
    type: QuestionType
    asked: Expression = Field("all", description="Who was asked: an expression, or `all`")
    codes: Codes | None = None
    items: Codes | None = Field(None, description="A multi-code question's answer options")
    codes_from: Name | None = Field(None, description="Take the codes of this earlier multi-code question")
    missing: Codes | None = Field(None, description="User-missing codes, in place of the codebook's defaults")
    range: list[Number] | None = Field(None, min_length=2, max_length=2, description="[lowest, highest] valid answer")
    selected_in: Name | None = Field(None, description="Only items chosen at this multi-code question may be answered")
    differs_from: list[Name] = Field([], description="Questions whose answer this one must differ from")

    @model_validator(mode="after")
    def _codes_fit_the_type(self) -> Variable:
        if self.type == "multi":
            if self.codes is not None:
                raise ValueError("a multi-code question lists its options under `items`, not `codes`")
            if not self.items and not self.codes_from:
                raise ValueError("a multi-code question needs `items`")
        elif self.items is not None:
            raise ValueError(f"`items` are for multi-code questions; a {self.type} question has `codes`")
        if self.type in ("single", "scale") and not self.codes and not self.codes_from:
            raise ValueError(f"a {self.type} question needs `codes` (or `codes_from`)")
        if self.type in ("numeric", "text", "id") and (self.codes or self.codes_from):
            raise ValueError(f"a {self.type} question has no answer codes")
        if self.range is not None and self.type != "numeric":
            raise ValueError("`range` applies to numeric questions")
        return self


class Band(Spec):
    code: int
    label: str
    min: Number | None = None
    max: Number | None = None


class Derived(Spec):
    """A variable computed from the answers: a count of items chosen, bands of a number, an
    expression, or a link combining another unit's rows."""

    name: Name
    label: str
    kind: DerivedKind
    of: Name | None = Field(None, description="count: the multi-code question; bands: the number banded")
    bands: list[Band] = []
    expr: Expression | None = None
    asked: Expression | None = Field(None, description="Who the variable applies to (default: as `of`, else all)")
    codes: Codes = {}
    source: Name | None = Field(None, alias="from", description="link: the other unit's survey")
    key: Name | None = Field(None, description="link: the variable both files share")
    agg: LinkAggregate | None = Field(None, description="link: how the other unit's rows combine")
    var: Name | None = Field(None, description="link: the other unit's variable to combine (or `expr`)")

    @model_validator(mode="after")
    def _kind_has_what_it_needs(self) -> Derived:
        needs = {"count": ("of",), "bands": ("of", "bands"), "expr": ("expr",), "link": ("from", "key", "agg")}
        given = {
            "of": self.of,
            "bands": self.bands,
            "expr": self.expr,
            "from": self.source,
            "key": self.key,
            "agg": self.agg,
        }
        lacking = [key for key in needs[self.kind] if not given[key]]
        if lacking:
            raise ValueError(f"kind {self.kind!r} needs {' and '.join(repr(k) for k in lacking)}")
        if self.bands and self.kind != "bands":
            raise ValueError(f"`bands` apply to kind 'bands', not {self.kind!r}")
        return self


class Role(Spec):
    """A role a survey asks about question by question (its key suffixes each per-role
    variable), with the names prose gives it, so that no template keeps its own list."""

    one: str = Field(description="One holder, with its article, e.g. 'the occupational health physician'")
    many: str = Field(description="Holders in running prose, e.g. 'OHPs'")
    full: str | None = Field(None, description="A longer plural for lay readers (default: `many`)")


class Codebook(Spec):
    """One survey's codebook."""

    survey: Name
    title: str
    file: str = Field(description="The data file in the data folder (a .csv of the same name is also read)")
    id: Name = Field(description="The respondent identifier variable")
    unit: str = "respondent"
    population: Population | None = None
    design: Design = Field(Design(), description="The sample design (default: a simple random sample)")
    missing: MissingCodes = MissingCodes()
    variables: list[Variable] = Field(min_length=1)
    derived: list[Derived] = []
    roles: dict[Name, Role] = Field(
        {}, description="Roles asked about per role (key: the variables' suffix), in questionnaire order"
    )
