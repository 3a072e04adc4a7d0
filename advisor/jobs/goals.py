"""Weekly and per-video goals (H15, H17, H20): baseline, current value, progress, week over week.

A goals file (GOALS.yaml, validated by `GoalsFile`) states measurable targets such as
"heart share of new followers up 6%" or "average completion up 2 percentage points while hearts
grow". Without targets, the account's stage (new / growing / established) picks default ones
(H17). From videos spread over several weeks, each target gets its baseline (the week before),
its current value (the chosen week), its progress, the week-by-week series, and the videos
that moved it or did not. A target whose metric is not in the data says so, and which data
would supply it.

The advice comes from the `goal` stage rules (rules/goals.yaml), evaluated by the same engine
as every other stage: one fact per target (kind: target) and one for the goal set as a whole
(kind: goal_set), e.g. "a new account with only relationship targets".

evaluate_goals() is the library function behind `advisor goals`; goals_json() is its
report (rendered by advisor.render.emit through templates/goals/).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal, Mapping, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from advisor.core.errors import AdvisorError, Problem
from advisor.core.i18n import Lang, T
from advisor.model.metrics import FieldInfo, MetricSpec, VideoMetrics, metric_view
from advisor.model.stage_fields import GOAL_FIELDS
from advisor.model.plan import AccountStage
from advisor.core.templating import format_value
from advisor.input.ruleset import RuleSet
from advisor.input.profiles import GENERIC, load_profiles
from advisor.input.profiles import export_header
from advisor.input.yamlio import load_yaml, problems_from_validation_error
from advisor.stats.special import kernels
from advisor.stats.typical import fit_typical
from advisor.stats.experiment import rate_change
from advisor.engine import default_engine
from advisor.engine.evaluate import StageRunner
from advisor.input.importers import load_videos


STAGE = "goal"
Per = Literal["week", "video"]
MAX_TARGETS = 50


# --- what a goal can measure ---------------------------------------------------------------------


# The platform whose export the "not in this data" hints point to: its profile
# (rules/profiles/wechat_channels.yaml) says which column holds which field.
REFERENCE_PROFILE = "wechat_channels"


@dataclass(frozen=True)
class GoalMetric:
    """A metric a target can name: a registry spec of the `goal` view (advisor.model.metrics).

    name, family, kind, agg and fields come from the spec; agg says how a week's videos
    aggregate into one value (pooled: sum(numerator) / sum(denominator); mean: average per
    video; sum; external: not computable from video data). label is the spec's label as a
    week's value (a mean of rates is an average); source, what data supplies it, comes from
    the platform profile.
    """

    spec: MetricSpec

    @property
    def name(self) -> str:
        return self.spec.key

    @property
    def label(self) -> T:
        return self.spec.aggregate_label

    @property
    def family(self) -> str:
        return self.spec.family or ""

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def agg(self) -> str:
        return self.spec.agg or "external"

    @property
    def fields(self) -> tuple[str, ...]:
        return self.spec.fields

    @property
    def source(self) -> T:
        """What data supplies it, said when the data lacks it."""
        return data_hint(self.spec)


@lru_cache(maxsize=None)
def _profiles() -> tuple:

    profiles = load_profiles()
    return profiles.get(REFERENCE_PROFILE), profiles.get(GENERIC)


def data_hint(spec: MetricSpec) -> T:
    """Where a metric's data would come from: the reference export's column, else what to add."""
    if spec.source is not None:  # an external metric says it itself
        return spec.source

    reference, generic = _profiles()
    field_name = spec.fields[0] if spec.fields else spec.key
    header = export_header(reference, field_name) if reference is not None else None
    if header is not None:
        where = reference.description or reference.name
        return T(zh=f"数据里没有这一列;导出({where.zh})带有「{header}」列",
                 en=f"the data has no such column; the export ({where.en}) has a '{header}' column")
    column = (export_header(generic, field_name) if generic is not None else None) or field_name
    export = reference.name if reference is not None else T(zh="平台", en="platform")
    return T(zh=f"数据里没有{spec.label.zh};{export.zh}的导出不含这一列。需要一份带「{column}」列的数据"
                f"(例如其他平台的导出,或按你看到的分析数据手动补一列)",
             en=f"the data has no {spec.label.en}, and the {export.en} export has no such column. It needs data "
                f"with a '{column}' column (e.g. another platform's export, or a column you fill in by hand from the "
                f"analytics you have)")


class _GoalMetrics(Mapping[str, GoalMetric]):
    """GOAL_METRICS: the registry's goal view, each spec read as a GoalMetric (live, in view order)."""

    def __init__(self):
        self._view = metric_view("goal")

    def __getitem__(self, key: str) -> GoalMetric:
        return GoalMetric(self._view[key])

    def __iter__(self):
        return iter(self._view)

    def __len__(self) -> int:
        return len(self._view)


GOAL_METRICS: Mapping[str, GoalMetric] = _GoalMetrics()
GoalMetricName = Literal[tuple(GOAL_METRICS)]  # type: ignore[valid-type]


# --- the goals file ---------------------------------------------------------------------------------


def _percent(value):
    """'6%' -> 0.06; numbers pass through (0.06 means 6%)."""
    if isinstance(value, str):
        text = value.strip().replace("%", "", 1) if value.strip().endswith("%") else None
        if text is None or not re.fullmatch(r"[+-]?[0-9]+(\.[0-9]+)?", text.strip()):
            raise ValueError(T(zh=f"应为数字或百分比(如 0.06 或 6%),实际为 {value!r}",
                               en=f"expected a number or a percentage (like 0.06 or 6%), found {value!r}"))
        return float(text) / 100
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Companion(_Strict):
    """A second metric that must move along with the target's: "... while hearts grow"."""

    metric: GoalMetricName = Field(description="The metric that must move too, e.g. hearts.")
    direction: Literal["up", "down"] = Field("up", description="up (grow) or down.")


