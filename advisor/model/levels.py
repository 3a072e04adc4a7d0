"""Named levels (high, low, ...) per metric, and what they mean for one video.

A level has an absolute threshold per content form (with a `default`) and, optionally, a
percentile of the account's own history. How a level decides is its `mode`:

typical     (the default) the noise-aware judgement: a video is at "high" only when its rate is
            credibly above the account's typical range, given how many views it had (see
            advisor.stats.typical and docs/review.md). The range is fitted per form from the
            account's history and shrunk toward the absolute thresholds when history is short;
            many videos x metrics are judged together with false-discovery control. Metrics
            that are not events per view (average watch time, a viewer's counts) fall back to
            `percentile`.
percentile  the value against a percentile of the history (once it holds `min_history` videos
            of the form; before that, the absolute threshold).
absolute    the value against the absolute threshold of the form.

Every resolved threshold remembers where it came from, so explanations can say so.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import Callable, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

from advisor.core.columns import Column
from advisor.core.i18n import Lang, T
from advisor.model.metrics import DERIVED, FIELDS, FORMS
from advisor.stats.typical import (Gap, Typical, assess, assess_many, bh_cutoff, expit, fit_typical, flag_edges,
                                   logit, tails_many)

LevelOp = Literal["<", "<=", ">", ">="]
LevelMode = Literal["typical", "percentile", "absolute"]
# The band edges of the typical range (10th and 90th percentile video) in z-units of the
# between-video spread: the absolute thresholds, read as such a band, give the prior's spread.
_BAND_Z = 1.2815515655446004


class LevelDef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    op: LevelOp = Field(description="How a value compares with the threshold to be at this level.")
    absolute: dict[str, float] = Field(
        description="Threshold per content form (short_video, long_video, live, image_text) and a `default`."
    )
    percentile: Optional[float] = Field(
        None, gt=0, lt=100, description="Percentile of the account's history (e.g. 70 for P70), used when enough history."
    )
    mode: Optional[LevelMode] = Field(
        None, description="typical (noise-aware, the default), percentile or absolute; unset: the file's default_mode.")
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


class TypicalSettings(BaseModel):
    """How sure the noise-aware mode must be before it calls a video high or low."""

    model_config = ConfigDict(extra="forbid", frozen=True)  # frozen: thresholds holding it are hashed

    band: tuple[float, float] = Field(
        (10, 90), description="The typical range: these percentiles of the account's videos (default P10-P90).")
    margin: float = Field(
        0.25, ge=0, le=3, description="How far beyond the typical range (log-odds) a rate must lie to count.")
    certainty: float = Field(
        0.9, gt=0.5, lt=1, description="The probability, given the video's views, that it truly lies beyond.")
    fdr: float = Field(
        0.1, gt=0, lt=1, description="False discovery rate over all videos x metrics judged together (Benjamini-Hochberg).")
    prior_videos: float = Field(
        10, gt=0, le=1000,
        description="How many videos' worth of weight the absolute thresholds carry against the account's own history.")

    @model_validator(mode="after")
    def _band(self):
        lo, hi = self.band
        if not 0 < lo < hi < 100:
            raise ValueError(T(zh="band 应为两个百分位,0 < 低 < 高 < 100", en="band must be two percentiles, 0 < low < high < 100"))
        return self


class Levels(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_history: int = Field(10, ge=1, description="Videos of a form needed before percentiles replace absolute thresholds.")
    default_mode: LevelMode = Field("typical", description="The mode of levels that do not set one.")
    typical: TypicalSettings = Field(default_factory=TypicalSettings)
    metrics: dict[str, dict[str, LevelDef]] = Field(default_factory=dict)

    def merged(self, other: "Levels", *, override_min_history: bool) -> "Levels":
        """These levels with `other` laid over them, level by level within each metric.

        `default_mode` and `typical` are taken from `other` only where it sets them.
        """
        metrics = {m: dict(levels) for m, levels in self.metrics.items()}
        for metric, levels in other.metrics.items():
            metrics.setdefault(metric, {}).update(levels)
        return Levels(
            min_history=other.min_history if override_min_history else self.min_history,
            default_mode=other.default_mode if "default_mode" in other.model_fields_set else self.default_mode,
            typical=other.typical if "typical" in other.model_fields_set else self.typical,
            metrics=metrics,
        )

    def mode(self, metric: str, level: str) -> LevelMode:
        """How `metric` at `level` decides: its own mode, else the default; `typical` only for
        metrics with a count model (events per view), others fall back to `percentile`."""
        mode = self.metrics[metric][level].mode or self.default_mode
        if mode == "typical" and metric not in COUNT_MODELS:
            return "percentile"
        return mode


def percentile(sorted_values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default, 'type 7')."""
    if not len(sorted_values):
        raise ValueError("percentile of no values")
    pos = (len(sorted_values) - 1) * p / 100.0
    lo = math.floor(pos)
    hi = math.ceil(pos)
    if lo == hi:
        return float(sorted_values[lo])
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


