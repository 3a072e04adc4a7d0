"""advisor.stats.simulate: deterministic, shaped like an export, the rates it was asked for."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from advisor.stats.simulate import METRICS, ab_arms, arm_counts, counts, quiet_series, with_outliers

FIELDS = {"id", "title", "form", "published_at", "views", "likes", "hearts", "comments", "shares", "follows",
          "completion_rate", "avg_watch_s", "duration_s"}


def test_same_seed_same_videos_and_fields():
    a, b = quiet_series(20, seed=7), quiet_series(20, seed=7)
    assert a == b and quiet_series(20, seed=8) != a
    for v in a:
        assert set(v) == FIELDS and v["form"] == "short_video"
        assert 0 <= v["completion_rate"] <= 1 and 0 < v["avg_watch_s"] <= v["duration_s"]
        for field in ("likes", "hearts", "comments", "shares", "follows"):
            assert 0 <= v[field] <= v["views"]
    dates = [dt.date.fromisoformat(v["published_at"]) for v in a]
    assert dates == sorted(dates) and 1 <= (dates[-1] - dates[0]).days / 19 <= 3


def test_rates_and_views_are_realistic():
    videos = quiet_series(2000, seed=1)
    views = np.array([v["views"] for v in videos])
    assert 6500 <= np.median(views) <= 9500
    assert np.quantile(views, 0.05) < 1500 and np.quantile(views, 0.99) > 80_000
    for metric, (_, mean) in METRICS.items():
        x, n = map(np.array, zip(*(counts(v, metric) for v in videos)))
        # The median video's rate is the account mean (logit-normal around it), within 8%.
        assert np.median((x + 0.5) / n) == pytest.approx(mean, rel=0.08), metric


def test_planted_outliers_are_where_they_say():
    videos, planted = with_outliers(40, seed=3, n_outliers=4)
    assert len({vid for vid, _, _ in planted}) == 4
    by_id = {v["id"]: v for v in videos}
    median_views = np.median([v["views"] for v in videos])
    for vid, metric, direction in planted:
        video = by_id[vid]
        assert video["views"] >= median_views
        x, n = counts(video, metric)
        ratio = (x / n) / METRICS[metric][1]
        assert (ratio > 2) if direction == "high" else (ratio < 0.5), (metric, direction, ratio)


def test_min_expected_picks_well_viewed_videos():
    videos, planted = with_outliers(60, seed=4, n_outliers=3, directions=("low",), min_expected=200)
    by_id = {v["id"]: v for v in videos}
    for vid, metric, direction in planted:
        assert direction == "low" and by_id[vid]["views"] * METRICS[metric][1] >= 200


def test_ab_arms_lift():
    ratios = []
    for seed in range(200):
        a, b = ab_arms(5, seed=seed, lift=2.0)
        xa, na = map(sum, zip(*arm_counts(a, "hearts")))
        xb, nb = map(sum, zip(*arm_counts(b, "hearts")))
        ratios.append(math.log((xb / nb) / (xa / na)))
    assert math.exp(np.median(ratios)) == pytest.approx(2.0, rel=0.1)
    a, b = ab_arms(3, seed=1)
    assert len(a) == len(b) == 3 and a[0]["id"].startswith("a") and b[0]["id"].startswith("b")
    with pytest.raises(ValueError):
        ab_arms(3, seed=1, metric="nope")
