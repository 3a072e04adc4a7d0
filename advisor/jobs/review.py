"""Reviewing posted videos: metrics in, explained and ranked findings out.

review_paths() is the library function behind `advisor review` (import, review, summarise,
write each video's next CTA); review() does the same for videos already in memory. The result
is data: advisor.jobs.review_report turns it into the JSON report, and advisor.render.emit into
text, Markdown or HTML. The CTA blocks (advisor.jobs.review_cta) are written and linted here,
while reviewing, so rendering never runs the engine.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass, field

from advisor.core.errors import AdvisorError, Problem
from advisor.core.progress import Progress
from advisor.core.i18n import LANGS, Lang, T
from advisor.engine import default_engine
from advisor.engine.evaluate import StageRunner
from advisor.engine.explain import Finding, Miss
from advisor.input.importers import ImportResult, load_videos
from advisor.input.ruleset import RuleSet
from advisor.input.sources import STDIN, read_bytes
from advisor.jobs.review_cta import CTA_FOCUS, GOAL_FOR_LEAD, CtaPlan, CtaWriter, cta_plan  # noqa: F401 (re-exported)
from advisor.jobs.summary import SUMMARY_LEVELS, BatchStats, Summary, SummaryBuilder
from advisor.jobs.summary import make_baseline as summary_baseline
from advisor.jobs.tail_spool import TailSpool
from advisor.model.levels import UNSET, Baseline, batch_pvalues, percentile_metrics
from advisor.stats.typical import bh_candidates, bh_cutoff
from advisor.model.metrics import DERIVED, FIELDS, VideoMetrics, metric_view

# A review of at most this many videos judges them with the pure-Python beta functions
# (advisor.stats.betafn), without importing numpy and scipy (~0.1-0.2 s of a small review's
# start). One video is also the case with no batch to fit ranges from (nor medians to sort).
SMALL_REVIEW = 1

# The rates shown next to every video, side by side (H05: never one number alone).
KEY_METRICS = metric_view("card")  # the registry's card view (advisor.model.metrics)


@dataclass
class VideoReview:
    video: VideoMetrics
    fact: dict
    fired: list[str]
    findings: list[Finding]
    misses: list[Miss] = field(default_factory=list)
    source: str | None = None  # the file the video came from
    absent: dict[str, T] = field(default_factory=dict)  # metric -> why the data lacks it
    cta: CtaPlan | None = None
    # The next video's CTA block per language (advisor.jobs.review_cta.CtaWriter): videos with the
    # same diagnosis and form share one dict.
    cta_blocks: dict[str, dict] = field(default_factory=dict)

    def signals(self, signal_of: dict[str, str]) -> list[str]:
        """The signals its fired rules derived; signal_of: Review.signal_of (looked up once per review)."""
        return [signal_of[r] for r in self.fired if r in signal_of]


@dataclass
class Review:
    videos: list[VideoReview]
    problems: list[Problem]
    baseline: Baseline | None
    engine: str
    files: list = field(default_factory=list)  # importers.FileInfo of the reviewed inputs
    summary: Summary | None = None
    history: str | None = None  # the history file, when one was given
    rules: dict = field(default_factory=dict)  # rule id -> Rule (the active review rules)
    explain_all: bool = False
    ruleset: RuleSet | None = field(default=None, repr=False)  # the rules reviewed with (levels for the charts)
    top: int | None = None  # a digest: only the `top` videos with the most to learn from are reported
    # Videos reviewed, when they are not all held in `videos` (a streaming review writes each
    # as it goes: advisor.jobs.review_stream).
    reviewed: int | None = None
    # The baseline medians a card of the HTML report shows, per form and metric (.median(metric,
    # form)), when `baseline` no longer holds them (a streaming review: advisor.jobs.review_stream).
    card_medians: object | None = None

    @functools.cached_property
    def signal_of(self) -> dict[str, str]:
        """Rule id -> the signal it derives (rules that derive one)."""
        return {rule_id: rule.then.signal for rule_id, rule in self.rules.items() if rule.then.signal}

    @property
    def count(self) -> int:
        return self.reviewed if self.reviewed is not None else len(self.videos)

    @property
    def status(self) -> int:
        """The exit status: 0 everything reviewed, 1 some rows bad, 2 nothing reviewed."""
        if not self.count:
            return 2
        return 1 if self.problems else 0


# --- reviewing ----------------------------------------------------------------------------------


def make_baseline(videos: list[VideoMetrics], history: list[VideoMetrics] | None, *,
                  history_label: str | None = None, facts: list[dict] | None = None,
                  metrics=None) -> Baseline:
    """The account's history for the levels: the --history file when given, else the batch.

    The batch is always passed on, even when small: levels.resolve() then falls back to the
    absolute thresholds itself and the explanation says how many videos there were
    ("history has 4, a percentile needs 10"). metrics: the metrics the levels use (the baseline
    keeps only those).
    """
    if history:
        return Baseline((v.to_fact() for v in history),
                        T(zh=f"历史文件 {history_label}", en=f"history file {history_label}"), metrics=metrics)
    batch = facts if facts is not None else [v.to_fact() for v in videos]
    if len(batch) < 2:
        # One video is no account history: judged against itself it would pull the range its
        # own way. It is judged by the defaults instead (and the explanation says so).
        return Baseline([], T(zh="默认范围", en="the defaults"))
    return Baseline(batch, T(zh="本批视频", en="this batch"), metrics=metrics)


_PVALUE_SLICE = 1 << 16  # videos whose p-values batch_cutoff computes at a time


class Reviewer:
    """One review in two passes over the videos.

    1. `survey(fact)` for every video: what the baseline, the false-discovery control and the
       summary need, kept compactly (advisor.model.levels.Baseline, advisor.jobs.summary
       BatchStats: arrays of numbers, no facts).
    2. `start()`, then `review(chunk)` for the videos again, in order, a chunk at a time: each
       is judged against the whole batch (its typical ranges and its false-discovery cutoff),
       evaluated, explained and given its CTA; the summary is accumulated as they pass.
    3. `finish()`: the summary.

    review() below runs it over a list; advisor.jobs.review_stream over files too large to hold.
    """

    def __init__(self, ruleset: RuleSet, *, history: list[VideoMetrics] | None = None,
                 history_label: str | None = None, engine: str | None = None, explain_all: bool = False,
                 langs: tuple[Lang, ...] = LANGS, top: int | None = None, platforms: dict | None = None,
                 card_medians: bool = True):
        """card_medians: keep every card metric's values for the medians the HTML report shows
        beside each card (a streaming review, which writes no HTML, keeps only what judging needs)."""
        self.ruleset = ruleset
        self.history = history or None
        self.history_label = history_label
        self.engine = engine
        self.explain_all = explain_all
        self.langs = langs
        self.top = top
        self.platforms = platforms or {}
        # What the baseline keeps: the metrics the levels judge, and those a card shows beside
        # the account's median (advisor.render.html_report).
        self.metrics = frozenset(ruleset.levels.metrics) | frozenset(KEY_METRICS)
        self.values = None if card_medians else percentile_metrics(ruleset.levels)
        self.batch = Baseline(label=T(zh="本批视频", en="this batch"), metrics=self.metrics, values=self.values)
        self.stats = BatchStats()
        self.runner: StageRunner | None = None
        self.writer: CtaWriter | None = None
        self.builder: SummaryBuilder | None = None
        # The batch's false-discovery cutoff (batch_cutoff()); UNSET: each chunk is judged on its
        # own, which is right when the chunk is the whole batch (review()).
        self.cutoff = UNSET
        self.fixed_baseline: Baseline | None = None  # given, not surveyed (a worker of a distributed review)
        # Judge with the pure-Python beta functions (SMALL_REVIEW); None: decided by start() from
        # the survey (a worker of a distributed review is given the driver's choice).
        self.small: bool | None = None
        # The batch's tails kept by batch_cutoff for the chunks' judge (a streaming review's).
        self.tails: TailSpool | None = None

    def survey(self, fact: dict) -> None:
        self.batch.add(fact)
        self.stats.add(fact)

    def compact(self) -> None:
        """After start() (and batch_cutoff()): drop the survey's columns, keeping what resolving
        the levels and finishing the summary need (a streaming review's second pass then holds
        little more than a chunk)."""
        forms = list(self.stats.forms)
        frozen = self.runner.baseline.frozen(self.ruleset.levels, forms) if self.runner.baseline.n_videos else None
        if frozen is not None:
            self.runner.baseline = frozen
        self.batch = Baseline(label=self.batch.label, metrics=())
        self.stats.compact()

    def reset(self) -> None:
        """Forget the survey (it starts again, e.g. without a file that turned out unusable)."""
        self.batch = Baseline(label=self.batch.label, metrics=self.metrics, values=self.values)
        self.stats = BatchStats()

    def batch_cutoff(self, tails: TailSpool | None = None) -> float | None:
        """The false-discovery cutoff of the whole surveyed batch: the p-value a video x metric
        must reach to be a discovery (None: nothing is). Judging chunk by chunk against it gives
        the verdicts of judging the whole batch at once (advisor.model.levels.judge).
        tails: keep the tail probabilities computed on the way there, for review() to judge the
        chunks with (they are the same numbers; advisor.jobs.tail_spool)."""
        import numpy as np

        # Only the p-values that can be discoveries (<= the fdr) are kept, with the count of
        # all: the same cutoff (bh_cutoff's total=) without an array of every video x metric.
        # The p-values are computed a slice of videos at a time (element by element the same).
        fdr = self.ruleset.levels.typical.fdr
        candidates, total, groups = [], 0, 0
        for form in self.stats.forms:
            by_metric: dict[str, list] = {}
            for th in self.runner.typicals(form):
                by_metric.setdefault(th.metric, []).append(th)
            for metric, thresholds in by_metric.items():
                xs, ns = self.batch.count_arrays(metric, form)
                groups += 1
                if self.small:  # a few Python floats (bh_cutoff's list path), no slicing
                    candidates.extend(batch_pvalues(thresholds, xs, ns, small=True))
                    continue
                xs, ns = np.asarray(xs, dtype=float), np.asarray(ns, dtype=float)
                for start in range(0, max(len(xs), 1), _PVALUE_SLICE):
                    kept, count = bh_candidates(batch_pvalues(
                        thresholds, xs[start:start + _PVALUE_SLICE], ns[start:start + _PVALUE_SLICE],
                        keep=tails.write if tails is not None else None), fdr)
                    candidates.append(kept)
                    total += count
        if tails is not None:
            tails.close_writing()
            if not self.small:
                self.tails = tails
        if not groups:
            return None
        if self.small:
            return bh_cutoff(candidates, fdr)
        return bh_cutoff(np.concatenate(candidates), fdr, total=total)

    def baseline(self) -> Baseline:
        if self.fixed_baseline is not None:
            return self.fixed_baseline
        if self.history:
            return make_baseline([], self.history, history_label=self.history_label, metrics=self.metrics)
        if self.batch.n_videos < 2:
            return Baseline([], T(zh="默认范围", en="the defaults"))
        return self.batch

    def start(self, *, summary: bool = True) -> "Reviewer":
        """Ready to review (after the survey). summary: False for a worker of a distributed review,
        which summarises its partitions in builders of their own (advisor.jobs.review_stream)."""
        if self.small is None:
            self.small = self.stats.n <= SMALL_REVIEW
        self.runner = StageRunner(self.ruleset, "review", baseline=self.baseline(), engine=self.engine,
                                  extra_levels=SUMMARY_LEVELS, small=self.small)
        self.writer = CtaWriter(self.ruleset, self.engine)
        if not summary:
            return self
        hist_facts = [v.to_fact() for v in self.history] if self.history else None
        self.summary_baseline = summary_baseline(self.stats, hist_facts, self.history_label, self.runner)
        self.builder = SummaryBuilder(self.stats.typical_views(), top=self.top)
        return self

    def review(self, videos: list[VideoMetrics], facts: list[dict], sources=None, absent=None,
               progress: Progress | None = None, summarize: bool = True) -> list[VideoReview]:
        """Review a chunk of the surveyed videos (their facts as survey() saw them), in order.
        summarize: add them to this review's summary (False: the caller does, elsewhere)."""
        runner = self.runner
        # Every video x metric of the chunk judged together (false-discovery control); with a
        # cutoff from the survey, against the whole batch's.
        runner.prepare(facts, cutoff=self.cutoff, tails=self.tails.read if self.tails is not None else None)
        out = []
        for i, (video, fact) in enumerate(zip(videos, facts)):
            if progress is not None:
                progress.step()
            fired, findings, misses = runner.run(fact, with_misses=self.explain_all)
            vr = VideoReview(video, fact, fired, findings, misses,
                             source=sources[i] if sources else None, absent=absent[i] if absent else {})
            vr.cta = cta_plan(findings)
            platform = self.platforms.get(vr.source) if vr.source else None
            vr.cta_blocks = {lang: self.writer.block(vr.cta, video.form, lang, platform) for lang in self.langs}
            if summarize:
                self.builder.add(vr)
            out.append(vr)
        return out

    def rules(self) -> dict:
        return {r.id: r.rule for r in self.runner.loaded}

    def finish(self) -> Summary:
        return self.builder.finish(self.stats, self.summary_baseline)

    def close(self) -> None:
        if self.runner is not None:
            self.runner.close()
        if self.writer is not None:
            self.writer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def review(videos: list[VideoMetrics], ruleset: RuleSet, *, history: list[VideoMetrics] | None = None,
           history_label: str | None = None, engine: str | None = None, explain_all: bool = False,
           problems: list[Problem] | None = None, files: list | None = None,
           sources: list[str | None] | None = None, absent: list[dict] | None = None,
           langs: tuple[Lang, ...] = LANGS, top: int | None = None, platforms: dict | None = None) -> Review:
    """Review videos with the ruleset's review rules: findings ranked, CTA lead chosen and the CTA
    written (in each of `langs`) and linted, summary. top: report a digest of that many videos.
    platforms: file -> the profile it was read with, so a Douyin export's CTA asks for its ❤.

    sources / absent (one per video, optional): the file each video came from and the metrics
    that file has no data for, so explanations can say "the export has none".
    """
    facts = [video.to_fact() for video in videos]
    with Reviewer(ruleset, history=history, history_label=history_label, engine=engine, explain_all=explain_all,
                  langs=langs, top=top, platforms=platforms) as reviewer:
        for fact in facts:
            reviewer.survey(fact)
        reviewer.start()
        with Progress(len(videos), T(zh="复盘中", en="reviewing")) as progress:
            reviewed = reviewer.review(videos, facts, sources, absent, progress=progress)
        summary = reviewer.finish()
        rules = reviewer.rules()
        baseline = reviewer.runner.baseline
    return Review(reviewed, list(problems or []), baseline, engine or default_engine(), list(files or []),
                  summary, history_label, rules, explain_all, ruleset, top)


