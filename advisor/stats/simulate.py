"""Simulated 视频号 (WeChat Channels) accounts, to check the statistics against known truth.

Model (beta-binomial in spirit, logit-normal in practice):
  views_i ~ LogNormal(log(views_median), views_sigma)      (median ~8,000; ~800 to ~200,000)
  logit(p_i,metric) ~ N(logit(mean_metric), tau_metric^2)   (the account's between-video spread)
  events_i,metric ~ Binomial(views_i, p_i,metric)

Each video is a plain dict keyed like the export's canonical fields (advisor.metrics), so the
same dicts can feed the statistics and, later, the whole review. Deterministic given the seed
(numpy's Generator). The bottom layer: nothing from `advisor` is imported.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Mapping

# Rate metrics: name -> (export field holding the count or rate, typical account mean)
METRICS: dict[str, tuple[str, float]] = {
    "likes": ("likes", 0.03),
    "hearts": ("hearts", 0.009),
    "comments": ("comments", 0.004),
    "shares": ("shares", 0.005),
    "follows": ("follows", 0.003),
    "completion": ("completion_rate", 0.30),
}
DEFAULT_TAU = 0.35
DEFAULT_TAUS: dict[str, float] = {name: DEFAULT_TAU for name in METRICS}
DEFAULT_TAUS["hearts"] = 0.30  # hearts vary a little less than likes between one account's videos
VIEWS_MEDIAN = 8000.0
VIEWS_SIGMA = 1.2  # 2.5th-97.5th percentile ~ 760 to ~84,000; the top video of 100 ~130,000
START = dt.date(2026, 1, 5)

TITLES = ("三分钟学会家常菜", "周末去爬山 vlog", "新手剪辑教程", "猫咪的一天", "为什么你的视频没人看?",
          "干货:涨粉的 5 个方法", "今天的晚饭", "新手机开箱", "一个人的旅行", "读书笔记")


def _logit(p: float) -> float:
    return math.log(p) - math.log1p(-p)


def _expit(z):
    import numpy as np

    return 1.0 / (1.0 + np.exp(-z))


def counts(video: Mapping[str, Any], metric: str) -> tuple[float, int]:
    """(events, views) of one video for a metric; completion counts completed plays
    (completion_rate x views), the way a caller turns the exported rate into a count."""
    field, _ = METRICS[metric]
    views = int(video["views"])
    if metric == "completion":
        return round(float(video[field]) * views), views
    return int(video[field]), views


def arm_counts(videos, metric: str) -> list[tuple[float, int]]:
    return [counts(v, metric) for v in videos]


def _draw(rng, n_videos: int, *, means: Mapping[str, float] | None, taus: Mapping[str, float] | None,
          views_median: float, views_sigma: float, logit_shift: Mapping[str, float] | None = None):
    """Views and true per-video rates (metric -> array), before any count is drawn."""
    import numpy as np

    means = {**{m: v for m, (_, v) in METRICS.items()}, **(means or {})}
    taus = {**DEFAULT_TAUS, **(taus or {})}
    views = np.maximum(50, np.round(rng.lognormal(math.log(views_median), views_sigma, n_videos))).astype(np.int64)
    logits = {}
    for metric in METRICS:
        shift = (logit_shift or {}).get(metric, 0.0)
        logits[metric] = _logit(means[metric]) + shift + taus[metric] * rng.standard_normal(n_videos)
    return views, logits


def _videos(rng, views, logits, *, start: dt.date, id_prefix: str, every_days: float = 2.0) -> list[dict]:
    """Counts drawn from the true rates, and the other export fields around them."""
    import numpy as np

    n = len(views)
    drawn = {m: rng.binomial(views, _expit(logits[m])) for m in METRICS}
    duration = np.round(np.exp(rng.uniform(math.log(15), math.log(240), n)), 1)
    out = []
    day = 0.0
    for i in range(n):
        completion = float(drawn["completion"][i]) / float(views[i])
        # Viewers who do not finish still watch a part: a quarter to a half of the video.
        partial = float(rng.uniform(0.25, 0.5))
        avg_watch = float(duration[i]) * (completion + (1 - completion) * partial)
        out.append({
            "id": f"{id_prefix}{i + 1:03d}",
            "title": TITLES[i % len(TITLES)],
            "form": "short_video",
            "published_at": (start + dt.timedelta(days=int(day))).isoformat(),
            "views": int(views[i]),
            "likes": int(drawn["likes"][i]),
            "hearts": int(drawn["hearts"][i]),
            "comments": int(drawn["comments"][i]),
            "shares": int(drawn["shares"][i]),
            "follows": int(drawn["follows"][i]),
            "completion_rate": round(completion, 6),
            "avg_watch_s": round(avg_watch, 2),
            "duration_s": float(duration[i]),
        })
        day += float(rng.uniform(every_days - 1, every_days + 1))  # about one video every two days
    return out


def quiet_series(n_videos: int, seed: int, *, means: Mapping[str, float] | None = None,
                 taus: Mapping[str, float] | None = None, views_median: float = VIEWS_MEDIAN,
                 views_sigma: float = VIEWS_SIGMA, start: dt.date = START, id_prefix: str = "v") -> list[dict]:
    """An account with nothing unusual: every video's true rates from the one distribution.

    means: metric -> the account's typical rate (defaults in METRICS); taus: metric -> the
    between-video spread on the logit scale (defaults DEFAULT_TAUS, 0.30-0.35).
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    views, logits = _draw(rng, n_videos, means=means, taus=taus, views_median=views_median, views_sigma=views_sigma)
    return _videos(rng, views, logits, start=start, id_prefix=id_prefix)


