"""The account summary of a review: what a batch of videos says at a glance.

- medians and typical ranges: the account's like rate, heart rate, follow-up rate and
  completion side by side (H05: the signals are read together, never as one number), each with
  the range most of the account's videos fall in;
- quadrants: each video placed by its like rate and heart rate, each judged high, typical or
  low the way the rules judge them (advisor.model.levels, the typical mode: credibly outside the
  account's range given the video's views, under false-discovery control). A video is "likes
  ahead" only when its likes stand out against its hearts, not when it is 1.10% against a
  1.09% median; videos on the typical range for both are placed as such;
- recurring advice: how often each rule fired across the batch;
- the videos with the most to learn from (see `learning_score` and `most_to_learn`).

The baseline is the --history file when given, else the batch itself, per content form.
"""

from __future__ import annotations

import heapq
import math
from array import array
from dataclasses import dataclass, field

from advisor.core.columns import Column, Strings
from advisor.core.i18n import Lang, T
from advisor.model.levels import COUNT_MODELS, FORM_LABELS, level_feature, percentile, sig
from advisor.model.metrics import FIELDS, metric_view
from advisor.model.rules_model import PRIORITY_RANK

TOP_N = 3

# Rates reported side by side (H05): the registry's summary view. Counts are summed instead.
MEDIAN_METRICS = metric_view("summary")
# The levels the quadrants read; the review judges them with the rules' levels (one family).
SUMMARY_LEVELS = (("like_rate", "high"), ("like_rate", "low"), ("heart_rate", "high"), ("heart_rate", "low"))

# Priority weights of the learning score: a high-priority finding teaches most.
PRIORITY_WEIGHT = {"high": 3.0, "medium": 2.0, "low": 1.0}
MARGIN_WEIGHT_CAP = 1.0
REACH_RANGE = (0.5, 1.5)  # the reach factor's bounds: a tenth of the median views .. ten times

QUADRANTS = ("both_high", "likes_led", "hearts_led", "both_low", "typical")
QUADRANT_LABELS: dict[str, T] = {
    "both_high": T(zh="点赞高 · 小红心高", en="likes high · hearts high"),
    "likes_led": T(zh="点赞领先小红心", en="likes ahead of hearts"),
    "hearts_led": T(zh="小红心领先点赞", en="hearts ahead of likes"),
    "both_low": T(zh="点赞低 · 小红心低", en="likes low · hearts low"),
    "typical": T(zh="点赞、小红心都在常规范围", en="likes and hearts both in the usual range"),
    "unplaced": T(zh="无法归类", en="not placed"),
}
QUADRANT_MEANING: dict[str, T] = {
    "both_high": T(zh="既扩散又走心:值得拆解复用", en="spreads and moves people: worth taking apart and reusing"),
    "likes_led": T(zh="靠点赞:观众顺手认可,关系还没建立", en="carried by likes: quick approval, no relationship yet"),
    "hearts_led": T(zh="靠小红心:核心观众认可,也愿意推荐给朋友", en="carried by hearts: the core approves and recommends it to friends"),
    "both_low": T(zh="两种信号都弱:先看完播和选题", en="both signals weak: look at completion and the topic first"),
    "typical": T(zh="和平时差不多:没有需要单独复盘的信号", en="like most of your videos: no signal to act on by itself"),
    "unplaced": T(zh="缺点赞或小红心数据", en="no like or heart data"),
}
STATE_WORDS = {"high": T(zh="高", en="high"), "typical": T(zh="一般", en="typical"), "low": T(zh="低", en="low")}


@dataclass
class SummaryBaseline:
    """Where the quadrants' ranges come from: per form, the typical range of each summary rate."""

    kind: str  # "history" | "batch"
    label: T
    n: int  # videos in the baseline
    medians: dict[tuple[str | None, str], float] = field(default_factory=dict)  # (form, metric) -> median
    forms: dict[str | None, int] = field(default_factory=dict)  # form -> videos of the batch
    ranges: dict[tuple[str | None, str], dict] = field(default_factory=dict)  # (form, metric) -> range JSON
    band: tuple[float, float] = (10, 90)  # the percentiles of the account's videos a range spans

    def median(self, metric: str, form: str | None) -> float | None:
        return self.medians.get((form, metric))

    def to_json(self, lang: Lang) -> dict:
        return {"kind": self.kind, "label": self.label.get(lang), "videos": self.n,
                "medians": [{"form": form or "default", "like_rate": self.medians.get((form, "like_rate")),
                             "heart_rate": self.medians.get((form, "heart_rate")), "videos": count}
                            for form, count in sorted(self.forms.items(), key=lambda kv: str(kv[0]))],
                "ranges": [{"form": form or "default", "form_label": FORM_LABELS[form or "default"].get(lang),
                            "band": list(self.band), "videos": count,
                            "metrics": {metric: r for (f, metric), r in self.ranges.items() if f == form}}
                           for form, count in sorted(self.forms.items(), key=lambda kv: str(kv[0]))
                           if any(f == form for f, _ in self.ranges)]}


