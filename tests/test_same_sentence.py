"""The same-sentence text condition (`same_sentence` / `unless`), the H13 lint's compositional core.

A text condition with `same_sentence` holds when one sentence of the text has a match of its
value and a match of one of `same_sentence`, and none of `unless`; both engines see the
precomputed boolean, and explanations and `advisor cta check` report the matched spans.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from advisor.core.i18n import T
from advisor.engine.compiler import compile_rules
from advisor.engine.explain import explain, outcomes
from advisor.engine.program import TextFeature, sentences
from advisor.engine.reference import ReferenceEvaluator
from advisor.input.ruleset import load_ruleset
from advisor.model.rules_model import MetricCondition, Rule


def feature(**kw) -> TextFeature:
    return TextFeature("txt:0", "text", kw.pop("patterns", ("抽奖",)), same_sentence=kw.pop("same", ("点赞",)), **kw)


@pytest.mark.parametrize("text, parts", [
    ("点赞抽奖。评论区见", ["点赞抽奖", "评论区见"]),
    ("Like it! Share it? Maybe.", ["Like it", "Share it", "Maybe"]),
    ("版本 3.5 更新了;下期见\n再见", ["版本 3.5 更新了", "下期见", "再见"]),
    ("e.g.this stays, one sentence", ["e.g.this stays, one sentence"]),
    ("大家都点了,你还在等什么?!", ["大家都点了,你还在等什么"]),
])
def test_sentences_split_on_end_marks(text, parts):
    assert [text[a:b].strip() for a, b in sentences(text)] == parts


@pytest.mark.parametrize("text, expected", [
    ("点赞抽奖", True),
    ("点赞,评论区抽奖", True),  # a comma does not end the sentence
    ("抽奖结果出来了。喜欢就点赞", False),  # different sentences
    ("点赞抽奖!", True),
    ("抽奖", False),
    ("点赞", False),
])
def test_both_parts_must_be_in_one_sentence(text, expected):
    assert feature().compute({"text": text}) is expected


def test_unless_disqualifies_the_sentence_only():
    f = feature(unless=("不抽奖",))
    assert f.compute({"text": "我们不抽奖,喜欢就点赞"}) is False
    assert f.compute({"text": "我们不抽奖。点赞抽奖"}) is True
    assert f.compute({}) is None  # a missing text stays unknown


def test_spans_are_the_cue_and_the_request_in_text_order():
    text = "欢迎来看。评论区抽奖,记得点赞!"
    spans = feature().sentence_spans(text)
    assert [text[a:b] for a, b in spans] == ["抽奖", "点赞"]


def test_the_condition_validates_its_parts():
    ok = MetricCondition(metric="text", op="matches", value=["a"], same_sentence=["b"], unless=["c"])
    assert ok.same_sentence == ["b"]
    for bad in ({"op": "==", "value": 1, "same_sentence": ["b"]},
                {"op": "matches", "value": "a", "unless": ["c"]},
                {"op": "matches", "value": "a", "same_sentence": ["("]},
                {"op": "matches", "value": "a", "same_sentence": [""]}):
        with pytest.raises(ValidationError):
            MetricCondition(metric="text", **bad)


def _rule(**cond) -> Rule:
    return Rule(id="r", heuristics=["H13"], stage="cta", when={"metric": "text", **cond},
                then={"title": T(zh="诱导", en="inducement")})


def test_contains_escapes_all_three_lists_and_the_explanation_names_the_spans():
    ruleset = load_ruleset()
    rule = _rule(op="contains", value=["a.b"], same_sentence=["(like)"], unless=["*no"])
    compiled = compile_rules([rule], ruleset.levels)
    (feat,) = compiled.program.features
    assert feat.patterns == (r"a\.b",) and feat.same_sentence == (r"\(like\)",) and feat.unless == (r"\*no",)
    fact = compiled.program.prepare({"text": "(like) a.b"})
    fired = ReferenceEvaluator(compiled.program).evaluate({"text": "(like) a.b"})
    assert fired == ["r"]
    findings, _ = explain(compiled, fired, {"text": "(like) a.b"})
    assert "(like)…a.b" in findings[0].conditions[0].sentence("en")
    assert fact[feat.field] is True
    assert ReferenceEvaluator(compiled.program).evaluate({"text": "(like). a.b"}) == []
    assert ReferenceEvaluator(compiled.program).evaluate({"text": "(like) a.b *no"}) == []


def test_a_condition_that_does_not_hold_says_so_per_sentence():
    ruleset = load_ruleset()
    compiled = compile_rules([_rule(op="matches", value=["抽奖"], same_sentence=["点赞"])], ruleset.levels)
    fact = compiled.program.prepare({"text": "抽奖。点赞"})
    (outcome,) = outcomes(compiled.info["r"], fact)
    assert outcome.result is False
    assert "没有哪一句" in outcome.sentence("zh") and "no sentence" in outcome.sentence("en")
