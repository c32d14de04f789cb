"""Checked claims (pipeline/present/claims.py): the mechanism, claims.csv, and the lint that keeps every
statement about the data in the templates either worded by a helper or checked by the build."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest

from pipeline.errors import SpecError
from pipeline.present.claims import ClaimExtension, ClaimFailed, ClaimLog, Fact

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"

# Words that say something about the data: quantifiers, directions, rankings and the
# characterisations the report uses. Outside a claim or a helper's output, any of them is a
# statement the build has not checked.
CLAIM_WORDS = re.compile(
    r"\b("
    + "|".join(
        [
            # quantifiers
            r"all",
            r"almost",
            r"nearly",
            r"most(ly)?",
            r"majority",
            r"minority",
            r"many",
            r"few(er|est)?",
            r"half",
            r"thirds?",
            r"quarters?",
            r"none",
            r"only",
            r"rare(ly|r)?",
            r"common(ly|est)?",
            r"usual(ly)?",
            r"typical(ly)?",
            r"often",
            r"main(ly)?",
            r"largely",
            r"widely",
            r"general(ly)?",
            r"frequent(ly)?",
            r"seldom",
            r"every",
            r"each",
            r"no one",
            r"nobody",
            # directions and comparisons
            r"more",
            r"less",
            r"higher",
            r"lower",
            r"larger",
            r"smaller",
            r"greater",
            r"likel(y|ier)",
            r"unlikely",
            r"increas(e|ed|ing)",
            r"decreas(e|ed|ing)",
            r"rose",
            r"fell",
            r"grew",
            r"exceed(s|ed)?",
            r"outnumber(s|ed)?",
            r"over-represented",
            r"under-represented",
            r"similar(ly)?",
            r"same",
            # rankings
            r"first",
            r"second",
            r"top",
            r"leading",
            r"least",
            r"primary",
            r"chief",
            r"biggest",
            r"largest",
            r"smallest",
            r"highest",
            r"lowest",
            # characterisations
            r"small-scale",
            r"spare",
            r"shortages?",
            r"broad",
            r"heavily",
            r"strongly",
            r"little",
            r"significant(ly)?",
            r"stand(s)? out",
        ]
    )
    + r")\b",
    re.IGNORECASE,
)


def _spaced(pattern: str) -> str:
    """A pattern whose spaces match any run of whitespace, so a phrase broken across template
    lines still matches."""
    return pattern.replace(" ", r"\s+")


# Wording that defines a category or a question rather than claiming anything of the data
# ("ten or more", "fewer than 200", "at least some of the time", "more than one service").
DEFINITIONS = re.compile(
    _spaced(
        r"\b(?:(?:more|fewer|less|greater) than (?:\d[\d,]*|one|two|three|four|five|ten|a quarter|half)"
        r"|or (?:more|fewer)|at least|first (?:time|instance)|the same (?:question|way|survey)"
        r"|each (?:survey|question|respondent|chart|table|figure|exhibit|section|chapter|case)"
        r"|all (?:or most|the|of the)\b(?= (?:survey|question|chapter|figure|table|section|case studies))"
        r"|most or all|all or most|none of them|in all or most cases)\b"
    ),
    re.IGNORECASE,
)

# A ranking word just before R.leaders(...) (which names every category tied for the lead) is
# made true by the helper: "clients most often commission {{ R.leaders(...) }}".
_LED = re.compile(
    r"\b(?:most(?:\s+often|\s+common(?:ly)?)?|commonest|top)\b(?=(?:\s+[\w'-]+){0,6}?\s*\{\{\s*R\.leaders\()",
    re.IGNORECASE,
)

_COMMENTS = re.compile(r"\{#.*?#\}", re.S)
_NESTED = re.compile(r"\{%-?\s*(end)?(claim|qualitative)\b.*?%\}", re.S)


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]


def _without_checked_blocks(text: str) -> str:
    """Blank every claim and qualitative block, outermost first (blocks nest)."""
    depth, opened = 0, 0
    spans = []
    for m in _NESTED.finditer(text):
        if not m.group(1):
            depth, opened = depth + 1, (m.start() if depth == 0 else opened)
        elif depth:
            depth -= 1
            if depth == 0:
                spans.append((opened, m.end()))
    for start, end in reversed(spans):
        text = _blank(text, start, end)
    return text


_BLOCKS = [
    re.compile(r"\{\{.*?\}\}", re.S),  # helper output
    re.compile(r"\{%.*?%\}", re.S),  # other tags
    re.compile(r"<[^>]+>"),  # markup
]


# A template may list, in a comment, wording of its own that defines a category or question:
# {# definitions: fewer than four services; more than one package #}
_OWN_DEFINITIONS = re.compile(r"\{#-?\s*definitions:(.*?)-?#\}", re.S)


def unchecked_words(source: str) -> list[tuple[int, str, str]]:
    """(line, word, context) for each claim word left in a template's literal prose."""
    own = [p.strip() for m in _OWN_DEFINITIONS.finditer(source) for p in m.group(1).split(";") if p.strip()]
    text = _LED.sub(lambda m: " " * len(m.group(0)), source)
    text = _COMMENTS.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    text = _without_checked_blocks(text)
    for block in _BLOCKS:  # blank each region out, keeping line numbers
        text = block.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    text = DEFINITIONS.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    for phrase in own:
        words = r"\s+".join(map(re.escape, phrase.split()))
        text = re.sub(rf"(?<!\w){words}(?!\w)", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.I)
    found = []
    for m in CLAIM_WORDS.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        found.append((line, m.group(0), " ".join(text[max(0, m.start() - 40) : m.end() + 40].split())))
    return found