# --- count models: which metrics are events per trial, and how to read their counts ---------------


@dataclass(frozen=True)
class CountModel:
    """How a metric's value comes from counts: x events out of n trials, for the typical mode.

    share: True for a ratio of two counts a / b (hearts per like): the binomial question is then
    about the share a / (a + b), and a level on the ratio r maps to the share r / (1 + r).
    """

    counts: Callable[[dict], Optional[tuple[float, float]]]
    share: bool = False

    def to_share(self, value: float) -> float:
        return value / (1 + value) if self.share else value

    def from_share(self, share: float) -> float:
        return share / (1 - share) if self.share else share


# The readers below run for every video x count metric of a review (the Baseline and judge
# read each fact, and a streaming review reads it again per chunk), so they are written flat:
# fields bound once in the closure, no generator or all() per call. The rules are the same as
# ever: a count is a finite non-negative number (not a bool), a denominator a positive one.


def _sum_over(numerator: tuple[str, ...], denominator: str, rate_name: str):
    if len(numerator) == 1:
        (field,) = numerator

        def counts(fact: dict):
            n = fact.get(denominator)
            # An int first (a count as imported): finite unless past float's range, where
            # float() below raises as _number's isfinite would.
            if type(n) is int:
                if n <= 0:
                    return None
            elif not _number(n) or n <= 0:
                return None
            v = fact.get(field)
            if (v >= 0 if type(v) is int else _number(v) and v >= 0):
                return float(0 + v), float(n)  # 0 + v: what sum((v,)) gives (-0.0 -> 0.0)
            return _given_rate(fact, rate_name, n)
        return counts

    def counts(fact: dict):
        n = fact.get(denominator)
        if not _number(n) or n <= 0:
            return None
        parts = [fact.get(name) for name in numerator]
        for v in parts:
            if not ((v >= 0) if type(v) is int else (_number(v) and v >= 0)):
                return _given_rate(fact, rate_name, n)
        return float(sum(parts)), float(n)
    return counts


def _given_rate(fact: dict, rate_name: str, n):
    # The rate given directly (a rule test's `heart_rate: 0.2%` with the views, or a source
    # that exports the rate, not the counts): the events it stands for, as for exported rates.
    rate = fact.get(rate_name)
    if _number(rate) and 0 <= rate <= 1:
        return float(rate) * float(n), float(n)
    return None


def _share_of(a: str, b: str):
    def counts(fact: dict):
        x, y = fact.get(a), fact.get(b)
        if not ((type(x) is int or _number(x)) and (type(y) is int or _number(y))) or x < 0 or y < 0 or x + y <= 0:
            return None
        return float(x), float(x + y)
    return counts


def _rate_of_views(name: str):
    # An exported rate (完播率) times the views: the number of views that did the thing.
    def counts(fact: dict):
        rate, n = fact.get(name), fact.get("views")
        if type(rate) is float and type(n) is int:  # as imported: NaN and inf fail 0 <= rate <= 1
            if n <= 0 or not 0 <= rate <= 1:
                return None
            n = float(n)
            return rate * n, n
        if not (_number(rate) and (type(n) is int or _number(n))) or n <= 0 or not 0 <= rate <= 1:
            return None
        return float(rate) * float(n), float(n)
    return counts


_isfinite = math.isfinite


def _number(value) -> bool:
    kind = type(value)
    if kind is float or kind is int:  # the common case, without two isinstance calls
        return _isfinite(value)
    return isinstance(value, (int, float)) and not isinstance(value, bool) and _isfinite(value)


def _count_models() -> dict[str, CountModel]:
    models: dict[str, CountModel] = {}
    for name, spec in DERIVED.items():
        if spec.denominator == "views":
            models[name] = CountModel(_sum_over(spec.numerator, spec.denominator, name))
        elif len(spec.numerator) == 1:
            models[name] = CountModel(_share_of(spec.numerator[0], spec.denominator), share=True)
    for name, info in FIELDS.items():
        if info.kind == "rate" and name not in models:
            models[name] = CountModel(_rate_of_views(name))
    return models


COUNT_MODELS: dict[str, CountModel] = _count_models()


