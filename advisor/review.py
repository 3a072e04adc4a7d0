"""Reviewing posted videos: metrics in, explained and ranked findings out.

review() is the library function behind `advisor review`; the CLI only parses options,
calls it, and renders the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import Problem
from .evaluate import StageRunner
from .explain import Finding, Miss
from .i18n import Lang, T
from .levels import Baseline
from .metrics import FIELDS, VideoMetrics
from .ruleset import RuleSet


@dataclass
class VideoReview:
    video: VideoMetrics
    fact: dict
    fired: list[str]
    findings: list[Finding]
    misses: list[Miss] = field(default_factory=list)


@dataclass
class Review:
    videos: list[VideoReview]
    problems: list[Problem]
    baseline: Baseline | None
    engine: str
    files: list = field(default_factory=list)


def make_baseline(videos: list[VideoMetrics], history: list[VideoMetrics] | None, min_history: int,
                  history_label: str | None = None) -> Baseline | None:
    """The account's history: the --history file when given, else the batch itself when large enough."""
    if history:
        return Baseline([v.to_fact() for v in history],
                        T(zh=f"历史文件 {history_label}", en=f"history file {history_label}"))
    if len(videos) >= min_history:
        return Baseline([v.to_fact() for v in videos], T(zh="本批视频", en="this batch"))
    return None


def review(videos: list[VideoMetrics], ruleset: RuleSet, *, history: list[VideoMetrics] | None = None,
           history_label: str | None = None, engine: str | None = None, explain_all: bool = False,
           problems: list[Problem] | None = None) -> Review:
    baseline = make_baseline(videos, history, ruleset.levels.min_history, history_label)
    reviewed = []
    with StageRunner(ruleset, "review", baseline=baseline, engine=engine) as runner:
        for video in videos:
            fact = video.to_fact()
            fired, findings, misses = runner.run(fact, with_misses=explain_all)
            reviewed.append(VideoReview(video, fact, fired, findings, misses))
    from .engine import default_engine

    return Review(reviewed, list(problems or []), baseline, engine or default_engine())


def finding_json(finding: Finding, fact: dict, lang: Lang) -> dict:
    rule = finding.rule
    return {
        "rule_id": rule.id,
        "heuristics": list(rule.heuristics),
        "priority": rule.priority,
        "title": finding.render("title", fact, FIELDS, lang),
        "explanation": finding.explanation(fact, FIELDS, lang),
        "conditions": [o.to_json(lang) for o in finding.conditions],
        "actions": finding.render("actions", fact, FIELDS, lang),
        "margin": round(finding.margin, 4),
        "origin": finding.origin,
    }


def review_json(result: Review, lang: Lang) -> dict:
    videos = []
    for vr in result.videos:
        entry = {
            "id": vr.video.id,
            "title": vr.video.title,
            "findings": [finding_json(f, vr.fact, lang) for f in vr.findings],
            "fired": list(vr.fired),
        }
        if vr.misses:
            entry["not_fired"] = [m.to_json(lang) for m in vr.misses]
        videos.append(entry)
    return {
        "videos": videos,
        "summary": {"videos": len(result.videos), "engine": result.engine},
        "errors": [_error_json(p, lang) for p in result.problems],
    }


def _error_json(problem: Problem, lang: Lang) -> dict:
    out = {"file": problem.file, "row": problem.row, "column": problem.column, "field": problem.field,
           "message": problem.message.get(lang)}
    if problem.line is not None:
        out["line"] = problem.line
    return out
