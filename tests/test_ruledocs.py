"""The rules catalogue: docs/rules.md is generated, current, and its examples come from the rule tests."""

from __future__ import annotations

import re

import pytest

from advisor.jobs.ruledocs import describe_condition, docs_for, find_examples
from advisor.jobs.ruletest import discover, load_test_file

from conftest import EXAMPLES, ROOT, run_cli

DOCS = ROOT / "docs" / "rules.md"
MY_RULES = EXAMPLES / "my-rules"


@pytest.fixture(scope="module")
def catalogue(ruleset):
    return docs_for(ruleset)


def test_docs_rules_md_is_current(catalogue):
    """Regenerate with: advisor rules docs --output docs/rules.md"""
    assert DOCS.read_text(encoding="utf-8") == catalogue, \
        "docs/rules.md is stale: run `advisor rules docs --output docs/rules.md`"


def sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## ", text, flags=re.M)[1:]
    return {p.split("\n", 1)[0].strip(): p for p in parts}


def test_one_section_per_rule_with_both_languages(ruleset, catalogue):
    by_id = sections(catalogue)
    assert list(by_id) == [r.id for r in ruleset.rules]
    for loaded in ruleset.rules:
        body = by_id[loaded.id]
        for head in ("### 检查什么 · What it checks", "### 为什么 · Why", "### 会触发的例子 · Example that fires",
                     "### 不会触发的例子 · Example that does not fire"):
            assert head in body, (loaded.id, head)
        for hid in loaded.rule.heuristics:
            assert f"**{hid}**" in body
        assert describe_condition(loaded.rule.when, ruleset.levels, "en") in body
        assert describe_condition(loaded.rule.when, ruleset.levels, "zh") in body


def test_examples_are_taken_from_the_rule_tests_and_hold(ruleset, catalogue):
    files, _ = discover(ruleset.test_dirs())
    cases = [c for f in files for c in load_test_file(f)[0]]
    examples = find_examples(ruleset, cases)
    by_id = sections(catalogue)
    assert examples, "no examples found in rules/tests/"
    for rule_id, found in examples.items():
        body = by_id[rule_id]
        if "fires" in found:
            case = found["fires"].case
            assert rule_id in case.fire
            assert f": {case.name}" in body.split("### 会触发的例子")[1].split("### 不会触发的例子")[0]
            assert "Fires because: " + found["fires"].sentences["en"] in body
        if "not" in found:
            case = found["not"].case
            assert rule_id in case.not_fire
            assert "Does not fire: " + found["not"].sentences["en"] in body


def test_every_review_rule_has_both_examples(ruleset, catalogue):
    by_id = sections(catalogue)
    for loaded in ruleset.active("review"):
        assert "No such example in the rule tests yet." not in by_id[loaded.id], loaded.id


def test_docs_command_writes_one_language_and_user_rules(tmp_path):
    out = tmp_path / "rules.md"
    result = run_cli("rules", "docs", "--rules", MY_RULES, "--lang", "en", "--output", out)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    by_id = sections(text)
    assert "shared-but-quiet" in by_id and "cta-hard-sell" in by_id
    assert "### What it checks" in text and "检查什么" not in text
    assert "From `" in by_id["shared-but-quiet"] and "many shares, few comments" in by_id["shared-but-quiet"]
    assert "(off)" in text  # likes-for-exploration is switched off by the user folder
