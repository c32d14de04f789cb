"""The design engine against R's survey package, on the public API samples.

Every value in tests/fixtures/api/expected.csv was computed by R survey (versions in
expected_versions.txt) with tests/fixtures/api/make_expected.R, which names the R call behind
each case; `make r-reference` regenerates it. Each case is computed here with pipeline.stats
and must agree to 4 significant figures. The data are vendored beside them (SOURCE.md), so
these tests run in every clone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.stats import estimators
from pipeline.stats.calibrate import calibrate, trim_weights
from pipeline.stats.calibration import rake
from pipeline.stats.columns import column_stats
from pipeline.stats.design import Calibration, Replicates, SurveyDesign, survey_design
from pipeline.stats.rao_scott import rao_scott
from pipeline.stats.significance import compare_design

FIXTURES = Path(__file__).parent / "fixtures" / "api"
EXPECTED = pd.read_csv(FIXTURES / "expected.csv")
CASES = sorted(EXPECTED["case"].unique())
Values = dict[str, float]


@cache
def data(name: str) -> pd.DataFrame:
    frame = pd.read_csv(FIXTURES / f"api{name}.csv")
    frame["yes"] = (frame["awards"] == "Yes").astype(float)
    return frame


def design(name: str) -> tuple[SurveyDesign, pd.DataFrame]:
    """The Python twin of each svydesign() call in make_expected.R."""
    source = {"srs": "srs", "strat": "strat", "clus1": "clus1", "clus2": "clus2", "stratclus": "strat"}
    frame = data(source[name.removesuffix("_fpc").removesuffix("_unw")])
    n, pw = len(frame), frame["pw"]
    built = {
        "srs_unw": lambda: survey_design(n),
        "srs": lambda: survey_design(n, weights=pw),
        "srs_fpc": lambda: survey_design(n, weights=pw, fpc=[frame["fpc"]]),
        "strat": lambda: survey_design(n, weights=pw, strata=frame["stype"]),
        "strat_fpc": lambda: survey_design(n, weights=pw, strata=frame["stype"], fpc=[frame["fpc"]]),
        "clus1": lambda: survey_design(n, weights=pw, clusters=[frame["dnum"]]),
        "clus1_fpc": lambda: survey_design(n, weights=pw, clusters=[frame["dnum"]], fpc=[frame["fpc"]]),
        "clus2": lambda: survey_design(n, weights=pw, clusters=[frame["dnum"], frame["snum"]]),
        "clus2_fpc": lambda: survey_design(
            n, clusters=[frame["dnum"], frame["snum"]], fpc=[frame["fpc1"], frame["fpc2"]]
        ),
        "stratclus": lambda: survey_design(n, weights=pw, strata=frame["stype"], clusters=[frame["dnum"]], nest=True),
    }
    return built[name](), frame


def calibrated(name: str) -> tuple[SurveyDesign, pd.DataFrame]:
    """The Python twin of each calibrate(), postStratify() and trimWeights() call."""
    clus, frame = design("clus1_fpc")
    ones = np.ones(len(frame))
    types = [frame["stype"] == "H", frame["stype"] == "M"]
    main = np.column_stack([ones, *types, frame["api99"]])
    main_total = np.array([6194, 755, 1018, 3914069])
    if name == "linear_strat":
        strat, frame = design("strat_fpc")
        return calibrate(
            strat, np.column_stack([np.ones(len(frame)), frame["api99"]]), np.array([6194, 3914069])
        ), frame
    made: dict[str, Callable[[], SurveyDesign]] = {
        "linear": lambda: calibrate(clus, main, main_total),
        "logit": lambda: calibrate(clus, main, main_total, "logit", (0.7, 1.7)),
        "raking": lambda: calibrate(
            clus,
            np.column_stack([ones, *types, frame["sch.wide"] == "Yes"]),
            np.array([6194, 755, 1018, 5122]),
            "raking",
        ),
        "poststratify": lambda: calibrate(
            clus, np.column_stack([frame["stype"] == s for s in "EHM"]), np.array([4421, 755, 1018])
        ),
        "rake": lambda: _raked(clus, frame),
        "trimmed": lambda: trim_weights(calibrate(clus, main, main_total), lower=20, upper=40),
        "trimmed_strict": lambda: trim_weights(
            calibrate(clus, main, main_total, "logit", (0.7, 1.7)), upper=38, strict=True
        ),
    }
    return made[name](), frame


def _raked(clus: SurveyDesign, frame: pd.DataFrame) -> SurveyDesign:
    """R's rake() to the stype and sch.wide margins, as the weighting stage rakes: iterative
    proportional fitting, with the margins' indicators as the calibration variables."""
    margins = {"stype": {"E": 4421, "H": 755, "M": 1018}, "sch.wide": {"No": 1072, "Yes": 5122}}
    raked = rake(frame, margins, weight=frame["pw"]).weights.to_numpy()
    indicators = np.column_stack([frame[var] == code for var, m in margins.items() for code in m]).astype(float)
    return clus.with_weights(raked, Calibration(indicators, clus.weights, raked), "raked")


