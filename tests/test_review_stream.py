"""The streaming review (advisor.jobs.review_stream) writes the same report as the review held in
memory, whatever the chunk size, and JSON Lines carries the same videos and summary."""

from __future__ import annotations

import io
import json

import pytest

from advisor.core.errors import AdvisorError
from advisor.jobs.review import review_paths
from advisor.jobs.review_stream import stream_review
from advisor.core.columns import Strings
from advisor.jobs.review_report import report_tail, review_json
from advisor.render import emit
from advisor.render.emit import encode_json, render, write_json
from advisor.render import stream as stream_module
from advisor.render.stream import JsonLinesSink, JsonSink, TemplateSink

from conftest import EXAMPLES, run_cli

EXPORT = EXAMPLES / "wechat_channels_export.csv"
STEADY = EXAMPLES / "steady_account_export.csv"
BAD_ROWS = EXAMPLES / "wechat_channels_bad_rows.csv"
DOUYIN = EXAMPLES / "douyin_export.csv"

CASES = {
    "export": dict(paths=[EXPORT]),
    "steady": dict(paths=[STEADY]),
    "bad rows": dict(paths=[BAD_ROWS]),
    "two files": dict(paths=[EXPORT, DOUYIN]),
    "history": dict(paths=[EXPORT], history=str(STEADY)),
    "explain all": dict(paths=[STEADY], explain_all=True),
    "digest": dict(paths=[STEADY], top=3),
    "yaml": dict(paths=[EXAMPLES / "videos.yaml"]),
    "xlsx": dict(paths=[EXAMPLES / "wechat_channels_export.xlsx"]),
}


def streamed(ruleset, sink_class, lang="zh", chunk=None, **kwargs) -> str:
    out = io.StringIO()
    options = {"chunk": chunk} if chunk else {}
    stream_review([str(p) for p in kwargs.pop("paths")], ruleset, sink_class(out, lang), engine="python",
                  lang=lang, **options, **kwargs)
    return out.getvalue()


def in_memory(ruleset, lang="zh", **kwargs) -> str:
    result = review_paths([str(p) for p in kwargs.pop("paths")], ruleset, engine="python", langs=(lang,), **kwargs)
    return render(result, "json", lang)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("chunk", [None, 7])
def test_streamed_json_is_the_report_held_in_memory(ruleset, case, chunk):
    """Byte for byte: chunk 7 judges each chunk against the whole batch's false-discovery cutoff,
    which must give the verdicts of judging every video at once."""
    want = in_memory(ruleset, **CASES[case])
    got = streamed(ruleset, JsonSink, chunk=chunk, **CASES[case])
    assert got == want
    assert json.loads(got)["videos"] or CASES[case].get("top")


def test_english_report_streams_the_same(ruleset):
    assert streamed(ruleset, JsonSink, lang="en", paths=[STEADY]) == in_memory(ruleset, lang="en", paths=[STEADY])


@pytest.mark.parametrize("case", ["export", "digest", "bad rows"])
def test_json_lines_carry_the_same_videos_and_summary(ruleset, case):
    report = json.loads(in_memory(ruleset, **CASES[case]))
    lines = streamed(ruleset, JsonLinesSink, **CASES[case]).splitlines()
    assert all("\n" not in line for line in lines)
    *videos, last = [json.loads(line) for line in lines]
    assert videos == report["videos"]
    assert last == {k: v for k, v in report.items() if k != "videos"}
    assert set(last) >= {"summary", "errors"}


