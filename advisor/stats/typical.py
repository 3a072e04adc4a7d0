"""An account's typical range for a rate, and whether one video is credibly outside it.

Every rate here is events per trial for one video: hearts per view, likes per view, completed
plays per view (completion rate x views), and so on. Two sources of variation are kept apart:

* between videos: even a perfectly steady account has videos whose true rates differ. On the
  logit scale the account is modelled as logit(p_video) ~ N(mu, tau^2); `tau` is that spread.
* within a video: its observed x of n is a binomial draw from its true rate; a video with 300
  views says little about its true rate, one with 200,000 views says a lot.

`fit_typical` estimates (mu, tau) robustly from the account's videos; `assess` asks, for one
video, how probable it is that its TRUE rate lies beyond the typical range (plus a margin),
given its own views; `assess_batch` then controls the false discovery rate over many such
questions (Benjamini-Hochberg), because a review asks them for every video and metric at once.
`assess_many` is `assess` over arrays (a review asks it for every video at once), `tails_many`
its two tail probabilities alone, and `bh_cutoff` the Benjamini-Hochberg decision as one
number, so a batch too large to hold can be judged chunk by chunk against it.

The bottom layer of the package: nothing from `advisor` is imported but advisor.stats.special
(scipy.special's kernels, loaded without its package start-up). numpy / scipy are imported
inside the functions that need them so that importing this module stays cheap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Iterable, Literal, Sequence

from advisor.stats import betafn
from advisor.stats.special import kernels

Direction = Literal["high", "low"]
Array = Any  # a numpy.ndarray; numpy is imported only inside the functions that use it

MAD_TO_SD = 1.4826  # MAD x this = standard deviation, for a normal distribution
BETA_CONCENTRATION_MAX = 1e6  # a + b cap of the prior: a tiny tau must not make it degenerate
BETA_CONCENTRATION_MIN = 0.5  # a + b floor: keeps a very wide prior proper and its tails sane


def expit(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def logit(p: float) -> float:
    return math.log(p) - math.log1p(-p)


def empirical_logit(x: float, n: float) -> tuple[float, float]:
    """(log((x + 0.5) / (n - x + 0.5)), 1/(x + 0.5) + 1/(n - x + 0.5)): the video's log-odds
    with the Haldane-Anscombe correction (finite at x = 0 and x = n) and its sampling variance."""
    return math.log((x + 0.5) / (n - x + 0.5)), 1.0 / (x + 0.5) + 1.0 / (n - x + 0.5)


def usable(obs: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """The (x, n) pairs that carry information: finite, n > 0; x clipped into [0, n] (a
    completion count rebuilt from a rounded rate can overshoot by a fraction)."""
    out = []
    for x, n in obs:
        try:
            x, n = float(x), float(n)
        except (TypeError, ValueError):
            continue
        if not (math.isfinite(x) and math.isfinite(n)) or n <= 0:
            continue
        out.append((min(max(x, 0.0), n), n))
    return out


def _empirical_logits(xs, ns):
    """empirical_logit over the usable pairs of two sequences, as `usable` would keep them, as
    two numpy arrays (no Python float per video: a million videos stay a few arrays).

    numpy does the clipping and the arithmetic (IEEE division and addition: the same doubles as
    Python's); the logarithm stays math.log, whose last bit numpy's does not always match, so the
    fit is exactly the pairwise one."""
    import numpy as np

    # Copies of our own, worked on in place: a million videos' fit holds four arrays at a
    # time, not a dozen (the same operations in the same order: the same doubles).
    x = np.array(xs, dtype=float)
    n = np.array(ns, dtype=float)
    keep = np.isfinite(x) & np.isfinite(n) & (n > 0)
    if not keep.all():
        x, n = x[keep], n[keep]
    del keep
    np.maximum(x, 0.0, out=x)
    np.minimum(x, n, out=x)
    b = np.subtract(n, x, out=n)  # n - x + 0.5
    b += 0.5
    a = x
    a += 0.5  # x + 0.5
    ratio = a / b
    logits = np.fromiter(map(math.log, ratio), dtype=float, count=len(ratio))
    del ratio
    np.divide(1.0, a, out=a)
    np.divide(1.0, b, out=b)
    a += b  # 1 / a + 1 / b
    return logits, a


def _median_array(values) -> float:
    """_median of a numpy array: the same middle value(s), the same (a + b) / 2."""
    import numpy as np

    s = np.sort(values)
    k = len(s)
    mid = k // 2
    return float(s[mid]) if k % 2 else (float(s[mid - 1]) + float(s[mid])) / 2


def _median(values: Sequence[float]) -> float:
    s = sorted(values)
    k = len(s)
    mid = k // 2
    return s[mid] if k % 2 else (s[mid - 1] + s[mid]) / 2


def _round_sig(value: float, digits: int = 4) -> float:
    if value == 0 or not math.isfinite(value):
        return float(value)
    return float(f"{value:.{digits}g}")


@dataclass(frozen=True)
class Typical:
    """An account's typical range for one rate.

    mu, tau: the between-video distribution logit(p) ~ N(mu, tau^2) (after shrinkage).
    center: expit(mu), the typical (median) video's rate.
    low, high: the `band` quantiles of that distribution as rates (default: the 10th and 90th
    percentile video); the typical range is [low, high].
    n_videos: how many usable videos the estimate rests on; weight: the share of mu that comes
    from them (the rest from the prior), k / (k + prior_videos).
    """

    mu: float
    tau: float
    center: float
    low: float
    high: float
    band: tuple[float, float]
    n_videos: int
    weight: float

    def to_json(self) -> dict:
        return {"mu": round(self.mu, 4), "tau": round(self.tau, 4), "center": _round_sig(self.center),
                "low": _round_sig(self.low), "high": _round_sig(self.high),
                "band": [float(self.band[0]), float(self.band[1])], "n_videos": self.n_videos,
                "weight": round(self.weight, 4)}


# scipy.special.ndtri at the usual band edges, exactly (tests/test_stats_betafn.py compares): the
# typical ranges of the default band need no scipy. Any other quantile asks scipy.
_NDTRI = {0.01: -2.3263478740408408, 0.025: -1.9599639845400545, 0.05: -1.6448536269514729,
          0.1: -1.2815515655446004, 0.2: -0.8416212335729142, 0.25: -0.6744897501960817,
          0.75: 0.6744897501960817, 0.8: 0.8416212335729143, 0.9: 1.2815515655446004,
          0.95: 1.6448536269514722, 0.975: 1.959963984540054, 0.99: 2.3263478740408408}


def ndtri(q: float) -> float:
    """The standard normal quantile, scipy.special.ndtri's float."""
    known = _NDTRI.get(q)
    return known if known is not None else float(kernels().ndtri(q))


def typical_from(mu: float, tau: float, *, band: tuple[float, float] = (0.10, 0.90), n_videos: int = 0,
                 weight: float = 0.0) -> Typical:
    """A Typical from known (mu, tau): band edges are N(mu, tau^2) quantiles through expit."""
    lo_q, hi_q = band
    if not 0 < lo_q < hi_q < 1:
        raise ValueError(f"band must satisfy 0 < low < high < 1, got {band}")
    return Typical(mu=float(mu), tau=float(tau), center=expit(mu), low=expit(mu + float(ndtri(lo_q)) * tau),
                   high=expit(mu + float(ndtri(hi_q)) * tau), band=(float(lo_q), float(hi_q)),
                   n_videos=int(n_videos), weight=float(weight))


def fit_typical(obs: Iterable[tuple[float, float]] = (), *, prior: tuple[float, float | None] | None = None,
                band: tuple[float, float] = (0.10, 0.90), prior_videos: float = 10.0,
                default_tau: float = 0.35, counts: tuple | None = None) -> Typical | None:
    """The account's typical range for a rate, from its videos' (events, trials) pairs.

    Estimator (all on the logit scale):
      * per video, the empirical logit l_i = log((x+0.5)/(n-x+0.5)) and its sampling variance
        v_i = 1/(x+0.5) + 1/(n-x+0.5);
      * mu_hat = median(l_i);
      * tau_hat^2 = max(0, (1.4826 * MAD(l))^2 - median(v_i)): the robust spread of the
        observed logits minus the part binomial noise explains. Median and MAD ignore a few
        planted outliers, so one wild video does not widen a quiet account's range.
    Shrinkage (smooth in k, the number of usable videos; no hard switch):
      * w = k / (k + prior_videos);
      * mu = w * mu_hat + (1 - w) * logit(prior center) when `prior` = (center_rate, tau0) is
        given (tau0 None -> default_tau), else mu = mu_hat;
      * tau^2 = (k * tau_hat^2 + prior_videos * tau0^2) / (k + prior_videos), tau0 = default_tau
        without a prior: a spread is always shrunk toward a stated default, so three videos that
        happen to agree cannot claim the account never varies.
    k = 0 with a prior gives the prior itself; k = 0 without one gives None.

    obs: (x, n) pairs, or a pair of sequences (xs, ns) given as `counts=` instead (the arrays a
    Baseline keeps), read with numpy: the same estimate, thousands of videos at a time.
    """
    if counts is not None and not len(counts[0]):
        counts = None  # no videos (the same estimate as from no pairs; numpy not needed)
    if counts is not None:
        logits, variances = _empirical_logits(*counts)
    else:
        data = usable(obs)
        logits, variances = ([], []) if not data else map(list, zip(*(empirical_logit(x, n) for x, n in data)))
    k = len(logits)
    if prior is not None:
        center0, tau0 = prior
        if not 0 < center0 < 1:
            raise ValueError(f"prior center must be a rate strictly between 0 and 1, got {center0}")
        tau0 = default_tau if tau0 is None else float(tau0)
    else:
        center0, tau0 = None, float(default_tau)
    if k == 0:
        if center0 is None:
            return None
        return typical_from(logit(center0), tau0, band=band, n_videos=0, weight=0.0)
    if counts is not None:  # numpy arrays: sorted by numpy, the same middle values and arithmetic
        mu_hat = _median_array(logits)
        mad = _median_array(abs(logits - mu_hat))
        var_median = _median_array(variances)
    else:
        mu_hat = _median(logits)
        mad = _median([abs(v - mu_hat) for v in logits])
        var_median = _median(variances)
    tau2_hat = max(0.0, (MAD_TO_SD * mad) ** 2 - var_median)
    w = k / (k + prior_videos)
    mu = w * mu_hat + (1 - w) * logit(center0) if center0 is not None else mu_hat
    tau2 = (k * tau2_hat + prior_videos * tau0 ** 2) / (k + prior_videos)
    return typical_from(mu, math.sqrt(tau2), band=band, n_videos=k, weight=w if center0 is not None else 1.0)


@lru_cache(maxsize=256)
def beta_prior(mu: float, tau: float) -> tuple[float, float]:
    """Beta(a, b) with the mean and variance of expit(N(mu, tau^2)) (Gauss-Hermite moments).

    a + b is clipped into [BETA_CONCENTRATION_MIN, BETA_CONCENTRATION_MAX]: the cap keeps the
    prior proper when tau is ~0, the floor keeps a very wide prior from piling mass at 0 and 1.
    """
    import numpy as np

    nodes, weights = np.polynomial.hermite_e.hermegauss(48)
    weights = weights / weights.sum()
    p = 1.0 / (1.0 + np.exp(-(mu + tau * nodes)))
    mean = float(np.dot(weights, p))
    # The centred sum: E[p^2] - mean^2 would cancel to noise when tau is tiny.
    var = float(np.dot(weights, (p - mean) ** 2))
    size = mean * (1 - mean) / var - 1 if var > 0 else BETA_CONCENTRATION_MAX
    size = min(max(size, BETA_CONCENTRATION_MIN), BETA_CONCENTRATION_MAX)
    return mean * size, (1 - mean) * size


@lru_cache(maxsize=256)
def beta_prior_small(mu: float, tau: float) -> tuple[float, float]:
    """`beta_prior` in pure Python (advisor.stats.betafn), for `assess(..., small=True)`."""
    return betafn.beta_prior(mu, tau, betafn.GH_NODES, betafn.GH_WEIGHTS, BETA_CONCENTRATION_MIN,
                             BETA_CONCENTRATION_MAX)


@dataclass(frozen=True)
class Gap:
    """One video's rate against its account's typical range.

    rate: x / n as observed. p_high / p_low: posterior probabilities that the TRUE rate is above
    hi_edge / below lo_edge. direction: 'high' or 'low' when that probability reaches the
    certainty asked for (and, after `assess_batch`, survives the false-discovery control),
    else None. certainty: the flagged side's probability, else the larger of the two.
    effect: logit(posterior median) - mu, signed (how far, in log-odds, the video most likely
    sits from the typical video); ratio: rate / center. interval: the 90% posterior credible
    interval of the true rate. raw_direction: the direction before false-discovery control;
    fdr_kept: False only when `assess_batch` cleared a direction this video had.
    """

    rate: float
    direction: Direction | None
    certainty: float
    p_high: float
    p_low: float
    effect: float
    ratio: float
    interval: tuple[float, float]
    hi_edge: float
    lo_edge: float
    x: float
    n: float
    raw_direction: Direction | None = None
    fdr_kept: bool = True

    @property
    def p_value_high(self) -> float:
        """1 - p_high: the 'p-value' of the claim 'high' that the false-discovery control uses."""
        return 1.0 - self.p_high

    @property
    def p_value_low(self) -> float:
        return 1.0 - self.p_low

    def to_json(self) -> dict:
        return {"rate": _round_sig(self.rate, 5), "direction": self.direction, "certainty": round(self.certainty, 4),
                "p_high": round(self.p_high, 4), "p_low": round(self.p_low, 4), "effect": round(self.effect, 4),
                "ratio": round(self.ratio, 4), "interval": [_round_sig(self.interval[0]), _round_sig(self.interval[1])],
                "hi_edge": _round_sig(self.hi_edge), "lo_edge": _round_sig(self.lo_edge), "x": self.x, "n": self.n,
                "raw_direction": self.raw_direction, "fdr_kept": self.fdr_kept}


def flag_edges(typical: Typical, *, margin: float = 0.25, min_relative: float = 0.10) -> tuple[float, float]:
    """(lo_edge, hi_edge): the typical range widened by `margin` on the logit scale.

    Also at least `min_relative` (10%) away from the center in relative terms: an account whose
    videos barely vary has a razor-thin range, and a 200,000-view video would otherwise be
    'credibly high' for being 3% above it, a difference nobody should act on.
    """
    hi = expit(logit(typical.high) + margin)
    lo = expit(logit(typical.low) - margin)
    hi = max(hi, min(typical.center * (1 + min_relative), (1 + typical.center) / 2))
    lo = min(lo, typical.center * (1 - min_relative))
    return lo, hi


def assess(x: float, n: float, typical: Typical, *, margin: float = 0.25, certainty: float = 0.90,
           min_relative: float = 0.10, small: bool = False) -> Gap:
    """Is this video's true rate credibly outside its account's typical range?

    The video's true rate gets an empirical-Bayes prior: the account's N(mu, tau^2) on the
    logit scale approximated by a moment-matched Beta(a, b) (`beta_prior`), so the posterior is
    Beta(a + x, b + n - x). A video with few views is pulled toward the account's center; one
    with many views speaks for itself. It is flagged 'high' when P(rate > hi_edge | data) >=
    `certainty`, 'low' when P(rate < lo_edge | data) >= `certainty` (edges: `flag_edges`).

    small: compute the beta functions in pure Python (advisor.stats.betafn, agreeing with
    scipy.special to ~1e-11, not bit for bit), without importing numpy and scipy. A whole review
    chooses it or not (advisor.model.levels.judge), so one report never mixes the two.
    """
    if small:
        betainc, betaincinv, prior = betafn.betainc, betafn.betaincinv, beta_prior_small
    else:
        k = kernels()
        betainc, betaincinv, prior = k.betainc, k.betaincinv, beta_prior
    if not (math.isfinite(x) and math.isfinite(n)) or n <= 0 or x < 0:
        raise ValueError(f"need finite 0 <= x and n > 0, got x={x}, n={n}")
    if x > n:
        # A completion count rebuilt from a rounded rate may exceed the views by a fraction.
        if x > n * 1.001 + 1:
            raise ValueError(f"need x <= n, got x={x}, n={n}")
        x = n
    a0, b0 = prior(round(typical.mu, 12), round(typical.tau, 12))
    a, b = a0 + x, b0 + n - x
    lo_edge, hi_edge = flag_edges(typical, margin=margin, min_relative=min_relative)
    try:
        # Each tail from its own regularised incomplete beta: 1 - cdf would lose the small tails.
        p_high = float(betainc(b, a, 1.0 - hi_edge))
        p_low = float(betainc(a, b, lo_edge))
        median = float(betaincinv(a, b, 0.5))
        interval = (float(betaincinv(a, b, 0.05)), float(betaincinv(a, b, 0.95)))
    except ArithmeticError:  # pure Python out of its depth (a quantile near underflow): scipy's
        if not small:
            raise
        return assess(x, n, typical, margin=margin, certainty=certainty, min_relative=min_relative)
    direction: Direction | None = None
    if p_high >= certainty:
        direction, sure = "high", p_high
    elif p_low >= certainty:
        direction, sure = "low", p_low
    else:
        sure = max(p_high, p_low)
    return Gap(rate=x / n, direction=direction, certainty=sure, p_high=p_high, p_low=p_low,
               effect=logit(median) - typical.mu, ratio=(x / n) / typical.center, interval=interval,
               hi_edge=hi_edge, lo_edge=lo_edge, x=x, n=n, raw_direction=direction, fdr_kept=True)


def _posterior(x, n, typical: Typical):
    """1-D arrays (x, n, a, b): the counts as `assess` reads them (x clipped to n; x and n
    broadcast against each other, then flattened) and the posterior Beta(a, b) of each video's
    true rate. Raises ValueError where `assess` would."""
    import numpy as np

    x, n = (v.ravel() for v in np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(n, dtype=float)))
    bad = ~(np.isfinite(x) & np.isfinite(n)) | (n <= 0) | (x < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"need finite 0 <= x and n > 0, got x={x[i]}, n={n[i]}")
    over = x > n
    if over.any():
        too_far = over & (x > n * 1.001 + 1)
        if too_far.any():
            i = int(np.flatnonzero(too_far)[0])
            raise ValueError(f"need x <= n, got x={x[i]}, n={n[i]}")
        x = np.where(over, n, x)
    a0, b0 = beta_prior(round(typical.mu, 12), round(typical.tau, 12))
    # Element by element the same IEEE operations, in the same order, as assess's scalars.
    return x, n, a0 + x, b0 + n - x


