"""The account summary of a review: what a batch of videos says at a glance.

- medians: the account's like rate, heart rate, follow-up rate and completion side by side
  (H05: the signals are read together, never as one number);
- quadrants: each video placed by its like rate and heart rate against the baseline medians
  (high = at or above the median), so the operator sees how many videos are likes-led,
  hearts-led, strong on both or weak on both;
- recurring advice: how often each rule fired across the batch;
- the videos with the most to learn from (see `learning_score` and `most_to_learn`).

The baseline of the quadrants is the --history file when given, else the batch itself, per
content form, and only when it holds at least MIN_BASELINE videos with both rates; otherwise
there is none and the videos are listed as unplaced, rather than placed against a median of
two or three numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.core.i18n import Lang, T
from advisor.model.levels import FORM_LABELS, percentile
from advisor.model.metrics import metric_view
from advisor.model.rules_model import PRIORITY_RANK
from advisor.model.metrics import FIELDS

MIN_BASELINE = 5  # videos of a form with both rates before their medians mean anything
TOP_N = 3

# Rates reported side by side (H05): the registry's summary view. Counts are summed instead.
MEDIAN_METRICS = metric_view("summary")

# Priority weights of the learning score: a high-priority finding teaches most.
PRIORITY_WEIGHT = {"high": 3.0, "medium": 2.0, "low": 1.0}
MARGIN_WEIGHT_CAP = 1.0

QUADRANTS = ("both_high", "likes_led", "hearts_led", "both_low")
QUADRANT_LABELS: dict[str, T] = {
    "both_high": T(zh="点赞高 · 小红心高", en="likes high · hearts high"),
    "likes_led": T(zh="点赞高 · 小红心低", en="likes high · hearts low"),
    "hearts_led": T(zh="点赞低 · 小红心高", en="likes low · hearts high"),
    "both_low": T(zh="点赞低 · 小红心低", en="likes low · hearts low"),
    "unplaced": T(zh="无法归类", en="not placed"),
}
QUADRANT_MEANING: dict[str, T] = {
    "both_high": T(zh="既扩散又走心:值得拆解复用", en="spreads and moves people: worth taking apart and reusing"),
    "likes_led": T(zh="靠点赞扩散:适合拉新,关系还没建立", en="carried by likes: good for reach, no relationship yet"),
    "hearts_led": T(zh="靠小红心:核心观众认可,扩散有限", en="carried by hearts: the core approves, reach is limited"),
    "both_low": T(zh="两种信号都弱:先看完播和选题", en="both signals weak: look at completion and the topic first"),
    "unplaced": T(zh="缺点赞或小红心数据,或没有足够的基准", en="no like or heart data, or no baseline to compare with"),
}


@dataclass
class SummaryBaseline:
    """Where the quadrants' medians come from."""

    kind: str  # "history" | "batch" | "none"
    label: T
    n: int  # videos in the baseline
    medians: dict[tuple[str | None, str], float] = field(default_factory=dict)  # (form, metric) -> median
    forms: dict[str | None, int] = field(default_factory=dict)  # form -> videos usable for quadrants

    def median(self, metric: str, form: str | None) -> float | None:
        return self.medians.get((form, metric))

    def to_json(self, lang: Lang) -> dict:
        return {"kind": self.kind, "label": self.label.get(lang), "videos": self.n,
                "min_videos": MIN_BASELINE,
                "medians": [{"form": form or "default", "like_rate": self.medians.get((form, "like_rate")),
                             "heart_rate": self.medians.get((form, "heart_rate")), "videos": count}
                            for form, count in sorted(self.forms.items(), key=lambda kv: str(kv[0]))]}


def _median(values: list[float]) -> float | None:
    return percentile(sorted(values), 50) if values else None


def _rate(fact: dict, name: str) -> float | None:
    value = fact.get(name)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def make_baseline(facts: list[dict], history: list[dict] | None = None,
                  history_label: str | None = None) -> SummaryBaseline:
    """Medians of like and heart rate per form: from the history when given, else the batch."""
    if history:
        kind, source = "history", history
        label = T(zh=f"历史文件 {history_label}", en=f"history file {history_label}") if history_label \
            else T(zh="历史数据", en="history")
    else:
        kind, source = "batch", facts
        label = T(zh="本批视频", en="this batch")
    by_form: dict[str | None, list[dict]] = {}
    for fact in source:
        if _rate(fact, "like_rate") is not None and _rate(fact, "heart_rate") is not None:
            by_form.setdefault(fact.get("form"), []).append(fact)
    usable = {form: group for form, group in by_form.items() if len(group) >= MIN_BASELINE}
    if not usable:
        have = max((len(g) for g in by_form.values()), default=0)
        return SummaryBaseline("none", T(
            zh=f"无基准:{label.zh}只有 {have} 条同体裁且有点赞和小红心的视频,少于 {MIN_BASELINE} 条",
            en=f"none: {label.en} has {have} videos of one form with likes and hearts, fewer than {MIN_BASELINE}"),
            len(source))
    medians = {}
    for form, group in usable.items():
        for metric in ("like_rate", "heart_rate"):
            medians[(form, metric)] = _median([f[metric] for f in group])
    return SummaryBaseline(kind, label, len(source), medians, {f: len(g) for f, g in usable.items()})


