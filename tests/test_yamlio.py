"""Safe YAML loading: plain data, positions, refused constructs, limits, pydantic errors located."""

from typing import Literal, Optional

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from advisor.core.errors import AdvisorError
from advisor.core.i18n import T
from advisor.input.yamlio import load_yaml, problems_from_validation_error

DOC = """\
# a comment
name: demo
rules:
  - id: r1
    priority: high
    when: {views: 100}
  - id: r2
    note: "quoted: 10"
"""


def problem_of(text, **kwargs):
    with pytest.raises(AdvisorError) as info:
        load_yaml(text, **kwargs)
    assert len(info.value.problems) == 1
    return info.value.problems[0]


def test_plain_data_and_positions():
    data, loc = load_yaml(DOC)
    assert data == {"name": "demo", "rules": [
        {"id": "r1", "priority": "high", "when": {"views": 100}},
        {"id": "r2", "note": "quoted: 10"}]}
    assert loc.at(()) == (2, 1)
    assert loc.at(("name",)) == (2, 1)
    assert loc.at(("rules", 0)) == (4, 5)
    assert loc.at(("rules", 0, "priority")) == (5, 5)
    assert loc.at(("rules", 1, "note")) == (8, 5)
    assert loc.value_at(("rules", 1, "note")) == (8, 11)
    assert loc.at(("rules", 0, "when", "views")) == (6, 12)
    # unknown parts (a missing key, pydantic's union tags) fall back to the nearest known node
    assert loc.at(("rules", 1, "missing")) == (7, 5)
    assert loc.at(("rules", "function-after[x]", 1, "note")) == (8, 5)


def test_yaml_1_2_scalars():
    data, _ = load_yaml("a: on\nb: no\nc: yes\nd: true\ne: 010\nf: 1:05\ng: 2026-06-25\nh: 1.5\n"
                        "i: ~\nj:\nk: .inf\nl: 1e3\nm: 'true'\nn: False\n")
    assert data == {"a": "on", "b": "no", "c": "yes", "d": True, "e": 10, "f": "1:05", "g": "2026-06-25",
                    "h": 1.5, "i": None, "j": None, "k": float("inf"), "l": 1000.0, "m": "true", "n": False}


def test_empty_document_and_bom():
    assert load_yaml("")[0] is None
    assert load_yaml("# only a comment\n")[0] is None
    assert load_yaml(b"\xef\xbb\xbfa: 1\n")[0] == {"a": 1}


def test_reads_files(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("a: [1, 2]\n", encoding="utf-8")
    data, loc = load_yaml(path)
    assert data == {"a": [1, 2]}
    assert loc.file == str(path)
    assert load_yaml(str(path))[0] == {"a": [1, 2]}  # a one-line str naming a file is read
    problem = problem_of(tmp_path / "nope.yaml")
    assert problem.file.endswith("nope.yaml") and "not found" in problem.message.en


def test_anchors_and_aliases_are_refused():
    problem = problem_of("base: &b {x: 1}\nother: *b\n", filename="r.yaml")
    assert (problem.file, problem.line, problem.col) == ("r.yaml", 1, 7)
    assert "anchors" in problem.message.en and "锚点" in problem.message.zh
    laughs = 'a: &a ["lol","lol"]\nb: &b [*a,*a]\nc: &c [*b,*b]\n'
    assert "anchors" in problem_of(laughs).message.en


def test_duplicate_keys():
    problem = problem_of("a: 1\nb:\n  x: 1\n  x: 2\n")
    assert (problem.line, problem.col) == (4, 3)
    assert "duplicate key 'x'" in problem.message.en and "line 3" in problem.message.en


def test_syntax_errors_are_located():
    problem = problem_of("a: 1\nb: [1, 2\nc: 3\n", filename="s.yaml")
    assert problem.file == "s.yaml" and problem.line is not None
    assert problem.message.en.startswith("YAML syntax error")
    assert "tabs" in problem_of("a:\n\t- 1\n").message.en
    assert "one YAML document" in problem_of("a: 1\n---\nb: 2\n").message.en


def test_tags_and_complex_keys_are_refused():
    assert "not supported" in problem_of("a: !!python/object/apply:os.system ['ls']\n").message.en
    assert "not supported" in problem_of("a: !!binary aGVsbG8=\n").message.en
    assert "plain value" in problem_of("? [a, b]\n: 1\n").message.en


def test_limits():
    assert "too large" in problem_of("a: " + "x" * 200, max_bytes=100).message.en
    deep = "a:\n" + "".join("  " * i + "b:\n" for i in range(1, 40)) + "  " * 40 + "c: 1\n"
    assert "nested too deeply" in problem_of(deep).message.en
    assert "nested too deeply" in problem_of("[" * 100 + "]" * 100).message.en
    assert "too many YAML nodes" in problem_of("[" + ", ".join(["1"] * 50) + "]", max_nodes=20).message.en
    assert "not allowed" in problem_of("a: \x07\n").message.en


# --- pydantic errors ---------------------------------------------------------------------------

class When(BaseModel):
    model_config = ConfigDict(extra="forbid")
    views: int = Field(0, ge=0)


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    priority: Literal["high", "medium", "low"] = "medium"
    when: Optional[When] = None
    weight: float = 1.0

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value):
        if " " in value:
            raise ValueError(T(zh="id 不能有空格", en="an id cannot contain spaces"))
        return value


class Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    rules: list[Rule]


RULES = """\
name: demo
rules:
  - id: r1
    priorty: high
  - id: r 2
    priority: urgent
    when: {views: -1, veiws: 3}
  - weight: heavy
"""


def test_problems_from_validation_error():
    data, loc = load_yaml(RULES, filename="rules.yaml")
    with pytest.raises(ValidationError) as info:
        Doc.model_validate(data)
    problems = problems_from_validation_error(info.value, loc, "rules.yaml", model=Doc)
    by_field = {p.field: p for p in problems}
    assert all(p.file == "rules.yaml" for p in problems)

    extra = by_field["rules[0].priorty"]
    assert (extra.line, extra.col) == (4, 5)
    assert extra.message.en == "unknown key 'priorty' (did you mean priority?)"
    assert "未知的键 'priorty'" in extra.message.zh

    custom = by_field["rules[1].id"]
    assert custom.line == 5 and custom.message.en == "an id cannot contain spaces"

    literal = by_field["rules[1].priority"]
    assert literal.line == 6 and "expected one of 'high', 'medium' or 'low'" in literal.message.en
    assert "'urgent'" in literal.message.en

    bound = by_field["rules[1].when.views"]
    assert bound.line == 7 and bound.message.en == "must be ≥ 0, found -1"
    nested_extra = by_field["rules[1].when.veiws"]
    assert "did you mean views?" in nested_extra.message.en  # the nested model's own fields

    missing = by_field["rules[2].id"]
    assert (missing.line, missing.col) == (8, 5)  # the list item: the key is not there
    assert missing.message.en == "missing required key 'id'"
    assert "expected a number" in by_field["rules[2].weight"].message.en
    assert [p.line for p in problems] == sorted(p.line for p in problems)  # file order


def test_validation_error_with_base_path_and_known_keys():
    data, loc = load_yaml("levels:\n  views:\n    hihg: 3\n")
    with pytest.raises(ValidationError) as info:
        When.model_validate(data["levels"]["views"])
    problems = problems_from_validation_error(info.value, loc, "l.yaml", base_path=("levels", "views"),
                                              known_keys={(): ["high", "low"]})
    assert (problems[0].line, problems[0].col) == (3, 5)
    assert problems[0].message.en == "unknown key 'hihg' (did you mean high?)"
    problems = problems_from_validation_error(info.value, loc, "l.yaml", base_path=("levels", "views"),
                                              known_keys=lambda path: ["hight"])
    assert "did you mean hight?" in problems[0].message.en
