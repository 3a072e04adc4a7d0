"""advisor.jobs.review: the library behind `advisor review`, run on the bundled sample exports."""

from __future__ import annotations

import io
import operator
import re

import pytest

from advisor.jobs.cta import generate_cta
from advisor.core.errors import AdvisorError
from advisor.model.metrics import VideoMetrics
from advisor.jobs.review import GOAL_FOR_LEAD, review, review_paths
from advisor.jobs.review_report import review_json
from advisor.render.emit import render as render_review
from advisor.model.rules_model import PRIORITY_RANK
from advisor.input.ruleset import load_ruleset

from conftest import EXAMPLES, csv_data_rows, ruleset_in_mode

EXPORT = EXAMPLES / "wechat_channels_export.csv"
BAD_ROWS = EXAMPLES / "wechat_channels_bad_rows.csv"
DOUYIN = EXAMPLES / "douyin_export.csv"
OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
       "!=": operator.ne}


@pytest.fixture(scope="module")
def export_review(ruleset):
    return review_paths([str(EXPORT)], ruleset, engine="python", explain_all=True)


@pytest.fixture(scope="module")
def percentile_review(tmp_path_factory):
    """The export reviewed with `default_mode: percentile`: levels are the batch's P70 / P30."""
    rules = ruleset_in_mode("percentile", tmp_path_factory.mktemp("percentile"))
    return review_paths([str(EXPORT)], rules, engine="python", explain_all=True)


def one(ruleset, explain_all=False, history=None, **fields):
    fields.setdefault("id", "t1")
    fields.setdefault("form", "short_video")
    result = review([VideoMetrics(**fields)], ruleset, engine="python", explain_all=explain_all, history=history)
    return result, result.videos[0]


# --- the bundled export --------------------------------------------------------------------------


def test_every_row_of_the_export_is_reviewed(export_review):
    rows = csv_data_rows(EXPORT)
    assert len(export_review.videos) == len(rows)
    assert export_review.problems == []
    assert export_review.status == 0
    assert [vr.video.id for vr in export_review.videos] == [r[1] for r in rows]


def test_the_export_gets_advice_of_every_kind_its_numbers_support(percentile_review):
    fired = {f.rule.id for vr in percentile_review.videos for f in vr.findings}
    # Against the batch's own percentiles, the 视频号助手 sample covers the main diagnoses.
    assert {"short-lived-heat", "loyal-core", "emotion-gap", "depth-gap"} <= fired


def test_in_the_typical_mode_only_credible_gaps_give_advice(export_review):
    # The sample account's videos vary a lot, so against its own typical range only the
    # runaway like rates stand out: likes without hearts, and likes as an exploration lever.
    fired = {f.rule.id for vr in export_review.videos for f in vr.findings}
    assert {"likes-alone-mislead", "likes-for-exploration"} <= fired
    # ... and much less fires than against the percentiles, where 30% of videos are always "high".
    assert sum(len(vr.findings) for vr in export_review.videos) < 30
    levelled = 0
    for v in review_json(export_review, "en")["videos"]:
        for f in v["findings"]:
            for c in f["conditions"]:
                if c.get("level") and not c.get("negated") and c["value"] is not None:
                    assert c["threshold_source"]["kind"] == "typical", c
                    assert c["at_level"] is True and c["certainty"] >= 0.9, c
                    low, high = c["typical_range"]
                    assert c["value"] > high if c["op"] in (">", ">=") else c["value"] < low, c
                    levelled += 1
    assert levelled >= 10


def test_findings_are_ranked_by_priority_then_margin(export_review):
    seen_multi = False
    for vr in export_review.videos:
        keys = [(PRIORITY_RANK[f.rule.priority], -f.margin) for f in vr.findings]
        assert keys == sorted(keys)
        seen_multi |= len(vr.findings) > 1
    assert seen_multi