def _median(values) -> float | None:
    if not len(values):
        return None
    if isinstance(values, array) and len(values) == 1:  # one video: its value (numpy not needed)
        return percentile([values[0]], 50)
    if isinstance(values, array):  # a column of a first pass: sorted by numpy, not as a list of floats
        import numpy as np

        return float(percentile(np.sort(np.asarray(values, dtype=float)), 50))
    return percentile(sorted(values), 50)


def _rate(fact: dict, name: str) -> float | None:
    value = fact.get(name)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


# The rates whose values are kept per form (the summary baseline's medians per form); their
# median over the batch is taken over all forms' values together (a median needs the values,
# not their order), so they are not kept a second time.
_FORM_METRICS = ("like_rate", "heart_rate")


class BatchStats:
    """What the summary needs to know about a whole batch before any video is judged: the
    videos per form, the medians and totals, the typical views. Filled one fact at a time (the
    first pass of a review), in arrays of numbers rather than a list of facts, so a batch of a
    million videos costs a few megabytes per metric.
    """

    def __init__(self, facts=()):
        self.n = 0
        self.forms: dict[str | None, int] = {}
        self._rates = {m: array("d") for m in MEDIAN_METRICS if m not in _FORM_METRICS}
        self._form_rates: dict[tuple[str | None, str], array] = {}  # like and heart rate per form
        self._views = Column()  # whole numbers: 4 bytes each
        self._totals: dict[str, int | float] = {}
        self._total_names = tuple(metric_view("totals"))
        self._fixed: tuple | None = None  # (medians, typical views) once compacted
        for fact in facts:
            self.add(fact)

    def add(self, fact: dict) -> None:
        self.n += 1
        get = fact.get
        form = get("form")
        self.forms[form] = self.forms.get(form, 0) + 1
        for metric, values in self._rates.items():
            value = get(metric)
            # _rate(fact, metric), the common types first (this runs per video and metric).
            if type(value) is float or type(value) is int or (value is not None and _rate(fact, metric) is not None):
                values.append(value)
        for metric in _FORM_METRICS:
            value = get(metric)
            if type(value) is float or type(value) is int or (value is not None and _rate(fact, metric) is not None):
                key = (form, metric)
                column = self._form_rates.get(key)
                if column is None:
                    column = self._form_rates[key] = array("d")
                column.append(value)
        views = _rate(fact, "views")
        if views:
            self._views.append(views)
            if not self.n % Column.BLOCK:
                self._views.flush()
        for name in self._total_names:
            if name in fact:
                self._totals[name] = self._totals.get(name, 0) + fact[name]

    def compact(self) -> None:
        """Keep the medians and the typical views, drop the columns they came from (a streaming
        review needs nothing else of its first pass once the summary's baseline is made)."""
        self._fixed = (self.medians(), self.typical_views())
        self._rates = {m: array("d") for m in self._rates}
        self._form_rates = {}
        self._views = Column()

    def medians(self) -> dict[str, float | None]:
        if self._fixed is not None:
            return dict(self._fixed[0])
        out = {}
        for metric in MEDIAN_METRICS:
            if metric in self._rates:
                out[metric] = _median(self._rates[metric])
            else:  # every form's values together
                columns = [column for (_, m), column in self._form_rates.items() if m == metric]
                out[metric] = _median(columns[0] if len(columns) == 1 else _joined(columns))
        return out

    def form_median(self, form: str | None, metric: str) -> float | None:
        return _median(self._form_rates.get((form, metric), ()))

    def totals(self) -> dict[str, int | float]:
        return {name: self._totals[name] for name in self._total_names if name in self._totals}

    def typical_views(self) -> float | None:
        """The batch's median views: the reach factor of the learning score is relative to it."""
        if self._fixed is not None:
            return self._fixed[1]
        return _median(self._views.data)


def _joined(columns: list[array]) -> array:
    joined = array("d")
    for column in columns:
        joined.extend(column)
    return joined


