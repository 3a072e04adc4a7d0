"""A posted video's numbers: canonical fields, derived rates, and the flat fact the engines see.

METRICS, the metric registry, declares each metric once (a MetricSpec: kind, label, formula,
family, the views it is shown in, ...); FIELDS, DERIVED and the metric lists of the reports,
A/B signals, goals and charts are views of it. See MetricSpec and the comment above METRICS
for what adding a metric takes.

Every field but `id` may be missing. A derived rate is missing when what it divides by is
missing or zero, so a rule that needs it does not fire and says which input was absent.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Literal, Mapping, Optional

from pydantic import BaseModel, ConfigDict, Field

from advisor.core.i18n import Lang, T

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
    forwards: Optional[int] = Field(None, ge=0, description="Forwards to chats and Moments (转发聊天和朋友圈).")
    completion_rate: Optional[float] = Field(None, ge=0, le=1, description="Completion rate, 0-1 (完播率).")
    avg_watch_s: Optional[float] = Field(None, ge=0, description="Average watch time in seconds (平均播放时长).")
    retention_rate: Optional[float] = Field(None, ge=0, le=1, description="Retention rate, 0-1 (留存率).")
    rewatch_rate: Optional[float] = Field(None, ge=0, le=1, description="Rewatch rate, 0-1 (复看率).")

    def derived(self) -> dict[str, float]:
        """The derived rates that can be computed from the fields present."""
        return _derived_of(self.__dict__)

    def to_fact(self) -> dict:
        """The flat dict the engines evaluate: present, finite values only (no None, NaN, inf)."""
        # The model's own fields in declaration order, as iterating the model gives them (it has
        # no extras: extra="forbid").
        return fact_of(self.__dict__)

    @classmethod
    def from_parsed(cls, values: dict) -> "VideoMetrics":
        """A video from values that advisor.input.values' parsers already checked: each one of
        its field's type and within its bounds (a count an int >= 0, a rate a float in 0-1, ...),
        `id` a non-empty str, no other keys.

        Validating them again would only repeat those checks, once per row of an export, so the
        model is built as pydantic's model_construct builds it, without its per-field alias
        handling (this model has no aliases), which makes model_construct itself slower than
        model_validate. When this pydantic builds models differently (checked once, at import),
        it validates instead. tests/test_hot_paths.py holds the parsers to the contract.
        """
        if not _TRUSTED_BUILD:
            return cls.model_validate(values)
        return _build(cls, values)

    @staticmethod
    def trusts_parsed() -> bool:
        """Whether from_parsed builds the model from the values as they are (not validating
        them): then those values are the model's fields exactly."""
        return _TRUSTED_BUILD


_set = object.__setattr__
_ABSENT = dict.fromkeys(VideoMetrics.model_fields)  # every field, in declaration order, as None


def _build(cls, values: dict) -> VideoMetrics:
    video = cls.__new__(cls)
    _set(video, "__dict__", {**_ABSENT, **values})  # every field present, in declaration order
    _set(video, "__pydantic_fields_set__", set(values))
    _set(video, "__pydantic_extra__", None)
    _set(video, "__pydantic_private__", None)
    return video


def _trusted_build_works() -> bool:
    """Whether _build's model equals model_validate's for the same values (in this pydantic)."""
    values = {"id": "v1", "title": "t", "published_at": dt.date(2026, 6, 25), "views": 1000, "likes": 10,
              "completion_rate": 0.25, "avg_watch_s": 12.5}
    # _build fills absent fields with None: right for every field with that default; `id` has
    # none, and the parsers always give it.
    if any(f.default is not None for name, f in VideoMetrics.model_fields.items() if name != "id"):
        return False
    try:
        built = _build(VideoMetrics, dict(values))
        checked = VideoMetrics.model_validate(values)
        return (built == checked and list(built) == list(checked) and built.model_fields_set == checked.model_fields_set
                and built.model_dump() == checked.model_dump() and built.model_copy() == checked)
    except Exception:
        return False


_TRUSTED_BUILD = _trusted_build_works()


def fact_of(values: dict) -> dict:
    """VideoMetrics.to_fact of the video whose fields are `values` (field -> value; absent or
    None: missing): the same dict, in the order of `values`. A streaming review's first pass
    makes the facts of rows that advisor.input.values' parsers already read (the values
    VideoMetrics.from_parsed would take) without building the model."""
    fact: dict = {}
    for name, value in values.items():
        cls = type(value)
        if cls is int or cls is str:  # most values: neither a date nor a float
            fact[name] = value
        elif cls is float:
            if value - value == 0:  # finite (inf - inf and NaN - NaN are NaN)
                fact[name] = value
        elif value is None:
            continue
        elif isinstance(value, dt.date):
            fact[name] = value.isoformat()
        elif isinstance(value, float) and not math.isfinite(value):
            continue
        else:
            fact[name] = value
    fact.update(_derived_of(values))
    return fact


