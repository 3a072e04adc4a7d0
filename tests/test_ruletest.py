"""`advisor rules test` and advisor.jobs.ruletest: loading cases, running them, reporting failures."""

from __future__ import annotations

import json
from pathlib import Path

from advisor.model.levels import resolve
from advisor.input.ruleset import load_ruleset
from advisor.core.paths import shipped_rules
from advisor.jobs.ruletest import (FACT_KINDS, is_under, FactKind, case_model, load_test_file, register_fact_kind, run_case,
                              run_rule_tests)
from advisor.core.i18n import T

from conftest import ruleset_in_mode, run_cli

FIX = Path(__file__).parent / "fixtures" / "ruletest"


def invoke(*args):
    return run_cli("rules", "test", *args, "--engine", "python")


def test_passing_file_exits_0_and_closes_with_the_counts(ruleset):
    result = invoke(str(FIX / "passing"), "--lang", "en")
    assert result.exit_code == 0, result.output
    cases, _ = load_test_file(FIX / "passing" / "review.yaml")
    assert result.output.strip().splitlines()[-1] == f"{len(cases)} passed, 0 failed"


def test_a_missed_rule_names_the_deciding_value_and_threshold(ruleset):
    cases, problems = load_test_file(FIX / "failing" / "review.yaml")
    assert not problems
    result = run_case(cases[0], ruleset, "python")
    assert result.status == "fail"
    [missed] = [f for f in result.failures if f.kind == "not_fired"]
    low = resolve(ruleset.levels, "heart_rate", "low", "short_video", None)
    assert low.kind == "typical"
    band = " and ".join(f"{v * 100:.2f}%" for v in low.band())  # no history: the defaults, 0.50%-1.20%
    message = missed.message("en")
    # "emotion-gap did not fire: heart rate 3.00%; with no history to compare, by the defaults
    #  short videos usually sit between 0.50% and 1.20%, and this one is above it"
    assert message == ("emotion-gap did not fire: heart rate 3.00%; with no history to compare, by the defaults "
                       f"short videos usually sit between {band}, and this one is above it")
    assert "小红心率 3.00%,没有历史可比,按默认参考,短视频一般在 0.50%–1.20% 之间,这条高于这个范围" in missed.message("zh")


def test_an_unexpected_firing_lists_the_conditions_that_held(ruleset):
    cases, _ = load_test_file(FIX / "failing" / "review.yaml")
    result = run_case(cases[0], ruleset, "python")
    [fired] = [f for f in result.failures if f.kind == "fired"]
    assert fired.rule_id == "answer-heart-givers"
    assert fired.message("en").startswith("answer-heart-givers fired, but should not: heart rate 3.00%; ")
    assert fired.message("en").endswith("with 10,000 views, the gap is not chance (99% sure)")
    assert all(o.result for o in fired.held)


def test_missing_text_shows_what_the_advice_said(ruleset):
    cases, _ = load_test_file(FIX / "failing" / "review.yaml")
    result = run_case(cases[0], ruleset, "python")
    [text] = [f for f in result.failures if f.kind == "missing_text"]
    message = text.message("en")
    assert 'does not contain "a phrase no rule says" (en)' in message
    title = ruleset.get("answer-heart-givers").rule.then.title.en
    assert title in message


def test_a_signal_blocker_explains_why_the_signal_rule_did_not_fire(ruleset):
    cases, _ = load_test_file(FIX / "failing" / "review.yaml")
    result = run_case(cases[1], ruleset, "python")
    [missed] = result.failures
    text = missed.message("en")
    assert "signal 'watched_through' does not hold" in text
    assert "watched-through did not fire either: completion rate 20.00%; with no history to compare, by the " \
           "defaults short videos usually sit between 15.00% and 30.00%, and this one is within it" in text


def test_cli_failure_report_is_an_expected_got_diff_and_exits_1():
    result = invoke(str(FIX / "failing" / "review.yaml"), "--lang", "en")
    assert result.exit_code == 1
    out = result.output
    assert "FAIL " in out and "review.yaml:2: hearts are fine, yet the case expects an emotional gap" in out
    assert "expected to fire:     emotion-gap" in out
    assert "fired:                watched-through, answer-heart-givers" in out
    assert out.strip().splitlines()[-1] == "1 passed, 2 failed"