def tails_many(x, n, typical: Typical, *, margin: float = 0.25, min_relative: float = 0.10):
    """(p_high, p_low) arrays: `assess`'s two tail probabilities for arrays of counts, the same
    floats element by element (what false-discovery control needs, without the quantiles)."""
    betainc = kernels().betainc
    _, _, a, b = _posterior(x, n, typical)
    lo_edge, hi_edge = flag_edges(typical, margin=margin, min_relative=min_relative)
    return betainc(b, a, 1.0 - hi_edge), betainc(a, b, lo_edge)


@dataclass(frozen=True)
class Gaps:
    """`assess` over arrays of counts: element i of each array is that field of
    assess(x[i], n[i], ...). The edges are the same for all. `gap(i)` / `gaps()` give the Gap
    objects themselves."""

    x: Array
    n: Array
    rate: Array
    p_high: Array
    p_low: Array
    median: Array
    lo: Array  # the 90% credible interval
    hi: Array
    effect: Array
    ratio: Array
    direction: Array  # dtype object: 'high', 'low' or None
    certainty: Array
    lo_edge: float
    hi_edge: float

    def __len__(self) -> int:
        return len(self.x)

    def gap(self, i: int) -> Gap:
        direction = self.direction[i]
        return Gap(float(self.rate[i]), direction, float(self.certainty[i]), float(self.p_high[i]),
                   float(self.p_low[i]), float(self.effect[i]), float(self.ratio[i]),
                   (float(self.lo[i]), float(self.hi[i])), self.hi_edge, self.lo_edge, float(self.x[i]),
                   float(self.n[i]), direction, True)

    def gaps(self) -> list[Gap]:
        hi_edge, lo_edge = self.hi_edge, self.lo_edge
        # Positional and from .tolist(): building tens of thousands of Gaps is the costly part.
        return [Gap(rate, d, sure, ph, pl, effect, ratio, (lo, hi), hi_edge, lo_edge, x, n, d, True)
                for rate, d, sure, ph, pl, effect, ratio, lo, hi, x, n in zip(
                    self.rate.tolist(), self.direction.tolist(), self.certainty.tolist(), self.p_high.tolist(),
                    self.p_low.tolist(), self.effect.tolist(), self.ratio.tolist(), self.lo.tolist(),
                    self.hi.tolist(), self.x.tolist(), self.n.tolist())]


