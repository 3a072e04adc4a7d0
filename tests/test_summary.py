"""The account summary: quadrants against the baseline medians, recurring advice, top videos."""

from __future__ import annotations

import statistics

import pytest

from advisor.model.metrics import VideoMetrics
from advisor.jobs.review import review, review_paths
from advisor.input.ruleset import load_ruleset
from advisor.jobs.summary import MIN_BASELINE, PRIORITY_WEIGHT, TOP_N, learning_score, make_baseline, quadrant

from conftest import EXAMPLES

EXPORT = EXAMPLES / "wechat_channels_export.csv"


@pytest.fixture(scope="module")
def export_review(ruleset):
    return review_paths([str(EXPORT)], ruleset, engine="python")


def video(i, likes, hearts, views=10_000, **extra):
    return VideoMetrics(id=f"v{i}", form="short_video", views=views, likes=likes, hearts=hearts, **extra)


def test_quadrants_follow_the_batch_medians(export_review):
    facts = [vr.fact for vr in export_review.videos]
    like_median = statistics.median(f["like_rate"] for f in facts)
    heart_median = statistics.median(f["heart_rate"] for f in facts)
    summary = export_review.summary
    assert summary.baseline.kind == "batch"
    expected = {"both_high": [], "likes_led": [], "hearts_led": [], "both_low": []}
    for f in facts:
        key = {(True, True): "both_high", (True, False): "likes_led", (False, True): "hearts_led",
               (False, False): "both_low"}[(f["like_rate"] >= like_median, f["heart_rate"] >= heart_median)]
        expected[key].append(f["id"])
    assert summary.quadrants == expected
    assert sum(len(ids) for ids in summary.quadrants.values()) == len(facts)


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
    assert len(top) == TOP_N
    by_id = {vr.video.id: vr for vr in export_review.videos}
    scores = [t["score"] for t in top]
    assert scores == sorted(scores, reverse=True)
    for t in top:
        assert t["score"] == pytest.approx(learning_score(by_id[t["id"]].findings), abs=1e-3)
    leads = [t["findings"][0] for t in top]
    distinct_available = {vr.findings[0].rule.id for vr in export_review.videos if vr.findings}
    assert len(set(leads)) == min(TOP_N, len(distinct_available))
    # The best-scoring video of the batch is always among them.
    best = max((vr for vr in export_review.videos if vr.findings), key=lambda vr: learning_score(vr.findings))
    assert best.video.id in [t["id"] for t in top]


def test_learning_score_weighs_priority_and_caps_margin(ruleset):
    result = review([video(1, likes=800, hearts=30, comments=10, shares=10, completion_rate=0.2)], ruleset,
                    engine="python")
    findings = result.videos[0].findings
    assert findings, "the short-lived-heat video must have findings"
    expected = sum(PRIORITY_WEIGHT[f.rule.priority] * (1 + min(f.margin, 1.0)) for f in findings)
    assert learning_score(findings) == pytest.approx(expected)
    assert learning_score([]) == 0


def test_too_few_videos_means_no_baseline(ruleset):
    few = [video(i, likes=100 + i, hearts=20 + i) for i in range(MIN_BASELINE - 1)]
    result = review(few, ruleset, engine="python")
    assert result.summary.baseline.kind == "none"
    assert result.summary.quadrants == {q: [] for q in ("both_high", "likes_led", "hearts_led", "both_low")} | {
        "unplaced": [v.id for v in few]}
    assert str(MIN_BASELINE) in result.summary.baseline.label.en


def test_history_is_the_baseline_when_given(ruleset):
    history = [video(100 + i, likes=100, hearts=10 * (i + 1)) for i in range(6)]  # heart median 0.35%
    batch = [video(1, likes=150, hearts=50), video(2, likes=50, hearts=20)]
    result = review(batch, ruleset, history=history, history_label="hist.csv", engine="python")
    summary = result.summary
    assert summary.baseline.kind == "history"
    assert "hist.csv" in summary.baseline.label.en
    # like median of the history is 1%: v1 (1.5%) is high, v2 (0.5%) low; hearts 0.5% / 0.2% vs 0.35%
    assert summary.per_video_quadrant == {"v1": "both_high", "v2": "both_low"}
    # Against the batch itself (two videos) there would be no baseline at all.
    assert review(batch, load_ruleset(), engine="python").summary.baseline.kind == "none"


def test_videos_without_hearts_are_not_placed(ruleset):
    with_hearts = [video(i, likes=100 + i, hearts=20 + i) for i in range(MIN_BASELINE)]
    no_hearts = VideoMetrics(id="douyin-1", form="short_video", views=1000, likes=50)
    result = review(with_hearts + [no_hearts], ruleset, engine="python")
    assert result.summary.per_video_quadrant["douyin-1"] == "unplaced"
    assert "douyin-1" in result.summary.quadrants["unplaced"]


def test_baseline_is_per_form():
    facts = [{"id": f"s{i}", "form": "short_video", "like_rate": 0.01 * (i + 1), "heart_rate": 0.01} for i in range(5)]
    facts += [{"id": f"l{i}", "form": "live", "like_rate": 0.5, "heart_rate": 0.5} for i in range(2)]
    baseline = make_baseline(facts)
    assert baseline.median("like_rate", "short_video") == pytest.approx(0.03)
    assert baseline.median("like_rate", "live") is None  # two lives are too few
    assert quadrant(facts[-1], baseline) == "unplaced"
    assert quadrant(facts[4], baseline) == "both_high"
    assert quadrant(facts[0], baseline) == "hearts_led"
