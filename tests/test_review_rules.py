"""The shipped review rules against their rule tests (rules/tests/review.yaml), and the
guarantee that opposite diagnoses never fire together, over random metrics and histories.

Until `advisor rules test` exists, the cases run here through the same review() the CLI uses.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.model.metrics import VideoMetrics
from advisor.jobs.review import review
from advisor.input.yamlio import load_yaml

from conftest import ROOT

CASES_FILE = ROOT / "rules" / "tests" / "review.yaml"
REVIEW_HEURISTICS = {"H03", "H04", "H05", "H10", "H11", "H18", "H19"}
OPPOSITES = [("short-lived-heat", "loyal-core"), ("emotion-gap", "depth-gap")]


def _cases():
    data, _ = load_yaml(CASES_FILE)
    return data


CASES = _cases()


def run_case(case, ruleset):
    video = VideoMetrics.model_validate(case["video"])
    history = [VideoMetrics.model_validate(h) for h in case.get("history", [])] or None
    result = review([video], ruleset, history=history, engine="python")
    return result.videos[0]


def advice_text(vr, lang):
    from advisor.model.metrics import FIELDS

    parts = []
    for f in vr.findings:
        parts.append(f.render("title", vr.fact, FIELDS, lang))
        parts.append(f.explanation(vr.fact, FIELDS, lang))
        parts.extend(f.render("actions", vr.fact, FIELDS, lang))
    return "\n".join(parts)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_rule_case(case, ruleset):
    vr = run_case(case, ruleset)
    fired = set(vr.fired)
    for rule_id in case.get("fire", []):
        assert rule_id in fired, f"{rule_id} should fire; fired: {sorted(fired)}"
    for rule_id in case.get("not_fire", []):
        assert rule_id not in fired, f"{rule_id} should not fire; fired: {sorted(fired)}"
    text = advice_text(vr, case.get("lang", "en"))
    for needle in case.get("contains", []):
        assert needle.casefold() in text.casefold()
    for needle in case.get("not_contains", []):
        assert needle.casefold() not in text.casefold()


def test_every_review_rule_has_a_case_that_fires_and_one_that_does_not(ruleset):
    review_rules = {r.id for r in ruleset.active("review") if r.origin == "shipped"}
    fires = {r for c in CASES for r in c.get("fire", [])}
    quiet = {r for c in CASES for r in c.get("not_fire", [])}
    assert review_rules - fires == set()
    assert review_rules - quiet == set()
    # the cases name only rules that exist
    assert (fires | quiet) - review_rules == set()


def test_every_review_heuristic_is_encoded_by_a_shipped_rule(ruleset):
    encoded = {h for r in ruleset.active("review") for h in r.rule.heuristics}
    assert REVIEW_HEURISTICS <= encoded


def test_each_review_heuristic_fires_in_a_case_and_stays_quiet_in_another(ruleset):
    by_rule = {r.id: set(r.rule.heuristics) for r in ruleset.active("review")}
    fired_h, quiet_h = set(), set()
    for case in CASES:
        vr = run_case(case, ruleset)
        fired = set(vr.fired)
        for rule_id, hs in by_rule.items():
            (fired_h if rule_id in fired else quiet_h).update(hs)
    assert REVIEW_HEURISTICS <= fired_h
    assert REVIEW_HEURISTICS <= quiet_h


# --- opposite diagnoses never fire on one video -----------------------------------------------

def _maybe(draw, strategy):
    return draw(st.one_of(st.none(), strategy))


@st.composite
def videos(draw, prefix="v"):
    """A video with realistic rates (counts drawn as a share of views), any field possibly missing."""
    data = {"id": f"{prefix}{draw(st.integers(0, 10**9))}",
            "form": draw(st.sampled_from([None, "short_video", "long_video", "live", "image_text"]))}
    views = _maybe(draw, st.integers(min_value=0, max_value=500_000))
    if views is not None:
        data["views"] = views
    base = views if views else draw(st.integers(min_value=1, max_value=50_000))
    for name, top in (("likes", 0.15), ("hearts", 0.05), ("comments", 0.03), ("shares", 0.03), ("follows", 0.01)):
        share = _maybe(draw, st.floats(min_value=0, max_value=top))
        if share is not None:
            data[name] = int(base * share)
    for name in ("completion_rate", "retention_rate", "rewatch_rate"):
        value = _maybe(draw, st.floats(min_value=0, max_value=1))
        if value is not None:
            data[name] = value
    return VideoMetrics.model_validate(data)


def _inverted(ruleset):
    """The rule set with every "low" level above its "high" one: a value can be both at once.

    A broken level override could do this; the opposite rules must still exclude each other.
    """
    import copy

    inverted = copy.copy(ruleset)
    levels = ruleset.levels.model_copy(deep=True)
    for defs in levels.metrics.values():
        if "high" in defs and "low" in defs:
            high, low = defs["high"], defs["low"]
            defs["low"] = low.model_copy(update={"absolute": {k: v * 10 for k, v in high.absolute.items()}})
            defs["high"] = high.model_copy(update={"absolute": {k: v / 10 for k, v in low.absolute.items()}})
    # The typical mode keeps "high" above "low" by construction (both edges come from one
    # range), so an overlap can only be made in the absolute mode: test the guards there.
    levels.default_mode = "absolute"
    inverted.levels = levels
    return inverted


def _opposites_fired(batch, history, ruleset):
    batch = list({v.id: v for v in batch}.values())  # ids are unique in a batch, as imported
    result = review(batch, ruleset, history=history or None, engine="python")
    return [(a, b) for vr in result.videos for a, b in OPPOSITES if a in vr.fired and b in vr.fired]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(videos(), min_size=1, max_size=14),
       history=st.one_of(st.none(), st.lists(videos("h"), min_size=0, max_size=25)),
       invert=st.booleans())
def test_opposite_diagnoses_never_fire_together(batch, history, invert, ruleset):
    rules = _inverted(ruleset) if invert else ruleset
    assert _opposites_fired(batch, history, rules) == []


def test_the_exclusion_check_can_fail_without_the_rules_guard(ruleset):
    """With inverted levels and the `not: {signal: ...}` guards removed, both opposites fire:
    so the property above rests on the rules, not on luck."""
    import copy

    from advisor.model.rules_model import AllCondition

    unguarded = _inverted(ruleset)
    unguarded.rules = []
    for loaded in ruleset.rules:
        rule = loaded.rule
        if rule.id in ("loyal-core", "depth-gap"):
            kept = [c for c in rule.when.all if "not_" not in type(c).model_fields]
            rule = rule.model_copy(update={"when": AllCondition(all=kept)})
        unguarded.rules.append(copy.copy(loaded))
        unguarded.rules[-1].rule = rule
    video = VideoMetrics(id="x", form="short_video", views=10_000, likes=800, hearts=100, comments=50, shares=50,
                         completion_rate=0.2)
    fired = _opposites_fired([video], None, unguarded)
    assert ("short-lived-heat", "loyal-core") in fired
    assert ("emotion-gap", "depth-gap") in fired
    assert _opposites_fired([video], None, _inverted(ruleset)) == []
