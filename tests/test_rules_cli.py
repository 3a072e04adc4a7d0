"""`advisor rules list` and `advisor rules show`: the rules in use, where they come from, in words."""

from __future__ import annotations

import json

from advisor.model.catalog import heuristics
from advisor.input.ruleset import load_ruleset

from conftest import EXAMPLES, run_cli

MY_RULES = EXAMPLES / "my-rules"


def listed(*args) -> list[dict]:
    result = run_cli("rules", "list", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["rules"]


def test_list_shows_every_rule_with_its_columns():
    rows = listed("--lang", "en")
    shipped = load_ruleset()
    assert [r["id"] for r in rows] == [r.id for r in shipped.rules]
    for row in rows:
        assert set(row) >= {"id", "stage", "priority", "heuristics", "title", "enabled", "origin"}
        assert row["origin"] == "shipped"


def test_list_filters_by_stage_and_heuristic():
    review = listed("--stage", "review")
    assert review and {r["stage"] for r in review} == {"review"}
    h10 = listed("--heuristic", "h10")
    assert h10 and all("H10" in r["heuristics"] for r in h10)
    expected = [r.id for r in load_ruleset().rules if "H10" in r.rule.heuristics]
    assert [r["id"] for r in h10] == expected


def test_list_table_text_has_the_header_and_origin_of_user_folders():
    result = run_cli("rules", "list", "--rules", str(MY_RULES), "--lang", "en", "--stage", "review")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["id", "stage", "priority", "heuristics", "title", "enabled", "origin"]
    by_id = {line.split()[0]: line for line in lines[2:]}
    assert by_id["shared-but-quiet"].endswith(str(MY_RULES))
    assert by_id["answer-heart-givers"].endswith(str(MY_RULES))  # replaced by the user folder
    assert " no " in by_id["likes-for-exploration"] and by_id["likes-for-exploration"].endswith(str(MY_RULES))
    assert by_id["emotion-gap"].endswith("shipped")


def test_list_refuses_an_unknown_heuristic():
    result = run_cli("rules", "list", "--heuristic", "H1O", "--lang", "en")
    assert result.exit_code == 2
    assert result.output.startswith("--heuristic: unknown heuristic ID H1O (expected H01-H20); did you mean H")


def test_show_reads_a_level_rule_in_plain_language():
    shipped = load_ruleset()
    result = run_cli("rules", "show", "answer-heart-givers", "--lang", "en")
    assert result.exit_code == 0
    high = shipped.levels.metrics["heart_rate"]["high"]
    low = shipped.levels.metrics["heart_rate"]["low"]
    band = shipped.levels.typical.band
    out = result.output
    # The typical mode in words: credibly above the account's range; the defaults' range without history.
    assert f"high heart rate (credibly above the account's typical range for the form (P{band[0]:g}–P{band[1]:g} " \
           f"of its videos, plus a margin; at least {shipped.levels.typical.certainty:.0%} sure given the video's " \
           f"views); with no history, the default range {low.absolute['default'] * 100:.2f}%–" \
           f"{high.absolute['default'] * 100:.2f}%" in out
    h19 = heuristics()["H19"]
    assert h19.title.en in out and h19.description.en in out
    assert "origin: shipped (rules/review.yaml:" in out


def test_show_a_rule_with_values_signals_and_not():
    out = run_cli("rules", "show", "likes-for-exploration", "--lang", "en").output
    assert "not (high heart rate" in out
    assert "not (signal 'short_lived_heat' holds)" in out
    assert "signal 'short_lived_heat' is set by: short-lived-heat" in out
    out = run_cli("rules", "show", "shared-but-quiet", "--rules", str(MY_RULES), "--lang", "zh").output
    assert "触发条件:分享率 ≥ 0.90% 且 评论率 < 0.60%。" in out
    assert f"来源: {MY_RULES}" in out


def test_show_uses_the_levels_in_use():
    out = run_cli("rules", "show", "answer-heart-givers", "--rules", str(MY_RULES), "--lang", "en").output
    assert "≥ P80 of the account" in out and "1.50%" in out


def test_show_an_unknown_rule_exits_2_with_a_hint():
    result = run_cli("rules", "show", "emotion-gpa", "--lang", "en")
    assert result.exit_code == 2
    assert "no rule with id emotion-gpa; did you mean emotion-gap?" in result.output


def test_show_a_switched_off_rule_says_so():
    out = run_cli("rules", "show", "likes-for-exploration", "--rules", str(MY_RULES), "--lang", "en").output
    assert "enabled: no (enabled: false)" in out


def test_every_rules_command_has_a_runnable_example_in_its_help():
    for name in ("check", "test", "list", "show", "docs"):
        result = run_cli("rules", name, "--help")
        assert result.exit_code == 0
        assert "Example" in result.output and f"advisor rules {name}" in result.output


def test_list_goes_through_the_one_report_path_in_every_format():
    text = run_cli("rules", "list", "--stage", "review", "--lang", "en").output
    assert text.splitlines()[0].split()[:3] == ["id", "stage", "priority"]
    md = run_cli("rules", "list", "--stage", "review", "--format", "markdown", "--lang", "en").output
    assert md.startswith("| id | stage |") and "| `loyal-core` |" in md
    data = json.loads(run_cli("rules", "list", "--stage", "review", "--format", "json").output)
    assert {r["id"] for r in data["rules"]} >= {"loyal-core", "loyal-but-shallow"}
    assert all(r["stage"] == "review" for r in data["rules"])
    none = run_cli("rules", "list", "--stage", "cta", "--heuristic", "H01", "--lang", "zh").output
    assert none.strip() == "没有符合条件的规则"