@pytest.mark.parametrize("sink_class", [JsonSink, JsonLinesSink])
@pytest.mark.parametrize("case", ["export", "digest"])
@pytest.mark.parametrize("gather", [None, 1, 700])
def test_json_sinks_write_the_same_text_to_any_text_file(ruleset, sink_class, case, gather, monkeypatch):
    """To a UTF-8 text file with a binary file under it (the report file, standard output) the
    JSON sinks write orjson's bytes straight to that binary file; to any other text file
    (StringIO, another encoding) they write text; either way gathered about a megabyte at a
    time (here also a byte and 700 bytes: handed on mid-entry and mid-report). The same report
    every way, in order with what the text file was given before and after."""
    want = streamed(ruleset, sink_class, **CASES[case])
    if gather:
        monkeypatch.setattr(stream_module._Utf8, "GATHER", gather)
    for encoding in ("utf-8", "utf-16"):
        raw = io.BytesIO()
        out = io.TextIOWrapper(raw, encoding=encoding, newline="")
        out.write("前")  # pending in the text layer when the sink starts
        stream_review([str(p) for p in CASES[case]["paths"]], ruleset, sink_class(out, "zh"), engine="python",
                      lang="zh", top=CASES[case].get("top"))
        out.write("后")
        out.flush()
        assert raw.getvalue().decode(encoding) == "前" + want + "后", encoding


@pytest.mark.parametrize("case", ["export", "two files", "history", "digest", "bad rows"])
def test_summary_ids_written_a_few_at_a_time_are_the_same_bytes(ruleset, case, monkeypatch):
    """The summary's id lists are written from their bytes a slice at a time (2 ids here, so
    every list of the examples spans slices): the JSON document and the JSON Lines summary line
    are byte for byte the in-memory review's."""
    monkeypatch.setattr(emit, "IDS_PER_SLICE", 2)
    assert streamed(ruleset, JsonSink, **CASES[case]) == in_memory(ruleset, **CASES[case])
    kwargs = dict(CASES[case])
    result = review_paths([str(p) for p in kwargs.pop("paths")], ruleset, engine="python", langs=("zh",), **kwargs)
    report = review_json(result, "zh")
    tail = encode_json({k: v for k, v in report.items() if k != "videos"}, indent=False)
    assert streamed(ruleset, JsonLinesSink, **CASES[case]).splitlines()[-1] == tail


IDS = ["plain", "", "视频号-甲", 'quote " and \\ backslash', "tab\tnew\nline", "\x00\x1f\x7f", "emoji 🎬",
       "\u2028\u2029", "/slash", "a" * 200]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_long_summary_lists_are_written_piecewise_as_encode_json_writes_them(ruleset, lang):
    """A summary whose lists are long (hundreds of ids against slices of 1 to 7, and one empty
    list), with ids that JSON escapes or keeps as UTF-8: the piecewise writer (indented, as in
    the JSON document, and on one line, as in JSON Lines) gives what encoding it in one piece
    gives."""
    result = review_paths([str(EXPORT)], ruleset, engine="python", langs=(lang,))
    summary = result.summary
    quadrants = list(summary.quadrants)
    for n in range(400):
        summary.quadrants[quadrants[n % 2]].append(IDS[n % len(IDS)] + str(n))
    for rule in summary.recurring[:2]:
        for n in range(50):
            rule["videos"].append(IDS[n % len(IDS)])
    summary.quadrants["unplaced"] = Strings()  # an empty list (not one the review leaves in)
    lazy = report_tail(result, lang, [], lazy=True)
    plain = report_tail(result, lang, [])
    assert isinstance(lazy["summary"]["quadrants"][quadrants[0]]["videos"], Strings)
    assert not any(isinstance(q["videos"], Strings) for q in plain["summary"]["quadrants"].values())
    assert plain["summary"]["quadrants"]["unplaced"]["videos"] == []
    for indent in (True, False):
        want = encode_json(plain, indent=indent)
        assert encode_json(lazy, indent=indent) == want  # Strings encode as lists
        for size in (1, 2, 7, 10_000):
            for level in (0, 1, 3):
                parts = []
                write_json(parts.append, lazy, indent=indent, level=level, slice_size=size)
                assert "".join(parts) == (want.replace("\n", "\n" + "  " * level) if indent else want)
        for key, value in lazy.items():  # key by key, as JsonSink writes the report's tail
            parts = []
            write_json(parts.append, value, indent=indent, level=1, slice_size=3)
            assert "".join(parts) == encode_json(plain[key], indent=indent).replace("\n", "\n  ")
    assert json.loads(encode_json(plain))["summary"]["quadrants"][quadrants[0]]["videos"][-1] == IDS[398 % 10] + "398"