def test_broken_cases_are_located_and_the_good_ones_still_run():
    result = invoke(str(FIX / "broken"), "--lang", "en", "--format", "json")
    assert result.exit_code == 2
    data = json.loads(result.output)
    assert data["summary"]["passed"] == 1  # the good case in the broken file
    errors = [e for c in data["cases"] for e in c.get("errors", [])] + data["errors"]
    messages = {e["message"]: e for e in errors}
    assert any("no rule with id emotion-gpa; did you mean emotion-gap?" in m for m in messages)
    assert any("unknown key 'likez' (did you mean likes?)" in m for m in messages)
    assert any("count cannot be negative" in m for m in messages)
    assert any("a case gives exactly one of" in m and "gives 2 (video, text)" in m for m in messages)
    assert any("missing required key 'name'" in m for m in messages)
    assert any("checks nothing" in m for m in messages)
    assert any("cta-bribery is a cta rule, but this case gives a video" in m for m in messages)
    for e in errors:
        assert e["file"].endswith("cases.yaml") and e["line"] >= 1


def test_a_file_that_is_not_a_list_cannot_run(tmp_path):
    bad = tmp_path / "t.yaml"
    bad.write_text("name: not a list\n", encoding="utf-8")
    result = invoke(str(bad))
    assert result.exit_code == 2
    assert f"{bad}:1:1: a rule test file is a list of cases" in result.output


def test_yaml_syntax_errors_are_located(tmp_path):
    bad = tmp_path / "t.yaml"
    bad.write_text("- name: x\n  video: {views: 3\n", encoding="utf-8")
    result = invoke(str(bad))
    assert result.exit_code == 2
    assert f"{bad}:" in result.output and "YAML syntax error" in result.output


def test_no_test_files_cannot_run(tmp_path):
    result = invoke(str(tmp_path))
    assert result.exit_code == 2
    assert "no rule test files found" in result.output


def test_user_folder_tests_run_against_the_layered_rules_and_shipped_tests_against_shipped():
    user = FIX / "user-rules"
    layered = load_ruleset([user])
    shipped = load_ruleset()
    run = run_rule_tests(None, ruleset=layered, shipped_ruleset=shipped, engines=("python",))
    files = {Path(r.case.file).name for r in run.results}
    assert "user.yaml" in files and "review.yaml" in files
    shipped_results = [r for r in run.results if is_under(Path(r.case.file), shipped_rules())]
    # The user switched emotion-gap off, yet the shipped tests that expect it still pass:
    assert shipped_results and all(r.status == "pass" for r in shipped_results)
    user_results = {r.case.name: r for r in run.results if Path(r.case.file).name == "user.yaml"}
    assert user_results["the user's level makes 0.2% hearts not low any more"].status == "pass"
    switched_off = user_results["the switched-off shipped rule is expected to fire"]
    assert switched_off.status == "fail"
    [failure] = switched_off.failures
    assert failure.kind == "disabled"
    assert "it is switched off (enabled: false" in failure.message("en") and "rules.yaml:1" in failure.message("en")
    assert "tiny-hearts" in switched_off.fired


def test_a_rule_folder_as_path_is_laid_over_and_its_tests_run():
    result = invoke(str(FIX / "user-rules"), "--lang", "en")
    assert result.exit_code == 1  # the switched-off expectation fails
    assert "user.yaml: 1 passed, 1 failed" in result.output


def test_history_turns_levels_into_percentiles(tmp_path):
    ruleset = ruleset_in_mode("percentile", tmp_path / "percentile")
    history = [{"id": f"h{i}", "form": "short_video", "views": 1000, "hearts": 10 + i, "likes": 30,
                "comments": 5, "shares": 5, "completion_rate": 0.5} for i in range(12)]
    case_file = tmp_path / "t.yaml"
    case_file.write_text(json.dumps([{
        "name": "hearts below the account's own P30",
        "video": {"form": "short_video", "views": 1000, "hearts": 11, "likes": 30, "comments": 5, "shares": 5,
                  "completion_rate": 0.5},
        "history": history,
        "fire": ["emotion-gap"]}]), encoding="utf-8")
    cases, problems = load_test_file(case_file)
    assert not problems
    result = run_case(cases[0], ruleset, "python")
    assert result.status == "pass", [f.message("en") for f in result.failures]
    sentences = " ".join(o.sentence("en") for o in result.held["emotion-gap"])
    assert "P30 of 12 short videos" in sentences