class Target(_Strict):
    """One measurable target. Give exactly one of change, change_pp, at_least, at_most."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="A short id, e.g. completion-up.")
    metric: GoalMetricName = Field(description="What is measured: a rate, a count, or heart_follower_share.")
    per: Per = Field("week", description="week: the week's value against last week's; video: each video of the week.")
    change: Optional[float] = Field(None, description="Relative change against the baseline: 6% or 0.06 = up 6%; -10% = down 10%.")
    change_pp: Optional[float] = Field(None, description="Change in percentage points, for rates: 2 = up 2 points.")
    at_least: Optional[float] = Field(None, description="A level to reach (a rate as 5% or 0.05).")
    at_most: Optional[float] = Field(None, description="A level to stay under.")
    while_: Optional[Companion] = Field(None, alias="while", description="Another metric that must move too.")
    label: Optional[T] = Field(None, description="How to call the target in reports.")

    @field_validator("change", "at_least", "at_most", mode="before")
    @classmethod
    def read_percent(cls, value):
        return _percent(value)

    @model_validator(mode="after")
    def _one_kind_of_target(self):
        given = [k for k in ("change", "change_pp", "at_least", "at_most") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(T(zh="请给出 change、change_pp、at_least、at_most 中的一个(且只给一个)",
                               en="give exactly one of change, change_pp, at_least, at_most"))
        metric = GOAL_METRICS[self.metric]
        if self.change_pp is not None and metric.kind != "rate":
            raise ValueError(T(zh=f"change_pp(百分点)只适用于比率;{self.metric} 请用 change(相对变化)",
                               en=f"change_pp (percentage points) is for rates; use change (relative) for {self.metric}"))
        for key in ("change", "change_pp", "at_least", "at_most"):
            value = getattr(self, key)
            if value is not None and not math.isfinite(value):
                raise ValueError(T(zh=f"{key} 应为有限的数字", en=f"{key} must be a finite number"))
        if self.change is not None and self.change <= -1:
            raise ValueError(T(zh="change 不能小于等于 -100%", en="change cannot be -100% or lower"))
        return self

    @property
    def direction(self) -> str:
        if self.at_most is not None:
            return "down"
        value = self.change if self.change is not None else self.change_pp
        return "down" if value is not None and value < 0 else "up"

    def level(self, baseline: float | None) -> float | None:
        """The value that meets the target, given the baseline (None when it needs one and has none)."""
        if self.at_least is not None:
            return self.at_least
        if self.at_most is not None:
            return self.at_most
        if baseline is None:
            return None
        if self.change is not None:
            return baseline * (1 + self.change)
        return baseline + self.change_pp / 100

    def meets(self, value: float, level: float) -> bool:
        return value >= level if self.direction == "up" else value <= level

    def describe(self, lang: Lang) -> str:
        if self.label is not None:
            return self.label.get(lang)
        m = GOAL_METRICS[self.metric]
        name = m.label.get(lang)
        per = T(zh="每条视频", en="each video").get(lang) if self.per == "video" else ""
        if self.change is not None:
            what = T(zh=f"{name}{'提升' if self.change >= 0 else '下降'} {abs(self.change):.0%}",
                     en=f"{name} {'up' if self.change >= 0 else 'down'} {abs(self.change):.0%}").get(lang)
        elif self.change_pp is not None:
            what = T(zh=f"{name}{'提升' if self.change_pp >= 0 else '下降'} {abs(self.change_pp):g} 个百分点",
                     en=f"{name} {'up' if self.change_pp >= 0 else 'down'} {abs(self.change_pp):g} percentage points").get(lang)
        else:
            bound = self.at_least if self.at_least is not None else self.at_most
            shown = format_value(bound, m.kind, lang)
            what = T(zh=f"{name}{'至少' if self.at_least is not None else '不超过'} {shown}",
                     en=f"{name} {'at least' if self.at_least is not None else 'at most'} {shown}").get(lang)
        if per:
            what = f"{per}{what}" if lang == "zh" else f"{what}, {per}"
        if self.while_ is not None:
            comp = GOAL_METRICS[self.while_.metric].label
            what += T(zh=f",同时{comp.zh}{'增长' if self.while_.direction == 'up' else '下降'}",
                      en=f", while {comp.en} {'grow' if self.while_.direction == 'up' else 'fall'}").get(lang)
        return what[:1].upper() + what[1:]  # it starts titles; our own labels only, never the user's


class GoalsFile(_Strict):
    """GOALS.yaml: the account's stage and its targets."""

    account_stage: Optional[AccountStage] = Field(
        None, description="new, growing or established (H17): picks the default targets when none are set.")
    theme: Optional[str] = Field(None, max_length=200, description="The account's theme, for the report.")
    targets: list[Target] = Field(default_factory=list, max_length=MAX_TARGETS,
                                  description="Measurable targets; empty: the stage's defaults.")

    @model_validator(mode="after")
    def _usable(self):
        if not self.targets and self.account_stage is None:
            raise ValueError(T(zh="请写出 targets,或给出 account_stage(new / growing / established)以使用该阶段的默认目标",
                               en="list some targets, or give account_stage (new / growing / established) to use "
                                  "that stage's default targets"))
        seen: set[str] = set()
        for target in self.targets:
            if target.id in seen:
                raise ValueError(T(zh=f"目标 id「{target.id}」重复", en=f"duplicate target id '{target.id}'"))
            seen.add(target.id)
        return self


