"""What the text and Markdown templates of ab, goals, tiers, cta, cta check and rules test see.

Each context is the kind's report dict (the JSON output) plus the few display pieces a report
line needs that the JSON does not carry: numbers formatted for reading, the sentences the job
already words for its JSON (A/B verdicts), labels. Layout and wording are in the templates
(templates/<kind>/text.j2 and markdown.md.j2). Nothing here runs the engine.
"""

from __future__ import annotations

import unicodedata

from advisor.core.i18n import Lang, T
from advisor.jobs.ab import ABResult, ab_json, verdict_sentence
from advisor.jobs.cta import TRACK_NAMES, CtaSet
from advisor.jobs.cta_check import CheckResult
from advisor.jobs.goals import GOAL_METRICS, STAGE_LABELS, GoalsResult, display_fields, goals_json, show, video_name
from advisor.jobs.ruletest import CaseResult, TestRun
from advisor.jobs.tiers import TIER_LABELS, TIERS, TiersResult, tiers_json

# --- ab -------------------------------------------------------------------------------------------

AB_METHODS = {"video": T(zh="以视频为单位:各组视频的 logit 均值之比,计入视频之间的正常波动(双侧)",
                         en="per video: arms' mean logits compared, counting the normal variation between videos (two-sided)"),
              "z": T(zh="以播放为单位的双比例 z 检验(合并方差,双侧;只适用于平台对同一条视频的分流测试)",
                   en="per view: two-proportion z-test (pooled, two-sided; only for one video split-tested by the platform)"),
              "bayes": T(zh="以播放为单位的贝叶斯:B 优于 A 的概率(Beta(1,1) 先验;只适用于平台对同一条视频的分流测试)",
                         en="per view: Bayesian probability that B beats A (Beta(1,1) priors; only for one video "
                            "split-tested by the platform)")}


def ab_context(result: ABResult, lang: Lang, **_) -> dict:
    report = ab_json(result, lang)
    variants = [{"key": key.upper(), "label": v.label, "source": v.source, "videos": len(v.videos),
                 "views": f"{v.views:,}"} for key, v in (("a", result.a), ("b", result.b))]
    comparisons = [{"sentence": verdict_sentence(c, result, lang), "findings": data["findings"]}
                   for c, data in zip(result.comparisons, report["comparisons"])]
    return {"report": report, "variants": variants, "method": AB_METHODS[result.method].get(lang),
            "alpha": f"{result.alpha:g}", "power": f"{result.power:g}", "comparisons": comparisons,
            "not_compared": report["not_compared"], "split": result.split, "problems": len(result.problems)}


# --- goals ----------------------------------------------------------------------------------------