def test_each_condition_holds_with_its_value_threshold_and_source(export_review):
    checked = 0
    for vr in export_review.videos:
        for entry in review_json(export_review, "en")["videos"]:
            if entry["id"] != vr.video.id:
                continue
            for finding in entry["findings"]:
                assert finding["conditions"], finding["rule_id"]
                for cond in finding["conditions"]:
                    assert cond["source"]
                    if cond["op"] in OPS:
                        assert cond["metric"] in vr.fact
                        assert cond["value"] == pytest.approx(vr.fact[cond["metric"]], rel=1e-9)
                        assert OPS[cond["op"]](cond["value"], cond["threshold"]), cond
                        checked += 1
    assert checked > 20


def test_thresholds_come_from_the_batch_percentiles(percentile_review):
    n = len(percentile_review.videos)
    sources = {c["source"] for v in review_json(percentile_review, "en")["videos"]
               for f in v["findings"] for c in f["conditions"] if c.get("level")}
    assert sources and all(re.fullmatch(rf"P[37]0 of {n} short videos", s) for s in sources), sources


def test_typical_ranges_come_from_the_batch(export_review):
    n = len(export_review.videos)
    conditions = [c for v in review_json(export_review, "en")["videos"]
                  for f in v["findings"] for c in f["conditions"] if c.get("level")]
    sources = {c["source"] for c in conditions}
    assert sources == {f"the typical range of {n} short videos"}, sources
    assert all(c["threshold_source"]["n"] == n for c in conditions)
    # The batch, not the defaults, sets the range: the sample's like rates sit higher and wider
    # than the defaults' 1.50%-4.00% for short videos.
    like = next(c for c in conditions if c["metric"] == "like_rate")
    assert like["typical_range"] != [0.015, 0.04] and like["typical_range"][1] > 0.04


def test_missing_retention_is_said_and_completion_decides(percentile_review):
    # The export has no retention column; against its percentiles some videos show an emotion gap.
    export_review = percentile_review
    gaps = [(vr, f) for vr in export_review.videos for f in vr.findings if f.rule.id == "emotion-gap"]
    assert gaps
    vr, finding = gaps[0]
    assert "retention_rate" not in vr.fact
    data = next(v for v in review_json(export_review, "en")["videos"] if v["id"] == vr.video.id)
    f = next(f for f in data["findings"] if f["rule_id"] == "emotion-gap")
    assert "completion alone decides" in f["explanation"]
    assert {"completion_rate", "heart_rate"} <= {c["metric"] for c in f["conditions"]}
    assert f["signals"] == ["watched_through"]
    zh = next(v for v in review_json(export_review, "zh")["videos"] if v["id"] == vr.video.id)
    assert "只按完播率判断" in next(f for f in zh["findings"] if f["rule_id"] == "emotion-gap")["explanation"]


def test_explain_all_names_the_column_the_export_lacks(export_review):
    data = review_json(export_review, "en")
    reasons = {m["rule_id"]: m for v in data["videos"] for m in v["not_fired"]}
    assert set(reasons) and all(m["reason"] for m in reasons.values())
    drop = [m for v in data["videos"] for m in v["not_fired"] if m["rule_id"] == "drop-off"]
    assert drop
    assert any(f"needs retention rate; the export ({EXPORT}) has none" in m["reason"] for m in drop)
    # every video accounts for every active review rule: fired or explained
    active = {r.id for r in load_ruleset().active("review")}
    for v in data["videos"]:
        assert set(v["fired"]) | {m["rule_id"] for m in v["not_fired"]} == active


def test_a_douyin_export_says_it_has_no_hearts(ruleset):
    result = review_paths([str(DOUYIN)], ruleset, engine="python", explain_all=True)
    assert result.videos
    assert all("no-heart-data" in vr.fired for vr in result.videos)
    data = review_json(result, "en")
    loyal = [m for v in data["videos"] for m in v["not_fired"] if m["rule_id"] == "loyal-core"]
    assert loyal and all("has no hearts" in m["reason"] for m in loyal)
    assert all(m["missing"] for m in loyal)


# --- bad rows and unusable files -----------------------------------------------------------------