def _derived_of(values: dict) -> dict[str, float]:
    """The derived rates of the fields `values` holds (VideoMetrics.derived)."""
    out: dict[str, float] = {}
    get = values.get
    # The formulas come from the registry (through a cached snapshot): this runs for every
    # video of a review, and walking the registry's view each time cost more than the rates.
    for name, numerator, denominator in _formulas():
        den = get(denominator)
        if den is None or den == 0:
            continue
        if len(numerator) == 1:
            num = get(numerator[0])
            if num is None:
                continue
            out[name] = (0 + num) / den  # 0 + num: as sum_present adds it (-0.0 -> 0.0)
            continue
        num = 0
        for field_name in numerator:
            value = get(field_name)
            if value is None:
                break
            num += value
        else:
            out[name] = num / den
    return out


def sum_present(video: VideoMetrics, names: tuple[str, ...]) -> float | None:
    """Sum of the named counts; None when any of them is missing (a partial sum would mislead)."""
    total = 0
    for name in names:
        value = getattr(video, name)
        if value is None:
            return None
        total += value
    return total


# --- the metric registry -------------------------------------------------------------------------

Family = Literal["exposure", "relationship", "retention"]
Aggregate = Literal["sum", "pooled", "mean", "external"]

# Where a metric is shown. A spec lists the views it appears in, each with its position there.
VIEWS: dict[str, str] = {
    "card": "the key numbers of each video: review JSON `metrics`, the HTML report's cards",
    "line": "the numbers on each video's line in the text and markdown reviews",
    "summary": "the account medians of a review (summary JSON `medians`)",
    "totals": "the counts a review sums over all videos (summary JSON `totals`, the HTML tiles)",
    "medians": "the medians shown in the text, markdown and HTML reviews",
    "ab": "the signals `advisor ab` compares between variants (rates over views)",
    "goal": "what a target of `advisor goals` may name (`metric:` in a goals file)",
    "timeline": "the lines of the HTML report's timeline chart (card metrics; retention on the right scale)",
}


@dataclass(frozen=True)
class Formula:
    """A derived rate: the sum of some counts over a denominator."""

    numerator: tuple[str, ...]
    denominator: str


@dataclass(frozen=True)
class MetricSpec:
    """Everything advisor knows about one metric, declared once.

    key          the canonical name (a VideoMetrics field, a derived rate, or an external metric)
    kind         how values read: count | rate | seconds | ratio | text | date | enum | bool
    label        the one name of the metric, in every report, table, chart and rule text
    description  what it is; for a derived rate, its formula in words
    formula      derived rates only: which canonical fields are summed over which
    family       exposure (reach) | relationship (emotional investment) | retention | None
    views        where it is shown: {view: position}; see VIEWS. Positions order a view.
    needs        the fields a video must have for the metric to count in an A/B comparison
                 (default: the formula's fields, denominator first; or the field itself)
    agg          how a goal aggregates a week of videos: sum (of counts), pooled (sum of the
                 numerators over sum of the denominator: a rate of sums), mean (of per-video
                 values), external (not computable from video data); None: not a goal metric
    source       external metrics only: what data would supply it (there is no export column)

    Export column names are deliberately absent: the platform profiles
    (rules/profiles/*.yaml, advisor.input.profiles) map headers to the canonical fields here.
    """

    key: str
    kind: Kind
    label: T
    description: T
    formula: Optional[Formula] = None
    family: Optional[Family] = None
    views: Mapping[str, int] = field(default_factory=dict, hash=False, compare=False)
    needs: tuple[str, ...] = ()
    agg: Optional[Aggregate] = None
    source: Optional[T] = None

    def __post_init__(self):
        object.__setattr__(self, "views", MappingProxyType(dict(self.views)))
        if not self.needs:
            needs = (self.formula.denominator, *self.formula.numerator) if self.formula else (self.key,)
            object.__setattr__(self, "needs", needs if self.agg != "external" else ())

    # The attribute names older tables used (ab.Signal, goals.GoalMetric, Derived), kept so
    # callers read a spec the way they read those.
    @property
    def name(self) -> str:
        return self.key

    @property
    def numerator(self) -> tuple[str, ...]:
        return self.formula.numerator if self.formula else ()

    @property
    def denominator(self) -> str | None:
        return self.formula.denominator if self.formula else None

    @property
    def fields(self) -> tuple[str, ...]:
        """What a goal aggregates: pooled: the numerator fields then the denominator; else the field."""
        if self.agg == "external":
            return ()
        if self.agg == "pooled" and self.formula:
            return (*self.formula.numerator, self.formula.denominator)
        return (self.key,)

    @property
    def aggregate_label(self) -> T:
        """The label of a week's value: a mean of per-video rates is said to be an average."""
        if self.agg == "mean" and self.kind == "rate":
            return T(zh=f"平均{self.label.zh}", en=f"average {self.label.en}")
        return self.label

    @property
    def is_field(self) -> bool:
        """A value a video has (imported, or derived from what was imported)."""
        return self.agg != "external"


