"""A/B comparison of two variants (H12): which one wins on which signal, and how sure we are.

A variant is one or more videos: a whole file, or the rows of one export picked by their
`variant` column (实验组) or by id. Each signal (like rate, heart rate, completion, follow-up
interaction) is compared with advisor.stats; the advice on each comparison comes from the
`experiment` stage rules (rules/goals.yaml), evaluated like every other rule.

Methods. `video` (the default) takes the VIDEO as the unit (advisor.stats.experiment.compare_arms):
each video's rate varies around its arm's mean by the account's between-video spread tau, so two
episodes of one series are not ">99.9%" different, and one video per arm never names a winner.
tau comes from the account's history (`history`, fitted per signal with
advisor.stats.typical.fit_typical), else from the arms, else a stated default. `z` and `bayes`
treat every VIEW as an independent trial (advisor.stats.proportions): right only for one video
the platform itself split-tests (two covers or titles on the same video), wrong across videos.

run_ab() is the library function behind `advisor ab`; ab_json() is its report (advisor.render.emit
renders it as text or Markdown through templates/ab/), and advisor.jobs.notebook writes its conclusion into an operations notebook.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from advisor.stats import experiment as arms_stats
from advisor.stats import proportions as stats
from advisor.core.errors import AdvisorError, Problem, did_you_mean
from advisor.core.i18n import Lang, T
from advisor.model.metrics import FieldInfo, MetricSpec, VideoMetrics, metric_view
from advisor.model.stage_fields import EXPERIMENT_FIELDS
from advisor.input.ruleset import RuleSet
from advisor.stats.typical import fit_typical
from advisor.input.importers import load_videos
from advisor.engine import default_engine
from advisor.engine.evaluate import StageRunner


STAGE = "experiment"


# A signal is a rate compared between variants, events over views: a registry metric of the
# `ab` view (advisor.model.metrics), read through .name, .label, .family and .needs (the
# VideoMetrics fields a video must have to count).
Signal = MetricSpec
SIGNALS: Mapping[str, Signal] = metric_view("ab")

METHODS: tuple[str, ...] = ("video", *stats.METHODS)  # video: one video one unit; z, bayes: per view
DEFAULT_METHOD = "video"
DEFAULT_TAU = 0.35  # the between-video spread (logit scale) assumed when neither history nor arms give one
# The smallest relative difference a "needed" estimate plans for: per view 5%; per video 30%
# (a between-video spread of ~35% makes a 5% lift need hundreds of videos per arm).
MIN_LIFTS = {"video": arms_stats.MIN_LIFT, "z": stats.MIN_LIFT, "bayes": stats.MIN_LIFT}



# --- variants ---------------------------------------------------------------------------------------


@dataclass
class Variant:
    """One arm of the test: its videos, summed."""

    key: str  # "a" or "b"
    label: str  # what the operator called it: a variant label, an id, or a file name
    source: str  # where it came from
    videos: list[VideoMetrics]

    @property
    def views(self) -> int:
        return sum(v.views or 0 for v in self.videos)

    def counts(self, signal: Signal) -> tuple[int, int] | None:
        """(events, views) over the videos that have every field the signal needs; None if none do."""
        usable = [v for v in self.videos if all(getattr(v, f) is not None for f in signal.needs)]
        if not usable:
            return None
        views = sum(v.views for v in usable)
        if signal.formula is None:
            # An exported rate (completion): events per video, rounded; the test needs counts.
            events = sum(round(getattr(v, signal.name) * v.views) for v in usable)
        else:
            events = sum(sum(getattr(v, f) for f in signal.numerator) for v in usable)
        return events, views

    def video_counts(self, signal: Signal) -> list[tuple[int, int]] | None:
        """(events, views) per video that has every field the signal needs; None if none do."""
        out = [c for c in (video_counts(v, signal) for v in self.videos) if c is not None]
        return out or None

    def to_json(self) -> dict:
        return {"label": self.label, "source": self.source, "videos": [v.id for v in self.videos],
                "views": self.views}


def video_counts(video: VideoMetrics, signal: Signal) -> tuple[int, int] | None:
    """One video's (events, views) for a signal from the metric registry: the numerator fields
    summed over its views; an exported rate (completion) times views, rounded. None without the data."""
    if any(getattr(video, f) is None for f in signal.needs) or not video.views:
        return None
    if signal.formula is None:
        return round(getattr(video, signal.name) * video.views), video.views
    return sum(getattr(video, f) for f in signal.numerator), video.views


def history_taus(videos: list[VideoMetrics]) -> dict[str, float]:
    """The account's between-video spread tau per signal, fitted on its past videos (fit_typical)."""

    taus = {}
    for name, signal in SIGNALS.items():
        obs = [c for c in (video_counts(v, signal) for v in videos) if c is not None and c[0] <= c[1]]
        fit = fit_typical(obs, default_tau=DEFAULT_TAU) if obs else None
        if fit is not None:
            taus[name] = fit.tau
    return taus


