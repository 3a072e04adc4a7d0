"""The pre-publish checklist: planned videos in, one item per plan-stage rule out.

advisor.input.plans.load_plans() reads the plans (YAML or JSON, one or many; bad ones are listed and the
rest kept). build_checklist() runs the plan-stage rules over each plan and decides each item's status:

    the rule fires                      then.status (todo by default, or consider)
    the rule does not fire              ok, with then.ok's texts (no item when the rule has no `ok`)
    the rule cannot tell (data missing) consider: "fill in <fields> to check: <description>"

and adds the H13 lint (advisor.jobs.cta_check) of the plan's cta_text, participation_path and activity.
checklist_json() is the report (the JSON shape); advisor.render.emit renders it as text or
Markdown through templates/checklist/, or HTML.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from jinja2 import TemplateError

from advisor.jobs.cta_check import CtaChecker
from advisor.engine.reference import eval_node
from advisor.core.errors import AdvisorError, Problem
from advisor.engine.evaluate import StageRunner
from advisor.engine.explain import Finding, because, explain, final_fact, label, render_rule_text, text_context
from advisor.core.i18n import Lang, T
from advisor.input.plans import LoadedPlan, load_plans  # noqa: F401  (load_plans is part of this API)
from advisor.model.plan import PLAN_FIELDS, Plan
from advisor.core.progress import Progress
from advisor.core.templating import RenderError
from advisor.model.rules_model import NUMERIC_OPS, PRIORITY_RANK, TEXT_OPS
from advisor.engine import default_engine

STATUSES = ("todo", "consider", "ok")
STATUS_RANK = {s: i for i, s in enumerate(STATUSES)}
H13_OK_ID = "cta-check"  # the item that says the plan's CTA passed the H13 lint

STATUS_LABELS = {
    "todo": T(zh="待办", en="To do"),
    "consider": T(zh="建议", en="Consider"),
    "ok": T(zh="已满足", en="OK"),
}
GOAL_LABELS = {
    "exposure": T(zh="曝光", en="exposure"),
    "relationship": T(zh="长期关系", en="relationship"),
    "both": T(zh="两者兼顾", en="both"),
}


# --- items ------------------------------------------------------------------------------------

@dataclass
class Item:
    """One line of the checklist."""

    rule_id: str
    heuristics: list[str]
    status: str  # todo | consider | ok
    title: str
    explanation: str
    priority: str = "medium"
    actions: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # plan fields to fill in (status consider, data missing)
    matched: str | None = None  # H13 items: the words the lint caught
    suggestion: str | None = None  # H13 items: a rewrite
    field: str | None = None  # H13 items: the plan field whose text the lint caught
    checks: str | None = None  # items waiting for data: what the rule checks, in a sentence
    origin: str = "shipped"
    order: int = 0

    def to_json(self) -> dict:
        out = {"rule_id": self.rule_id, "heuristics": list(self.heuristics), "status": self.status,
               "title": self.title, "explanation": self.explanation, "priority": self.priority,
               "actions": list(self.actions)}
        if self.missing:
            out["missing"] = list(self.missing)
        if self.matched is not None:
            out["matched"] = self.matched
        if self.suggestion is not None:
            out["suggestion"] = self.suggestion
        if self.field is not None:
            out["field"] = self.field
        if self.checks is not None:
            out["checks"] = self.checks
        out["origin"] = self.origin
        return out


@dataclass
class PlanChecklist:
    plan: Plan
    items: list[Item]
    file: str | None = None
    line: int | None = None

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for i in self.items if i.status == s) for s in STATUSES}

    def to_json(self) -> dict:
        out = {"id": self.plan.id, "items": [i.to_json() for i in self.items],
               "title": self.plan.title, "goal": self.plan.goal}
        out["counts"] = self.counts()
        if self.file:
            out["file"] = self.file
            if self.line:
                out["line"] = self.line
        return out


@dataclass
class Checklist:
    plans: list[PlanChecklist]
    problems: list[Problem]
    lang: Lang
    engine: str
    files: list[str] = field(default_factory=list)


def _measured(o) -> bool:
    """A condition whose value is worth repeating: a number, a level, words found in a text."""
    src = o.source
    return src.signal is None and (src.threshold is not None or src.op in NUMERIC_OPS or src.op in TEXT_OPS)


def fired_item(finding: Finding, fact: dict, lang: Lang, order: int) -> Item:
    """The rule's own words, then the measured conditions that made it fire (values, thresholds).

    Presence, yes/no and choice conditions ("goal is one of exposure, both") are left to the
    rule's text, which names those values itself; repeating them reads as noise in a checklist.
    """
    rule = finding.rule
    parts = []
    explain_text = finding.render("explain", fact, PLAN_FIELDS, lang)
    if explain_text:
        parts.append(explain_text)
    held = [o for o in finding.conditions if o.result and _measured(o) and not o.source.under_not]
    if held:
        parts.append(because(held, lang))
    parts.extend(o.source.note.get(lang) for o in finding.conditions if o.result and o.source.note is not None)
    return Item(rule.id, list(rule.heuristics), rule.then.status or "todo",
                finding.render("title", fact, PLAN_FIELDS, lang) or rule.id,
                ("" if lang == "zh" else " ").join(parts), rule.priority,
                finding.render("actions", fact, PLAN_FIELDS, lang) or [], origin=finding.origin, order=order)


def ok_item(rule, fact: dict, lang: Lang, order: int, origin: str, conditions=()) -> Item | None:
    ok = rule.then.ok
    if ok is None:
        return None
    ctx = text_context(fact, PLAN_FIELDS, conditions, lang)
    explanation = ok.explain or rule.description
    explain_path = ("then", "ok", "explain", lang) if ok.explain else ("description", lang)
    return Item(rule.id, list(rule.heuristics), "ok",
                render_rule_text(rule, ("then", "ok", "title", lang), ok.title.get(lang), ctx, lang).strip(),
                render_rule_text(rule, explain_path, explanation.get(lang), ctx, lang).strip() if explanation else "",
                rule.priority, origin=origin, order=order)


def unknown_item(rule, missing: list[str], fact: dict, lang: Lang, order: int, origin: str, conditions=()) -> Item:
    sep = "、" if lang == "zh" else ", "
    names = sep.join(label(m, lang, "plan") for m in missing)
    what = rule.description or rule.then.title
    ctx = text_context(fact, PLAN_FIELDS, conditions, lang)
    what_path = ("description", lang) if rule.description else ("then", "title", lang)
    what_text = render_rule_text(rule, what_path, what.get(lang), ctx, lang).strip().rstrip("。.") if what else rule.id
    title = T(zh="补充{f},才能检查:{w}", en="Fill in {f} to check: {w}").format(lang, f=names, w=what_text)
    explanation = T(zh="计划里没有{f}(字段 {keys}),这一项暂时无法判断。",
                    en="The plan does not give {f} (field {keys}), so this item cannot be decided yet.").format(
        lang, f=names, keys=", ".join(missing))
    return Item(rule.id, list(rule.heuristics), "consider", title, explanation, rule.priority, missing=list(missing),
                checks=what_text, origin=origin, order=order)


def _rule_values(compiled, fired: list[str], fact: dict) -> dict[str, bool | None]:
    """Each rule's three-valued result on the fact, as the last stratum saw it."""
    full = final_fact(compiled, fired, fact)
    return {rule.id: eval_node(rule.when, full) for rule in compiled.program.rules()}


