"""The HTML report: one self-contained file (inline CSS, inline SVG charts, no script, no URL).

review_html() turns a review (advisor.jobs.review.Review) into the page behind
`advisor review --format html`; checklist_html() does the same for `advisor checklist`.
Both build on the JSON reports of those commands, so the page shows the very numbers and
texts of `--format json`, laid out through templates/html/*.html.j2 in the sandboxed
environment of advisor.core.templating (autoescaped: titles from an export cannot inject markup).
"""

from __future__ import annotations

import io
import math
import re
import tempfile
import uuid
from pathlib import Path

from advisor.render.charts import (CHART_POINTS, FONT_STACK, NO_ADVICE, Chart, ChartData, colors_for,
                                   completion_hearts_chart, gap_regions, likes_hearts_chart, strongest, timeline_chart)
from advisor.core.i18n import Lang, T
from advisor.core.paths import shipped_templates
from advisor.core.templating import make_filters, render_template
from advisor.jobs.checklist import checklist_json
from advisor.jobs.review_report import entry_of, report_tail, review_json
from advisor.jobs.summary import QUADRANT_LABELS
from advisor.model.levels import FORM_LABELS, Baseline, Levels
from advisor.model.metrics import FIELDS, METRICS, metric_view, view_rows
from advisor.render.checklist_view import labels as checklist_labels, template_plan
from advisor.core.templating import format_value

REVIEW_TEMPLATE = "review.html.j2"
CARDS_TEMPLATE = "review_cards.html.j2"  # the video cards, a chunk at a time
# Above this many videos, a video where nothing stands out gets a one-line card: 100,000 full cards
# are 200 MB of page that no browser opens in reasonable time; every video with advice keeps its card.
FULL_CARDS = 5_000
LINKS_LISTED = 300  # a list of videos in the summary (a quadrant, a recurring advice) links this many
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


def _labels(lang: Lang) -> dict:
    return {name: _capital(info.label.get(lang)) for name, info in FIELDS.items()}


def _frame_context(data: ChartData, tail: dict, lang: Lang, *, levels: Levels, baseline: Baseline | None,
                   numbers: dict) -> dict:
    """What review.html.j2 sees besides the cards: the summary, the charts, the colours."""
    colors = colors_for(data.counts)
    form, count = data.main_form()
    regions = gap_regions(levels, baseline, form, lang)
    form_note = None
    if count < data.total:  # mixed forms: say whose thresholds the regions show
        form_note = WORDS["region_form"].format(lang, form=FORM_LABELS[form or "default"].get(lang), k=count,
                                                n=data.total)
    charts: list[Chart] = [likes_hearts_chart(data, tail["summary"], lang, colors),
                           completion_hearts_chart(data, lang, regions, colors, form_note)]
    timeline = timeline_chart(data, lang)
    if timeline is not None:
        charts.append(timeline)
    report = {"videos": [], **tail}
    return {
        "report": report,
        "summary": report["summary"],
        "videos": [],
        "errors": report["errors"],
        "cards": [],
        "numbers": numbers,
        "charts": charts,
        "timeline": timeline,
        "colors": colors,
        "advice_titles": data.titles,
        "labels": _labels(lang),
        "shown": view_rows(lang),  # which metrics each part of the page lists, from the registry
        "quadrant_labels": {q: t.get(lang) for q, t in QUADRANT_LABELS.items()},
        "baseline_label": baseline.label.get(lang) if baseline is not None else "",
        "dates": {"first": data.first_date, "last": data.last_date} if data.first_date else None,
        "font_stack": FONT_STACK,
        "part": None,
        "card_marker": "",
        "link_limit": LINKS_LISTED if data.sampled else max(data.total, 1),  # a page of a sample cuts long lists
        "brief_after": FULL_CARDS if data.total > FULL_CARDS else None,
    }


class _Cards:
    """Builds each video's card as review_cards.html.j2 sees it; the card's colour is the colour
    of its strongest advice, known only once every video is in (colors_for), so a card gets a
    placeholder that the colour replaces then (`paint`)."""

    def __init__(self, lang: Lang, medians):
        self.lang = lang
        self.medians = medians  # .median(metric, form)
        self.labels = _labels(lang)
        self.token = uuid.uuid4().hex  # no export can guess it: a title never holds a placeholder
        self.placeholder = re.compile("\ue001" + self.token + r":(\d+)\ue001")
        self.advice: dict[str, int] = {}  # strongest advice -> its placeholder's number

    def card(self, number: int, video: dict, *, brief: bool) -> dict:
        advice = strongest(video)
        index = self.advice.setdefault(advice, len(self.advice))
        brief = brief and not video.get("findings")
        return {"number": number, "video": video, "advice": advice,
                "color": f"\ue001{self.token}:{index}\ue001", "brief": brief,
                "form_label": FORM_LABELS[video.get("form") or "default"].get(self.lang),
                "rows": [] if brief else card_metrics(video, self.medians, self.lang, self.labels)}

    def painter(self, colors: dict[str, str]):
        """A function that fills in the colours of the cards in a piece of rendered text."""
        by_index = {str(i): colors.get(advice, NO_ADVICE) for advice, i in self.advice.items()}
        return lambda text: self.placeholder.sub(lambda m: by_index[m.group(1)], text)


