"""A posted video's numbers: canonical fields, derived rates, and the flat fact the engines see.

Every field but `id` may be missing. A derived rate is missing when what it divides by is
missing or zero, so a rule that needs it does not fire and says which input was absent.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from advisor.core.i18n import T

Form = Literal["short_video", "long_video", "live", "image_text"]
FORMS: tuple[str, ...] = ("short_video", "long_video", "live", "image_text")

Kind = Literal["count", "rate", "seconds", "ratio", "text", "enum", "date", "bool"]


class VideoMetrics(BaseModel):
    """One video's metrics as exported, under canonical names."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, description="The video's id (视频ID).")
    title: Optional[str] = Field(None, description="Title or description (视频描述).")
    published_at: Optional[dt.date] = Field(None, description="Publish date (发布时间).")
    form: Optional[Form] = Field(None, description="Content form (体裁).")
    variant: Optional[str] = Field(None, description="A/B variant label, when testing.")
    duration_s: Optional[float] = Field(None, ge=0, description="Length in seconds (时长).")
    views: Optional[int] = Field(None, ge=0, description="Plays (播放量).")
    likes: Optional[int] = Field(None, ge=0, description="👍 likes (点赞; 视频号 export: 喜欢).")
    hearts: Optional[int] = Field(None, ge=0, description="♡ hearts (小红心; 视频号 export: 推荐).")
    comments: Optional[int] = Field(None, ge=0, description="Comments (评论量).")
    shares: Optional[int] = Field(None, ge=0, description="Shares (分享量/转发).")
    follows: Optional[int] = Field(None, ge=0, description="New followers (关注量/涨粉).")
    completion_rate: Optional[float] = Field(None, ge=0, le=1, description="Completion rate, 0-1 (完播率).")
    avg_watch_s: Optional[float] = Field(None, ge=0, description="Average watch time in seconds (平均播放时长).")
    retention_rate: Optional[float] = Field(None, ge=0, le=1, description="Retention rate, 0-1 (留存率).")
    rewatch_rate: Optional[float] = Field(None, ge=0, le=1, description="Rewatch rate, 0-1 (复看率).")

    def derived(self) -> dict[str, float]:
        """The derived rates that can be computed from the fields present."""
        out: dict[str, float] = {}
        for name, spec in DERIVED.items():
            num = sum_present(self, spec.numerator)
            den = getattr(self, spec.denominator)
            if num is None or den is None or den == 0:
                continue
            out[name] = num / den
        return out

    def to_fact(self) -> dict:
        """The flat dict the engines evaluate: present, finite values only (no None, NaN, inf)."""
        fact: dict = {}
        for name, value in self:
            if value is None:
                continue
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, float) and not math.isfinite(value):
                continue
            fact[name] = value
        fact.update(self.derived())
        return fact


class Derived:
    """A derived rate: the sum of some counts over a denominator."""

    def __init__(self, numerator: tuple[str, ...], denominator: str, label: T, description: T):
        self.numerator = numerator
        self.denominator = denominator
        self.label = label
        self.description = description


def sum_present(video: VideoMetrics, names: tuple[str, ...]) -> float | None:
    """Sum of the named counts; None when any of them is missing (a partial sum would mislead)."""
    total = 0
    for name in names:
        value = getattr(video, name)
        if value is None:
            return None
        total += value
    return total


DERIVED: dict[str, Derived] = {
    "like_rate": Derived(("likes",), "views", T(zh="点赞率", en="like rate"),
                         T(zh="点赞数 ÷ 播放量", en="likes ÷ views")),
    "heart_rate": Derived(("hearts",), "views", T(zh="小红心率", en="heart rate"),
                          T(zh="小红心数 ÷ 播放量", en="hearts ÷ views")),
    "comment_rate": Derived(("comments",), "views", T(zh="评论率", en="comment rate"),
                            T(zh="评论数 ÷ 播放量", en="comments ÷ views")),
    "share_rate": Derived(("shares",), "views", T(zh="分享率", en="share rate"),
                          T(zh="分享数 ÷ 播放量", en="shares ÷ views")),
    "follow_rate": Derived(("follows",), "views", T(zh="关注转化率", en="follow rate"),
                           T(zh="新增关注 ÷ 播放量", en="new followers ÷ views")),
    "hearts_per_like": Derived(("hearts",), "likes", T(zh="心赞比", en="hearts per like"),
                               T(zh="小红心数 ÷ 点赞数", en="hearts ÷ likes")),
    "followup_rate": Derived(("comments", "shares"), "views", T(zh="后续互动率", en="follow-up rate"),
                             T(zh="(评论 + 分享) ÷ 播放量", en="(comments + shares) ÷ views")),
}


class FieldInfo:
    """What a metric is called and how its values read, for explanations and schemas."""

    def __init__(self, kind: Kind, label: T):
        self.kind = kind
        self.label = label


FIELDS: dict[str, FieldInfo] = {
    "id": FieldInfo("text", T(zh="视频ID", en="video id")),
    "title": FieldInfo("text", T(zh="标题", en="title")),
    "published_at": FieldInfo("date", T(zh="发布时间", en="published")),
    "form": FieldInfo("enum", T(zh="体裁", en="form")),
    "variant": FieldInfo("text", T(zh="实验组", en="variant")),
    "duration_s": FieldInfo("seconds", T(zh="时长", en="duration")),
    "views": FieldInfo("count", T(zh="播放量", en="views")),
    "likes": FieldInfo("count", T(zh="点赞", en="likes")),
    "hearts": FieldInfo("count", T(zh="小红心", en="hearts")),
    "comments": FieldInfo("count", T(zh="评论", en="comments")),
    "shares": FieldInfo("count", T(zh="分享", en="shares")),
    "follows": FieldInfo("count", T(zh="新增关注", en="new followers")),
    "completion_rate": FieldInfo("rate", T(zh="完播率", en="completion rate")),
    "avg_watch_s": FieldInfo("seconds", T(zh="平均播放时长", en="average watch time")),
    "retention_rate": FieldInfo("rate", T(zh="留存率", en="retention rate")),
    "rewatch_rate": FieldInfo("rate", T(zh="复看率", en="rewatch rate")),
}
FIELDS.update({name: FieldInfo("ratio" if name == "hearts_per_like" else "rate", d.label)
               for name, d in DERIVED.items()})

# Names a review rule may test: the canonical fields and the derived rates.
VIDEO_METRICS: tuple[str, ...] = tuple(FIELDS)
NUMERIC_KINDS = {"count", "rate", "seconds", "ratio"}
