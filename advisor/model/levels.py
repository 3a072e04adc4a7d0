"""Named levels (high, low, ...) per metric, and the thresholds they resolve to for one video.

A level has an absolute threshold per content form (with a `default`) and, optionally, a
percentile of the account's own history. The percentile is used when the history holds at
least `min_history` videos of the same form with that metric; otherwise the absolute one is.
Every resolved threshold remembers where it came from, so explanations can say so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

from advisor.core.i18n import Lang, T
from advisor.model.metrics import FIELDS, FORMS

LevelOp = Literal["<", "<=", ">", ">="]


class LevelDef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    op: LevelOp = Field(description="How a value compares with the threshold to be at this level.")
    absolute: dict[str, float] = Field(
        description="Threshold per content form (short_video, long_video, live, image_text) and a `default`."
    )
    percentile: Optional[float] = Field(
        None, gt=0, lt=100, description="Percentile of the account's history (e.g. 70 for P70), used when enough history."
    )
    description: Optional[T] = None

    @model_validator(mode="after")
    def _forms(self):
        unknown = [k for k in self.absolute if k != "default" and k not in FORMS]
        if unknown:
            raise ValueError(T(zh=f"`absolute` 里的体裁 {unknown[0]!r} 未知;应为 default 或 {', '.join(FORMS)}",
                                 en=f"unknown form {unknown[0]!r} in `absolute`; expected default or one of {', '.join(FORMS)}"))
        if "default" not in self.absolute:
            raise ValueError(T(zh="`absolute` 需要一个 `default` 阈值(体裁未知时使用)",
                                 en="`absolute` needs a `default` threshold (used when the form is unknown)"))
        return self


class Levels(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_history: int = Field(10, ge=1, description="Videos of a form needed before percentiles replace absolute thresholds.")
    metrics: dict[str, dict[str, LevelDef]] = Field(default_factory=dict)

    def merged(self, other: "Levels", *, override_min_history: bool) -> "Levels":
        """These levels with `other` laid over them, level by level within each metric."""
        metrics = {m: dict(levels) for m, levels in self.metrics.items()}
        for metric, levels in other.metrics.items():
            metrics.setdefault(metric, {}).update(levels)
        return Levels(
            min_history=other.min_history if override_min_history else self.min_history,
            metrics=metrics,
        )


def percentile(sorted_values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default, 'type 7')."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    pos = (len(sorted_values) - 1) * p / 100.0
    lo = math.floor(pos)
    hi = math.ceil(pos)
    if lo == hi:
        return float(sorted_values[lo])
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


class Baseline:
    """The account's history: per (form, metric), the sorted values of past videos."""

    def __init__(self, facts: list[dict], label: T):
        self.label = label  # e.g. "this batch" / "history file x.csv"
        self.n_videos = len(facts)
        self._values: dict[tuple[str | None, str], list[float]] = {}
        for fact in facts:
            form = fact.get("form")
            for metric, value in fact.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                    self._values.setdefault((form, metric), []).append(value)
        for values in self._values.values():
            values.sort()

    def values(self, metric: str, form: str | None) -> list[float]:
        return self._values.get((form, metric), [])

    def median(self, metric: str, form: str | None) -> float | None:
        values = self.values(metric, form)
        return percentile(values, 50) if values else None


@dataclass(frozen=True)
class Threshold:
    """A level resolved for one form: `value op threshold` means the value is at the level."""

    metric: str
    level: str
    op: str
    value: float
    kind: Literal["percentile", "absolute"]
    form: str | None
    percentile: float | None = None
    n: int | None = None  # history videos the percentile rests on
    short_history: int | None = None  # when absolute: how many history videos there were
    min_history: int | None = None

    def source(self, lang: Lang) -> str:
        """Where the threshold came from, in words: 'P70 of 24 videos' / 'absolute, short videos'."""
        form_label = FORM_LABELS[self.form or "default"].get(lang)
        if self.kind == "percentile":
            return T(zh="本账号 {n} 条{form}的 P{p:g}", en="P{p:g} of {n} {form}").format(
                lang, n=self.n, p=self.percentile, form=form_label)
        text = T(zh="{form}的默认阈值", en="default for {form}").format(lang, form=form_label)
        if self.short_history is not None and self.min_history:
            # No parentheses: explanations already wrap the source in them.
            text += T(zh=";历史 {k} 条,满 {m} 条才用百分位",
                      en="; history has {k}, a percentile needs {m}").format(
                lang, k=self.short_history, m=self.min_history)
        return text

    def to_json(self) -> dict:
        out = {"kind": self.kind, "form": self.form or "default"}
        if self.kind == "percentile":
            out.update(percentile=self.percentile, n=self.n)
        elif self.short_history is not None:
            out.update(history=self.short_history, min_history=self.min_history)
        return out


FORM_LABELS: dict[str, T] = {
    "short_video": T(zh="短视频", en="short videos"),
    "long_video": T(zh="长视频", en="long videos"),
    "live": T(zh="直播", en="lives"),
    "image_text": T(zh="图文", en="image-text posts"),
    "default": T(zh="未注明体裁的内容", en="videos of unknown form"),
}


def resolve(levels: Levels, metric: str, level: str, form: str | None, baseline: Baseline | None) -> Threshold:
    """The threshold of `metric` at `level` for a video of `form`, given the account's history."""
    spec = levels.metrics[metric][level]
    if spec.percentile is not None and baseline is not None:
        values = baseline.values(metric, form)
        if len(values) >= levels.min_history:
            return Threshold(metric, level, spec.op, percentile(values, spec.percentile), "percentile", form,
                             percentile=spec.percentile, n=len(values))
        short = len(values)
    else:
        short = None
    value = spec.absolute.get(form or "default", spec.absolute["default"])
    return Threshold(metric, level, spec.op, value, "absolute", form,
                     short_history=short, min_history=levels.min_history if short is not None else None)


def known_metric(name: str) -> bool:
    return name in FIELDS