class HtmlSink:
    """`--format html`, streamed (advisor.jobs.review_stream): the cards are rendered a chunk at a
    time (templates/html/review_cards.html.j2) into a temporary file, while ChartData keeps what
    the charts and the summary need (bounded: a sample of the videos above CHART_POINTS); at the
    end the page around the cards (review.html.j2) is rendered and written around them, each
    card's colour filled in as the cards are copied. The same page as review_html() builds."""

    CARDS_PER_RENDER = 500
    MARKER = "\ue000advisor-cards\ue000"

    def __init__(self, out, lang: Lang, *, levels: Levels, chart_points: int = CHART_POINTS):
        self.out = out
        self.lang = lang
        self.levels = levels
        self.chart_points = chart_points
        self.review = None
        self.pending: list[dict] = []
        self.numbers: dict[str, int] = {}
        self.data = ChartData(lang, chart_points)
        self.cards: _Cards | None = None
        self.brief = False
        self.spool = None

    def start(self, total: int, review) -> None:
        self.review = review
        medians = review.card_medians if review.card_medians is not None else review.baseline
        self.cards = _Cards(self.lang, medians)
        self.brief = total > FULL_CARDS and review.top is None
        self.spool = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")

    def entry(self, entry: dict) -> None:
        if self.review.top is not None:
            return  # a digest renders its few cards at the end
        self._add(entry)

    def _add(self, entry: dict) -> None:
        number = len(self.numbers) + 1
        self.numbers[entry["id"]] = number
        self.data.add(number, entry)
        self.pending.append(self.cards.card(number, entry, brief=self.brief))
        if len(self.pending) >= self.CARDS_PER_RENDER:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            self.spool.write(render_template(templates_dir(), CARDS_TEMPLATE, {"cards": self.pending}, self.lang))
            self.pending = []

    def finish(self, result) -> None:
        try:
            shown = []
            if result.top is not None:
                shown = [entry_of(vr, result, self.lang) for vr in result.summary.picked]
                for entry in shown:
                    self._add(entry)
            self._flush()
            after = report_tail(result, self.lang, shown, lazy=True)  # id lists as Strings: the page links a few
            context = _frame_context(self.data, after, self.lang, levels=self.levels, baseline=result.baseline,
                                     numbers=self.numbers)
            context.update(part="frame", card_marker=self.MARKER)
            frame = render_template(templates_dir(), REVIEW_TEMPLATE, context, self.lang)
            head, tail = frame.split(self.MARKER, 1)
            self.out.write(head)
            self.spool.seek(0)
            paint = self.cards.painter(context["colors"])
            for line in self.spool:  # a placeholder never spans lines
                self.out.write(paint(line))
            self.out.write(tail)
        finally:
            self.spool.close()


def review_context(result, lang: Lang, *, levels: Levels) -> dict:
    """What templates/html/review.html.j2 sees when the page is built at once (the web app's
    review page): the JSON report, charts, colours, card numbers."""
    report = review_json(result, lang)
    data = ChartData(lang)
    numbers = {}
    for number, video in enumerate(report["videos"], 1):
        numbers[video["id"]] = number
        data.add(number, video)
    tail = {k: v for k, v in report.items() if k != "videos"}
    context = _frame_context(data, tail, lang, levels=levels, baseline=result.baseline, numbers=numbers)
    colors = context["colors"]
    labels = context["labels"]
    brief = context["brief_after"] is not None
    cards = [{"number": numbers[v["id"]], "video": v, "advice": strongest(v),
              "color": colors.get(strongest(v), NO_ADVICE), "brief": brief and not v.get("findings"),
              "form_label": FORM_LABELS[v.get("form") or "default"].get(lang),
              "rows": [] if brief and not v.get("findings") else card_metrics(v, result.baseline, lang, labels)}
             for v in report["videos"]]
    context.update(report=report, videos=report["videos"], cards=cards)
    return context


def review_html(result, lang: Lang, *, levels: Levels, chart_points: int = CHART_POINTS) -> str:
    """The review as one self-contained HTML page (`advisor review --format html`).

    `levels` are the active named levels (the ruleset's, with the config's overrides), used to
    draw the H10/H11 regions at the thresholds the rules used; the shipped ones by default.
    The page is written as a streaming review writes it (HtmlSink), from the review in memory.
    """
    out = io.StringIO()
    sink = HtmlSink(out, lang, levels=levels, chart_points=chart_points)
    sink.start(result.count, result)
    if result.top is None:
        for vr in result.videos:
            sink.entry(entry_of(vr, result, lang))
    sink.finish(result)
    return out.getvalue()


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