def make_baseline(facts, history: list[dict] | None = None, history_label: str | None = None,
                  runner=None) -> SummaryBaseline:
    """Medians of like and heart rate per form, and (from the review's runner) the typical ranges.

    facts: the batch's facts, or its BatchStats."""
    stats = facts if isinstance(facts, BatchStats) else BatchStats(facts)
    if history:
        kind = "history"
        label = T(zh=f"历史文件 {history_label}", en=f"history file {history_label}") if history_label \
            else T(zh="历史数据", en="history")
        source = BatchStats(history)
    else:
        kind, source = "batch", stats
        label = T(zh="本批视频", en="this batch")
    forms = dict(stats.forms)
    medians = {}
    for form in forms:
        for metric in ("like_rate", "heart_rate"):
            value = source.form_median(form, metric)
            if value is not None:
                medians[(form, metric)] = value
    ranges = {}
    if runner is not None:
        for form in forms:
            for th in runner.typicals(form):
                if th.metric in MEDIAN_METRICS and (form, th.metric) not in ranges:
                    low, high = th.band()
                    ranges[(form, th.metric)] = {"low": sig(low), "high": sig(high), "typical": sig(th.center()),
                                                 "videos": th.typical.n_videos, "weight": round(th.typical.weight, 4)}
    band = runner.ruleset.levels.typical.band if runner is not None else (10, 90)
    return SummaryBaseline(kind, label, source.n, medians, forms, ranges, tuple(band))


_LEVEL_KEYS: dict[str, tuple[str, str]] = {}  # metric -> the fact keys of its high and low verdicts


def level_state(fact: dict, metric: str) -> str | None:
    """'high', 'low' or 'typical' as the review judged the video, None when it was not judged."""
    keys = _LEVEL_KEYS.get(metric)
    if keys is None:  # a few metrics, each named once (this runs several times per video)
        keys = _LEVEL_KEYS[metric] = (level_feature(metric, "high"), level_feature(metric, "low"))
    high, low = fact.get(keys[0]), fact.get(keys[1])
    if high is None and low is None:
        return None
    return "high" if high else "low" if low else "typical"


_QUADRANT = {("high", "high"): "both_high", ("low", "low"): "both_low", ("typical", "typical"): "typical",
             ("high", "typical"): "likes_led", ("high", "low"): "likes_led", ("typical", "low"): "likes_led",
             ("typical", "high"): "hearts_led", ("low", "high"): "hearts_led", ("low", "typical"): "hearts_led"}


def quadrant(fact: dict, baseline: SummaryBaseline | None = None) -> str:
    """Where a video stands on likes against hearts, from the review's own level judgements."""
    like, heart = level_state(fact, "like_rate"), level_state(fact, "heart_rate")
    if like is None or heart is None:
        return "unplaced"
    return _QUADRANT[(like, heart)]


def standing(fact: dict, lang: Lang) -> str | None:
    """'likes high · hearts typical': the video's own states, for its card."""
    like, heart = level_state(fact, "like_rate"), level_state(fact, "heart_rate")
    if like is None or heart is None:
        return None
    key = (like, heart, lang)
    text = _STANDINGS.get(key)
    if text is None:  # nine states per language: each worded once
        text = _STANDINGS[key] = T(zh=f"点赞{STATE_WORDS[like].zh} · 小红心{STATE_WORDS[heart].zh}",
                                   en=f"likes {STATE_WORDS[like].en} · hearts {STATE_WORDS[heart].en}").get(lang)
    return text


_STANDINGS: dict[tuple, str] = {}


def learning_score(findings, views: float | None = None, typical_views: float | None = None) -> float:
    """How much a video has to teach: Σ over its findings of weight(priority) × (1 + evidence),
    times its reach.

    The priority says how much a finding matters; the evidence (for typical-range levels: the
    size of the gap, |log| of value over typical, times its certainty; for other levels how far
    past the threshold) says how clear-cut the case is, capped at 1 so one extreme ratio cannot
    outweigh a second finding. Reach: a lesson drawn from many viewers is worth more,
    1 + ½ log10(views / the batch's median views), kept within REACH_RANGE. Good news (a loyal
    core) teaches as much as a problem, so every finding counts.
    """
    base = sum(PRIORITY_WEIGHT[f.rule.priority] * (1 + min(f.margin, MARGIN_WEIGHT_CAP)) for f in findings)
    return base * reach(views, typical_views)


def reach(views: float | None, typical_views: float | None) -> float:
    if not views or not typical_views or views <= 0 or typical_views <= 0:
        return 1.0
    lo, hi = REACH_RANGE
    return min(max(1 + 0.5 * math.log10(views / typical_views), lo), hi)


