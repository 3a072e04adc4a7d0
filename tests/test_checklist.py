"""The pre-publish checklist (`advisor checklist`): items per heuristic, statuses, plans in, output."""

from __future__ import annotations

import json
import re

import pytest

from advisor.jobs.checklist import STATUSES, build_checklist, checklist, checklist_json, load_plans
from advisor.render.emit import render
from advisor.engine.evaluate import StageRunner
from advisor.model.plan import Plan
from advisor.input.ruleset import load_ruleset
from advisor.input.yamlio import load_yaml

from conftest import BOTH_ENGINES, EXAMPLES, HAN, ROOT, needs_durable, run_cli

pytestmark = pytest.mark.usefixtures("clean_env")

PLANS = EXAMPLES / "plans.yaml"
PLAN_JSON = EXAMPLES / "plan.json"
ISSUE_ITEM_KEYS = ("rule_id", "heuristics", "status", "title", "explanation")


def run(*args, input=None):
    return run_cli("checklist", *args, "--engine", "python", input=input)


def items_of(ruleset, plan: dict, lang="en", engine="python"):
    result = build_checklist([Plan.model_validate({"id": "t", **plan})], ruleset, lang=lang, engine=engine)
    return result.plans[0].items


# --- each heuristic: a plan that fires it and one that does not --------------------------------------

CLEAN_CTA = "喜欢这类内容的点个赞👍;想支持我、看后续的点个小红心♡。"
HEURISTIC_PLANS = {
    # heuristic: (a plan that fires it, a plan that does not)
    "H01": ({"goal": "exposure", "form": "short_video", "hook_at_s": 2},
            {"goal": "exposure", "form": "short_video", "hook_at_s": 2, "shareable_moment_at_s": 20}),
    "H02": ({"goal": "relationship"}, {"goal": "relationship", "storyline": True}),
    "H06": ({"form": "short_video"}, {"goal": "exposure"}),
    "H07": ({"goal": "both", "cta_text": "喜欢就点个赞吧"}, {"goal": "both", "cta_text": CLEAN_CTA}),
    "H08": ({"goal": "exposure", "form": "short_video", "hook_at_s": 8, "shareable_moment_at_s": 20},
            {"goal": "exposure", "form": "short_video", "hook_at_s": 2, "shareable_moment_at_s": 20,
             "cta_text": "喜欢就点个赞👍", "cta_position": "end"}),
    "H13": ({"goal": "both", "cta_text": "点赞抽奖,不点赞的不是真爱粉"}, {"goal": "both", "cta_text": CLEAN_CTA}),
    "H14": ({"goal": "relationship"}, {"goal": "relationship", "activity": "每周话题:家乡的味道"}),
    "H16": ({"goal": "exposure"}, {"goal": "exposure", "participation_path": "在评论区说说你家放不放糖,下期挑三条来做"}),
    "H17": ({"goal": "relationship", "account_stage": "new"}, {"goal": "relationship", "account_stage": "established"}),
}


def test_the_issues_heuristics_are_all_covered(ruleset):
    cited = {h for r in ruleset.active("plan") for h in r.rule.heuristics}
    assert {"H01", "H02", "H06", "H07", "H08", "H14", "H16", "H17"} <= cited
    assert set(HEURISTIC_PLANS) == cited | {"H13"}


@pytest.mark.parametrize("heuristic", sorted(HEURISTIC_PLANS))
@pytest.mark.parametrize("engine", BOTH_ENGINES)
def test_a_plan_fires_each_heuristic_and_another_does_not(ruleset, heuristic, engine):
    fires, quiet = HEURISTIC_PLANS[heuristic]
    hits = [i for i in items_of(ruleset, fires, engine=engine) if heuristic in i.heuristics]
    assert any(i.status in ("todo", "consider") and not i.missing for i in hits), [i.to_json() for i in hits]
    calm = [i for i in items_of(ruleset, quiet, engine=engine) if heuristic in i.heuristics]
    assert calm and all(i.status == "ok" for i in calm), [i.to_json() for i in calm]


@pytest.mark.parametrize("plan, rule_id, status", [
    ({"form": "short_video"}, "goal-missing", "todo"),                                    # no stated goal (H06)
    ({"goal": "relationship", "storyline": False}, "relationship-bridge", "todo"),        # no bridge (H02)
    ({"goal": "both"}, "cta-dual-track", "todo"),                                         # both, no CTA (H07)
    ({"goal": "both", "cta_text": "If you liked it, tap the ♡."}, "cta-dual-track", "todo"),  # one signal (H07)
    ({"goal": "exposure", "form": "short_video", "hook_at_s": 6}, "exposure-hook", "todo"),  # late hook (H08)
    ({"goal": "both", "cta_text": "点赞过万才更新"}, "cta-coercion", "todo"),                 # manipulative (H13)
])
def test_the_issues_examples_are_caught(ruleset, plan, rule_id, status):
    items = {i.rule_id: i for i in items_of(ruleset, plan)}
    assert items[rule_id].status == status


