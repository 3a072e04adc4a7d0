"""The rule format: what operators write in rules/*.yaml, as pydantic models.

A rule file is a YAML list of rules. The minimal rule of the format:

    - id: emotion-gap
      heuristics: [H10]
      stage: review            # review | plan | cta | experiment | goal | segment
      priority: high           # high | medium | low
      when:
        all:                   # all / any / not, nestable
          - metric: completion_rate
            level: high        # a named level from levels.yaml ...
          - metric: heart_rate
            op: "<"            # ... or a comparison
            value: 0.005
      then:
        title: {zh: "...", en: "..."}
        explain: {zh: "...", en: "..."}
        actions:
          - {zh: "...", en: "..."}

Which metric names a rule may use depends on its stage, so that check (with a did-you-mean)
happens in advisor.input.ruleset, where the file positions are known.
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, PrivateAttr, Tag, model_validator

from advisor.core import regex
from advisor.core.i18n import T
from advisor.model.stages import Stage

Priority = Literal["high", "medium", "low"]
PRIORITY_RANK = {"high": 0, "medium": 1, "low": 2}

Op = Literal["<", "<=", ">", ">=", "==", "!=", "in", "not_in", "exists", "missing", "contains", "matches"]
NUMERIC_OPS = ("<", "<=", ">", ">=")
TEXT_OPS = ("contains", "matches")
PRESENCE_OPS = ("exists", "missing")
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
SIGNAL_PATTERN = r"^[a-z][a-z0-9_]*$"
MAX_PATTERN_LENGTH = 500

Scalar = Union[bool, int, float, str]


class _Strict(BaseModel):
    # defer_build: validators and serializers are built when first needed (see the end of the module).
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


class MetricCondition(_Strict):
    """Compare one metric with a named level or with a value."""

    metric: str = Field(description="A metric (review), a plan field (plan) or `text` (cta).")
    level: Optional[str] = Field(None, description="A named level of this metric from levels.yaml, e.g. high.")
    op: Optional[Op] = Field(None, description="The comparison, when not using a level.")
    value: Optional[Union[Scalar, list[Scalar]]] = Field(
        None, description="What to compare with: a number, text, true/false, or a list for in / not_in / contains."
    )
    note: Optional[T] = Field(None, description="Shown in explanations when this condition decides.")
    same_sentence: Optional[list[str]] = Field(
        None, description="Text conditions: the value must match inside a sentence that also has one of these "
                          "(patterns for `matches`, phrases for `contains`), apart from the value's own match.")
    unless: Optional[list[str]] = Field(
        None, description="With `same_sentence`: a sentence that has one of these (patterns or phrases) does not count.")

    @model_validator(mode="after")
    def _one_way_to_compare(self):
        if (self.level is None) == (self.op is None):
            raise ValueError(T(zh="请给出 `level`,或者 `op` 加 `value`,二者选一", en="give either `level` or `op` (with `value`), not both and not neither"))
        if self.level is not None and self.value is not None:
            raise ValueError(T(zh="`value` 要和 `op` 一起用;`level` 自带阈值", en="`value` goes with `op`; a `level` brings its own thresholds"))
        if self.op in PRESENCE_OPS:
            if self.value is not None:
                raise ValueError(T(zh=f"`{self.op}` 不需要 `value`", en=f"`{self.op}` takes no `value`"))
        elif self.op is not None and self.value is None:
            raise ValueError(T(zh=f"`op: \"{self.op}\"` 需要一个 `value`", en=f"`op: \"{self.op}\"` needs a `value`"))
        if self.op in ("in", "not_in", "contains") and isinstance(self.value, list) and not self.value:
            raise ValueError(T(zh="取值列表是空的", en="the list of values is empty"))
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(T(zh=f"`{self.op}` 需要一个取值列表", en=f"`{self.op}` needs a list of values"))
        if self.op in NUMERIC_OPS and (isinstance(self.value, (bool, str, list))):
            raise ValueError(T(zh=f"`{self.op}` 比较的是数字,`value` 应为数字", en=f"`{self.op}` compares numbers; `value` must be a number"))
        if self.op in TEXT_OPS:
            values = self.value if isinstance(self.value, list) else [self.value]
            if not all(isinstance(v, str) and v for v in values):
                raise ValueError(T(zh=f"`{self.op}` 需要非空文本(或文本列表)", en=f"`{self.op}` needs non-empty text (or a list of texts)"))
            for v in values:
                if len(v) > MAX_PATTERN_LENGTH:
                    raise ValueError(T(zh=f"模式超过 {MAX_PATTERN_LENGTH} 个字符", en=f"a pattern is longer than {MAX_PATTERN_LENGTH} characters"))
                if self.op == "matches":
                    # RE2 (linear time) runs operators' patterns; what it refuses cannot run safely.
                    problem = regex.pattern_problem(v)
                    if problem is not None:
                        raise ValueError(problem)
        self._sentence_parts()
        return self

    def _sentence_parts(self) -> None:
        if self.same_sentence is None and self.unless is None:
            return
        if self.op not in TEXT_OPS:
            raise ValueError(T(zh="`same_sentence` 和 `unless` 只能用在 `contains` / `matches` 上",
                               en="`same_sentence` and `unless` go only with `contains` / `matches`"))
        if not self.same_sentence:
            raise ValueError(T(zh="`unless` 要和非空的 `same_sentence` 一起用", en="`unless` needs a non-empty `same_sentence`"))
        for key, values in (("same_sentence", self.same_sentence), ("unless", self.unless or [])):
            for v in values:
                if not isinstance(v, str) or not v:
                    raise ValueError(T(zh=f"`{key}` 需要非空文本的列表", en=f"`{key}` needs a list of non-empty texts"))
                if len(v) > MAX_PATTERN_LENGTH:
                    raise ValueError(T(zh=f"模式超过 {MAX_PATTERN_LENGTH} 个字符", en=f"a pattern is longer than {MAX_PATTERN_LENGTH} characters"))
                if self.op == "matches":
                    problem = regex.pattern_problem(v)
                    if problem is not None:
                        raise ValueError(T(zh=f"`{key}` 里的 {problem.zh}", en=f"in `{key}`: {problem.en}"))

    def values(self) -> list:
        return self.value if isinstance(self.value, list) else [self.value]


class SignalCondition(_Strict):
    """True when another rule of the same stage derived this signal for the video (chaining)."""

    signal: str = Field(pattern=SIGNAL_PATTERN, description="A signal set by another rule's `then.signal`.")
    note: Optional[T] = None


class AllCondition(_Strict):
    all: list["Condition"] = Field(min_length=1)


class AnyCondition(_Strict):
    any: list["Condition"] = Field(min_length=1)


class NotCondition(_Strict):
    not_: "Condition" = Field(alias="not")


def _condition_kind(value) -> str | None:
    """Pick the condition model by its keys, so errors speak of one kind only."""
    if isinstance(value, BaseModel):
        return {MetricCondition: "cond:metric", SignalCondition: "cond:signal", AllCondition: "cond:all",
                AnyCondition: "cond:any", NotCondition: "cond:not"}.get(type(value))
    if isinstance(value, dict):
        for key in ("all", "any", "not", "signal", "metric"):
            if key in value:
                return f"cond:{key}"
    return None


def is_tag(loc_part) -> bool:
    """pydantic puts the chosen tag into error locations; it is not a key of the YAML file."""
    return isinstance(loc_part, str) and loc_part.startswith("cond:")


Condition = Annotated[
    Union[
        Annotated[MetricCondition, Tag("cond:metric")],
        Annotated[SignalCondition, Tag("cond:signal")],
        Annotated[AllCondition, Tag("cond:all")],
        Annotated[AnyCondition, Tag("cond:any")],
        Annotated[NotCondition, Tag("cond:not")],
    ],
    Discriminator(
        _condition_kind,
        custom_error_type="condition_kind",
        custom_error_message="a condition needs one of the keys all, any, not, metric, signal",
    ),
]

# The models are built on first use (defer_build, _Strict): a rule set loaded from the cache
# (advisor.input.ruleset) never validates one, so a warm start skips building their validators.
# The forward reference to Condition is resolved then, from this module.


class OkText(_Strict):
    """Plan stage: what the checklist says when the rule does not fire (the item is satisfied)."""

    title: T
    explain: Optional[T] = None


class Then(_Strict):
    title: Optional[T] = Field(None, description="The finding's headline. A rule without a title only derives a signal.")
    explain: Optional[T] = Field(None, description="Why it matters; may use {{ metric | pct }} and other filters.")
    actions: list[T] = Field(default_factory=list, description="Concrete next steps.")
    signal: Optional[str] = Field(None, pattern=SIGNAL_PATTERN, description="A signal other rules can match.")
    status: Optional[Literal["todo", "consider"]] = Field(
        None, description="Plan stage: the checklist status when the rule fires (default todo)."
    )
    ok: Optional[OkText] = Field(None, description="Plan stage: the checklist item when the rule does not fire.")
    cta_lead: Optional[Literal["like", "heart"]] = Field(
        None, description="Review stage: which CTA track should lead the next video."
    )
    suggestion: Optional[T] = Field(None, description="CTA stage: a suggested rewrite.")

    @model_validator(mode="after")
    def _says_something(self):
        if self.title is None and self.signal is None:
            raise ValueError(T(zh="`then` 需要 `title`(建议)或 `signal`(供其他规则使用),或两者都有", en="`then` needs a `title` (advice) or a `signal` (for other rules), or both"))
        return self


class Rule(_Strict):
    id: str = Field(pattern=ID_PATTERN, description="Stable id, lower-case letters, digits, - and _.")
    heuristics: list[str] = Field(min_length=1, description="Catalogue IDs (H01-H20) this rule encodes.")
    stage: Stage
    priority: Priority = "medium"
    enabled: bool = True
    description: Optional[T] = Field(None, description="What the rule checks, for `advisor rules show`.")
    excludes: list[str] = Field(
        default_factory=list,
        description="Rule ids whose findings this rule takes off the card when it fires (their signals still hold): "
                    "for diagnoses that contradict it, or that a combined diagnosis replaces.")
    when: Condition
    then: Then
    # Where the rule was read (file, index in its list, the file's locator), set by the loader, so
    # a text that fails at run time is reported at its line. Not part of the rule format.
    _where: Optional[tuple] = PrivateAttr(default=None)

    def locate(self, subpath: tuple = ()) -> dict:
        """file, line, col and field of the value at `subpath` of this rule, for a Problem."""
        field = ".".join(map(str, subpath)) or None
        if self._where is None:
            return {"field": field}
        file, index, locator = self._where
        line, col = locator.value_at((index,) + tuple(subpath)) if locator is not None else (None, None)
        return {"file": file, "line": line, "col": col, "field": field}


class RulePatch(_Strict):
    """A user rule entry that only switches a shipped rule on/off or changes its priority."""

    id: str = Field(pattern=ID_PATTERN)
    enabled: Optional[bool] = None
    priority: Optional[Priority] = None


def iter_conditions(cond, path=("when",)):
    """Yield (path, condition) for every condition in a tree, pre-order, with key paths."""
    yield path, cond
    if isinstance(cond, AllCondition):
        for i, child in enumerate(cond.all):
            yield from iter_conditions(child, path + ("all", i))
    elif isinstance(cond, AnyCondition):
        for i, child in enumerate(cond.any):
            yield from iter_conditions(child, path + ("any", i))
    elif isinstance(cond, NotCondition):
        yield from iter_conditions(cond.not_, path + ("not",))


def leaf_conditions(cond):
    """(path, condition) for the metric and signal conditions only, in order."""
    return [(p, c) for p, c in iter_conditions(cond) if isinstance(c, (MetricCondition, SignalCondition))]


def rule_texts(rule, *, notes: bool = True):
    """(key path inside the rule, T) of every text of a rule: the `then` texts, the description
    and, with `notes`, the notes of its conditions. The one list semantics, lint and `rules check`
    render and check."""
    then = rule.then
    for key in ("title", "explain", "suggestion"):
        if getattr(then, key) is not None:
            yield ("then", key), getattr(then, key)
    for i, action in enumerate(then.actions):
        yield ("then", "actions", i), action
    if then.ok is not None:
        yield ("then", "ok", "title"), then.ok.title
        if then.ok.explain is not None:
            yield ("then", "ok", "explain"), then.ok.explain
    if rule.description is not None:
        yield ("description",), rule.description
    if notes:
        for path, cond in leaf_conditions(rule.when):
            if cond.note is not None:
                yield path + ("note",), cond.note