def most_to_learn(reviews, n: int = TOP_N) -> list[tuple[float, object]]:
    """The n videos with the highest learning score, each with a different leading finding
    where the batch allows: three videos with the same diagnosis teach one lesson, not three.

    Ties go to the video with more views (its numbers rest on more viewers), then the id.
    """
    picker = TopPicker(n, _median([v for v in (_rate(vr.fact, "views") for vr in reviews) if v]))
    for vr in reviews:
        picker.add(vr)
    return [(score, vr) for score, _entry, vr in picker.picked()]


class TopPicker:
    """most_to_learn over a stream of reviews, in bounded memory, mergeable across partitions.

    The pick takes the best video of each leading finding first, then fills up by score; either
    way a picked video is among the n best of its own leading finding. So only those are kept:
    at most n per rule, however many videos stream past. Each candidate keeps its line of the
    summary's top list and a payload (the VideoReview, or its report entry when it was reviewed
    elsewhere: advisor.jobs.review_stream's executors).
    """

    def __init__(self, n: int, typical_views: float | None, *, offset: int = 0):
        self.n = n
        self.typical_views = typical_views
        self._seen = offset  # arrival order across the whole batch (a partition starts at its offset)
        self._by_lead: dict[str, list] = {}  # lead rule id -> a heap of the n best (worst on top)

    def add(self, vr, payload=None) -> None:
        seen = self._seen
        self._seen += 1
        if not vr.findings:
            return
        score = learning_score(vr.findings, vr.fact.get("views"), self.typical_views)
        # The order of the old sort (best first): score, views, id; the arrival order last (a
        # stable sort kept it).
        key = (-score, -(vr.fact.get("views") or 0), vr.video.id, seen)
        entry = {"id": vr.video.id, "title": vr.video.title, "score": round(score, 3),
                 "findings": [f.rule.id for f in vr.findings], "quadrant": quadrant(vr.fact)}
        self._push(vr.findings[0].rule.id, (_Reversed(key), score, entry, vr if payload is None else payload))

    def _push(self, lead: str, candidate: tuple) -> None:
        heap = self._by_lead.setdefault(lead, [])
        if len(heap) < self.n:
            heapq.heappush(heap, candidate)
        elif candidate[0] > heap[0][0]:
            heapq.heapreplace(heap, candidate)

    def merge(self, other: "TopPicker") -> None:
        for lead, heap in other._by_lead.items():
            for candidate in heap:
                self._push(lead, candidate)
        self._seen = max(self._seen, other._seen)

    def picked(self) -> list[tuple[float, dict, object]]:
        """(score, line of the top list, payload) of the picked videos, best first."""
        scored = sorted(((c[0].key, c[1], c[2], c[3]) for heap in self._by_lead.values() for c in heap),
                        key=lambda c: c[0])
        picked, leads = [], set()
        for candidate in scored:
            lead = candidate[2]["findings"][0]
            if len(picked) < self.n and lead not in leads:
                picked.append(candidate)
                leads.add(lead)
        for candidate in scored:  # fewer distinct diagnoses than n: fill up by score
            if len(picked) < self.n and all(candidate is not other for other in picked):
                picked.append(candidate)
        picked.sort(key=lambda c: c[0])
        return [(score, entry, payload) for _, score, entry, payload in picked]


class _Reversed:
    """A sort key in reverse, so a min-heap keeps the worst of the best n on top."""

    __slots__ = ("key",)

    def __init__(self, key):
        self.key = key

    def __lt__(self, other: "_Reversed") -> bool:
        return other.key < self.key

    def __gt__(self, other: "_Reversed") -> bool:
        return other.key > self.key

    def __eq__(self, other) -> bool:
        return isinstance(other, _Reversed) and self.key == other.key


@dataclass
class Summary:
    videos: int
    baseline: SummaryBaseline
    medians: dict[str, float | None]
    totals: dict[str, int]
    # Video ids as Strings (advisor.core.columns: read like lists of str, kept as bytes): a
    # million ids are never a million str objects unless a reader asks for them all at once.
    quadrants: dict[str, Strings]  # quadrant -> video ids
    recurring: list[dict]  # {rule_id, heuristics, priority, count, videos (Strings), first: (finding, fact)}
    top: list[dict]  # {id, title, score, findings: [rule ids], quadrant}
    # What the digest shows of each video of `top`, in its order: its VideoReview, or its report
    # entry (a dict) when it was reviewed in another process.
    picked: list = field(default_factory=list, repr=False)
    quiet: int = 0  # videos without a finding

    @property
    def per_video_quadrant(self) -> dict[str, str]:
        """Video id -> its quadrant (built on demand: a streaming review never needs it)."""
        return {vid: q for q, ids in self.quadrants.items() for vid in ids}

    def to_json(self, lang: Lang, *, lazy: bool = False) -> dict:
        """The summary's JSON. lazy: its id lists stay Strings (a streaming writer takes them a
        slice at a time: advisor.render.stream), else lists of str."""
        ids_of = (lambda ids: ids) if lazy else list
        return {
            "videos": self.videos,
            "baseline": self.baseline.to_json(lang),
            "medians": self.medians,
            "totals": self.totals,
            "quadrants": {q: {"label": QUADRANT_LABELS[q].get(lang), "meaning": QUADRANT_MEANING[q].get(lang),
                              "count": len(ids), "videos": ids_of(ids)}
                          for q, ids in self.quadrants.items()},
            "recurring": [{k: (ids_of(v) if k == "videos" else v) for k, v in r.items() if k != "first"}
                          | {"title": _title(r["first"], lang)} for r in self.recurring],
            "top": [dict(t) for t in self.top],
        }


