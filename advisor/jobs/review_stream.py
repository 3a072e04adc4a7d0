"""`advisor review` over exports of any size: two passes over the files, each video written out
as soon as it is reviewed, memory bounded whatever the number of rows.

    pass 1  read every row; keep only what judging and the summary need about the whole batch
            (advisor.jobs.review.Reviewer.survey: numbers per metric and form, in arrays), and
            spool each imported row's parsed values to a temporary file, 64 rows at a time
            (pickled; on disk, not in memory).
    pass 2  read the chunks back from the spool (the files are not read or parsed again);
            review them a chunk at a time against the whole batch (its typical ranges, its
            false-discovery cutoff) and hand each video's report entry to a sink, which writes
            it and lets it go.

The videos are judged exactly as review_paths() judges them all at once, so the report is the
same document (tests/test_review_stream.py compares them). The spool (and a copy of standard
input, which is read once, like a file) lives in a temporary folder deleted when the review
ends, however it ends. JSON, YAML and spreadsheet inputs are read whole, a file at a time;
CSV/TSV/TXT files are read line by line.

The library function is stream_review(); the sinks that write the report are in
advisor.render.stream (this layer returns data; it never formats).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import pickle
import shutil
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Protocol

from advisor.core.errors import AdvisorError, Problem
from advisor.core.i18n import Lang, T
from advisor.core.progress import Progress
from advisor.engine import default_engine
from advisor.input.importers import ImportResult, SeenIds, iter_videos, load_videos, looks_like_table
from advisor.input.ruleset import RuleSet
from advisor.input.sources import STDIN, STDIN_NAME
from advisor.jobs.review import Review, Reviewer, absent_fields
from advisor.jobs.review_report import video_json
from advisor.jobs.summary import SummaryBuilder
from advisor.jobs.tail_spool import TailSpool
from advisor.model.levels import Baseline
from advisor.model.metrics import VideoMetrics, fact_of, metric_view

CHUNK = 2000
CARD_METRICS = tuple(metric_view("card"))  # the numbers an HTML card shows beside the baseline median
# From this many videos on, the passes run with the garbage collector tuned for a long batch. Below
# it the full collection that tuning starts with (~0.03 s) costs more than it saves.
LONG_BATCH = 500
FIELD_NAMES = tuple(VideoMetrics.model_fields)  # videos judged, evaluated and written together in pass 2


class Sink(Protocol):
    """Where a streaming review's videos go: `start` once the survey is done (the number of
    videos to come is known; `review` is the Review so far: rules, settings, no summary yet),
    `entry` for each video's report entry (advisor.jobs.review_report.video_json), in order,
    `finish` with the whole review (its `videos` empty, its summary and problems complete)."""

    def start(self, total: int, review: Review) -> None: ...

    def entry(self, entry: dict) -> None: ...

    def finish(self, result: Review) -> None: ...


@dataclass
class _Input:
    """The files of a run: what problems call each, and which could not be read at all."""

    paths: list[str]
    names: dict[str, str] = field(default_factory=dict)  # path -> name in problems ('<stdin>')
    unusable: list[Problem] = field(default_factory=list)


def stream_review(paths, ruleset: RuleSet, sink: Sink, *, history: str | None = None, profile=None,
                  engine: str | None = None, explain_all: bool = False, stdin=None, lang: Lang = "zh",
                  top: int | None = None, chunk: int = CHUNK, executor=None, card_medians: bool = False) -> Review:
    """Review the files into `sink` in `lang`, two passes, a chunk of videos at a time.

    Returns the Review without its videos (they went to the sink): summary, problems, files,
    `reviewed` (the count), and exit status. Raises AdvisorError when no file can be read, like
    review_paths(). A digest (`top`) keeps only its candidates, a few per rule.
    executor: where the chunks are reviewed (advisor.jobs.executors; default: this process).
    card_medians: keep the baseline medians each card of the HTML report shows beside the video
    (the review the sink starts with has them as `card_medians`).
    """
    executor = executor or LocalExecutor()
    with tempfile.TemporaryDirectory(prefix="advisor-review-") as spool, contextlib.ExitStack() as stack:
        run = _Input(_spool_stdin([str(p) for p in paths], Path(spool), stdin))
        run.names = {p: STDIN_NAME for p in run.paths if p.startswith(spool)}
        rows = stack.enter_context(_Spool(Path(spool) / "rows", chunk))
        hist, hist_problems = None, []
        if history:
            loaded = load_videos([history], profile=profile, profile_dirs=ruleset.profile_dirs())
            hist, hist_problems = loaded.videos, loaded.problems
        dirs = ruleset.profile_dirs()
        with Reviewer(ruleset, history=hist, history_label=history, engine=engine, explain_all=explain_all,
                      langs=(lang,), top=top, card_medians=card_medians) as reviewer:
            long_batch = _LongBatch(stack)
            surveyed = _survey(run, reviewer, profile, dirs, rows, long_batch)
            release_free_memory()  # the ids seen by pass 1 are gone
            reviewer.platforms = {info.path: info.profile for info in surveyed.imported.files}
            reviewer.start()
            medians = CardMedians(reviewer.runner.baseline, reviewer.stats.forms) if card_medians else None
            if chunk < surveyed.count or not executor.local:
                # A local review keeps the batch's tails for its chunks (a worker elsewhere
                # cannot read this folder: it computes them).
                tails = stack.enter_context(TailSpool(Path(spool))) if executor.local else None
                reviewer.cutoff = reviewer.batch_cutoff(tails)
            reviewer.compact()  # the survey's columns are no longer needed
            release_free_memory()
            spec = PartitionSpec(
                token=uuid.uuid4().hex, ruleset=ruleset, engine=engine, explain_all=explain_all, lang=lang,
                top=top, platforms=reviewer.platforms, cutoff=reviewer.cutoff,
                absent={info.path: absent_fields(present, info.path)
                        for info, present in zip(surveyed.imported.files, surveyed.present)},
                typical_views=reviewer.stats.typical_views(), rules=reviewer.rules(),
                baseline=None if executor.local else reviewer.runner.baseline, small=reviewer.small)
            if surveyed.count:
                # (with nothing to review the sink is never started: no report is written)
                if surveyed.count >= LONG_BATCH:
                    long_batch.start()
                context = spec.context()
                context.card_medians = medians
                sink.start(surveyed.count, context)
                with Progress(surveyed.count, T(zh="复盘中", en="reviewing")) as progress:
                    # Closed on the way out, however pass 2 ends: the spool's file with it.
                    partitions = stack.enter_context(contextlib.closing(_spooled(rows)))
                    collector = _ChunkCollector()
                    for entries, part in executor.map(spec, partitions, reviewer):
                        for entry in entries:
                            sink.entry(entry)
                        reviewer.builder.merge(part)
                        progress.step(len(entries))
                        del entries, part
                        collector.chunk_done()
            summary = reviewer.finish()
            reviewer.builder = None  # its ids (now the summary's lists) go before the report is written
            rules = reviewer.rules()
            baseline = reviewer.runner.baseline
        # Pass 1 listed every bad row and duplicate, and spooled only the rows it imported.
        imported = surveyed.imported
        problems = run.unusable + imported.problems + _empty_files(imported, run) + hist_problems
        result = Review([], problems, baseline, engine or default_engine(), imported.files, summary, history, rules,
                        explain_all, ruleset, top, reviewed=summary.videos)
    if result.count:
        sink.finish(result)
    return result


class CardMedians:
    """The baseline medians the HTML report's cards show, per (form, metric), taken from the
    baseline before the survey's columns are let go (Reviewer.compact)."""

    def __init__(self, baseline: Baseline | None, forms):
        self.table = {} if baseline is None else {
            (form, metric): baseline.median(metric, form) for form in forms for metric in CARD_METRICS}

    def median(self, metric: str, form: str | None) -> float | None:
        return self.table.get((form, metric))