def test_piecewise_summary_lists_stay_small_in_memory():
    """Writing 200,000 ids of a Strings holds a slice of them as str objects at a time: the
    peak of Python allocations stays a small fraction of encoding the list in one piece."""
    import tracemalloc

    ids = Strings(f"video-{n:08d}-视频" for n in range(200_000))
    written = [0]

    def write(text):
        written[0] += len(text)

    tracemalloc.start()
    try:
        write_json(write, {"summary": {"videos": ids}}, indent=True)
        piecewise = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        whole = encode_json({"summary": {"videos": ids.tolist()}})
        at_once = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert written[0] == len(whole)
    assert piecewise < 8 * 2**20 and 8 * piecewise < at_once


def test_standard_input_is_read_twice_from_a_spool(ruleset):
    text = STEADY.read_bytes()
    out = io.StringIO()
    result = stream_review(["-"], ruleset, JsonSink(out, "zh"), engine="python", lang="zh",
                           stdin=io.BytesIO(text), chunk=5)
    report = json.loads(out.getvalue())
    assert result.count == len(report["videos"]) == 30
    assert report["summary"]["files"][0]["path"] == "<stdin>"


def test_unusable_only_file_raises_like_review_paths(ruleset, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(AdvisorError) as streamed_error:
        stream_review([str(bad)], ruleset, JsonSink(io.StringIO(), "zh"), engine="python")
    with pytest.raises(AdvisorError) as memory_error:
        review_paths([str(bad)], ruleset, engine="python")
    assert streamed_error.value.problems == memory_error.value.problems


def test_an_unusable_file_among_others_is_listed_and_left_out(ruleset, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    kwargs = dict(paths=[bad, STEADY])
    assert streamed(ruleset, JsonSink, chunk=4, **dict(kwargs)) == in_memory(ruleset, **dict(kwargs))
    report = json.loads(streamed(ruleset, JsonSink, **dict(kwargs)))
    assert report["summary"]["reviewed"] == 30
    assert any(e["file"] == str(bad) for e in report["errors"])


def test_cli_jsonl_and_nothing_reviewed(tmp_path):
    out = tmp_path / "review.jsonl"
    result = run_cli("review", str(STEADY), "--format", "jsonl", "-o", str(out), "--lang", "en")
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 31
    assert json.loads(lines[-1])["summary"]["reviewed"] == 30

    empty = tmp_path / "header_only.csv"
    empty.write_text("视频ID,播放量\n", encoding="utf-8")
    target = tmp_path / "never.json"
    result = run_cli("review", str(empty), "--format", "json", "-o", str(target))
    assert result.exit_code == 2
    assert not target.exists()
    assert list(tmp_path.glob(".never.json.*")) == []  # no temporary file left behind


@pytest.mark.parametrize("fmt", ["text", "markdown"])
@pytest.mark.parametrize("case", ["export", "bad rows", "digest", "explain all", "two files"])
def test_streamed_text_and_markdown_are_the_report_held_in_memory(ruleset, fmt, case, monkeypatch):
    """The cards are rendered a few at a time (3 here) into a spool and the frame around them at
    the end; the text is the one rendering the whole report gives, colour codes included."""
    monkeypatch.setattr(TemplateSink, "CARDS_PER_RENDER", 3)
    for color in (False, True):
        kwargs = dict(CASES[case])
        result = review_paths([str(p) for p in kwargs.pop("paths")], ruleset, engine="python", langs=("en",), **kwargs)
        want = render(result, fmt, "en", color=color)
        out = io.StringIO()
        kwargs = dict(CASES[case])
        stream_review([str(p) for p in kwargs.pop("paths")], ruleset, TemplateSink(out, "en", fmt, color=color),
                      engine="python", lang="en", **kwargs)
        assert out.getvalue() == want


def test_percentile_levels_stream_the_same(tmp_path):
    """A rule folder that judges some levels by percentile (examples/my-rules): the survey then
    keeps those metrics' values, and the streamed report is still the one held in memory."""
    from advisor.input.ruleset import load_ruleset

    custom = load_ruleset([EXAMPLES / "my-rules"])
    for chunk in (None, 6):
        assert streamed(custom, JsonSink, chunk=chunk, paths=[EXPORT]) == in_memory(custom, paths=[EXPORT])


@pytest.mark.parametrize("case", ["export", "bad rows", "digest", "two files", "history"])
def test_streamed_html_is_the_page_held_in_memory(ruleset, case, monkeypatch):
    """The HTML page: the cards rendered a few at a time (3 here) into a spool, the frame and the
    charts at the end, each card's colour filled in as it is copied. The page equals the one
    built from the review held in memory, and the one the whole template renders at once (the
    web app's way: every card in one render)."""
    from advisor.core.templating import render_template
    from advisor.render.html_report import REVIEW_TEMPLATE, HtmlSink, review_context, review_html, templates_dir

    monkeypatch.setattr(HtmlSink, "CARDS_PER_RENDER", 3)
    kwargs = dict(CASES[case])
    result = review_paths([str(p) for p in kwargs.pop("paths")], ruleset, engine="python", langs=("en",), **kwargs)
    want = review_html(result, "en", levels=ruleset.levels)
    whole = render_template(templates_dir(), REVIEW_TEMPLATE, review_context(result, "en", levels=ruleset.levels), "en")
    assert want == whole
    out = io.StringIO()
    kwargs = dict(CASES[case])
    stream_review([str(p) for p in kwargs.pop("paths")], ruleset, HtmlSink(out, "en", levels=ruleset.levels),
                  engine="python", lang="en", card_medians=True, chunk=4, **kwargs)
    assert out.getvalue() == want
    assert want.count('<article class="card"') == (result.count if result.top is None else len(result.summary.picked))
    assert "\ue001" not in want and "\ue000" not in want  # no placeholder left


def test_streamed_html_samples_its_charts_above_the_limit(ruleset, monkeypatch):
    """Above `chart_points` videos the scatter charts draw a sample (every video of a rarer
    strongest advice first), the timeline a sample of the dated videos, and the captions say so
    in the page's language; every video keeps its card, a one-line card for a video where
    nothing stands out above FULL_CARDS videos. Streamed and in memory agree."""
    import re

    from advisor.render import html_report
    from advisor.render.html_report import HtmlSink, review_html

    monkeypatch.setattr(html_report, "FULL_CARDS", 20)
    monkeypatch.setattr(html_report, "LINKS_LISTED", 5)
    from advisor.render.charts import strongest
    from advisor.jobs.review_report import review_json

    for lang, word in (("en", "random sample"), ("zh", "随机抽取")):
        monkeypatch.setattr(html_report, "FULL_CARDS", 20)
        result = review_paths([str(STEADY)], ruleset, engine="python", langs=(lang,))
        limit = 8
        want = review_html(result, lang, levels=ruleset.levels, chart_points=limit)
        out = io.StringIO()
        stream_review([str(STEADY)], ruleset, HtmlSink(out, lang, levels=ruleset.levels, chart_points=limit),
                      engine="python", lang=lang, card_medians=True, chunk=7)
        assert out.getvalue() == want
        assert want.count('<article class="card') == result.count > limit
        quiet = sum(1 for v in review_json(result, lang)["videos"] if not v["findings"])
        assert want.count('<article class="card brief"') == quiet > 0
        assert 'id="brief-note"' in want
        assert ("in the video cards below" if lang == "en" else "见下方视频卡片") in want  # a long list, cut
        drawn = {m.group(1): int(m.group(2)) for m in re.finditer(r'data-chart="([\w-]+)" data-points="(\d+)"', want)}
        assert drawn and all(0 < n <= limit for n in drawn.values()), drawn
        assert want.count(word) == len(drawn)
        # The rarest strongest advice keeps all its videos in the scatter charts.
        counts, ids = {}, {}
        for video in review_json(result, lang)["videos"]:
            counts[strongest(video)] = counts.get(strongest(video), 0) + 1
            ids.setdefault(strongest(video), []).append(video["id"])
        rarest = min(counts, key=lambda k: (counts[k], k))
        assert counts[rarest] <= limit // len(counts)
        figure = want[want.index('data-chart="likes-hearts"'):want.index('data-chart="completion-hearts"')]
        assert all(f'data-video="{i}"' in figure for i in ids[rarest])
        monkeypatch.setattr(html_report, "FULL_CARDS", 5_000)
        unsampled = review_html(result, lang, levels=ruleset.levels)
        assert word not in unsampled and "brief" not in unsampled



def test_a_runaway_cards_template_still_trips_the_limits(ruleset, tmp_path, monkeypatch):
    """Each chunk of cards is rendered with its own budget, scaled to the chunk: a legitimate page
    of any size stays within it, a template that loops without end does not."""
    import shutil

    from advisor.core.errors import AdvisorError
    from advisor.core.paths import shipped_templates
    from advisor.render import html_report

    folder = tmp_path / "html"
    shutil.copytree(shipped_templates() / "html", folder)
    cards = folder / "review_cards.html.j2"
    cards.write_text("{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}\n" + cards.read_text(encoding="utf-8"),
                     encoding="utf-8")
    monkeypatch.setattr(html_report, "templates_dir", lambda: folder)
    with pytest.raises(AdvisorError) as raised:
        stream_review([str(STEADY)], ruleset, html_report.HtmlSink(io.StringIO(), "en", levels=ruleset.levels),
                      engine="python", lang="en", card_medians=True)
    text = raised.value.problems[0].format("en")
    assert "template limit reached" in text and "review_cards.html.j2" in text, text


def test_a_file_failing_after_rows_were_spooled_is_left_out(ruleset, tmp_path):
    """The survey starts again without the unusable file: what pass 1 spooled of the files before
    it is spooled again, once, so pass 2 reviews each good row once."""
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    kwargs = dict(paths=[STEADY, bad])
    got = streamed(ruleset, JsonSink, chunk=4, **dict(kwargs))
    assert got == in_memory(ruleset, **dict(kwargs))
    assert json.loads(got)["summary"]["reviewed"] == 30


class _Raises(JsonLinesSink):
    def entry(self, entry: dict) -> None:
        raise KeyboardInterrupt


def test_pass_two_reads_the_spool_not_the_files_and_the_spool_is_deleted(ruleset, tmp_path, monkeypatch):
    """Pass 2 reviews the rows pass 1 spooled: the export may be gone by then (it is not read
    again). The spool's temporary folder is deleted when the review ends, also when it is
    interrupted."""
    import tempfile

    spools = tmp_path / "tmp"
    spools.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spools))
    copy = tmp_path / "export.csv"
    copy.write_bytes(STEADY.read_bytes())

    class Deletes(JsonSink):
        def start(self, total, review):
            assert [p.name for p in spools.iterdir()][0].startswith("advisor-review-")
            copy.unlink()  # pass 1 is done
            super().start(total, review)

    out = io.StringIO()
    stream_review([str(copy)], ruleset, Deletes(out, "zh"), engine="python", lang="zh", chunk=7)
    assert out.getvalue() == in_memory(ruleset, paths=[STEADY]).replace(str(STEADY), str(copy))
    assert not list(spools.iterdir())
    with pytest.raises(KeyboardInterrupt):
        stream_review([str(STEADY)], ruleset, _Raises(io.StringIO(), "zh"), engine="python", lang="zh")
    assert not list(spools.iterdir())