# Default targets per account stage (H17): a new account leans on reach, an established one on
# relationship, a growing one on both (the article's "completion up 2 points while hearts grow").
DEFAULT_TARGETS: dict[str, list[Target]] = {
    "new": [
        Target(id="reach-likes", metric="like_rate", change=0.10),
        Target(id="reach-shares", metric="share_rate", change=0.10),
        Target(id="watch-through", metric="completion_rate", change_pp=1),
    ],
    "growing": [
        Target(id="completion-with-hearts", metric="completion_rate", change_pp=2,
               while_=Companion(metric="hearts", direction="up")),
        Target(id="hearts-up", metric="heart_rate", change=0.05),
        Target(id="keep-reach", metric="like_rate", change=0.0),
    ],
    "established": [
        Target(id="hearts-up", metric="heart_rate", change=0.05),
        Target(id="follow-up-up", metric="followup_rate", change=0.05),
        Target(id="new-fans-who-heart", metric="heart_follower_share", change=0.06),
    ],
}


def load_goals(path: str | Path) -> GoalsFile:
    """Read and validate GOALS.yaml; AdvisorError with located problems otherwise."""

    data, locator = load_yaml(Path(path) if not isinstance(path, Path) else path, max_bytes=200_000, max_depth=12,
                              max_nodes=20_000)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        line, col = locator.at(())
        raise AdvisorError([Problem(T(zh="目标文件应是键值映射(account_stage: ...、targets: ...)",
                                      en="a goals file is a mapping (account_stage: ..., targets: ...)"),
                                    file=str(path), line=line, col=col)])
    try:
        return GoalsFile.model_validate(data)
    except ValidationError as exc:
        raise AdvisorError(problems_from_validation_error(exc, locator, str(path), model=GoalsFile)) from None


# --- weeks ------------------------------------------------------------------------------------------