def test_the_rule_test_cases_hold_here_too(ruleset):
    cases, _ = load_yaml(ROOT / "rules" / "tests" / "plan.yaml")
    plan_rules = {r.id for r in ruleset.active("plan")}
    fired_somewhere, spared_somewhere = set(), set()
    with StageRunner(ruleset, "plan", engine="python") as runner:
        for case in cases:
            fact = Plan.model_validate({"id": "t", **case["plan"]}).to_fact()
            fired, _, _ = runner.run(fact)
            for rule_id in case.get("fire", []):
                assert rule_id in fired, case["name"]
                fired_somewhere.add(rule_id)
            for rule_id in case.get("not_fire", []):
                assert rule_id not in fired, case["name"]
                spared_somewhere.add(rule_id)
    assert plan_rules <= fired_somewhere and plan_rules <= spared_somewhere


# --- statuses and explanations ---------------------------------------------------------------------

def test_statuses_and_order(ruleset):
    items = items_of(ruleset, {"goal": "both", "form": "short_video", "hook_at_s": 9, "participation_path": "评论"})
    assert {i.status for i in items} <= set(STATUSES)
    ranks = [STATUSES.index(i.status) for i in items]
    assert ranks == sorted(ranks)  # todo, then consider, then ok
    assert {"todo", "consider", "ok"} <= {i.status for i in items}


def test_explanations_name_the_plans_values(ruleset):
    items = {i.rule_id: i for i in items_of(ruleset, {"goal": "both", "form": "short_video", "hook_at_s": 8,
                                                         "cta_text": "喜欢就点个赞吧"}, lang="zh")}
    hook = items["exposure-hook"]
    assert "8.0秒" in hook.explanation and "3.0秒" in hook.explanation
    assert "短视频" in hook.explanation  # where the 3-second deadline comes from
    assert "喜欢就点个赞吧" in items["cta-dual-track"].explanation
    # The deadline follows the form: a long video gets longer.
    long = {i.rule_id: i for i in items_of(ruleset, {"goal": "exposure", "form": "long_video", "hook_at_s": 8})}
    assert long["exposure-hook"].status == "ok" and "8.0s" in long["exposure-hook"].title


def test_missing_data_is_a_consider_item_naming_the_field(ruleset):
    items = {i.rule_id: i for i in items_of(ruleset, {"form": "short_video"})}
    waiting = items["exposure-hook"]
    assert waiting.status == "consider" and waiting.missing[0] == "goal"  # (hook_at_s too: the relaxed check)
    assert "goal" in waiting.title and waiting.checks
    stage = items["stage-mix"]
    assert stage.status == "consider" and set(stage.missing) == {"goal", "account_stage"}


def test_h13_items_carry_the_matched_words_and_a_rewrite(ruleset):
    items = [i for i in items_of(ruleset, {"goal": "both", "cta_text": "点赞抽奖送红包"}, lang="zh")
             if "H13" in i.heuristics and i.rule_id != "reward-for-engagement"]
    assert [i.rule_id for i in items] == ["cta-bribery"]
    assert items[0].matched == "点赞, 抽奖, 红包" and items[0].suggestion and "小红心" in items[0].suggestion
    assert items[0].field == "cta_text"


def test_the_lint_also_reads_the_participation_path_and_activity(ruleset):
    items = items_of(ruleset, {"goal": "relationship", "participation_path": "直播间点赞抽奖,人人有份",
                               "activity": "点赞过千才开播"})
    by_field = {i.field: i.rule_id for i in items if i.field}
    assert by_field == {"participation_path": "cta-bribery", "activity": "cta-coercion"}


def test_a_clean_cta_gets_an_ok_item(ruleset):
    items = [i for i in items_of(ruleset, {"goal": "both", "cta_text": CLEAN_CTA}) if "H13" in i.heuristics and i.rule_id != "reward-for-engagement"]
    assert [(i.rule_id, i.status) for i in items] == [("cta-check", "ok")]
    assert not [i for i in items_of(ruleset, {"goal": "both"}) if "H13" in i.heuristics and i.rule_id != "reward-for-engagement"]