def summarize(reviews, history: list[dict] | None = None, history_label: str | None = None, *,
              runner=None, top: int | None = None) -> Summary:
    """The account summary of reviewed videos (advisor.jobs.review.VideoReview objects).

    runner: the review's StageRunner, whose typical ranges the summary reports.
    """
    stats = BatchStats(vr.fact for vr in reviews)
    builder = SummaryBuilder(stats.typical_views(), top=top)
    for vr in reviews:
        builder.add(vr)
    return builder.finish(stats, make_baseline(stats, history, history_label, runner))


class SummaryBuilder:
    """The summary, one reviewed video at a time: what a streaming review keeps is the video ids
    per quadrant and per recurring rule (as Strings: bytes, no object per id), and at most a
    few candidates per rule for the top.

    Builders of consecutive partitions of a batch merge (`merge`, in order) into the builder of
    the whole batch: a distributed review builds one per partition where it reviews them.
    offset: the partition's first video's position in the batch.
    """

    def __init__(self, typical_views: float | None, *, top: int | None = None, offset: int = 0):
        self.quadrants: dict[str, Strings] = {q: Strings() for q in (*QUADRANTS, "unplaced")}
        self.counts: dict[str, dict] = {}
        self.picker = TopPicker(top or TOP_N, typical_views, offset=offset)
        self.n = 0
        self.quiet = 0

    def add(self, vr, payload=None) -> None:
        """payload: what the summary's digest keeps of the video (default: the VideoReview)."""
        self.n += 1
        self.quadrants[quadrant(vr.fact)].append(vr.video.id)
        counts = self.counts
        for f in vr.findings:
            entry = counts.get(f.rule.id)
            if entry is None:
                entry = counts[f.rule.id] = {
                    "rule_id": f.rule.id, "heuristics": list(f.rule.heuristics), "priority": f.rule.priority,
                    "first": (f, vr.fact), "count": 0, "videos": Strings()}
            entry["count"] += 1
            entry["videos"].append(vr.video.id)
        if not vr.findings:
            self.quiet += 1
        self.picker.add(vr, payload)

    def merge(self, other: "SummaryBuilder") -> None:
        """Add the next partition's builder (partitions merged in the batch's order)."""
        self.n += other.n
        self.quiet += other.quiet
        for q, ids in other.quadrants.items():
            self.quadrants[q].extend(ids)
        for rule_id, theirs in other.counts.items():
            ours = self.counts.get(rule_id)
            if ours is None:
                self.counts[rule_id] = theirs  # its first video is the first of the batch
            else:
                ours["count"] += theirs["count"]
                ours["videos"].extend(theirs["videos"])
        self.picker.merge(other.picker)

    def finish(self, stats: BatchStats, baseline: SummaryBaseline) -> Summary:
        quadrants = dict(self.quadrants)  # the ids stay bytes (Strings) to the end
        for q in ("typical", "unplaced"):  # said only when some video is there
            if not quadrants[q]:
                del quadrants[q]
        recurring = sorted(({**e} for e in self.counts.values()),
                           key=lambda e: (-e["count"], PRIORITY_RANK[e["priority"]], e["rule_id"]))
        picked = self.picker.picked()
        return Summary(self.n, baseline, stats.medians(), stats.totals(), quadrants, recurring,
                       [entry for _, entry, _ in picked], [payload for _, _, payload in picked], self.quiet)


def _title(first, lang: Lang) -> str:
    """A rule's title as rendered for the first video it fired on (titles may use metrics)."""

    finding, fact = first
    return finding.render("title", fact, FIELDS, lang)


def form_label(form: str | None, lang: Lang) -> str:
    return FORM_LABELS[form or "default"].get(lang)