class Baseline:
    """The account's history: per (form, metric), the sorted values of past videos, and (for
    the typical mode) their counts.

    Built all at once (`Baseline(facts, label)`) or one fact at a time (`add`), which a
    streaming review does in its first pass. Values are kept in `array('d')` (8 bytes a
    number, not a Python float object each), counts in Columns (4 bytes a whole number), so a
    million-video history fits in a few tens of megabytes. metrics: keep only these (None: every numeric field), e.g. the
    metrics the levels use.
    """

    def __init__(self, facts=(), label: T | None = None, *, metrics=None, values=None):
        self.label = label if label is not None else T(zh="本批视频", en="this batch")
        self.n_videos = 0
        self._metrics = frozenset(metrics) if metrics is not None else None
        # The metrics whose values are kept (values=None: all of `metrics`): a streaming review
        # keeps only those a percentile may judge (the typical mode reads the counts).
        kept = self._metrics if values is None else frozenset(values)
        self._wanted = tuple(sorted(kept)) if kept is not None else None  # a stable order
        self._values: dict[tuple[str | None, str], array] = {}
        self._counts: dict[tuple[str | None, str], tuple[Column, Column]] = {}
        self._models = [(m, model) for m, model in COUNT_MODELS.items()
                        if self._metrics is None or m in self._metrics]
        self._sorted = True
        self._typical: dict[tuple, Typical | None] = {}
        self._slots: dict = {}  # form -> where add() puts its videos' numbers (_form_slots)
        self._frozen: dict[tuple, Typical | None] | None = None
        for fact in facts:
            self.add(fact)

    def frozen(self, levels: "Levels", forms) -> "Baseline":
        """What resolving the levels for videos of `forms` needs, and no more: the fitted typical
        ranges, and the sorted values of metrics judged by a percentile. Small to send to another
        process (a distributed review's workers), whatever the size of the batch; it resolves
        every level exactly as this baseline does, for these levels only."""
        out = Baseline(label=self.label, metrics=self._metrics, values=self._wanted)
        out.n_videos = self.n_videos
        out._frozen = {(metric, form): self.typical(metric, form, levels)
                       for form in forms for metric in levels.metrics if metric in COUNT_MODELS}
        by_percentile = {metric for metric in levels.metrics
                         if metric not in COUNT_MODELS or any(out._frozen.get((metric, form)) is None for form in forms)
                         or any(levels.mode(metric, level) != "typical" for level in levels.metrics[metric])}
        self._sort()
        out._values = {key: values for key, values in self._values.items() if key[1] in by_percentile}
        return out

    def add(self, fact: dict) -> None:
        self.n_videos += 1
        self._sorted = False
        if self._typical:
            self._typical.clear()
        get = fact.get
        form = get("form")
        # This runs once per video of a survey: the form's columns are found once, by name, not
        # by a (form, metric) key made and hashed per metric.
        slots = self._slots.get(form)
        if slots is None:
            slots = self._slots[form] = self._form_slots(form)
        columns, pairs = slots
        # Only the wanted metrics are looked at (a fact holds many more fields than the levels use).
        for metric in (fact if self._wanted is None else self._wanted):
            value = get(metric)
            kind = type(value)  # the exact type first: bool is an int, and is not a number here
            if kind is float:
                if value - value != 0:  # inf - inf and NaN - NaN are NaN: not finite
                    continue
            elif kind is not int and (value is None or kind is bool or not isinstance(value, (int, float))
                                      or not math.isfinite(value)):
                continue
            column = columns.get(metric)
            if column is None:
                column = columns[metric] = self._values.setdefault((form, metric), array("d"))
            column.append(value)
        for counts_of, events, trials in pairs:
            counts = counts_of(fact)
            if counts is not None:
                events(counts[0])
                trials(counts[1])
        if not self.n_videos % Column.BLOCK:  # each column takes at most one number a video
            for pair in self._counts.values():
                pair[0].flush()
                pair[1].flush()

    def __getstate__(self) -> dict:
        # The slots hold the appends of this object's own columns; a copy (a distributed
        # review's worker gets the baseline pickled) makes its own when it adds.
        return {**self.__dict__, "_slots": {}}

    def _form_slots(self, form) -> tuple[dict, list]:
        """Where add() puts a video of `form`: its value columns by metric (made as values come:
        a metric no video has keeps no column), and per count model (its reader, the appends of
        its two count columns)."""
        columns = {key[1]: column for key, column in self._values.items() if key[0] == form}
        pairs = []
        for metric, model in self._models:
            # (Made now, though no video may have the counts: an empty pair reads as none.)
            pair = self._counts.setdefault((form, metric), (Column(), Column()))
            pairs.append((model.counts, pair[0].append, pair[1].append))
        return columns, pairs

    def _sort(self) -> None:
        if not self._sorted:
            for key, column in self._values.items():
                self._values[key] = array("d", sorted(column))
            self._sorted = True
            self._slots.clear()  # they held the unsorted columns

    def values(self, metric: str, form: str | None):
        """The sorted values of `metric` for videos of `form` (a sequence of floats)."""
        self._sort()
        return self._values.get((form, metric), ())

    def median(self, metric: str, form: str | None) -> float | None:
        values = self.values(metric, form)
        return percentile(values, 50) if values else None

    def counts(self, metric: str, form: str | None) -> list[tuple[float, float]]:
        """The (events, trials) pairs of `metric` for videos of `form`, in the order added."""
        pair = self._counts.get((form, metric))
        return list(zip(pair[0].floats(), pair[1].floats())) if pair is not None else []

    def count_arrays(self, metric: str, form: str | None) -> tuple:
        """(events, trials) of `metric` for videos of `form` as two arrays (array('d'), or
        array('i') while the numbers are whole: np.asarray(a, dtype=float) reads either)."""
        pair = self._counts.get((form, metric))
        return (pair[0].data, pair[1].data) if pair is not None else (array("d"), array("d"))

    def typical(self, metric: str, form: str | None, levels: "Levels") -> Typical | None:
        """The account's typical range of `metric` for videos of `form` (None: not a count metric)."""
        if self._frozen is not None:
            return self._frozen.get((metric, form))
        key = (metric, form, id(levels))
        if key not in self._typical:
            self._typical[key] = fit_range(metric, form, levels, arrays=self.count_arrays(metric, form))
        return self._typical[key]


