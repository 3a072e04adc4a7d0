"""Calibrating the advice on simulated accounts: is noise kept quiet, and are real outliers found?

The judgement behind a review (advisor.model.levels, the typical mode) is a statistical claim:
"this video is credibly outside the account's typical range". Whether the shipped rules keep
that promise is measured here, on accounts drawn from a known model (advisor.stats.simulate):

- quiet accounts, every video from one distribution: the share of videos that get high or
  medium advice should be small (nothing is there to act on);
- accounts with one planted clear outlier (a rate x4 or /4 on a video with enough views for
  that metric): the review should judge that metric high / low on that video, and the video
  should lead "most to learn from".

The A/B side (the video as the unit) is measured by advisor.jobs.ab on the same simulations.
benchmarks/calibration.py prints these figures; tests/test_calibration.py asserts the goals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.input.ruleset import RuleSet
from advisor.jobs.review import Review, review
from advisor.model.levels import level_feature
from advisor.model.metrics import VideoMetrics
from advisor.stats.simulate import quiet_series, with_outliers

# A simulated metric and the review metric whose levels judge it. Follows have no levels in the
# shipped rules; comments and shares are judged together as the follow-up rate.
JUDGED_AS = {"likes": "like_rate", "hearts": "heart_rate", "completion": "completion_rate"}
ACTIONABLE = ("high", "medium")  # the priorities an operator acts on


def review_simulated(videos: list[dict], ruleset: RuleSet, *, engine: str | None = None) -> Review:
    """The real review of simulated videos (one account), in English only (the words do not matter here)."""
    return review([VideoMetrics.model_validate(v) for v in videos], ruleset, engine=engine, langs=("en",))


@dataclass
class QuietFigures:
    videos: int = 0
    actionable: int = 0  # videos with a high- or medium-priority finding
    any_finding: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)

    @property
    def actionable_share(self) -> float:
        return self.actionable / self.videos if self.videos else 0.0

    @property
    def any_share(self) -> float:
        return self.any_finding / self.videos if self.videos else 0.0


def quiet_accounts(ruleset: RuleSet, *, accounts: int = 50, videos: int = 30, seed: int = 0,
                   engine: str | None = None) -> QuietFigures:
    """How much advice quiet accounts get: every video from one distribution."""
    out = QuietFigures()
    for k in range(accounts):
        result = review_simulated(quiet_series(videos, seed=seed + k), ruleset, engine=engine)
        for vr in result.videos:
            out.videos += 1
            out.any_finding += bool(vr.findings)
            out.actionable += any(f.rule.priority in ACTIONABLE for f in vr.findings)
            for f in vr.findings:
                out.by_rule[f.rule.id] = out.by_rule.get(f.rule.id, 0) + 1
    return out


@dataclass
class OutlierFigures:
    planted: int = 0
    found: int = 0  # the planted metric judged high / low as planted
    on_card: int = 0  # the planted video has at least one finding
    leads: int = 0  # the planted video is first in "most to learn from"
    in_top: int = 0  # ... or anywhere in it
    by_metric: dict[str, list[int]] = field(default_factory=dict)  # metric -> [found, planted]

    @property
    def recall(self) -> float:
        return self.found / self.planted if self.planted else 0.0


def planted_outliers(ruleset: RuleSet, *, accounts: int = 50, videos: int = 30, seed: int = 0,
                     factor: float = 4.0, min_expected: float = 200.0, engine: str | None = None) -> OutlierFigures:
    """One clear outlier per account: is it judged as planted, and does it lead the ranking?"""
    out = OutlierFigures()
    for k in range(accounts):
        vids, planted = with_outliers(videos, seed=seed + k, n_outliers=1, factor=factor,
                                      metrics=tuple(JUDGED_AS), min_expected=min_expected)
        result = review_simulated(vids, ruleset, engine=engine)
        by_id = {vr.video.id: vr for vr in result.videos}
        top = [t["id"] for t in result.summary.top]
        for vid, metric, direction in planted:
            vr = by_id[vid]
            found = bool(vr.fact.get(level_feature(JUDGED_AS[metric], direction)))
            out.planted += 1
            out.found += found
            out.on_card += bool(vr.findings)
            out.leads += bool(top) and top[0] == vid
            out.in_top += vid in top
            counts = out.by_metric.setdefault(f"{metric} {direction}", [0, 0])
            counts[0] += found
            counts[1] += 1
    return out


def with_mode(ruleset: RuleSet, mode: str) -> RuleSet:
    """The same rules with every level in `mode` (e.g. the old percentile judgement, for contrast)."""
    levels = ruleset.levels.model_copy(deep=True)
    levels.default_mode = mode
    for defs in levels.metrics.values():
        for name, spec in list(defs.items()):
            defs[name] = spec.model_copy(update={"mode": None})
    return RuleSet(list(ruleset.rules), levels, list(ruleset.folders), list(ruleset.levels_files))