def assess_many(x, n, typical: Typical, *, margin: float = 0.25, certainty: float = 0.90,
                min_relative: float = 0.10) -> Gaps:
    """`assess` for arrays of counts (one typical range; x and n 1-D, or broadcast and flattened):
    the same floats, element by element.

    The scipy.special ufuncs on arrays run the same scalar kernels as on single numbers, and
    the arithmetic around them is the same IEEE operations in the same order. The logit of the
    posterior median is taken with `math`, as `assess` takes it: numpy's vectorised log may
    differ from the C library's in the last bit. Raises ValueError if any element is one
    `assess` would refuse.
    """
    import numpy as np

    k = kernels()
    betainc, betaincinv = k.betainc, k.betaincinv
    x, n, a, b = _posterior(x, n, typical)
    lo_edge, hi_edge = flag_edges(typical, margin=margin, min_relative=min_relative)
    p_high = betainc(b, a, 1.0 - hi_edge)
    p_low = betainc(a, b, lo_edge)
    median = betaincinv(a, b, 0.5)
    lo, hi = betaincinv(a, b, 0.05), betaincinv(a, b, 0.95)
    high = p_high >= certainty
    low = ~high & (p_low >= certainty)
    direction = np.full(x.shape, None, dtype=object)
    direction[high] = "high"
    direction[low] = "low"
    # max(p_high, p_low) as Python takes it: the first unless the second is larger.
    sure = np.where(high, p_high, np.where(low, p_low, np.where(p_low > p_high, p_low, p_high)))
    mu = typical.mu
    effect = np.array([logit(m) - mu for m in median.tolist()], dtype=float)
    rate = x / n
    return Gaps(x=x, n=n, rate=rate, p_high=p_high, p_low=p_low, median=median, lo=lo, hi=hi, effect=effect,
                ratio=rate / typical.center, direction=direction, certainty=sure, lo_edge=lo_edge, hi_edge=hi_edge)


