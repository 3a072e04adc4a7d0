"""The streaming review (advisor.jobs.review_stream) writes the same report as the review held in
memory, whatever the chunk size, and JSON Lines carries the same videos and summary."""

from __future__ import annotations

import io
import json

import pytest

from advisor.core.errors import AdvisorError
from advisor.jobs.review import review_paths
from advisor.jobs.review_stream import stream_review
from advisor.render.emit import render
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
