"""The charts of the HTML report, drawn as static SVG by pygal.

Why pygal: it is small pure Python (no numpy, no browser script), draws the chart on our side
as SVG, so the report opens offline and the marks are there with scripts off, in print and
in a mail preview; the SVG text is real text, so Chinese labels use the browser's CJK fonts.
Its tooltip script would load from a CDN: `js=[]` and `_clean` below leave no script and no
URL in the SVG; the hover text is each dot's SVG <title>, which browsers show without a script.

Every function takes the review report as `advisor.jobs.review.review_json` builds it (the JSON
contract), so the charts show exactly the numbers the text and JSON reports show.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import unicodedata
import zlib
from dataclasses import dataclass, field

from markupsafe import Markup

from advisor.core.i18n import Lang, T
from advisor.model.levels import Baseline, Levels, resolve
from advisor.model.metrics import METRICS, metric_view
from advisor.core.templating import make_filters
from advisor.model.levels import FORM_LABELS

# The system's CJK-capable fonts, the same stack as the page (no web font is fetched).
FONT_STACK = ('"PingFang SC", "Hiragino Sans GB", "Noto Sans CJK SC", "Source Han Sans SC", '
              '"Microsoft YaHei", "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif')

# One colour per strongest advice (Okabe-Ito, then a few more that stay apart in print).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7A4EA3", "#8C564B",
           "#C9A400", "#1B9E77", "#E7298A", "#66A61E")
NO_ADVICE = "#A9B0B8"
LINE_COLOR = "#4A5058"
NO_ADVICE_KEY = ""  # the advice key of a video no rule fired on

# Legend entries wider than this are cut with … (the table under the chart has them whole).
# Counted in Latin-letter widths: a Chinese character is about two.
LEGEND_WIDTH = 58
LEGEND_ROW = 22  # the height of one legend row, in SVG units


@dataclass
class Point:
    """One video's mark: x, y and what hovering it says."""

    video: str  # the video id
    number: int  # its card number in the report (1-based)
    x: float | dt.date
    y: float
    tooltip: str
    advice: str  # the rule id of its strongest advice, or NO_ADVICE_KEY


@dataclass
class Region:
    """A rectangle of the completion-vs-hearts plane where a review rule's levels hold."""

    rule_id: str
    heuristic: str
    label: str
    x: tuple[float | None, float | None]  # None: to the chart's edge
    y: tuple[float | None, float | None]
    color: str
    source: str  # where the thresholds come from, in words


@dataclass
class Chart:
    """A chart and the table of its numbers (readable without the picture, and in print)."""

    id: str
    title: str
    caption: str
    svg: Markup
    columns: list[str]
    rows: list[list[str]]
    plotted: list[str] = field(default_factory=list)  # video ids with a mark in this chart
    left_out: list[str] = field(default_factory=list)  # "#3 title: why", videos without a mark
    notes: list[str] = field(default_factory=list)  # regions, lines: what else is drawn


# --- words ---------------------------------------------------------------------------------------

