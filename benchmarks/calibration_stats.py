"""Calibration of advisor.stats on simulated 视频号 accounts (advisor.stats.simulate).

    python benchmarks/calibration_stats.py                 # defaults: --seed 0 --reps 200
    python benchmarks/calibration_stats.py --reps 1000

Prints: the share of videos of a quiet account flagged high/low (per metric and any metric),
the recall of planted x4 / /4 outliers, the A/A winner rate with 3 videos per arm, the power
at a 2x heart lift with 6 videos per arm, and the A/A winner rate of the OLD per-view test
(advisor.stats.proportions.compare_rates) for contrast. Figures are printed, never asserted;
the asserted goals live in tests/test_stats_*.py.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from advisor.stats.experiment import compare_arms  # noqa: E402
from advisor.stats.proportions import compare_rates  # noqa: E402
from advisor.stats.simulate import METRICS, ab_arms, arm_counts, counts, quiet_series, with_outliers  # noqa: E402
from advisor.stats.typical import assess, assess_batch, fit_typical  # noqa: E402


def review(videos):
    keys, gaps = [], []
    for metric in METRICS:
        obs = [counts(v, metric) for v in videos]
        typical = fit_typical(obs)
        for video, (x, n) in zip(videos, obs):
            keys.append((video["id"], metric))
            gaps.append(assess(x, n, typical))
    return dict(zip(keys, assess_batch(gaps)))


def pct(num: int, den: int) -> str:
    return f"{100 * num / den:5.1f}%  ({num}/{den})" if den else "  n/a"


def quiet(args) -> None:
    per = dict.fromkeys(METRICS, 0)
    any_flag = total = 0
    for rep in range(args.reps):
        videos = quiet_series(args.videos, seed=args.seed + rep)
        gaps = review(videos)
        for (_, metric), gap in gaps.items():
            per[metric] += gap.direction is not None
        any_flag += len({vid for (vid, _), g in gaps.items() if g.direction})
        total += len(videos)
    print(f"quiet account, {args.videos} videos x {len(METRICS)} metrics, {args.reps} accounts (goal any <= 10%)")
    for metric, count in per.items():
        print(f"  flagged {metric:11} {pct(count, total)}")
    print(f"  flagged any metric  {pct(any_flag, total)}")


def outliers(args) -> None:
    print(f"planted x4 / /4 outliers, 3 per account of {args.videos} videos (goal recall >= 95%)")
    for label, kwargs in (("high, >= median views", dict(directions=("high",))),
                          ("low, >= median views", dict(directions=("low",))),
                          ("low, >= 200 expected events", dict(directions=("low",), min_expected=200))):
        hits = planted = 0
        by_metric: dict[str, list[int]] = {}
        for rep in range(args.reps):
            n_videos = max(args.videos, 60) if "min_expected" in kwargs else args.videos
            videos, plants = with_outliers(n_videos, seed=10_000 + args.seed + rep, n_outliers=3, **kwargs)
            gaps = review(videos)
            for vid, metric, direction in plants:
                hit = gaps[(vid, metric)].direction == direction
                hits += hit
                planted += 1
                by_metric.setdefault(metric, [0, 0])
                by_metric[metric][0] += hit
                by_metric[metric][1] += 1
        detail = "  ".join(f"{m} {100 * h / n:.0f}%" for m, (h, n) in sorted(by_metric.items()))
        print(f"  recall {label:28} {pct(hits, planted)}   {detail}")


def ab(args) -> None:
    history = fit_typical([counts(v, "hearts") for v in quiet_series(40, seed=args.seed + 99)]).tau
    reps = args.reps * 3
    print(f"A/B on hearts, video as the unit, {reps} experiments (tau from history = {history:.3f}; true 0.30)")
    for label, k, lift, kwargs in (("A/A 3 per arm, tau history", 3, 1.0, dict(tau=history)),
                                   ("A/A 3 per arm, tau default", 3, 1.0, dict(tau_source="default")),
                                   ("A/A 3 per arm, tau arms", 3, 1.0, {}),
                                   ("2x lift 6 per arm, tau history", 6, 2.0, dict(tau=history)),
                                   ("2x lift 6 per arm, tau arms", 6, 2.0, {}),
                                   ("1.3x lift 1 per arm, tau history", 1, 1.3, dict(tau=history))):
        winners = 0
        for rep in range(reps):
            a, b = ab_arms(k, seed=args.seed + rep, lift=lift)
            winners += compare_arms(arm_counts(a, "hearts"), arm_counts(b, "hearts"), **kwargs).winner is not None
        print(f"  winner rate {label:34} {pct(winners, reps)}")
    winners = 0
    for rep in range(reps):
        a, b = ab_arms(3, seed=args.seed + rep, lift=1.0)
        xa, na = map(sum, zip(*arm_counts(a, "hearts")))
        xb, nb = map(sum, zip(*arm_counts(b, "hearts")))
        winners += compare_rates(xa, na, xb, nb).winner is not None
    print(f"  winner rate {'A/A 3 per arm, OLD per-view z-test':34} {pct(winners, reps)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reps", type=int, default=200, help="accounts per figure (A/B: 3x as many experiments)")
    parser.add_argument("--videos", type=int, default=30, help="videos per simulated account")
    args = parser.parse_args()
    start = time.perf_counter()
    quiet(args)
    outliers(args)
    ab(args)
    print(f"({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
