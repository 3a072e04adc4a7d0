"""Reviewing posted videos: metrics in, explained and ranked findings out.

review_paths() is the library function behind `advisor review` (import, review, summarise);
review() does the same for videos already in memory. review_json() is the JSON report and
render_review() the text / markdown one, through templates/review/*.j2; the CLI only parses
options, calls these, and writes the result.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from advisor.core.errors import AdvisorError, Problem
from advisor.engine.evaluate import StageRunner
from advisor.engine.explain import Finding, Miss
from advisor.core.i18n import Lang, T
from advisor.model.levels import Baseline
from advisor.model.metrics import DERIVED, FIELDS, VideoMetrics, metric_view, view_rows
from advisor.input.ruleset import RuleSet
from advisor.input.sources import STDIN, read_bytes
from advisor.jobs.summary import QUADRANT_LABELS, Summary, summarize

# The rates shown next to every video, side by side (H05: never one number alone).
KEY_METRICS = metric_view("card")  # the registry's card view (advisor.model.metrics)
TEMPLATES = {"text": "text.j2", "markdown": "markdown.md.j2"}


@dataclass
class CtaPlan:
    """Which CTA track leads the next video, and why (the first ranked finding that says so)."""

    lead: str | None  # "like" | "heart" | None (nothing in the diagnosis decides)
    rule_id: str | None = None
    focus: str | None = None  # what the diagnosis asks the CTA to invite besides the lead track


@dataclass
class VideoReview:
    video: VideoMetrics
    fact: dict
    fired: list[str]
    findings: list[Finding]
    misses: list[Miss] = field(default_factory=list)
    source: str | None = None  # the file the video came from
    absent: dict[str, T] = field(default_factory=dict)  # metric -> why the data lacks it
    cta: CtaPlan | None = None

    def signals(self, ruleset_rules: dict) -> list[str]:
        return [ruleset_rules[r].then.signal for r in self.fired
                if r in ruleset_rules and ruleset_rules[r].then.signal]


@dataclass
class Review:
    videos: list[VideoReview]
    problems: list[Problem]
    baseline: Baseline | None
    engine: str
    files: list = field(default_factory=list)  # importers.FileInfo of the reviewed inputs
    summary: Summary | None = None
    history: str | None = None  # the history file, when one was given
    rules: dict = field(default_factory=dict)  # rule id -> Rule (the active review rules)
    explain_all: bool = False
    ruleset: RuleSet | None = field(default=None, repr=False)  # for the CTA lint (its cta rules)

    @property
    def status(self) -> int:
        """The exit status: 0 everything reviewed, 1 some rows bad, 2 nothing reviewed."""
        if not self.videos:
            return 2
        return 1 if self.problems else 0


# --- reviewing ----------------------------------------------------------------------------------


def make_baseline(videos: list[VideoMetrics], history: list[VideoMetrics] | None, *,
                  history_label: str | None = None, facts: list[dict] | None = None) -> Baseline:
    """The account's history for percentile levels: the --history file when given, else the batch.

    The batch is always passed on, even when small: levels.resolve() then falls back to the
    absolute thresholds itself and the explanation says how many videos there were
    ("history has 4, a percentile needs 10").
    """
    if history:
        return Baseline([v.to_fact() for v in history],
                        T(zh=f"历史文件 {history_label}", en=f"history file {history_label}"))
    return Baseline(facts if facts is not None else [v.to_fact() for v in videos], T(zh="本批视频", en="this batch"))


def cta_plan(findings: list[Finding]) -> CtaPlan:
    """The CTA lead of the strongest finding whose rule names one (`then.cta_lead`)."""
    for finding in findings:
        lead = finding.rule.then.cta_lead
        if lead:
            return CtaPlan(lead, finding.rule.id, CTA_FOCUS.get(finding.rule.id))
    return CtaPlan(None)


# What a diagnosis asks the next CTA to add (advisor.jobs.cta.FOCUSES): short-lived heat needs
# comments and a reason to come back (H03), not more likes; affection without staying power
# needs a reason to return for what comes next (H11).
CTA_FOCUS = {"short-lived-heat": "comments_and_return", "depth-gap": "return_visit"}
# The goal handed to advisor.jobs.cta when a lead is known: it words the tracks for that intent.
GOAL_FOR_LEAD = {"like": "exposure", "heart": "relationship", None: "both"}


def review(videos: list[VideoMetrics], ruleset: RuleSet, *, history: list[VideoMetrics] | None = None,
           history_label: str | None = None, engine: str | None = None, explain_all: bool = False,
           problems: list[Problem] | None = None, files: list | None = None,
           sources: list[str | None] | None = None, absent: list[dict] | None = None) -> Review:
    """Review videos with the ruleset's review rules: findings ranked, CTA lead chosen, summary.

    sources / absent (one per video, optional): the file each video came from and the metrics
    that file has no data for, so explanations can say "the export has none".
    """
    from advisor.engine import default_engine

    facts = [video.to_fact() for video in videos]
    baseline = make_baseline(videos, history, history_label=history_label, facts=facts)
    reviewed = []
    with StageRunner(ruleset, "review", baseline=baseline, engine=engine) as runner:
        for i, (video, fact) in enumerate(zip(videos, facts)):
            fired, findings, misses = runner.run(fact, with_misses=explain_all)
            vr = VideoReview(video, fact, fired, findings, misses,
                             source=sources[i] if sources else None, absent=absent[i] if absent else {})
            vr.cta = cta_plan(findings)
            reviewed.append(vr)
        rules = {r.id: r.rule for r in runner.loaded}
    hist_facts = [v.to_fact() for v in history] if history else None
    return Review(reviewed, list(problems or []), baseline, engine or default_engine(), list(files or []),
                  summarize(reviewed, hist_facts, history_label), history_label, rules, explain_all, ruleset)


def review_paths(paths, ruleset: RuleSet, *, history: str | None = None, profile=None, engine: str | None = None,
                 explain_all: bool = False, stdin=None) -> Review:
    """Import the files (`-` = standard input), review every good row, list every bad one.

    A file that cannot be read at all is listed and the others are still reviewed; only when
    no file can be read does it raise AdvisorError. A history file that cannot be read raises
    (it was asked for explicitly); its bad rows are listed like the others.
    """
    imported = import_batch(list(paths), ruleset, profile=profile, stdin=stdin)
    hist = None
    problems = list(imported.problems)
    if history:
        from advisor.input.importers import load_videos

        hist_result = load_videos([history], profile=profile, profile_dirs=ruleset.profile_dirs())
        hist = hist_result.videos
        problems += hist_result.problems
    sources, absent = video_sources(imported)
    return review(imported.videos, ruleset, history=hist, history_label=history, engine=engine,
                  explain_all=explain_all, problems=problems, files=imported.files, sources=sources, absent=absent)


def import_batch(paths: list, ruleset: RuleSet, *, profile=None, stdin=None):
    """load_videos over all paths; a file that cannot be used is listed, not fatal to the batch."""
    from advisor.input.importers import ImportResult, load_videos

    dirs = ruleset.profile_dirs()
    if STDIN in [str(p) for p in paths]:
        # Standard input can be read only once, and the batch may be read twice (below).
        stdin = io.BytesIO(read_bytes(STDIN, max_bytes=None, stdin=stdin)[0])
    try:
        return load_videos(paths, profile=profile, profile_dirs=dirs, stdin=stdin)
    except AdvisorError as whole:
        if len(paths) == 1:
            raise
        unusable: list[Problem] = []
        good = []
        for path in paths:
            if stdin is not None:
                stdin.seek(0)
            try:
                load_videos([path], profile=profile, profile_dirs=dirs, stdin=stdin)
                good.append(path)
            except AdvisorError as exc:
                unusable += exc.problems
        if not good:
            raise AdvisorError(unusable or whole.problems) from None
        if stdin is not None:
            stdin.seek(0)
        # Read the usable files together again, so duplicate ids across them are still caught.
        result: ImportResult = load_videos(good, profile=profile, profile_dirs=dirs, stdin=stdin)
        result.problems = unusable + result.problems
        return result


def video_sources(imported) -> tuple[list[str | None], list[dict]]:
    """Per video: its file, and the metrics that file has no data for (metric -> why).

    load_videos appends each file's videos in order and counts them in FileInfo.videos, so
    the videos of file k are the next FileInfo.videos of the list. A field no video of a file
    has is one the export does not have (a column missing, or empty throughout).
    """
    sources: list[str | None] = []
    absent: list[dict] = []
    start = 0
    for info in imported.files:
        chunk = imported.videos[start:start + info.videos]
        start += info.videos
        present = {name for v in chunk for name, value in v if value is not None}
        why = _absent_fields(present, info.path)
        sources += [info.path] * len(chunk)
        absent += [why] * len(chunk)
    rest = len(imported.videos) - start
    return sources + [None] * rest, absent + [{}] * rest


def _absent_fields(present: set[str], path: str) -> dict[str, T]:
    out: dict[str, T] = {}
    for name in VideoMetrics.model_fields:
        if name not in present:
            out[name] = T(zh=f"导出文件 {path} 里没有这一项", en=f"the export ({path}) has none")
    for name, spec in DERIVED.items():
        lacking = [f for f in (*spec.numerator, spec.denominator) if f not in present]
        if lacking:
            names_zh = "、".join(FIELDS[f].label.zh for f in lacking)
            names_en = ", ".join(FIELDS[f].label.en for f in lacking)
            out[name] = T(zh=f"它由{spec.description.zh}算出,而导出文件 {path} 里没有{names_zh}",
                          en=f"it is {spec.description.en}, and the export ({path}) has no {names_en}")
    return out


# --- JSON ---------------------------------------------------------------------------------------


def finding_json(finding: Finding, fact: dict, lang: Lang) -> dict:
    rule = finding.rule
    reasons = finding.held()
    return {
        "rule_id": rule.id,
        "heuristics": list(rule.heuristics),
        "priority": rule.priority,
        "title": finding.render("title", fact, FIELDS, lang),
        "explanation": finding.explanation(fact, FIELDS, lang),
        # The conditions that made the rule fire, with those behind its signals (e.g. the
        # completion rate behind `watched_through`); signals themselves are listed apart.
        "conditions": [_tidy(o.to_json(lang)) for o in reasons if o.source.signal is None],
        "signals": list(dict.fromkeys(o.source.signal for o in reasons if o.source.signal and not o.negated)),
        "without_signals": list(dict.fromkeys(o.source.signal for o in reasons if o.source.signal and o.negated)),
        "actions": finding.render("actions", fact, FIELDS, lang),
        "margin": round(finding.margin, 4),
        "origin": finding.origin,
        "cta_lead": rule.then.cta_lead,
    }


class CtaWriter:
    """The next-video CTA of each reviewed video, written and linted once per distinct choice.

    The text comes from advisor.jobs.cta (the same templates as `advisor cta`): the lead track from
    the strongest finding's `cta_lead`, the focus line from CTA_FOCUS. The script is then run
    through the same H13 lint as `advisor cta check` (advisor.jobs.cta_check, the rule set's cta
    rules), and the result is reported with the CTA. Videos with the same diagnosis and form
    share one CTA, so it is rendered and checked once.
    """

    def __init__(self, lang: Lang, ruleset: RuleSet | None = None, engine: str | None = None):
        self.lang = lang
        self.ruleset = ruleset
        self.engine = engine
        self._done: dict[tuple, dict] = {}
        self._checker = None

    def cta(self, vr: VideoReview):
        """The advisor.jobs.cta.Cta for the video's next video (AdvisorError if a template is broken)."""
        from advisor.jobs.cta import generate_cta

        plan = vr.cta or CtaPlan(None)
        return generate_cta(goal=GOAL_FOR_LEAD[plan.lead], form=vr.video.form, lang=self.lang, lead=plan.lead,
                            focus=plan.focus)[0]

    def lint(self, text: str) -> dict:
        from advisor.jobs.cta_check import CtaChecker

        if self._checker is None:
            self._checker = CtaChecker(self.ruleset, engine=self.engine)
        return self._checker.check(text).to_json(self.lang)

    def json(self, vr: VideoReview) -> dict:
        """{"tracks": {"like": ..., "heart": ...}, "leads": ..., "reason": rule id, "lint": ...}."""
        plan = vr.cta or CtaPlan(None)
        key = (plan.lead, plan.focus, vr.video.form)
        if key not in self._done:
            try:
                data = self.cta(vr).to_json()
                lint = self.lint(data["script"])
                data["lint"] = {"clean": lint["clean"], "findings": lint["findings"]}
            except AdvisorError as exc:  # a broken CTA template or cta rule: said here, the review stands
                data = {"tracks": {}, "leads": plan.lead, "focus": plan.focus,
                        "error": "; ".join(p.format(self.lang) for p in exc.problems)}
            self._done[key] = data
        return {**self._done[key], "reason": plan.rule_id}

    def close(self) -> None:
        if self._checker is not None:
            self._checker.close()