@dataclass
class Week:
    start: dt.date  # the Monday
    videos: list[VideoMetrics] = field(default_factory=list)

    @property
    def label(self) -> str:
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=6)

    def span(self) -> str:
        return f"{self.start:%m-%d}–{self.end:%m-%d}"


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def split_weeks(videos: list[VideoMetrics]) -> tuple[list[Week], list[VideoMetrics]]:
    """Calendar weeks (Monday to Sunday) from the first video's to the last's, empty ones included,
    and the videos without a publish date (they cannot be placed in a week)."""
    dated = [v for v in videos if v.published_at is not None]
    undated = [v for v in videos if v.published_at is None]
    if not dated:
        return [], undated
    first = monday(min(v.published_at for v in dated))
    last = monday(max(v.published_at for v in dated))
    weeks = [Week(first + dt.timedelta(weeks=i)) for i in range((last - first).days // 7 + 1)]
    for video in sorted(dated, key=lambda v: (v.published_at, v.id)):
        weeks[(monday(video.published_at) - first).days // 7].videos.append(video)
    return weeks, undated


def parse_week(text: str, weeks: list[Week]) -> int:
    """The index of a week given as 2026-W25 or as any date in it."""
    text = text.strip()
    m = re.fullmatch(r"(\d{4})-?W(\d{1,2})", text, re.IGNORECASE)
    try:
        start = dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1) if m else monday(dt.date.fromisoformat(text))
    except ValueError:
        start = None
    if start is None:
        raise AdvisorError([Problem(T(zh=f"--week 应为 2026-W25 这样的周或一个日期(2026-06-22),而不是「{text}」",
                                      en=f"--week takes a week like 2026-W25 or a date (2026-06-22), not '{text}'"))])
    for i, week in enumerate(weeks):
        if week.start == start:
            return i
    span = f"{weeks[0].label} – {weeks[-1].label}" if weeks else "-"
    raise AdvisorError([Problem(T(zh=f"数据里没有 {text} 这一周(数据覆盖 {span})",
                                  en=f"the data has no week {text} (it covers {span})"))])


def aggregate(metric: GoalMetric, videos: list[VideoMetrics]) -> float | None:
    """One value for a group of videos (a week, or one video); None when none has the data."""
    if metric.agg == "external":
        return None
    if metric.agg == "pooled":
        *numerator, denominator = metric.fields
        usable = [v for v in videos if all(getattr(v, f) is not None for f in metric.fields)]
        den = sum(getattr(v, denominator) for v in usable)
        if not usable or den == 0:
            return None
        return sum(getattr(v, f) for v in usable for f in numerator) / den
    values = [getattr(v, metric.fields[0]) for v in videos if getattr(v, metric.fields[0]) is not None]
    if not values:
        return None
    return sum(values) / len(values) if metric.agg == "mean" else float(sum(values))


def per_video_mean(metric: GoalMetric, videos: list[VideoMetrics]) -> float | None:
    values = [x for x in (aggregate(metric, [v]) for v in videos) if x is not None]
    return sum(values) / len(values) if values else None


def measurable(metric: GoalMetric, videos: list[VideoMetrics]) -> bool:
    return metric.agg != "external" and any(aggregate(metric, [v]) is not None for v in videos)


# --- evaluating targets ------------------------------------------------------------------------------


@dataclass
class WeekPoint:
    week: Week
    value: float | None
    level: float | None = None  # the target level against the week before
    met: bool | None = None  # None: no verdict (no value, or nothing to compare with)
    verdict: str | None = None  # judge() against the week before (week targets)
    change: "WeekChange | None" = None


@dataclass
class VideoMove:
    video: VideoMetrics
    value: float | None
    moved: bool | None  # beyond the baseline in the target's direction; None: no data
    reached: bool | None  # at the target level


@dataclass
class TargetResult:
    target: Target
    metric: GoalMetric
    measurable: bool
    current_week: Week | None
    baseline_week: Week | None
    baseline: float | None
    current: float | None
    level: float | None
    met: bool | None
    progress: float | None
    series: list[WeekPoint]
    videos: list[VideoMove]
    companion: dict | None = None  # {metric, baseline, current, change_rel, ok}
    verdict: str = "no_baseline"  # the one verdict (VERDICTS): text, Markdown, JSON and the rules all read it
    change_range: "WeekChange | None" = None  # this week's change with its range (week targets)
    progress_range: tuple[float, float] | None = None  # only when the change is credible
    fact: dict = field(default_factory=dict)
    findings: list = field(default_factory=list)

    @property
    def weeks_missed(self) -> int:
        """Consecutive weeks, up to the current one, whose week-over-week verdict was 'not met'."""
        count = 0
        for point in reversed(self.series):
            if point.met is None:
                continue
            if point.met:
                break
            count += 1
        return count


def _progress(target: Target, baseline: float | None, current: float | None, level: float | None,
              met: bool | None) -> float | None:
    """How far from the baseline towards the target level the current value got (1 = reached)."""
    if baseline is None or current is None or level is None:
        return None
    gap = level - baseline
    wanted = 1 if target.direction == "up" else -1
    if gap * wanted > 0:
        return (current - baseline) / gap
    # The baseline already sat at (or beyond) the level: reached or not, nothing in between.
    return 1.0 if met else 0.0


# --- week over week with the video as the unit ------------------------------------------------------

Verdict = Literal["met", "on_track", "flat", "off_track", "no_baseline", "not_measurable"]
VERDICTS: tuple[str, ...] = ("met", "on_track", "flat", "off_track", "no_baseline", "not_measurable")
CHANGE_LEVEL = 0.90  # the range of a week-over-week change: a 90% interval


@dataclass(frozen=True)
class Noise:
    """How much one account's videos differ by themselves, for one metric (fitted on its weeks).

    pooled rates: tau, the between-video spread of the logit (advisor.stats.typical.fit_typical);
    per-video means: sd, the within-week standard deviation of the per-video values; sums: sd of
    log(1 + value) per video. df: degrees of freedom of sd (None: tau, see rate_change).
    """

    tau: float | None = None
    sd: float | None = None
    df: int | None = None


def video_pairs(metric: GoalMetric, videos: list[VideoMetrics]) -> list[tuple[float, float]]:
    """(numerator, denominator) per video of a pooled rate, for those with the data."""
    *numerator, denominator = metric.fields
    out = []
    for v in videos:
        if all(getattr(v, f) is not None for f in metric.fields) and getattr(v, denominator):
            out.append((float(sum(getattr(v, f) for f in numerator)), float(getattr(v, denominator))))
    return out


def _per_video(metric: GoalMetric, videos: list[VideoMetrics]) -> list[float]:
    values = [x for x in (aggregate(metric, [v]) for v in videos) if x is not None]
    return [math.log1p(max(x, 0.0)) for x in values] if metric.agg == "sum" else values


def fit_noise(metric: GoalMetric, weeks: list[Week]) -> Noise:
    """The account's own between-video variation for `metric`, from every week given."""
    if metric.agg == "pooled":

        fit = fit_typical([p for w in weeks for p in video_pairs(metric, w.videos)])
        return Noise(tau=fit.tau if fit is not None else None)
    ss, n, groups = 0.0, 0, 0
    for w in weeks:
        values = _per_video(metric, w.videos)
        if values:
            mean = sum(values) / len(values)
            ss += sum((x - mean) ** 2 for x in values)
            n += len(values)
            groups += 1
    df = n - groups
    return Noise(sd=math.sqrt(ss / df), df=df) if df >= 1 else Noise()


@dataclass(frozen=True)
class WeekChange:
    """This week against the baseline week: the change in the metric's units (rates as a fraction,
    0.002 = 0.2 pp; sums and means as the value) with its CHANGE_LEVEL range, and whether the
    range lies wholly above 0 ('up'), below ('down'), or spans it ('flat': normal variation)."""

    low: float
    high: float
    direction: Literal["up", "down", "flat"]
    level: float = CHANGE_LEVEL


def week_change(metric: GoalMetric, before: list[VideoMetrics], after: list[VideoMetrics], baseline: float,
                current: float, noise: Noise) -> WeekChange | None:
    """The change from `before` to `after` with its range, the video as the unit; None when it cannot be told."""

    if metric.agg == "pooled":

        a, b = video_pairs(metric, before), video_pairs(metric, after)
        if not a or not b:
            return None
        rc = rate_change(a, b, tau=noise.tau, tau_source="history" if noise.tau is not None else None,
                         level=CHANGE_LEVEL)

        def moved(ratio: float) -> float:  # the baseline's odds times the ratio, back to a rate, minus the baseline
            odds = baseline / (1 - baseline) * ratio if baseline < 1 else math.inf
            return (odds / (1 + odds) if math.isfinite(odds) else 1.0) - baseline

        return WeekChange(moved(rc.interval[0]), moved(rc.interval[1]), rc.verdict)
    if noise.sd is None:
        return None
    a, b = _per_video(metric, before), _per_video(metric, after)
    if not a or not b:
        return None
    half = float(kernels().stdtrit(noise.df, 1 - (1 - CHANGE_LEVEL) / 2)) * noise.sd * math.sqrt(1 / len(a) + 1 / len(b))
    if metric.agg == "sum":
        # the week's total against last week's, the per-video spread on the log scale around the observed ratio
        if baseline <= 0:
            return None
        ratio = current / baseline
        lo, hi = baseline * (ratio * math.exp(-half) - 1), baseline * (ratio * math.exp(half) - 1)
    else:
        lo, hi = current - baseline - half, current - baseline + half
    return WeekChange(lo, hi, "up" if lo > 0 else "down" if hi < 0 else "flat")


def judge(target: Target, baseline: float | None, current: float | None, level: float | None,
          change: WeekChange | None) -> Verdict:
    """The ONE verdict of a week target. met: at the target level, and (for a change target) the
    change is credible; on_track: credibly moving toward it, not there yet; flat: the change is
    within normal variation between videos; off_track: credibly moving away (or below a level with
    nothing to compare); no_baseline: nothing to judge against. A target that asks only to hold
    (change 0%) is met unless it credibly moved the wrong way."""
    if current is None or level is None:
        return "no_baseline"
    wanted = 1 if target.direction == "up" else -1
    toward = None if change is None else {"up": 1, "down": -1, "flat": 0}[change.direction] * wanted
    at_level = target.meets(current, level)
    if target.at_least is not None or target.at_most is not None:  # a fixed level: reaching it is enough
        if at_level:
            return "met"
        return "off_track" if toward is None or toward < 0 else "on_track" if toward > 0 else "flat"
    gap = (level - baseline) * wanted if baseline is not None else 0.0
    if toward is None:
        toward = 0  # no range: nothing credible either way
    if gap <= 0:  # hold the line
        return "off_track" if toward < 0 else "met"
    if toward < 0:
        return "off_track"
    if toward == 0:
        return "flat"
    return "met" if at_level else "on_track"


def progress_range(target: Target, baseline: float | None, level: float | None,
                   change: WeekChange | None, verdict: str) -> tuple[float, float] | None:
    """How far toward the target the change got, as a range (1 = reached); only for a credible move toward it."""
    if verdict not in ("met", "on_track") or change is None or baseline is None or level is None:
        return None
    gap = level - baseline
    if gap == 0 or change.direction == "flat":
        return None
    lo, hi = sorted((change.low / gap, change.high / gap))
    return max(lo, 0.0), hi


def evaluate_target(target: Target, weeks: list[Week], current_index: int, all_videos: list[VideoMetrics]) -> TargetResult:
    metric = GOAL_METRICS[target.metric]
    value_of = (lambda vids: per_video_mean(metric, vids)) if target.per == "video" else (lambda vids: aggregate(metric, vids))
    noise = fit_noise(metric, weeks[: current_index + 1]) if metric.agg != "external" else Noise()
    series: list[WeekPoint] = []
    previous: float | None = None
    previous_week: Week | None = None
    for week in weeks[: current_index + 1]:
        value = value_of(week.videos)
        point = WeekPoint(week, value)
        level = target.level(previous)
        if level is not None and week.videos:
            point.level = level
            if target.per == "video":
                checks = [target.meets(x, level) for x in (aggregate(metric, [v]) for v in week.videos) if x is not None]
                point.met = all(checks) if checks else None
            elif value is not None:
                change = (week_change(metric, previous_week.videos, week.videos, previous, value, noise)
                          if previous_week is not None and previous is not None else None)
                point.change = change
                point.verdict = judge(target, previous, value, level, change)
                point.met = point.verdict == "met"
        if value is not None:
            previous, previous_week = value, week
        series.append(point)
    current_week = weeks[current_index] if weeks else None
    baseline_week = next((p.week for p in reversed(series[:-1]) if p.value is not None), None)
    baseline = value_of(baseline_week.videos) if baseline_week else None
    current = series[-1].value if series else None
    level = target.level(baseline)
    is_measurable = measurable(metric, all_videos)

    moves: list[VideoMove] = []
    wanted = 1 if target.direction == "up" else -1
    reference = baseline
    if metric.agg == "sum" and baseline_week is not None and baseline is not None and target.per == "week":
        reference = baseline / max(1, len(baseline_week.videos))  # a video's share of last week's total
    video_level = level if target.per == "video" or metric.agg != "sum" else (
        None if level is None or baseline_week is None else level / max(1, len(baseline_week.videos)))
    for video in (current_week.videos if current_week else []):
        value = aggregate(metric, [video])
        moved = None if value is None or reference is None else (value - reference) * wanted > 0
        reached = None if value is None or video_level is None else target.meets(value, video_level)
        moves.append(VideoMove(video, value, moved, reached))

    change = None
    progress_bounds = None
    if not is_measurable:
        verdict = "not_measurable"
        met = progress = None
    elif target.per == "video":
        checks = [m.reached for m in moves if m.reached is not None]
        met = (all(checks) if checks else None) if level is not None else None
        progress = (sum(checks) / len(checks)) if checks else None
        verdict = ("no_baseline" if met is None else "met" if met
                   else "on_track" if progress is not None and progress >= 0.5 else "off_track")
    else:
        point = series[-1] if series else None
        change = point.change if point is not None and point.week is current_week else None
        verdict = judge(target, baseline, current, level, change)
        met = None if verdict == "no_baseline" else verdict == "met"
        progress_bounds = progress_range(target, baseline, level, change, verdict)
        # A point progress only when the change is credible; otherwise the week reads flat, not "148%".
        progress = _progress(target, baseline, current, level, met) if progress_bounds is not None else None

    companion = None
    if target.while_ is not None:
        cm = GOAL_METRICS[target.while_.metric]
        cb = aggregate(cm, baseline_week.videos) if baseline_week else None
        cc = aggregate(cm, current_week.videos) if current_week else None
        ok = None
        if cb is not None and cc is not None:
            ok = cc > cb if target.while_.direction == "up" else cc < cb
        companion = {"metric": cm.name, "direction": target.while_.direction, "baseline": cb, "current": cc,
                     "change_rel": (cc / cb - 1) if cb and cc is not None else None, "ok": ok}
    return TargetResult(target, metric, is_measurable, current_week, baseline_week, baseline, current, level, met,
                        progress, series, moves, companion, verdict=verdict, change_range=change,
                        progress_range=progress_bounds)


def target_fact(r: TargetResult) -> dict:
    """The fact the goal-stage rules see for one target (present values only)."""
    # For a per-video target a video "moves" it by reaching the target level itself.
    verdict = (lambda m: m.reached) if r.target.per == "video" else (lambda m: m.moved)
    moved = [m for m in r.videos if verdict(m)]
    with_data = [m for m in r.videos if verdict(m) is not None]
    change = None if r.current is None or r.baseline is None else r.current - r.baseline
    fact = {
        "kind": "target", "id": r.target.id, "metric": r.metric.name, "family": r.metric.family,
        "per": r.target.per, "direction": r.target.direction, "measurable": r.measurable,
        "baseline": r.baseline, "current": r.current, "target": r.level, "change": change,
        "change_rel": (r.current / r.baseline - 1) if r.baseline and r.current is not None else None,
        "progress": r.progress, "met": r.met, "verdict": r.verdict,
        "change_low": r.change_range.low if r.change_range else None,
        "change_high": r.change_range.high if r.change_range else None,
        "change_credible": None if r.change_range is None else r.change_range.direction != "flat",
        "progress_low": r.progress_range[0] if r.progress_range else None,
        "progress_high": r.progress_range[1] if r.progress_range else None,
        "direction_ok": None if change is None else change * (1 if r.target.direction == "up" else -1) > 0,
        "weeks": sum(1 for p in r.series if p.value is not None),
        "weeks_missed": r.weeks_missed, "weeks_met": sum(1 for p in r.series if p.met),
        "videos": len(r.videos), "videos_moved": len(moved),
        "videos_moved_share": len(moved) / len(with_data) if with_data else None,
        "videos_met": sum(1 for m in r.videos if m.reached),
        "has_companion": r.companion is not None,
    }
    if r.companion is not None:
        fact["companion_ok"] = r.companion["ok"]
        fact["companion_change_rel"] = r.companion["change_rel"]
    return {k: v for k, v in fact.items() if v is not None and not (isinstance(v, float) and not math.isfinite(v))}


def goal_set_fact(goals: GoalsFile, targets: list[Target], results: list[TargetResult], from_defaults: bool) -> dict:
    families = [GOAL_METRICS[t.metric].family for t in targets]
    fact = {
        "kind": "goal_set",
        "account_stage": goals.account_stage,
        "from_defaults": from_defaults,
        "targets": len(targets),
        "exposure_targets": families.count("exposure"),
        "relationship_targets": families.count("relationship"),
        "retention_targets": families.count("retention"),
        "measurable_targets": sum(1 for r in results if r.measurable),
        "met_targets": sum(1 for r in results if r.verdict == "met"),
        "unmet_targets": sum(1 for r in results if r.verdict in ("on_track", "flat", "off_track")),
        "flat_targets": sum(1 for r in results if r.verdict == "flat"),
        "weeks": max((sum(1 for p in r.series if p.value is not None) for r in results), default=0),
    }
    return {k: v for k, v in fact.items() if v is not None}



STAGE_LABELS = {"new": T(zh="新号", en="new account"), "growing": T(zh="成长期账号", en="growing account"),
                "established": T(zh="成熟账号", en="established account")}


def show(metric: GoalMetric, value: float | None, lang: Lang) -> str:
    return format_value(value, metric.kind, lang)


def show_change(metric: GoalMetric, baseline: float | None, current: float | None, lang: Lang) -> str:
    """+2.1 pp for rates, +12.0% for everything else; n/a without both values."""
    if baseline is None or current is None:
        return format_value(None, "rate", lang)
    if metric.kind == "rate":
        unit = "个百分点" if lang == "zh" else " pp"
        return f"{(current - baseline) * 100:+.2f}{unit}"
    if baseline == 0:
        return f"{current - baseline:+g}"
    return f"{current / baseline - 1:+.1%}"


VERDICT_LABELS = {
    "met": T(zh="✓ 已达成", en="✓ met"),
    "on_track": T(zh="↗ 在推进,尚未达成", en="↗ on track, not met yet"),
    "flat": T(zh="– 持平,在正常波动内", en="– flat, within normal variation"),
    "off_track": T(zh="✗ 未达成,方向不对", en="✗ off track"),
    "no_baseline": T(zh="– 无法判断(没有基线)", en="– no verdict (no baseline)"),
    "not_measurable": T(zh="– 无法衡量", en="– not measurable"),
}


def show_change_range(metric: GoalMetric, baseline: float | None, change: "WeekChange | None", lang: Lang) -> str:
    """The change's range: -0.40 – +0.60 pp for rates, relative for the rest; '' without one."""
    if change is None or baseline is None:
        return ""
    if metric.kind == "rate":
        unit = "个百分点" if lang == "zh" else " pp"
        text = f"{change.low * 100:+.2f} – {change.high * 100:+.2f}{unit}"
    elif baseline:
        text = f"{change.low / baseline:+.1%} – {change.high / baseline:+.1%}"
    else:
        text = f"{change.low:+g} – {change.high:+g}"
    return T(zh=f"{change.level:.0%} 区间 {text}", en=f"{change.level:.0%} range {text}").get(lang)


def show_progress(r: "TargetResult", lang: Lang) -> str:
    """Progress only where it means something: a range for a credible week change, a count of videos per video."""
    if r.target.per == "video":
        checks = [m.reached for m in r.videos if m.reached is not None]
        if not checks:
            return ""
        return T(zh=f"{len(checks)} 条中 {sum(checks)} 条达到目标值",
                 en=f"{sum(checks)} of {len(checks)} videos at the target").get(lang)
    if r.progress_range is None:
        return ""
    lo, hi = r.progress_range
    return T(zh=f"进度 {lo:.0%}–{hi:.0%}", en=f"progress {lo:.0%}–{hi:.0%}").get(lang)


def video_name(video: VideoMetrics, limit: int = 18) -> str:
    name = video.title or video.id
    return name if len(name) <= limit else name[: limit - 1] + "…"


def display_fields(fact: dict, r: TargetResult | None, lang: Lang, goals: GoalsFile | None = None) -> dict:
    """The fact plus the display texts rule texts may use, in `lang`."""
    out = dict(fact)
    for key in GOAL_FIELDS:
        out.setdefault(key, None)
    stage = fact.get("account_stage") or (goals.account_stage if goals else None)
    out["stage_label"] = STAGE_LABELS[stage].get(lang) if stage in STAGE_LABELS else ""
    metric = GOAL_METRICS.get(fact.get("metric") or "")
    if metric is None:
        for key in ("metric_label", "target_label", "baseline_text", "current_text", "target_text", "change_text",
                    "change_range_text", "progress_text", "verdict_text", "needs_text", "companion_label", "moved_list", "not_moved_list", "week_label"):
            out[key] = out.get(key) or ""
        return out
    sep = "、" if lang == "zh" else ", "
    out["metric_label"] = metric.label.get(lang)
    out["target_label"] = r.target.describe(lang) if r else metric.label.get(lang)
    out["baseline_text"] = show(metric, fact.get("baseline"), lang)
    out["current_text"] = show(metric, fact.get("current"), lang)
    out["target_text"] = show(metric, fact.get("target"), lang)
    out["change_text"] = show_change(metric, fact.get("baseline"), fact.get("current"), lang)
    out["change_range_text"] = show_change_range(metric, fact.get("baseline"), r.change_range if r else None, lang)
    out["progress_text"] = show_progress(r, lang) if r else ""
    out["verdict_text"] = VERDICT_LABELS[fact["verdict"]].get(lang) if fact.get("verdict") in VERDICT_LABELS else ""
    out["needs_text"] = metric.source.get(lang)
    comp = r.companion if r else None
    out["companion_label"] = GOAL_METRICS[comp["metric"]].label.get(lang) if comp else ""
    # A per-video target judges each video against the target itself: those at it "moved" it.
    key = (lambda m: m.reached) if r and r.target.per == "video" else (lambda m: m.moved)
    out["moved_list"] = sep.join(video_name(m.video) for m in (r.videos if r else []) if key(m))
    out["not_moved_list"] = sep.join(video_name(m.video) for m in (r.videos if r else []) if key(m) is False)
    out["week_label"] = r.current_week.label if r and r.current_week else ""
    return out


# --- the run -----------------------------------------------------------------------------------------


@dataclass
class GoalsResult:
    goals: GoalsFile
    targets: list[Target]
    from_defaults: bool
    weeks: list[Week]
    current_index: int | None
    results: list[TargetResult]
    set_fact: dict
    set_findings: list
    undated: list[VideoMetrics]
    problems: list[Problem] = field(default_factory=list)
    files: list = field(default_factory=list)
    goals_file: str | None = None
    engine: str = "python"

    @property
    def current_week(self) -> Week | None:
        return self.weeks[self.current_index] if self.current_index is not None else None

    @property
    def status(self) -> int:
        return 1 if self.problems else 0


def evaluate_goals(goals: GoalsFile, videos: list[VideoMetrics], ruleset: RuleSet, *, week: str | None = None,
                   engine: str | None = None, problems: list[Problem] | None = None, files: list | None = None,
                   goals_file: str | None = None) -> GoalsResult:
    """Each target's baseline, current value, progress and movers, and the goal rules' advice."""

    from_defaults = not goals.targets
    targets = list(goals.targets) if goals.targets else list(DEFAULT_TARGETS[goals.account_stage])
    weeks, undated = split_weeks(videos)
    if not weeks:
        raise AdvisorError(list(problems or []) + [Problem(T(
            zh="没有带发布时间的视频,无法按周计算目标:导出里需要「发布时间」列",
            en="no video has a publish date, so nothing can be placed in a week: the export needs its 发布时间 (published) column"),
            file=(files[0].path if files else None), field="published_at")])
    if week is not None:
        current_index = parse_week(week, weeks)
    else:
        current_index = max(i for i, w in enumerate(weeks) if w.videos)
    dated = [v for w in weeks for v in w.videos]
    results = [evaluate_target(t, weeks, current_index, dated) for t in targets]
    set_fact = goal_set_fact(goals, targets, results, from_defaults)
    with StageRunner(ruleset, STAGE, engine=engine) as runner:
        for r in results:
            r.fact = target_fact(r)
            _, r.findings, _ = runner.run(r.fact)
        _, set_findings, _ = runner.run(set_fact)
    return GoalsResult(goals, targets, from_defaults, weeks, current_index, results, set_fact, set_findings, undated,
                       list(problems or []), list(files or []), goals_file, engine or default_engine())


# --- reports -------------------------------------------------------------------------------------------


def _num(value, digits: int = 6):
    return None if value is None else round(value, digits)


def target_json(r: TargetResult, result: GoalsResult, lang: Lang) -> dict:
    shown = display_fields(r.fact, r, lang, result.goals)
    out = {
        "id": r.target.id,
        "metric": r.metric.name,
        "label": r.target.describe(lang),
        "family": r.metric.family,
        "per": r.target.per,
        "direction": r.target.direction,
        "measurable": r.measurable,
        "baseline_week": r.baseline_week.label if r.baseline_week else None,
        "baseline": _num(r.baseline),
        "current": _num(r.current),
        "target": _num(r.level),
        "change": _num(r.fact.get("change")),
        "change_text": shown["change_text"],
        "progress": _num(r.progress, 4),
        "met": r.met,
        "verdict": r.verdict,
        "verdict_text": VERDICT_LABELS[r.verdict].get(lang),
        "change_range": None if r.change_range is None else {
            "low": _num(r.change_range.low), "high": _num(r.change_range.high), "level": r.change_range.level,
            "direction": r.change_range.direction},
        "change_range_text": shown["change_range_text"],
        "progress_range": None if r.progress_range is None else [_num(x, 4) for x in r.progress_range],
        "progress_text": shown["progress_text"],
        "weeks_missed": r.weeks_missed,
        "series": [{"week": p.week.label, "start": p.week.start.isoformat(), "videos": len(p.week.videos),
                    "value": _num(p.value), "target": _num(p.level), "met": p.met, "verdict": p.verdict}
                   for p in r.series],
        "videos": {
            "moved": [_move_json(m) for m in r.videos if m.moved],
            "not_moved": [_move_json(m) for m in r.videos if m.moved is False],
            "no_data": [_move_json(m) for m in r.videos if m.moved is None],
        },
        "findings": [f.to_json(shown, GOAL_FIELDS, lang) for f in r.findings],
    }
    if r.companion is not None:
        out["companion"] = {k: (_num(v) if isinstance(v, float) else v) for k, v in r.companion.items()}
    if not r.measurable:
        out["needs"] = r.metric.source.get(lang)
    return out


def _move_json(m: VideoMove) -> dict:
    return {"id": m.video.id, "title": m.video.title,
            "published_at": m.video.published_at.isoformat() if m.video.published_at else None,
            "value": _num(m.value), "reached": m.reached}


def goals_json(result: GoalsResult, lang: Lang) -> dict:
    current = result.current_week
    shown = display_fields(result.set_fact, None, lang, result.goals)
    return {
        "account_stage": result.goals.account_stage,
        "theme": result.goals.theme,
        "targets_from": "defaults" if result.from_defaults else "file",
        "goals_file": result.goals_file,
        "current_week": current.label if current else None,
        "weeks": [{"week": w.label, "start": w.start.isoformat(), "end": w.end.isoformat(), "videos": len(w.videos)}
                  for w in result.weeks],
        "goals": [target_json(r, result, lang) for r in result.results],
        "next_week": [f.to_json(shown, GOAL_FIELDS, lang) for f in result.set_findings],
        "undated": [v.id for v in result.undated],
        "summary": {"targets": len(result.results), "measurable": result.set_fact.get("measurable_targets", 0),
                    "met": result.set_fact.get("met_targets", 0),
                    "verdicts": {v: sum(1 for r in result.results if r.verdict == v) for v in VERDICTS},
                    "engine": result.engine},
        "errors": [p.to_json(lang) for p in result.problems],
    }


def run_goals(goals_path: str | Path, paths, ruleset: RuleSet, *, history: str | None = None,
              week: str | None = None, profile=None, engine: str | None = None, stdin=None) -> GoalsResult:
    """`advisor goals` as a function: read the goals file and the videos, evaluate every target.

    Videos of `history` (an older export) are added as earlier weeks; a video in both keeps the
    newer export's numbers.
    """

    goals = load_goals(goals_path)
    imported = load_videos(list(paths), profile=profile, profile_dirs=ruleset.profile_dirs(), stdin=stdin)
    videos = list(imported.videos)
    problems, files = list(imported.problems), list(imported.files)
    if history:
        older = load_videos([history], profile=profile, profile_dirs=ruleset.profile_dirs())
        known = {v.id for v in videos}
        videos += [v for v in older.videos if v.id not in known]
        problems += older.problems
        files += older.files
    if not videos:
        raise AdvisorError(problems + [Problem(T(zh="没有可用的视频数据", en="no usable video in the data"),
                                               file=", ".join(str(p) for p in paths))])
    return evaluate_goals(goals, videos, ruleset, week=week, engine=engine, problems=problems, files=files,
                          goals_file=str(goals_path))