def goals_context(result: GoalsResult, lang: Lang, **_) -> dict:
    report = goals_json(result, lang)
    cur = result.current_week
    stage = STAGE_LABELS[result.goals.account_stage].get(lang) if result.goals.account_stage else None
    targets = []
    for r, data in zip(result.results, report["goals"]):
        shown = display_fields(r.fact, r, lang, result.goals)
        entry = {"id": r.target.id, "describe": r.target.describe(lang), "measurable": r.measurable,
                 "source": r.metric.source.get(lang), "findings": data["findings"], "per": r.target.per}
        if r.measurable:
            entry.update({
                "met": r.met,
                "baseline_week": r.baseline_week.label if r.baseline_week else None,
                "baseline_text": shown["baseline_text"], "current_text": shown["current_text"],
                "target_text": shown["target_text"], "change_text": shown["change_text"],
                "reached": sum(1 for m in r.videos if m.reached),
                "checked": sum(1 for m in r.videos if m.reached is not None),
                "progress": shown["progress_text"] or None,
                "verdict": r.verdict, "verdict_text": shown["verdict_text"],
                "change_range_text": shown["change_range_text"],
                "series": [f"{p.week.label} {show(r.metric, p.value, lang)}"
                           + ({"flat": " –", "on_track": " ↗"}.get(p.verdict) or {True: " ✓", False: " ✗", None: ""}[p.met])
                           for p in r.series],
                "companion": None,
            })
            if r.companion is not None:
                cm = GOAL_METRICS[r.companion["metric"]]
                entry["companion"] = {"label": cm.label.get(lang), "baseline": show(cm, r.companion["baseline"], lang),
                                      "current": show(cm, r.companion["current"], lang), "ok": r.companion["ok"]}
            if r.target.per == "video":  # each video is judged against the target itself
                groups = [("at", [m for m in r.videos if m.reached]), ("below", [m for m in r.videos if m.reached is False])]
            else:
                groups = [("moved", [m for m in r.videos if m.moved]), ("not_moved", [m for m in r.videos if m.moved is False])]
            entry["groups"] = [{"kind": kind, "videos": [f"{video_name(m.video)} {show(r.metric, m.value, lang)}"
                                                         for m in moves]} for kind, moves in groups if moves]
        targets.append(entry)
    return {"report": report, "week": {"label": cur.label, "span": cur.span(), "videos": len(cur.videos)},
            "stage": stage, "from_defaults": result.from_defaults,
            "weeks": [f"{w.label} ({len(w.videos)})" for w in result.weeks],
            "undated": len(result.undated), "targets": targets, "next_week": report["next_week"],
            "problems": len(result.problems)}


# --- tiers ----------------------------------------------------------------------------------------


def tiers_context(result: TiersResult, lang: Lang, *, ids: bool = True, max_ids: int = 20, **_) -> dict:
    report = tiers_json(result, lang, ids=ids)
    thresholds = []
    for tier in TIERS:
        lines = result.thresholds.get(tier)
        if lines:
            name = TIER_LABELS[tier].get(lang)
            thresholds.append({"label": name.capitalize() if lang == "en" else name,
                               "lines": [line.describe(lang) for line in lines]})
    tiers = []
    for tier, data in zip(result.tiers, report["tiers"]):
        fact = tier.fact
        shown_ids = [v.id for v in tier.viewers[:max_ids]] if ids else []
        tiers.append({
            "label": TIER_LABELS[tier.name].get(lang).capitalize() if lang == "en" else TIER_LABELS[tier.name].get(lang),
            "viewers": len(tier.viewers),
            "share": f"{fact['share']:.1%}" if "share" in fact else "-",
            "avg_likes": f"{fact['avg_likes']:.1f}" if "avg_likes" in fact else "-",
            "avg_hearts": f"{fact['avg_hearts']:.1f}" if "avg_hearts" in fact else "-",
            "show_ids": ids and bool(tier.viewers), "ids": ", ".join(shown_ids),
            "more": len(tier.viewers) - len(shown_ids),
            "findings": data["findings"],
        })
    return {"report": report, "file": result.file.path, "population": result.population,
            "unused_columns": ", ".join(result.file.unused_columns), "thresholds": thresholds, "tiers": tiers,
            "problems": len(result.file.problems)}


# --- cta and cta check ------------------------------------------------------------------------------

CTA_TONES = {"warm": T(zh="温暖", en="warm"), "professional": T(zh="专业", en="professional"),
             "playful": T(zh="活泼", en="playful")}
CTA_GOALS = {"exposure": T(zh="曝光", en="exposure"), "relationship": T(zh="长期关系", en="relationship"),
             "both": T(zh="两者兼顾", en="both")}
CTA_CHANGES = {"wording": T(zh="说法", en="wording"), "placement": T(zh="位置", en="placement")}


