"""Comparing two rates (A/B tests): a pooled two-proportion z-test, the Bayesian probability
that B beats A, and how many views a test needs. Standard library only (statistics.NormalDist,
math.lgamma): no numerical dependency for three formulas.

Every rate here is "events per view" (likes, hearts, completed plays, comments + shares). A
view is treated as one Bernoulli trial; for events a viewer can repeat (comments) that is an
approximation, good enough to tell whether a difference is noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

Method = Literal["z", "bayes"]
METHODS: tuple[str, ...] = ("z", "bayes")

ALPHA = 0.05  # two-sided significance level: a winner needs confidence >= 1 - ALPHA
POWER = 0.8  # the chance a real difference of the assumed size is detected
MIN_LIFT = 0.05  # smallest relative difference a views-needed estimate plans for
EXACT_TERMS_LIMIT = 200_000  # beyond this many terms the Bayesian sum uses a normal approximation

_N = NormalDist()


@dataclass(frozen=True)
class ZTest:
    z: float
    p_value: float  # two-sided

    @property
    def confidence(self) -> float:
        return 1.0 - self.p_value


def two_proportion_z_test(x_a: int, n_a: int, x_b: int, n_b: int) -> ZTest | None:
    """Pooled two-proportion z-test of rate B = rate A, two-sided.

    z = (p_b - p_a) / sqrt(p (1 - p) (1/n_a + 1/n_b)), p = (x_a + x_b) / (n_a + n_b).
    None when it is undefined: an empty sample, or no variance at all (0% or 100% in both).
    """
    _check_counts(x_a, n_a, x_b, n_b)
    if n_a == 0 or n_b == 0:
        return None
    pooled = (x_a + x_b) / (n_a + n_b)
    variance = pooled * (1 - pooled) * (1 / n_a + 1 / n_b)
    if variance <= 0:
        return None
    z = (x_b / n_b - x_a / n_a) / math.sqrt(variance)
    # 2 * upper tail, computed from the upper tail directly so tiny p-values keep precision.
    p_value = min(1.0, 2.0 * _N.cdf(-abs(z)))
    return ZTest(z, p_value)


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def _prob_y_beats_x(a_x: float, b_x: float, a_y: int, b_y: float) -> float:
    """P(Y > X) for X ~ Beta(a_x, b_x), Y ~ Beta(a_y, b_y), a_y a whole number.

    The closed form (a finite sum over a_y terms):
        sum_{i=0}^{a_y-1} B(a_x + i, b_x + b_y) / ((b_y + i) B(1 + i, b_y) B(a_x, b_x))
    """
    base = _log_beta(a_x, b_x)
    total = 0.0
    for i in range(a_y):
        total += math.exp(_log_beta(a_x + i, b_x + b_y) - math.log(b_y + i) - _log_beta(1 + i, b_y) - base)
    return total


def prob_b_beats_a(x_a: int, n_a: int, x_b: int, n_b: int, prior: tuple[int, int] = (1, 1)) -> float:
    """P(rate B > rate A) with independent Beta(prior) priors (default Beta(1, 1), uniform).

    Exact (the closed-form sum, over the smaller of the two success counts) up to
    EXACT_TERMS_LIMIT terms; beyond that both posteriors are tightly peaked and the normal
    approximation of their difference is accurate to far more digits than anyone reads.
    """
    _check_counts(x_a, n_a, x_b, n_b)
    a0, b0 = prior
    a_a, b_a = x_a + a0, n_a - x_a + b0
    a_b, b_b = x_b + a0, n_b - x_b + b0
    if min(a_a, a_b) <= EXACT_TERMS_LIMIT:
        if a_b <= a_a:
            result = _prob_y_beats_x(a_a, b_a, a_b, b_b)
        else:  # sum over A's (fewer) terms: P(B > A) = 1 - P(A > B); ties have probability 0
            result = 1.0 - _prob_y_beats_x(a_b, b_b, a_a, b_a)
        return min(1.0, max(0.0, result))
    mean_a, var_a = _beta_moments(a_a, b_a)
    mean_b, var_b = _beta_moments(a_b, b_b)
    return _N.cdf((mean_b - mean_a) / math.sqrt(var_a + var_b))


def _beta_moments(a: float, b: float) -> tuple[float, float]:
    mean = a / (a + b)
    return mean, a * b / ((a + b) ** 2 * (a + b + 1))


def sample_size_per_variant(p_a: float, p_b: float, alpha: float = ALPHA, power: float = POWER) -> int | None:
    """Views each variant needs for a two-sided pooled z-test at `alpha` to detect p_a vs p_b
    with probability `power` (normal approximation, no continuity correction):

        n = (z_{1-alpha/2} sqrt(2 p (1 - p)) + z_{power} sqrt(p_a q_a + p_b q_b))^2 / (p_a - p_b)^2

    with p = (p_a + p_b) / 2. None when the rates are equal (no sample size separates them).
    """
    if not (0 <= p_a <= 1 and 0 <= p_b <= 1):
        raise ValueError("rates must be between 0 and 1")
    if p_a == p_b:
        return None
    z_alpha = _N.inv_cdf(1 - alpha / 2)
    z_power = _N.inv_cdf(power)
    p = (p_a + p_b) / 2
    root = z_alpha * math.sqrt(2 * p * (1 - p)) + z_power * math.sqrt(p_a * (1 - p_a) + p_b * (1 - p_b))
    return math.ceil(root ** 2 / (p_a - p_b) ** 2)


@dataclass(frozen=True)
class RateComparison:
    """Two rates compared: the numbers, the verdict, and what the verdict rests on."""

    x_a: int
    n_a: int
    x_b: int
    n_b: int
    method: str
    p_value: float | None
    z: float | None
    prob_b_beats_a: float | None
    confidence: float | None  # z: 1 - p; bayes: the probability of the more likely winner
    winner: str | None  # "a", "b", or None when the data cannot decide
    required_per_variant: int | None  # views each variant needs in total (power analysis)
    required_basis: str | None  # "observed" difference, or "min_lift" when that was too small
    more_views_a: int | None
    more_views_b: int | None

    @property
    def rate_a(self) -> float | None:
        return self.x_a / self.n_a if self.n_a else None

    @property
    def rate_b(self) -> float | None:
        return self.x_b / self.n_b if self.n_b else None

    @property
    def diff(self) -> float | None:
        """B - A, in rate units (0.006 = 0.6 percentage points)."""
        if self.rate_a is None or self.rate_b is None:
            return None
        return self.rate_b - self.rate_a

    @property
    def lift(self) -> float | None:
        """(B - A) / A: B's relative change over A; None when A is 0."""
        if not self.rate_a or self.rate_b is None:
            return None
        return self.rate_b / self.rate_a - 1

    @property
    def sample(self) -> int:
        return self.n_a + self.n_b

    @property
    def views_needed(self) -> int | None:
        """More views, A and B together, before the test can decide; None once it has."""
        if self.winner is not None or self.more_views_a is None:
            return None
        return self.more_views_a + self.more_views_b

    @property
    def verdict(self) -> str:
        """a / b (a winner), tie (samples large enough, no difference worth acting on), or
        undecided (too few views to tell)."""
        if self.winner is not None:
            return self.winner
        if self.required_per_variant is not None and self.more_views_a is None:
            return "tie"
        return "undecided"