def pick_variants(a: str, b: str, *, source: str | None = None, profile=None, profile_dirs=None,
                  stdin=None) -> tuple[Variant, Variant, list[Problem], list]:
    """The two variants: two files, or (with `source`) two labels of its `variant` column or ids.

    Returns (A, B, problems of the rows not imported, importers.FileInfo per file read).
    Raises AdvisorError when a variant cannot be found or holds no video.
    """

    if source is not None:
        imported = load_videos([source], profile=profile, profile_dirs=profile_dirs, stdin=stdin)
        variants = [_select(key, label, imported.videos, source) for key, label in (("a", a), ("b", b))]
        problems, files = imported.problems, imported.files
    else:
        if a == b:
            raise AdvisorError([Problem(T(zh="A 和 B 是同一个文件:请给出两个变体的文件,或用 --from 从一个导出里按实验组选取",
                                          en="A and B are the same file: give one file per variant, or pick rows "
                                             "from one export with --from"), file=a)])
        variants, problems, files = [], [], []
        for key, path in (("a", a), ("b", b)):
            imported = load_videos([path], profile=profile, profile_dirs=profile_dirs, stdin=stdin)
            problems.extend(imported.problems)
            files.extend(imported.files)
            if not imported.videos:
                raise AdvisorError(problems + [Problem(T(zh="这个文件里没有可用的视频", en="no usable video in this file"),
                                                       file=path)])
            variants.append(Variant(key, Path(path).stem if path != "-" else "stdin", path, imported.videos))
    return variants[0], variants[1], problems, files


def _select(key: str, label: str, videos: list[VideoMetrics], source: str) -> Variant:
    by_variant = [v for v in videos if v.variant == label]
    if by_variant:
        return Variant(key, label, f"{source} (variant = {label})", by_variant)
    by_id = [v for v in videos if v.id == label]
    if by_id:
        return Variant(key, label, f"{source} (id = {label})", by_id)
    labels = sorted({v.variant for v in videos if v.variant})
    hint = did_you_mean(label, labels + [v.id for v in videos])
    known_zh = f"文件里的实验组:{', '.join(labels)}" if labels else "文件里没有实验组(variant / 实验组)列"
    known_en = f"variants in the file: {', '.join(labels)}" if labels else "the file has no variant (实验组) column"
    message = T(zh=f"找不到实验组或视频ID「{label}」;{known_zh}" + (f";{hint.zh}" if hint else ""),
                en=f"no variant or video id '{label}'; {known_en}" + (f"; {hint.en}" if hint else ""))
    raise AdvisorError([Problem(message, file=source, field="variant")])


# --- comparing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VideoRateResult:
    """A per-video comparison (advisor.stats.experiment.ArmComparison) read with the names of a
    per-view stats.RateComparison, so reports, rules and the notebook handle both alike.

    x_a, n_a, x_b, n_b are the arms' summed events and views (shown, not tested); winner is 'a' /
    'b' / None; verdict 'a' / 'b' / 'tie' (enough videos to have shown min_lift, none showed) /
    'undecided' (one video per arm, or too few videos). Per-view fields are None.
    """

    arms: arms_stats.ArmComparison
    x_a: int
    n_a: int
    x_b: int
    n_b: int
    method: str = "video"
    prob_b_beats_a: None = None
    views_needed: None = None
    more_views_a: None = None
    more_views_b: None = None
    required_per_variant: None = None
    required_basis: None = None

    @property
    def rate_a(self) -> float:
        return self.arms.rate_a

    @property
    def rate_b(self) -> float:
        return self.arms.rate_b

    @property
    def diff(self) -> float:
        return self.rate_b - self.rate_a

    @property
    def lift(self) -> float | None:
        return self.rate_b / self.rate_a - 1 if self.rate_a else None

    @property
    def winner(self) -> str | None:
        return None if self.arms.winner is None else self.arms.winner.lower()

    @property
    def p_value(self) -> float:
        return self.arms.p_value

    @property
    def confidence(self) -> float:
        return self.arms.confidence

    @property
    def z(self) -> float | None:
        return self.arms.diff_logodds / self.arms.se if self.arms.se > 0 else None

    @property
    def reason(self) -> str:
        return self.arms.reason

    @property
    def verdict(self) -> str:
        if self.winner is not None:
            return self.winner
        return "tie" if self.arms.reason == "no_difference" else "undecided"