def percentile_metrics(levels: "Levels") -> set[str]:
    """The metrics a percentile may judge under these levels: a level in percentile or absolute
    mode, a metric that is not a count (the typical mode falls back to the percentile), or one
    with no prior range for some form (no counts: the fallback too)."""
    out = set()
    for metric, defs in levels.metrics.items():
        if metric not in COUNT_MODELS or any(levels.mode(metric, level) != "typical" for level in defs) \
                or any(prior_range(metric, form, levels) is None for form in (*FORMS, None)):
            out.add(metric)
    return out


def prior_range(metric: str, form: str | None, levels: "Levels") -> tuple[float, float] | None:
    """(center, spread) that the absolute thresholds imply: read as the typical range of an
    account we know nothing about, [low, high] of the form are its P10 and P90 (or the
    settings' band), so their log-odds midpoint is the center and their distance the spread."""
    model = COUNT_MODELS.get(metric)
    levels_of = levels.metrics.get(metric, {})
    if model is None:
        return None
    ups = [d for d in levels_of.values() if d.op in (">", ">=")]
    downs = [d for d in levels_of.values() if d.op in ("<", "<=")]
    if not ups or not downs:
        return None
    hi = min(model.to_share(_absolute(d, form)) for d in ups)
    lo = max(model.to_share(_absolute(d, form)) for d in downs)
    if not 0 < lo < hi < 1:
        return None
    z = _band_z(levels.typical.band)
    center = expit((logit(lo) + logit(hi)) / 2)
    return center, (logit(hi) - logit(lo)) / (2 * z)


def _band_z(band: tuple[float, float]) -> float:
    lo, hi = band
    return (NormalDist().inv_cdf(hi / 100) - NormalDist().inv_cdf(lo / 100)) / 2


def _absolute(spec: "LevelDef", form: str | None) -> float:
    return spec.absolute.get(form or "default", spec.absolute["default"])


def fit_range(metric: str, form: str | None, levels: "Levels", counts=(), *, arrays: tuple | None = None) -> Typical | None:
    """counts: (x, n) pairs; or arrays: the pair of sequences (xs, ns) a Baseline keeps."""
    settings = levels.typical
    prior = prior_range(metric, form, levels)
    band = (settings.band[0] / 100, settings.band[1] / 100)
    if prior is None and not (len(arrays[0]) if arrays is not None else counts):
        return None
    return fit_typical(counts, counts=arrays, prior=prior, band=band,
                       prior_videos=settings.prior_videos, default_tau=prior[1] if prior else 0.35)