W = {
    # No emoji in chart words: a machine without an emoji font would draw a box in the SVG.
    # A metric's name is its registry label (advisor.model.metrics): _w("like_rate", lang).
    "no_advice": T(zh="没有建议", en="no advice"),
    "median_like": T(zh="点赞率中位数 {v}({form})", en="median like rate {v} ({form})"),
    "median_heart": T(zh="小红心率中位数 {v}({form})", en="median heart rate {v} ({form})"),
    "number": T(zh="编号", en="no."),
    "video": T(zh="视频", en="video"),
    "advice": T(zh="最重要的建议", en="strongest advice"),
    "date": T(zh="发布日期", en="published"),
    "quadrant": T(zh="象限", en="quadrant"),
    "missing": T(zh="缺少{what}", en="no {what}"),
    "no_date": T(zh="没有发布日期", en="no publish date"),
    "lh_title": T(zh="点赞率 × 小红心率", en="Like rate × heart rate"),
    "lh_caption": T(
        zh="每个点是一条视频,颜色是它最重要的一条建议,点旁的数字是下方视频卡片的编号。虚线是账号基准的中位数,"
           "把视频分成四个象限:右上既扩散又走心,右下靠点赞扩散,左上靠小红心,左下两种信号都弱。",
        en="Each dot is a video, coloured by its strongest advice; the number beside it is its card below. "
           "The dashed lines are the baseline medians and split the videos into four quadrants: top right spreads "
           "and moves people, bottom right is carried by likes, top left by hearts, bottom left is weak on both."),
    "ch_title": T(zh="完播率 × 小红心率", en="Completion rate × heart rate"),
    "ch_caption": T(
        zh="右下的色块:看完了却很少给小红心,缺的是情感投入(H10);左上的色块:给了小红心却没看完,"
           "缺的是内容深度和结构(H11)。色块的边界是复盘规则用的阈值。",
        en="The shaded area at the bottom right: watched through but few hearts, the emotional investment is "
           "missing (H10). The one at the top left: hearts given but the video not watched through, depth and "
           "structure are missing (H11). The edges are the thresholds the review rules use."),
    "tl_title": T(zh="按发布日期:点赞率、小红心率、完播率", en="By publish date: like rate, heart rate, completion"),
    "tl_caption": T(
        zh="点赞率和小红心率看左边的刻度,完播率看右边的刻度。同一天发布的视频各有一个点。",
        en="Like rate and heart rate use the left scale, completion the right one. Videos published on the "
           "same day each have their own dot."),
    "right_scale": T(zh="(右侧刻度)", en=" (right scale)"),
    "region_h10": T(zh="情感投入缺口(H10):完播 ≥ {x},小红心率 < {y}",
                    en="Emotional-investment gap (H10): completion ≥ {x}, heart rate < {y}"),
    "region_h11": T(zh="深度缺口(H11):小红心率 ≥ {y},完播 < {x}",
                    en="Depth gap (H11): heart rate ≥ {y}, completion < {x}"),
    "region_form": T(zh="阈值按{form}({n} 条中的 {k} 条)", en="thresholds for {form} ({k} of {n} videos)"),
    "thresholds": T(zh="完播:{x};小红心率:{y}", en="completion: {x}; heart rate: {y}"),
    "sampled": T(
        zh="视频超过 {limit} 条,本图画出其中 {k} 条(共 {n} 条):按最重要的建议分组随机抽取(每次运行抽到的相同),"
           "少见的建议整组画出,常见的按比例抽。每条视频都在下方的视频卡片里。",
        en="With more than {limit} videos, this chart draws {k} of the {n}: a random sample (the same on every run) "
           "taken per strongest advice, so rare advice keeps its videos and common advice is thinned. Every video "
           "has its card below."),
    "tl_sampled": T(
        zh="有发布日期的视频超过 {limit} 条,本图只画出其中随机抽取的 {k} 条(共 {n} 条,每次运行抽到的相同)的点,"
           "不连线。每条视频都在下方的视频卡片里。",
        en="With more than {limit} dated videos, this chart shows the dots of a random sample of {k} of the {n} "
           "(the same on every run), without lines. Every video has its card below."),
    "more_left_out": T(zh="另有 {n} 条视频缺少本图需要的数字,未一一列出。",
                       en="{n} more videos lack a number this chart needs; they are not listed one by one."),
}


def _w(key: str, lang: Lang, **values) -> str:
    text = W[key] if key in W else METRICS[key].label
    return text.format(lang, **values) if values else text.get(lang)


# --- colours -------------------------------------------------------------------------------------


def strongest(video: dict) -> str:
    """The rule id of a video's strongest advice (findings are ranked), or NO_ADVICE_KEY."""
    findings = video.get("findings") or []
    return findings[0]["rule_id"] if findings else NO_ADVICE_KEY


def advice_colors(report: dict) -> dict[str, str]:
    """Strongest advice -> colour, the most frequent advice first, so charts and cards agree."""
    counts: dict[str, int] = {}
    for video in report["videos"]:
        key = strongest(video)
        counts[key] = counts.get(key, 0) + 1
    return colors_for(counts)