@dataclass
class Comparison:
    signal: Signal
    result: "stats.RateComparison | VideoRateResult"
    fact: dict = field(default_factory=dict)
    findings: list = field(default_factory=list)  # advisor.engine.explain.Finding

    @property
    def arms(self) -> arms_stats.ArmComparison | None:
        """The per-video comparison (method video), else None."""
        return getattr(self.result, "arms", None)


@dataclass
class NotCompared:
    signal: Signal
    missing: list[str]  # "a" and/or "b": the variants without the data


@dataclass
class ABResult:
    a: Variant
    b: Variant
    method: str
    alpha: float
    power: float
    min_lift: float
    comparisons: list[Comparison]
    not_compared: list[NotCompared]
    problems: list[Problem] = field(default_factory=list)
    files: list = field(default_factory=list)
    engine: str = "python"
    history: str | None = None  # the history file tau was fitted on, if any

    def wins(self, key: str) -> list[str]:
        return [c.signal.name for c in self.comparisons if c.result.winner == key]

    @property
    def split(self) -> bool:
        """Each variant wins at least one signal: no variant is simply better."""
        return bool(self.wins("a")) and bool(self.wins("b"))

    def label(self, key: str) -> str:
        variant = self.a if key == "a" else self.b
        if variant.label.strip().upper() == key.upper():
            return key.upper()
        return f"{key.upper()} ({variant.label})"

    @property
    def status(self) -> int:
        return 1 if self.problems else 0


def compare_variants(a: Variant, b: Variant, ruleset: RuleSet, *, method: str = DEFAULT_METHOD,
                     alpha: float = stats.ALPHA, power: float = stats.POWER, min_lift: float | None = None,
                     taus: Mapping[str, float] | None = None, history: str | None = None,
                     default_tau: float = DEFAULT_TAU, engine: str | None = None,
                     problems: list[Problem] | None = None, files: list | None = None) -> ABResult:
    """Compare every signal both variants have data for, and run the experiment-stage rules.

    method video: compare_arms per signal, tau from `taus` (signal -> the account's spread, fitted
    on its history) when given, else from the arms, else default_tau. z / bayes: per view.
    min_lift None: the method's default (MIN_LIFTS).
    """

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; one of {METHODS}")
    if min_lift is None:
        min_lift = MIN_LIFTS[method]
    comparisons, not_compared = [], []
    for signal in SIGNALS.values():
        ca, cb = a.counts(signal), b.counts(signal)
        if ca is None or cb is None:
            not_compared.append(NotCompared(signal, [k for k, c in (("a", ca), ("b", cb)) if c is None]))
            continue
        unusable = [k for k, c in (("a", ca), ("b", cb)) if c[1] == 0 or c[0] > c[1]]
        if unusable:  # no views, or more events than views (a rate above 100%: bad data)
            not_compared.append(NotCompared(signal, unusable))
            continue
        if method == "video":
            tau = (taus or {}).get(signal.name)
            arms = arms_stats.compare_arms(a.video_counts(signal), b.video_counts(signal), tau=tau,
                                           tau_source="history" if tau is not None else None,
                                           default_tau=default_tau, alpha=alpha, power=power, min_lift=min_lift)
            result = VideoRateResult(arms, ca[0], ca[1], cb[0], cb[1])
        else:
            result = stats.compare_rates(ca[0], ca[1], cb[0], cb[1], method=method, alpha=alpha, power=power,
                                         min_lift=min_lift)
        comparisons.append(Comparison(signal, result))
    out = ABResult(a, b, method, alpha, power, min_lift, comparisons, not_compared, list(problems or []),
                   list(files or []), engine or default_engine(), history)
    with StageRunner(ruleset, STAGE, engine=engine) as runner:
        for comparison in comparisons:
            comparison.fact = comparison_fact(comparison.signal, comparison.result, wins_a=len(out.wins("a")),
                                              wins_b=len(out.wins("b")), videos_a=len(a.videos),
                                              videos_b=len(b.videos), min_lift=min_lift)
            _, comparison.findings, _ = runner.run(comparison.fact)
    return out