def _tidy(condition: dict) -> dict:
    """Floats to 10 significant digits: 0.3865, not 0.38649999999999995 (a percentile's noise)."""
    for key in ("value", "threshold"):
        value = condition.get(key)
        if isinstance(value, float):
            condition[key] = float(f"{value:.10g}")
    return condition


def cta_json(vr: VideoReview, lang: Lang, ruleset: RuleSet | None = None) -> dict:
    """The CTA of one reviewed video (see CtaWriter)."""
    writer = CtaWriter(lang, ruleset)
    try:
        return writer.json(vr)
    finally:
        writer.close()


def video_json(vr: VideoReview, result: Review, lang: Lang, ctas: CtaWriter | None = None) -> dict:
    entry = {
        "id": vr.video.id,
        "title": vr.video.title,
        "form": vr.video.form,
        "published_at": vr.fact.get("published_at"),
        "source": vr.source,
        "metrics": {m: vr.fact.get(m) for m in KEY_METRICS},
        "quadrant": result.summary.per_video_quadrant.get(vr.video.id) if result.summary else None,
        "findings": [finding_json(f, vr.fact, lang) for f in vr.findings],
        "fired": list(vr.fired),
        "signals": vr.signals(result.rules),
        "cta": ctas.json(vr) if ctas else cta_json(vr, lang, result.ruleset),
    }
    if result.explain_all:
        entry["not_fired"] = [m.to_json(lang, vr.absent) for m in vr.misses]
    return entry