def _spec(key: str, kind: Kind, zh: str, en: str, desc_zh: str, desc_en: str, *,
          formula: tuple[tuple[str, ...], str] | None = None, **more) -> MetricSpec:
    return MetricSpec(key, kind, T(zh=zh, en=en), T(zh=desc_zh, en=desc_en),
                      Formula(*formula) if formula else None, **more)


class _Registry(dict):
    """The registry's dict, counting its changes: views cache what they select until it changes
    (a spec added at run time, or a test's patched registry, shows up in every view at once)."""

    version = 0

    def _changed(self) -> None:
        self.version += 1

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key):
        super().__delitem__(key)
        self._changed()

    def __ior__(self, other):
        result = super().__ior__(other)
        self._changed()
        return result

    def pop(self, *args):
        try:
            return super().pop(*args)
        finally:
            self._changed()

    def popitem(self):
        try:
            return super().popitem()
        finally:
            self._changed()

    def clear(self):
        super().clear()
        self._changed()

    def update(self, *args, **kwargs):
        super().update(*args, **kwargs)
        self._changed()

    def setdefault(self, key, default=None):
        try:
            return super().setdefault(key, default)
        finally:
            self._changed()


# The registry. Order: VideoMetrics' fields, then the derived rates, then external metrics;
# FIELDS and DERIVED keep it. A view's own order comes from the positions in `views`.
#
# Adding a metric (as `forwards` and `forward_rate` were) is:
#   1. one MetricSpec entry here (a count also gets its VideoMetrics field above), with the
#      views it is shown in;
#   2. the export column(s) that feed it, in the platform profiles (rules/profiles/*.yaml);
#   3. rules (rules/*.yaml) and, if rules compare it with levels, rules/levels.yaml.
# Reports, medians, A/B signals, goals, charts and schemas pick it up from here.
METRICS: dict[str, MetricSpec] = _Registry({s.key: s for s in (
    _spec("id", "text", "视频ID", "video id", "视频的唯一标识", "the video's unique id"),
    _spec("title", "text", "标题", "title", "标题或视频描述", "title or description"),
    _spec("published_at", "date", "发布时间", "published", "发布日期", "publish date"),
    _spec("form", "enum", "体裁", "form", "内容体裁:短视频、长视频、直播、图文",
          "content form: short video, long video, live, image-text"),
    _spec("variant", "text", "实验组", "variant", "A/B 测试时的实验组名称", "the A/B variant label, when testing"),
    _spec("duration_s", "seconds", "时长", "duration", "视频时长(秒)", "the video's length in seconds"),
    _spec("views", "count", "播放量", "views", "播放次数", "plays",
          family="exposure", views=dict(totals=1, card=1, line=1, goal=1), agg="sum"),
    _spec("likes", "count", "点赞数", "likes", "👍 点赞次数(视频号导出中叫「喜欢」)",
          "👍 likes (the 视频号 export calls them 喜欢)", family="exposure", views=dict(totals=2, goal=2), agg="sum"),
    _spec("hearts", "count", "小红心数", "hearts", "♡ 小红心次数(视频号导出中叫「推荐」)",
          "♡ hearts (the 视频号 export calls them 推荐)", family="relationship", views=dict(totals=3, goal=4), agg="sum"),
    _spec("comments", "count", "评论数", "comments", "评论条数", "comments written",
          family="relationship", views=dict(totals=4, goal=5), agg="sum"),
    _spec("shares", "count", "分享数", "shares", "分享次数", "shares",
          family="exposure", views=dict(totals=5, goal=3), agg="sum"),
    _spec("follows", "count", "新增关注", "new followers", "因这条视频新增的关注", "followers gained from the video",
          family="relationship", views=dict(totals=6, goal=6), agg="sum"),
    _spec("forwards", "count", "转发数", "forwards", "转发到聊天和朋友圈的次数(视频号导出:转发聊天和朋友圈)",
          "forwards to chats and Moments (the 视频号 export's 转发聊天和朋友圈)",
          family="exposure", views=dict(totals=7, goal=19), agg="sum"),
    _spec("completion_rate", "rate", "完播率", "completion rate", "看完整条视频的播放占比(0-1)",
          "share of plays that watched to the end (0-1)", family="retention",
          views=dict(card=5, line=5, summary=6, medians=4, ab=3, goal=14, timeline=3),
          needs=("views", "completion_rate"), agg="mean"),
    _spec("avg_watch_s", "seconds", "平均播放时长", "average watch time", "每次播放的平均观看秒数",
          "average seconds watched per play", family="retention", views=dict(goal=15), agg="mean"),
    _spec("retention_rate", "rate", "留存率", "retention rate", "留存率(0-1)", "retention rate (0-1)",
          family="retention", views=dict(goal=16), agg="mean"),
    _spec("rewatch_rate", "rate", "复看率", "rewatch rate", "复看率(0-1)", "rewatch rate (0-1)",
          family="retention", views=dict(goal=17), agg="mean"),
    # derived rates
    _spec("like_rate", "rate", "点赞率", "like rate", "点赞数 ÷ 播放量", "likes ÷ views",
          formula=(("likes",), "views"), family="exposure",
          views=dict(card=2, line=2, summary=1, medians=1, ab=1, goal=7, timeline=1), agg="pooled"),
    _spec("heart_rate", "rate", "小红心率", "heart rate", "小红心数 ÷ 播放量", "hearts ÷ views",
          formula=(("hearts",), "views"), family="relationship",
          views=dict(card=3, line=3, summary=2, medians=2, ab=2, goal=9, timeline=2), agg="pooled"),
    _spec("comment_rate", "rate", "评论率", "comment rate", "评论数 ÷ 播放量", "comments ÷ views",
          formula=(("comments",), "views"), family="relationship", views=dict(summary=4, goal=10), agg="pooled"),
    _spec("share_rate", "rate", "分享率", "share rate", "分享数 ÷ 播放量", "shares ÷ views",
          formula=(("shares",), "views"), family="exposure", views=dict(summary=5, goal=8), agg="pooled"),
    _spec("follow_rate", "rate", "关注转化率", "follow rate", "新增关注 ÷ 播放量", "new followers ÷ views",
          formula=(("follows",), "views"), family="relationship",
          views=dict(card=8, summary=8, medians=7, ab=6, goal=11), agg="pooled"),
    _spec("forward_rate", "rate", "转发率", "forward rate", "转发数(聊天和朋友圈)÷ 播放量",
          "forwards to chats and Moments ÷ views", formula=(("forwards",), "views"), family="exposure",
          views=dict(card=7, summary=9, medians=6, goal=20), agg="pooled"),
    _spec("hearts_per_like", "ratio", "心赞比", "hearts per like", "小红心数 ÷ 点赞数", "hearts ÷ likes",
          formula=(("hearts",), "likes"), family="relationship",
          views=dict(card=6, summary=7, medians=5, goal=13), agg="pooled"),
    _spec("followup_rate", "rate", "后续互动率(评论+分享)", "follow-up rate (comments + shares)",
          "(评论 + 分享) ÷ 播放量", "(comments + shares) ÷ views",
          formula=(("comments", "shares"), "views"), family="relationship",
          views=dict(card=4, line=4, summary=3, medians=3, ab=4, goal=12), agg="pooled"),
    # external: not computable from per-video data
    _spec("heart_follower_share", "rate", "本周新粉中给小红心的比例", "share of the week's new followers who gave a heart",
          "本周新增关注中给过 ♡ 的人数 ÷ 本周新增关注", "new followers of the week who gave a ♡ ÷ new followers of the week",
          family="relationship", views=dict(goal=18), agg="external",
          source=T(zh="视频号助手的导出只按视频统计小红心总数,不记录是哪些粉丝给的,所以算不出这个比例。需要逐个粉丝的数据:"
                      "本周每位新粉丝的ID、关注日期、是否给过 ♡(比如从你自己的社群或客户管理工具导出);advisor 目前还不读取这类文件。"
                      "在此之前,可以用小红心率和关注转化率作为替代指标",
                   en="the 视频号助手 export counts hearts per video, not which followers gave them, so this share cannot be "
                      "computed from it. It needs per-follower data: each new follower of the week with their follow date and "
                      "whether they gave a ♡ (e.g. exported from your own community or CRM tools); advisor does not read such a "
                      "file yet. Meanwhile, heart rate and follow rate can stand in for it")),
)})