@dataclass(frozen=True)
class Threshold:
    """A level resolved for one form: `value op threshold` means the value is at the level.

    kind `typical`: `value` is the flag edge (the typical range widened by the margin) and
    `typical` the account's range; whether a video is at the level is decided per video
    (`judge`), since it depends on its views, and the compiled rule tests that verdict.
    """

    metric: str
    level: str
    op: str
    value: float
    kind: Literal["percentile", "absolute", "typical"]
    form: str | None
    percentile: float | None = None
    n: int | None = None  # history videos the percentile rests on
    short_history: int | None = None  # when absolute: how many history videos there were
    min_history: int | None = None
    typical: Typical | None = None
    settings: TypicalSettings | None = None

    @property
    def side(self) -> str:
        return "high" if self.op in (">", ">=") else "low"

    @property
    def feature(self) -> str:
        """The fact field holding the per-video verdict of a typical level."""
        return level_feature(self.metric, self.level)

    def band(self) -> tuple[float, float] | None:
        """The typical range in the metric's own units (hearts per like, not the share)."""
        if self.typical is None:
            return None
        model = COUNT_MODELS[self.metric]
        return model.from_share(self.typical.low), model.from_share(self.typical.high)

    def center(self) -> float | None:
        if self.typical is None:
            return None
        return COUNT_MODELS[self.metric].from_share(self.typical.center)

    def source(self, lang: Lang) -> str:
        """Where the threshold came from, in words: 'P70 of 24 videos' / 'absolute, short videos'."""
        form_label = FORM_LABELS[self.form or "default"].get(lang)
        if self.kind == "typical":
            t = self.typical
            if t.n_videos == 0:
                return T(zh="{form}的默认参考范围", en="the default range for {form}").format(lang, form=form_label)
            if t.n_videos == 1:
                return T(zh="本账号 1 条{form}和默认值的一般范围", en="the typical range of one video and the defaults"
                         ).format(lang, form=form_label)
            if t.weight < 2 / 3:  # fewer than 2 x prior_videos videos (20 by default)
                return T(zh="本账号 {n} 条{form}的一般范围(历史不多,部分参考默认值)",
                         en="the typical range of {n} {form}; short history, so partly the defaults").format(
                    lang, n=t.n_videos, form=form_label)
            return T(zh="本账号 {n} 条{form}的一般范围", en="the typical range of {n} {form}").format(
                lang, n=t.n_videos, form=form_label)
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
        if self.kind == "typical":
            low, high = self.band()
            out.update(typical_low=sig(low), typical_high=sig(high), center=sig(self.center()),
                       n=self.typical.n_videos, weight=round(self.typical.weight, 4),
                       band=list(self.settings.band), certainty=self.settings.certainty, fdr=self.settings.fdr)
        elif self.kind == "percentile":
            out.update(percentile=self.percentile, n=self.n)
        elif self.short_history is not None:
            out.update(history=self.short_history, min_history=self.min_history)
        return out


def sig(value: float | None, digits: int = 4) -> float | None:
    """A float to `digits` significant digits, for JSON that people read."""
    if value is None or not math.isfinite(value) or value == 0:
        return value
    return float(f"{value:.{digits}g}")


def level_feature(metric: str, level: str) -> str:
    return f"lvl:{metric}:{level}"


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
    mode = levels.mode(metric, level)
    if mode == "typical":
        typical = baseline.typical(metric, form, levels) if baseline is not None else \
            fit_range(metric, form, levels, [])
        if typical is not None:
            lo_edge, hi_edge = flag_edges(typical, margin=levels.typical.margin)
            edge = COUNT_MODELS[metric].from_share(hi_edge if spec.op in (">", ">=") else lo_edge)
            return Threshold(metric, level, spec.op, edge, "typical", form, typical=typical, settings=levels.typical)
        mode = "percentile"  # neither history nor a prior range: judge as the percentile mode does
    if mode == "percentile" and spec.percentile is not None and baseline is not None:
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


# --- judging videos in the typical mode -------------------------------------------------------------


class Judgement:
    """One video's rate at one typical level: the gap, and the verdict after false-discovery control.

    Judging a batch needs only each video's two tail probabilities; the rest of its Gap (the
    posterior median and credible interval: three inverse incomplete betas, most of the cost)
    is read only for the few videos whose findings are explained. So `judge` gives the counts
    and the certainty, and the Gap is computed (by `assess`, the same floats as `assess_many`)
    when it is first read. Judgement(threshold, gap, at_level) with the Gap itself works too.
    """

    __slots__ = ("threshold", "at_level", "_gap", "_x", "_n", "_certainty")

    def __init__(self, threshold: Threshold, gap: Gap | None = None, at_level: bool = False,
                 x: float = math.nan, n: float = math.nan, certainty: float | None = None):
        self.threshold = threshold
        self.at_level = at_level
        self._gap = gap
        self._x = x
        self._n = n
        self._certainty = certainty

    @property
    def gap(self) -> Gap:
        gap = self._gap
        if gap is None:
            th = self.threshold
            gap = self._gap = assess(self._x, self._n, th.typical, margin=th.settings.margin,
                                     certainty=th.settings.certainty)
        return gap

    def __eq__(self, other):
        if not isinstance(other, Judgement):
            return NotImplemented
        return (self.threshold, self.gap, self.at_level) == (other.threshold, other.gap, other.at_level)

    def __hash__(self):
        return hash((self.threshold, self.gap, self.at_level))

    def __repr__(self) -> str:
        return f"Judgement(threshold={self.threshold!r}, gap={self.gap!r}, at_level={self.at_level!r})"

    @property
    def certainty(self) -> float:
        """The probability that the video's true rate lies beyond the level's edge."""
        if self._certainty is not None:
            return self._certainty
        return self.gap.p_high if self.threshold.side == "high" else self.gap.p_low

    @property
    def views(self) -> float | None:
        """The trials its counts rest on, when they are views (not for hearts per like)."""
        return None if COUNT_MODELS[self.threshold.metric].share else self.gap.n

    def ratio(self) -> float | None:
        """The video's value over the typical video's (0.5: half the typical rate)."""
        center = self.threshold.center()
        value = COUNT_MODELS[self.threshold.metric].from_share(self.gap.rate) if self.gap.rate < 1 else None
        return value / center if value is not None and center else None

    def to_json(self) -> dict:
        model = COUNT_MODELS[self.threshold.metric]
        return {"certainty": round(self.certainty, 4), "effect": round(self.gap.effect, 4),
                "ratio_to_typical": sig(self.ratio()),
                "interval": [sig(model.from_share(v)) if v < 1 else None for v in self.gap.interval],
                "views": self.views, "at_level": self.at_level}