def bh_cutoff(pvalues, q: float = 0.10, *, total: int | None = None) -> float | None:
    """The largest p-value that Benjamini-Hochberg at `q` calls a discovery; None when none is.

    Every p-value <= the cutoff is a discovery and no other: the largest rank i with
    p_(i) <= i q / m takes along every p-value tied with p_(i), since a tie at rank j > i has
    p_(j) = p_(i) <= i q / m < j q / m. So the decision over a batch is this one number, and
    chunks of the batch can be judged against it one at a time. NaN p-values are never
    discoveries and do not count toward m.

    total: `pvalues` are only the batch's p-values <= q (`bh_candidates`), and the batch has
    `total` p-values that are not NaN (m). A p-value above q is never a discovery (it would need
    a rank i > m), and dropping it changes no rank below it: the same cutoff, the same float,
    from the few candidates instead of every video x metric of a large batch.
    """
    if not 0 < q < 1:
        raise ValueError(f"q must be between 0 and 1, got {q}")
    if isinstance(pvalues, list) and total is None:  # the same comparisons on Python floats, no numpy
        ps = sorted(v for v in map(float, pvalues) if v == v)  # NaN != NaN: dropped
        m = len(ps)
        last = None
        for rank, v in enumerate(ps, 1):
            if v <= float(rank) * q / m:
                last = v
        return last
    import numpy as np

    p = np.asarray(pvalues, dtype=float).ravel()
    p = np.sort(p[~np.isnan(p)])
    if total is not None:
        if p.size and p[-1] > q:
            raise ValueError("bh_cutoff(total=...) takes only the p-values <= q")
        m = int(total)
        if m < p.size:
            raise ValueError(f"total ({m}) is fewer than the p-values given ({p.size})")
        if p.size == 0:
            return None
        passing = np.flatnonzero(p <= np.arange(1, p.size + 1, dtype=float) * q / m)
        return float(p[passing[-1]]) if passing.size else None
    m = p.size
    if m == 0:
        return None
    # rank * q / m in this order, as the scalar definition computes it: the same floats.
    passing = np.flatnonzero(p <= np.arange(1, m + 1, dtype=float) * q / m)
    return float(p[passing[-1]]) if passing.size else None


