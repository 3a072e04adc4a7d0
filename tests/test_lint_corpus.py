"""The H13 inducement lint on its labelled corpus (tests/fixtures/lint_corpus/): the goals.

benchmarks/lint_corpus.py prints the figures (per split, per device, every miss); here they are
asserted: precision and recall >= 95% per language on the whole corpus, >= 90% on the held-out
split; the corpus is big and balanced enough to mean something; and the shipped cue patterns do
not copy corpus lines (the lint must generalise, not memorise).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from advisor.input.ruleset import load_ruleset
from advisor.jobs.cta_check import check_text
from advisor.model.rules_model import MetricCondition, leaf_conditions

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("lint_corpus_bench", ROOT / "benchmarks" / "lint_corpus.py")
bench = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = bench  # dataclasses look their module up
_spec.loader.exec_module(bench)

DEVICES = {"cta-coercion", "cta-superstition", "cta-shaming", "cta-bribery", "cta-absolute-demand",
           "cta-bandwagon", "cta-gating"}
# Words every device rule must treat as an engagement request, per language.
CORE_REQUESTS = {"zh": ["点赞", "小红心", "转发", "分享", "关注", "评论", "推荐"],
                 "en": ["like", "heart", "share", "forward", "follow", "comment", "subscribe"]}


@pytest.fixture(scope="module")
def ruleset():
    return load_ruleset()


@pytest.fixture(scope="module")
def scores(ruleset):
    return {lang: bench.score(lang, ruleset, engine="python") for lang in ("zh", "en")}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_corpus_is_big_balanced_and_covers_every_device(lang):
    lines = bench.load_corpus(lang)
    natural = [line for line in lines if line.label == bench.NATURAL]
    manipulative = [line for line in lines if line.label != bench.NATURAL]
    assert len(lines) >= 100 and len(natural) >= 50 and len(manipulative) >= 50
    assert {line.label for line in manipulative} == DEVICES
    assert all(sum(line.label == d for line in manipulative) >= 6 for d in DEVICES)
    assert len({line.text for line in lines}) == len(lines)  # no duplicates
    assert {line.split for line in lines} == set(bench.SPLITS)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_precision_and_recall_on_the_whole_corpus(scores, lang):
    score = scores[lang]
    misses = [o.line.text for o in score.false_positives() + score.false_negatives()]
    assert score.precision >= 0.95 and score.recall >= 0.95, misses


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_precision_and_recall_on_the_held_out_split(scores, lang):
    held = scores[lang].split("held-out")
    assert held.precision >= 0.90 and held.recall >= 0.90


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_most_lines_are_reported_under_their_own_device(scores, lang):
    assert scores[lang].device_hit >= 0.90


def _text_conditions(ruleset):
    for loaded in ruleset.active("cta"):
        for _, cond in leaf_conditions(loaded.rule.when):
            if isinstance(cond, MetricCondition) and cond.op in ("contains", "matches"):
                yield loaded.rule.id, cond


def test_no_cue_copies_a_corpus_line(ruleset):
    lines = [line.text for lang in ("zh", "en") for line in bench.load_corpus(lang)]
    cores = [re.sub(r"[\s\W_]+", "", line.lower()) for line in lines]
    for rule_id, cond in _text_conditions(ruleset):
        for pattern in cond.values() + (cond.same_sentence or []) + (cond.unless or []):
            bare = re.sub(r"[\s\W_]+", "", pattern.lower())
            for line, core in zip(lines, cores):
                assert core not in bare, f"{rule_id}: {pattern!r} copies the corpus line {line!r}"
                # nor is a pattern a literal chunk of a line long enough to be one memorised
                if re.escape(pattern) == pattern and len(pattern) >= 12:
                    assert pattern.lower() not in line.lower(), f"{rule_id}: {pattern!r} is lifted from {line!r}"


def test_every_device_rule_is_compositional_with_the_core_requests(ruleset):
    by_rule: dict[str, list[MetricCondition]] = {}
    for rule_id, cond in _text_conditions(ruleset):
        if cond.same_sentence:
            by_rule.setdefault(rule_id, []).append(cond)
    assert set(by_rule) == DEVICES
    for rule_id, conds in by_rule.items():
        for lang, words in CORE_REQUESTS.items():
            for word in words:
                assert any(any(re.search(p, word, re.IGNORECASE) for p in c.same_sentence) for c in conds), \
                    f"{rule_id} does not take {word!r} as an engagement request"


@pytest.mark.parametrize("text", [
    "喜欢的话可以点个赞", "想第一时间看到下一期可以点个关注", "评论区聊聊你的做法", "值得的话推荐给朋友",
    "If you enjoyed it, a like helps.", "Want the next one first? Follow.",
])
def test_natural_invitations_from_the_issue_pass(ruleset, text):
    assert check_text(text, ruleset, engine="python").clean


@pytest.mark.parametrize("text, rule_id", [
    ("不然下期就停更,记得点赞", "cta-coercion"),
    ("转了这条全年顺利", "cta-superstition"),
    ("Share this or the curse follows you.", "cta-superstition"),
    ("不点就是没良心", "cta-shaming"),
    ("点赞抽三位免单", "cta-bribery"),
    ("集齐赞数换礼品", "cta-bribery"),
    ("转发领红包", "cta-bribery"),
    ("转发保平安", "cta-superstition"),
    ("每个人都必须点", "cta-absolute-demand"),
    ("大家都点了,你还在等什么", "cta-bandwagon"),
    ("关注后回复xx领取完整版", "cta-gating"),
    ("转发后才能看结局", "cta-gating"),
])
def test_the_examples_of_the_issue_and_the_operating_rules_are_caught(ruleset, text, rule_id):
    result = check_text(text, ruleset, engine="python")
    finding = next(f for f in result.findings if f.rule_id == rule_id)
    assert finding.words and all(w in text for w in finding.words)  # exact spans of the text
    assert finding.title("zh") and finding.title("en")