def review_paths(paths, ruleset: RuleSet, *, history: str | None = None, profile=None, engine: str | None = None,
                 explain_all: bool = False, stdin=None, langs: tuple[Lang, ...] = LANGS, top: int | None = None) -> Review:
    """Import the files (`-` = standard input), review every good row, list every bad one.

    A file that cannot be read at all is listed and the others are still reviewed; only when
    no file can be read does it raise AdvisorError. A history file that cannot be read raises
    (it was asked for explicitly); its bad rows are listed like the others.
    """
    imported = import_batch(list(paths), ruleset, profile=profile, stdin=stdin)
    hist = None
    problems = list(imported.problems)
    named = {p.file for p in problems}
    for info in imported.files:  # a file with nothing in it says so, by name
        if not info.videos and info.path not in named:
            problems.append(Problem(T(zh="没有视频:文件是空的、只有表头,或是一个空列表",
                                      en="no videos: the file is empty, has only a header, or is an empty list"),
                                    file=info.path))
    if history:
        hist_result = load_videos([history], profile=profile, profile_dirs=ruleset.profile_dirs())
        hist = hist_result.videos
        problems += hist_result.problems
    sources, absent = video_sources(imported)
    return review(imported.videos, ruleset, history=hist, history_label=history, engine=engine,
                  explain_all=explain_all, problems=problems, files=imported.files, sources=sources, absent=absent,
                  langs=langs, top=top, platforms={info.path: info.profile for info in imported.files})


