"""µs per video of `advisor review FILE --format json`, phase by phase.

    python benchmarks/review_hot.py EXPORT.csv               # e.g. a 10,000-row export
    python benchmarks/review_hot.py EXPORT.csv --repeat 3 --explain-all --lang zh

Runs the library path the CLI runs (review_paths, then the report dict of review_json, then
json.dumps as render.emit does) with each phase's functions wrapped in a timer. Times are
exclusive (a phase called inside another is taken out of the outer one), the best of
--repeat runs per phase, in CPU time of this process (steadier than wall time on a machine
shared with other work; --wall for wall time). Figures are printed, never asserted.

The cyclic garbage collector runs when allocations add up, so its time lands in whichever phase
is running then, and a change in one phase moves it to another: --no-gc runs with the collector
off, for each phase's own cost (the totals with it on are what a person waits for).

To compare with another checkout (e.g. main), run this file with that checkout first on
PYTHONPATH: `PYTHONPATH=/path/to/other python benchmarks/review_hot.py EXPORT.csv`.

Phases: import (files -> VideoMetrics, and which fields each file lacks), facts
(VideoMetrics.to_fact), baseline, judge (typical-range judgements of the batch), engine+explain
(the rules per video and their findings), cta (writing and linting the CTA blocks), summary,
report (the report dict), json (encoding it; not part of the per-video path measured here).
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import sys
import time

if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import advisor  # noqa: E402
from advisor.engine.evaluate import StageRunner  # noqa: E402
from advisor.input.ruleset import load_ruleset  # noqa: E402
from advisor.jobs import review as review_mod  # noqa: E402
from advisor.jobs import review_report  # noqa: E402
from advisor.jobs.review_cta import CtaWriter  # noqa: E402
from advisor.model.metrics import VideoMetrics  # noqa: E402

PHASES = ("import", "facts", "baseline", "judge", "engine+explain", "cta", "summary", "report", "json")


class Timers:
    """Exclusive time per phase: a timed call inside another is subtracted from the outer one."""

    def __init__(self, clock=time.process_time):
        self.total = dict.fromkeys(PHASES, 0.0)
        self._stack: list[list] = []
        self._clock = clock

    def wrap(self, phase: str, func):
        @functools.wraps(func)
        def timed(*args, **kwargs):
            frame = [0.0]  # time spent in timed calls below this one
            self._stack.append(frame)
            start = self._clock()
            try:
                return func(*args, **kwargs)
            finally:
                spent = self._clock() - start
                self._stack.pop()
                self.total[phase] += spent - frame[0]
                if self._stack:
                    self._stack[-1][0] += spent
        return timed


def patch(timers: Timers) -> list:
    """Wrap each phase's functions; returns what to restore."""
    targets = [
        (review_mod, "import_batch", "import"), (review_mod, "video_sources", "import"),
        (VideoMetrics, "to_fact", "facts"), (review_mod, "make_baseline", "baseline"),
        (StageRunner, "prepare", "judge"), (StageRunner, "run", "engine+explain"),
        (CtaWriter, "block", "cta"), (review_mod, "summarize", "summary"),
    ]
    saved = []
    for owner, name, phase in targets:
        original = owner.__dict__[name]
        saved.append((owner, name, original))
        setattr(owner, name, timers.wrap(phase, original))
    return saved


def run_once(path: str, ruleset, lang: str, explain_all: bool, clock) -> tuple[Timers, int]:
    timers = Timers(clock)
    saved = patch(timers)
    try:
        result = review_mod.review_paths([path], ruleset, explain_all=explain_all, langs=(lang,))
        report = timers.wrap("report", review_report.review_json)(result, lang)
        timers.wrap("json", lambda r: json.dumps(r, ensure_ascii=False, indent=2))(report)
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)
    return timers, len(result.videos)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lang", default="en", choices=("zh", "en"))
    parser.add_argument("--explain-all", action="store_true")
    parser.add_argument("--wall", action="store_true", help="wall time instead of CPU time")
    parser.add_argument("--no-gc", action="store_true", help="with the cyclic garbage collector off")
    args = parser.parse_args()
    clock = time.perf_counter if args.wall else time.process_time
    ruleset = load_ruleset()
    best = dict.fromkeys(PHASES, float("inf"))
    n = 0
    for _ in range(args.repeat):
        gc.collect()
        if args.no_gc:
            gc.disable()
        try:
            timers, n = run_once(args.path, ruleset, args.lang, args.explain_all, clock)
        finally:
            gc.enable()
        for phase, seconds in timers.total.items():
            best[phase] = min(best[phase], seconds)
    print(f"{n} videos, best of {args.repeat}, lang {args.lang}{', explain-all' if args.explain_all else ''}, "
          f"{'wall' if args.wall else 'CPU'} time{', no gc' if args.no_gc else ''}, advisor from {os.path.dirname(advisor.__file__)}")
    per_video = 0.0
    for phase in PHASES:
        us = best[phase] / max(n, 1) * 1e6
        if phase != "json":
            per_video += us
        print(f"  {phase:16} {us:8.1f} µs/video")
    print(f"  {'total (no json)':16} {per_video:8.1f} µs/video")


if __name__ == "__main__":
    main()