def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim = ctypes.CDLL(None).malloc_trim  # glibc's; musl and others have none
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_TRIM: list = []


def release_free_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's malloc_trim; elsewhere nothing).

    The first pass's columns are freed once the baseline is fixed, but the heap keeps freed
    memory for reuse, resident: the second pass's own memory would come on top of it."""
    if not _TRIM:
        _TRIM.append(_malloc_trim())
    if _TRIM[0] is not None:
        _TRIM[0](0)


@contextlib.contextmanager
def _collector_for_a_long_batch():
    """The cyclic garbage collector tuned for a long batch (from pass 1's LONG_BATCH-th row on:
    _LongBatch): everything alive before it (modules, the rule set) is frozen out of its scans,
    and it runs every LONG_BATCH rows of pass 1 and between the chunks of pass 2
    (_ChunkCollector), when the chunk's reviews and entries are gone, instead of every few
    hundred allocations while they are all alive (it then walked each chunk's objects several
    times and found next to nothing: measured, about a tenth of a review's time). Cycles are
    still collected, so memory stays bounded."""
    enabled = gc.isenabled()
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()


# At most this many chunks between two collections of pass 2 (while none finds garbage).
COLLECT_EVERY_AT_MOST = 16


class _ChunkCollector:
    """Collects the cycles pass 2's chunks leave (the young generations: what lived longer was
    frozen, or is the summary's few growing lists), after a chunk, or after several.

    A collection walks every object still alive from the chunk (its videos and facts: their
    generators let go of them only when asked for the next chunk), whether or not it finds a
    cycle, and the JSON reports leave none (measured: none after the first chunk). So each
    collection that finds nothing doubles the wait before the next, up to
    COLLECT_EVERY_AT_MOST chunks, and one that finds cycles (a text report's templates leave
    some) makes it one chunk again: memory holds a few chunks' cycles at most."""

    def __init__(self):
        self.every = self.left = 1

    def chunk_done(self) -> None:
        self.left -= 1
        if self.left > 0:
            return
        found = gc.collect(1)
        self.every = 1 if found else min(2 * self.every, COLLECT_EVERY_AT_MOST)
        self.left = self.every