def colors_for(counts: dict[str, int]) -> dict[str, str]:
    """advice_colors() from the number of videos per strongest advice."""
    ordered = sorted((k for k in counts if k != NO_ADVICE_KEY), key=lambda k: (-counts[k], k))
    colors = {key: PALETTE[i % len(PALETTE)] for i, key in enumerate(ordered)}
    if NO_ADVICE_KEY in counts:
        colors[NO_ADVICE_KEY] = NO_ADVICE
    return colors


def advice_titles(report: dict, lang: Lang) -> dict[str, str]:
    """Rule id -> its title as the report words it (the first video it is strongest on)."""
    titles = {NO_ADVICE_KEY: _w("no_advice", lang)}
    for video in report["videos"]:
        for finding in video.get("findings") or []:
            titles.setdefault(finding["rule_id"], finding["title"])
    return titles


# --- helpers -------------------------------------------------------------------------------------


def _num(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def video_label(video: dict, number: int) -> str:
    return f"#{number} {video.get('title') or video['id']}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _cut(text: str, limit: int = LEGEND_WIDTH) -> str:
    """`text` cut to `limit` Latin-letter widths, with … when something was cut."""
    if sum(_width(c) for c in text) <= limit:
        return text
    out, used = [], 1
    for ch in text:
        if used + _width(ch) > limit:
            break
        out.append(ch)
        used += _width(ch)
    return "".join(out).rstrip() + "…"


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _clean(title: str):
    """An xml filter: no comments (they carry URLs and today's date), no scripts, our title."""

    def apply(root):
        for parent in list(root.iter()):
            for child in list(parent):
                if not isinstance(child.tag, str) or _local(child.tag) == "script":
                    parent.remove(child)
        for child in root:
            if _local(child.tag) == "title":
                child.text = title
        return root

    return apply


def _style():
    from pygal.style import Style

    return Style(
        font_family=FONT_STACK, background="#ffffff", plot_background="#ffffff",
        foreground="#30343a", foreground_strong="#1d2025", foreground_subtle="#d5d9de",
        colors=PALETTE, opacity=0.85, opacity_hover=1, transition="0ms",
        label_font_size=12, major_label_font_size=12, legend_font_size=13, title_font_size=15,
        value_label_font_size=10, tooltip_font_size=13,
        guide_stroke_color="#e3e6ea", major_guide_stroke_color="#cfd4da", guide_stroke_dasharray="0",
        major_guide_stroke_dasharray="0",
    )


def _config(**extra) -> dict:
    base = dict(
        style=_style(), js=[], disable_xml_declaration=True, pretty_print=False, explicit_size=False,
        legend_at_bottom=True, legend_at_bottom_columns=2, truncate_legend=-1, show_x_guides=True,
        margin=16, spacing=12, print_labels=True, dots_size=5, width=900, height=560,
    )
    base.update(extra)
    return base


def _render(chart, uid: str, title: str, colors: list[str]) -> Markup:
    """The SVG markup of a pygal chart, deterministic (fixed id) and with no script or URL.

    pygal escapes every text it writes (titles from the export included), so the markup is
    safe to place into the page as it is.
    """
    chart.uuid = uid
    chart.config.style.colors = tuple(colors)
    columns = chart.config.legend_at_bottom_columns
    if columns and len(colors) % columns:
        # pygal reserves len // columns legend rows, one short when the last row is not full.
        chart.config.margin_bottom = chart.config.margin + LEGEND_ROW
    chart.add_xml_filter(_clean(title))
    return Markup(chart.render(is_unicode=True))


def _fmt(lang: Lang):
    pct = make_filters(lang)["pct"]
    return lambda v: pct(v, 2)


def _dot(p: Point) -> dict:
    x = p.x.isoformat() if isinstance(p.x, dt.date) else p.x
    return {"value": (p.x, p.y), "label": str(p.number), "tooltip": p.tooltip,
            "node": {"data-video": p.video, "data-x": x, "data-y": p.y}}


def _span(values: list[float], extra: list[float | None] = ()) -> float:
    """The upper end of an axis from 0: the largest value plus room for labels."""
    top = max([v for v in [*values, *extra] if v is not None] or [0.01])
    return top * 1.12 if top > 0 else 0.01


def missing_note(video: dict, number: int, lang: Lang, x_metric: str, y_metric: str) -> str | None:
    """Why a video has no dot in a scatter of y_metric against x_metric ("#3 title: no like rate"),
    or None when it has one."""
    metrics = video.get("metrics") or {}
    x, y = _num(metrics.get(x_metric)), _num(metrics.get(y_metric))
    if x is not None and y is not None:
        return None
    lacking = "、".join(_w(m, lang) for m, v in ((x_metric, x), (y_metric, y)) if v is None) if lang == "zh" \
        else ", ".join(_w(m, lang) for m, v in ((x_metric, x), (y_metric, y)) if v is None)
    return f"{video_label(video, number)}: {_w('missing', lang, what=lacking)}"


def _scatter_points(videos: list[tuple[int, dict]], lang: Lang, x_metric: str,
                    y_metric: str) -> tuple[list[Point], list[str], dict[str, dict]]:
    pct = _fmt(lang)
    points, left_out = [], []
    by_id = {}
    for number, video in videos:
        metrics = video.get("metrics") or {}
        x, y = _num(metrics.get(x_metric)), _num(metrics.get(y_metric))
        label = video_label(video, number)
        if x is None or y is None:
            left_out.append(missing_note(video, number, lang, x_metric, y_metric))
            continue
        tip = f"{label}\n{_w(x_metric, lang)} {pct(x)} · {_w(y_metric, lang)} {pct(y)}"
        advice = strongest(video)
        if advice:
            tip += f"\n{_w('advice', lang)}: {video['findings'][0]['title']}"
        points.append(Point(video["id"], number, x, y, tip, advice))
        by_id[video["id"]] = video
    return points, left_out, by_id


def _add_dot_series(chart, points: list[Point], colors: dict[str, str], titles: dict[str, str],
                    series_colors: list[str]) -> None:
    """One series per strongest advice, in the order of `colors` (most frequent first)."""
    for key, color in colors.items():
        group = [p for p in points if p.advice == key]
        if group:
            chart.add(_cut(titles.get(key, key)), [_dot(p) for p in group], stroke=False)
            series_colors.append(color)


def _table(points: list[Point], by_id: dict[str, dict], lang: Lang, x_metric: str, y_metric: str,
           titles: dict[str, str]) -> tuple[list[str], list[list[str]]]:
    pct = _fmt(lang)
    columns = [_w("number", lang), _w("video", lang), _w(x_metric, lang), _w(y_metric, lang), _w("advice", lang)]
    rows = [[f"#{p.number}", by_id[p.video].get("title") or p.video, pct(p.x), pct(p.y),
             titles.get(p.advice, p.advice)] for p in points]
    return columns, rows


# --- the likes-vs-hearts chart -------------------------------------------------------------------


def baseline_medians(report: dict) -> list[dict]:
    """The quadrant lines: like and heart rate medians per form, as the summary found them."""
    baseline = (report.get("summary") or {}).get("baseline") or {}
    return [m for m in baseline.get("medians") or []
            if _num(m.get("like_rate")) is not None and _num(m.get("heart_rate")) is not None]


def likes_hearts_chart(data: "ChartData", summary: dict, lang: Lang, colors: dict[str, str]) -> Chart:
    """Like rate (x) against heart rate (y), one dot per video (or per sampled video), the
    baseline medians as lines."""
    import pygal

    titles = data.titles
    pct = _fmt(lang)
    points, _, by_id = _scatter_points(data.scatter_sample(), lang, "like_rate", "heart_rate")
    medians = baseline_medians({"summary": summary})
    xmax = _span([p.x for p in points], [m["like_rate"] for m in medians])
    ymax = _span([p.y for p in points], [m["heart_rate"] for m in medians])
    chart = pygal.XY(**_config(
        xrange=(0, xmax), range=(0, ymax), x_title=_cap(_w("like_rate", lang)), y_title=_cap(_w("heart_rate", lang)),
        value_formatter=pct, x_value_formatter=pct, **data.dense()))
    series_colors: list[str] = []
    notes = []
    for m in medians:
        form = FORM_LABELS.get(m.get("form") or "default", FORM_LABELS["default"]).get(lang)
        like_name = _w("median_like", lang, v=pct(m["like_rate"]), form=form)
        heart_name = _w("median_heart", lang, v=pct(m["heart_rate"]), form=form)
        chart.add(like_name, [(m["like_rate"], 0), (m["like_rate"], ymax)], stroke=True, show_dots=False,
                  stroke_style={"width": 1.5, "dasharray": "6,4"})
        chart.add(heart_name, [(0, m["heart_rate"]), (xmax, m["heart_rate"])], stroke=True, show_dots=False,
                  stroke_style={"width": 1.5, "dasharray": "6,4"})
        series_colors += [LINE_COLOR, LINE_COLOR]
        notes += [like_name, heart_name]
    _add_dot_series(chart, points, colors, titles, series_colors)
    title = _w("lh_title", lang)
    columns, rows = _table(points, by_id, lang, "like_rate", "heart_rate", titles)
    quadrant_labels = {q: info["label"] for q, info in (summary.get("quadrants") or {}).items()}
    columns.append(_w("quadrant", lang))
    for row, p in zip(rows, points):
        row.append(quadrant_labels.get(by_id[p.video].get("quadrant") or "", ""))
    left_out, more = data.left_out["likes-hearts"]
    return Chart("likes-hearts", title, data.scatter_caption(_w("lh_caption", lang)),
                 _render(chart, "likes-hearts", title, series_colors),
                 columns, rows, [p.video for p in points], list(left_out), notes + data.more_note(more))


# --- the completion-vs-hearts chart --------------------------------------------------------------


def main_form(report: dict) -> tuple[str | None, int]:
    """The most common form of the batch (its thresholds draw the regions) and its count."""
    counts: dict[str | None, int] = {}
    for video in report["videos"]:
        counts[video.get("form")] = counts.get(video.get("form"), 0) + 1
    if not counts:
        return None, 0
    form = max(counts, key=lambda f: (counts[f], f is not None, str(f)))
    return form, counts[form]


def gap_regions(levels: Levels, baseline: Baseline | None, form: str | None, lang: Lang) -> list[Region]:
    """Where the emotional-investment gap (H10) and the depth gap (H11) lie for `form`.

    The thresholds are resolved as the review rules resolve them (advisor.model.levels.resolve, over
    the same baseline), so the shaded edges are the rules' own. H10 (rule emotion-gap) is high
    completion with a low heart rate; H11 (rule depth-gap) a high heart rate with low completion.
    """
    needed = {("completion_rate", "high"), ("completion_rate", "low"), ("heart_rate", "high"), ("heart_rate", "low")}
    if any(metric not in levels.metrics or level not in levels.metrics[metric] for metric, level in needed):
        return []
    pct = _fmt(lang)
    c_hi = resolve(levels, "completion_rate", "high", form, baseline)
    c_lo = resolve(levels, "completion_rate", "low", form, baseline)
    h_hi = resolve(levels, "heart_rate", "high", form, baseline)
    h_lo = resolve(levels, "heart_rate", "low", form, baseline)
    return [
        Region("emotion-gap", "H10", _w("region_h10", lang, x=pct(c_hi.value), y=pct(h_lo.value)),
               (c_hi.value, None), (0.0, h_lo.value), "rgba(213, 94, 0, 0.16)",
               _w("thresholds", lang, x=c_hi.source(lang), y=h_lo.source(lang))),
        Region("depth-gap", "H11", _w("region_h11", lang, x=pct(c_lo.value), y=pct(h_hi.value)),
               (0.0, c_lo.value), (h_hi.value, None), "rgba(0, 114, 178, 0.16)",
               _w("thresholds", lang, x=c_lo.source(lang), y=h_hi.source(lang))),
    ]


def _rectangle(region: Region, xmax: float, ymax: float) -> list[tuple[float, float]]:
    """The region as a closed outline pygal fills.

    pygal fills a series down to y = 0 through its first and last x; walking the outline
    from the bottom-left corner up the left edge and back down to it keeps that closure on
    the left edge, so the fill is exactly the rectangle wherever it sits.
    """
    x0, x1 = region.x[0] or 0.0, region.x[1] if region.x[1] is not None else xmax
    y0, y1 = region.y[0] or 0.0, region.y[1] if region.y[1] is not None else ymax
    x1, y1 = min(x1, xmax), min(y1, ymax)
    return [(x0, y0), (x0, y1), (x1, y1), (x1, y0), (x0, y0)]


def completion_hearts_chart(data: "ChartData", lang: Lang, regions: list[Region], colors: dict[str, str],
                            form_note: str | None = None) -> Chart:
    """Completion (x) against heart rate (y), one dot per video (or per sampled video), the H10
    and H11 regions shaded."""
    import pygal

    titles = data.titles
    pct = _fmt(lang)
    points, _, by_id = _scatter_points(data.scatter_sample(), lang, "completion_rate", "heart_rate")
    edges_x = [e for r in regions for e in r.x]
    edges_y = [e for r in regions for e in r.y]
    xmax = min(_span([p.x for p in points], edges_x), 1.0)
    ymax = _span([p.y for p in points], edges_y)
    chart = pygal.XY(**_config(
        xrange=(0, xmax), range=(0, ymax), x_title=_cap(_w("completion_rate", lang)), y_title=_cap(_w("heart_rate", lang)),
        value_formatter=pct, x_value_formatter=pct, **data.dense()))
    series_colors: list[str] = []
    notes = []
    for region in regions:
        chart.add(_cut(region.label), _rectangle(region, xmax, ymax), stroke=True, fill=True, show_dots=False,
                  stroke_style={"width": 1})
        series_colors.append(region.color)
        notes.append(f"{region.label} ({region.source})")
    if form_note and regions:
        notes.append(form_note)
    _add_dot_series(chart, points, colors, titles, series_colors)
    title = _w("ch_title", lang)
    columns, rows = _table(points, by_id, lang, "completion_rate", "heart_rate", titles)
    left_out, more = data.left_out["completion-hearts"]
    return Chart("completion-hearts", title, data.scatter_caption(_w("ch_caption", lang)),
                 _render(chart, "completion-hearts", title, series_colors),
                 columns, rows, [p.video for p in points], list(left_out), notes + data.more_note(more))


# --- the timeline --------------------------------------------------------------------------------

# One colour per line, in the order of the registry's timeline view (colour-blind safe).
TIMELINE_COLORS = ("#0072B2", "#CC79A7", "#009E73", "#E69F00", "#56B4E9", "#D55E00")


def timeline_metrics() -> list[tuple[str, str, bool]]:
    """(metric, colour, on the right-hand scale) per line: the registry's timeline view; retention
    metrics (completion) use the right-hand scale, the interaction rates the left one."""
    return [(m, TIMELINE_COLORS[i % len(TIMELINE_COLORS)], METRICS[m].family == "retention")
            for i, m in enumerate(metric_view("timeline"))]


def _date(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def timeline_chart(data: "ChartData", lang: Lang) -> Chart | None:
    """Like rate, heart rate and completion by publish date (every dated video, or a sample of
    them); None when no video has a date."""
    import pygal

    pct = _fmt(lang)
    dated = [(_date(video.get("published_at")), number, video) for number, video in data.dated_sample()]
    if not dated:
        return None
    dated.sort(key=lambda d: (d[0], d[1]))
    lines = timeline_metrics()
    left = [m for m, _, secondary in lines if not secondary]
    right = [m for m, _, secondary in lines if secondary]
    chart = pygal.DateLine(**_config(
        value_formatter=pct, x_value_formatter=lambda d: d.isoformat(), x_label_rotation=30,
        legend_at_bottom_columns=3, print_labels=False, dots_size=4, show_x_guides=False,
        y_title=_cap(" / ".join(_w(m, lang) for m in left)),
        range=(0, _span([_num((v.get("metrics") or {}).get(m)) for _, _, v in dated for m in left])),
        secondary_range=(0, _span([_num((v.get("metrics") or {}).get(m)) for _, _, v in dated for m in right]))))
    series_colors = []
    plotted: set[str] = set()
    for metric, color, secondary in lines:
        values = []
        for day, number, video in dated:
            value = _num((video.get("metrics") or {}).get(metric))
            if value is None:
                continue
            plotted.add(video["id"])
            point = Point(video["id"], number, day, value,
                          f"{video_label(video, number)}\n{day.isoformat()} · {_w(metric, lang)} {pct(value)}", "")
            values.append(_dot(point))
        if values:
            name = _cap(_w(metric, lang)) + (_w("right_scale", lang) if secondary else "")
            if data.dated > data.limit:  # a line through a sample zigzags: the dots alone show the spread
                chart.add(name, values, secondary=secondary, stroke=False, dots_size=2)
            else:
                chart.add(name, values, secondary=secondary, stroke_style={"width": 2})
            series_colors.append(color)
    if not plotted:
        return None
    title = _w("tl_title", lang)
    columns = [_w("date", lang), _w("number", lang), _w("video", lang)] + [_w(m, lang) for m, _, _ in lines]
    rows = [[day.isoformat(), f"#{number}", video.get("title") or video["id"],
             *[pct(_num((video.get("metrics") or {}).get(m))) for m, _, _ in lines]]
            for day, number, video in dated]
    left_out, more = data.left_out["timeline"]
    caption = _w("tl_caption", lang)
    if data.dated > data.limit:
        caption += " " + _w("tl_sampled", lang, limit=_count(data.limit, lang), k=_count(len(dated), lang),
                            n=_count(data.dated, lang))
    return Chart("timeline", title, caption, _render(chart, "timeline", title, series_colors),
                 columns, rows, [v["id"] for _, _, v in dated if v["id"] in plotted], list(left_out),
                 data.more_note(more))


# --- what the charts keep of a batch -------------------------------------------------------------

# Above this many videos a chart draws a sample of them (its caption says so): a page with tens
# of thousands of SVG dots per chart is megabytes of markup that no one can read as dots anyway,
# and building it would hold every video. Every video still has its card.
CHART_POINTS = 2_000
CHART_METRICS = ("like_rate", "heart_rate", "completion_rate")


def _count(n: int, lang: Lang) -> str:
    return f"{n:,}" if lang == "en" else str(n)


def _sample_key(video_id: str, number: int) -> tuple[int, int]:
    """A video's place in the random order the samples take (the same on every run and
    whichever way the page is built): a hash of its id, then its number."""
    return zlib.crc32(video_id.encode("utf-8", "surrogatepass")), number


class _BottomK:
    """The `k` items with the smallest keys seen so far (a heap of the negated keys)."""

    __slots__ = ("k", "heap", "seen")

    def __init__(self, k: int):
        self.k = k
        self.heap: list = []
        self.seen = 0

    def add(self, key: tuple[int, int], item) -> None:
        self.seen += 1
        entry = (-key[0], -key[1], item)
        if len(self.heap) < self.k:
            heapq.heappush(self.heap, entry)
        elif entry[:2] > self.heap[0][:2]:
            heapq.heapreplace(self.heap, entry)

    def smallest(self, n: int) -> list:
        """The n items of smallest key."""
        return [item for *_, item in sorted(self.heap, key=lambda e: (-e[0], -e[1]))[:n]]


class ChartData:
    """What the review page's charts need of a batch, gathered one video at a time in bounded
    memory: per strongest advice, its count and the videos of a random sample of at most
    `limit` (all of them while the batch has no more than `limit` videos, so a small page is
    exactly the page of every video); the videos a chart cannot draw (listed up to `limit`);
    the advice titles; the forms; the first and last publish date."""

    def __init__(self, lang: Lang, limit: int = CHART_POINTS):
        self.lang = lang
        self.limit = limit
        self.total = 0
        self.dated = 0
        self.counts: dict[str, int] = {}  # strongest advice -> videos
        self.titles: dict[str, str] = {NO_ADVICE_KEY: _w("no_advice", lang)}
        self.forms: dict[str | None, int] = {}
        self.first_date: str | None = None
        self.last_date: str | None = None
        self._groups: dict[str, _BottomK] = {}
        self._dated = _BottomK(limit)
        self._metrics = tuple(dict.fromkeys((*CHART_METRICS, *metric_view("timeline"))))  # what a chart reads
        self.left_out: dict[str, tuple[list[str], int]] = {c: ([], 0) for c in ("likes-hearts", "completion-hearts",
                                                                                 "timeline")}

    def add(self, number: int, video: dict) -> None:
        """A video's report entry (advisor.jobs.review_report.video_json), numbered as its card."""
        self.total += 1
        advice = strongest(video)
        self.counts[advice] = self.counts.get(advice, 0) + 1
        findings = video.get("findings") or []
        for finding in findings:
            if finding["rule_id"] not in self.titles:
                self.titles[finding["rule_id"]] = finding["title"]
        form = video.get("form")
        self.forms[form] = self.forms.get(form, 0) + 1
        metrics = video.get("metrics") or {}
        slim = {"id": video["id"], "title": video.get("title"), "quadrant": video.get("quadrant"),
                "published_at": video.get("published_at"),
                "metrics": {m: metrics[m] for m in self._metrics if m in metrics},
                "findings": [{"rule_id": findings[0]["rule_id"], "title": findings[0]["title"]}] if findings else []}
        key = _sample_key(video["id"], number)
        group = self._groups.get(advice)
        if group is None:
            group = self._groups[advice] = _BottomK(self.limit)
        group.add(key, (number, slim))
        if video.get("published_at"):
            day = str(video["published_at"])[:10]
            if self.first_date is None or day < self.first_date:
                self.first_date = day
            if self.last_date is None or day > self.last_date:
                self.last_date = day
        if _date(video.get("published_at")) is not None:
            self.dated += 1
            self._dated.add(key, (number, slim))
        else:
            self._leave_out("timeline", f"{video_label(video, number)}: {_w('no_date', self.lang)}")
        for chart, x_metric in (("likes-hearts", "like_rate"), ("completion-hearts", "completion_rate")):
            note = missing_note(video, number, self.lang, x_metric, "heart_rate")
            if note is not None:
                self._leave_out(chart, note)

    def _leave_out(self, chart: str, note: str) -> None:
        listed, more = self.left_out[chart]
        if len(listed) < self.limit:
            listed.append(note)
        else:
            self.left_out[chart] = (listed, more + 1)

    @property
    def sampled(self) -> bool:
        return self.total > self.limit

    def scatter_sample(self) -> list[tuple[int, dict]]:
        """The videos the scatter charts draw, in card order: every video, or (above `limit`)
        `limit` of them shared out between the strongest advices, the rarest first, each
        advice's share taken in the random order of _sample_key."""
        groups = sorted(self._groups.items(), key=lambda kv: (len(kv[1].heap), kv[0]))
        if not self.sampled:
            chosen = [item for _, group in groups for item in group.smallest(len(group.heap))]
        else:
            chosen, room = [], self.limit
            for i, (_, group) in enumerate(groups):
                take = min(len(group.heap), room // (len(groups) - i))
                chosen += group.smallest(take)
                room -= take
        return sorted(chosen, key=lambda item: item[0])

    def dated_sample(self) -> list[tuple[int, dict]]:
        """The dated videos the timeline draws: all of them, or `limit` in the random order."""
        return sorted(self._dated.smallest(self.limit), key=lambda item: item[0])

    def scatter_caption(self, caption: str) -> str:
        if not self.sampled:
            return caption
        drawn = len(self.scatter_sample())
        return caption + " " + _w("sampled", self.lang, limit=_count(self.limit, self.lang),
                                  k=_count(drawn, self.lang), n=_count(self.total, self.lang))

    def dense(self) -> dict:
        """pygal options for a sampled scatter: smaller dots, no card number beside each (the
        hover text still names the video and its card)."""
        return {"print_labels": False, "dots_size": 3} if self.sampled else {}

    def more_note(self, more: int) -> list[str]:
        return [_w("more_left_out", self.lang, n=_count(more, self.lang))] if more else []

    def main_form(self) -> tuple[str | None, int]:
        """The most common form (its thresholds draw the H10/H11 regions) and its count."""
        if not self.forms:
            return None, 0
        form = max(self.forms, key=lambda f: (self.forms[f], f is not None, str(f)))
        return form, self.forms[form]
