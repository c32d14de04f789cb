"""Schema of `survey_specs/report.yaml`: the report's structure and the house conventions."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool, model_validator

from pipeline.spec.schema.base import Count, Name, Number, Spec


class FrontSection(Spec):
    """An unnumbered section between the contents and Chapter 1."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$", description="The section's HTML id")
    title: str
    template: str = Field(description="Under templates/")


class Chapter(Spec):
    number: int = Field(ge=1)
    title: str
    running: str | None = Field(None, description="A shorter title for the running header")
    template: str = Field(description="Under templates/")
    tables: str | None = Field(None, description="The chapter's table specs, under the specs folder")
    pdf_parts_at: list[str] = Field([], description="h3/h4 ids where the PDF starts a separately rendered part")


class Conventions(Spec):
    """The house style every output follows."""

    decimals_pct: int = Field(
        0,
        ge=0,
        le=3,
        description="Decimal places of percentages in charts, tables, text and the workbook",
    )
    below_one: str = Field("<1%", min_length=1, description="Shown for a share above zero that rounds to zero")
    zero_chart: str = Field("0%", min_length=1, description="A share of exactly zero in charts and text")
    zero_table: str = Field("-", min_length=1, description="A share of exactly zero in tables and CSVs")
    min_base: Count = Field(30, description="Suppress a cell below this base (a table may override it)")
    caution_base: Count = Field(50, description="Mark a cell below this base (a table may override it)")
    significance_level: Number = Field(0.05, gt=0, lt=1)
    multiple_comparisons: Literal["none", "holm", "bh"] = "none"
    tests: Literal["auto", "design", "classical"] = Field(
        "auto",
        description="Subgroup tests: design-based t-tests, or the classical z/Fisher/Welch tests; auto takes the "
        "classical ones only for an unweighted simple random sample with no finite population correction",
    )

    @model_validator(mode="after")
    def _caution_above_suppression(self) -> Conventions:
        if self.caution_base < self.min_base:
            raise ValueError(f"caution_base ({self.caution_base}) is below min_base ({self.min_base})")
        return self


class SensitivityCell(Spec):
    table: Name
    series: str | None = None
    category: int | str
    label: str | None = None


class Sensitivity(Spec):
    threshold: Number = Field(gt=0, description="Percentage points at which a weighted difference matters")
    cells: list[SensitivityCell] = Field(min_length=1)


class Trim(Spec):
    """Bounds on the final weights, as multiples of the mean weight."""

    lower: Number | None = Field(None, gt=0, lt=1)
    upper: Number | None = Field(None, gt=1)
    strict: bool = Field(False, description="Repeat until no weight is outside the bounds")

    @model_validator(mode="after")
    def _a_bound(self) -> Trim:
        if self.lower is None and self.upper is None:
            raise ValueError("trim needs `lower`, `upper` or both")
        return self


