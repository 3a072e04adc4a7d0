"""Rule lint (advisor.jobs.lint, run by `advisor rules check`).

The fixtures mark every line lint must report with `# lint: KIND`; these tests compare the
reported lines with the marked ones, so a missed or an extra problem fails.
"""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from advisor.cli.main import cli
from advisor.core.errors import Problem
from advisor.core.i18n import T
from advisor.model.levels import FORM_LABELS
from advisor.jobs.lint import clarify, lint, unreachable
from advisor.core.paths import shipped_rules
from advisor.input.ruleset import collect_ruleset, load_ruleset

FIX = Path(__file__).parent / "fixtures" / "lint"
MARK = re.compile(r"#\s*lint:\s*([a-z-]+)")


def marked(path: Path) -> dict[int, str]:
    return {n: m.group(1) for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if (m := MARK.search(line))}


def problems_in(path: Path, problems: list[Problem]) -> dict[int, Problem]:
    return {p.line: p for p in problems if p.file and Path(p.file).resolve() == path.resolve()}


def test_shipped_rules_lint_clean():
    ruleset = load_ruleset()
    problems = lint(ruleset)
    assert not problems, "\n".join(p.format("en") for p in problems)


def test_rules_check_passes_on_the_shipped_rules():
    result = CliRunner().invoke(cli, ["rules", "check", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("all rules valid")


def test_every_marked_rule_problem_is_reported_and_nothing_else():
    folder = FIX / "rules"
    ruleset = load_ruleset([folder])
    found = problems_in(folder / "rules.yaml", lint(ruleset))
    expected = marked(folder / "rules.yaml")
    assert sorted(found) == sorted(expected), "\n".join(p.format("en") for p in found.values())
    kinds = {
        "contradiction": "conditions that can never hold together",
        "duplicate": "same stage and conditions as rule dup-a",
        "unsupplied": "the text uses {{ thresholds.like_rate }}, which the rule cannot supply",
        "empty-text": "then.actions[0] has en but its zh text is empty",
    }
    for line, kind in expected.items():
        assert kinds[kind] in found[line].message.en, (line, found[line].message.en)
        assert found[line].message.zh and found[line].col


def test_contradiction_messages_name_the_values_and_the_forms():
    ruleset = load_ruleset([FIX / "rules"])
    by_rule = {}
    for p in lint(ruleset):
        m = re.search(r"rules\.yaml", p.file or "")
        if m:
            by_rule[p.line] = p.message.en
    text = "\n".join(by_rule.values())
    assert "heart_rate > 50.00% and heart_rate < 30.00%" in text
    # Level thresholds come from levels.yaml, resolved for each form.
    high = ruleset.levels.metrics["completion_rate"]["high"].absolute
    assert f"completion_rate ≥ {high['default'] * 100:.2f}% (high)" in text
    partial = [m for m in by_rule.values() if "< 20.00%" in m][0]
    forms = [k for k in ("default", "short_video", "long_video", "live", "image_text")
             if high.get(k, high["default"]) >= 0.2]
    assert "for " + ", ".join(FORM_LABELS[f].en for f in forms) + ")" in partial
    assert "with the account's percentiles too" in [m for m in by_rule.values() if "(low)" in m][0]


def test_contradiction_analysis_leaves_any_and_satisfiable_ranges_alone():
    ruleset = load_ruleset([FIX / "rules"])
    fine = ruleset.get("fine-range")
    assert not [p for p in lint(ruleset) if p.line and fine.position()[0] <= p.line < fine.position()[0] + 12]


def test_a_threshold_supplied_through_a_signal_is_fine():
    ruleset = load_ruleset([FIX / "rules"])
    rule = ruleset.get("threshold-through-a-signal")
    line = rule.position()[0]
    assert not [p for p in lint(ruleset) if p.line and line <= p.line <= line + 8]


def test_overlapping_levels_are_located_in_the_levels_file():
    folder = FIX / "levels"
    ruleset = load_ruleset([folder])
    found = problems_in(folder / "levels.yaml", lint(ruleset))
    assert sorted(found) == sorted(marked(folder / "levels.yaml"))
    messages = [p.message.en for p in found.values()]
    high = ruleset.levels.metrics["like_rate"]["high"].absolute["short_video"]
    assert any(f"short videos: low < 5.00%, high ≥ {high * 100:.2f}%" in m for m in messages)
    assert any("percentiles: low < P90, high ≥ P70" in m for m in messages)


def test_a_rule_on_a_metric_no_profile_provides_can_never_fire():
    ruleset = load_ruleset([FIX / "clean"])
    problems = unreachable(ruleset, profile_dirs=[FIX / "profiles"])
    reported = {p.line for p in problems}
    rules = {r.id: r for r in ruleset.rules}
    # heart_rate needs hearts, which only-basics does not map.
    messages = {p.line: p.message.en for p in problems}
    line = rules["needs-hearts"].position(("when", "metric"))[0]
    assert "no platform profile provides heart_rate" in messages[line]
    # Can fire through its other branch, or because it is about a missing column: not reported.
    for rid in ("hearts-or-likes", "no-hearts-column"):
        first = rules[rid].position()[0]
        assert not [n for n in reported if first <= n <= first + 8], rid
    # A rule behind a signal whose rule can never fire cannot fire either.
    sig_line = rules["only-with-a-signal-from-hearts"].position()[0]
    assert any(sig_line <= n <= sig_line + 4 for n in reported)


def test_with_the_shipped_profiles_every_shipped_review_metric_is_reachable():
    assert unreachable(load_ruleset()) == []


def test_missing_language_reads_as_has_zh_but_no_en(tmp_path):
    (tmp_path / "r.yaml").write_text(
        "- id: x\n  heuristics: [H10]\n  stage: review\n  when: {metric: views, op: '>', value: 1}\n"
        "  then:\n    title: {zh: 标题}\n    actions:\n      - {en: only english}\n      - {}\n",
        encoding="utf-8")
    _, problems = collect_ruleset([tmp_path])
    messages = [p.message.en for p in clarify(problems)]
    assert "then.title has zh but no en: every text needs both languages" in messages
    assert "then.actions[0] has en but no zh: every text needs both languages" in messages
    assert "then.actions[1] needs a zh and an en text" in messages
    result = CliRunner().invoke(cli, ["rules", "check", str(tmp_path), "--lang", "zh"])
    assert result.exit_code == 1
    assert f"{tmp_path / 'r.yaml'}:6:5: then.title 有中文(zh)但没有英文(en)" in result.output


def test_rules_check_exit_codes(tmp_path):
    runner = CliRunner()
    assert runner.invoke(cli, ["rules", "check", str(FIX / "rules")]).exit_code == 1
    missing = runner.invoke(cli, ["rules", "check", str(tmp_path / "nope"), "--lang", "en"])
    assert missing.exit_code == 2 and "no such rule folder" in missing.output
    assert runner.invoke(cli, ["rules", "check", str(shipped_rules())]).exit_code == 0


def test_clarify_leaves_other_problems_alone():
    p = Problem(T(zh="缺少必填的键 'id'", en="missing required key 'id'"), file="f", line=1, field="[0].id")
    assert clarify([p]) == [p]
