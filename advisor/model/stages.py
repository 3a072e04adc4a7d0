"""The stage registry: every stage a rule can belong to, in one place.

A stage is one kind of fact the rules judge. Its entry says what the fact is (the pydantic model
that validates it, when there is one), which fields a rule of the stage may test, and the key a
rule-test case uses for its input. The rule format (advisor.model.rules_model), the heuristics
catalogue, the semantic checks, the schemas and `rules test` all derive their stage lists from
STAGES, so adding a stage is one entry here plus the job that builds its facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Optional

from pydantic import BaseModel

from advisor.core.i18n import T
from advisor.model.metrics import FIELDS, FieldInfo, VideoMetrics
from advisor.model.plan import CTA_FIELDS, PLAN_FIELDS, Plan
from advisor.model.stage_fields import EXPERIMENT_FIELDS, GOAL_FIELDS, SEGMENT_FIELDS


@dataclass(frozen=True)
class StageSpec:
    name: str
    label: T
    fields: dict[str, FieldInfo]  # what a rule of this stage may test
    test_key: str  # the key of a rule-test case's input: `video: {...}`, `plan: {...}`, `text: "..."`
    fact_model: Optional[type[BaseModel]] = None  # validates the input, when the stage has a model
    history: bool = False  # whether a rule-test case may give the account's history


STAGES: dict[str, StageSpec] = {s.name: s for s in (
    StageSpec("review", T(zh="复盘已发布的视频", en="a posted video's metrics"), FIELDS, "video",
              VideoMetrics, history=True),
    StageSpec("plan", T(zh="发布前的视频计划", en="a planned video"), PLAN_FIELDS, "plan", Plan),
    StageSpec("cta", T(zh="一段号召文案", en="one call-to-action text"), CTA_FIELDS, "text"),
    StageSpec("experiment", T(zh="A/B 两组比较的一个信号", en="one signal compared between two variants"),
              EXPERIMENT_FIELDS, "experiment"),
    StageSpec("goal", T(zh="一个周目标或整组目标", en="one weekly target, or the goal set"), GOAL_FIELDS, "goal"),
    StageSpec("segment", T(zh="一位观众或一个观众分层", en="one viewer, or one audience tier"),
              SEGMENT_FIELDS, "segment"),
)}

STAGE_NAMES: tuple[str, ...] = tuple(STAGES)
# The type of a `stage:` value in rule files and the catalogue (pydantic turns it into an enum).
Stage = Literal[STAGE_NAMES]  # type: ignore[valid-type]

STAGE_FIELDS: dict[str, dict[str, FieldInfo]] = {name: spec.fields for name, spec in STAGES.items()}