# The plan's viewer-facing texts the H13 lint reads: the CTA first (the contract), and the
# participation path and activity, where lotteries and "like to unlock" show up just as often.
LINTED_FIELDS = ("cta_text", "participation_path", "activity")
# The platform's own live-room tools: in a live plan, the lint's bribery finding on these words
# alone is not manipulation (the reward-for-engagement rule still flags them in a video).
LIVE_ROOM_TOOLS = {"福袋", "lucky bag"}


def _h13_items(checker: CtaChecker, plan: Plan, lang: Lang, order: int) -> list[Item]:
    texts = [(name, getattr(plan, name)) for name in LINTED_FIELDS]
    texts = [(name, text) for name, text in texts if isinstance(text, str) and text.strip()]
    if not texts:
        return []
    items = []
    for name, text in texts:
        result = checker.check(text)
        where = label(name, lang, "plan")
        findings = result.findings
        if plan.form == "live":
            findings = [f for f in findings
                        if not (f.rule_id == "cta-bribery" and f.words and {w.casefold() for w in f.words} <= LIVE_ROOM_TOOLS)]
        for f in findings:
            suggestion = f.suggestion(lang)
            parts = [f.explanation(lang),
                     T(zh="{w}里的「{m}」正是问题所在。", en='The problem is "{m}" in the {w}.').format(lang, w=where, m=f.matched)]
            if suggestion and name == "cta_text":
                parts.append(T(zh="可以改成:{s}", en="Try instead: {s}").format(lang, s=suggestion))
            title = f.title(lang)
            if name != "cta_text":
                title = T(zh="{w}:{t}", en="{w}: {t}").format(lang, w=where[:1].upper() + where[1:] if lang == "en" else where, t=title)
            items.append(Item(f.rule_id, f.heuristics, "todo", title, ("" if lang == "zh" else " ").join(parts),
                              f.finding.rule.priority, f.actions(lang), matched=f.matched,
                              suggestion=suggestion if name == "cta_text" else None, field=name,
                              origin=f.finding.origin, order=order + len(items)))
    if not items:
        checked = ("、" if lang == "zh" else ", ").join(label(name, lang, "plan") for name, _ in texts)
        items.append(Item(H13_OK_ID, ["H13"], "ok",
                          T(zh="措辞自然:没有羞辱、利诱、威胁、迷信或叠加要求",
                            en="The wording reads naturally: no shaming, bribes, threats, superstition or stacked demands").get(lang),
                          T(zh="{c}通过了 advisor cta check。", en="The {c} pass advisor cta check.").format(lang, c=checked),
                          "high", order=order))
    return items


