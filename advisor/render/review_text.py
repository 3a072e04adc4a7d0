"""What the review's text and Markdown templates (templates/review/*.j2) see.

The JSON report (advisor.jobs.review_report.review_json) with control characters made visible,
field and quadrant labels, and the terminal styles (ANSI codes, or empty strings without colour).
"""

from __future__ import annotations

import re

from advisor.core.safe_text import printable
from advisor.core.i18n import Lang
from advisor.jobs.review import Review
from advisor.jobs.review_report import report_tail, review_json
from advisor.jobs.summary import QUADRANT_LABELS
from advisor.model.metrics import FIELDS, view_rows

ANSI = {"bold": "\x1b[1m", "dim": "\x1b[2m", "reset": "\x1b[0m", "high": "\x1b[1;31m", "medium": "\x1b[1;33m",
        "low": "\x1b[36m", "title": "\x1b[1;4m", "heart": "\x1b[35m", "like": "\x1b[34m", "error": "\x1b[31m"}


def styles(color: bool) -> dict:
    """Terminal styles as template variables: ANSI codes when colour is on, else empty strings."""
    return dict(ANSI) if color else {k: "" for k in ANSI}


def report_context(result: Review, lang: Lang, *, color: bool = False) -> dict:
    """What the templates see: the JSON report, plus labels and styles."""
    return _context(review_json(result, lang), result, lang, color)


def frame_context(result: Review, lang: Lang, shown: list[dict], marker: str, *, color: bool = False) -> dict:
    """The report around its video cards (part "frame"), `marker` where the cards go; shown:
    the videos a digest lists (its CTA groups refer to them). The summary's id lists stay
    Strings (the templates read their lengths): a million ids are not made str objects."""
    data = {"videos": [], **report_tail(result, lang, shown, lazy=True)}
    return {**_context(data, result, lang, color), "part": "frame", "cards": marker, "total": result.count}


def cards_context(videos: list[dict], result: Review, lang: Lang, *, offset: int, total: int, digest: bool,
                  color: bool = False) -> dict:
    """Cards offset + 1 .. offset + len(videos) of total (part "cards"); digest: the report's
    CTAs are grouped after the cards, not under each."""
    data = {"videos": videos, "summary": {}, "errors": []}
    if digest:
        data["ctas"] = []
    return {**_context(data, result, lang, color), "part": "cards", "offset": offset, "total": total}


def _context(data: dict, result: Review, lang: Lang, color: bool) -> dict:
    # Titles, ids and quoted cells come from the export as written: a control character in
    # them (an escape sequence) must not reach the terminal.
    for v in data["videos"]:
        v["id"], v["title"] = printable(v["id"]), printable(v["title"])
    for t in data["summary"].get("top", []):
        t["id"], t["title"] = printable(t["id"]), printable(t["title"])
    for e in data["errors"]:
        e["text"], e["message"], e["file"] = printable(e["text"]), printable(e["message"]), printable(e["file"])
    return {
        "report": data,
        "videos": data["videos"],
        "summary": data["summary"],
        "errors": data["errors"],
        "explain_all": result.explain_all,
        "labels": LABELS[lang],
        "shown": view_rows(lang),  # which metrics each part of a report lists, from the registry
        "quadrant_labels": {q: t.get(lang) for q, t in QUADRANT_LABELS.items()},
        "style": styles(color),
        "part": None, "cards": "", "offset": 0, "total": len(data["videos"]),
    }


LABELS = {lang: {name: info.label.get(lang) for name, info in FIELDS.items()} for lang in ("zh", "en")}
