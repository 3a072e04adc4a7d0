"""advisor.stats against values computed by hand and by reference libraries.

Reference values marked "statsmodels" / "scipy" were computed once in a scratch virtualenv
(scipy 1.17.1, statsmodels 0.15.0; neither is a dependency of advisor) with:

    from statsmodels.stats.proportion import proportions_ztest, samplesize_proportions_2indep_onetail
    z, p = proportions_ztest([x_b, x_a], [n_b, n_a])                    # pooled, two-sided
    n = samplesize_proportions_2indep_onetail(p_b - p_a, p_a, 0.8, alpha=0.05, alternative="two-sided")
    A, B = scipy.stats.beta(x_a + 1, n_a - x_a + 1), scipy.stats.beta(x_b + 1, n_b - x_b + 1)
    prob, _ = scipy.integrate.quad(lambda x: B.pdf(x) * A.cdf(x), lo, hi, epsabs=1e-13, epsrel=1e-12)
"""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest

from advisor.stats import proportions as stats
from advisor.stats.proportions import compare_rates, prob_b_beats_a, sample_size_per_variant, two_proportion_z_test

# (x_a, n_a, x_b, n_b) -> (z, two-sided p, P(B > A)) from statsmodels / scipy (see the docstring)
REFERENCE = {
    (200, 20000, 330, 21000): (5.120047474299312, 3.054587504142605e-07, 0.9999998649861435),
    (12, 900, 18, 950): (0.9555374720126268, 0.33930596499596677, 0.8250774739071568),
    (30, 1000, 45, 1000): (1.7654696590094991, 0.0774848651326447, 0.9606228977098693),
    (5, 50, 3, 40): (-0.41411822278067467, 0.6787875278593024, 0.36381493316239194),
    (2419, 31000, 2600, 30500): (3.2671059460795226, 0.0010865301032607101, 0.9994565789570052),
}

# (p_a, p_b) -> views per variant (unrounded) from statsmodels
SAMPLE_SIZES = {
    (0.01, 0.016): 5593.76402248468,
    (0.0133, 0.0189): 7928.186752388729,
    (0.05, 0.06): 8157.7314478492835,
    (0.3, 0.25): 1250.7167334356152,
}


def test_z_test_by_hand():
    # 30/1000 vs 45/1000: pooled p = 75/2000 = 0.0375
    # variance = 0.0375 * 0.9625 * (1/1000 + 1/1000) = 7.21875e-05, sd = 0.00849632...
    # z = (0.045 - 0.030) / 0.00849632 = 1.76547; p = 2 * (1 - Phi(1.76547)) = 0.07748
    pooled = 75 / 2000
    sd = math.sqrt(pooled * (1 - pooled) * (2 / 1000))
    z = 0.015 / sd
    result = two_proportion_z_test(30, 1000, 45, 1000)
    assert result.z == pytest.approx(z, rel=1e-12)
    assert result.z == pytest.approx(1.76547, abs=1e-5)
    assert result.p_value == pytest.approx(0.07748, abs=1e-5)
    assert result.confidence == pytest.approx(1 - result.p_value)


@pytest.mark.parametrize("counts", sorted(REFERENCE))
def test_z_test_matches_statsmodels(counts):
    z, p, _ = REFERENCE[counts]
    result = two_proportion_z_test(*counts)
    assert result.z == pytest.approx(z, rel=1e-9)
    assert result.p_value == pytest.approx(p, rel=1e-6)


def test_z_test_is_antisymmetric_and_undefined_without_variance():
    forward = two_proportion_z_test(12, 900, 18, 950)
    backward = two_proportion_z_test(18, 950, 12, 900)
    assert forward.z == pytest.approx(-backward.z)
    assert forward.p_value == pytest.approx(backward.p_value)
    assert two_proportion_z_test(0, 100, 0, 120) is None  # 0% in both: no variance
    assert two_proportion_z_test(100, 100, 50, 50) is None  # 100% in both
    assert two_proportion_z_test(0, 0, 3, 10) is None  # an empty sample


def test_bayes_by_hand():
    # A ~ Beta(1, 2) (0 of 1), B ~ Beta(2, 1) (1 of 1), densities 2(1 - a) and 2b:
    # P(B > A) = int_0^1 2b int_0^b 2(1 - a) da db = int_0^1 (4b^2 - 2b^3) db = 4/3 - 1/2 = 5/6
    assert prob_b_beats_a(0, 1, 1, 1) == pytest.approx(5 / 6, abs=1e-12)
    assert prob_b_beats_a(1, 1, 0, 1) == pytest.approx(1 / 6, abs=1e-12)
    # identical data: a coin toss
    assert prob_b_beats_a(7, 300, 7, 300) == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize("counts", sorted(REFERENCE))
def test_bayes_matches_scipy_integration(counts):
    _, _, prob = REFERENCE[counts]
    assert prob_b_beats_a(*counts) == pytest.approx(prob, abs=1e-9)


def test_bayes_is_complementary():
    for x_a, n_a, x_b, n_b in REFERENCE:
        assert prob_b_beats_a(x_a, n_a, x_b, n_b) + prob_b_beats_a(x_b, n_b, x_a, n_a) == pytest.approx(1.0, abs=1e-9)


