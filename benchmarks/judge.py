"""Typical-mode judging benchmark: µs per video for advisor.model.levels.judge.

    python benchmarks/judge.py                        # 10,000 and 100,000 videos
    python benchmarks/judge.py --videos 20000 --repeat 5
    python benchmarks/judge.py --data mixed           # mixed forms, fields missing as in real exports

Facts are what a review judges: VideoMetrics(...).to_fact() of a simulated 视频号 account
(advisor.stats.simulate.with_outliers, 1 video in 200 a planted outlier), or for `--data mixed`
the random videos of benchmarks/engine.py (five forms, fields missing). The thresholds are the
shipped review rules' typical levels plus the summary's (as `advisor review` judges them),
resolved against the batch before timing: only `judge` is timed. With the streaming API
(levels.batch_pvalues / judge(cutoff=...)) available, the two-pass form is timed too: pass 1
reads the counts and p-values of every video, pass 2 judges chunks against the cutoff.

Figures are printed, never asserted. Wall clock and CPU time are both reported: the machine is
shared, and other processes stretch the wall clock much more than this process's CPU time.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from advisor.core.i18n import T  # noqa: E402
from advisor.engine.evaluate import StageRunner  # noqa: E402
from advisor.input.ruleset import load_ruleset  # noqa: E402
from advisor.jobs.summary import SUMMARY_LEVELS  # noqa: E402
from advisor.model import levels as levels_mod  # noqa: E402
from advisor.model.levels import Baseline, judge  # noqa: E402
from advisor.model.metrics import VideoMetrics  # noqa: E402


def export_facts(n: int) -> list[dict]:
    """A simulated account in chunks of 10,000 (as /work/tools/gen.py writes its CSV exports)."""
    from advisor.stats.simulate import with_outliers

    fields = set(VideoMetrics.model_fields)
    facts = []
    chunk = 0
    while len(facts) < n:
        k = min(10_000, n - len(facts))
        videos, _ = with_outliers(k, seed=chunk, n_outliers=max(1, k // 200), id_prefix=f"c{chunk}-")
        facts += [VideoMetrics(**{f: v for f, v in video.items() if f in fields}).to_fact() for video in videos]
        chunk += 1
    return facts


def mixed_facts(n: int) -> list[dict]:
    from engine import random_video  # benchmarks/engine.py

    rng = random.Random(0)
    return [random_video(rng, i) for i in range(n)]


def timed(fn, repeat: int) -> tuple[float, float]:
    """Best of `repeat`: (wall, cpu) seconds; fn() prepares untimed state and returns the timed callable.

    The garbage collector stays on: a review runs with it, and judging allocates a Judgement
    per video and level, so its collections are part of the cost.
    """
    best_wall = best_cpu = math.inf
    for _ in range(repeat):
        run = fn()
        gc.collect()
        w0, c0 = time.perf_counter(), time.process_time()
        run()
        w1, c1 = time.perf_counter(), time.process_time()
        best_wall, best_cpu = min(best_wall, w1 - w0), min(best_cpu, c1 - c0)
    return best_wall, best_cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data", choices=("export", "mixed"), default="export")
    ap.add_argument("--chunk", type=int, default=1000, help="videos per chunk of the streaming second pass")
    args = ap.parse_args()
    ruleset = load_ruleset()
    streaming = hasattr(levels_mod, "batch_pvalues")
    for n in args.videos:
        facts = (export_facts if args.data == "export" else mixed_facts)(n)
        runner = StageRunner(ruleset, "review", baseline=Baseline(facts, T(zh="本批视频", en="this batch")),
                             extra_levels=SUMMARY_LEVELS)
        forms = {f.get("form") for f in facts}
        for form in forms:
            runner.typicals(form)  # fit the ranges before timing
        thresholds_of = lambda fact: runner.typicals(fact.get("form"))  # noqa: E731
        n_th = sum(len(runner.typicals(f.get("form"))) for f in facts)

        def whole():
            copies = [dict(f) for f in facts]
            return lambda: judge(copies, thresholds_of)

        wall, cpu = timed(whole, args.repeat)
        print(f"judge, {n:,} videos ({args.data}, {n_th / n:.1f} typical levels per video): "
              f"{wall / n * 1e6:7.1f} µs/video wall, {cpu / n * 1e6:7.1f} µs/video CPU  ({wall:.2f} s)")
        if streaming:
            def two_pass():
                copies = [dict(f) for f in facts]
                return lambda: _two_pass(copies, runner, args.chunk)

            wall, cpu = timed(two_pass, args.repeat)
            print(f"  two passes (chunks of {args.chunk:,}):   "
                  f"{wall / n * 1e6:7.1f} µs/video wall, {cpu / n * 1e6:7.1f} µs/video CPU  ({wall:.2f} s)")
        runner.close()


def _two_pass(facts: list[dict], runner: StageRunner, chunk: int) -> None:
    """Pass 1: each video's counts per (form, metric); the cutoff over all. Pass 2: judge chunks."""
    import numpy as np

    from advisor.model.levels import batch_pvalues, fact_counts, metric_groups
    from advisor.stats.typical import bh_cutoff

    plans: dict = {}  # form -> [(metric, thresholds, xs, ns)]
    for fact in facts:
        form = fact.get("form")
        plan = plans.get(form)
        if plan is None:
            plan = plans[form] = [(m, ths, [], []) for m, ths in metric_groups(runner.typicals(form))]
        for metric, _, xs, ns in plan:
            x, n = fact_counts(metric, fact)
            xs.append(x)
            ns.append(n)
    groups = [(ths, xs, ns) for plan in plans.values() for _, ths, xs, ns in plan]
    pvalues = [batch_pvalues(ths, np.array(xs, dtype=float), np.array(ns, dtype=float)) for ths, xs, ns in groups]
    cutoff = bh_cutoff(np.concatenate(pvalues), groups[0][0][0].settings.fdr) if groups else None
    thresholds_of = lambda fact: runner.typicals(fact.get("form"))  # noqa: E731
    for start in range(0, len(facts), chunk):
        judge(facts[start:start + chunk], thresholds_of, cutoff=cutoff)


if __name__ == "__main__":
    main()
