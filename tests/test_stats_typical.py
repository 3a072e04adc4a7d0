"""advisor.stats.typical: posterior tails against scipy.stats.beta, BH against scipy, recovery
of (mu, tau) and robustness on simulated accounts, and the calibration goals of a review:
few flags on a quiet account, planted outliers found."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats

from advisor.stats.simulate import METRICS, counts, quiet_series, with_outliers
from advisor.stats.typical import (Typical, assess, assess_batch, benjamini_hochberg, beta_prior, fit_typical,
                                   flag_edges, logit, typical_from)

ALL_METRICS = tuple(METRICS)


def review(videos, metrics=ALL_METRICS, **kwargs):
    """{(video id, metric): Gap} after BH over the whole batch, ranges fitted on the batch."""
    keys, gaps = [], []
    for metric in metrics:
        obs = [counts(v, metric) for v in videos]
        typical = fit_typical(obs)
        for video, (x, n) in zip(videos, obs):
            keys.append((video["id"], metric))
            gaps.append(assess(x, n, typical, **kwargs))
    return dict(zip(keys, assess_batch(gaps)))


# --- the mathematics against scipy -------------------------------------------------------

@pytest.mark.parametrize("x, n", [(0, 500), (3, 800), (72, 8000), (900, 8000), (2400, 8000), (15, 200000)])
def test_posterior_tails_match_scipy_beta(x, n):
    typical = typical_from(logit(0.009), 0.35)
    gap = assess(x, n, typical)
    a0, b0 = beta_prior(typical.mu, typical.tau)
    post = scipy.stats.beta(a0 + x, b0 + n - x)
    assert gap.p_high == pytest.approx(post.sf(gap.hi_edge), rel=1e-9, abs=1e-300)
    assert gap.p_low == pytest.approx(post.cdf(gap.lo_edge), rel=1e-9, abs=1e-300)
    assert gap.interval == pytest.approx((post.ppf(0.05), post.ppf(0.95)), rel=1e-9)
    assert gap.effect == pytest.approx(logit(post.median()) - typical.mu, rel=1e-9, abs=1e-12)


def test_beta_prior_matches_logit_normal_moments():
    rng = np.random.default_rng(1)
    for mu, tau in ((logit(0.009), 0.35), (logit(0.3), 0.3), (logit(0.03), 1.0)):
        p = 1 / (1 + np.exp(-(mu + tau * rng.standard_normal(400_000))))
        a, b = beta_prior(mu, tau)
        assert a / (a + b) == pytest.approx(p.mean(), rel=0.01)
        assert a * b / ((a + b) ** 2 * (a + b + 1)) == pytest.approx(p.var(), rel=0.03)


def test_beta_prior_stays_proper_when_tau_is_zero():
    a, b = beta_prior(logit(0.01), 0.0)
    assert a + b == pytest.approx(1e6) and a > 0 and b > 0
    gap = assess(100, 10_000, typical_from(logit(0.01), 0.0))
    assert gap.direction is None  # the 10% relative floor: 1.0% vs a 1.0% center is no gap


def test_edges_keep_a_ten_percent_relative_gap_for_a_homogeneous_account():
    # With the default margin (0.25 on the logit scale, ~28%) the floor never binds; with a
    # small margin it does.
    typical = typical_from(logit(0.05), 0.03)
    lo, hi = flag_edges(typical, margin=0.02)
    assert hi == pytest.approx(0.055) and lo == pytest.approx(0.045)
    # 5.4% on 200,000 views: certainly above 5%, but only 8% above; not flagged.
    assert assess(10_800, 200_000, typical, margin=0.02).direction is None
    assert assess(12_000, 200_000, typical, margin=0.02).direction == "high"


@pytest.mark.parametrize("seed", range(8))
def test_bh_matches_scipy_false_discovery_control(seed):
    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.uniform(size=80), rng.uniform(0, 0.01, size=int(rng.integers(0, 20)))])
    rng.shuffle(p)
    for q in (0.05, 0.10, 0.2):
        expected = scipy.stats.false_discovery_control(p) <= q
        assert benjamini_hochberg(list(p), q) == list(expected)


def test_bh_edge_cases():
    assert benjamini_hochberg([], 0.1) == []
    assert benjamini_hochberg([float("nan"), 0.001], 0.1) == [False, True]
    with pytest.raises(ValueError):
        benjamini_hochberg([0.1], 0)


def test_assess_batch_clears_only_what_bh_rejects():
    typical = typical_from(logit(0.01), 0.3)
    strong = assess(400, 10_000, typical)  # 4%: far above
    weak = assess(22, 1_200, typical)  # barely above the edge
    assert strong.direction == "high"
    quiet = [assess(100, 10_000, typical) for _ in range(200)]
    out = assess_batch([strong, weak] + quiet)
    assert out[0].direction == "high" and out[0].fdr_kept
    if weak.direction is not None:
        assert out[1].direction is None and not out[1].fdr_kept and out[1].raw_direction == weak.direction
        assert out[1].certainty == weak.certainty
    assert all(g.direction is None and g.fdr_kept for g in out[2:])


def test_json_is_plain():
    import json

    typical = fit_typical([(72, 8000), (50, 6000), (90, 9000)])
    gap = assess(300, 9000, typical)
    json.dumps(typical.to_json())
    json.dumps(gap.to_json())
    assert set(typical.to_json()) >= {"mu", "tau", "center", "low", "high", "band", "n_videos", "weight"}


# --- estimation ---------------------------------------------------------------------------

def test_fit_recovers_mu_and_tau_on_a_large_account():
    # 400 videos: the shrinkage (10 videos' worth toward 0.35) moves tau by < 0.005.
    # Tolerances: mu within 0.06 and tau within 0.06 on the logit scale (~3 standard errors).
    videos = quiet_series(400, seed=11, taus={"hearts": 0.30, "completion": 0.40})
    for metric, tau in (("hearts", 0.30), ("likes", 0.35), ("completion", 0.40)):
        typical = fit_typical([counts(v, metric) for v in videos])
        assert typical.mu == pytest.approx(logit(METRICS[metric][1]), abs=0.06), metric
        assert typical.tau == pytest.approx(tau, abs=0.06), metric
        assert typical.low < typical.center < typical.high


def test_one_planted_outlier_barely_moves_tau():
    videos = quiet_series(30, seed=5)
    obs = [counts(v, "hearts") for v in videos]
    base = fit_typical(obs)
    busiest = max(range(len(obs)), key=lambda i: obs[i][1])
    for factor in (8.0, 1 / 8.0, 30.0):
        bent = list(obs)
        bent[busiest] = (round(obs[busiest][1] * 0.009 * factor), obs[busiest][1])
        moved = fit_typical(bent)
        # Stated bound: tau moves by at most 0.05 (one video of 30 through median/MAD).
        assert abs(moved.tau - base.tau) <= 0.05
        assert abs(moved.mu - base.mu) <= 0.05


def test_shrinkage_toward_default_with_few_videos_and_truth_with_many():
    # An account whose hearts vary very little (tau 0.05).
    videos = quiet_series(200, seed=3, taus={"hearts": 0.05}, views_median=30_000)
    obs = [counts(v, "hearts") for v in videos]
    two = fit_typical(obs[:2])
    many = fit_typical(obs)
    # 2 videos: tau^2 = (2 tau_hat^2 + 10 * 0.35^2) / 12 >= 0.35 * sqrt(10/12) = 0.32.
    assert 0.3195 <= two.tau <= 0.35 + 0.1
    assert many.tau <= 0.12  # 200 videos: sqrt(10/210) * 0.35 = 0.076 at most from the default
    assert fit_typical([]) is None


def test_prior_pulls_mu_smoothly():
    obs = [(30, 1000), (32, 1000), (28, 1000)]  # ~3%
    prior = (0.01, 0.35)
    three = fit_typical(obs, prior=prior)
    assert three.weight == pytest.approx(3 / 13)
    assert logit(0.01) < three.mu < logit(0.03)
    assert three.mu == pytest.approx(3 / 13 * math.log(30.5 / 970.5) + 10 / 13 * logit(0.01), abs=1e-9)
    assert fit_typical([], prior=prior).center == pytest.approx(0.01)
    thirty = fit_typical(obs * 10, prior=prior)
    assert abs(thirty.mu - logit(0.03)) < abs(three.mu - logit(0.03))


def test_skips_unusable_observations():
    typical = fit_typical([(5, 0), (float("nan"), 100), (3, -1), (10, 1000)])
    assert typical.n_videos == 1


# --- calibration -----------------------------------------------------------------------------

def test_quiet_account_few_videos_flagged():
    """30 videos x 6 metrics (likes, hearts, comments, shares, follows, completion), ranges
    fitted on the batch itself, assess + BH: goal <= 10% of videos with any flag. Measured
    ~4% (mostly completion and likes, whose precise rates really do fall outside the range);
    asserted <= 8% over 60 accounts (1,800 videos) with fixed seeds."""
    flagged = total = 0
    for seed in range(60):
        videos = quiet_series(30, seed=seed)
        gaps = review(videos)
        flagged += len({vid for (vid, _), g in gaps.items() if g.direction})
        total += len(videos)
    assert flagged / total <= 0.08, flagged / total


def test_planted_high_outliers_found_on_videos_with_at_least_median_views():
    """x4 on one metric of a video with >= median views: goal recall >= 95% (measured ~98%)."""
    hits = planted = 0
    for seed in range(40):
        videos, plants = with_outliers(30, seed=1000 + seed, n_outliers=3, directions=("high",))
        gaps = review(videos)
        for vid, metric, direction in plants:
            planted += 1
            hits += gaps[(vid, metric)].direction == direction
    assert hits / planted >= 0.95, hits / planted


def test_planted_low_outliers_found_on_well_viewed_videos():
    """/4 on one metric of a video that is well viewed FOR THAT METRIC (>= 200 expected events
    at the account's typical rate, so the /4 video still shows ~50): goal recall >= 95%
    (measured ~97%). A /4 drop on a rare metric at median views (6-10 events instead of 24-40)
    is not credible evidence in a batch of 360 questions; see benchmarks/calibration_stats.py."""
    hits = planted = 0
    for seed in range(40):
        videos, plants = with_outliers(60, seed=2000 + seed, n_outliers=3, directions=("low",), min_expected=200)
        gaps = review(videos)
        for vid, metric, direction in plants:
            planted += 1
            hits += gaps[(vid, metric)].direction == direction
    assert hits / planted >= 0.95, hits / planted


def test_fit_from_arrays_is_the_fit_from_pairs():
    """A Baseline's arrays go through numpy; the estimate must be the pairwise one, to the bit."""
    import random

    rng = random.Random(5)
    pairs = [(rng.randint(0, 400), rng.randint(1, 20000)) for _ in range(500)]
    pairs += [(3.7, 10.0), (12.0, 10.0), (-1.0, 5.0), (1.0, 0.0), (float("nan"), 10.0), (2.0, float("inf"))]
    xs, ns = [x for x, _ in pairs], [n for _, n in pairs]
    for prior in (None, (0.01, 0.3), (0.02, None)):
        assert fit_typical(counts=(xs, ns), prior=prior) == fit_typical(pairs, prior=prior)
    assert fit_typical(counts=([], [])) is None
    assert fit_typical(counts=([], []), prior=(0.01, 0.3)) == fit_typical([], prior=(0.01, 0.3))
