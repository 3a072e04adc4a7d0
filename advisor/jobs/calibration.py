"""Calibrating the advice on simulated accounts: is noise kept quiet, and are real outliers found?

The judgement behind a review (advisor.model.levels, the typical mode) is a statistical claim:
"this video is credibly outside the account's typical range". Whether the shipped rules keep
that promise is measured here, on accounts drawn from a known model (advisor.stats.simulate):

- quiet accounts, every video from one distribution: the share of videos that get high or
  medium advice should be small (nothing is there to act on);
- accounts with one planted clear outlier (a rate x4 or /4 on a video with enough views for
  that metric): the review should judge that metric high / low on that video, and the video
  should lead "most to learn from".

- A/B (advisor.jobs.ab, the video as the unit): how often an A/A test with 3 videos per arm
  names a winner, and how often a real 2x heart lift with 6 videos per arm is found.
benchmarks/calibration.py prints these figures; tests/test_calibration.py asserts the goals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.input.ruleset import RuleSet
from advisor.jobs.ab import Variant, compare_variants, history_taus
from advisor.jobs.review import Review, review
from advisor.model.levels import level_feature
from advisor.model.metrics import VideoMetrics
from advisor.stats.simulate import ab_arms, quiet_series, with_outliers

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


@dataclass
class ABFigures:
    comparisons: int = 0
    aa_winners: int = 0
    comparisons_per_view: int = 0
    aa_winners_per_view: int = 0
    experiments: int = 0
    lift_found: int = 0

    @property
    def aa_rate(self) -> float:
        return self.aa_winners / self.comparisons if self.comparisons else 0.0

    @property
    def aa_rate_per_view(self) -> float:
        return self.aa_winners_per_view / self.comparisons_per_view if self.comparisons_per_view else 0.0

    @property
    def power(self) -> float:
        return self.lift_found / self.experiments if self.experiments else 0.0


def _variant(key: str, videos: list[dict]) -> Variant:
    return Variant(key, key.upper(), "simulated", [VideoMetrics.model_validate(v) for v in videos])


def ab_figures(ruleset: RuleSet, *, experiments: int = 200, seed: int = 0, engine: str | None = None) -> ABFigures:
    """`advisor ab` (advisor.jobs.ab.compare_variants) on simulated experiments.

    A/A: two arms of 3 videos from one account; every signal compared counts. Power: a real 2x
    heart lift with 6 videos per arm, the account's history (40 other videos) giving the spread
    between videos. The old per-view z-test runs on the same A/A arms for contrast.
    """
    out = ABFigures()
    for k in range(experiments):
        a, b = ab_arms(3, seed + k)
        for method in ("video", "z"):
            result = compare_variants(_variant("a", a), _variant("b", b), ruleset, method=method, engine=engine)
            named = sum(1 for c in result.comparisons if c.result.winner is not None)
            if method == "video":
                out.comparisons += len(result.comparisons)
                out.aa_winners += named
            else:
                out.comparisons_per_view += len(result.comparisons)
                out.aa_winners_per_view += named
        a, b = ab_arms(6, seed + 100_000 + k, lift=2.0, metric="hearts")
        taus = history_taus([VideoMetrics.model_validate(v) for v in quiet_series(40, seed + 200_000 + k)])
        result = compare_variants(_variant("a", a), _variant("b", b), ruleset, engine=engine, taus=taus)
        hearts = next(c for c in result.comparisons if c.signal.name == "heart_rate")
        out.experiments += 1
        out.lift_found += hearts.result.winner == "b"
    return out