def test_spool_blocks_smaller_than_a_chunk_make_whole_chunks(ruleset, monkeypatch):
    """Pass 1 pickles a few rows at a time; pass 2 still reviews partitions of `chunk` videos."""
    from advisor.jobs import review_stream

    monkeypatch.setattr(review_stream, "SPOOL_BLOCK", 3)
    sizes = []
    review = review_stream.review_partition

    def recorded(spec, videos, sources, offset, reviewer=None):
        sizes.append((offset, len(videos), len(sources)))
        return review(spec, videos, sources, offset, reviewer)

    monkeypatch.setattr(review_stream, "review_partition", recorded)
    assert streamed(ruleset, JsonSink, chunk=7, paths=[STEADY]) == in_memory(ruleset, paths=[STEADY])
    assert sizes == [(0, 7, 7), (7, 7, 7), (14, 7, 7), (21, 7, 7), (28, 2, 2)]


@pytest.mark.parametrize("sink_class", [JsonSink, JsonLinesSink])
def test_each_distinct_cta_is_encoded_once(ruleset, sink_class):
    """The videos of a review share a handful of CTA values: the JSON sinks encode each once
    (the report stays the one held in memory: test_streamed_json_is_the_report_held_in_memory)."""
    out = io.StringIO()
    sink = sink_class(out, "zh")
    result = stream_review([str(STEADY)], ruleset, sink, engine="python", lang="zh")
    lines = out.getvalue()
    videos = (json.loads(lines)["videos"] if sink_class is JsonSink
              else [json.loads(line) for line in lines.splitlines()[:-1]])
    distinct = {json.dumps(v["cta"], sort_keys=True) for v in videos}
    assert len(videos) == result.count > len(distinct) >= 1
    assert len(sink._ctas.encoded) == len(distinct)