def _registry_stamp():
    """What the registry's views cache against: the registry object and its change count (None,
    never cached, for a registry that does not count its changes, e.g. a plain dict patched in)."""
    registry = METRICS
    return registry, getattr(registry, "version", None)


class MetricView(Mapping[str, MetricSpec]):
    """A live, read-only view of the registry: the specs it selects, in its order.

    Live: it reads METRICS on every access, so a spec added to the registry (or a test's
    patched registry) shows up in every view that selects it, with nothing else to edit.
    """

    def __init__(self, what: str, select: Callable[[MetricSpec], bool],
                 sort: Callable[[int, MetricSpec], tuple] = lambda index, spec: (index,)):
        self._what, self._select, self._sort = what, select, sort
        self._cached: tuple = (None, None, ())  # (registry, version, keys)

    def _keys(self) -> tuple[str, ...]:
        # Reports iterate views once or twice per video: the selection is made again only when
        # the registry changed since (it is still live, just not re-sorted on every access).
        registry, version = _registry_stamp()
        cached_registry, cached_version, keys = self._cached
        if version is not None and cached_registry is registry and cached_version == version:
            return keys
        chosen = [(self._sort(i, spec), key) for i, (key, spec) in enumerate(registry.items()) if self._select(spec)]
        keys = tuple(key for _, key in sorted(chosen))
        self._cached = (registry, version, keys)
        return keys

    def __getitem__(self, key: str) -> MetricSpec:
        spec = METRICS[key]
        if not self._select(spec):
            raise KeyError(key)
        return spec

    def __iter__(self):
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def __repr__(self) -> str:
        return f"<metrics {self._what}: {', '.join(self._keys())}>"