def comparison_fact(signal: Signal, r, *, wins_a: int, wins_b: int, videos_a: int | None = None,
                    videos_b: int | None = None, min_lift: float | None = None) -> dict:
    """The fact the experiment-stage rules see for one compared signal (present values only)."""
    arms = getattr(r, "arms", None)
    fact = {
        "metric": signal.name, "family": signal.family,
        "method": r.method, "unit": "video" if arms is not None else "view",
        "a": r.rate_a, "b": r.rate_b, "diff": r.diff, "lift": r.lift,
        "verdict": r.verdict, "winner": r.winner, "decided": r.winner is not None,
        "confidence": r.confidence, "p_value": r.p_value, "prob_b_beats_a": r.prob_b_beats_a,
        "views_a": r.n_a, "views_b": r.n_b, "views_needed": r.views_needed,
        "views_needed_a": r.more_views_a if r.winner is None else None,
        "views_needed_b": r.more_views_b if r.winner is None else None,
        "required_views": r.required_per_variant,
        "videos_a": arms.videos_a if arms is not None else videos_a,
        "videos_b": arms.videos_b if arms is not None else videos_b,
        "min_lift": min_lift,
        "split": wins_a > 0 and wins_b > 0, "wins_a": wins_a, "wins_b": wins_b,
    }
    if arms is not None:
        fact.update({
            "reason": arms.reason, "videos_needed": arms.videos_needed,
            "decisive_possible": arms.decisive_possible, "tau": arms.tau, "tau_source": arms.tau_source,
            "ratio": arms.ratio, "ratio_low": arms.interval[0], "ratio_high": arms.interval[1],
            "planned_lift": planned_lift(arms, min_lift if min_lift is not None else arms_stats.MIN_LIFT),
            "spread": math.exp(arms.tau) - 1,
        })
    else:
        fact["reason"] = "winner" if r.winner is not None else "no_difference" if r.verdict == "tie" else "need_more_views"
    return {k: v for k, v in fact.items() if v is not None}


def planned_lift(arms: arms_stats.ArmComparison, min_lift: float) -> float:
    """The relative lift videos_needed plans for: the observed one, at least min_lift (as compare_arms)."""
    return math.exp(max(math.log1p(min_lift), abs(arms.diff_logodds))) - 1


def display_fields(fact: dict, result: ABResult | None, lang: Lang) -> dict:
    """The fact plus the display texts rule texts may use, in `lang`."""
    out = dict(fact)
    signal = SIGNALS.get(fact.get("metric", ""))
    out["metric_label"] = signal.label.get(lang) if signal else fact.get("metric", "")
    label = (lambda k: result.label(k)) if result is not None else (lambda k: k.upper())
    out["label_a"], out["label_b"] = label("a"), label("b")
    winner = fact.get("winner")
    if winner in ("a", "b"):
        other = "b" if winner == "a" else "a"
        out["winner_label"], out["loser_label"] = label(winner), label(other)
        if result is not None:
            names = [SIGNALS[n].label.get(lang) for n in result.wins(other)]
            out["other_wins"] = ("、" if lang == "zh" else ", ").join(names)
    for key in ("winner_label", "loser_label", "other_wins"):
        out.setdefault(key, "")
    return out


# --- reports ----------------------------------------------------------------------------------------


def _round(value, digits: int = 6):
    return None if value is None else round(value, digits)


