"""Loading rule folders: validation with located errors, and layering over the shipped rules."""

import textwrap

import pytest

from advisor.core.errors import AdvisorError
from advisor.input.ruleset import collect_ruleset, load_ruleset

TITLE = '{zh: "标题", en: "title"}'


def write(folder, name, text):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def messages(problems, lang="en"):
    return [p.format(lang) for p in problems]


def test_shipped_rules_load_and_cover_review_stage():
    ruleset = load_ruleset()
    review = [r.id for r in ruleset.active("review")]
    assert "emotion-gap" in review and "short-lived-heat" in review
    assert all(r.origin == "shipped" for r in ruleset.rules)


def test_misspelt_metric_is_located_with_did_you_mean(tmp_path):
    path = write(tmp_path / "mine", "my.yaml", f"""\
        - id: my-gap
          heuristics: [H10]
          stage: review
          when:
            all:
              - metric: completion_rat
                level: high
          then:
            title: {TITLE}
        """)
    _, problems = collect_ruleset([tmp_path / "mine"])
    assert messages(problems) == [
        f"{path}:6:17: unknown metric completion_rat for a review rule; did you mean completion_rate?"]
    assert "是不是 completion_rate" in messages(problems, "zh")[0]


def test_the_minimal_rule_of_the_format_loads_exactly_as_written(tmp_path):
    write(tmp_path / "mine", "min.yaml", """\
        - id: emotion-gap
          heuristics: [H10]
          stage: review
          priority: high
          when:
            all:
              - metric: completion_rate
                level: high
              - metric: heart_rate
                op: "<"
                value: 0.005
          then:
            title: {zh: "...", en: "..."}
            explain: {zh: "... {{ completion_rate | pct }} ...", en: "..."}
            actions:
              - {zh: "...", en: "..."}
        """)
    ruleset = load_ruleset([tmp_path / "mine"])
    rule = ruleset.get("emotion-gap")
    assert rule.origin == str(tmp_path / "mine")  # replaced the shipped rule of the same id
    assert rule.rule.when.all[1].value == 0.005


def test_patch_switches_a_shipped_rule_off_and_unknown_ids_are_errors(tmp_path):
    path = write(tmp_path / "mine", "off.yaml", """\
        - id: emotion-gap
          enabled: false
        - id: depth-gapp
          priority: low
        """)
    ruleset, problems = collect_ruleset([tmp_path / "mine"])
    assert not ruleset.get("emotion-gap").rule.enabled
    assert "emotion-gap" not in [r.id for r in ruleset.active("review")]
    assert messages(problems) == [f"{path}:3:7: no rule with id depth-gapp to change; did you mean depth-gap?"]


def test_duplicate_ids_in_one_folder_name_the_first(tmp_path):
    body = f"""\
        - id: twice
          heuristics: [H05]
          stage: review
          when: {{metric: views, op: ">", value: 1}}
          then: {{title: {TITLE}}}
        """
    first = write(tmp_path / "mine", "a.yaml", body)
    second = write(tmp_path / "mine", "b.yaml", body)
    _, problems = collect_ruleset([tmp_path / "mine"])
    assert messages(problems) == [f"{second}:1:7: duplicate rule id twice (first defined at {first}:1)"]


def test_missing_language_wrong_type_unknown_key_unknown_heuristic(tmp_path):
    path = write(tmp_path / "mine", "bad.yaml", """\
        - id: bad
          heuristics: [H99]
          stage: review
          priorty: high
          when: {metric: views, op: ">", value: "many"}
          then:
            title: {zh: 只有中文}
        """)
    _, problems = collect_ruleset([tmp_path / "mine"])
    text = "\n".join(messages(problems))
    assert f"{path}:4:3:" in text and "priorty" in text and "priority" in text
    assert f"{path}:7:5: missing required key 'en'" in text
    assert f"{path}:5:3: `>` compares numbers" in text


def test_levels_and_heuristic_ids_are_checked(tmp_path):
    path = write(tmp_path / "mine", "lv.yaml", f"""\
        - id: lv
          heuristics: [H1O]
          stage: review
          when: {{metric: heart_rate, level: hihg}}
          then: {{title: {TITLE}}}
        """)
    _, problems = collect_ruleset([tmp_path / "mine"])
    text = "\n".join(messages(problems))
    assert f"{path}:2:16: unknown heuristic ID H1O" in text
    assert "has no level named hihg" in text and "did you mean high?" in text


def test_user_levels_override_level_by_level(tmp_path):
    write(tmp_path / "mine", "levels.yaml", """\
        metrics:
          heart_rate:
            low: {op: "<", absolute: {default: 0.002}}
        """)
    ruleset = load_ruleset([tmp_path / "mine"])
    assert ruleset.levels.metrics["heart_rate"]["low"].absolute == {"default": 0.002}
    assert ruleset.levels.metrics["heart_rate"]["high"].percentile == 70  # shipped level kept
    assert ruleset.levels.min_history == 10


def test_invalid_folder_stops_the_whole_load(tmp_path):
    write(tmp_path / "mine", "broken.yaml", "- id: [unclosed\n")
    with pytest.raises(AdvisorError) as info:
        load_ruleset([tmp_path / "mine"])
    assert info.value.problems[0].file.endswith("broken.yaml")
    assert info.value.problems[0].line is not None