class Weighting(Spec):
    """Whether and how one survey is weighted: rim weights (raking) to a population frame, or
    none. The methodology prints the setting and `reason`, so a reader learns per survey
    whether its figures are weighted and why."""

    use: Literal["none", "rim"] = Field(
        description="rim: applied to every table; none: the figures are "
        "unweighted (with a frame, rim weights are still computed "
        "for the diagnostics and the sensitivity table)"
    )
    reason: str = Field(
        min_length=1,
        description="Why the survey is (or is not) weighted, as the methodology prints it: change it with `use`",
    )
    frame: str | None = Field(
        None,
        description="The population frame, in the data folder (e.g. "
        "frames/providers.yaml); a survey without one cannot be weighted",
    )
    method: Literal["rake", "linear", "logit"] = Field(
        "rake",
        description="rake: iterative proportional fitting to the margins; linear: linear (GREG) calibration; "
        "logit: calibration with each weight's adjustment kept inside `bounds` (R's calibrate)",
    )
    bounds: list[Number] | None = Field(
        None,
        min_length=2,
        max_length=2,
        description="[L, U], L < 1 < U: the range of each weight's adjustment (logit needs them; linear truncates)",
    )
    cap: Number | None = Field(None, gt=1, description="Trim weights at this multiple of the mean weight (rake only)")
    trim: Trim | None = Field(
        None, description="Trim the weights after weighting, sharing the excess (R's trimWeights)"
    )
    tol: Number = Field(1e-6, gt=0)
    max_iter: int = Field(100, ge=1)
    sensitivity: Sensitivity | None = None

    @model_validator(mode="after")
    def _method_settings_agree(self) -> Weighting:
        if self.method == "logit" and self.bounds is None:
            raise ValueError("method logit needs `bounds: [L, U]` with L < 1 < U")
        if self.bounds is not None and not self.bounds[0] < 1 < self.bounds[1]:
            raise ValueError(f"bounds {self.bounds} must have L < 1 < U")
        if self.method != "rake" and self.cap is not None:
            raise ValueError(f"`cap` trims during raking; with method {self.method} use `trim` instead")
        if self.method == "rake" and self.bounds is not None:
            raise ValueError("`bounds` apply to method linear or logit; raking takes `cap` or `trim`")
        return self

    @model_validator(mode="after")
    def _weights_need_a_frame(self) -> Weighting:
        if self.frame is None:
            for key in ("cap", "trim", "sensitivity"):
                if getattr(self, key) is not None:
                    raise ValueError(
                        f"`{key}` needs weights, and weights need a `frame`: add the population "
                        f"frame, or remove `{key}`"
                    )
            if self.use != "none":
                raise ValueError(
                    f"`use: {self.use}` needs a `frame` to weight to: add the population frame "
                    f"(e.g. frame: frames/<survey>.yaml), or set `use: none`"
                )
        return self


class WaveComparison(Spec):
    """Which changes since the previous wave the report prints (changes.csv and the workbook
    hold every one)."""

    show_points: Number = Field(
        5, gt=0, description="Print a share's change of at least this many points, significant or not"
    )
    show_percent: Number = Field(
        10,
        gt=0,
        description="Print a mean's, median's or ratio's change of at least "
        "this percentage of its previous value, significant or not",
    )


class FiniteCorrection(Spec):
    apply: StrictBool
    reason: str


class Contact(Spec):
    """Who answers a reader's questions about this release."""

    name: str = Field(min_length=1, description="A team or role, e.g. 'Health and work analysis team'")
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="The address readers write to")


class Licence(Spec):
    name: str = Field(min_length=1, description="e.g. 'Open Government Licence v3.0'")
    url: str = Field(pattern=r"^https?://\S+$", description="Where the licence's terms are")


class Publication(Spec):
    """Who publishes the report, whom to ask and under what licence; the cover, the web page's
    publication details and the workbook's cover print them. The release's version and date
    belong to the data (a data folder's edition.yaml `release:`), since each wave is a release."""

    publisher: str = Field(min_length=1, description="The organisation that publishes this edition")
    contact: Contact
    licence: Licence
    copyright: str | None = Field(None, description="e.g. 'Crown copyright'; the year is the release's")


class Report(Spec):
    """report.yaml."""

    title: str
    subtitle: str
    series: str = Field(description="The series line on the cover")
    publication: Publication
    original: str = Field(description="What the cover says of the original report")
    surveys: list[Name] = Field(min_length=1, description="A linked survey after the one it links to")
    glossary: str = Field(description="Terms and abbreviations, under the specs folder")
    data_tables: str | None = Field(
        None, description="The data tables' banners, nets and bands, under the specs folder (none: no data tables)"
    )
    front: list[FrontSection] = []
    chapters: list[Chapter] = Field(min_length=1)
    conventions: Conventions = Conventions()
    weighting: dict[Name, Weighting] = {}
    fpc: dict[Name, FiniteCorrection] = {}
    waves: WaveComparison = WaveComparison()
