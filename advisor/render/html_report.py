"""The HTML report: one self-contained file (inline CSS, inline SVG charts, no script, no URL).

review_html() turns a review (advisor.jobs.review.Review) into the page behind
`advisor review --format html`; checklist_html() does the same for `advisor checklist`.
Both build on the JSON reports of those commands, so the page shows the very numbers and
texts of `--format json`, laid out through templates/html/*.html.j2 in the sandboxed
environment of advisor.core.templating (autoescaped: titles from an export cannot inject markup).
"""

from __future__ import annotations

import math
from pathlib import Path

from advisor.render.charts import (FONT_STACK, NO_ADVICE, Chart, advice_colors, advice_titles, completion_hearts_chart, gap_regions,
                     likes_hearts_chart, main_form, strongest, timeline_chart)
from advisor.core.i18n import Lang, T
from advisor.core.paths import shipped_templates
from advisor.core.templating import make_filters, render_template
from advisor.jobs.checklist import checklist_json
from advisor.jobs.review_report import review_json
from advisor.jobs.summary import QUADRANT_LABELS
from advisor.model.levels import FORM_LABELS, Baseline, Levels
from advisor.model.metrics import FIELDS, METRICS, metric_view, view_rows
from advisor.render.checklist_view import labels as checklist_labels, template_plan
from advisor.core.templating import format_value

REVIEW_TEMPLATE = "review.html.j2"
CHECKLIST_TEMPLATE = "checklist.html.j2"

# The numbers on each card, each beside the account's baseline (H05: side by side, never alone).
CARD_METRICS = metric_view("card")  # the registry's card view (advisor.model.metrics)

WORDS = {
    "region_form": T(zh="色块按{form}的阈值画出({k}/{n} 条视频是{form})。",
                     en="The shaded areas use the thresholds for {form} ({k} of {n} videos are {form})."),
}


def templates_dir() -> Path:
    return shipped_templates() / "html"


def _num(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def compare(metric: str, value, base, lang: Lang) -> dict:
    """How a video's number stands against the baseline: {text, direction: up|down|same|none}.

    Rates differ in percentage points (a 2% and a 4% like rate are 2 points apart, not
    "twice"); views and hearts-per-like as a multiple of the baseline.
    """
    v, b = _num(value), _num(base)
    if v is None or b is None:
        return {"text": "", "direction": "none"}
    f = make_filters(lang)
    if METRICS[metric].kind != "rate":
        if b == 0:
            return {"text": "", "direction": "none"}
        ratio = v / b
        direction = "same" if abs(ratio - 1) < 0.05 else ("up" if ratio > 1 else "down")
        return {"text": f"×{ratio:.2f}", "direction": direction}
    diff = v - b
    direction = "same" if abs(diff) < 0.0005 else ("up" if diff > 0 else "down")
    return {"text": f["pp"](diff), "direction": direction}


def _capital(text: str) -> str:
    """'like rate' -> 'Like rate' for table headings (Chinese is left as it is)."""
    return text[:1].upper() + text[1:]


def card_metrics(video: dict, baseline: Baseline | None, lang: Lang, labels: dict) -> list[dict]:
    """The rows of a card's numbers table: the video's value, the baseline median, the gap."""

    rows = []
    for metric in CARD_METRICS:
        value = (video.get("metrics") or {}).get(metric)
        base = baseline.median(metric, video.get("form")) if baseline is not None else None
        kind = FIELDS[metric].kind
        if kind == "count" and _num(base) is not None:
            base = round(base)  # the median of an even count of videos may end in .5
        rows.append({"metric": metric, "label": labels[metric],
                     "value": format_value(value, kind, lang), "baseline": format_value(base, kind, lang),
                     "compare": compare(metric, value, base, lang)})
    return rows


def review_context(result, lang: Lang, *, levels: Levels) -> dict:
    """What templates/html/review.html.j2 sees: the JSON report, charts, colours, card numbers."""
    report = review_json(result, lang)
    colors = advice_colors(report)
    titles = advice_titles(report, lang)
    form, count = main_form(report)
    regions = gap_regions(levels, result.baseline, form, lang)
    form_note = None
    if count < len(report["videos"]):  # mixed forms: say whose thresholds the regions show
        form_note = WORDS["region_form"].format(lang, form=FORM_LABELS[form or "default"].get(lang), k=count,
                                                n=len(report["videos"]))
    charts: list[Chart] = [likes_hearts_chart(report, lang, colors),
                           completion_hearts_chart(report, lang, regions, colors, form_note)]
    timeline = timeline_chart(report, lang)
    if timeline is not None:
        charts.append(timeline)
    labels = {name: _capital(info.label.get(lang)) for name, info in FIELDS.items()}
    numbers = {v["id"]: i for i, v in enumerate(report["videos"], 1)}
    cards = [{"number": numbers[v["id"]], "video": v, "advice": strongest(v),
              "color": colors.get(strongest(v), NO_ADVICE),
              "form_label": FORM_LABELS[v.get("form") or "default"].get(lang),
              "rows": card_metrics(v, result.baseline, lang, labels)}
             for v in report["videos"]]
    dates = sorted(str(v["published_at"])[:10] for v in report["videos"] if v.get("published_at"))
    return {
        "report": report,
        "summary": report["summary"],
        "videos": report["videos"],
        "errors": report["errors"],
        "cards": cards,
        "numbers": numbers,
        "charts": charts,
        "timeline": timeline,
        "colors": colors,
        "advice_titles": titles,
        "labels": labels,
        "shown": view_rows(lang),  # which metrics each part of the page lists, from the registry
        "quadrant_labels": {q: t.get(lang) for q, t in QUADRANT_LABELS.items()},
        "baseline_label": result.baseline.label.get(lang) if result.baseline is not None else "",
        "dates": {"first": dates[0], "last": dates[-1]} if dates else None,
        "font_stack": FONT_STACK,
    }


def review_html(result, lang: Lang, *, levels: Levels) -> str:
    """The review as one self-contained HTML page (`advisor review --format html`).

    `levels` are the active named levels (the ruleset's, with the config's overrides), used to
    draw the H10/H11 regions at the thresholds the rules used; the shipped ones by default.
    """
    return render_template(templates_dir(), REVIEW_TEMPLATE, review_context(result, lang, levels=levels), lang)


# --- checklist -----------------------------------------------------------------------------------


def checklist_context(result) -> dict:
    """What templates/html/checklist.html.j2 sees: the checklist's JSON and template data."""
    data = checklist_json(result)
    return {
        "report": data,
        "summary": data["summary"],
        "errors": data["errors"],
        "error_texts": [p.format(result.lang) for p in result.problems],
        "plans": [template_plan(p, result.lang) for p in result.plans],
        "L": checklist_labels(result.lang),
        "files": list(result.files),
        "font_stack": FONT_STACK,
    }


def checklist_html(result) -> str:
    """The pre-publish checklist (advisor.jobs.checklist.Checklist) as one self-contained HTML page."""
    return render_template(templates_dir(), CHECKLIST_TEMPLATE, checklist_context(result), result.lang)