def test_fact_kinds_are_a_registry(ruleset, tmp_path):
    assert {"video", "plan", "text"} <= set(FACT_KINDS)
    register_fact_kind(FactKind("cta_line", "cta", T(zh="一行号召", en="one CTA line"),
                                lambda value: {"text": str(value).strip()}))
    try:
        assert "cta_line" in case_model().model_fields
        case_file = tmp_path / "t.yaml"
        case_file.write_text("- name: via a plugged-in kind\n  cta_line: '  点赞抽奖  '\n  fire: [cta-bribery]\n",
                             encoding="utf-8")
        cases, problems = load_test_file(case_file)
        assert not problems and cases[0].fact == {"text": "点赞抽奖"}
        assert run_case(cases[0], ruleset, "python").status == "pass"
    finally:
        del FACT_KINDS["cta_line"]
        from advisor.jobs import ruletest

        ruletest._case_model.cache_clear()


def test_every_stage_has_a_fact_kind():
    from advisor.model.stages import STAGE_FIELDS

    case_model()
    assert set(STAGE_FIELDS) <= {kind.stage for kind in FACT_KINDS.values()}


def test_a_derived_rate_given_with_its_counts_is_refused(tmp_path):
    case_file = tmp_path / "t.yaml"
    case_file.write_text("- name: both\n  video: {views: 100, hearts: 2, heart_rate: 0.5}\n  fire: [emotion-gap]\n",
                         encoding="utf-8")
    cases, problems = load_test_file(case_file)
    assert not cases
    [problem] = problems
    assert problem.line == 2 and "heart_rate is computed from hearts / views" in problem.message.en


def test_engine_all_runs_each_case_on_every_engine():
    from advisor.engine import durable_import_error

    result = run_cli("rules", "test", FIX / "passing", "--engine", "all", "--format", "json")
    assert result.exit_code == 0, result.output
    engines = json.loads(result.output)["summary"]["engines"]
    assert "python" in engines
    assert ("durable" in engines) == (durable_import_error() is None)


def test_history_shifts_the_typical_range(ruleset, tmp_path):
    # An account whose short videos get ~0.2% hearts: 1.0% is inside the defaults' 0.50%-1.20%,
    # but against this account's own range it is credibly high.
    history = [{"id": f"h{i}", "form": "short_video", "views": 10000, "hearts": 18 + i, "likes": 300,
                "comments": 40, "shares": 20, "completion_rate": 0.25} for i in range(12)]
    video = {"form": "short_video", "views": 50000, "hearts": 500, "likes": 1500, "comments": 200, "shares": 100,
             "completion_rate": 0.25}
    case_file = tmp_path / "t.yaml"
    case_file.write_text(json.dumps([
        {"name": "1% hearts is high for an account that usually gets 0.2%", "video": video, "history": history,
         "fire": ["answer-heart-givers"]},
        {"name": "1% hearts is ordinary by the defaults", "video": video, "not_fire": ["answer-heart-givers"]},
    ]), encoding="utf-8")
    cases, problems = load_test_file(case_file)
    assert not problems
    with_history, alone = (run_case(case, ruleset, "python") for case in cases)
    assert with_history.status == "pass", [f.message("en") for f in with_history.failures]
    assert alone.status == "pass", [f.message("en") for f in alone.failures]
    sentences = " ".join(o.sentence("en") for o in with_history.held["answer-heart-givers"])
    assert "heart rate 1.00%; this account's 12 short videos (a short history, partly the defaults) usually sit " \
           "between 0.30% and 0.55%; with 50,000 views, the gap is not chance (99% sure)" in sentences


def test_a_derived_rate_given_directly_with_the_views_is_judged(ruleset, tmp_path):
    # Regression: the typical mode read a rate only from its counts, so `heart_rate` given
    # directly (with the views) was "not in the data" and no level on it could hold.
    case_file = tmp_path / "t.yaml"
    case_file.write_text(json.dumps([
        {"name": "0.2% hearts of 10,000 views", "fire": ["emotion-gap"],
         "video": {"form": "short_video", "views": 10000, "heart_rate": 0.002, "completion_rate": 0.45}},
        {"name": "1.0% hearts of 10,000 views", "not_fire": ["emotion-gap"],
         "video": {"form": "short_video", "views": 10000, "heart_rate": 0.01, "completion_rate": 0.45}},
    ]), encoding="utf-8")
    cases, problems = load_test_file(case_file)
    assert not problems
    low, ordinary = (run_case(case, ruleset, "python") for case in cases)
    assert low.status == "pass", [f.message("en") for f in low.failures]
    assert ordinary.status == "pass", [f.message("en") for f in ordinary.failures]
    heart = next(o for o in low.held["emotion-gap"] if o.source.metric == "heart_rate")
    assert heart.judgement().gap.x == 20 and heart.judgement().gap.n == 10000
