"""advisor.yaml / --config / --account: one setup a team shares, checked before anything runs."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from advisor.cli.common import settings
from advisor.cli.main import cli
from advisor.input.config import load_config
from advisor.core.errors import AdvisorError
from advisor.input.ruleset import load_ruleset

from conftest import EXAMPLES, run_cli

EXPORT = EXAMPLES / "wechat_channels_export.csv"
MY_RULES = EXAMPLES / "my-rules"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_config_names_folders_relative_to_itself(tmp_path):
    (tmp_path / "team-rules").mkdir()
    cfg = write(tmp_path / "advisor.yaml", "rules: [team-rules]\nlang: zh\nprofile: wechat_channels\nengine: python\n")
    config = load_config(cfg)
    assert config.rule_dirs() == [tmp_path / "team-rules"]
    st = settings(config_path=str(cfg))
    assert (st.lang, st.profile, st.engine) == ("zh", "wechat_channels", "python")
    assert st.rule_dirs == [tmp_path / "team-rules"]


def test_options_win_over_the_config(tmp_path):
    cfg = write(tmp_path / "advisor.yaml", "lang: zh\nengine: durable\n")
    st = settings(config_path=str(cfg), lang="en", engine="python", rules_dirs=[str(MY_RULES)])
    assert (st.lang, st.engine) == ("en", "python")
    assert st.rule_dirs[-1] == MY_RULES


def test_advisor_yaml_in_the_working_folder_is_picked_up(tmp_path, monkeypatch):
    write(tmp_path / "advisor.yaml", f"rules: ['{MY_RULES}']\nlang: en\n")
    monkeypatch.chdir(tmp_path)
    result = run_cli("rules", "list", "--stage", "review", "--format", "json")
    assert result.exit_code == 0
    origins = {r["id"]: r["origin"] for r in json.loads(result.output)["rules"]}
    assert origins["shared-but-quiet"] == str(MY_RULES)


@pytest.mark.parametrize("text, where, message", [
    ("rulez: [x]\n", (1, 1), "unknown key 'rulez' (did you mean rules?)"),
    ("lang: fr\n", (1, 1), "expected one of 'zh' or 'en'"),
    ("rules: [no-such-folder]\n", (1, 9), "no such rule folder no-such-folder"),
    ("levels:\n  heart_rat:\n    low: {op: '<', absolute: {default: 0.01}}\n", (2, 3),
     "unknown metric heart_rat; did you mean heart_rate?"),
    ("levels:\n  heart_rate:\n    low: {op: '<'}\n", (3, 5), "missing required key 'absolute'"),
    ("accounts:\n  food:\n    rules: [missing-too]\n", (3, 13), "no such rule folder missing-too"),
    ("- just a list\n", (1, 1), "a config file is a mapping"),
])
def test_an_invalid_config_is_located(tmp_path, text, where, message):
    cfg = write(tmp_path / "advisor.yaml", text)
    with pytest.raises(AdvisorError) as info:
        load_config(cfg)
    problems = info.value.problems
    assert any(message in p.message.en for p in problems), [p.format("en") for p in problems]
    hit = [p for p in problems if message in p.message.en][0]
    assert (hit.file, hit.line) == (str(cfg), where[0])
    assert hit.col == where[1]


def test_an_invalid_config_stops_review_before_anything_is_evaluated(tmp_path):
    cfg = write(tmp_path / "bad.yaml", "rules: [nowhere]\n")
    result = run_cli("review", EXPORT, "--config", cfg, "--lang", "en")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"{cfg}:1:9: no such rule folder nowhere" in result.stderr


def test_a_broken_rule_folder_from_the_config_stops_the_run(tmp_path):
    folder = tmp_path / "team-rules"
    folder.mkdir()
    write(folder / "rules.yaml", "- id: half\n  heuristics: [H10]\n  stage: review\n")
    cfg = write(tmp_path / "advisor.yaml", "rules: [team-rules]\n")
    result = run_cli("review", EXPORT, "--config", cfg, "--lang", "en")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"{folder / 'rules.yaml'}:1:3: missing required key 'when'" in result.stderr


def _commands_with_config(group=cli, prefix=()):
    # list_commands/get_command, not group.commands: the top group loads its commands lazily.
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from _commands_with_config(command, prefix + (name,))
        elif any(p.name == "config_path" for p in command.params):
            yield prefix + (name,), command


def _required_args(command) -> list[str]:
    args = []
    for param in command.params:
        if isinstance(param, click.Argument) and param.required:
            if isinstance(param.type, click.Choice):
                args.append(param.type.choices[0])
            else:
                args.append(str(EXPORT))
    return args


def test_every_command_goes_through_the_same_settings_path(tmp_path):
    """A broken advisor.yaml stops every command that reads it, with the located error."""
    cfg = write(tmp_path / "advisor.yaml", "rules: [nowhere]\n")
    commands = list(_commands_with_config())
    assert len(commands) >= 6  # review, rules check/test/list/show/docs, schema, ...
    for path, command in commands:
        result = run_cli(*path, *_required_args(command), "--config", cfg, env={"LANG": "en_US.UTF-8"})
        assert result.exit_code == 2, (path, result.output)
        assert f"{cfg}:1:9: no such rule folder nowhere" in result.stderr, (path, result.stderr)


def test_config_levels_override_the_shipped_ones(tmp_path):
    cfg = write(tmp_path / "advisor.yaml",
                "levels:\n  heart_rate:\n    low: {op: '<', absolute: {default: 0.0001}}\n")
    ruleset = settings(config_path=str(cfg)).ruleset()
    assert ruleset.levels.metrics["heart_rate"]["low"].absolute == {"default": 0.0001}
    assert ruleset.levels.metrics["heart_rate"]["high"] == load_ruleset().levels.metrics["heart_rate"]["high"]
    assert str(cfg) in ruleset.levels_files


def test_an_account_adds_its_folders_and_levels(tmp_path):
    cfg = write(tmp_path / "advisor.yaml", f"""
