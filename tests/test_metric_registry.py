"""The metric registry (advisor.model.metrics.METRICS): one declaration per metric, every list derived."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from advisor.core.i18n import T
from advisor.model import metrics
from advisor.model.metrics import (DERIVED, FIELDS, METRICS, NUMERIC_KINDS, VIEWS, MetricSpec, VideoMetrics,
                                   metric_view, metrics_for)

from conftest import EXAMPLES

ROOT = Path(__file__).resolve().parents[1]
EXPORT = EXAMPLES / "wechat_channels_export.csv"
CANONICAL = set(VideoMetrics.model_fields)


# --- the registry itself ----------------------------------------------------------------------------


def test_every_derived_formula_names_canonical_numeric_fields():
    assert DERIVED, "the registry has derived rates"
    for key, spec in DERIVED.items():
        assert spec.formula is not None
        for name in (*spec.formula.numerator, spec.formula.denominator):
            assert name in CANONICAL, f"{key}: {name} is not a VideoMetrics field"
            assert METRICS[name].kind in NUMERIC_KINDS, f"{key}: {name} is not a number"
        assert key not in CANONICAL, f"{key} is derived, so it is not also imported"


def test_every_field_of_a_video_is_in_the_registry():
    assert CANONICAL <= set(METRICS)
    assert [k for k in FIELDS if k in CANONICAL] == list(VideoMetrics.model_fields)


def test_fields_and_derived_keep_their_names_order_and_attributes():
    assert list(FIELDS) == [
        "id", "title", "published_at", "form", "variant", "duration_s", "views", "likes", "hearts", "comments",
        "shares", "follows", "forwards", "completion_rate", "avg_watch_s", "retention_rate", "rewatch_rate",
        "like_rate", "heart_rate", "comment_rate", "share_rate", "follow_rate", "forward_rate", "hearts_per_like",
        "followup_rate"]
    assert list(DERIVED) == ["like_rate", "heart_rate", "comment_rate", "share_rate", "follow_rate",
                             "forward_rate", "hearts_per_like", "followup_rate"]
    assert DERIVED["forward_rate"].numerator == ("forwards",) and DERIVED["forward_rate"].denominator == "views"
    assert DERIVED["follow_rate"].numerator == ("follows",) and DERIVED["follow_rate"].denominator == "views"
    for spec in FIELDS.values():
        assert isinstance(spec.label, T) and spec.kind in ("count", "rate", "seconds", "ratio", "text", "enum",
                                                          "date", "bool")
    assert DERIVED["followup_rate"].numerator == ("comments", "shares")
    assert DERIVED["followup_rate"].denominator == "views"
    assert FIELDS["hearts_per_like"].kind == "ratio"


def test_views_keep_the_orders_of_the_reports():
    # JSON key order of review `metrics`, summary `medians`, ab `comparisons`, and the goals enum.
    assert metrics_for("card") == ("views", "like_rate", "heart_rate", "followup_rate", "completion_rate",
                                   "hearts_per_like", "forward_rate", "follow_rate")
    assert metrics_for("summary") == ("like_rate", "heart_rate", "followup_rate", "comment_rate", "share_rate",
                                      "completion_rate", "hearts_per_like", "follow_rate", "forward_rate")
    assert metrics_for("ab") == ("like_rate", "heart_rate", "completion_rate", "followup_rate", "follow_rate")
    assert metrics_for("goal") == (
        "views", "likes", "shares", "hearts", "comments", "follows", "like_rate", "share_rate", "heart_rate",
        "comment_rate", "follow_rate", "followup_rate", "hearts_per_like", "completion_rate", "avg_watch_s",
        "retention_rate", "rewatch_rate", "heart_follower_share", "forwards", "forward_rate")


def test_specs_are_consistent():
    for key, spec in METRICS.items():
        assert spec.key == key and spec.name == key
        assert set(spec.views) <= set(VIEWS), key
        assert spec.description.zh and spec.description.en, key
        if "goal" in spec.views:
            assert spec.agg in ("sum", "pooled", "mean", "external") and spec.family, key
            assert (spec.agg == "external") == (spec.source is not None), key
        if "ab" in spec.views:  # events over views
            assert spec.kind == "rate" and spec.family and "views" in spec.needs, key
            assert spec.formula is None or spec.formula.denominator == "views", key
        if {"summary", "medians", "card", "line", "timeline"} & set(spec.views):
            assert spec.kind in NUMERIC_KINDS and spec.is_field, key
    # What the reports list is what their JSON holds.
    assert set(metrics_for("line")) <= set(metrics_for("card"))
    assert set(metrics_for("timeline")) <= set(metrics_for("card"))
    assert set(metrics_for("medians")) <= set(metrics_for("summary"))


def test_an_unknown_view_is_an_error():
    with pytest.raises(KeyError):
        metric_view("cards")


# --- every list is derived from the registry -----------------------------------------------------------

SAVE_RATE = MetricSpec(
    "save_rate", "rate", T(zh="测试收藏率", en="test save rate"), T(zh="点赞数 ÷ 播放量", en="likes ÷ views"),
    metrics.Formula(("likes",), "views"), family="exposure",
    views={"card": 99, "line": 99, "summary": 99, "medians": 99, "ab": 99, "goal": 99}, agg="pooled")


@pytest.fixture
def save_rate(monkeypatch):
    """The registry with one more derived rate, shown everywhere (as `forward_rate` would be)."""
    monkeypatch.setitem(METRICS, "save_rate", SAVE_RATE)
    return SAVE_RATE


def test_a_new_spec_shows_up_in_every_module_table(save_rate):
    from advisor.jobs import ab, goals, review, summary
    from advisor.model.stages import STAGE_FIELDS
    from advisor.render import html_report

    assert "save_rate" in FIELDS and list(DERIVED)[-1] == "save_rate"
    assert "save_rate" in STAGE_FIELDS["review"]
    assert list(review.KEY_METRICS)[-1] == "save_rate"
    assert list(html_report.CARD_METRICS)[-1] == "save_rate"
    assert list(summary.MEDIAN_METRICS)[-1] == "save_rate"
    assert list(ab.SIGNALS)[-1] == "save_rate"
    assert ab.SIGNALS["save_rate"].needs == ("views", "likes")
    assert list(goals.GOAL_METRICS)[-1] == "save_rate"
    goal = goals.GOAL_METRICS["save_rate"]
    assert (goal.family, goal.agg, goal.fields, goal.label) == ("exposure", "pooled", ("likes", "views"),
                                                                save_rate.label)
    assert "喜欢" in goal.source.zh  # the likes column of the 视频号 profile


def test_a_new_spec_reaches_the_review_summary_and_reports(save_rate, ruleset):
    from advisor.jobs.review import review_paths
    from advisor.jobs.review_report import review_json
    from advisor.render.emit import render

    result = review_paths([str(EXPORT)], ruleset, engine="python")
    fact = result.videos[0].fact
    assert fact["save_rate"] == fact["like_rate"]  # computed like any derived rate
    data = review_json(result, "en")
    assert list(data["videos"][0]["metrics"])[-1] == "save_rate"
    assert list(data["summary"]["medians"])[-1] == "save_rate"
    assert data["summary"]["medians"]["save_rate"] == data["summary"]["medians"]["like_rate"]
    assert "test save rate" in render(result, "text", "en")
    assert "Test save rate" in render(result, "markdown", "en")
    assert "Test save rate" in render(result, "html", "en")


def test_a_new_spec_is_compared_in_ab(save_rate, ruleset):
    from advisor.input.importers import load_videos
    from advisor.jobs.ab import Variant, compare_variants

    a = Variant("a", "A", "a.csv", load_videos([str(EXAMPLES / "ab" / "cta_wording_a.csv")]).videos)
    b = Variant("b", "B", "b.csv", load_videos([str(EXAMPLES / "ab" / "cta_wording_b.csv")]).videos)
    result = compare_variants(a, b, ruleset, engine="python")
    by_metric = {c.signal.name: c for c in result.comparisons}
    assert list(by_metric)[-1] == "save_rate"
    assert by_metric["save_rate"].result.rate_a == by_metric["like_rate"].result.rate_a


# --- one label per metric --------------------------------------------------------------------------------


def _label_literals(path: Path):
    """Every T(zh="...", en="...") with literal texts in a source file: (zh, en, line)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "T":
            kw = {k.arg: k.value for k in node.keywords}
            if all(isinstance(kw.get(k), ast.Constant) and isinstance(kw[k].value, str) for k in ("zh", "en")):
                yield kw["zh"].value, kw["en"].value, node.lineno