def test_bad_rows_are_listed_and_the_good_ones_reviewed(ruleset):
    result = review_paths([str(BAD_ROWS)], ruleset, engine="python")
    rows = csv_data_rows(BAD_ROWS)
    bad_rows = {p.row for p in result.problems}
    assert bad_rows and all(p.file == str(BAD_ROWS) for p in result.problems)
    assert all(p.column for p in result.problems)
    # nothing lost: every data row is either reviewed or listed
    assert len(result.videos) + len(bad_rows) == len(rows)
    assert result.status == 1
    errors = review_json(result, "zh")["errors"]
    assert {e["row"] for e in errors} == bad_rows
    assert all(set(e) >= {"row", "column", "message"} for e in errors)


def test_an_unusable_file_in_a_batch_is_listed_and_the_rest_reviewed(ruleset, tmp_path):
    missing = tmp_path / "nope.csv"
    result = review_paths([str(EXPORT), str(missing)], ruleset, engine="python")
    assert len(result.videos) == len(csv_data_rows(EXPORT))
    assert [p.file for p in result.problems] == [str(missing)]
    assert result.status == 1


def test_nothing_usable_raises(ruleset, tmp_path):
    with pytest.raises(AdvisorError) as info:
        review_paths([str(tmp_path / "a.csv"), str(tmp_path / "b.csv")], ruleset, engine="python")
    assert {p.file for p in info.value.problems} == {str(tmp_path / "a.csv"), str(tmp_path / "b.csv")}


def test_standard_input_is_read_once_even_when_a_batch_is_retried(ruleset, tmp_path):
    stdin = io.BytesIO((EXAMPLES / "video.json").read_bytes())
    result = review_paths(["-", str(tmp_path / "missing.csv")], ruleset, engine="python", stdin=stdin)
    assert [vr.video.id for vr in result.videos] == ["wx-2026-0620"]
    assert result.videos[0].source == "<stdin>"
    assert result.status == 1


# --- the heuristics, one video each way ---------------------------------------------------------


@pytest.mark.parametrize("heuristic, fires, quiet", [
    # With no history the typical range is the defaults' (e.g. short-video like rate 1.5%-4%);
    # each firing case is clearly beyond it given its views, each quiet one clearly not.
    ("H03", dict(views=20000, likes=1600, hearts=300, comments=10, shares=10, completion_rate=0.2),
     dict(views=20000, likes=1600, hearts=300, comments=120, shares=80, completion_rate=0.2)),
    ("H04", dict(views=10000, likes=300, hearts=200, comments=150, shares=100, completion_rate=0.35),
     dict(views=10000, likes=300, hearts=200, comments=30, shares=20, completion_rate=0.35)),
    ("H05", dict(views=20000, likes=1600, hearts=60, comments=100, shares=60, completion_rate=0.25),
     dict(views=20000, likes=300, hearts=100, comments=100, shares=60, completion_rate=0.25)),
    ("H10", dict(views=10000, likes=300, hearts=20, comments=40, shares=20, completion_rate=0.45),
     dict(views=10000, likes=300, hearts=20, comments=40, shares=20, completion_rate=0.45, retention_rate=0.2)),
    ("H11", dict(views=10000, likes=250, hearts=200, comments=50, shares=30, completion_rate=0.10),
     dict(views=10000, likes=250, hearts=200, comments=50, shares=30, completion_rate=0.35)),
    ("H18", dict(views=10000, likes=800, hearts=30, comments=60, shares=40, completion_rate=0.2),
     dict(views=10000, likes=500, hearts=150, comments=50, shares=30, completion_rate=0.25)),
    ("H19", dict(views=10000, likes=300, hearts=200, comments=30, shares=20, completion_rate=0.35),
     dict(views=10000, likes=300, hearts=30, comments=40, shares=20, completion_rate=0.25)),
])
def test_each_review_heuristic_fires_on_one_video_and_not_on_another(ruleset, heuristic, fires, quiet):
    _, hit = one(ruleset, **fires)
    _, miss = one(ruleset, **quiet)
    assert heuristic in {h for f in hit.findings for h in f.rule.heuristics}
    assert heuristic not in {h for f in miss.findings for h in f.rule.heuristics}


# --- CTA per video -------------------------------------------------------------------------------