# Templates whose text holds no statement about the survey data at all.
NOT_ABOUT_DATA = {
    "report.html.j2",
    "front/glossary.html.j2",
    "partials/data_table.html.j2",
    "partials/downloads.html.j2",
    "partials/exhibit_downloads.html.j2",
    "partials/figure.html.j2",
    "partials/table.html.j2",
    "print/page_numbers.html.j2",
}


def _templates() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*.j2") if str(p.relative_to(TEMPLATES)) not in NOT_ABOUT_DATA)


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_unchecked_claim_words(path: Path) -> None:
    """Every quantifier, direction or ranking in a template is inside a checked claim, a
    helper's output, or a passage marked as not about the survey data."""
    found = unchecked_words(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(ROOT)}: {len(found)} unchecked claim word(s):\n" + "\n".join(
        f"  line {line}: {word!r} in \u2026{context}\u2026" for line, word, context in found[:40]
    )


# -- the mechanism ------------------------------------------------------------------------------


class _Context:
    """What a claim block needs of the template context: R with a claim log."""

    def __init__(self, draft: bool = False):
        self.claims = ClaimLog(draft)


def _render(source: str, draft: bool = False, **values) -> tuple[str, ClaimLog]:
    env = jinja2.Environment(
        loader=jinja2.DictLoader({"t.j2": source}), extensions=[ClaimExtension], undefined=jinja2.StrictUndefined
    )
    R = _Context(draft)
    return env.get_template("t.j2").render(R=R, **values), R.claims


CLAIM = "{% claim share > 50 %}Most do.{% otherwise %}Fewer than half do.{% endclaim %}"


def test_a_claim_that_holds_is_printed_and_recorded() -> None:
    text, log = _render(CLAIM, share=Fact(62.5, "t: yes"))
    assert text == "Most do."
    [claim] = log.claims
    assert (claim.holds, claim.wording, claim.condition) == (True, "as written", "share > 50")
    assert claim.evaluated == "t: yes = 62.5 > 50" and claim.line == 1


def test_a_claim_that_fails_uses_its_alternative() -> None:
    text, log = _render(CLAIM, share=Fact(41.0, "t: yes"))
    assert text == "Fewer than half do."
    assert (log.claims[0].holds, log.claims[0].wording) == (False, "alternative")


def test_a_failed_claim_without_alternative_stops_the_build_with_its_figures() -> None:
    with pytest.raises(ClaimFailed) as exc:
        _render("{% claim share > 50 %}Most do.{% endclaim %}", share=Fact(41.0, "t: yes"))
    message = str(exc.value)
    assert "Most do." in message and "share > 50" in message and "41" in message


def test_a_draft_marks_a_failed_claim_and_lists_it() -> None:
    text, log = _render("{% claim share > 50 %}Most do.{% endclaim %}", draft=True, share=Fact(41.0, "t"))
    assert text.startswith('<mark class="claim-failed"') and "Most do." in text
    assert [c.text for c in log.failed] == ["Most do."]


