"""The H13 lint (`advisor cta check`): what it catches, what it leaves alone, exit codes, JSON."""

from __future__ import annotations

import json

import pytest

from advisor.jobs.cta_check import CtaChecker, check_text, matched_words
from advisor.core.errors import AdvisorError
from advisor.engine.evaluate import StageRunner
from advisor.input.ruleset import load_ruleset
from advisor.input.yamlio import load_yaml

from conftest import BOTH_ENGINES, ROOT, needs_durable, run_cli

pytestmark = pytest.mark.usefixtures("clean_env")

CTA_RULES = {"cta-shaming", "cta-bribery", "cta-coercion", "cta-superstition", "cta-stacked-demands"}
ENGINES = BOTH_ENGINES


def run(*args, input=None):
    return run_cli("cta", "check", *args, "--engine", "python", input=input)


# --- the rule tests in rules/tests/cta.yaml, checked here too --------------------------------------

def cta_cases():
    data, _ = load_yaml(ROOT / "rules" / "tests" / "cta.yaml")
    return data


@pytest.mark.parametrize("engine", ENGINES)
def test_rule_test_cases_hold(ruleset, engine):
    with StageRunner(ruleset, "cta", engine=engine) as runner:
        for case in cta_cases():
            fired, _, _ = runner.run({"text": case["text"]})
            for rule_id in case.get("fire", []):
                assert rule_id in fired, f"{case['name']}: {rule_id} did not fire (fired: {fired})"
            for rule_id in case.get("not_fire", []):
                assert rule_id not in fired, f"{case['name']}: {rule_id} fired"


def test_every_cta_rule_has_a_case_that_fires_and_one_that_does_not(ruleset):
    cases = cta_cases()
    fires = {r for c in cases for r in c.get("fire", [])}
    spares = {r for c in cases for r in c.get("not_fire", [])}
    shipped = {r.id for r in ruleset.active("cta")}
    assert CTA_RULES <= shipped
    assert shipped <= fires and shipped <= spares


def test_every_cta_rule_is_h13_with_a_suggestion_in_both_languages(ruleset):
    for loaded in ruleset.active("cta"):
        assert "H13" in loaded.rule.heuristics
        suggestion = loaded.rule.then.suggestion
        assert suggestion is not None and suggestion.zh.strip() and suggestion.en.strip()


# --- what it catches ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, rule_id, words", [
    ("你们不是真爱粉吧,看了都不点赞", "cta-shaming", ["不是真爱粉"]),
    ("You're not a real fan if you skip the like.", "cta-shaming", ["not a real fan"]),
    ("点赞抽奖,再送红包", "cta-bribery", ["抽奖", "红包"]),
    ("Every like enters the giveaway!", "cta-bribery", ["giveaway"]),
    ("点赞过万才更新下一集", "cta-coercion", ["点赞", "过万才更新"]),
    ("Like this or I'll stop posting.", "cta-coercion", ["or I'll stop"]),
    ("不喜欢就取关", "cta-coercion", ["取关"]),
    ("不转不是中国人", "cta-shaming", ["不转", "不是中国人"]),
    ("转发这条,全家保平安", "cta-superstition", ["转发", "平安"]),
    ("大家都转发了,就差你", "cta-bandwagon", ["就差你"]),
    ("所有人都必须关注", "cta-absolute-demand", ["必须关注"]),
    ("转发后才能看结局", "cta-gating", ["转发", "才能看"]),
    ("Forward this or bad luck follows you.", "cta-superstition", ["Forward", "bad luck"]),
    ("点赞小红心评论转发一个都别落下", "cta-stacked-demands", ["点赞", "小红心", "评论", "转发"]),
])
def test_catches_each_kind_with_the_matched_words(ruleset, text, rule_id, words):
    result = check_text(text, ruleset, engine="python")
    assert rule_id in [f.rule_id for f in result.findings]
    finding = next(f for f in result.findings if f.rule_id == rule_id)
    for word in words:
        assert word.lower() in finding.matched.lower()
        assert word.lower() in text.lower()
    assert finding.heuristics == ["H13"]
    assert finding.suggestion("zh") and finding.suggestion("en")


def test_matched_words_lists_every_phrase_and_merges_overlaps(ruleset):
    result = check_text("点赞抽奖,评论送红包和礼品", ruleset, engine="python")
    finding = next(f for f in result.findings if f.rule_id == "cta-bribery")
    # the engagement requests and every device cue of the sentence, in text order
    assert finding.words == ["点赞", "抽奖", "评论", "红包", "礼品"]
    # A threat cue around its request ("没人点赞我就停更"): one phrase, not two fragments.
    text = "再没人点赞我就停更了"
    result = check_text(text, ruleset, engine="python")
    assert matched_words(result.findings[0].finding, text) == ["没人点赞我就停更"]
    # only sentences that have both are reported
    text = "抽奖结果下周公布。喜欢就点赞,评论区抽三位送锅"
    finding = next(f for f in check_text(text, ruleset, engine="python").findings if f.rule_id == "cta-bribery")
    assert "抽奖" not in finding.words and {"点赞", "抽三", "送锅"} & set(finding.words)