@dataclass
class PartitionSpec:
    """Everything a partition's review needs besides its videos; sent once to each worker.

    baseline: the batch's baseline reduced to what resolving the levels needs (Baseline.frozen),
    cutoff: the batch's false-discovery cutoff, typical_views: its median views (the learning
    score's reach), absent: per file, the metrics it has no data for. None of it grows with the
    batch but the values of percentile-judged metrics.
    """

    token: str  # a worker builds its Reviewer once per review, keyed by this
    ruleset: RuleSet
    engine: str | None
    explain_all: bool
    lang: Lang
    top: int | None
    platforms: dict
    cutoff: float | None
    absent: dict
    typical_views: float | None
    rules: dict
    baseline: Baseline | None = None
    small: bool = False  # judged with the pure-Python beta functions (advisor.jobs.review.SMALL_REVIEW)

    def context(self) -> Review:
        """What video_json reads of the review: its rules (for the signals) and settings."""
        return Review([], [], self.baseline, self.engine or default_engine(), [], None, None, self.rules,
                      self.explain_all, self.ruleset, self.top)


def review_partition(spec: PartitionSpec, videos: list[VideoMetrics], sources: list[str], offset: int,
                     reviewer: Reviewer | None = None) -> tuple[list[dict], SummaryBuilder]:
    """Review one partition of a batch: its videos' report entries, in order, and its part of
    the summary (merged in order by the driver). The one function every executor runs.

    reviewer: the driver's own (a local run); a worker builds one from the spec, once per review.
    """
    reviewer = reviewer if reviewer is not None else _worker_reviewer(spec)
    facts = [video.to_fact() for video in videos]
    part = SummaryBuilder(spec.typical_views, top=spec.top, offset=offset)
    context = spec.context()
    entries = []
    for vr in reviewer.review(videos, facts, sources, [spec.absent.get(s, {}) for s in sources], summarize=False):
        entry = video_json(vr, context, spec.lang)
        part.add(vr, entry)
        entries.append(entry)
    return entries, part


_WORKER_REVIEWERS: dict[str, Reviewer] = {}  # in a worker process: spec token -> its Reviewer


def _worker_reviewer(spec: PartitionSpec) -> Reviewer:
    reviewer = _WORKER_REVIEWERS.get(spec.token)
    if reviewer is None:
        for old in _WORKER_REVIEWERS.values():  # one review at a time per worker: free the last one's engine
            old.close()
        _WORKER_REVIEWERS.clear()
        reviewer = Reviewer(spec.ruleset, engine=spec.engine, explain_all=spec.explain_all, langs=(spec.lang,),
                            top=spec.top, platforms=spec.platforms)
        reviewer.fixed_baseline = spec.baseline
        reviewer.cutoff = spec.cutoff
        reviewer.small = spec.small
        reviewer.start(summary=False)
        _WORKER_REVIEWERS[spec.token] = reviewer
    return reviewer