def import_batch(paths: list, ruleset: RuleSet, *, profile=None, stdin=None):
    """load_videos over all paths; a file that cannot be used is listed, not fatal to the batch."""
    dirs = ruleset.profile_dirs()
    if STDIN in [str(p) for p in paths]:
        # Standard input can be read only once, and the batch may be read twice (below).
        stdin = io.BytesIO(read_bytes(STDIN, max_bytes=None, stdin=stdin)[0])
    try:
        return load_videos(paths, profile=profile, profile_dirs=dirs, stdin=stdin)
    except AdvisorError as whole:
        if len(paths) == 1:
            raise
        unusable: list[Problem] = []
        good = []
        for path in paths:
            if stdin is not None:
                stdin.seek(0)
            try:
                load_videos([path], profile=profile, profile_dirs=dirs, stdin=stdin)
                good.append(path)
            except AdvisorError as exc:
                unusable += exc.problems
        if not good:
            raise AdvisorError(unusable or whole.problems) from None
        if stdin is not None:
            stdin.seek(0)
        # Read the usable files together again, so duplicate ids across them are still caught.
        result: ImportResult = load_videos(good, profile=profile, profile_dirs=dirs, stdin=stdin)
        result.problems = unusable + result.problems
        return result


def video_sources(imported) -> tuple[list[str | None], list[dict]]:
    """Per video: its file, and the metrics that file has no data for (metric -> why).

    load_videos appends each file's videos in order and counts them in FileInfo.videos, so
    the videos of file k are the next FileInfo.videos of the list. A field no video of a file
    has is one the export does not have (a column missing, or empty throughout).
    """
    sources: list[str | None] = []
    absent: list[dict] = []
    start = 0
    for info in imported.files:
        chunk = imported.videos[start:start + info.videos]
        start += info.videos
        present = {name for v in chunk for name, value in v if value is not None}
        why = absent_fields(present, info.path)
        sources += [info.path] * len(chunk)
        absent += [why] * len(chunk)
    rest = len(imported.videos) - start
    return sources + [None] * rest, absent + [{}] * rest


def absent_fields(present: set[str], path: str) -> dict[str, T]:
    out: dict[str, T] = {}
    for name in VideoMetrics.model_fields:
        if name not in present:
            out[name] = T(zh=f"导出文件 {path} 里没有这一项", en=f"the export ({path}) has none")
    for name, spec in DERIVED.items():
        lacking = [f for f in (*spec.numerator, spec.denominator) if f not in present]
        if lacking:
            names_zh = "、".join(FIELDS[f].label.zh for f in lacking)
            names_en = ", ".join(FIELDS[f].label.en for f in lacking)
            out[name] = T(zh=f"它由{spec.description.zh}算出,而导出文件 {path} 里没有{names_zh}",
                          en=f"it is {spec.description.en}, and the export ({path}) has no {names_en}")
    return out
