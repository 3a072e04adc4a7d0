import pytest
from pydantic import ValidationError

from advisor.model.levels import Baseline, Levels, percentile, resolve
from advisor.core.i18n import T


def levels() -> Levels:
    return Levels.model_validate({
        "min_history": 10,
        "metrics": {"completion_rate": {
            "high": {"op": ">=", "percentile": 70, "absolute": {"default": 0.3, "long_video": 0.15}},
        }},
    })


def test_percentile_matches_linear_interpolation_by_hand():
    values = [0.1, 0.2, 0.3, 0.4, 0.5]
    # position (5-1)*0.7 = 2.8 -> 0.3 + 0.8 * (0.4 - 0.3) = 0.38
    assert percentile(values, 70) == pytest.approx(0.38)
    assert percentile(values, 50) == pytest.approx(0.3)
    assert percentile([7.0], 30) == 7.0


def test_absolute_threshold_per_form_when_no_history():
    th = resolve(levels(), "completion_rate", "high", "long_video", None)
    assert (th.kind, th.value, th.op) == ("absolute", 0.15, ">=")
    assert resolve(levels(), "completion_rate", "high", None, None).value == 0.3
    assert resolve(levels(), "completion_rate", "high", "live", None).value == 0.3  # falls back to default
    assert "long videos" in th.source("en") and "长视频" in th.source("zh")


def test_percentile_used_once_history_has_enough_videos_of_the_form():
    facts = [{"form": "short_video", "completion_rate": i / 100} for i in range(10, 34)]  # 24 videos
    baseline = Baseline(facts, T(zh="本批视频", en="this batch"))
    th = resolve(levels(), "completion_rate", "high", "short_video", baseline)
    assert th.kind == "percentile" and th.n == 24
    assert th.value == pytest.approx(percentile(sorted(f["completion_rate"] for f in facts), 70))
    assert th.source("en") == "P70 of 24 short videos"
    # Another form has no history of its own: absolute, and the source says why.
    other = resolve(levels(), "completion_rate", "high", "long_video", baseline)
    assert other.kind == "absolute" and other.value == 0.15
    assert "history has 0, a percentile needs 10" in other.source("en")


def test_short_history_keeps_absolute_thresholds():
    facts = [{"form": "short_video", "completion_rate": 0.5}] * 9
    th = resolve(levels(), "completion_rate", "high", "short_video", Baseline(facts, T(zh="x", en="x")))
    assert th.kind == "absolute" and th.short_history == 9


def test_level_needs_a_default_and_known_forms():
    with pytest.raises(ValidationError, match="default"):
        Levels.model_validate({"metrics": {"x": {"high": {"op": ">=", "absolute": {"short_video": 1}}}}})
    with pytest.raises(ValidationError, match="short_vidoe"):
        Levels.model_validate({"metrics": {"x": {"high": {"op": ">=", "absolute": {"default": 1, "short_vidoe": 1}}}}})


def test_merge_replaces_level_by_level():
    base = levels()
    other = Levels.model_validate({"metrics": {"completion_rate": {
        "low": {"op": "<", "absolute": {"default": 0.1}}}}})
    merged = base.merged(other, override_min_history=False)
    assert set(merged.metrics["completion_rate"]) == {"high", "low"}
    assert merged.metrics["completion_rate"]["high"].absolute["default"] == 0.3


def test_a_rate_given_without_its_counts_is_read_with_the_views():
    # Regression: the typical mode read per-view rates only from their counts, so a rate given
    # directly (heart_rate with the views, no hearts) could never be judged.
    from advisor.model.levels import COUNT_MODELS

    heart = COUNT_MODELS["heart_rate"]
    assert heart.counts({"views": 1000, "hearts": 12}) == (12.0, 1000.0)
    assert heart.counts({"views": 1000, "heart_rate": 0.012}) == pytest.approx((12.0, 1000.0))
    assert heart.counts({"views": 1000, "hearts": 12, "heart_rate": 0.5}) == (12.0, 1000.0)  # counts win
    assert heart.counts({"heart_rate": 0.012}) is None  # no views: nothing to weigh it by
    assert heart.counts({"views": 1000}) is None


def test_more_events_than_views_is_judged_not_a_crash(ruleset):
    from advisor.jobs.review import review
    from advisor.model.metrics import VideoMetrics

    videos = [VideoMetrics(id=f"v{i}", form="short_video", views=10_000, likes=300, hearts=90, comments=40,
                           shares=30, completion_rate=0.25) for i in range(10)]
    videos.append(VideoMetrics(id="odd", form="short_video", views=100, likes=500, hearts=90, comments=40,
                               shares=30, completion_rate=0.25))
    result = review(videos, ruleset, engine="python")
    odd = result.videos[-1]
    # Not a proportion the binomial model can read: the level is unknown, the rest is judged.
    assert "lvl:like_rate:high" not in odd.fact
    assert odd.fact["lvl:heart_rate:high"] in (True, False)


def test_a_copied_baseline_adds_to_its_own_columns():
    """add() keeps each form's column appends at hand; a copy (deepcopy, or pickled to a
    distributed review's worker) must add to its own columns, and leave the original's alone."""
    import copy

    from advisor.model.levels import Baseline

    facts = [{"form": "short_video", "views": 1000, "likes": 30, "hearts": 5},
             {"form": "short_video", "views": 800, "likes": 20, "hearts": 4}]
    original = Baseline(facts)
    copied = copy.deepcopy(original)
    copied.add({"form": "short_video", "views": 900, "likes": 25, "hearts": 3})
    assert copied.counts("like_rate", "short_video") == [(30.0, 1000.0), (20.0, 800.0), (25.0, 900.0)]
    assert original.counts("like_rate", "short_video") == [(30.0, 1000.0), (20.0, 800.0)]
    assert list(copied.values("likes", "short_video")) == [20, 25, 30]
    assert list(original.values("likes", "short_video")) == [20, 30]
