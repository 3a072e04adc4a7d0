"""A planned video, described before publishing: the fact of the `plan` stage, and the `cta` stage's fact."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from advisor.core.i18n import T
from advisor.model.metrics import METRICS, FieldInfo, Form
from advisor.model.spoken import spoken_budget, spoken_length

Goal = Literal["exposure", "relationship", "both"]
CtaPosition = Literal["start", "middle", "end"]
AccountStage = Literal["new", "growing", "established"]


class Plan(BaseModel):
    """What an operator knows about a video before publishing. All fields but `id` are optional."""

    # defer_build: validator and serializer built on first use; a review never validates a plan.
    model_config = ConfigDict(extra="forbid", defer_build=True)

    id: str = Field(min_length=1, description="The plan's id.")
    title: Optional[str] = Field(None, description="Working title.")
    goal: Optional[Goal] = Field(None, description="exposure (reach, likes), relationship (hearts), or both.")
    form: Optional[Form] = Field(None, description="Content form.")
    duration_s: Optional[float] = Field(None, ge=0, description="Planned length in seconds.")
    topic: Optional[str] = Field(None, description="What the video is about.")
    hook_at_s: Optional[float] = Field(None, ge=0, description="When the opening emotional hook lands, in seconds.")
    shareable_moment_at_s: Optional[float] = Field(None, ge=0, description="When the shareable point or laugh lands.")
    storyline: Optional[bool] = Field(None, description="Part of a continuing storyline.")
    series: Optional[str] = Field(None, description="The series it belongs to.")
    behind_the_scenes: Optional[bool] = Field(None, description="Shows the process behind the scenes.")
    personal_perspective: Optional[bool] = Field(None, description="Told from the creator's own perspective.")
    participation_path: Optional[str] = Field(None, description="How viewers take part: what, where, why.")
    cta_text: Optional[str] = Field(None, description="The call to action as it will be spoken or shown.")
    cta_position: Optional[CtaPosition] = Field(None, description="Where the call to action sits.")
    account_stage: Optional[AccountStage] = Field(None, description="new, growing or established account.")
    activity: Optional[str] = Field(None, description="A campaign it is part of, e.g. a weekly topic series.")
    live_at: Optional[str] = Field(None, max_length=40, description=(
        "Live streams: when it starts (开播时间), as the preview will say it, e.g. 周五 20:00."))
    reservation: Optional[bool] = Field(None, description="Live streams: the preview carries the 预约 (reserve) entry.")
    lucky_bag: Optional[bool] = Field(None, description=(
        "A 福袋 / prize draw is planned. In a live room it is the platform's own tool; in a video it "
        "trades a reward for engagement."))

    def to_fact(self) -> dict:
        """The plan's fields, and what the plan stage derives: the CTA's spoken length and its overrun."""
        fact = {name: value for name, value in self if value is not None}
        if self.cta_text and self.form != "image_text":
            spoken = spoken_length(self.cta_text).seconds
            fact["cta_spoken_s"] = spoken
            budget = spoken_budget(self.duration_s) if self.duration_s else None
            if budget is not None:
                fact["cta_budget_s"] = budget
                fact["cta_over_s"] = round(spoken - budget, 1)
        return fact


PLAN_FIELDS: dict[str, FieldInfo] = {
    "id": FieldInfo("text", T(zh="计划ID", en="plan id")),
    "title": METRICS["title"],  # a plan's title, form and duration are the video's (the metric registry)
    "goal": FieldInfo("enum", T(zh="互动目标", en="goal")),
    "form": METRICS["form"],
    "duration_s": METRICS["duration_s"],
    "topic": FieldInfo("text", T(zh="主题", en="topic")),
    "hook_at_s": FieldInfo("seconds", T(zh="情绪钩子出现时间", en="hook time")),
    "shareable_moment_at_s": FieldInfo("seconds", T(zh="可分享时刻", en="shareable moment")),
    "storyline": FieldInfo("bool", T(zh="连续故事线", en="storyline")),
    "series": FieldInfo("text", T(zh="系列", en="series")),
    "behind_the_scenes": FieldInfo("bool", T(zh="幕后过程", en="behind the scenes")),
    "personal_perspective": FieldInfo("bool", T(zh="个人视角", en="personal perspective")),
    "participation_path": FieldInfo("text", T(zh="参与路径", en="participation path")),
    "cta_text": FieldInfo("text", T(zh="号召文案", en="CTA text")),
    "cta_position": FieldInfo("enum", T(zh="号召位置", en="CTA position")),
    "account_stage": FieldInfo("enum", T(zh="账号阶段", en="account stage")),
    "activity": FieldInfo("text", T(zh="活动", en="activity")),
    "live_at": FieldInfo("text", T(zh="开播时间", en="start time")),
    "reservation": FieldInfo("bool", T(zh="预约入口", en="reservation entry")),
    "lucky_bag": FieldInfo("bool", T(zh="福袋", en="lucky bag")),
    # derived from cta_text and duration_s (Plan.to_fact)
    "cta_spoken_s": FieldInfo("seconds", T(zh="号召口播时长", en="CTA spoken length")),
    "cta_budget_s": FieldInfo("seconds", T(zh="号召时长上限", en="CTA length limit")),
    "cta_over_s": FieldInfo("seconds", T(zh="号召超出时长", en="CTA overrun")),
}

# The cta stage checks one text: a call to action (from `advisor cta check` or a plan's cta_text).
CTA_FIELDS: dict[str, FieldInfo] = {
    "text": FieldInfo("text", T(zh="号召文案", en="CTA text")),
}