def _spools_seen(monkeypatch):
    """The TailSpools of the reviews run: (chunks x groups judged from it, groups it had, spoiled)."""
    from advisor.jobs import tail_spool

    seen = []
    close = tail_spool.TailSpool.close

    def recorded(self):
        seen.append((self.used, len(self._files), set(self._spoiled)))
        close(self)

    monkeypatch.setattr(tail_spool.TailSpool, "close", recorded)
    return seen


@pytest.mark.parametrize("case", ["steady", "two files", "history", "explain all"])
def test_chunks_are_judged_with_the_tails_the_cutoff_computed(ruleset, case, monkeypatch):
    """batch_cutoff's tail probabilities are spooled and every chunk's judge reads them (none
    is computed twice), and the report is still the one held in memory."""
    from advisor.jobs import tail_spool
    from advisor.model import levels

    computed, phase = [], ["cutoff"]
    tails, close_writing = levels._Group.tails, tail_spool.TailSpool.close_writing

    def counted(self, x, n):
        computed.append((phase[0], len(x)))
        return tails(self, x, n)

    def cutoff_done(self):
        phase[0] = "chunks"
        close_writing(self)

    monkeypatch.setattr(levels._Group, "tails", counted)
    monkeypatch.setattr(tail_spool.TailSpool, "close_writing", cutoff_done)
    # Every group over arrays, however few its videos in a chunk of 7 (the same floats as the
    # scalar path below _SCALAR_BELOW, which reads no spool).
    monkeypatch.setattr(levels, "_SCALAR_BELOW", 1)
    seen = _spools_seen(monkeypatch)
    got = streamed(ruleset, JsonSink, chunk=7, **CASES[case])
    phase[0] = "in memory"
    assert got == in_memory(ruleset, **CASES[case])
    [(used, groups, spoiled)] = seen
    assert used >= groups > 0 and not spoiled
    assert sum(count for when, count in computed if when == "cutoff") > 0
    assert [count for when, count in computed if when == "chunks" and count] == []