def metric_view(view: str) -> MetricView:
    """The metrics shown in `view` (see VIEWS), in that view's order: positions, then registry order."""
    if view not in VIEWS:
        raise KeyError(f"unknown metric view {view!r}; known: {', '.join(VIEWS)}")
    return MetricView(view, lambda spec: view in spec.views, lambda index, spec: (spec.views[view], index))


def metrics_for(view: str) -> tuple[str, ...]:
    """The keys of the metrics shown in `view`, in that view's order (a snapshot of metric_view)."""
    return tuple(metric_view(view))


def view_rows(lang: Lang) -> dict[str, list[dict]]:
    """Every view's metrics as templates list them: {view: [{key, label (in `lang`), kind}, ...]}."""
    return {view: [{"key": key, "label": spec.label.get(lang), "kind": spec.kind}
                   for key, spec in metric_view(view).items()] for view in VIEWS}


class FieldInfo:
    """What a field of a stage is called and how its values read (other stages' field tables)."""

    def __init__(self, kind: Kind, label: T):
        self.kind = kind
        self.label = label


# Views of the registry under the names the rest of the package has always used:
# FIELDS: what a review rule may test (video fields, then derived rates), with .kind and .label;
# DERIVED: the derived rates, with .numerator, .denominator, .label and .description.
FIELDS: Mapping[str, MetricSpec] = MetricView("fields", lambda spec: spec.is_field,
                                              lambda index, spec: (spec.formula is not None, index))
DERIVED: Mapping[str, MetricSpec] = MetricView("derived", lambda spec: spec.formula is not None)

_formulas_cached: tuple = (None, None, ())  # (registry, version, formulas)


def _formulas() -> tuple[tuple[str, tuple[str, ...], str], ...]:
    """(name, numerator fields, denominator) of each derived rate, in registry order: what
    VideoMetrics.derived computes for every video, snapshotted until the registry changes."""
    global _formulas_cached
    registry, version = _registry_stamp()
    cached_registry, cached_version, formulas = _formulas_cached
    if version is not None and cached_registry is registry and cached_version == version:
        return formulas
    formulas = tuple((name, spec.numerator, spec.denominator) for name, spec in DERIVED.items())
    _formulas_cached = (registry, version, formulas)
    return formulas


# Names a review rule may test: the canonical fields and the derived rates.
VIDEO_METRICS: tuple[str, ...] = tuple(FIELDS)  # a snapshot, like the rule schema it feeds
NUMERIC_KINDS = {"count", "rate", "seconds", "ratio"}