def test_a_claim_on_a_withheld_figure_uses_its_alternative_or_is_left_out() -> None:
    from pipeline.stages.disclosure import SuppressedFigure

    class Hidden:
        def value(self):
            raise SuppressedFigure("R.value reads a withheld cell")

    text, log = _render("a{% claim h.value() > 50 %}Most do.{% otherwise %} Some do.{% endclaim %}", h=Hidden())
    assert text == "a Some do." and log.claims[0].wording == "alternative (withheld figure)"
    text, log = _render("a{% claim h.value() > 50 %} Most do.{% endclaim %}", h=Hidden())
    assert text == "a" and log.claims[0].wording == "left out (withheld figure)"
    text, log = _render("a{% claim h.value() > 50 %} Most do.{% otherwise %} {{ h.value() }}{% endclaim %}", h=Hidden())
    assert text == "a" and log.claims[0].wording == "left out (withheld figure)"  # its alternative reads it too
    assert "withheld" in log.claims[0].evaluated


def test_a_condition_on_plain_numbers_is_refused() -> None:
    with pytest.raises(SpecError, match="does not compare figures read from the tables"):
        _render(CLAIM, share=62.5)


def test_and_or_not_keep_every_figure_compared() -> None:
    source = "{% claim a > 50 and not (b > a) or a == b %}yes{% otherwise %}no{% endclaim %}"
    text, log = _render(source, a=Fact(60, "A"), b=Fact(70, "B"))
    assert text == "no"  # 60 > 50 holds, but B > A, and A != B
    assert "A = 60 > 50" in log.claims[0].evaluated and "B = 70 > A = 60" in log.claims[0].evaluated


def test_arithmetic_on_facts_names_every_figure() -> None:
    total = Fact(30, "full") + Fact(25, "beyond")
    condition = total < 50
    assert float(total) == 55 and not condition
    assert condition.text == "(full + beyond) = 55 < 50"


def test_qualitative_passages_render_as_written_and_need_a_source() -> None:
    text, log = _render('{% qualitative "expert interviews" %}Most experts agree.{% endqualitative %}')
    assert text == "Most experts agree." and not log.claims
    with pytest.raises(jinja2.TemplateSyntaxError, match="names the passage's source"):
        _render("{% qualitative %}Most experts agree.{% endqualitative %}")


def test_the_lint_finds_unchecked_words_and_passes_checked_ones() -> None:
    assert [w for _, w, _ in unchecked_words("<p>Most providers are small-scale.</p>")] == ["Most", "small-scale"]
    assert not unchecked_words(
        "<p>{% claim x > 1 %}Most providers{% otherwise %}Some{% endclaim %}, "
        "{{ R.words('t', 1) }} offer ten or more services.</p>"
    )
    assert not unchecked_words("{# definitions: more often than not #}<p>It was more often than not.</p>")
    nested = "{% claim a %}x{% otherwise %}{% claim b %}y{% otherwise %}z{% endclaim %} most{% endclaim %} Most"
    assert [w for _, w, _ in unchecked_words(nested)] == ["Most"]  # the outer block ends at its own endclaim


def test_differences_give_conditions_with_their_test(tables) -> None:
    from pipeline.present.differences import difference

    d = difference(tables["capacity_taken"], 1, "size10=1", "size10=2")
    assert bool(d.higher) == (d.a > d.b) and bool(d.lower) == (d.a < d.b)
    assert bool(d.significantly_higher) == (d.a > d.b and d.significant)
    assert bool(d.alike) == (not d.significant)
    assert "size10=1 vs size10=2" in d.higher.text and "p = " in d.higher.text


def test_the_build_writes_every_claim_to_claims_csv(built) -> None:
    import csv

    rows = list(csv.DictReader(open(built / "claims.csv", encoding="utf-8")))
    assert rows, "claims.csv lists no claim"
    kinds = {r["kind"] for r in rows}
    assert kinds <= {"claim", "worded"} and "claim" in kinds
    for r in rows:  # each row points at a real template line and says what it compared
        path = ROOT / r["template"]
        assert path.exists(), r
        assert 1 <= int(r["line"]) <= len(path.read_text(encoding="utf-8").splitlines()), r
        assert r["figures"] and r["text"], r
        assert r["holds"] == "1" or r["wording"].startswith(("alternative", "left out")), r
    html = (built / "report.html").read_text(encoding="utf-8")
    assert 'class="claim-failed"' not in html


def _context(tables):
    from pipeline.output.document import environment
    from pipeline.output.template_api import ReportContext

    return ReportContext(tables, {}, "html", environment(), {})


def _with_shares(tables, table_id: str, series: str, shares: dict):
    """A copy of the tables in which one series' total-column shares are replaced."""
    import copy

    changed = dict(tables)
    table = copy.deepcopy(tables[table_id])
    c = table.cells
    for code, value in shares.items():
        c.loc[
            (c["series"] == series) & (c["column"] == "total") & (c["category"] == code) & (c["stat"] == "pct"), "value"
        ] = value
    table.__dict__.pop("_positions", None)
    changed[table_id] = table
    return changed


