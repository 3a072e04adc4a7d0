"""µs per video of `advisor review FILE --format jsonl` (or json), phase by phase.

    python benchmarks/review_hot.py EXPORT.csv               # e.g. a 10,000-row export
    python benchmarks/review_hot.py EXPORT.csv --repeat 3 --explain-all --lang zh --format json

Runs the library path the CLI runs for a streamed report (advisor.jobs.review_stream
.stream_review into a JsonLinesSink or JsonSink writing to os.devnull, opened as the CLI opens a report file) with each phase's
functions wrapped in a timer. Times are exclusive (a phase called inside another is taken out of
the outer one), the best of --repeat runs per phase, in CPU time of this process (steadier than
wall time on a machine shared with other work; --wall for wall time). Figures are printed,
never asserted. The timers themselves cost a little per call (most in `1 facts` and `2 facts`).

The cyclic garbage collector runs when allocations add up, so its time lands in whichever phase
is running then, and a change in one phase moves it to another: --no-gc runs with the collector
off, for each phase's own cost (the totals with it on are what a person waits for).

To compare with another checkout (e.g. main), run this file with that checkout first on
PYTHONPATH: `PYTHONPATH=/path/to/other python benchmarks/review_hot.py EXPORT.csv`.

Phases, pass 1 (`1 ...`, the survey: advisor.jobs.review_stream._survey):
  1 read     reading and parsing the rows (the files -> each row's fields)
  1 facts    their facts (advisor.model.metrics.fact_of; VideoMetrics.to_fact in older checkouts)
  1 survey   what the baseline and the summary keep (Reviewer.survey: Baseline.add, BatchStats.add)
  1 spool    spooling each row's values for pass 2 (review_stream._Spool.add; not in older checkouts)
  1 other    the rest of the survey loop
between the passes:
  baseline   fitting the typical ranges, the batch's false-discovery cutoff, compacting
pass 2 (`2 ...`, a chunk at a time):
  2 read     the rows again: read back from pass 1's spool and built (review_stream._spooled);
             in older checkouts, read and parsed from the files again
  2 facts    VideoMetrics.to_fact
  judge      typical-range judgements of each chunk (StageRunner.prepare)
  engine+explain  the rules per video and their findings (StageRunner.run)
  cta        writing and linting the CTA blocks (CtaWriter.block)
  summary    SummaryBuilder.add
  report     the report entry (advisor.jobs.review_report.video_json)
  write      encoding and writing it (the sink's entry)
  other      everything else of the run (start-up of the review, the summary's end, ...)
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import sys
import time

if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import advisor  # noqa: E402
from advisor.engine.evaluate import StageRunner  # noqa: E402
from advisor.input.ruleset import load_ruleset  # noqa: E402
from advisor.jobs import review_stream  # noqa: E402
from advisor.jobs.review import Reviewer  # noqa: E402
from advisor.jobs.review_cta import CtaWriter  # noqa: E402
from advisor.jobs.summary import SummaryBuilder  # noqa: E402
from advisor.model.metrics import VideoMetrics  # noqa: E402
from advisor.render.stream import JsonLinesSink, JsonSink  # noqa: E402

PHASES = ("1 read", "1 facts", "1 survey", "1 spool", "1 other", "baseline", "2 read", "2 facts", "judge", "engine+explain",
          "cta", "summary", "report", "write", "other")


class Timers:
    """Exclusive time per phase: a timed call inside another is subtracted from the outer one.
    A phase name starting with '?' takes the current pass's number ('?read' -> '1 read')."""

    def __init__(self, clock=time.process_time):
        self.total = dict.fromkeys(PHASES, 0.0)
        self._stack: list[list] = []
        self._clock = clock
        self.pass_ = "2"

    def _name(self, phase: str) -> str:
        return f"{self.pass_} {phase[1:]}" if phase.startswith("?") else phase

    def _enter(self):
        frame = [0.0]  # time spent in timed calls below this one
        self._stack.append(frame)
        return frame, self._clock()

    def _leave(self, phase: str, frame, start) -> None:
        spent = self._clock() - start
        self._stack.pop()
        self.total[self._name(phase)] += spent - frame[0]
        if self._stack:
            self._stack[-1][0] += spent

    def wrap(self, phase: str, func):
        @functools.wraps(func)
        def timed(*args, **kwargs):
            frame, start = self._enter()
            try:
                return func(*args, **kwargs)
            finally:
                self._leave(phase, frame, start)
        return timed

    def wrap_iter(self, phase: str, func):
        """A generator function whose every step (next()) is timed."""
        @functools.wraps(func)
        def timed(*args, **kwargs):
            it = iter(func(*args, **kwargs))
            while True:
                frame, start = self._enter()
                try:
                    item = next(it)
                except StopIteration:
                    return
                finally:
                    self._leave(phase, frame, start)
                yield item
        return timed

    def wrap_pass(self, number: str, phase: str, func):
        """A whole pass: its own time not in a phase below goes to `phase`."""
        inner = self.wrap(phase, func)

        @functools.wraps(func)
        def timed(*args, **kwargs):
            before, self.pass_ = self.pass_, number
            try:
                return inner(*args, **kwargs)
            finally:
                self.pass_ = before
        return timed