def review_json(result: Review, lang: Lang) -> dict:
    summary = result.summary.to_json(lang) if result.summary else {}
    # Inputs not reviewed: each bad row once (however many of its cells were bad), each unusable file once.
    not_reviewed = len({(p.file, p.row) for p in result.problems})
    summary.update({"engine": result.engine, "reviewed": len(result.videos), "not_reviewed": not_reviewed,
                    "errors": len(result.problems),
                    "files": [_file_json(f, lang) for f in result.files]})
    if result.history:
        summary["history"] = result.history
    ctas = CtaWriter(lang, result.ruleset, result.engine)
    try:
        videos = [video_json(vr, result, lang, ctas) for vr in result.videos]
    finally:
        ctas.close()
    return {"videos": videos, "summary": summary, "errors": [error_json(p, lang) for p in result.problems]}


def _file_json(info, lang: Lang) -> dict:
    return {"path": info.path, "profile": info.profile, "rows": info.rows, "videos": info.videos,
            "ignored_columns": list(info.ignored_columns)}


def error_json(problem: Problem, lang: Lang) -> dict:
    out = {"file": problem.file, "row": problem.row, "column": problem.column, "field": problem.field,
           "message": problem.message.get(lang), "text": problem.format(lang)}
    if problem.line is not None:
        out["line"] = problem.line
    return out