def comparison_json(c: Comparison, result: ABResult, lang: Lang) -> dict:
    r = c.result
    arms = c.arms
    shown = display_fields(c.fact, result, lang)
    return {
        "metric": c.signal.name,
        "a": _round(r.rate_a),
        "b": _round(r.rate_b),
        "winner": r.winner,
        "confidence": _round(r.confidence, 4),
        "views_needed": r.views_needed,
        "verdict": r.verdict,
        "label": c.signal.label.get(lang),
        "family": c.signal.family,
        "diff": _round(r.diff),
        "lift": _round(r.lift, 4),
        "p_value": None if r.p_value is None else float(f"{r.p_value:.4g}"),
        "z": _round(r.z, 4),
        "prob_b_beats_a": _round(r.prob_b_beats_a, 4),
        "sample": {"a": {"views": r.n_a, "events": r.x_a}, "b": {"views": r.n_b, "events": r.x_b}},
        "views_needed_a": r.more_views_a if r.winner is None else None,
        "views_needed_b": r.more_views_b if r.winner is None else None,
        "required_views_per_variant": r.required_per_variant,
        "required_basis": r.required_basis,
        "unit": c.fact.get("unit"),
        "reason": c.fact.get("reason"),
        "videos": {"a": c.fact.get("videos_a"), "b": c.fact.get("videos_b")},
        "videos_needed": arms.videos_needed if arms is not None else None,
        "decisive_possible": arms.decisive_possible if arms is not None else None,
        "tau": _round(arms.tau, 4) if arms is not None else None,
        "tau_source": arms.tau_source if arms is not None else None,
        "df": arms.df if arms is not None else None,
        "ratio": _round(arms.ratio, 4) if arms is not None else None,
        "interval": [_round(arms.interval[0], 4), _round(arms.interval[1], 4)] if arms is not None else None,
        "interval_level": 1 - result.alpha,
        "explanation": explanation(c, result, lang),
        "findings": [f.to_json(shown, EXPERIMENT_FIELDS, lang) for f in c.findings],
    }


def ab_json(result: ABResult, lang: Lang) -> dict:
    return {
        "variants": {"a": result.a.to_json(), "b": result.b.to_json()},
        "method": result.method,
        "unit": "video" if result.method == "video" else "view",
        "history": result.history,
        "alpha": result.alpha,
        "power": result.power,
        "min_lift": result.min_lift,
        "comparisons": [comparison_json(c, result, lang) for c in result.comparisons],
        "not_compared": [{"metric": n.signal.name, "label": n.signal.label.get(lang), "missing_in": n.missing,
                          "reason": not_compared_reason(n, lang)} for n in result.not_compared],
        "wins": {"a": result.wins("a"), "b": result.wins("b")},
        "split": result.split,
        "conclusion": conclusion(result, lang),
        "engine": result.engine,
        "errors": [p.to_json(lang) for p in result.problems],
    }


def not_compared_reason(n: NotCompared, lang: Lang) -> str:
    fields = "、".join(n.signal.needs) if lang == "zh" else ", ".join(n.signal.needs)
    which = " / ".join(k.upper() for k in n.missing)
    return T(zh=f"{which} 组的数据缺少 {fields},或播放量为 0,或互动数超过播放量,无法比较",
             en=f"variant {which} lacks {fields}, has no views, or has more events than views, "
                f"so it cannot be compared").get(lang)


def _pp(diff: float, lang: Lang) -> str:
    unit = "个百分点" if lang == "zh" else " pp"
    return f"{diff * 100:+.2f}{unit}"