def estimate(d: SurveyDesign, frame: pd.DataFrame, kind: str, what: str, option: str) -> Values:
    """One case's quantities: `kind` and `what` as in the case id, e.g. mean / api00."""
    if kind in ("mean", "total", "prop", "domain-mean", "domain-total"):
        domain = None
        if kind.startswith("domain-"):  # var=level, or var>number
            variable, level = option.split("=") if "=" in option else option.split(">")
            domain = (frame[variable] == level if "=" in option else frame[variable] > float(level)).to_numpy()
        y = frame["yes"] if kind == "prop" else frame[what]
        total = kind in ("total", "domain-total")
        found = (estimators.total if total else estimators.mean)(d, y, domain, na_rm=True)
        return {"estimate": found.estimate, "se": found.se, "deff": found.deff}
    if kind == "ratio":
        found = estimators.ratio(d, frame["api00"], frame["api99"])
        return {"estimate": found.estimate, "se": found.se}
    if kind == "quantile":
        found = estimators.quantile(d, frame[what], float(option))
        return {"estimate": found.estimate, "se": found.se, "ci_low": found.ci_low, "ci_high": found.ci_high}
    if kind == "ciprop":
        found = estimators.proportion(d, frame["yes"], interval=option)
        return {"estimate": found.estimate, "ci_low": found.ci_low, "ci_high": found.ci_high}
    if kind == "ttest":
        return _ttest(d, frame, what, option)
    if kind == "chisq":
        rows, columns = what.split("+")
        test = rao_scott(d, frame[rows], frame[columns], statistic=option)
        values = {"pvalue": test.pvalue, "statistic": test.statistic}
        if option == "F":
            values |= {"ndf": test.df[0], "ddf": test.df[1]}
        return values
    raise AssertionError(f"no Python twin for case kind {kind!r}")


def _ttest(d: SurveyDesign, frame: pd.DataFrame, what: str, option: str) -> Values:
    """svyttest(y ~ g): the second level minus the first, on the domains' design."""
    y, group = what.split("~")
    base = frame[y].notna().to_numpy()
    if ":" in group:  # a subset of two levels: stype:E-vs-M
        group, pair = group.split(":")
        levels = pair.split("-vs-")
        base = base & frame[group].isin(levels).to_numpy()
    else:
        levels = sorted(frame[group].dropna().unique())
    column = np.where(base, pd.Index(levels).get_indexer(frame[group]), -1)
    stats = column_stats(d, base, column, 2, frame[y].to_numpy(dtype=float)[:, None])[0]
    _, variance, df = stats.difference(1, 0)
    test = compare_design(float(stats.estimate[1]), float(stats.estimate[0]), variance, df)
    return {"statistic": test.statistic, "df": float(df), "pvalue": test.pvalue}


def compute(case: str) -> Values:
    head, kind, *rest = case.split("/")
    what, option = (rest + ["", ""])[:2]
    if head.startswith("cal-"):
        d, frame = calibrated(head.removeprefix("cal-"))
        if kind == "weights":
            w = d.weights
            return {"sum": w.sum(), "min": w.min(), "max": w.max(), "w1": w[0], "w2": w[1], "w3": w[2]}
        return estimate(d, frame, kind, "enroll" if kind == "total" else what, option)
    d, frame = jackknife() if head == "jk1" else design(head)
    return estimate(d, frame, kind, what, option)


def jackknife() -> tuple[SurveyDesign, pd.DataFrame]:
    """R's as.svrepdesign(clus1, type = "JK1"): each PSU deleted in turn, the others' weights
    scaled by n / (n - 1); variance (n - 1) / n times the spread about the replicates' mean."""
    plain, frame = design("clus1")
    psu = pd.factorize(frame["dnum"])[0]
    count = psu.max() + 1
    weights = np.where(psu[:, None] == np.arange(count), 0.0, plain.weights[:, None] * count / (count - 1))
    replicates = Replicates(weights, (count - 1) / count, np.ones(count), mse=False)
    return survey_design(len(frame), weights=frame["pw"], clusters=[frame["dnum"]], replicates=replicates), frame


def test_there_are_enough_reference_cases():
    designs = {case.split("/")[0] for case in CASES}
    assert len(CASES) >= 60 and len(EXPECTED) >= 250
    assert {"srs_unw", "srs_fpc", "strat_fpc", "clus1", "clus1_fpc", "clus2", "clus2_fpc", "stratclus"} <= designs
    assert {"cal-linear", "cal-logit", "cal-raking", "cal-trimmed", "cal-poststratify"} <= designs


@pytest.mark.parametrize("case", CASES)
def test_engine_agrees_with_r_survey(case: str):
    ours = compute(case)
    expected = EXPECTED[EXPECTED["case"] == case]
    assert len(expected), case
    for quantity, theirs in zip(expected["quantity"], expected["value"]):
        assert quantity in ours, f"{case}: no {quantity}"
        assert math.isclose(ours[quantity], theirs, rel_tol=5e-5, abs_tol=1e-9), (
            f"{case} {quantity}: ours {ours[quantity]!r}, R {theirs!r}"
        )