def test_no_other_module_declares_a_label_of_a_registry_metric():
    # Measured metrics only: "标题 / title" may well head a column of rule titles.
    labels = {(s.label.zh, s.label.en): key for key, s in METRICS.items() if s.kind in NUMERIC_KINDS}
    labels_zh = {s.label.zh: key for key, s in METRICS.items() if s.kind in NUMERIC_KINDS}
    # ... and the short forms labels drifted to: 后续互动率 for 后续互动率(评论+分享).
    labels_zh.update({s.label.zh.split("(")[0]: key for key, s in METRICS.items() if s.kind in NUMERIC_KINDS})
    duplicates = []
    for path in sorted((ROOT / "advisor").rglob("*.py")):
        if path == ROOT / "advisor" / "model" / "metrics.py":
            continue
        for zh, en, line in _label_literals(path):
            key = labels.get((zh, en)) or labels_zh.get(zh)
            if key:
                duplicates.append(f"{path.relative_to(ROOT)}:{line}: {zh} / {en} (the label of {key})")
    assert duplicates == []


def test_the_report_templates_take_their_metric_lists_from_the_registry():
    for name in ("review/text.j2", "review/markdown.md.j2", "html/review.html.j2"):
        text = (ROOT / "templates" / name).read_text(encoding="utf-8")
        assert "shown." in text, name
        for key in metrics_for("summary") + metrics_for("card"):
            assert f"labels.{key}" not in text and f'"{key}"' not in text, f"{name} names {key}"


def test_a_label_reads_the_same_in_review_ab_and_goals(ruleset):
    from advisor.jobs.ab import SIGNALS
    from advisor.jobs.goals import GOAL_METRICS

    for key, signal in SIGNALS.items():
        assert signal.label == FIELDS[key].label
    for key, goal in GOAL_METRICS.items():
        assert goal.label == METRICS[key].aggregate_label
    data = json.loads((EXAMPLES / "outputs" / "review.json").read_text(encoding="utf-8"))
    assert "follow-up rate (comments + shares)" in json.dumps(data, ensure_ascii=False)