def _pct(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def show_confidence(value: float | None) -> str:
    """99.3%; never "100.0%": a test is never certain, so values that would round up read >99.9%."""
    if value is None:
        return "n/a"
    return ">99.9%" if value > 0.999 else f"{value * 100:.1f}%"


def winner_lift(r: stats.RateComparison) -> float | None:
    """How much higher the winner's rate is than the other's, relative (0.6 = 60% higher)."""
    if r.winner is None:
        return None
    hi, lo = (r.rate_b, r.rate_a) if r.winner == "b" else (r.rate_a, r.rate_b)
    return hi / lo - 1 if lo else None


TAU_SOURCES = {"history": T(zh="取自账号历史", en="from the account's history"),
               "arms": T(zh="由两组视频估计", en="estimated from the two arms"),
               "default": T(zh="默认值", en="the default")}


def explanation(c: Comparison, result: ABResult, lang: Lang) -> str | None:
    """Why a per-video comparison could not decide, in plain words, and how many videos would; None otherwise."""
    arms = c.arms
    if arms is None or arms.reason not in ("one_video_per_arm", "need_more_videos"):
        return None
    name = c.signal.label.get(lang)
    spread = math.exp(arms.tau) - 1
    lift = planned_lift(arms, result.min_lift)
    k = arms.videos_needed
    if arms.reason == "one_video_per_arm":
        return T(zh=f"每组只有一条视频,分不出胜负:同一个账号的两条视频,即使什么都没改,{name}也常常相差 {spread:.0%} 左右"
                    f"(视频之间的正常波动),和大多数改动能带来的效果一样大;一条对一条,无法把改动的效果和这两条视频本身的差别分开。"
                    f"每组约需 {k} 条视频(都用上同一处改动),才能分辨出 {lift:.0%} 的相对差异",
                 en=f"one video per variant cannot settle this: two videos of one account differ by about {spread:.0%} "
                    f"in {name} even when nothing was changed (normal variation between videos), as much as most "
                    f"changes ever move it, so one video against one cannot tell the change apart from the two "
                    f"videos' own difference. About {k} videos per variant (each carrying the change) would tell a "
                    f"{lift:.0%} relative difference apart").get(lang)
    return T(zh=f"差别在视频之间的正常波动之内(同一账号的视频之间{name}常常相差 {spread:.0%} 左右):"
                f"{arms.videos_a} 条对 {arms.videos_b} 条视频还不够;每组约需 {k} 条视频,才能分辨出 {lift:.0%} 的相对差异",
             en=f"the gap is within the normal variation between videos (one account's videos differ by about "
                f"{spread:.0%} in {name}): {arms.videos_a} against {arms.videos_b} videos is too few; about {k} "
                f"videos per variant would tell a {lift:.0%} relative difference apart").get(lang)


def _video_sentence(c: Comparison, result: ABResult, lang: Lang, name: str) -> str:
    arms, r = c.arms, c.result
    rates = f"A {_pct(r.rate_a)} · B {_pct(r.rate_b)}"
    level = f"{1 - result.alpha:.0%}"
    ratio = T(zh=f"B/A {arms.ratio:.2f} 倍({level} 区间 {arms.interval[0]:.2f}–{arms.interval[1]:.2f})",
              en=f"B/A {arms.ratio:.2f}× ({level} interval {arms.interval[0]:.2f}–{arms.interval[1]:.2f})").get(lang)
    videos = T(zh=f"{arms.videos_a} + {arms.videos_b} 条视频", en=f"{arms.videos_a} + {arms.videos_b} videos").get(lang)
    tau = T(zh=f"视频间波动 τ={arms.tau:.2f},{TAU_SOURCES[arms.tau_source].zh}",
            en=f"between-video spread τ={arms.tau:.2f}, {TAU_SOURCES[arms.tau_source].en}").get(lang)
    if r.winner is not None:
        lift = winner_lift(r)
        rel_zh = f",相对高 {lift:.0%}" if lift is not None else ""
        rel_en = f", {lift:.0%} higher" if lift is not None else ""
        return T(zh=f"{name}:{result.label(r.winner)} 胜出({rates}{rel_zh},{ratio},置信度 {show_confidence(r.confidence)},"
                    f"{videos};{tau})",
                 en=f"{name}: {result.label(r.winner)} wins ({rates}{rel_en}, {ratio}, confidence "
                    f"{show_confidence(r.confidence)}, {videos}; {tau})").get(lang)
    if arms.reason == "no_difference":
        lift = planned_lift(arms, result.min_lift)
        return T(zh=f"{name}:两组没有值得行动的差别({rates},{ratio},{videos};这么多视频足以发现 {lift:.0%} 的相对差异)",
                 en=f"{name}: no difference worth acting on ({rates}, {ratio}, {videos}; this many videos could have "
                    f"shown a {lift:.0%} relative difference)").get(lang)
    head = T(zh=f"{name}:暂不判定胜负({rates},{videos};{tau})",
             en=f"{name}: not called ({rates}, {videos}; {tau})").get(lang)
    if arms.reason == "need_more_videos":
        head = T(zh=f"{name}:暂不判定胜负({rates},{ratio},{videos};{tau})",
                 en=f"{name}: not called ({rates}, {ratio}, {videos}; {tau})").get(lang)
    return head + T(zh=":", en=": ").get(lang) + explanation(c, result, lang)


def verdict_sentence(c: Comparison, result: ABResult, lang: Lang) -> str:
    """One line per signal: who won, by how much, how sure, on how many videos / views; or what is missing."""
    r = c.result
    name = c.signal.label.get(lang)
    name = name[:1].upper() + name[1:]  # it starts the line
    if c.arms is not None:
        return _video_sentence(c, result, lang, name)
    rates = f"A {_pct(r.rate_a)} · B {_pct(r.rate_b)}"
    views = T(zh=f"播放 {r.n_a:,} + {r.n_b:,}", en=f"{r.n_a:,} + {r.n_b:,} views").get(lang)
    if r.winner is not None:
        lift = winner_lift(r)
        rel_zh = f",相对高 {lift:.0%}" if lift is not None else ""
        rel_en = f", {lift:.0%} higher" if lift is not None else ""
        return T(zh=f"{name}:{result.label(r.winner)} 胜出({rates},{_pp(abs(r.diff), lang)}{rel_zh},"
                    f"置信度 {show_confidence(r.confidence)},{views})",
                 en=f"{name}: {result.label(r.winner)} wins ({rates}, {_pp(abs(r.diff), lang)}{rel_en}, "
                    f"confidence {show_confidence(r.confidence)}, {views})").get(lang)
    if r.verdict == "tie":
        return T(zh=f"{name}:两组没有值得行动的差别({rates},{views};样本已足以发现 {result.min_lift:.0%} 的相对差异)",
                 en=f"{name}: no difference worth acting on ({rates}, {views}; the samples could have shown a "
                    f"{result.min_lift:.0%} relative difference)").get(lang)
    if r.views_needed is None:
        return T(zh=f"{name}:两组都没有发生这种互动,无法判断({views})",
                 en=f"{name}: neither variant has any of these events, so nothing can be told ({views})").get(lang)
    conf = show_confidence(r.confidence)
    basis = T(zh=f"(按发现 {result.min_lift:.0%} 的相对差异估算)", en=f" (to detect a {result.min_lift:.0%} relative difference)") \
        if r.required_basis == "min_lift" else T(zh="", en="")
    return T(zh=f"{name}:数据还不够,暂不判定胜负({rates},置信度 {conf},{views});"
                f"A 组约还需 {r.more_views_a:,} 次播放,B 组约还需 {r.more_views_b:,} 次{basis.zh}",
             en=f"{name}: too few views to call ({rates}, confidence {conf}, {views}); "
                f"about {r.more_views_a:,} more views for A and {r.more_views_b:,} for B{basis.en}").get(lang)


def conclusion(result: ABResult, lang: Lang) -> str:
    """The test's conclusion in one paragraph: what is settled and what is not."""
    sep = ";" if lang == "zh" else "; "
    end = "。" if lang == "zh" else "."
    lines = [verdict_sentence(c, result, lang) for c in result.comparisons]
    text = sep.join(lines) + end if lines else T(zh="没有可比较的信号。", en="No signal could be compared.").get(lang)
    if result.split:
        text += T(zh="两组各有胜项:选哪一组,取决于下一条视频要的是曝光还是关系。",
                  en=" Each variant wins a different signal: pick by what the next video is for, reach or relationship.").get(lang)
    return text


def run_ab(a: str, b: str, ruleset: RuleSet, *, source: str | None = None, profile=None,
           method: str = DEFAULT_METHOD, alpha: float = stats.ALPHA, power: float = stats.POWER,
           min_lift: float | None = None, history: str | None = None, default_tau: float = DEFAULT_TAU,
           engine: str | None = None, stdin=None) -> ABResult:
    """`advisor ab` as a function: pick the two variants, compare them, run the experiment rules.

    history: an export of the account's past videos; with method video, each signal's
    between-video spread tau is fitted on it (tau_source 'history').
    """

    va, vb, problems, files = pick_variants(a, b, source=source, profile=profile,
                                            profile_dirs=ruleset.profile_dirs(), stdin=stdin)
    taus = None
    if history is not None:
        past = load_videos([history], profile=profile, profile_dirs=ruleset.profile_dirs())
        problems = problems + past.problems
        files = files + past.files
        taus = history_taus(past.videos)
    return compare_variants(va, vb, ruleset, method=method, alpha=alpha, power=power, min_lift=min_lift,
                            taus=taus, history=history, default_tau=default_tau, engine=engine,
                            problems=problems, files=files)
