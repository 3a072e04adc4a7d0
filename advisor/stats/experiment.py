"""A/B tests and before/after changes with the VIDEO as the unit.

Two episodes of one series differ by far more than binomial noise: each video has its own true
rate. Treating every view as an independent trial (advisor.stats.proportions) turns that
between-video variation into ">99.9%" winners. Here the model is

    logit(p_video) ~ N(mu_arm, tau^2),   observed x of n ~ Binomial(n, p_video)

and each video contributes its empirical logit l = log((x+.5)/(n-x+.5)) with sampling variance
v = 1/(x+.5) + 1/(n-x+.5). An arm's mean is the precision-weighted mean of its videos' logits
(weights 1/(tau^2 + v)): a 100,000-view video counts more than a 500-view one, but never more
than one video's worth once v << tau^2. The difference d = mu_B - mu_A is a log odds ratio with
se^2 = 1/sum(w_A) + 1/sum(w_B).

tau, the between-video spread, decides everything; its source is reported:
  'history'  given by the caller (fitted on the account's past videos): normal reference;
  'arms'     estimated from the arms (>= 2 videos each), shrunk toward default_tau;
  'default'  default_tau.
With 'arms' or 'default' the uncertainty about tau is acknowledged with a Student t reference,
df = max(1, k_A + k_B - 2).

The bottom layer: nothing from `advisor` is imported but the layer's own modules; scipy.special's
kernels are loaded when first used (advisor.stats.special).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Literal, Sequence

from advisor.stats.special import kernels
from advisor.stats.typical import empirical_logit, expit, usable  # noqa: F401 (expit re-exported)


TauSource = Literal["history", "arms", "default"]
Verdict = Literal["up", "down", "flat"]

ALPHA = 0.05
POWER = 0.8
MIN_LIFT = 0.30  # smallest relative lift a videos-needed estimate plans for
PRIOR_VIDEOS = 10.0  # how many videos' worth of weight default_tau gets when tau comes from the arms


@dataclass(frozen=True)
class _Arm:
    k: int
    logits: tuple[float, ...]
    variances: tuple[float, ...]
    pooled_rate: float


def _arm(videos: Iterable[tuple[float, float]], name: str) -> _Arm:
    data = usable(videos)
    if not data:
        raise ValueError(f"arm {name} needs at least one video with views (n > 0)")
    logits, variances = zip(*(empirical_logit(x, n) for x, n in data))
    return _Arm(len(data), tuple(logits), tuple(variances), sum(x for x, _ in data) / sum(n for _, n in data))


def _tau(a: _Arm, b: _Arm, tau: float | None, tau_source: str | None, default_tau: float,
         prior_videos: float) -> tuple[float, str]:
    if tau is not None:
        if not (math.isfinite(tau) and tau >= 0):
            raise ValueError(f"tau must be finite and >= 0, got {tau}")
        return float(tau), tau_source or "history"
    if a.k >= 2 and b.k >= 2 and tau_source != "default":
        ss = 0.0
        for arm in (a, b):
            mean = sum(arm.logits) / arm.k
            ss += sum((l - mean) ** 2 for l in arm.logits)
        pooled = ss / (a.k + b.k - 2)
        mean_v = (sum(a.variances) + sum(b.variances)) / (a.k + b.k)
        tau2_hat = max(0.0, pooled - mean_v)
        k = a.k + b.k
        return math.sqrt((k * tau2_hat + prior_videos * default_tau ** 2) / (k + prior_videos)), "arms"
    return float(default_tau), "default"


@dataclass(frozen=True)
class _Fit:
    mu_a: float
    mu_b: float
    d: float
    se: float
    tau: float
    tau_source: str
    df: int | None
    mean_v: float


def _fit(a: _Arm, b: _Arm, tau: float | None, tau_source: str | None, default_tau: float,
         prior_videos: float) -> _Fit:
    t, source = _tau(a, b, tau, tau_source, default_tau, prior_videos)
    sums = []
    for arm in (a, b):
        weights = [1.0 / (t * t + v) for v in arm.variances]
        sw = sum(weights)
        sums.append((sum(w * l for w, l in zip(weights, arm.logits)) / sw, sw))
    (mu_a, sw_a), (mu_b, sw_b) = sums
    df = None if source == "history" else max(1, a.k + b.k - 2)
    mean_v = (sum(a.variances) + sum(b.variances)) / (a.k + b.k)
    return _Fit(mu_a, mu_b, mu_b - mu_a, math.sqrt(1.0 / sw_a + 1.0 / sw_b), t, source, df, mean_v)


def _two_sided_p(stat: float, df: int | None) -> float:
    ndtr, stdtr = kernels().ndtr, kernels().stdtr
    if df is None:
        return min(1.0, 2.0 * float(ndtr(-abs(stat))))
    return min(1.0, 2.0 * float(stdtr(df, -abs(stat))))


def _quantile(prob: float, df: int | None) -> float:
    ndtri, stdtrit = kernels().ndtri, kernels().stdtrit
    return float(ndtri(prob)) if df is None else float(stdtrit(df, prob))


def _interval(fit: _Fit, level: float) -> tuple[float, float]:
    half = _quantile(1 - (1 - level) / 2, fit.df) * fit.se
    return math.exp(fit.d - half), math.exp(fit.d + half)


def videos_needed(tau: float, mean_v: float, d: float, *, alpha: float = ALPHA, power: float = POWER) -> int:
    """Videos per arm for a two-sided test at `alpha` to detect a log odds ratio `d` with
    probability `power`: k = 2 (z_{1-alpha/2} + z_power)^2 (tau^2 + v) / d^2, at least 2.
    A normal-reference figure: with a t reference (tau not from history) a few more are needed."""
    ndtri = kernels().ndtri
    if d == 0:
        raise ValueError("no number of videos detects a difference of zero")
    z = float(ndtri(1 - alpha / 2)) + float(ndtri(power))
    return max(2, math.ceil(2 * z * z * (tau * tau + mean_v) / (d * d)))


@dataclass(frozen=True)
class ArmComparison:
    """Arm B against arm A, one video one unit.

    rate_a, rate_b: pooled x / n per arm (for display only; the test does not use them).
    diff_logodds: d = mu_B - mu_A; ratio = exp(d), the odds ratio (~ the rate ratio for small
    rates); lift = expit(mu_B) / expit(mu_A) - 1 from the arm means. interval: the (1 - alpha)
    interval of the ratio (95% by default). p_value: two-sided; confidence = 1 - p_value.
    winner: 'A' or 'B' when p_value < alpha and a decision is possible, else None.
    tau, tau_source, df: the between-video spread used, where it came from, and the t
    reference's degrees of freedom (None: normal). videos_needed: per arm, to detect a lift of
    max(min_lift, |observed|) with the given power. decisive_possible: False with one video per
    arm (the difference cannot be told apart from the two videos' own variation).
    reason: 'winner', 'one_video_per_arm', 'need_more_videos' (fewer than videos_needed in an
    arm) or 'no_difference' (both arms already that large and no winner: alike).
    """

    rate_a: float
    rate_b: float
    videos_a: int
    videos_b: int
    diff_logodds: float
    se: float
    ratio: float
    lift: float
    interval: tuple[float, float]
    p_value: float
    winner: Literal["A", "B"] | None
    tau: float
    tau_source: str
    df: int | None
    videos_needed: int
    decisive_possible: bool
    reason: str

    @property
    def confidence(self) -> float:
        return 1.0 - self.p_value

    def to_json(self) -> dict:
        return {"rate_a": _sig(self.rate_a), "rate_b": _sig(self.rate_b), "videos_a": self.videos_a,
                "videos_b": self.videos_b, "diff_logodds": round(self.diff_logodds, 4), "se": round(self.se, 4),
                "ratio": round(self.ratio, 4), "lift": round(self.lift, 4),
                "interval": [round(self.interval[0], 4), round(self.interval[1], 4)],
                "p_value": _sig(self.p_value), "confidence": round(self.confidence, 4), "winner": self.winner,
                "tau": round(self.tau, 4), "tau_source": self.tau_source, "df": self.df,
                "videos_needed": self.videos_needed, "decisive_possible": self.decisive_possible,
                "reason": self.reason}


def compare_arms(a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]], *, tau: float | None = None,
                 tau_source: str | None = None, default_tau: float = 0.35, alpha: float = ALPHA,
                 power: float = POWER, min_lift: float = MIN_LIFT,
                 prior_videos: float = PRIOR_VIDEOS) -> ArmComparison:
    """Compare arm B with arm A; `a` and `b` are (events, views) per video.

    tau: the account's between-video spread on the logit scale, from its history (e.g.
    `fit_typical(...).tau`); tau_source labels it ('history' when omitted). Without tau it is
    estimated from the arms when both have >= 2 videos (pooled within-arm variance of the
    logits minus their mean sampling variance, floor 0, shrunk toward default_tau with weight
    prior_videos), else default_tau. Raises ValueError when an arm has no video with views.
    """
    arm_a, arm_b = _arm(a, "A"), _arm(b, "B")
    fit = _fit(arm_a, arm_b, tau, tau_source, default_tau, prior_videos)
    p_value = _two_sided_p(fit.d / fit.se, fit.df)
    decisive = not (arm_a.k == 1 and arm_b.k == 1)
    winner = None
    if decisive and p_value < alpha:
        winner = "B" if fit.d > 0 else "A"
    # Plan for the observed difference, or min_lift when that is smaller; |d| in log odds so a
    # halving is planned like a doubling.
    plan_d = max(math.log1p(min_lift), abs(fit.d))
    needed = videos_needed(fit.tau, fit.mean_v, plan_d, alpha=alpha, power=power)
    if not decisive:
        reason = "one_video_per_arm"
    elif winner is not None:
        reason = "winner"
    elif min(arm_a.k, arm_b.k) < needed:
        reason = "need_more_videos"
    else:
        reason = "no_difference"
    return ArmComparison(rate_a=arm_a.pooled_rate, rate_b=arm_b.pooled_rate, videos_a=arm_a.k, videos_b=arm_b.k,
                         diff_logodds=fit.d, se=fit.se, ratio=math.exp(fit.d),
                         lift=expit(fit.mu_b) / expit(fit.mu_a) - 1, interval=_interval(fit, 1 - alpha),
                         p_value=p_value, winner=winner, tau=fit.tau, tau_source=fit.tau_source, df=fit.df,
                         videos_needed=needed, decisive_possible=decisive, reason=reason)


@dataclass(frozen=True)
class RateChange:
    """This period's videos against the previous periods' videos.

    ratio: exp(mu_after - mu_before), the odds ratio; interval: its `level` (90%) interval;
    verdict: 'up' / 'down' when the whole interval is above / below 1, else 'flat' (within
    normal variation between videos). lift: expit(mu_after) / expit(mu_before) - 1.
    """

    rate_before: float
    rate_after: float
    videos_before: int
    videos_after: int
    diff_logodds: float
    ratio: float
    lift: float
    interval: tuple[float, float]
    level: float
    p_value: float
    verdict: Verdict
    tau: float
    tau_source: str
    df: int | None

    def to_json(self) -> dict:
        return {"rate_before": _sig(self.rate_before), "rate_after": _sig(self.rate_after),
                "videos_before": self.videos_before, "videos_after": self.videos_after,
                "diff_logodds": round(self.diff_logodds, 4), "ratio": round(self.ratio, 4),
                "lift": round(self.lift, 4), "interval": [round(self.interval[0], 4), round(self.interval[1], 4)],
                "level": self.level, "p_value": _sig(self.p_value), "verdict": self.verdict,
                "tau": round(self.tau, 4), "tau_source": self.tau_source, "df": self.df}


def rate_change(before: Sequence[tuple[float, float]], after: Sequence[tuple[float, float]], *,
                tau: float | None = None, tau_source: str | None = None, default_tau: float = 0.35,
                level: float = 0.90, prior_videos: float = PRIOR_VIDEOS) -> RateChange:
    """Did a rate move between the previous weeks' videos (`before`) and this week's (`after`)?
    The compare_arms model with before as A and after as B; verdict from the `level` interval."""
    arm_a, arm_b = _arm(before, "before"), _arm(after, "after")
    fit = _fit(arm_a, arm_b, tau, tau_source, default_tau, prior_videos)
    lo, hi = _interval(fit, level)
    verdict: Verdict = "up" if lo > 1 else "down" if hi < 1 else "flat"
    return RateChange(rate_before=arm_a.pooled_rate, rate_after=arm_b.pooled_rate, videos_before=arm_a.k,
                      videos_after=arm_b.k, diff_logodds=fit.d, ratio=math.exp(fit.d),
                      lift=expit(fit.mu_b) / expit(fit.mu_a) - 1, interval=(lo, hi), level=level,
                      p_value=_two_sided_p(fit.d / fit.se, fit.df), verdict=verdict, tau=fit.tau,
                      tau_source=fit.tau_source, df=fit.df)


def _sig(value: float, digits: int = 4) -> float:
    if value == 0 or not math.isfinite(value):
        return float(value)
    return float(f"{value:.{digits}g}")
