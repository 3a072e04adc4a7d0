"""Explanations: every condition with the video's value, the threshold and where it came from."""

from advisor.engine.evaluate import StageRunner
from advisor.core.i18n import T
from advisor.model.levels import Baseline
from advisor.model.metrics import FIELDS, VideoMetrics
from advisor.input.ruleset import load_ruleset

RULESET = load_ruleset()


def run(video: VideoMetrics, baseline=None, with_misses=True):
    with StageRunner(RULESET, "review", baseline=baseline, engine="python") as runner:
        fact = video.to_fact()
        return (fact,) + runner.run(fact, with_misses=with_misses)


def by_id(items):
    return {x.rule.id: x for x in items}


WATCHED_FEW_HEARTS = VideoMetrics(id="v", form="short_video", views=10_000, likes=300, hearts=20,
                                  comments=40, shares=30, completion_rate=0.45)


def test_finding_lists_values_thresholds_and_sources_and_the_missing_retention_note():
    fact, fired, findings, _ = run(WATCHED_FEW_HEARTS)
    gap = by_id(findings)["emotion-gap"]
    rows = [o.to_json("en") for o in gap.conditions]
    completion = next(r for r in rows if r["metric"] == "completion_rate")
    assert completion == {"metric": "completion_rate", "value": 0.45, "op": ">=", "threshold": 0.30,
                          "source": "default for short videos", "level": "high",
                          "threshold_source": {"kind": "absolute", "form": "short_video"},
                          "result": True, "via": "watched_through"}
    heart = next(r for r in rows if r["metric"] == "heart_rate")
    assert (heart["value"], heart["op"], heart["threshold"], heart["result"]) == (0.002, "<", 0.005, True)
    text = gap.explanation(fact, FIELDS, "en")
    assert "completion rate 45.00% ≥ 30.00% (default for short videos)" in text
    assert "completion alone decides" in text  # the export has no retention column
    zh = gap.explanation(fact, FIELDS, "zh")
    assert "完播率 45.00% ≥ 30.00%" in zh and "只按完播率判断" in zh


def test_percentile_source_is_named_when_history_is_long_enough():
    history = [VideoMetrics(id=str(i), form="short_video", views=1000, likes=30, hearts=i,
                            comments=5, shares=5, completion_rate=0.1 + i / 100) for i in range(20)]
    baseline = Baseline([v.to_fact() for v in history], T(zh="历史", en="history"))
    _, _, findings, misses = run(WATCHED_FEW_HEARTS, baseline)
    rows = [o.to_json("en") for f in findings for o in f.conditions] + \
           [c for m in misses for c in m.to_json("en")["conditions"]]
    completion = next(r for r in rows if r["metric"] == "completion_rate" and r["op"] == ">=")
    assert completion["source"] == "P70 of 20 short videos"
    assert completion["threshold_source"] == {"kind": "percentile", "form": "short_video", "percentile": 70.0, "n": 20}


def test_misses_name_the_failed_condition_or_the_missing_data():
    _, fired, _, misses = run(WATCHED_FEW_HEARTS)
    miss = by_id(misses)
    assert "depth-gap" not in fired
    assert miss["depth-gap"].reason("en").startswith("heart rate 0.20% is not ≥ 1.20%")
    assert miss["drop-off"].to_json("en")["missing"] == ["retention_rate"]
    assert "needs retention rate, which the data does not have" in miss["drop-off"].reason("en")
    assert "需要留存率,但数据里没有" in miss["drop-off"].reason("zh")


def test_a_rule_needing_a_missing_metric_does_not_fire_and_says_so():
    video = VideoMetrics(id="d", form="short_video", views=10_000, likes=800, comments=5, shares=5,
                         completion_rate=0.5)  # a Douyin-like row: no hearts
    _, fired, _, misses = run(video)
    assert "emotion-gap" not in fired and "no-heart-data" in fired
    assert by_id(misses)["emotion-gap"].to_json("en")["missing"] == ["heart_rate"]


def test_findings_rank_by_priority_then_distance_past_threshold():
    _, _, findings, _ = run(VideoMetrics(id="h", form="short_video", views=10_000, likes=900, hearts=10,
                                         comments=5, shares=2, completion_rate=0.6))
    priorities = [f.rule.priority for f in findings]
    assert priorities == sorted(priorities, key=["high", "medium", "low"].index)
    high = [f for f in findings if f.rule.priority == "high"]
    assert [f.margin for f in high] == sorted((f.margin for f in high), reverse=True)