def quadrant(fact: dict, baseline: SummaryBaseline) -> str:
    """Which likes-vs-hearts quadrant a video falls in (at or above the median counts as high)."""
    like, heart = _rate(fact, "like_rate"), _rate(fact, "heart_rate")
    form = fact.get("form")
    like_m, heart_m = baseline.median("like_rate", form), baseline.median("heart_rate", form)
    if like is None or heart is None or like_m is None or heart_m is None:
        return "unplaced"
    return {(True, True): "both_high", (True, False): "likes_led",
            (False, True): "hearts_led", (False, False): "both_low"}[(like >= like_m, heart >= heart_m)]


def learning_score(findings) -> float:
    """How much a video has to teach: Σ over its findings of weight(priority) × (1 + margin).

    The priority says how much a finding matters; the margin (how far past their thresholds
    the values are, relative to the thresholds) says how clear-cut the case is, capped at 1 so
    one extreme ratio cannot outweigh a second finding. Good news (a loyal core) teaches as
    much as a problem, so every finding counts.
    """
    return sum(PRIORITY_WEIGHT[f.rule.priority] * (1 + min(f.margin, MARGIN_WEIGHT_CAP)) for f in findings)


def most_to_learn(reviews, n: int = TOP_N) -> list[tuple[float, object]]:
    """The n videos with the highest learning score, each with a different leading finding
    where the batch allows: three videos with the same diagnosis teach one lesson, not three.

    Ties go to the video with more views (its numbers rest on more viewers), then the id.
    """
    scored = [(learning_score(vr.findings), vr) for vr in reviews if vr.findings]
    scored.sort(key=lambda sv: (-sv[0], -(sv[1].fact.get("views") or 0), sv[1].video.id))
    picked, leads = [], set()
    for score, vr in scored:
        if len(picked) < n and vr.findings[0].rule.id not in leads:
            picked.append((score, vr))
            leads.add(vr.findings[0].rule.id)
    for score, vr in scored:  # fewer distinct diagnoses than n: fill up by score
        if len(picked) < n and all(vr is not other for _, other in picked):
            picked.append((score, vr))
    picked.sort(key=lambda sv: (-sv[0], -(sv[1].fact.get("views") or 0), sv[1].video.id))
    return picked


@dataclass
class Summary:
    videos: int
    baseline: SummaryBaseline
    medians: dict[str, float | None]
    totals: dict[str, int]
    quadrants: dict[str, list[str]]  # quadrant -> video ids
    recurring: list[dict]  # {rule_id, heuristics, priority, count, videos, first: (finding, fact)}
    top: list[dict]  # {id, title, score, findings: [rule ids], quadrant}
    per_video_quadrant: dict[str, str]

    def to_json(self, lang: Lang) -> dict:
        return {
            "videos": self.videos,
            "baseline": self.baseline.to_json(lang),
            "medians": self.medians,
            "totals": self.totals,
            "quadrants": {q: {"label": QUADRANT_LABELS[q].get(lang), "meaning": QUADRANT_MEANING[q].get(lang),
                              "count": len(ids), "videos": ids}
                          for q, ids in self.quadrants.items()},
            "recurring": [{k: v for k, v in r.items() if k != "first"} | {"title": _title(r["first"], lang)}
                          for r in self.recurring],
            "top": [dict(t) for t in self.top],
        }


def summarize(reviews, history: list[dict] | None = None, history_label: str | None = None) -> Summary:
    """The account summary of reviewed videos (advisor.jobs.review.VideoReview objects)."""
    facts = [vr.fact for vr in reviews]
    baseline = make_baseline(facts, history, history_label)
    medians = {m: _median([v for v in (_rate(f, m) for f in facts) if v is not None]) for m in MEDIAN_METRICS}
    totals = {name: sum(f.get(name, 0) for f in facts)
              for name in metric_view("totals")
              if any(name in f for f in facts)}
    quadrants: dict[str, list[str]] = {q: [] for q in (*QUADRANTS, "unplaced")}
    per_video = {}
    for vr in reviews:
        q = quadrant(vr.fact, baseline)
        quadrants[q].append(vr.video.id)
        per_video[vr.video.id] = q
    if not quadrants["unplaced"]:
        del quadrants["unplaced"]

    counts: dict[str, dict] = {}
    for vr in reviews:
        for f in vr.findings:
            entry = counts.setdefault(f.rule.id, {
                "rule_id": f.rule.id, "heuristics": list(f.rule.heuristics), "priority": f.rule.priority,
                "first": (f, vr.fact), "count": 0, "videos": []})
            entry["count"] += 1
            entry["videos"].append(vr.video.id)
    recurring = sorted(counts.values(), key=lambda e: (-e["count"], PRIORITY_RANK[e["priority"]], e["rule_id"]))

    top = [{"id": vr.video.id, "title": vr.video.title, "score": round(score, 3),
            "findings": [f.rule.id for f in vr.findings], "quadrant": per_video[vr.video.id]}
           for score, vr in most_to_learn(reviews)]
    return Summary(len(reviews), baseline, medians, totals, quadrants, recurring, top, per_video)


def _title(first, lang: Lang) -> str:
    """A rule's title as rendered for the first video it fired on (titles may use metrics)."""

    finding, fact = first
    return finding.render("title", fact, FIELDS, lang)


def form_label(form: str | None, lang: Lang) -> str:
    return FORM_LABELS[form or "default"].get(lang)