def cta_context(result: CtaSet, lang: Lang, **_) -> dict:
    first = result.ctas[0]
    sep = "、" if lang == "zh" else " and "
    variants = []
    for c in result.ctas:
        second = c.second if c.leads == "like" else "like"
        variants.append({
            "variant": c.variant, "changes": sep.join(CTA_CHANGES[x].get(lang) for x in c.changes),
            "tracks": [{"icon": c.icons.get(t, "👍" if t == "like" else "♡"), "name": TRACK_NAMES[t].get(lang),
                        "text": c.tracks[t]} for t in (c.leads, second)],
            "extra": c.extra, "script": c.script, "placement": c.placement, "written": c.written,
            "seconds": "" if c.spoken_seconds is None else f"{c.spoken_seconds:g}",
            "rate": c.spoken.rate_text(lang) if c.spoken and not c.written else "",
            "budget": "" if c.budget_seconds is None else f"{c.budget_seconds:g}",
            "duration": "" if c.duration_s is None else f"{c.duration_s:g}", "fits": c.fits,
            "heuristics": ", ".join(c.heuristics),
        })
    return {"goal": CTA_GOALS[first.goal].get(lang), "tone": CTA_TONES[first.tone].get(lang),
            "leads": TRACK_NAMES[first.leads].get(lang), "platform": first.platform, "variants": variants}


def cta_check_context(result: CheckResult, lang: Lang, **_) -> dict:
    report = result.to_json(lang)
    return {"report": report, "clean": result.clean, "findings": report["findings"]}


# --- rules test -----------------------------------------------------------------------------------


def ruletest_context(run: TestRun, lang: Lang, *, verbose: bool = False, **_) -> dict:
    """Per file: its counts and its cases that failed (or, verbose, passed), with the deciding values."""
    by_file: dict[str, list[CaseResult]] = {f: [] for f in run.files}
    for r in run.results:
        by_file.setdefault(r.case.file, []).append(r)
    files = []
    for file, results in by_file.items():
        cases = []
        for r in results:
            if r.status == "error" or (r.status == "pass" and not verbose):
                continue  # an error's problems are listed at the end, located
            cases.append({"status": r.status, "name": r.case.name,
                          "where": f"{r.case.file}:{r.case.line}" if r.case.line else r.case.file,
                          "fire": ", ".join(r.case.fire), "not_fire": ", ".join(r.case.not_fire),
                          "fired": ", ".join(r.fired), "failures": [f.message(lang) for f in r.failures]})
        files.append({"file": file, "passed": sum(r.status == "pass" for r in results),
                      "failed": sum(r.status == "fail" for r in results),
                      "problems": sum(1 for problem in run.errors if problem.file == file), "cases": cases})
    return {"files": files, "errors": [p.format(lang) for p in run.errors], "passed": run.passed,
            "failed": run.failed}


# --- rules list ------------------------------------------------------------------------------------

def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def rule_table(rows: list[dict], lang: Lang) -> str:
    heads = [T(zh="id", en="id"), T(zh="阶段", en="stage"), T(zh="优先级", en="priority"),
             T(zh="启发式", en="heuristics"), T(zh="标题", en="title"), T(zh="启用", en="enabled"),
             T(zh="来源", en="origin")]
    yes, no = T(zh="是", en="yes").get(lang), T(zh="否", en="no").get(lang)
    table = [[h.get(lang) for h in heads]]
    for r in rows:
        origin = T(zh="内置", en="shipped").get(lang) if r["origin"] == "shipped" else r["origin"]
        table.append([r["id"], r["stage"], r["priority"], ",".join(r["heuristics"]), r["title"],
                      yes if r["enabled"] else no, origin])
    widths = [max(_width(row[i]) for row in table) for i in range(len(heads))]
    lines = []
    for n, row in enumerate(table):
        lines.append("  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)



def rule_list_context(result, lang: Lang, color: bool = False) -> dict:
    """What templates/rule_list/*.j2 see: the rows, the aligned text table (CJK counts double)."""
    return {"rows": result.rows, "table": rule_table(result.rows, lang) if result.rows else "",
            "no_match": T(zh="没有符合条件的规则", en="no rules match").get(lang), "lang": lang}