def bh_candidates(pvalues, q: float = 0.10):
    """(the p-values <= q, how many are not NaN): what `bh_cutoff(..., total=)` needs of a
    group of p-values, a few of them instead of all."""
    import numpy as np

    p = np.asarray(pvalues, dtype=float).ravel()
    with np.errstate(invalid="ignore"):
        return p[p <= q], int(p.size - np.count_nonzero(np.isnan(p)))


def benjamini_hochberg(pvalues: Sequence[float], q: float = 0.10) -> list[bool]:
    """Which hypotheses are discoveries at false discovery rate `q` (Benjamini-Hochberg 1995).

    Sort the m p-values; find the largest rank i with p_(i) <= i q / m; the i smallest are
    discoveries (those <= `bh_cutoff`). Equivalent to scipy.stats.false_discovery_control(p) <= q,
    without importing scipy.stats (about a second of start-up). Valid under independence or
    positive dependence; NaN p-values are never discoveries and do not count toward m.
    """
    cutoff = bh_cutoff(pvalues, q)
    values = pvalues.tolist() if hasattr(pvalues, "tolist") else pvalues
    if cutoff is None:
        return [False] * len(values)
    return [bool(p <= cutoff) for p in values]  # NaN <= cutoff is False


def assess_batch(gaps: Sequence[Gap], *, q: float = 0.10) -> list[Gap]:
    """The same gaps with false-discovery control over all of them together.

    Each gap is two tests (its 'high' and its 'low' side, p-value 1 - p_high and 1 - p_low);
    Benjamini-Hochberg at `q` runs over all 2 * len(gaps) of them. A gap whose flagged side is
    not a discovery loses its direction (raw_direction and certainty keep what it had) and gets
    fdr_kept = False. Pass every (video, metric) gap of one review in a single call: the control
    is over the questions asked together.
    """
    pvalues = []
    for g in gaps:
        pvalues.extend((g.p_value_high, g.p_value_low))
    keep = benjamini_hochberg(pvalues, q)
    out = []
    for i, g in enumerate(gaps):
        if g.raw_direction is None:
            out.append(replace(g, direction=None, fdr_kept=True))
            continue
        kept = keep[2 * i] if g.raw_direction == "high" else keep[2 * i + 1]
        out.append(replace(g, direction=g.raw_direction if kept else None, fdr_kept=kept))
    return out
