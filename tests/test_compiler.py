import pytest

from advisor.engine.compiler import compile_rules
from advisor.model.strata import StratifyError, stratify
from advisor.engine.program import All, Any, Leaf, Not
from advisor.engine.reference import ReferenceEvaluator, eval_node
from advisor.model.levels import Levels
from advisor.model.rules_model import Rule

LEVELS = Levels.model_validate({"metrics": {
    "heart_rate": {"low": {"op": "<", "absolute": {"default": 0.005, "long_video": 0.004}}},
}})


def rule(rid, when, signal=None, title=True, priority="medium", stage="review"):
    then = {}
    if title:
        then["title"] = {"zh": rid, "en": rid}
    if signal:
        then["signal"] = signal
    return Rule.model_validate({"id": rid, "heuristics": ["H10"], "stage": stage, "priority": priority,
                                "when": when, "then": then})


def test_level_resolves_per_form_and_in_becomes_any():
    r = rule("a", {"all": [{"metric": "heart_rate", "level": "low"},
                           {"metric": "form", "op": "in", "value": ["short_video", "long_video"]}]})
    short = compile_rules([r], LEVELS, None, "short_video").program.strata[0][0].when
    long = compile_rules([r], LEVELS, None, "long_video").program.strata[0][0].when
    assert short.children[0] == Leaf("heart_rate", "<", 0.005, 0)
    assert long.children[0] == Leaf("heart_rate", "<", 0.004, 0)
    assert short.children[1] == Any((Leaf("form", "==", "short_video", 1), Leaf("form", "==", "long_video", 1)))


def test_text_conditions_become_features_matched_case_insensitively():
    r = rule("bribe", {"metric": "text", "op": "contains", "value": ["红包", "Giveaway"]}, stage="cta")
    compiled = compile_rules([r], Levels(), None, None)
    (feature,) = compiled.program.features
    ev = ReferenceEvaluator(compiled.program)
    assert ev.evaluate({"text": "点赞抽红包"}) == ["bribe"]
    assert ev.evaluate({"text": "join the GIVEAWAY"}) == ["bribe"]
    assert ev.evaluate({"text": "谢谢观看"}) == []
    assert ev.evaluate({}) == []  # no text: unknown, does not fire
    assert feature.patterns == ("红包", "Giveaway")


def test_contains_escapes_regex_characters_and_matches_uses_them():
    lit = rule("lit", {"metric": "text", "op": "contains", "value": "a.b"}, stage="cta")
    rx = rule("rx", {"metric": "text", "op": "matches", "value": "a.b"}, stage="cta")
    ev = ReferenceEvaluator(compile_rules([lit, rx], Levels(), None, None).program)
    assert ev.evaluate({"text": "axb"}) == ["rx"]
    assert sorted(ev.evaluate({"text": "a.b"})) == ["lit", "rx"]


def test_signals_are_stratified_and_chain():
    base = rule("base", {"metric": "views", "op": ">", "value": 10}, signal="big", title=False)
    mid = rule("mid", {"signal": "big"}, signal="bigger")
    top = rule("top", {"all": [{"signal": "bigger"}, {"not": {"signal": "nope"}}]})
    nope = rule("nope-rule", {"metric": "views", "op": "<", "value": 0}, signal="nope", title=False)
    strata = stratify([top, mid, base, nope])
    assert [[r.id for r in s] for s in strata] == [["base", "nope-rule"], ["mid"], ["top"]]
    ev = ReferenceEvaluator(compile_rules([top, mid, base, nope], Levels()).program)
    assert ev.evaluate({"views": 11}) == ["base", "mid", "top"]
    assert ev.evaluate({"views": 5}) == []


def test_a_signal_cycle_is_refused_with_the_rules_named():
    a = rule("a", {"signal": "sb"}, signal="sa")
    b = rule("b", {"signal": "sa"}, signal="sb")
    with pytest.raises(StratifyError) as info:
        stratify([a, b])
    assert set(info.value.rule_ids) >= {"a", "b"}


def test_disabled_rules_are_not_compiled_and_their_signal_stays_false():
    base = rule("base", {"metric": "views", "op": ">", "value": 10}, signal="big", title=False)
    base = base.model_copy(update={"enabled": False})
    neg = rule("neg", {"not": {"signal": "big"}})
    ev = ReferenceEvaluator(compile_rules([base, neg], Levels()).program)
    assert ev.evaluate({"views": 100}) == ["neg"]


def test_kleene_semantics_of_the_reference_evaluator():
    missing = Leaf("x", ">", 1)
    true = Leaf("y", "==", 1)
    false = Leaf("y", "==", 2)
    fact = {"y": 1}
    assert eval_node(missing, fact) is None
    assert eval_node(Not(missing), fact) is None
    assert eval_node(All((missing, true)), fact) is None
    assert eval_node(All((missing, false)), fact) is False
    assert eval_node(Any((missing, true)), fact) is True
    assert eval_node(Any((missing, false)), fact) is None
    assert eval_node(Leaf("x", "missing"), fact) is True
    assert eval_node(Leaf("x", "!=", 3), fact) is None  # != on a missing value is unknown too


def test_priority_then_file_order_is_the_firing_order():
    low = rule("low", {"metric": "views", "op": ">", "value": 0}, priority="low")
    high = rule("high", {"metric": "views", "op": ">", "value": 0}, priority="high")
    med = rule("med", {"metric": "views", "op": ">", "value": 0})
    assert ReferenceEvaluator(compile_rules([low, high, med], Levels()).program).evaluate({"views": 1}) == \
        ["high", "med", "low"]