def with_outliers(n_videos: int, seed: int, n_outliers: int, *, factor: float = 4.0,
                  metrics: tuple[str, ...] | None = None, directions: tuple[str, ...] = ("high", "low"),
                  min_expected: float = 0.0, means: Mapping[str, float] | None = None,
                  taus: Mapping[str, float] | None = None, views_median: float = VIEWS_MEDIAN,
                  views_sigma: float = VIEWS_SIGMA, start: dt.date = START,
                  id_prefix: str = "v") -> tuple[list[dict], list[tuple[str, str, str]]]:
    """A quiet series with `n_outliers` planted clear outliers, and which they are.

    Each outlier is a different video with at least the series' median views; one metric (drawn
    from `metrics`, default all of METRICS) gets the true rate of the account's typical video
    times `factor` ('high') or divided by it ('low', direction drawn from `directions`), on the
    odds scale (the same as the rate for small rates; keeps a completion rate below 1).
    min_expected: the planted video must also have views x the metric's typical rate >= this
    many expected events ("well viewed" for that metric: a 0.3% follow rate needs far more
    views than a 30% completion rate to show a fourfold drop). Returns (videos, [(id, metric,
    'high' | 'low'), ...]).
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    views, logits = _draw(rng, n_videos, means=means, taus=taus, views_median=views_median, views_sigma=views_sigma)
    means_all = {**{m: v for m, (_, v) in METRICS.items()}, **(means or {})}
    pool = tuple(metrics or METRICS)
    taken: set[int] = set()
    median = np.median(views)
    planted = []
    for _ in range(n_outliers):
        direction = directions[int(rng.integers(len(directions)))]
        # The view floor depends on the metric: draw among the metrics some free video can carry.
        options = {}
        for metric in pool:
            ok = (views >= median) & (views * means_all[metric] >= min_expected)
            free = [int(i) for i in np.flatnonzero(ok) if int(i) not in taken]
            if free:
                options[metric] = free
        if not options:
            raise ValueError(f"no unplanted video has at least the median views and {min_expected} expected "
                             "events of any metric; use more videos or a lower min_expected")
        metric = sorted(options)[int(rng.integers(len(options)))]
        idx = options[metric][int(rng.integers(len(options[metric])))]
        taken.add(idx)
        shift = math.log(factor) if direction == "high" else -math.log(factor)
        logits[metric][idx] = _logit(means_all[metric]) + shift
        planted.append((f"{id_prefix}{idx + 1:03d}", metric, direction))
    return _videos(rng, views, logits, start=start, id_prefix=id_prefix), planted


def ab_arms(k_per_arm: int, seed: int, lift: float = 1.0, metric: str = "hearts", *,
            means: Mapping[str, float] | None = None, taus: Mapping[str, float] | None = None,
            views_median: float = VIEWS_MEDIAN, views_sigma: float = VIEWS_SIGMA) -> tuple[list[dict], list[dict]]:
    """Two arms of `k_per_arm` videos each from the same account; arm B's true odds of `metric`
    are multiplied by `lift` (1.0: an A/A test, both arms from one distribution). Returns
    (videos_a, videos_b); `arm_counts(videos, metric)` gives the (x, n) pairs."""
    import numpy as np

    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; one of {sorted(METRICS)}")
    rng = np.random.default_rng(seed)
    views_a, logits_a = _draw(rng, k_per_arm, means=means, taus=taus, views_median=views_median,
                              views_sigma=views_sigma)
    views_b, logits_b = _draw(rng, k_per_arm, means=means, taus=taus, views_median=views_median,
                              views_sigma=views_sigma, logit_shift={metric: math.log(lift)})
    return (_videos(rng, views_a, logits_a, start=START, id_prefix="a"),
            _videos(rng, views_b, logits_b, start=START, id_prefix="b"))