def compare_rates(x_a: int, n_a: int, x_b: int, n_b: int, *, method: Method = "z", alpha: float = ALPHA,
                  power: float = POWER, min_lift: float = MIN_LIFT) -> RateComparison:
    """Compare B's rate with A's; name a winner only when the chosen method is confident.

    z: a winner when the two-sided p-value < alpha. bayes: when P(B > A) >= 1 - alpha/2 or
    <= alpha/2 (the same tail mass as the two-sided test). With no winner, the views each
    variant still needs come from a power analysis at the observed rates; when the observed
    difference is below `min_lift` (relative), it plans for a `min_lift` difference instead,
    since no sample size resolves a difference of zero.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}")
    test = two_proportion_z_test(x_a, n_a, x_b, n_b)
    bayes = prob_b_beats_a(x_a, n_a, x_b, n_b) if n_a and n_b else None
    winner = None
    if method == "z":
        confidence = test.confidence if test else None
        if test is not None and test.p_value < alpha:
            winner = "b" if test.z > 0 else "a"
    else:
        confidence = max(bayes, 1 - bayes) if bayes is not None else None
        if bayes is not None and (bayes >= 1 - alpha / 2 or bayes <= alpha / 2):
            winner = "b" if bayes > 0.5 else "a"
    required = basis = more_a = more_b = None
    if winner is None and n_a and n_b:
        p_a, p_b = x_a / n_a, x_b / n_b
        mean = (p_a + p_b) / 2
        if mean > 0:
            basis = "observed"
            if abs(p_b - p_a) < min_lift * mean:
                # Plan for the smallest difference worth acting on, centred on the observed mean.
                basis = "min_lift"
                half = min_lift * mean / 2
                p_a, p_b = max(0.0, mean - half), min(1.0, mean + half)
            required = sample_size_per_variant(p_a, p_b, alpha, power)
        if required is not None:
            more_a, more_b = max(0, required - n_a), max(0, required - n_b)
            if more_a == 0 and more_b == 0:
                if basis == "min_lift":
                    # Both samples are already large enough to show a `min_lift` difference,
                    # and none showed: the variants perform alike on this signal. More views
                    # would not change that (the verdict is a tie, not a winner).
                    more_a = more_b = None
                else:
                    # Barely possible (rounding at the edge of significance): ask for one more
                    # round of the same size rather than claim nothing is needed.
                    more_a = more_b = max(n_a, n_b)
    return RateComparison(x_a, n_a, x_b, n_b, method, test.p_value if test else None, test.z if test else None,
                          bayes, confidence, winner, required, basis, more_a, more_b)


def _check_counts(x_a: int, n_a: int, x_b: int, n_b: int) -> None:
    for x, n in ((x_a, n_a), (x_b, n_b)):
        if n < 0 or x < 0 or x > n:
            raise ValueError(f"need 0 <= successes <= trials, got {x} of {n}")