class LocalExecutor:
    """Partitions reviewed in this process, one after another, by the driver's own Reviewer."""

    local = True

    def map(self, spec: PartitionSpec, partitions, reviewer: Reviewer):
        for videos, sources, offset in partitions:
            yield review_partition(spec, videos, sources, offset, reviewer)


@dataclass
class _Survey:
    present: list[set] = field(default_factory=list)  # per file: the fields some video has
    count: int = 0
    imported: ImportResult | None = None  # pass 1's problems and files


class _LongBatch:
    """The collector tuned for a long batch (_collector_for_a_long_batch), started once the
    batch turns out long: in pass 1, at its LONG_BATCH-th row (pass 1 allocates a few objects a
    row, every one of them short-lived: left on, the collector ran a few times per hundred rows
    and found nothing, about 5% of a big review's time); then every LONG_BATCH rows, pass 1
    collects what cycles there are (_ChunkCollector: rarely, while it finds none)."""

    def __init__(self, stack: contextlib.ExitStack):
        self.stack = stack
        self.collector: _ChunkCollector | None = None

    def start(self) -> None:
        if self.collector is None:
            self.stack.enter_context(_collector_for_a_long_batch())
            self.collector = _ChunkCollector()

    def rows_done(self) -> None:
        """Another LONG_BATCH rows read."""
        if self.collector is None:
            self.start()
        else:
            self.collector.chunk_done()


def _survey(run: _Input, reviewer: Reviewer, profile, dirs, spool: "_Spool", long_batch: _LongBatch) -> _Survey:
    """Pass 1: survey every imported row and spool its values for pass 2. A file that turns out
    unusable (no id column, a malformed line) is listed and the survey starts again without it,
    so no row of it reaches the baseline or the spool (review_paths() drops such a file whole
    as well)."""
    while True:
        first = ImportResult()
        survey = _Survey()
        spool.reset()
        add = spool.add
        try:
            # Each row's fields, not its VideoMetrics: its fact is all the survey reads.
            for values, source in _videos(run, first, profile, dirs, on_file=lambda: (
                    survey.present.append(set())), fields=True):
                present = survey.present[-1]
                if len(present) < len(FIELD_NAMES) and not present.issuperset(values):  # once seen, stays seen
                    present.update(name for name, value in values.items() if value is not None)
                reviewer.survey(fact_of(values))
                add(values, source)
                survey.count += 1
                if not survey.count % LONG_BATCH:
                    long_batch.rows_done()
        except _FileFailed as failed:
            run.unusable += failed.problems
            run.paths = [p for p in run.paths if p != failed.path]
            if not run.paths:
                raise AdvisorError(run.unusable) from None
            reviewer.reset()
            continue
        spool.close_writing()
        survey.imported = first
        return survey


# Rows pickled together: what pass 1 holds of the spool, and pass 2 besides its chunk. Small on
# purpose: a block's row dicts, alive while pass 1's columns and seen ids grow, fragmented the
# heap (measured at 200,000 rows: 500 rows a block, 14 MB more peak memory than reading the
# export twice; 64 rows, about 2.6 MB), and pickling 64 rows at a time costs no more per row.
SPOOL_BLOCK = 64
# The spool file's buffer: a system call per megabyte, not per 8 KB block (on a virtual machine
# a system call costs as much as reading a row).
SPOOL_BUFFER = 1 << 20