def test_an_emotional_gap_leads_the_next_cta_with_the_heart(ruleset):
    result, vr = one(ruleset, views=10000, likes=300, hearts=20, comments=40, shares=20, completion_rate=0.45)
    assert vr.findings[0].rule.id == "emotion-gap"
    cta = review_json(result, "zh")["videos"][0]["cta"]
    assert cta["leads"] == "heart" and cta["reason"] == "emotion-gap"
    assert set(cta["tracks"]) == {"like", "heart"} and all(cta["tracks"].values())
    # the same templates as `advisor cta`: identical text for the same choices
    expected = generate_cta(goal=GOAL_FOR_LEAD["heart"], form="short_video", lang="zh", lead="heart")[0]
    assert cta["tracks"] == expected.tracks


def test_short_lived_heat_asks_for_comments_and_a_return_visit(ruleset):
    result, vr = one(ruleset, views=20000, likes=1600, hearts=300, comments=10, shares=10, completion_rate=0.2)
    assert vr.findings[0].rule.id == "short-lived-heat"
    for lang in ("zh", "en"):
        cta = review_json(result, lang)["videos"][0]["cta"]
        assert cta["focus"] == "comments_and_return"
        assert cta["extra"] and cta["extra"] in cta["script"]
        expected = generate_cta(goal="exposure", form="short_video", lang=lang, lead="like",
                                focus="comments_and_return")[0]
        assert cta["extra"] == expected.extra


def test_no_diagnosis_leaves_the_lead_to_the_cta_default(ruleset):
    result, vr = one(ruleset, views=10000, likes=200, hearts=60, comments=40, shares=20, completion_rate=0.2)
    assert not any(f.rule.then.cta_lead for f in vr.findings)
    cta = review_json(result, "en")["videos"][0]["cta"]
    assert cta["reason"] is None
    assert cta["tracks"]["like"] and cta["tracks"]["heart"]


def test_review_ctas_pass_the_cta_lint(export_review, ruleset):
    from advisor.jobs.cta_check import check_text

    checked = 0
    for lang in ("zh", "en"):
        for v in review_json(export_review, lang)["videos"]:
            cta = v["cta"]
            assert cta["lint"] == {"clean": True, "findings": []}, cta
            # the same lint as `advisor cta check`, run here independently on every line
            for text in [*cta["tracks"].values(), cta["script"]]:
                assert check_text(text, ruleset).clean, text
                checked += 1
    assert checked >= 3 * 2 * len(export_review.videos)


def test_a_cta_that_breaks_the_lint_is_flagged_in_the_report(ruleset, tmp_path, monkeypatch):
    """A user cta rule that objects to the generated wording shows up in the review's CTA."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "strict.yaml").write_text("""\
- id: no-see-you
  heuristics: [H13]
  stage: cta
  when: {metric: text, op: contains, value: ["推荐给", "recommend"]}
  then:
    title: {zh: 不许说推荐, en: no talk of recommending}
    suggestion: {zh: 删掉, en: drop it}