def test_tails_out_of_step_with_the_chunks_are_computed_again(ruleset, monkeypatch):
    """A spooled row whose trials are not the chunk's is never used: the group's tails are
    computed from then on, and the report is the same."""
    from advisor.jobs import tail_spool
    from advisor.model import levels

    write = tail_spool.TailSpool.write

    def shifted(self, thresholds, x, n, tails):
        write(self, thresholds, x, n + 1, tails)  # rows that belong to other videos

    monkeypatch.setattr(tail_spool.TailSpool, "write", shifted)
    monkeypatch.setattr(levels, "_SCALAR_BELOW", 1)
    seen = _spools_seen(monkeypatch)
    assert streamed(ruleset, JsonSink, chunk=7, paths=[STEADY]) == in_memory(ruleset, paths=[STEADY])
    [(used, groups, spoiled)] = seen
    assert used == 0 and 0 < len(spoiled) <= groups  # (a group with no readable counts is never read)


def test_a_group_written_in_two_runs_is_not_used(tmp_path):
    """Rows of one group that do not come in one run are out of judge's order: never read."""
    import numpy as np

    from advisor.jobs.tail_spool import TailSpool

    a, b = object(), object()
    x, n = np.array([1.0, 2.0]), np.array([10.0, 20.0])
    tails = [(np.array([0.1, 0.2]), np.array([0.3, 0.4]))]
    with TailSpool(tmp_path) as spool:
        spool.write([a], x, n, tails)
        spool.write([b], x, n, tails)
        spool.write([a], x, n, tails)
        spool.close_writing()
        assert spool.read([a], x, n) is None
        [(high, low)] = spool.read([b], x, n)
        assert high.tolist() == [0.1, 0.2] and low.tolist() == [0.3, 0.4]
        assert spool.read([b], x, n) is None  # nothing more was written: cut short
        assert spool.used == 1