JUDGEMENTS = "_judgements"  # the fact key holding {feature: Judgement}, for explanations


class _Table:
    """What one judge() call decided, shared by the Verdicts of its facts: per row (a fact and
    metric judged), the metric's group and the row's place in it; per group, its columns."""

    __slots__ = ("groups", "rows", "columns")

    def __init__(self):
        self.groups: list = []
        self.rows: list[int] = []
        self.columns: dict[int, list] = {}


class Verdicts(Mapping):
    """fact[JUDGEMENTS] as judge leaves it: {feature: Judgement}, in the order judge decided
    them, after those of an earlier judge() of the fact.

    The Judgements are made when the mapping is first read: a review reads them only to
    explain a finding, and most videos have none. Making a dozen per video up front was about
    a tenth of judging a batch."""

    __slots__ = ("_table", "_start", "_stop", "_made")

    def __init__(self, table: _Table, start: int, stop: int, earlier=None):
        self._table, self._start, self._stop = table, start, stop
        self._made = earlier  # the earlier judgements until read; then all of them, a dict

    def _all(self) -> dict:
        table = self._table
        if table is None:
            return self._made
        made = dict(self._made) if self._made else {}
        for i in range(self._start, self._stop):
            group, row = table.groups[i], table.rows[i]
            for feature, at, th, gaps, sure in table.columns[id(group)]:
                made[feature] = Judgement(th, gaps[row], at[row]) if gaps is not None else \
                    Judgement(th, None, at[row], group.xs[row], group.ns[row], sure[row])
        self._table, self._made = None, made
        return made

    def __getitem__(self, feature: str) -> "Judgement":
        return self._all()[feature]

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __repr__(self) -> str:
        return f"Verdicts({self._all()!r})"

    def __reduce__(self):  # pickled as the dict it stands for
        return dict, (self._all(),)


def typical_thresholds(levels: Levels, pairs, form: str | None, baseline: Baseline | None) -> list[Threshold]:
    """The typical-mode thresholds of the (metric, level) pairs, for videos of `form`."""
    out = []
    for metric, level in pairs:
        if metric in levels.metrics and level in levels.metrics[metric] and levels.mode(metric, level) == "typical":
            th = resolve(levels, metric, level, form, baseline)
            if th.kind == "typical":
                out.append(th)
    return out


_INF = math.inf
UNSET: object = object()  # judge(cutoff=UNSET): run Benjamini-Hochberg over the facts given
_UNSET = UNSET


def fact_counts(metric: str, fact: dict) -> tuple[float, float]:
    """(x, n): the counts `judge` reads from the fact for `metric`, (nan, nan) when it has none.

    For a streaming first pass, which gathers every video's counts into arrays for
    `batch_pvalues` (which drops what judge would not read, NaN included)."""
    counts = COUNT_MODELS[metric].counts(fact)
    return counts if counts is not None else (math.nan, math.nan)


def metric_groups(thresholds: list[Threshold]) -> list[tuple[str, list[Threshold]]]:
    """The thresholds by metric, metrics in order of first appearance: judge's hypotheses, one
    per video and metric (a video's 'high' and 'low' of one rate are one question)."""
    groups: dict[str, list[Threshold]] = {}
    for th in thresholds:
        groups.setdefault(th.metric, []).append(th)
    return list(groups.items())


def _readable(x: float, n: float) -> bool:
    # Not a proportion (more likes than views: data the binomial model cannot read) -> False.
    return math.isfinite(x) and math.isfinite(n) and n > 0 and x >= 0 and not x > n * 1.001 + 1


