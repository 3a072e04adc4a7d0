"""The account summary: quadrants from the typical-range judgement, ranges, recurring advice, top videos."""

from __future__ import annotations

import statistics

import pytest

from advisor.model.metrics import VideoMetrics
from advisor.jobs.review import review, review_paths
from advisor.input.ruleset import load_ruleset
from advisor.jobs.summary import (PRIORITY_WEIGHT, REACH_RANGE, TOP_N, learning_score, level_state, make_baseline,
                                  quadrant, reach, standing)
from advisor.model.levels import level_feature

from conftest import EXAMPLES

EXPORT = EXAMPLES / "wechat_channels_export.csv"


@pytest.fixture(scope="module")
def export_review(ruleset):
    return review_paths([str(EXPORT)], ruleset, engine="python")


def video(i, likes, hearts, views=10_000, **extra):
    return VideoMetrics(id=f"v{i}", form="short_video", views=views, likes=likes, hearts=hearts, **extra)


def test_quadrants_follow_the_levels_the_review_judged(export_review):
    summary = export_review.summary
    assert summary.baseline.kind == "batch"
    placed = {vid: q for q, ids in summary.quadrants.items() for vid in ids}
    assert len(placed) == len(export_review.videos)
    for vr in export_review.videos:
        like, heart = level_state(vr.fact, "like_rate"), level_state(vr.fact, "heart_rate")
        assert like in ("high", "typical", "low") and heart in ("high", "typical", "low")
        # A video is only off the typical group when a level credibly holds.
        if placed[vr.video.id] == "typical":
            assert (like, heart) == ("typical", "typical")
        if placed[vr.video.id] == "likes_led":
            assert like == "high" or heart == "low"
        assert quadrant(vr.fact) == placed[vr.video.id]


def test_a_quiet_batch_is_placed_as_typical(ruleset):
    batch = [video(i, likes=300 + (i % 3) * 10, hearts=90 + (i % 4) * 3, comments=40, shares=30,
                   completion_rate=0.25) for i in range(20)]
    summary = review(batch, ruleset, engine="python").summary
    assert set(summary.quadrants["typical"]) == {v.id for v in batch}
    assert all(not summary.quadrants[q] for q in ("both_high", "likes_led", "hearts_led", "both_low"))


def test_ranges_are_reported_per_form_from_the_same_judgement(export_review):
    ranges = export_review.summary.baseline.to_json("en")["ranges"]
    assert [r["form"] for r in ranges] == ["short_video"]
    metrics = ranges[0]["metrics"]
    for name in ("like_rate", "heart_rate", "followup_rate", "completion_rate"):
        assert metrics[name]["low"] < metrics[name]["typical"] < metrics[name]["high"]
        assert metrics[name]["videos"] == 28
    assert ranges[0]["band"] == [10, 90]


def test_medians_put_likes_hearts_and_follow_up_side_by_side(export_review):
    medians = export_review.summary.medians
    facts = [vr.fact for vr in export_review.videos]
    for metric in ("like_rate", "heart_rate", "followup_rate", "completion_rate"):
        assert medians[metric] == pytest.approx(statistics.median(f[metric] for f in facts))


def test_recurring_advice_counts_every_finding(export_review):
    counts = {}
    for vr in export_review.videos:
        for f in vr.findings:
            counts[f.rule.id] = counts.get(f.rule.id, 0) + 1
    recurring = export_review.summary.recurring
    assert {r["rule_id"]: r["count"] for r in recurring} == counts
    assert [r["count"] for r in recurring] == sorted((r["count"] for r in recurring), reverse=True)


def test_top_videos_are_the_highest_scores_with_distinct_lessons(export_review):
    top = export_review.summary.top
    with_findings = [vr for vr in export_review.videos if vr.findings]
    assert len(top) == min(TOP_N, len(with_findings))
    by_id = {vr.video.id: vr for vr in export_review.videos}
    views = statistics.median(vr.fact["views"] for vr in export_review.videos)
    scores = [t["score"] for t in top]
    assert scores == sorted(scores, reverse=True)
    for t in top:
        vr = by_id[t["id"]]
        assert t["score"] == pytest.approx(learning_score(vr.findings, vr.fact["views"], views), abs=1e-3)
    # The best-scoring video of the batch is always among them.
    best = max(with_findings, key=lambda vr: learning_score(vr.findings, vr.fact["views"], views))
    assert best.video.id in [t["id"] for t in top]