def test_pass_two_collects_less_often_while_collections_find_nothing(monkeypatch):
    """Each collection that finds no cycle doubles the chunks before the next (up to a bound);
    one that finds some brings it back to every chunk."""
    from advisor.jobs import review_stream

    import itertools

    found = itertools.chain([5, 0, 0, 0, 0, 0, 0, 3], itertools.repeat(0))
    when = []
    chunk = [0]

    def collect(generation):
        when.append(chunk[0])
        return next(found)

    monkeypatch.setattr(review_stream.gc, "collect", collect)
    monkeypatch.setattr(review_stream, "COLLECT_EVERY_AT_MOST", 8)
    collector = review_stream._ChunkCollector()
    for chunk[0] in range(1, 50):
        collector.chunk_done()
    assert when == [1, 2, 4, 8, 16, 24, 32, 40, 41, 43, 47]


def test_a_long_batch_is_surveyed_with_the_collector_tuned(ruleset, monkeypatch):
    """From pass 1's LONG_BATCH-th row on, the collector runs only between batches of rows (and
    pass 2's chunks); it is back on when the review ends, and the report is the same."""
    import gc

    from advisor.jobs import review_stream
    from advisor.jobs.review import Reviewer

    monkeypatch.setattr(review_stream, "LONG_BATCH", 10)
    states = []
    survey = Reviewer.survey

    def recorded(self, fact):
        states.append(gc.isenabled())
        return survey(self, fact)

    monkeypatch.setattr(Reviewer, "survey", recorded)
    got = streamed(ruleset, JsonSink, chunk=7, paths=[STEADY])
    assert states[:10] == [True] * 10 and set(states[10:]) == {False} and len(states) > 10
    assert gc.isenabled()
    assert got == in_memory(ruleset, paths=[STEADY])