def test_bayes_normal_approximation_for_huge_counts_agrees_with_the_exact_sum(monkeypatch):
    exact = prob_b_beats_a(2419, 31000, 2600, 30500)
    monkeypatch.setattr(stats, "EXACT_TERMS_LIMIT", 100)
    approximate = prob_b_beats_a(2419, 31000, 2600, 30500)
    assert approximate == pytest.approx(exact, abs=2e-4)
    assert approximate != exact  # the other branch really ran


def test_sample_size_by_hand():
    # p_a = 0.01, p_b = 0.016, p = 0.013; z(0.975) = 1.959964, z(0.8) = 0.841621
    # root = 1.959964 * sqrt(2 * 0.013 * 0.987) + 0.841621 * sqrt(0.01 * 0.99 + 0.016 * 0.984)
    #      = 1.959964 * 0.160194 + 0.841621 * 0.160137 = 0.313974 + 0.134775 = 0.448749
    # n = 0.448749^2 / 0.006^2 = 0.201376 / 0.000036 = 5593.76 -> 5594 views per variant
    z_a, z_b = NormalDist().inv_cdf(0.975), NormalDist().inv_cdf(0.8)
    root = z_a * math.sqrt(2 * 0.013 * 0.987) + z_b * math.sqrt(0.01 * 0.99 + 0.016 * 0.984)
    assert root == pytest.approx(0.448749, abs=1e-6)
    assert sample_size_per_variant(0.01, 0.016) == math.ceil(root ** 2 / 0.006 ** 2) == 5594


@pytest.mark.parametrize("rates", sorted(SAMPLE_SIZES))
def test_sample_size_matches_statsmodels(rates):
    assert sample_size_per_variant(*rates) == math.ceil(SAMPLE_SIZES[rates])


@pytest.mark.parametrize("rates", sorted(SAMPLE_SIZES))
def test_sample_size_reaches_the_power_and_one_fewer_does_not(rates):
    p_a, p_b = rates
    n = sample_size_per_variant(p_a, p_b)
    p = (p_a + p_b) / 2
    sd0, sd1 = math.sqrt(2 * p * (1 - p)), math.sqrt(p_a * (1 - p_a) + p_b * (1 - p_b))
    z_a = NormalDist().inv_cdf(0.975)

    def power(k):
        return NormalDist().cdf((abs(p_a - p_b) * math.sqrt(k) - z_a * sd0) / sd1)

    assert power(n) >= 0.8 > power(n - 1)


def test_sample_size_of_equal_rates_is_undefined():
    assert sample_size_per_variant(0.02, 0.02) is None
    with pytest.raises(ValueError):
        sample_size_per_variant(1.2, 0.5)


def test_a_clear_difference_names_a_winner_and_needs_no_more_views():
    r = compare_rates(200, 20000, 330, 21000)
    assert r.winner == "b" and r.verdict == "b"
    assert r.confidence == pytest.approx(1 - REFERENCE[(200, 20000, 330, 21000)][1], abs=1e-9)
    assert r.views_needed is None and r.sample == 41000
    assert r.diff == pytest.approx(330 / 21000 - 200 / 20000)
    assert r.lift == pytest.approx((330 / 21000) / (200 / 20000) - 1)
    flipped = compare_rates(330, 21000, 200, 20000)
    assert flipped.winner == "a"


def test_too_little_data_names_no_winner_and_says_how_many_more_views():
    r = compare_rates(12, 900, 18, 950)
    assert r.winner is None and r.verdict == "undecided"
    required = sample_size_per_variant(12 / 900, 18 / 950)
    assert r.required_per_variant == required and r.required_basis == "observed"
    assert (r.more_views_a, r.more_views_b) == (required - 900, required - 950)
    assert r.views_needed == (required - 900) + (required - 950)


def test_a_tiny_observed_gap_plans_for_the_minimum_lift():
    # 4.17% vs 4.09% is a 2% relative gap: the estimate plans for a 5% one instead
    r = compare_rates(50, 1200, 47, 1150)
    mean = (50 / 1200 + 47 / 1150) / 2
    assert r.required_basis == "min_lift"
    assert r.required_per_variant == sample_size_per_variant(mean - 0.025 * mean, mean + 0.025 * mean)
    assert r.winner is None and r.views_needed > 0


def test_large_samples_without_a_meaningful_gap_are_a_tie():
    # 31.2% vs 31.8% on 24,000 views each: enough to see a 5% relative gap, none seen
    r = compare_rates(round(0.312 * 24000), 24000, round(0.318 * 23500), 23500)
    assert r.winner is None and r.verdict == "tie" and r.views_needed is None


def test_bayes_method_decides_on_the_posterior_probability():
    decided = compare_rates(200, 20000, 330, 21000, method="bayes")
    assert decided.winner == "b"
    assert decided.confidence == pytest.approx(REFERENCE[(200, 20000, 330, 21000)][2], abs=1e-9)
    # P(B > A) = 0.96 is below 0.975 (the tail mass of a two-sided 5% test): no winner
    open_ = compare_rates(30, 1000, 45, 1000, method="bayes")
    assert open_.prob_b_beats_a == pytest.approx(0.9606228977098693, abs=1e-9)
    assert open_.winner is None and open_.views_needed > 0
    with pytest.raises(ValueError):
        compare_rates(1, 10, 2, 10, method="t")


def test_impossible_counts_are_refused():
    with pytest.raises(ValueError):
        two_proportion_z_test(11, 10, 1, 10)
    with pytest.raises(ValueError):
        prob_b_beats_a(-1, 10, 1, 10)