def test_a_user_rule_without_ok_text_shows_only_when_it_fires(tmp_path):
    (tmp_path / "team.yaml").write_text(
        "- id: needs-topic\n"
        "  heuristics: [H16]\n"
        "  stage: plan\n"
        "  when: {metric: topic, op: missing}\n"
        "  then:\n"
        "    status: consider\n"
        "    title: {zh: 写上主题, en: Name the topic}\n", encoding="utf-8")
    ruleset = load_ruleset([tmp_path])
    assert [i.status for i in items_of(ruleset, {"goal": "both"}) if i.rule_id == "needs-topic"] == ["consider"]
    assert not [i for i in items_of(ruleset, {"goal": "both", "topic": "粽子"}) if i.rule_id == "needs-topic"]


# --- the example plans ---------------------------------------------------------------------------

def test_the_example_plans_load_and_check_as_described(ruleset):
    result = checklist([PLANS, PLAN_JSON], ruleset, lang="en", engine="python")
    assert result.problems == []
    by_id = {p.plan.id: p for p in result.plans}
    assert len(by_id) == 7
    for clean in ("tomato-egg-3ways", "grandma-recipes-ep3", "zongzi-with-mom", "sourdough-diary-1"):
        assert by_id[clean].counts()["todo"] == by_id[clean].counts()["consider"] == 0, clean
    goals = {p.plan.goal for p in result.plans}
    assert {"exposure", "relationship", "both", None} <= goals
    todo = {i.rule_id for i in by_id["braised-pork-rush"].items if i.status == "todo"}
    assert {"exposure-hook", "exposure-shareable", "relationship-bridge", "cta-dual-track", "cta-early",
            "cta-coercion", "cta-shaming"} <= todo
    intro = {i.rule_id: i for i in by_id["new-channel-intro"].items}
    assert intro["stage-mix"].status == "consider" and intro["cta-bribery"].field == "participation_path"
    draft = by_id["untitled-draft"]
    assert draft.items[0].rule_id == "goal-missing" and draft.items[0].status == "todo"
    assert sum(1 for i in draft.items if i.missing == ["goal"]) >= 4


@needs_durable
def test_engines_agree_on_the_examples(ruleset):
    a = checklist_json(checklist([PLANS, PLAN_JSON], ruleset, lang="zh", engine="python"))
    b = checklist_json(checklist([PLANS, PLAN_JSON], ruleset, lang="zh", engine="durable"))
    assert a["plans"] == b["plans"]


# --- output formats --------------------------------------------------------------------------------

def test_json_shape_is_the_issues():
    result = run(PLANS, "--format", "json", "--lang", "en")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert list(data)[0] == "plans"
    for plan in data["plans"]:
        assert list(plan)[:2] == ["id", "items"]
        for item in plan["items"]:
            assert tuple(item)[:5] == ISSUE_ITEM_KEYS
            assert item["status"] in STATUSES and item["heuristics"] and item["title"]
    assert data["errors"] == []


def test_markdown_is_a_tick_box_list_with_distinct_consider_items():
    result = run(PLANS, "--format", "markdown", "--lang", "zh")
    assert result.exit_code == 0
    md = result.stdout
    data = json.loads(run(PLANS, "--format", "json", "--lang", "zh").stdout)
    ok = sum(p["counts"]["ok"] for p in data["plans"])
    todo = sum(p["counts"]["todo"] for p in data["plans"])
    consider_shown = sum(1 for p in data["plans"] for i in p["items"] if i["status"] == "consider" and not i.get("missing"))
    groups = sum(len({tuple(i["missing"]) for i in p["items"] if i.get("missing")}) for p in data["plans"])
    assert md.count("\n- [x] ") == ok
    assert md.count("\n- [ ] ❗ **") == todo
    assert md.count("\n- [ ] 💡 *") == consider_shown + groups
    assert "## 计划 braised-pork-rush" in md


def test_text_output_in_both_languages():
    zh = run(PLANS, "--lang", "zh")
    en = run(PLAN_JSON, "--lang", "en")
    assert zh.exit_code == en.exit_code == 0
    assert "发布前检查清单" in zh.stdout and "待办" in zh.stdout
    assert "Pre-publish checklist" in en.stdout and "[✓]" in en.stdout
    assert not HAN.search(en.stdout)  # an English plan, checked in English: no Chinese at all


def test_output_file_and_stdin(tmp_path):
    out = tmp_path / "c.md"
    result = run("-", "--format", "markdown", "-o", out, input="id: s1\ngoal: exposure\n")
    assert result.exit_code == 0 and out.read_text(encoding="utf-8").startswith("# ")
    result = run("-", "--format", "json", input='{"id": "s2", "goal": "both"}')
    assert json.loads(result.stdout)["plans"][0]["id"] == "s2"


# --- bad input ------------------------------------------------------------------------------------

