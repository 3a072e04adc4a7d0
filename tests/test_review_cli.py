"""`advisor review` end to end: formats, languages, exit codes, stdin, atomic output, examples."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from advisor.cli.review_cmd import use_color

from conftest import EXAMPLES, HAN, csv_data_rows, run_cli

pytestmark = pytest.mark.usefixtures("clean_env")

EXPORT = EXAMPLES / "wechat_channels_export.csv"
BAD_ROWS = EXAMPLES / "wechat_channels_bad_rows.csv"


def run(*args, input=None, env=None):
    return run_cli("review", *args, "--engine", "python", input=input, env=env)


# --- the issue's command line --------------------------------------------------------------------


def test_zh_text_review_of_the_export():
    result = run(EXPORT, "--lang", "zh")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "视频复盘" in out and "账号概览" in out and "下一条视频" in out
    assert out.count("━━ ") == len(csv_data_rows(EXPORT))
    assert "\x1b[" not in out  # not a terminal


def test_en_text_review_of_the_export():
    result = run(EXPORT, "--lang", "en")
    assert result.exit_code == 0
    assert "Video review" in result.stdout and "Next video:" in result.stdout
    # the advice itself is in English (titles of videos stay as the creator wrote them)
    advice = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert advice and not any(HAN.search(line.split("(")[0]) for line in advice)


def test_lang_defaults_from_the_locale():
    zh = run(EXPORT, env={"LANG": "zh_CN.UTF-8"})
    en = run(EXPORT, env={"LANG": "en_GB.UTF-8"})
    assert "视频复盘" in zh.stdout and "Video review" not in zh.stdout
    assert "Video review" in en.stdout and "视频复盘" not in en.stdout


def test_lang_defaults_from_the_config(tmp_path):
    (tmp_path / "advisor.yaml").write_text("lang: zh\n", encoding="utf-8")
    result = run(EXPORT, env={"LANG": "en_US.UTF-8"})
    assert result.exit_code == 0, result.output
    assert "视频复盘" in result.stdout


def test_json_keys_are_exactly_the_issues():
    result = run(EXPORT, "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert {"videos", "summary", "errors"} <= set(data)
    assert data["errors"] == []
    assert len(data["videos"]) == len(csv_data_rows(EXPORT))
    with_findings = [v for v in data["videos"] if v["findings"]]
    assert with_findings
    for v in data["videos"]:
        assert {"id", "title", "findings", "cta"} <= set(v)
        assert {"tracks", "leads"} <= set(v["cta"])
        assert set(v["cta"]["tracks"]) == {"like", "heart"}
        assert v["cta"]["leads"] in ("like", "heart")
        for f in v["findings"]:
            assert {"rule_id", "heuristics", "priority", "title", "explanation", "conditions", "actions"} <= set(f)
            assert f["priority"] in ("high", "medium", "low")
            assert all(re.fullmatch(r"H\d\d", h) for h in f["heuristics"])
            assert f["actions"] and all(isinstance(a, str) and a for a in f["actions"])
            for c in f["conditions"]:
                assert {"metric", "value", "op", "threshold", "source"} <= set(c)
    assert isinstance(data["summary"], dict) and data["summary"]["reviewed"] == len(data["videos"])


def test_markdown_is_ready_to_paste():
    result = run(EXPORT, "--lang", "en", "--format", "markdown")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("# Video review")
    assert "| Quadrant | Videos | What it means |" in out
    assert out.count("\n### ") >= len(csv_data_rows(EXPORT))


# --- exit codes, bad rows, nothing usable ---------------------------------------------------------


def test_bad_rows_are_listed_the_rest_reviewed_exit_1():
    result = run(BAD_ROWS, "--format", "json", "--lang", "en")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    rows = {e["row"] for e in data["errors"]}
    assert rows and len(data["videos"]) + len(rows) == len(csv_data_rows(BAD_ROWS))
    assert all(e["column"] and e["message"] for e in data["errors"])
    # a program reads the JSON; a person watching still sees the bad rows on standard error
    for e in data["errors"]:
        assert f"row {e['row']}" in result.stderr


def test_bad_rows_in_the_text_report():
    result = run(BAD_ROWS, "--lang", "zh")
    assert result.exit_code == 1
    assert "以下行未能复盘" in result.stdout
    assert "第 " in result.stdout and "列「" in result.stdout


def test_nothing_reviewable_exits_2_without_a_report(tmp_path):
    header_only = tmp_path / "empty.csv"
    header_only.write_text(EXPORT.read_text(encoding="utf-8-sig").splitlines()[0] + "\n", encoding="utf-8")
    result = run(header_only, "--lang", "en")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "nothing could be reviewed" in result.stderr


def test_all_rows_bad_exits_2_and_lists_them(tmp_path):
    rows = list(csv.reader(io.StringIO(EXPORT.read_text(encoding="utf-8-sig"))))
    header, first = rows[0], list(rows[1])
    first[header.index("播放量")] = "abc"
    bad = tmp_path / "bad.csv"
    with bad.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, first])
    result = run(bad, "--lang", "en", "-o", tmp_path / "out.txt")
    assert result.exit_code == 2
    assert "row 1, column '播放量'" in result.stderr
    assert not (tmp_path / "out.txt").exists()


def test_a_missing_file_is_a_located_error_exit_2(tmp_path):
    result = run(tmp_path / "nope.csv", "--lang", "zh")
    assert result.exit_code == 2
    assert "nope.csv" in result.stderr and "文件不存在" in result.stderr
    assert "Traceback" not in result.output


def test_a_missing_file_among_good_ones_exit_1(tmp_path):
    result = run(EXPORT, tmp_path / "nope.csv", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert len(data["videos"]) == len(csv_data_rows(EXPORT))
    assert [e["file"] for e in data["errors"]] == [str(tmp_path / "nope.csv")]


# --- stdin, --output, --explain-all, --history ----------------------------------------------------


def test_stdin():
    result = run("-", "--format", "json", input=(EXAMPLES / "video.json").read_bytes())
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [v["id"] for v in data["videos"]] == ["wx-2026-0620"]


def test_stdin_csv():
    result = run("-", "--lang", "zh", input=EXPORT.read_bytes())
    assert result.exit_code == 0
    assert result.stdout.count("━━ ") == len(csv_data_rows(EXPORT))


def test_output_is_written_to_the_file_only(tmp_path):
    target = tmp_path / "report.md"
    result = run(EXPORT, "--format", "markdown", "-o", target)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8").startswith("# ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]


def test_output_is_atomic_when_interrupted(tmp_path, monkeypatch):
    import advisor.core.output

    target = tmp_path / "report.txt"
    target.write_text("the previous report\n", encoding="utf-8")

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(advisor.core.output.os, "replace", interrupted)
    result = run(EXPORT, "-o", target)
    assert result.exit_code == 130
    assert target.read_text(encoding="utf-8") == "the previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]  # no temporary file left


def test_explain_all_says_why_other_rules_did_not_fire():
    plain = json.loads(run(EXPORT, "--format", "json").stdout)
    assert all("not_fired" not in v for v in plain["videos"])
    result = run(EXPORT, "--format", "json", "--explain-all", "--lang", "en")
    data = json.loads(result.stdout)
    for v in data["videos"]:
        assert v["not_fired"]
        for m in v["not_fired"]:
            assert m["reason"] and m["rule_id"] not in v["fired"]
    reasons = " ".join(m["reason"] for v in data["videos"] for m in v["not_fired"])
    assert "needs retention rate; the export (" in reasons and ") has none" in reasons
    text = run(EXPORT, "--explain-all", "--lang", "zh").stdout
    assert "未触发的规则" in text and "需要留存率" in text


def _runaway_likes(tmp_path):
    """One short video whose like rate (12% of 50,000 views) is far beyond any typical range."""
    path = tmp_path / "runaway.json"
    path.write_text(json.dumps({"id": "runaway", "title": "a runaway like rate", "form": "short_video",
                                "views": 50000, "likes": 6000, "hearts": 100, "comments": 40, "shares": 20,
                                "completion_rate": 0.25}), encoding="utf-8")
    return path


def test_history_sets_the_baseline(tmp_path):
    video = _runaway_likes(tmp_path)
    result = run(video, "--history", EXPORT, "--format", "json", "--lang", "en")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    n = len(csv_data_rows(EXPORT))
    assert data["summary"]["baseline"]["kind"] == "history"
    levelled = [c for v in data["videos"] for f in v["findings"] for c in f["conditions"] if c.get("level")]
    sources = {c["source"] for c in levelled}
    assert sources and all(f"of {n} short videos" in s for s in sources), sources
    # Without the history the video is its own one-video baseline: other ranges, other sources.
    alone = json.loads(run(video, "--format", "json", "--lang", "en").stdout)
    alone_levelled = [c for v in alone["videos"] for f in v["findings"] for c in f["conditions"] if c.get("level")]
    assert not any(f"of {n} short videos" in c["source"] for c in alone_levelled)
    ranges = lambda conds: {c["metric"]: c["typical_range"] for c in conds}  # noqa: E731
    assert ranges(levelled)["like_rate"] != ranges(alone_levelled)["like_rate"]


def test_rules_folder_switches_a_shipped_rule_off(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "off.yaml").write_text("- {id: answer-heart-givers, enabled: false}\n", encoding="utf-8")
    # A steady account with one clearly hearted video and one with runaway likes.
    videos = [{"id": "hearts", "title": "hearts", "form": "short_video", "views": 20000, "likes": 600, "hearts": 500,
               "comments": 150, "shares": 100, "completion_rate": 0.3},
              {"id": "likes", "title": "likes", "form": "short_video", "views": 50000, "likes": 6000, "hearts": 100,
               "comments": 40, "shares": 20, "completion_rate": 0.25}]
    videos += [{"id": f"plain{i}", "title": f"plain {i}", "form": "short_video", "views": 10000 + 1000 * i,
                "likes": 280 + 10 * i, "hearts": 70 + 5 * i, "comments": 40 + i, "shares": 30,
                "completion_rate": 0.2 + 0.01 * i} for i in range(6)]
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps(videos), encoding="utf-8")
    shipped = json.loads(run(batch, "--format", "json").stdout)
    mine = json.loads(run(batch, "--format", "json", "--rules", folder).stdout)
    rule_ids = lambda data: {f["rule_id"] for v in data["videos"] for f in v["findings"]}  # noqa: E731
    assert "answer-heart-givers" in rule_ids(shipped)
    assert len(rule_ids(shipped)) > 1  # the other rules still have something to say
    assert rule_ids(mine) == rule_ids(shipped) - {"answer-heart-givers"}


def test_a_bad_rules_folder_is_a_located_error(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "bad.yaml").write_text("- id: x\n  heuristics: [H10]\n  stage: review\n  when: {metric: heart_rat, level: low}\n"
                                     "  then: {title: {zh: 标题, en: title}}\n", encoding="utf-8")
    result = run(EXPORT, "--rules", folder)
    assert result.exit_code == 2
    assert f"{folder / 'bad.yaml'}:4:" in result.stderr and "heart_rate" in result.stderr
    assert result.stdout == ""


def test_an_unknown_column_is_reported_once_not_dropped_silently(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("视频ID,播放量,喜欢,推荐,神秘列\nv1,1000,50,10,x\nv2,2000,70,30,y\n", encoding="utf-8")
    result = run_cli("review", str(path), "--lang", "en", "--format", "json")
    assert result.exit_code == 0
    notices = [line for line in result.stderr.splitlines() if "神秘列" in line]
    assert notices == [f"{path}: unrecognised columns (not imported): 神秘列; map them in a platform profile to use them"]
    assert json.loads(result.stdout)["summary"]["files"][0]["ignored_columns"] == ["神秘列"]


def test_a_douyin_exports_next_cta_asks_for_its_one_heart_not_a_private_like():
    """The CTA written for each reviewed video follows the platform of the export it came from."""
    import json as _json

    out = run_cli("review", str(EXAMPLES / "douyin_export.csv"), "--format", "json", "--lang", "en").stdout
    cta = _json.loads(out)["videos"][0]["cta"]
    assert cta["platform"] == "douyin" and cta["tracks"]["heart"] is None
    assert "❤" in cta["tracks"]["like"] and "♡" not in cta["script"]
    text = run_cli("review", str(EXAMPLES / "douyin_export.csv"), "--lang", "en").stdout
    assert "♡ None" not in text and "♡" not in text.split("Closing call to action")[1].split("━━")[0]
    wechat = _json.loads(run_cli("review", str(EXAMPLES / "wechat_channels_export.csv"), "--format", "json",
                                 "--lang", "en").stdout)["videos"][0]["cta"]
    assert wechat["platform"] == "wechat_channels" and "recommend" in wechat["tracks"]["heart"]
