"""`advisor tiers` and advisor.jobs.tiers on the bundled viewers file (examples/viewers.csv)."""

from __future__ import annotations

import csv
import json
import math
import statistics
from pathlib import Path

import pytest

from advisor.core.errors import AdvisorError
from advisor.jobs.tiers import TIERS, load_viewers, run_tiers

from conftest import EXAMPLES
from conftest import run_cli_output as run

VIEWERS = str(EXAMPLES / "viewers.csv")


@pytest.fixture(scope="module")
def rows():
    with open(VIEWERS, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def result(ruleset):
    return run_tiers(VIEWERS, ruleset, engine="python")


def _p(values, p):
    # numpy's default percentile ('linear', type 7) is statistics.quantiles(method="inclusive")
    return statistics.quantiles(sorted(values), n=100, method="inclusive")[p - 1]


def test_every_viewer_is_in_exactly_one_tier(result, rows):
    ids = [v.id for tier in result.tiers for v in tier.viewers]
    assert sorted(ids) == sorted(r["观众ID"] for r in rows)
    assert [t.name for t in result.tiers] == list(TIERS)
    assert sum(t.fact["share"] for t in result.tiers) == pytest.approx(1.0)


def test_thresholds_are_percentiles_of_this_population_with_the_rules_floors(result, rows):
    hearts = [int(r["小红心"]) for r in rows]
    likes = [int(r["点赞"]) for r in rows]
    p90, p75 = _p(hearts, 90), _p(likes, 75)
    core_line = next(t for t in result.thresholds["core_heart_givers"] if t.kind == "percentile")
    liker_line = next(t for t in result.thresholds["active_likers"] if t.kind == "percentile")
    assert core_line.value == pytest.approx(p90) and core_line.n == len(rows) and core_line.percentile == 90
    assert liker_line.value == pytest.approx(p75)
    core_min, liker_min = max(p90, 2), max(p75, 3)  # the floors in rules/segments.yaml
    tier_of = {v.id: t.name for t in result.tiers for v in t.viewers}
    for r in rows:
        h, lk = int(r["小红心"]), int(r["点赞"])
        expected = "core_heart_givers" if h >= core_min else "active_likers" if lk >= liker_min else "others"
        assert tier_of[r["观众ID"]] == expected, r["观众ID"]


def test_tier_facts_are_computed_from_the_members(result, rows):
    core = result.tiers[0]
    members = {v.id for v in core.viewers}
    member_rows = [r for r in rows if r["观众ID"] in members]
    total_hearts = sum(int(r["小红心"]) for r in rows)
    assert core.fact["viewers"] == len(member_rows)
    assert core.fact["hearts_share"] == pytest.approx(sum(int(r["小红心"]) for r in member_rows) / total_hearts)
    assert core.fact["avg_visits"] == pytest.approx(statistics.mean(int(r["访问"]) for r in member_rows))
    likers = result.tiers[1]
    assert likers.fact["with_hearts"] == sum(1 for v in likers.viewers if v.hearts > 0)


def test_actions_per_tier_come_from_the_segment_rules(result):
    fired = {t.name: {f.rule.id for f in t.findings} for t in result.tiers}
    assert "tier-core-respond" in fired["core_heart_givers"]
    assert "tier-likers-keep-warm" in fired["active_likers"]
    if result.tiers[1].fact["with_hearts"]:
        assert "tier-likers-converting" in fired["active_likers"]


def test_nothing_but_ids_is_ever_printed(rows):
    nicknames = {r["昵称"] for r in rows}
    for fmt in ("text", "markdown", "json"):
        for lang in ("en", "zh"):
            code, out = run("tiers", VIEWERS, "--format", fmt, "--lang", lang, "--engine", "python", "--max-ids", "500")
            assert code == 0
            assert not [n for n in nicknames if n in out], fmt
            assert "昵称" in out  # the column is named as not read, its contents never shown


def test_no_ids_gives_counts_only():
    code, out = run("tiers", VIEWERS, "--format", "json", "--no-ids", "--engine", "python")
    data = json.loads(out)
    assert all("ids" not in tier for tier in data["tiers"])
    assert sum(tier["viewers"] for tier in data["tiers"]) == data["population"]
    code, out = run("tiers", VIEWERS, "--no-ids", "--engine", "python")
    assert "fan-0" not in out


def test_text_report_shows_thresholds_and_actions_in_both_languages():
    code, out = run("tiers", VIEWERS, "--engine", "python", "--lang", "en")
    assert code == 0
    assert "Thresholds" in out and "P90 of these 150 viewers" in out and "floor set in the rule" in out
    assert "Q&A" in out
    code, out = run("tiers", VIEWERS, "--engine", "python", "--lang", "zh")
    assert "分层门槛" in out and "核心小红心粉丝" in out and "问答" in out


def write(path: Path, text: str, encoding="utf-8") -> str:
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_bad_rows_are_listed_without_their_contents_and_the_rest_counted(tmp_path, ruleset):
    path = write(tmp_path / "v.csv", "viewer_id,likes,hearts,phone\n"
                                     "a1,3,1,13800000000\n"
                                     "a2,13800000000x,0,13900000000\n"
                                     ",4,0,\n"
                                     "a1,5,5,\n"
                                     "a3,2,-1,\n")
    viewers = load_viewers(path)
    assert [v.id for v in viewers.viewers] == ["a1"]
    found = {(p.row, p.column) for p in viewers.problems}
    assert found == {(2, "likes"), (3, "viewer_id"), (4, "viewer_id"), (5, "hearts")}
    text = "\n".join(p.format("en") for p in viewers.problems)
    assert "13800000000" not in text and "1390" not in text
    assert "duplicate viewer id" in text
    assert viewers.unused_columns == ["phone"]
    code, out = run("tiers", path, "--engine", "python")
    assert code == 1 and "row 2, column 'likes'" in out and "13800000000" not in out


def test_a_missing_required_column_stops_with_exit_2(tmp_path):
    path = write(tmp_path / "v.csv", "viewer_id,likes,comments\na1,3,1\n")
    code, out = run("tiers", path, "--engine", "python")
    assert code == 2 and "hearts" in out and "小红心" in out and "Traceback" not in out


def test_english_headers_tabs_and_gb18030(tmp_path, ruleset):
    tsv = write(tmp_path / "v.tsv", "Viewer ID\tLikes\tHearts\tVisits\nx\t9\t0\t2\ny\t1\t4\t8\n")
    viewers = load_viewers(tsv)
    assert [(v.id, v.likes, v.hearts, v.visits) for v in viewers.viewers] == [("x", 9, 0, 2), ("y", 1, 4, 8)]
    gbk = write(tmp_path / "g.csv", "观众ID,点赞,小红心\n甲,6,0\n乙,1,3\n", encoding="gb18030")
    assert [v.id for v in load_viewers(gbk).viewers] == ["甲", "乙"]


def test_a_small_population_uses_the_absolute_thresholds(tmp_path, ruleset):
    path = write(tmp_path / "v.csv", "观众ID,点赞,小红心\n甲,6,0\n乙,1,3\n丙,0,0\n")
    result = run_tiers(path, ruleset, engine="python")
    tiers = {t.name: [v.id for v in t.viewers] for t in result.tiers}
    assert tiers == {"core_heart_givers": ["乙"], "active_likers": ["甲"], "others": ["丙"]}
    lines = [t for lines in result.thresholds.values() for t in lines]
    assert {t.kind for t in lines if t.metric} == {"absolute", "rule"}
    assert "too few viewers" in lines[0].describe("en")


def test_an_empty_file_or_no_usable_row_is_exit_2(tmp_path, ruleset):
    with pytest.raises(AdvisorError):
        load_viewers(write(tmp_path / "e.csv", ""))
    code, out = run("tiers", write(tmp_path / "b.csv", "观众ID,点赞,小红心\n甲,x,0\n"), "--engine", "python")
    assert code == 2 and "no usable viewer row" in out


def test_engines_agree_on_the_example():
    from advisor.engine import durable_import_error

    if durable_import_error() is not None:
        pytest.skip("durable_rules does not import here")
    outs = [json.loads(run("tiers", VIEWERS, "--format", "json", "--engine", e)[1]) for e in ("python", "durable")]
    for data in outs:
        data.pop("engine")
    assert outs[0] == outs[1]
    assert math.isclose(sum(t["share"] for t in outs[0]["tiers"]), 1.0, abs_tol=1e-3)


