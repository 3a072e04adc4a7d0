"""JSON Schemas from the pydantic models: well-formed, current, and true to every shipped file.

The shipped files are validated with a real JSON Schema validator (jsonschema, a test
dependency), the way an editor would, and loaded with advisor.input.yamlio (YAML 1.2, as the YAML
extension reads them), so a schema that rejects a valid file, or accepts a broken one, fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from advisor.cli.main import cli
from advisor.core.paths import shipped_rules
from advisor.input.ruleset import load_ruleset
from advisor.jobs.schemas import SCHEMA_NAMES, modeline, schema, schema_for_file, schema_text
from advisor.input.yamlio import load_yaml

ROOT = Path(__file__).resolve().parents[1]
RULES = shipped_rules()
SCHEMA_DIR = RULES / "schemas"


def validator(name: str):
    return jsonschema.Draft202012Validator(json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8")))


def shipped_files():
    return sorted(p for p in RULES.rglob("*.y*ml") if schema_for_file(p, RULES))


def errors(name: str, data) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:160]}" for e in validator(name).iter_errors(data)]


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_schema_is_well_formed(name):
    jsonschema.Draft202012Validator.check_schema(schema(name, load_ruleset()))


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_the_shipped_schemas_are_current(name):
    """rules/schemas/ is generated: regenerate with `advisor schema all --output-dir rules/schemas`."""
    fresh = schema_text(name, load_ruleset())
    stored = (SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8")
    assert stored == fresh, f"rules/schemas/{name}.schema.json is stale: run advisor schema all --output-dir rules/schemas"


@pytest.mark.parametrize("path", shipped_files(), ids=lambda p: str(p.relative_to(RULES)))
def test_every_shipped_file_validates_against_its_schema(path):
    data, _ = load_yaml(path)
    assert errors(schema_for_file(path, RULES), data) == []


@pytest.mark.parametrize("path", [p for p in shipped_files() if schema_for_file(p, RULES) != "tests"],
                         ids=lambda p: str(p.relative_to(RULES)))
def test_every_shipped_rule_levels_and_profile_file_starts_with_its_modeline(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == modeline(path, RULES, schema_for_file(path, RULES))
    target = (path.parent / first.split("$schema=", 1)[1]).resolve()
    assert target.is_file(), target


@pytest.mark.parametrize("path, name", [
    (ROOT / "examples" / "videos.yaml", "metrics"),
    (ROOT / "examples" / "video.json", "metrics"),
    (ROOT / "examples" / "advisor.yaml", "config"),
    (ROOT / "examples" / "my-rules" / "food.yaml", "rules"),
    (ROOT / "examples" / "my-rules" / "overrides.yaml", "rules"),
    (ROOT / "examples" / "my-rules" / "levels.yaml", "levels"),
    (ROOT / "examples" / "my-rules" / "tests" / "my-rules.yaml", "tests"),
], ids=lambda v: v if isinstance(v, str) else v.name)
def test_the_examples_validate(path, name):
    data, _ = load_yaml(path)
    assert errors(name, data) == []


def rule(**changes):
    base = {"id": "x", "heuristics": ["H10"], "stage": "review",
            "when": {"all": [{"metric": "heart_rate", "level": "low"}, {"metric": "views", "op": ">", "value": 10}]},
            "then": {"title": {"zh": "标题", "en": "title"}}}
    base.update(changes)
    return base


@pytest.mark.parametrize("bad, why", [
    (rule(heuristics=["H99"]), "unknown heuristic"),
    (rule(stage="reviews"), "unknown stage"),
    (rule(when={"metric": "heart_rat", "op": "<", "value": 1}), "unknown metric"),
    (rule(when={"metric": "heart_rate", "level": "lowest"}), "unknown level"),
    (rule(when={"all": [{"metric": "goal", "op": "==", "value": "exposure"}]}), "a plan field in a review rule"),
    (rule(stage="plan", when={"not": {"metric": "like_rate", "op": ">", "value": 0.1}}), "a review metric in a plan rule"),
    (rule(then={"title": {"zh": "只有中文"}}), "a text without en"),
    (rule(when={"metric": "views", "op": "bigger", "value": 3}), "unknown op"),
    (rule(prio="high"), "unknown key"),
    ({"id": "x", "enabled": "no"}, "a patch with a non-boolean enabled"),
])
def test_the_rules_schema_rejects_mistakes(bad, why):
    assert errors("rules", [bad]), why


def test_the_rules_schema_accepts_a_rule_and_a_patch():
    assert errors("rules", [rule(), {"id": "emotion-gap", "enabled": False}, {"id": "x", "priority": "low"}]) == []


def test_levels_schema_knows_forms_and_metrics():
    ok = {"metrics": {"heart_rate": {"high": {"op": ">=", "absolute": {"default": 0.01, "live": 0.005}}}}}
    assert errors("levels", ok) == []
    assert errors("levels", {"metrics": {"heart_rat": {}}})
    assert errors("levels", {"metrics": {"heart_rate": {"high": {"op": ">=", "absolute": {"lives": 0.01}}}}})


def test_profile_schema_knows_canonical_fields():
    assert errors("profile", {"id": "p", "name": {"zh": "甲", "en": "a"}, "columns": {"播放": "views"}}) == []
    assert errors("profile", {"id": "p", "name": {"zh": "甲", "en": "a"}, "columns": {"播放": "plays"}})


def test_metrics_schema_accepts_values_as_exported():
    assert errors("metrics", [{"id": "v", "views": "3.1万", "completion_rate": "29.9%", "likes": 3}]) == []
    assert errors("metrics", {"videos": [{"id": "v"}]}) == []
    assert errors("metrics", [{"id": "v", "plays": 3}])


def test_level_names_follow_the_levels_in_use():
    user = ROOT / "tests" / "fixtures" / "schemas" / "extra-level"
    result = CliRunner().invoke(cli, ["schema", "rules", "--rules", str(user)])
    assert result.exit_code == 0
    enum = json.loads(result.output)["$defs"]["MetricCondition"]["properties"]["level"]["anyOf"][0]["enum"]
    assert "very_high" in enum and "high" in enum
    shipped_enum = json.loads(schema_text("rules", load_ruleset()))["$defs"]["MetricCondition"]["properties"]["level"]["anyOf"][0]["enum"]
    assert "very_high" not in shipped_enum


def test_schema_command_prints_each_schema_and_writes_all(tmp_path):
    runner = CliRunner()
    for name in SCHEMA_NAMES:
        result = runner.invoke(cli, ["schema", name])
        assert result.exit_code == 0
        assert json.loads(result.output)["$schema"].startswith("https://json-schema.org/")
    result = runner.invoke(cli, ["schema", "all", "--output-dir", str(tmp_path)])
    assert result.exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.schema.json" for n in SCHEMA_NAMES)
    assert runner.invoke(cli, ["schema", "all"]).exit_code == 2