def test_unknown_fields_get_did_you_mean_with_line_and_the_batch_goes_on(tmp_path):
    bad = tmp_path / "plans.yaml"
    bad.write_text("- id: a\n  goal: both\n- id: b\n  gaol: both\n- id: c\n  goal: exposur\n- id: d\n",
                   encoding="utf-8")
    result = run(bad, "--format", "json", "--lang", "en")
    assert result.exit_code == 1
    assert f"{bad}:4:3: unknown key 'gaol' (did you mean goal?)" in result.stderr
    assert f"{bad}:6:3:" in result.stderr and "did you mean exposure?" in result.stderr
    data = json.loads(result.stdout)
    assert [p["id"] for p in data["plans"]] == ["a", "d"]
    assert {e["field"] for e in data["errors"]} == {"[1].gaol", "[2].goal"}


def test_json_plans_are_located_by_line_and_index(tmp_path):
    bad = tmp_path / "plans.json"
    bad.write_text('[\n  {"id": "a", "goal": "both"},\n  {"id": "b", "duration_s": "long"}\n]\n', encoding="utf-8")
    result = run(bad, "--lang", "en")
    assert result.exit_code == 1
    assert f"{bad}:3:" in result.stderr
    loaded = load_plans([bad])
    assert loaded.problems[0].field == "[1].duration_s" and [p.plan.id for p in loaded.plans] == ["a"]


@pytest.mark.parametrize("content, message", [
    ('{"id": "a",', "JSON syntax error"),
    ('{"id": "a", "id": "b"}', "duplicate key"),
    ("[]", "empty"),
    ('"just text"', "one plan"),
])
def test_unusable_json_exits_2(tmp_path, content, message):
    path = tmp_path / "p.json"
    path.write_text(content, encoding="utf-8")
    result = run(path)
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.output


def test_missing_file_and_bad_yaml_exit_2(tmp_path):
    assert run(tmp_path / "nope.yaml").exit_code == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("- id: a\n  goal: [unclosed\n", encoding="utf-8")
    result = run(bad)
    assert result.exit_code == 2 and f"{bad}:" in result.stderr


def test_plans_wrapper_numeric_ids_and_duplicates(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("plans:\n  - id: 7\n    goal: both\n  - id: 7\n    goal: exposure\n", encoding="utf-8")
    loaded = load_plans([path])
    assert [p.plan.id for p in loaded.plans] == ["7", "7"]  # both kept and checked
    assert len(loaded.problems) == 1 and "duplicate plan id 7" in str(loaded.problems[0].message.en)
    assert loaded.problems[0].line == 4


def test_a_broken_checklist_template_is_located(tmp_path):
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "checklist.md.j2").write_text("# ok\n{% for p in plans %}\n{{ p.nope }}\n{% endfor %}\n", encoding="utf-8")
    result = run(PLAN_JSON, "--format", "markdown", "--templates", folder)
    assert result.exit_code == 2 and "checklist.md.j2:3" in result.stderr


def test_render_checklist_json_matches_checklist_json(ruleset):
    result = checklist([PLAN_JSON], ruleset, lang="en", engine="python")
    assert json.loads(render(result, "json", result.lang)) == checklist_json(result)


def test_a_rule_text_that_cannot_render_is_a_located_problem(tmp_path):
    (tmp_path / "team.yaml").write_text(
        "- id: odd-text\n"
        "  heuristics: [H16]\n"
        "  stage: plan\n"
        "  when: {metric: topic, op: exists}\n"
        "  then:\n"
        "    title: {zh: '{{ topic.nope }}', en: '{{ topic.nope }}'}\n", encoding="utf-8")
    result = run(PLAN_JSON, "--rules", tmp_path, "--lang", "en")
    assert result.exit_code == 2
    assert re.search(r"team\.yaml:\d+:\d+: ", result.stderr) and "odd-text" in result.stderr
    assert "Traceback" not in result.output


def test_ok_texts_may_quote_the_resolved_threshold(tmp_path):
    (tmp_path / "team.yaml").write_text(
        "- id: hook-deadline-shown\n"
        "  heuristics: [H08]\n"
        "  stage: plan\n"
        "  when: {metric: hook_at_s, level: late}\n"
        "  then:\n"
        "    title: {zh: 钩子晚了, en: hook late}\n"
        "    ok:\n"
        "      title: {zh: '钩子不晚于 {{ thresholds.hook_at_s | secs }}', en: 'hook by {{ thresholds.hook_at_s | secs }}'}\n",
        encoding="utf-8")
    ruleset = load_ruleset([tmp_path])
    items = {i.rule_id: i for i in items_of(ruleset, {"goal": "exposure", "form": "long_video", "hook_at_s": 4})}
    assert items["hook-deadline-shown"].status == "ok" and items["hook-deadline-shown"].title == "hook by 10.0s"