lang: en
levels:
  heart_rate:
    low: {{op: '<', absolute: {{default: 0.004}}}}
accounts:
  food:
    rules: ['{MY_RULES}']
    lang: zh
    levels:
      heart_rate:
        low: {{op: '<', absolute: {{default: 0.002}}}}
  travel:
    description: no changes
""")
    plain = settings(config_path=str(cfg)).ruleset()
    assert plain.get("shared-but-quiet") is None
    assert plain.levels.metrics["heart_rate"]["low"].absolute["default"] == 0.004
    food = settings(config_path=str(cfg), account="food")
    assert food.lang == "zh"
    assert food.ruleset().get("shared-but-quiet") is not None
    assert food.ruleset().levels.metrics["heart_rate"]["low"].absolute["default"] == 0.002
    result = run_cli("rules", "show", "shared-but-quiet", "--config", str(cfg), "--account", "food")
    assert result.exit_code == 0 and "被分享了很多次" in result.output
    result = run_cli("rules", "show", "shared-but-quiet", "--config", str(cfg), env={"ADVISOR_ACCOUNT": "food"})
    assert result.exit_code == 0


def test_an_unknown_account_is_refused_with_a_hint(tmp_path):
    cfg = write(tmp_path / "advisor.yaml", "accounts:\n  food: {}\n  travel: {}\n")
    result = run_cli("rules", "list", "--config", cfg, "--account", "fod", "--lang", "en")
    assert result.exit_code == 2
    assert f"{cfg}:1:1: no account named fod (did you mean food?); known: food, travel" in result.stderr


def test_a_config_profile_that_does_not_exist_is_located(tmp_path):
    cfg = write(tmp_path / "advisor.yaml", "lang: en\nprofile: wechat_chanels\n")
    result = run_cli("review", EXPORT, "--config", cfg)
    assert result.exit_code == 2 and result.stdout == ""
    assert f"{cfg}:2:10: no profile named 'wechat_chanels' (did you mean wechat_channels?)" in result.stderr


def test_the_config_language_is_used_for_errors(tmp_path):
    cfg = write(tmp_path / "advisor.yaml", "lang: zh\n")
    result = run_cli("rules", "show", "no-such-rule", "--config", cfg, env={"LANG": "en_US.UTF-8"})
    assert result.exit_code == 2
    assert "没有 id 为 no-such-rule 的规则" in result.stderr


def test_the_example_config_is_valid():
    config = load_config(EXAMPLES / "advisor.yaml")
    assert config.rule_dirs() == [MY_RULES]
    assert config.accounts