def test_reach_weighs_a_lesson_by_its_views_within_bounds():
    assert reach(10_000, 10_000) == 1.0
    assert reach(100_000, 10_000) == pytest.approx(1.5)
    assert reach(10**9, 10_000) == REACH_RANGE[1] and reach(1, 10_000) == REACH_RANGE[0]
    assert reach(None, 10_000) == 1.0


def test_learning_score_weighs_priority_and_caps_margin(ruleset):
    result = review([video(1, likes=800, hearts=30, comments=10, shares=10, completion_rate=0.2)], ruleset,
                    engine="python")
    findings = result.videos[0].findings
    assert findings, "the short-lived-heat video must have findings"
    expected = sum(PRIORITY_WEIGHT[f.rule.priority] * (1 + min(f.margin, 1.0)) for f in findings)
    assert learning_score(findings) == pytest.approx(expected)
    assert learning_score([]) == 0


def test_a_single_video_is_judged_against_the_default_ranges(ruleset):
    result = review([video(1, likes=300, hearts=90, comments=40, shares=30, completion_rate=0.25)], ruleset,
                    engine="python")
    assert result.summary.quadrants == {"both_high": [], "likes_led": [], "hearts_led": [], "both_low": [],
                                        "typical": ["v1"]}
    assert standing(result.videos[0].fact, "zh") == "点赞一般 · 小红心一般"


def test_history_is_the_baseline_when_given(ruleset):
    # The account usually gets 1% likes and 0.3% hearts on 10,000 views; a video at 4% likes and
    # 1.2% hearts is high on both against it, though both are typical by the defaults.
    history = [video(100 + i, likes=95 + i * 2, hearts=27 + i, comments=40, shares=30, completion_rate=0.25)
               for i in range(20)]
    batch = [video(1, likes=400, hearts=120, comments=40, shares=30, completion_rate=0.25)]
    result = review(batch, ruleset, history=history, history_label="hist.csv", engine="python")
    summary = result.summary
    assert summary.baseline.kind == "history"
    assert "hist.csv" in summary.baseline.label.en
    assert summary.per_video_quadrant == {"v1": "both_high"}
    alone = review(batch, load_ruleset(), engine="python").summary
    assert alone.per_video_quadrant == {"v1": "typical"}


def test_videos_without_hearts_are_not_placed(ruleset):
    with_hearts = [video(i, likes=100 + i, hearts=20 + i) for i in range(5)]
    no_hearts = VideoMetrics(id="douyin-1", form="short_video", views=1000, likes=50)
    result = review(with_hearts + [no_hearts], ruleset, engine="python")
    assert result.summary.per_video_quadrant["douyin-1"] == "unplaced"
    assert "douyin-1" in result.summary.quadrants["unplaced"]
    assert standing(result.videos[-1].fact, "en") is None


def test_quadrant_reads_the_judged_levels():
    def fact(like, heart):
        out = {}
        for metric, state in (("like_rate", like), ("heart_rate", heart)):
            out[level_feature(metric, "high")] = state == "high"
            out[level_feature(metric, "low")] = state == "low"
        return out
    assert quadrant(fact("high", "high")) == "both_high"
    assert quadrant(fact("high", "typical")) == "likes_led"
    assert quadrant(fact("typical", "low")) == "likes_led"
    assert quadrant(fact("low", "typical")) == "hearts_led"
    assert quadrant(fact("low", "low")) == "both_low"
    assert quadrant(fact("typical", "typical")) == "typical"
    assert quadrant({}) == "unplaced"


def test_baseline_medians_are_per_form():
    facts = [{"id": f"s{i}", "form": "short_video", "like_rate": 0.01 * (i + 1), "heart_rate": 0.01} for i in range(5)]
    facts += [{"id": f"l{i}", "form": "live", "like_rate": 0.5, "heart_rate": 0.5} for i in range(2)]
    baseline = make_baseline(facts)
    assert baseline.median("like_rate", "short_video") == pytest.approx(0.03)
    assert baseline.median("like_rate", "live") == pytest.approx(0.5)