@contextmanager
def _located(loaded):
    """A rule text that cannot be rendered for this plan becomes a problem at the rule, not a traceback."""
    try:
        yield
    except (TemplateError, RenderError) as exc:
        raise AdvisorError([loaded.problem(T(zh=f"规则 {loaded.id} 的文字无法显示:{exc}",
                                             en=f"the text of rule {loaded.id} cannot be rendered: {exc}"),
                                           ("then",))]) from None


def check_plan(plan: Plan, runner: StageRunner, checker: CtaChecker, lang: Lang) -> list[Item]:
    """The checklist items of one plan: todo first, then consider, then ok; by priority within."""
    fact = plan.to_fact()
    compiled, fired = runner.fired(fact)
    findings, misses = explain(compiled, fired, fact, origins=runner.origins, with_misses=True)
    values = _rule_values(compiled, fired, fact)
    order = {r.id: i for i, r in enumerate(runner.loaded)}
    loaded = {r.id: r for r in runner.loaded}
    items: list[Item] = []
    for finding in findings:
        with _located(loaded[finding.rule_id]):
            items.append(fired_item(finding, fact, lang, order[finding.rule_id]))
    for miss in misses:
        rule = miss.rule
        origin = runner.origins.get(rule.id, "shipped")
        conditions = compiled.info[rule.id].conditions
        with _located(loaded[rule.id]):
            if values.get(rule.id) is None:
                missing = []
                for o in miss.blockers:
                    if o.result is None and o.source.metric and o.source.metric not in missing:
                        missing.append(o.source.metric)
                items.append(unknown_item(rule, missing, fact, lang, order[rule.id], origin, conditions))
            else:
                item = ok_item(rule, fact, lang, order[rule.id], origin, conditions)
                if item is not None:
                    items.append(item)
    items.extend(_h13_items(checker, plan, lang, len(order)))
    items.sort(key=lambda i: (STATUS_RANK[i.status], PRIORITY_RANK.get(i.priority, 1), i.order))
    return items


def build_checklist(plans, ruleset, *, lang: Lang = "zh", engine: str | None = None,
                    problems: list[Problem] | None = None) -> Checklist:
    """Checklists for `plans` (Plan or LoadedPlan objects) with the plan- and cta-stage rules."""

    out = []
    with StageRunner(ruleset, "plan", engine=engine) as runner, CtaChecker(ruleset, engine=engine) as checker, \
            Progress(len(plans) if hasattr(plans, "__len__") else 0, T(zh="检查计划", en="checking plans")) as progress:
        for entry in plans:
            progress.step()
            plan = entry.plan if isinstance(entry, LoadedPlan) else entry
            items = check_plan(plan, runner, checker, lang)
            out.append(PlanChecklist(plan, items, getattr(entry, "file", None), getattr(entry, "line", None)))
    return Checklist(out, list(problems or []), lang, engine or default_engine())


def checklist(paths_, ruleset, *, lang: Lang = "zh", engine: str | None = None) -> Checklist:
    """load_plans + build_checklist: the library function behind `advisor checklist`."""
    loaded = load_plans(paths_)
    result = build_checklist(loaded.plans, ruleset, lang=lang, engine=engine, problems=loaded.problems)
    result.files = loaded.files
    return result


# --- output -----------------------------------------------------------------------------------

def checklist_json(result: Checklist) -> dict:
    totals = {s: sum(p.counts()[s] for p in result.plans) for s in STATUSES}
    return {
        "plans": [p.to_json() for p in result.plans],
        "summary": {"plans": len(result.plans), **totals, "engine": result.engine, "lang": result.lang},
        "errors": [p.to_json(result.lang) for p in result.problems],
    }
