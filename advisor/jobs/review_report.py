"""The review's report: the dict `advisor review --format json` prints (and every other format reads).

Pure serialisation of an advisor.jobs.review.Review: the findings (advisor.engine.explain
Finding.to_json, the one finding shape), the CTA blocks the review already wrote, the summary
and the problems (advisor.core.errors Problem.to_json, the one error shape). Nothing here
runs the engine.
"""

from __future__ import annotations

import json

from advisor.core.i18n import Lang
from advisor.jobs.summary import quadrant, standing
from advisor.jobs.review import KEY_METRICS, Review, VideoReview
from advisor.model.metrics import FIELDS


def video_json(vr: VideoReview, result: Review, lang: Lang) -> dict:
    video, fact = vr.video, vr.fact
    get = fact.get
    metrics = tuple(KEY_METRICS)  # the registry's card view, read once
    entry = {
        "id": video.id,
        "title": video.title,
        "form": video.form,
        "published_at": get("published_at"),
        "source": vr.source,
        "metrics": dict(zip(metrics, map(get, metrics))),  # {metric: its value or None}, in order
        "quadrant": quadrant(fact),
        "standing": standing(fact, lang),  # "likes high · hearts typical", as the levels judged it
        "findings": [f.to_json(fact, FIELDS, lang, tidy_values=True) for f in vr.findings],
        "fired": list(vr.fired),
        "signals": vr.signals(result.signal_of),
        "cta": cta_json(vr, lang),
    }
    if result.explain_all:
        entry["not_fired"] = [m.to_json(lang, vr.absent) for m in vr.misses]
    return entry


def entry_of(shown, result: Review, lang: Lang) -> dict:
    """A video's report entry: rendered from its VideoReview, or already one (a digest's video
    reviewed in another process)."""
    return shown if isinstance(shown, dict) else video_json(shown, result, lang)


class CtaJson(dict):
    """A video's "cta" value: one of its review's few CTA blocks and the rule it answers. Every
    video with the same block and rule gets the same object (read it; never change it), and
    `key` names its content within the review (None: unnamed), so a writer can encode each
    distinct one once (advisor.render.stream)."""

    __slots__ = ("key",)


# (id(block), reason) -> (block, its CtaJson): the block is held, so its id stays its own. A
# handful per review; bounded for a long-lived process (the web app) that runs many.
_CTA_JSON: dict[tuple, tuple[dict, CtaJson]] = {}
_CTA_JSON_KEPT = 256


def cta_json(vr: VideoReview, lang: Lang) -> dict:
    """{"tracks": {"like": ..., "heart": ...}, "leads": ..., ..., "lint": ..., "reason": rule id}."""
    if lang not in vr.cta_blocks:
        raise ValueError(f"the review wrote no CTA in {lang!r}: pass it in review(..., langs=)")
    block = vr.cta_blocks[lang]
    reason = vr.cta.rule_id if vr.cta else None
    known = _CTA_JSON.get((id(block), reason))
    if known is not None and known[0] is block:
        return known[1]
    made = CtaJson(block)
    made["reason"] = reason
    name = getattr(block, "key", None)
    made.key = None if name is None else (name, reason)
    if len(_CTA_JSON) >= _CTA_JSON_KEPT:
        _CTA_JSON.clear()
    _CTA_JSON[(id(block), reason)] = (block, made)
    return made


def review_json(result: Review, lang: Lang) -> dict:
    shown = result.videos
    if result.top is not None:
        # A digest: the videos with the most to learn from, in that order; the rest are counted.
        shown = list(result.summary.picked) if result.summary else []
    videos = [entry_of(vr, result, lang) for vr in shown]
    return {"videos": videos, **report_tail(result, lang, videos)}


def report_tail(result: Review, lang: Lang, shown: list[dict], *, lazy: bool = False) -> dict:
    """Everything of the report after its videos: the summary, the errors and, for a digest,
    the CTA groups of the `shown` videos. A streaming review writes it once the videos are out.
    lazy: the summary's id lists stay Strings (Summary.to_json), for a writer that takes them
    a slice at a time (advisor.render.stream) or a template that reads only their length."""
    summary = result.summary.to_json(lang, lazy=lazy) if result.summary else {}
    # Inputs not reviewed: each bad row once (however many of its cells were bad), each unusable file once.
    not_reviewed = len({(p.file, p.row) for p in result.problems})
    summary.update({"engine": result.engine, "reviewed": result.count, "not_reviewed": not_reviewed,
                    "errors": len(result.problems),
                    "files": [file_json(f) for f in result.files]})
    if result.history:
        summary["history"] = result.history
    if result.top is not None:
        quiet = result.summary.quiet if result.summary else 0
        summary["digest"] = {"top": result.top, "shown": len(shown), "omitted": result.count - len(shown),
                             "with_findings": result.count - quiet, "quiet": quiet}
    report = {"summary": summary, "errors": [p.to_json(lang) for p in result.problems]}
    if result.top is not None:
        report["ctas"] = cta_groups(shown)
    return report


def cta_groups(videos: list[dict]) -> list[dict]:
    """Each distinct next-video CTA once, with the videos it is for (a digest prints it once)."""
    groups: dict[str, dict] = {}
    for position, v in enumerate(videos, start=1):
        block = {k: val for k, val in v["cta"].items() if k != "reason"}
        key = json.dumps(block, sort_keys=True, ensure_ascii=False)
        group = groups.setdefault(key, {"cta": block, "videos": [], "positions": []})
        group["videos"].append(v["id"])
        group["positions"].append(position)
    return list(groups.values())


def file_json(info) -> dict:
    return {"path": info.path, "profile": info.profile, "rows": info.rows, "videos": info.videos,
            "ignored_columns": list(info.ignored_columns)}
