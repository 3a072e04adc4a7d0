"""Calibration of the whole review (shipped rules, typical-range levels) on simulated accounts.

    python benchmarks/calibration.py                      # defaults: --accounts 100 --videos 30
    python benchmarks/calibration.py --accounts 300 --seed 7

Prints, for the shipped rules:
  - quiet accounts (every video from one distribution): the share of videos with high or medium
    advice (goal <= 10%), and with any advice; the same for the old percentile judgement (P70 /
    P30 of the batch) for contrast;
  - one planted clear outlier per account (a like, heart or completion rate x4 or /4 on a video
    with enough views for it): recall (the metric judged high / low as planted; goal >= 95%),
    how often the video gets advice, and how often it leads "most to learn from";
  - A/B with the video as the unit (advisor.jobs.ab): the A/A winner rate with 3 videos per arm
    (goal <= 5%) and the power on a real 2x heart lift with 6 videos per arm (goal >= 80%),
    with the old per-view test for contrast.
Figures are printed, never asserted here; tests/test_calibration.py asserts the goals.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from advisor.input.ruleset import load_ruleset  # noqa: E402
from advisor.jobs import calibration  # noqa: E402


def pct(part: float) -> str:
    return f"{100 * part:5.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100, help="simulated accounts per figure")
    parser.add_argument("--videos", type=int, default=30, help="videos per account")
    parser.add_argument("--experiments", type=int, default=400, help="simulated A/B experiments per figure")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--engine", default="python", help="python (reference) or durable")
    args = parser.parse_args()
    rules = load_ruleset()
    print(f"calibration: {args.accounts} accounts x {args.videos} videos, seed {args.seed}, engine {args.engine}")

    t = time.perf_counter()
    quiet = calibration.quiet_accounts(rules, accounts=args.accounts, videos=args.videos, seed=args.seed,
                                       engine=args.engine)
    old = calibration.quiet_accounts(calibration.with_mode(rules, "percentile"), accounts=args.accounts,
                                     videos=args.videos, seed=args.seed, engine=args.engine)
    print("\nquiet accounts (nothing to act on)")
    print(f"  videos with high/medium advice   typical mode {pct(quiet.actionable_share)}   "
          f"old percentile mode {pct(old.actionable_share)}   (goal <= 10%)")
    print(f"  videos with any advice           typical mode {pct(quiet.any_share)}   "
          f"old percentile mode {pct(old.any_share)}")
    for rule, count in sorted(quiet.by_rule.items(), key=lambda kv: -kv[1]):
        print(f"    {rule:<26} {count:>5} of {quiet.videos} videos")

    outliers = calibration.planted_outliers(rules, accounts=args.accounts, videos=args.videos, seed=args.seed,
                                            engine=args.engine)
    print("\nplanted clear outliers (x4 or /4, enough views for the metric)")
    print(f"  recall (judged as planted)       {pct(outliers.recall)}   (goal >= 95%)")
    print(f"  the video gets advice            {pct(outliers.on_card / outliers.planted)}")
    print(f"  leads 'most to learn from'       {pct(outliers.leads / outliers.planted)}   "
          f"(in the top 3: {pct(outliers.in_top / outliers.planted)})")
    for name, (found, planted) in sorted(outliers.by_metric.items()):
        print(f"    {name:<18} {found:>4}/{planted}")

    ab = calibration.ab_figures(rules, experiments=args.experiments, seed=args.seed, engine=args.engine)
    print("\nA/B, the video as the unit (advisor ab)")
    print(f"  A/A, 3 videos per arm: comparisons naming a winner   {pct(ab.aa_rate)}   (goal <= 5%)   "
          f"old per-view test {pct(ab.aa_rate_per_view)}")
    print(f"  2x hearts, 6 videos per arm, history given: power    {pct(ab.power)}   (goal >= 80%)")
    print(f"\n({time.perf_counter() - t:.1f} s)")


if __name__ == "__main__":
    main()