""", encoding="utf-8")
    strict = load_ruleset([folder])
    result, _ = one(strict, views=10000, likes=300, hearts=20, comments=40, shares=20, completion_rate=0.45)
    cta = review_json(result, "zh")["videos"][0]["cta"]
    assert cta["lint"]["clean"] is False
    assert [f["rule_id"] for f in cta["lint"]["findings"]] == ["no-see-you"]
    assert "⚠ 号召检查: 不许说推荐 (「推荐给」) - 删掉" in render_review(result, "text", "zh")
    assert "⚠ CTA check: no talk of recommending" in render_review(result, "markdown", "en")
    # the shipped rules find nothing to flag in the same CTA
    clean, _ = one(ruleset, views=10000, likes=300, hearts=20, comments=40, shares=20, completion_rate=0.45)
    assert "⚠" not in render_review(clean, "text", "zh")


# --- both languages; rendering --------------------------------------------------------------------


def test_both_languages_are_complete(export_review):
    zh, en = review_json(export_review, "zh"), review_json(export_review, "en")
    han = re.compile(r"[\u4e00-\u9fff]")
    for vz, ve in zip(zh["videos"], en["videos"]):
        for fz, fe in zip(vz["findings"], ve["findings"]):
            assert fz["rule_id"] == fe["rule_id"]
            assert han.search(fz["title"]) and han.search(fz["explanation"])
            assert not han.search(fe["title"])
            assert all(han.search(a) for a in fz["actions"])


def test_text_and_markdown_show_every_video_strongest_advice_first(export_review):
    for fmt in ("text", "markdown"):
        for lang in ("zh", "en"):
            out = render_review(export_review, fmt, lang)
            data = review_json(export_review, lang)
            pos = -1
            for v in data["videos"]:
                title_at = out.index(v["title"], pos + 1)
                assert title_at > pos
                pos = title_at
                if len(v["findings"]) > 1:
                    first, second = v["findings"][0]["title"], v["findings"][1]["title"]
                    assert out.index(first, title_at) < out.index(second, title_at)
            assert "\x1b[" not in out


def test_colour_is_only_added_when_asked(export_review):
    plain = render_review(export_review, "text", "en", color=False)
    coloured = render_review(export_review, "text", "en", color=True)
    assert "\x1b[" not in plain and "\x1b[" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain
    assert "\x1b[" not in render_review(export_review, "markdown", "en", color=True)


def test_markdown_lists_bad_rows_in_a_table(ruleset):
    result = review_paths([str(BAD_ROWS)], ruleset, engine="python")
    out = render_review(result, "markdown", "en")
    assert "## Rows that could not be reviewed" in out
    for p in result.problems:
        assert f"| {p.row} | {p.column} |" in out


def test_a_single_video_has_no_account_summary_section(ruleset):
    result, _ = one(ruleset, views=10000, likes=300, hearts=20, comments=40, shares=20, completion_rate=0.45)
    assert "Account at a glance" not in render_review(result, "text", "en")
    assert "Account at a glance" in render_review(review_paths([str(EXPORT)], ruleset, engine="python"),
                                                  "text", "en")


def test_both_engines_give_the_same_review(ruleset):
    from advisor.engine import durable_import_error

    if durable_import_error() is not None:
        pytest.skip(f"durable_rules does not import here: {durable_import_error()}")
    paths = [str(EXPORT), str(EXAMPLES / "videos.yaml")]
    by_engine = {}
    for engine in ("python", "durable"):
        data = review_json(review_paths(paths, ruleset, engine=engine, explain_all=True), "en")
        data["summary"].pop("engine")
        by_engine[engine] = data
    assert by_engine["python"] == by_engine["durable"]


def test_control_characters_from_the_export_never_reach_the_terminal(ruleset, tmp_path):
    path = tmp_path / "evil.json"
    path.write_text('[{"id": "v\\u001b[2J", "title": "clear\\u001b]0;owned\\u0007 screen", "views": 100, '
                    '"likes": 5, "hearts": 1}]', encoding="utf-8")
    result = review_paths([str(path)], ruleset, engine="python")
    for fmt in ("text", "markdown"):
        out = render_review(result, fmt, "en")
        assert "\x1b" not in out and "\x07" not in out
        assert "clear\\x1b]0;owned\\x07 screen" in out
    # the JSON keeps the data as it was (json.dumps escapes it)
    assert review_json(result, "en")["videos"][0]["title"] == "clear\x1b]0;owned\x07 screen"


def test_a_condition_under_not_is_explained_as_the_comparison_that_held(ruleset):
    result, vr = one(ruleset, views=10000, likes=800, hearts=30, comments=60, shares=40, completion_rate=0.2)
    finding = next(f for f in review_json(result, "en")["videos"][0]["findings"]
                   if f["rule_id"] == "likes-for-exploration")
    by_metric = {c["metric"]: c for c in finding["conditions"]}
    heart = by_metric["heart_rate"]
    assert heart["op"] == "<" and heart["negated"] is True  # `not: heart_rate high` (>=)
    assert heart["value"] < heart["threshold"]
    assert heart["at_level"] is False and heart["result"] is False
    # One video is no history: it is judged against the defaults, not against itself.
    assert "heart rate 0.30%; with no history to compare, by the defaults short videos usually sit " \
           "between 0.50% and 1.20%, and this one is below it" in finding["explanation"]
    # it fired because short-lived heat did not: that signal is listed as absent, not as held
    assert finding["signals"] == [] and finding["without_signals"] == ["short_lived_heat"]
    assert "short-lived-heat" not in vr.fired