# --- text and markdown --------------------------------------------------------------------------

ANSI = {"bold": "\x1b[1m", "dim": "\x1b[2m", "reset": "\x1b[0m", "high": "\x1b[1;31m", "medium": "\x1b[1;33m",
        "low": "\x1b[36m", "title": "\x1b[1;4m", "heart": "\x1b[35m", "like": "\x1b[34m", "error": "\x1b[31m"}


def styles(color: bool) -> dict:
    """Terminal styles as template variables: ANSI codes when colour is on, else empty strings."""
    return dict(ANSI) if color else {k: "" for k in ANSI}


def report_context(result: Review, lang: Lang, *, color: bool = False) -> dict:
    """What the templates see: the JSON report, plus labels and styles."""
    data = review_json(result, lang)
    # Titles, ids and quoted cells come from the export as written: a control character in
    # them (an escape sequence) must not reach the terminal.
    for v in data["videos"]:
        v["id"], v["title"] = _printable(v["id"]), _printable(v["title"])
    for t in data["summary"].get("top", []):
        t["id"], t["title"] = _printable(t["id"]), _printable(t["title"])
    for e in data["errors"]:
        e["text"], e["message"], e["file"] = _printable(e["text"]), _printable(e["message"]), _printable(e["file"])
    return {
        "report": data,
        "videos": data["videos"],
        "summary": data["summary"],
        "errors": data["errors"],
        "explain_all": result.explain_all,
        "labels": {name: info.label.get(lang) for name, info in FIELDS.items()},
        "shown": view_rows(lang),  # which metrics each part of a report lists, from the registry
        "quadrant_labels": {q: t.get(lang) for q, t in QUADRANT_LABELS.items()},
        "style": styles(color),
    }


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _printable(text):
    """Control characters shown as visible escapes (\\x1b), so a report cannot drive a terminal."""
    if not isinstance(text, str):
        return text
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def templates_dir() -> Path:
    from advisor.core.paths import shipped_templates

    return shipped_templates() / "review"


def render_review(result: Review, fmt: str, lang: Lang, *, color: bool = False) -> str:
    """The report as text, markdown or JSON."""
    if fmt == "json":
        return json.dumps(review_json(result, lang), ensure_ascii=False, indent=2) + "\n"
    from advisor.core.templating import render_template

    context = report_context(result, lang, color=color and fmt == "text")
    return render_template(templates_dir(), TEMPLATES[fmt], context, lang)