def test_leads_needs_a_strict_lead_as_printed(tables) -> None:
    R = _context(_with_shares(tables, "motivations", "mot_1", {1: 40.2, 2: 39.8, 3: 5.0}))
    assert not R.leads("motivations", 1, "mot_1")  # 40% and 40% as printed: a tie, no leader
    assert R.leads("motivations", [1, 2], "mot_1")  # but the two lead together
    R = _context(_with_shares(tables, "motivations", "mot_1", {1: 21.0, 4: 45.0}))
    assert not R.leads("motivations", [1], "mot_1") and R.leads("motivations", [4], "mot_1")
    assert not R.leads("motivations", [1, 99], "mot_1")  # a category the table lacks leads nothing


def test_leaders_name_every_category_tied_for_the_lead(tables) -> None:
    R = _context(_with_shares(tables, "motivations", "mot_1", {1: 40.2, 2: 39.8, 3: 5.0}))
    text = str(R.leaders("motivations", "mot_1", 1, short=True))
    assert text == "meeting legal responsibilities and reducing sickness absence (both 40%)"
    R = _context(tables)
    one = str(R.leaders("motivations", "mot_1", 1))
    top = R.ranked("motivations", "mot_1")[0]
    assert one == f"{top['label']} ({top['pct']})"
    assert R.claims.claims[-1].kind == "worded"


def test_a_phrase_follows_the_printed_direction(tables) -> None:
    from pipeline.present.differences import Difference
    from pipeline.stats.significance import Comparison

    untested = Comparison("two-proportion z-test", 0.33, 0.33, 0.1, 0.9, 0.95, False)
    alike = Difference(33.3, 33.4, untested)
    assert alike.phrase() == "as likely as"  # 33% and 33%, no significant difference
    assert Difference(40.0, 33.0, untested).phrase() == "more likely than"
    assert Difference(33.0, 40.0, untested).phrase() == "less likely than"


def test_a_claim_records_its_own_condition_even_after_a_comment_naming_the_tag() -> None:
    source = "{# e.g. {% claim x > 1 %} #}{% claim share > 50 %}Most do.{% otherwise %}Few do.{% endclaim %}"
    _, log = _render(source, share=Fact(60, "t"))
    assert log.claims[0].condition == "share > 50"


def test_the_audit_reads_a_missing_cell_as_not_available(tables) -> None:
    """Another wave's table may lack a cell the 2020 report printed (a category outside a
    top-N list): the audit says n/a for it instead of stopping the build."""
    import copy

    from pipeline.spec.published import load_targets
    from pipeline.stages.audit import audit

    targets = [t for t in load_targets("ccg_leads") if t.table == "works_less_well" and t.category is not None][:1]
    assert targets, "the ccg_leads targets include a works_less_well category"
    changed = dict(tables)
    table = copy.deepcopy(tables["works_less_well"])
    table.cells = table.cells[table.cells["category"] != targets[0].category].reset_index(drop=True)
    table.__dict__.pop("_positions", None)
    changed["works_less_well"] = table
    [row] = audit(targets, changed)
    assert row.computed == "n/a" and row.match is False


def test_a_comparison_with_an_empty_group_is_not_made(tables) -> None:
    """A wave may leave a subgroup (or everyone outside it) without respondents: nothing is
    compared, and the audit reads n/a instead of stopping on a zero base."""
    import copy

    from pipeline.present.differences import difference

    changed = copy.deepcopy(tables["capacity_taken"])
    c = changed.cells
    c.loc[c["column"] == "size10=2", ["value", "n", "base", "n_eff"]] = [float("nan"), 0, 0, 0.0]
    changed.__dict__.pop("_positions", None)
    d = difference(changed, 1, "size10=1", "size10=2", withhold=False)
    assert not d.shown and "too few respondents" in d.withheld


def test_coverage_is_the_completion_rate_and_the_fpc_effect() -> None:
    from pipeline.stages.coverage import Coverage

    c = Coverage(kept=111, size=191)
    assert c.rate == pytest.approx(100 * 111 / 191)
    assert c.se_reduction == pytest.approx(100 * (1 - (1 - 111 / 191) ** 0.5))
    assert Coverage(kept=50, size=None).rate is None and Coverage(kept=50, size=None).se_reduction is None