class _Group:
    """One metric's typical thresholds for the videos that have them (one form, usually), and
    the counts of those videos, judged together: one `assess_many` per distinct range."""

    def __init__(self, thresholds: list[Threshold]):
        self.thresholds = thresholds
        self.read = COUNT_MODELS[thresholds[0].metric].counts
        # Thresholds of one rate share its range (the 'high' and 'low' of like_rate): the gap
        # is the same question, asked once.
        self.ranges: list[tuple] = []
        self.range_of: list[int] = []
        for th in thresholds:
            key = (th.typical, th.settings.margin, th.settings.certainty)
            if key not in self.ranges:
                self.ranges.append(key)
            self.range_of.append(self.ranges.index(key))
        self.xs: list[float] = []
        self.ns: list[float] = []

    def sure(self, tails: list[tuple]):
        """Per threshold, each video's probability that it lies beyond the level's edge; and
        the p-value of the group's hypothesis, 1 - the largest of them. tails: (p_high, p_low)
        per range; arrays, or lists (then so is what is returned)."""
        sure = [tails[r][0] if th.side == "high" else tails[r][1] for th, r in zip(self.thresholds, self.range_of)]
        if isinstance(sure[0], list):
            return sure, [1 - max(column) for column in zip(*sure)]
        import numpy as np

        largest = sure[0]
        for s in sure[1:]:
            largest = np.where(s > largest, s, largest)  # max() of Python floats, NaN included
        return sure, 1 - largest

    def judged(self, small: bool = False, known=None):
        """(gaps per range, sure per threshold, p-values) of the videos gathered: `assess_many`
        over arrays; for a handful of videos (one fact judged on its own, as a rule test does)
        `assess` one by one, the same floats without numpy's fixed cost per call. small: a small
        review's pure-Python beta functions (`assess(..., small=True)`), one by one.
        known(thresholds, x, n): the tails of these counts computed before (judge's `tails`),
        or None."""
        if small or len(self.xs) < _SCALAR_BELOW:
            gaps = [[assess(x, n, typical, margin=margin, certainty=certainty, small=small)
                     for x, n in zip(self.xs, self.ns)]
                    for typical, margin, certainty in self.ranges]
            return (gaps, *self.sure([([g.p_high for g in gs], [g.p_low for g in gs]) for gs in gaps]))
        import numpy as np

        x, n = np.array(self.xs, dtype=float), np.array(self.ns, dtype=float)
        # The tails alone (`assess_many`'s p_high and p_low): each Judgement computes the rest of
        # its Gap when it is read (see Judgement), so gaps is None.
        tails = known(self.thresholds, x, n) if known is not None else None
        if tails is None:
            tails = self.tails(x, n)
        return (None, *self.sure(tails))

    def tails(self, x, n) -> list[tuple]:
        """(p_high, p_low) arrays per range of the counts x, n (numpy arrays)."""
        return [tails_many(x, n, typical, margin=margin) for typical, margin, _ in self.ranges]


_SCALAR_BELOW = 8  # below this many videos in a group, scalar assess is faster than numpy's set-up


def batch_pvalues(thresholds: list[Threshold], x, n, *, small: bool = False, keep=None):
    """The p-values `judge` puts into Benjamini-Hochberg for one (form, metric) group.

    thresholds: the typical Thresholds of one metric for one form (`metric_groups` of the
    form's thresholds), x and n: counts arrays of the batch's videos of that form
    (`fact_counts`). Videos whose counts judge would not read (missing, more events than
    trials) are dropped. bh_cutoff over the concatenation of these arrays for every (form,
    metric) group of a batch, at the thresholds' fdr, is the cutoff judge's own
    Benjamini-Hochberg finds over that batch: pass it to `judge(chunk, ..., cutoff=...)` to
    judge the batch chunk by chunk with the same verdicts. small: as judge's (a list, then).
    keep(thresholds, x, n, tails): given the readable counts and their tails (a (p_high, p_low)
    pair per range), e.g. to spare judge computing them again (its `tails`); not called when small.
    """
    import numpy as np

    if not thresholds or len({th.metric for th in thresholds}) != 1:
        raise ValueError("batch_pvalues needs the thresholds of one metric")
    if small:
        group = _Group(list(thresholds))
        for xi, ni in zip(np.asarray(x, dtype=float).tolist(), np.asarray(n, dtype=float).tolist()):
            if _readable(xi, ni):
                group.xs.append(xi)
                group.ns.append(ni)
        if not group.xs:
            return []
        return group.judged(small=True)[2]
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore"):  # NaN (no counts) compares False: dropped below
        readable = np.isfinite(x) & np.isfinite(n) & (n > 0) & (x >= 0) & ~(x > n * 1.001 + 1)
    x, n = x[readable], n[readable]
    group = _Group(list(thresholds))
    tails = group.tails(x, n)
    if keep is not None:
        keep(thresholds, x, n, tails)
    return group.sure(tails)[1]