def patch(timers: Timers) -> list:
    """Wrap each phase's functions; returns what to restore."""
    targets = [
        (review_stream, "_videos", "?read", "iter"),
        (review_stream, "_spooled", "?read", "iter", False),  # pass 2 reads pass 1's spool (not in older checkouts)
        (VideoMetrics, "to_fact", "?facts", "call"),
        (review_stream, "fact_of", "?facts", "call", False),  # pass 1's facts (not in older checkouts)
        (Reviewer, "survey", "1 survey", "call"),
        (getattr(review_stream, "_Spool", None), "add", "1 spool", "call", False),
        (Reviewer, "start", "baseline", "call"),
        (Reviewer, "batch_cutoff", "baseline", "call"),
        (Reviewer, "compact", "baseline", "call"),
        (StageRunner, "prepare", "judge", "call"),
        (StageRunner, "run", "engine+explain", "call"),
        (CtaWriter, "block", "cta", "call"),
        (SummaryBuilder, "add", "summary", "call"),
        (review_stream, "video_json", "report", "call"),
        (JsonLinesSink, "entry", "write", "call"),
        (JsonSink, "entry", "write", "call"),
        (review_stream, "_survey", "1 other", "pass1"),
    ]
    saved = []
    for owner, name, phase, how, *required in targets:
        if (owner is None or name not in owner.__dict__) and required == [False]:
            continue
        original = owner.__dict__[name]  # KeyError: a function this benchmark times was renamed
        saved.append((owner, name, original))
        if how == "iter":
            wrapped = timers.wrap_iter(phase, original)
        elif how == "pass1":
            wrapped = timers.wrap_pass("1", phase, original)
        else:
            wrapped = timers.wrap(phase, original)
        setattr(owner, name, wrapped)
    return saved


def run_once(path: str, ruleset, lang: str, explain_all: bool, fmt: str, clock) -> tuple[Timers, int]:
    timers = Timers(clock)
    saved = patch(timers)
    # A UTF-8 text file over a binary one, as the CLI's report file (the sinks write bytes to it).
    null = open(os.devnull, "w", encoding="utf-8", newline="")
    sink = (JsonLinesSink if fmt == "jsonl" else JsonSink)(null, lang)
    try:
        start = clock()
        result = review_stream.stream_review([path], ruleset, sink, explain_all=explain_all, lang=lang)
        whole = clock() - start
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)
        null.close()
    timers.total["other"] = whole - sum(seconds for phase, seconds in timers.total.items() if phase != "other")
    return timers, result.count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lang", default="zh", choices=("zh", "en"))
    parser.add_argument("--format", default="jsonl", choices=("jsonl", "json"))
    parser.add_argument("--explain-all", action="store_true")
    parser.add_argument("--wall", action="store_true", help="wall time instead of CPU time")
    parser.add_argument("--no-gc", action="store_true", help="with the cyclic garbage collector off")
    args = parser.parse_args()
    os.environ.setdefault("ADVISOR_QUIET", "1")
    clock = time.perf_counter if args.wall else time.process_time
    ruleset = load_ruleset()
    best = dict.fromkeys(PHASES, float("inf"))
    n = 0
    for _ in range(args.repeat):
        gc.collect()
        if args.no_gc:
            gc.disable()
        try:
            timers, n = run_once(args.path, ruleset, args.lang, args.explain_all, args.format, clock)
        finally:
            gc.enable()
        for phase, seconds in timers.total.items():
            best[phase] = min(best[phase], seconds)
    print(f"{n} videos, {args.format}, best of {args.repeat}, lang {args.lang}"
          f"{', explain-all' if args.explain_all else ''}, {'wall' if args.wall else 'CPU'} time"
          f"{', no gc' if args.no_gc else ''}, advisor from {os.path.dirname(advisor.__file__)}")
    per_video = 0.0
    for phase in PHASES:
        us = best[phase] / max(n, 1) * 1e6
        per_video += us
        print(f"  {phase:16} {us:8.1f} µs/video")
    print(f"  {'total':16} {per_video:8.1f} µs/video  ({1e6 / max(per_video, 1e-9):,.0f} videos per CPU-second)")


if __name__ == "__main__":
    main()