@pytest.mark.parametrize("text", [
    "喜欢这类内容的话点个赞👍;想支持我、看后续的,点个小红心♡。",
    "If you enjoyed this, tap 👍 so more people find it; if you want to follow along, tap the ♡.",
    "这个系列不会停更,喜欢的点个赞👍,下周见。",
    "下周再更新下一集,想看的点个小红心♡。",
    "Tell me in the comments how you'd cook it - I'll answer a few next week.",
])
@pytest.mark.parametrize("engine", ENGINES)
def test_natural_ctas_are_not_flagged(ruleset, text, engine):
    assert check_text(text, ruleset, engine=engine).clean


def test_every_suggested_rewrite_passes_the_lint(ruleset):
    with CtaChecker(ruleset, engine="python") as checker:
        for loaded in ruleset.active("cta"):
            for lang in ("zh", "en"):
                suggestion = loaded.rule.then.suggestion.get(lang)
                assert checker.check(suggestion).clean, (loaded.id, lang, suggestion)


@needs_durable
def test_engines_agree(ruleset):
    texts = [c["text"] for c in cta_cases()]
    with CtaChecker(ruleset, engine="python") as py, CtaChecker(ruleset, engine="durable") as du:
        for text in texts:
            assert [f.rule_id for f in py.check(text).findings] == [f.rule_id for f in du.check(text).findings], text


def test_operators_add_phrases_without_code(tmp_path):
    (tmp_path / "mine.yaml").write_text(
        "- id: cta-house-phrases\n"
        "  heuristics: [H13]\n"
        "  stage: cta\n"
        "  when: {metric: text, op: contains, value: [晒单]}\n"
        "  then:\n"
        "    title: {zh: 集赞换物, en: collecting likes for goods}\n"
        "    suggestion: {zh: 喜欢就点个赞👍。, en: \"Enjoyed it? Tap 👍.\"}\n", encoding="utf-8")
    ruleset = load_ruleset([tmp_path])
    result = check_text("晒单 50 次来店里领", ruleset, engine="python")
    assert [f.rule_id for f in result.findings] == ["cta-house-phrases"]
    assert result.findings[0].matched == "晒单"
    assert check_text("晒单 50 次来店里领", load_ruleset(), engine="python").clean


def test_empty_and_oversized_texts_are_refused(ruleset):
    with pytest.raises(AdvisorError):
        check_text("   ", ruleset, engine="python")
    with pytest.raises(AdvisorError):
        check_text("赞" * 20_000, ruleset, engine="python")


# --- the command -----------------------------------------------------------------------------

def test_exit_1_with_rule_id_words_and_suggestion():
    result = run("点赞过万才更新下集", "--lang", "zh")
    assert result.exit_code == 1
    assert "cta-coercion" in result.stdout and "H13" in result.stdout
    assert "点赞, 过万才更新" in result.stdout and "建议改成" in result.stdout


def test_exit_0_when_clean():
    result = run("If you enjoyed this, tap 👍; to support me, tap the ♡.", "--lang", "en")
    assert result.exit_code == 0
    assert "No manipulative inducement" in result.stdout


def test_json_shape_is_the_issues():
    result = run("点赞抽奖,不点赞的都不是真爱粉", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert list(data)[0] == "findings"
    assert {f["rule_id"] for f in data["findings"]} == {"cta-bribery", "cta-shaming"}
    for finding in data["findings"]:
        assert {"rule_id", "heuristics", "matched", "suggestion"} <= set(finding)
        assert finding["heuristics"] == ["H13"]
        assert isinstance(finding["matched"], str) and finding["matched"]
        assert isinstance(finding["suggestion"], str) and finding["suggestion"]
    clean = json.loads(run("喜欢就点个赞👍", "--format", "json").stdout)
    assert clean["findings"] == [] and clean["clean"] is True


def test_suggestion_follows_the_language():
    zh = json.loads(run("求三连", "--format", "json", "--lang", "zh").stdout)["findings"][0]["suggestion"]
    en = json.loads(run("求三连", "--format", "json", "--lang", "en").stdout)["findings"][0]["suggestion"]
    assert "小红心" in zh and "♡" in en and "小红心" not in en


def test_file_and_stdin(tmp_path):
    script = tmp_path / "script.txt"
    script.write_text("视频最后:转发这条,好运连连!\n", encoding="utf-8")
    result = run("--file", script, "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["findings"][0]["rule_id"] == "cta-superstition"
    result = run("--file", "-", input="喜欢就点个赞👍,想看后续点个小红心♡")
    assert result.exit_code == 0


@pytest.mark.parametrize("args, where", [
    ((), "nothing to check"),
    (("text", "--file", "x.txt"), "not both"),
    (("--file", "missing.txt"), "missing.txt: file not found"),
    (("   ",), "empty"),
])
def test_bad_input_exits_2_with_a_located_message(args, where):
    result = run(*args)
    assert result.exit_code == 2
    assert where in result.stderr
    assert "Traceback" not in result.output


def test_a_file_that_is_not_utf8_names_the_line(tmp_path):
    bad = tmp_path / "gbk.txt"
    bad.write_bytes("第一行\n".encode("utf-8") + "点赞抽奖".encode("gbk"))
    result = run("--file", bad)
    assert result.exit_code == 2
    assert f"{bad}:2:" in result.stderr and "UTF-8" in result.stderr