class _Spool:
    """Pass 1's imported rows, for pass 2: each row's values (the fields iter_videos(fields=True)
    gives: what VideoMetrics.from_parsed builds the video from) and its file's name, pickled a
    block of rows at a time (SPOOL_BLOCK, at most a chunk) to a temporary file. Pass 2 reads the
    blocks back in order into chunks of `chunk` videos, one chunk at a time, so memory holds a
    chunk and a block, whatever the number of rows; the file is deleted with the review's
    temporary folder."""

    def __init__(self, path: Path, chunk: int):
        self.path = path
        self.chunk = max(1, chunk)
        self.block = min(self.chunk, SPOOL_BLOCK)
        self._handle = None
        self._values: list[dict] = []
        self._names: list[str] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def reset(self) -> None:
        """Start (again) empty."""
        self.__exit__()
        self._handle = open(self.path, "wb", buffering=SPOOL_BUFFER)
        self._values, self._names = [], []

    def add(self, values: dict, name: str) -> None:
        self._values.append(values)
        self._names.append(name)
        if len(self._values) >= self.block:
            self._flush()

    def _flush(self) -> None:
        if self._values:
            pickle.dump((self._values, self._names), self._handle, pickle.HIGHEST_PROTOCOL)
            self._values, self._names = [], []

    def close_writing(self) -> None:
        self._flush()
        self._handle.close()
        self._handle = None

    def blocks(self) -> Iterator[tuple[list[dict], list[str]]]:
        """The blocks (values, file names), in the order they were added."""
        with open(self.path, "rb", buffering=SPOOL_BUFFER) as handle:
            while True:
                try:
                    block = pickle.load(handle)
                except EOFError:
                    return
                yield block


def _spooled(spool: _Spool):
    """Pass 2's partitions, read back from pass 1's spool: (videos, their files, position of the
    first in the batch), `spool.chunk` videos at a time (the last one the rest)."""
    build = VideoMetrics.from_parsed
    chunk = spool.chunk
    videos: list[VideoMetrics] = []
    sources: list[str] = []
    offset = 0
    for values, names in spool.blocks():
        videos.extend(map(build, values))
        sources.extend(names)
        del values, names  # a block's values are held only until its videos are built
        while len(videos) >= chunk:
            yield videos[:chunk], sources[:chunk], offset
            offset += chunk
            videos, sources = videos[chunk:], sources[chunk:]
    if videos:
        yield videos, sources, offset


class _FileFailed(Exception):
    def __init__(self, path: str, problems: list[Problem]):
        super().__init__(path)
        self.path = path
        self.problems = problems


def _videos(run: _Input, result: ImportResult, profile, dirs, on_file=None,
            fields: bool = False) -> Iterator[tuple[VideoMetrics, str]]:
    """Every video of the run's files, with the name of its file; one duplicate-id check across
    all of them.
    fields: each video's fields (a dict) instead of its VideoMetrics (iter_videos(fields=True)).
    A file that fails raises _FileFailed (when it is one of several) or the AdvisorError itself
    (when it is the only one, as review_paths() does)."""
    first_seen = SeenIds()
    for path in run.paths:
        if on_file is not None:
            on_file()
        try:
            for video in iter_videos([path], result, profile=profile, profile_dirs=dirs, stream=True,
                                     names=run.names, first_seen=first_seen, fields=fields):
                yield video, run.names.get(path, path)
        except AdvisorError as exc:
            if len(run.paths) == 1 and not run.unusable:
                raise
            raise _FileFailed(path, exc.problems) from None


def _empty_files(result: ImportResult, run: _Input) -> list[Problem]:
    """A file with nothing in it says so, by name (as review_paths() does)."""
    named = {p.file for p in [*run.unusable, *result.problems]}
    return [Problem(T(zh="没有视频:文件是空的、只有表头,或是一个空列表",
                      en="no videos: the file is empty, has only a header, or is an empty list"), file=info.path)
            for info in result.files if not info.videos and info.path not in named]


def _spool_stdin(paths: list[str], folder: Path, stdin) -> list[str]:
    """'-' becomes a temporary copy of standard input, read like a file (a table line by line)."""
    if STDIN not in paths:
        return paths
    stream = stdin if stdin is not None else sys.stdin.buffer
    target = folder / "stdin"
    with open(target, "wb") as handle:
        if isinstance(stream.read(0), str):  # a text stream (a test's injected input)
            handle.write(stream.read().encode("utf-8"))
        else:
            shutil.copyfileobj(stream, handle, 1 << 20)
    with open(target, "rb") as handle:
        head = handle.read(1 << 16)
    if looks_like_table(head):
        # A table: read line by line like a .csv file (the delimiter is sniffed either way).
        target = target.rename(folder / "stdin.csv")
    return [str(target) if p == STDIN else p for p in paths]