def judge(facts: list[dict], thresholds_of, *, cutoff: float | None = _UNSET,  # type: ignore[assignment]
          small: bool = False, tails=None) -> None:
    """Decide every typical level for every fact, together, and write the verdicts into the facts.

    thresholds_of(fact) gives the typical Thresholds that apply to the fact (its form's). Each
    fact gains `lvl:<metric>:<level>` = True/False (absent when its counts are missing, so a rule
    treats the level as unknown, as it treats a missing metric) and, under JUDGEMENTS, the
    Judgement behind each verdict.

    A video is at a level when its own posterior reaches the certainty the level asks for AND
    its metric is a discovery under Benjamini-Hochberg over the whole batch. The hypotheses are
    one per (video, metric), "this video's rate is within its typical range", with the p-value
    1 - (the largest certainty among the metric's levels): a rate can be beyond the range on
    one side only, so asking "high?" and "low?" is one question, not two.

    cutoff: the Benjamini-Hochberg decision taken elsewhere, over a larger batch these facts
    are a chunk of (`bh_cutoff` of `batch_pvalues`): a hypothesis is a discovery when its
    p-value is <= cutoff; None: nothing is. Unset: BH over these facts.

    Computed per (metric, thresholds) group over arrays (`assess_many`), with the same floats
    as `assess` one video at a time.

    small: a small review (advisor.jobs.review.SMALL_REVIEW videos): every video `assess`ed with
    the pure-Python beta functions, and numpy and scipy are not imported at all. Every judge() of
    one review (and its batch_pvalues) must be given the same `small`.

    tails(thresholds, x, n): the tail probabilities of a group's counts (arrays), computed
    before (what batch_pvalues' `keep` was given: advisor.jobs.tail_spool), or None to compute
    them. It must give exactly those floats for exactly these counts, or None.
    """
    plans: dict[tuple, tuple[list, list[_Group]]] = {}  # the thresholds, kept alive: ids stay theirs
    by_list: dict[int, tuple[list, list[_Group]]] = {}  # id(the list thresholds_of gave) -> its plan
    groups: dict[tuple, _Group] = {}
    # Per (fact, metric) judged, in fact order: the fact, its group and its row there. Flat
    # lists, not a tuple each: every object that outlives the loop costs the garbage collector
    # a look at each collection. A fact's rows are next to each other (its Verdicts' span).
    table = _Table()
    row_facts: list[dict] = []
    row_groups = table.groups
    row_rows = table.rows
    for fact in facts:
        earlier = fact.get(JUDGEMENTS)
        if earlier is None:
            fact[JUDGEMENTS] = earlier = {}
        thresholds = thresholds_of(fact)
        # The same list for every fact of a form (StageRunner.typicals): its plan found by identity.
        plan = by_list.get(id(thresholds))
        if plan is None or plan[0] is not thresholds:
            if not isinstance(thresholds, (list, tuple)):
                thresholds = list(thresholds)  # read twice below
            if not thresholds:
                continue
            key = tuple(map(id, thresholds))
            plan = plans.get(key)
            if plan is None:
                plan = plans[key] = (thresholds, [])
                for _, members in metric_groups(thresholds):
                    gkey = tuple(map(id, members))
                    if gkey not in groups:
                        groups[gkey] = _Group(members)
                    plan[1].append(groups[gkey])
            by_list[id(thresholds)] = plan
        start = len(row_facts)
        for group in plan[1]:
            counts = group.read(fact)
            if counts is None:
                continue
            x, n = counts
            # _readable(x, n), inline and chained (this runs for every video and metric): a NaN
            # fails every comparison, an infinite n fails `< inf`, an infinite x the bound.
            if not (0 <= x <= n * 1.001 + 1 and 0 < n < _INF):
                continue
            row_facts.append(fact)
            row_groups.append(group)
            xs = group.xs
            row_rows.append(len(xs))
            xs.append(x)
            group.ns.append(n)
        if len(row_facts) > start:
            fact[JUDGEMENTS] = Verdicts(table, start, len(row_facts), earlier)
    if not row_facts:
        return
    judged = {id(group): (group, *group.judged(small, tails)) for group in groups.values() if group.xs}
    if cutoff is _UNSET:
        fdr = row_groups[0].thresholds[0].settings.fdr
        parts = [p for _, _, _, p in judged.values()]
        if all(isinstance(p, list) for p in parts):  # the same cutoff, without numpy
            cutoff = bh_cutoff([v for p in parts for v in p], fdr)
        else:
            import numpy as np

            cutoff = bh_cutoff(np.concatenate(parts), fdr)
    # id(group) -> per threshold (feature, its verdicts, the threshold, the Gaps or None, the
    # certainties): what each fact gains, and what its Verdicts make Judgements of when read.
    verdicts = table.columns
    for key, (group, gaps, sure, p) in judged.items():
        columns = []
        for th, r, s in zip(group.thresholds, group.range_of, sure):
            certainty = th.settings.certainty
            if isinstance(p, list):
                at = [cutoff is not None and v <= cutoff and w >= certainty for v, w in zip(p, s)]
            elif cutoff is None:
                at = [False] * len(p)
            else:
                at = ((p <= cutoff) & (s >= certainty)).tolist()
            # The Gap itself, or (computed when read: Judgement.gap) the certainty, which is known.
            columns.append((th.feature, at, th, gaps[r] if gaps is not None else None,
                            s if isinstance(s, list) else s.tolist()))
        verdicts[key] = columns
    # Row by row, so each fact gains its keys in the order it always has (metric by metric).
    for fact, group, row in zip(row_facts, row_groups, row_rows):
        for feature, at, _, _, _ in verdicts[id(group)]:
            fact[feature] = at[row]
