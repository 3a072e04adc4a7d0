"""Page 5 of `advisor serve`, 实验与目标 Experiments and goals.

Experiments (/experiments): the operator ticks stored videos into two arms (A / B); they are
compared as `advisor ab` compares two variants (advisor.jobs.ab.compare_variants, method video:
the VIDEO is the unit), with each signal's between-video spread tau fitted on the account's other
stored videos (history_taus). The page shows the ab report (ab_json), so its numbers are the
CLI's. A result is linkable (GET with the arms in the query) and can be saved (table
`experiments`) to be reopened.

Goals (/goals): the account's weekly targets (a GoalsFile, advisor.jobs.goals) set in a form and
stored per account (table `goal_sets`, the newest save wins); the progress is evaluate_goals() on
the stored videos, for the latest week with videos or a chosen one: each target's one verdict,
its range and its week-by-week series. A target the GoalsFile model refuses shows the model's
message beside the field it names.

The handlers only parse forms and render templates/web/experiments.html.j2 and goals.html.j2
around these functions; the routes are added to the app by experiment_routes().
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from pydantic import ValidationError
from sqlalchemy import insert, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from advisor.core.errors import AdvisorError
from advisor.core.i18n import LANGS, Lang, T
from advisor.input.ruleset import RuleSet
from advisor.input.yamlio import problems_from_validation_error
from advisor.jobs.ab import ABResult, Variant, compare_variants, history_taus
from advisor.jobs.goals import GOAL_METRICS, STAGE_LABELS, GoalsFile, GoalsResult, Target, evaluate_goals, show
from advisor.model.levels import FORM_LABELS
from advisor.model.metrics import VideoMetrics
from advisor.render.views import ab_context, goals_context
from advisor.web.store import Store, experiments, goal_sets

MAX_ARM_NAME = 60
MAX_QUERY = 6000  # a comparison whose link would be longer is saved, and linked by its number
BLANK_ROWS = 2
MAX_ROWS = 50
KINDS = ("change", "change_pp", "level")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


# --- the store's two tables ------------------------------------------------------------------------


def save_experiment(store: Store, account_id: int, arms: "Arms") -> int:
    with store.engine.begin() as conn:
        return int(conn.execute(insert(experiments).values(account_id=account_id, saved_at=_now(),
                                                           data=json.dumps(arms.to_json(), ensure_ascii=False)))
                   .inserted_primary_key[0])


def saved_experiments(store: Store, account_id: int, limit: int = 30) -> list[dict]:
    """The account's saved experiments, newest first: id, saved_at, and the arms' names and sizes."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(experiments).where(experiments.c.account_id == account_id)
                            .order_by(experiments.c.id.desc()).limit(limit)).all()
    out = []
    for row in rows:
        data = json.loads(row.data)
        out.append({"id": row.id, "saved_at": row.saved_at, "name_a": data.get("name_a") or "A",
                    "name_b": data.get("name_b") or "B", "a": len(data.get("a", [])), "b": len(data.get("b", []))})
    return out


def saved_experiment(store: Store, account_id: int, experiment_id: int) -> "Arms | None":
    with store.engine.connect() as conn:
        row = conn.execute(select(experiments.c.data).where(experiments.c.id == experiment_id,
                                                            experiments.c.account_id == account_id)).first()
    if row is None:
        return None
    data = json.loads(row.data)
    return Arms(str(data.get("name_a", "")), str(data.get("name_b", "")), list(data.get("a", [])),
                list(data.get("b", [])))


def save_goals(store: Store, account_id: int, goals: GoalsFile) -> int:
    data = goals.model_dump(mode="json", by_alias=True, exclude_none=True)
    with store.engine.begin() as conn:
        return int(conn.execute(insert(goal_sets).values(account_id=account_id, saved_at=_now(),
                                                         data=json.dumps(data, ensure_ascii=False)))
                   .inserted_primary_key[0])


def stored_goals(store: Store, account_id: int) -> GoalsFile | None:
    """The account's goals: its newest save (None when it has none, or none this advisor can read)."""
    with store.engine.connect() as conn:
        row = conn.execute(select(goal_sets.c.data).where(goal_sets.c.account_id == account_id)
                           .order_by(goal_sets.c.id.desc()).limit(1)).first()
    if row is None:
        return None
    try:
        return GoalsFile.model_validate(json.loads(row.data))
    except (ValidationError, ValueError):
        return None


# --- experiments -----------------------------------------------------------------------------------


@dataclass
class Arms:
    name_a: str
    name_b: str
    a: list[str]
    b: list[str]

    def to_json(self) -> dict:
        return {"name_a": self.name_a, "name_b": self.name_b, "a": self.a, "b": self.b}

    def query(self, account_id: int) -> str:
        pairs = [("account", str(account_id))]
        if self.name_a:
            pairs.append(("name_a", self.name_a))
        if self.name_b:
            pairs.append(("name_b", self.name_b))
        pairs += [("a", i) for i in self.a] + [("b", i) for i in self.b]
        return urlencode(pairs)


def read_arms(params) -> Arms:
    """The arms from a form or a query (a MultiDict): ticked ids in order, without repeats."""
    def ids(key: str) -> list[str]:
        return list(dict.fromkeys(str(v) for v in params.getlist(key) if isinstance(v, str) and v))
    return Arms(str(params.get("name_a") or "").strip(), str(params.get("name_b") or "").strip(), ids("a"), ids("b"))


def check_arms(arms: Arms, stored: list[VideoMetrics]) -> dict[str, T]:
    """What is wrong with the arms, by the field it is shown beside (a, b, both, name_a, name_b)."""
    errors: dict[str, T] = {}
    known = {v.id for v in stored}
    for key, ids, name in (("a", arms.a, arms.name_a), ("b", arms.b, arms.name_b)):
        if not ids:
            errors[key] = T(zh=f"请至少勾选一条视频放进 {key.upper()} 组", en=f"tick at least one video for arm {key.upper()}")
        elif any(i not in known for i in ids):
            errors[key] = T(zh="有的视频不在这个账号里(可能已换了账号),请重新勾选",
                            en="some videos are not in this account (the account may have changed); tick them again")
        if len(name) > MAX_ARM_NAME:
            errors["name_" + key] = T(zh=f"组名最多 {MAX_ARM_NAME} 个字", en=f"at most {MAX_ARM_NAME} characters")
    both = set(arms.a) & set(arms.b)
    if both:
        errors["both"] = T(zh=f"有 {len(both)} 条视频同时勾选在 A 和 B 两组:一条视频只能在一组里",
                           en=f"{len(both)} video(s) are ticked in both A and B: a video belongs to one arm only")
    return errors


def compare_stored(stored: list[VideoMetrics], arms: Arms, ruleset: RuleSet) -> ABResult:
    """`advisor ab` on two arms of stored videos: method video, tau fitted on the account's other videos."""
    by_id = {v.id: v for v in stored}
    chosen = set(arms.a) | set(arms.b)
    others = [v for v in stored if v.id not in chosen]
    taus = history_taus(others) if others else None
    source = T(zh="已保存的视频", en="stored videos")
    a = Variant("a", arms.name_a or "A", source.en, [by_id[i] for i in arms.a])
    b = Variant("b", arms.name_b or "B", source.en, [by_id[i] for i in arms.b])
    history = f"store ({len(others)} other videos)" if taus else None
    return compare_variants(a, b, ruleset, method="video", taus=taus, history=history)


def _pct(value) -> str:
    return "–" if value is None else f"{value * 100:.2f}%"


def experiment_view(result: ABResult, lang: Lang) -> dict:
    """What experiments.html.j2 shows: the ab report (ab_json) and its sentences, rows formatted."""
    ctx = ab_context(result, lang)
    report = ctx["report"]
    rows = []
    for c, shown in zip(report["comparisons"], ctx["comparisons"]):
        interval = c.get("interval")
        if c["winner"] in ("a", "b"):
            verdict = T(zh=f"{result.label(c['winner'])} 胜出", en=f"{result.label(c['winner'])} wins").get(lang)
        elif c["verdict"] == "tie":
            verdict = T(zh="没有值得行动的差别", en="no difference worth acting on").get(lang)
        else:
            verdict = T(zh="暂不判定", en="not decided").get(lang)
        rows.append({**c, "rate_a": _pct(c["a"]), "rate_b": _pct(c["b"]), "verdict_text": verdict,
                     "ratio_text": "–" if c.get("ratio") is None else f"{c['ratio']:.2f}",
                     "interval_text": "–" if not interval else f"{interval[0]:.2f}–{interval[1]:.2f}",
                     "level_text": f"{c['interval_level']:.0%}", "sentence": shown["sentence"]})
    return {"report": report, "rows": rows, "not_compared": report["not_compared"], "conclusion": report["conclusion"],
            "label_a": result.label("a"), "label_b": result.label("b"), "method": ctx["method"],
            "videos_a": len(result.a.videos), "videos_b": len(result.b.videos),
            "views_a": f"{result.a.views:,}", "views_b": f"{result.b.views:,}"}


# --- goals -----------------------------------------------------------------------------------------


@dataclass
class GoalForm:
    stage: str = ""
    theme: str = ""
    rows: list[dict] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # field name -> message


ROW_FIELDS = ("id", "metric", "kind", "value", "per", "direction", "while", "remove")


def _num_text(value: float, percent: bool) -> str:
    return f"{value * 100:g}%" if percent else f"{value:g}"


def target_row(t: Target) -> dict:
    """A stored target as the form's row."""
    rate = GOAL_METRICS[t.metric].kind == "rate"
    if t.change is not None:
        kind, value = "change", _num_text(abs(t.change), True)
    elif t.change_pp is not None:
        kind, value = "change_pp", f"{abs(t.change_pp):g}"
    else:
        kind, value = "level", _num_text(t.at_least if t.at_least is not None else t.at_most, rate)
    return {"id": t.id, "metric": t.metric, "kind": kind, "value": value, "per": t.per, "direction": t.direction,
            "while": t.while_.metric if t.while_ is not None else "", "remove": ""}


def goal_form(goals: GoalsFile | None) -> GoalForm:
    if goals is None:
        return GoalForm(rows=[_blank() for _ in range(BLANK_ROWS + 1)])
    rows = [target_row(t) for t in goals.targets] + [_blank() for _ in range(BLANK_ROWS)]
    return GoalForm(goals.account_stage or "", goals.theme or "", rows)


def _blank() -> dict:
    return {"id": "", "metric": "", "kind": "change", "value": "", "per": "week", "direction": "up", "while": "",
            "remove": ""}


def read_goal_form(form) -> GoalForm:
    try:
        count = min(int(str(form.get("rows") or "0")), MAX_ROWS)
    except ValueError:
        count = 0
    rows = [{k: str(form.get(f"t{i}_{k}") or "").strip() for k in ROW_FIELDS} for i in range(max(count, 0))]
    return GoalForm(str(form.get("account_stage") or "").strip(), str(form.get("theme") or "").strip(), rows)


def _value(raw: str, kind: str, direction: str):
    """The typed value as the GoalsFile model reads it: '6%' stays a percentage, '0.06' a number,
    anything else is passed on for the model to refuse; a change downwards is negative."""
    text = raw.replace("%", "").strip() if kind == "change_pp" else raw
    try:
        value: object = float(text)
    except ValueError:
        value = text
    if kind == "level":
        return value
    down = direction == "down"
    if isinstance(value, float):
        return -abs(value) if down else abs(value)
    return ("-" if down else "") + value.lstrip("+-")


def build_goals(draft: GoalForm) -> tuple[GoalsFile | None, dict[str, T]]:
    """The GoalsFile the form describes, or the errors by field (t3_value, account_stage, form ...)."""
    errors: dict[str, T] = {}
    targets, row_of = [], []
    for i, row in enumerate(draft.rows):
        if row.get("remove") or (not row.get("metric") and not row.get("value") and not row.get("id")):
            continue
        kind = row.get("kind") if row.get("kind") in KINDS else "change"
        if not row.get("value"):
            errors[f"t{i}_value"] = T(zh="请填写目标值,例如 6% 或 2", en="enter the target's value, e.g. 6% or 2")
            continue
        data: dict = {"id": row.get("id") or f"{row.get('metric') or 'goal'}-{i + 1}".replace("_", "-"),
                      "metric": row.get("metric"), "per": row.get("per") or "week"}
        value = _value(row["value"], kind, row.get("direction", "up"))
        if kind == "level":
            data["at_least" if row.get("direction", "up") == "up" else "at_most"] = value
        else:
            data[kind] = value
        if row.get("while"):
            data["while"] = {"metric": row["while"], "direction": "up"}
        targets.append(data)
        row_of.append(i)
    data = {"targets": targets}
    if draft.stage:
        data["account_stage"] = draft.stage
    if draft.theme:
        data["theme"] = draft.theme
    try:
        goals = GoalsFile.model_validate(data)
    except ValidationError as exc:
        for problem in problems_from_validation_error(exc, None, None, model=GoalsFile):
            errors.setdefault(_form_field(problem.field, row_of), problem.message)
        return None, errors
    return (None, errors) if errors else (goals, errors)


VALUE_KEYS = {"change": "value", "change_pp": "value", "at_least": "value", "at_most": "value"}


def _form_field(path: str | None, row_of: list[int]) -> str:
    """The form field a GoalsFile error path names: targets[2].change -> t<row>_value."""
    m = re.match(r"targets\[(\d+)\](?:\.(\w+))?", path or "")
    if m and int(m.group(1)) < len(row_of):
        row = row_of[int(m.group(1))]
        name = m.group(2)
        if name in ("id", "metric", "per", "while"):
            return f"t{row}_{name}"
        return f"t{row}_{VALUE_KEYS.get(name, 'row')}"
    if path in ("account_stage", "theme"):
        return path
    return "form"


def goals_view(result: GoalsResult, lang: Lang) -> dict:
    """What goals.html.j2 shows: goals_context plus each target's week-by-week rows."""
    ctx = goals_context(result, lang)
    marks = {"met": "✓", "on_track": "↗", "flat": "–", "off_track": "✗"}
    for entry, r, data in zip(ctx["targets"], result.results, ctx["report"]["goals"]):
        entry["data"] = data
        entry["verdict"] = r.verdict
        entry["verdict_text"] = data["verdict_text"]
        entry["rows"] = [{"week": p.week.label, "span": p.week.span(), "videos": len(p.week.videos),
                          "value": show(r.metric, p.value, lang),
                          "target": show(r.metric, p.level, lang) if p.level is not None else "",
                          "mark": marks.get(p.verdict or "", {True: "✓", False: "✗", None: ""}[p.met]),
                          "current": p.week is result.current_week}
                         for p in r.series]
    ctx["week_options"] = [{"label": w.label, "span": w.span(), "videos": len(w.videos)} for w in result.weeks if w.videos]
    return ctx


# --- the pages -------------------------------------------------------------------------------------


class ExperimentPages:
    """The handlers; `web` is the app (advisor.web.app.WebApp): page(), form(), lang(), current_account()."""

    def __init__(self, web):
        self.web = web

    @property
    def store(self) -> Store:
        return self.web.store

    def _video_rows(self, stored: list[VideoMetrics], arms: Arms, lang: Lang) -> list[dict]:
        a, b = set(arms.a), set(arms.b)
        return [{"id": v.id, "title": v.title or v.id, "date": v.published_at.isoformat() if v.published_at else "",
                 "form": FORM_LABELS[v.form].get(lang) if v.form in FORM_LABELS else (v.form or ""),
                 "views": f"{v.views:,}" if v.views is not None else "–", "in_a": v.id in a, "in_b": v.id in b}
                for v in reversed(stored)]  # newest first: the latest videos are the ones tested

    def _experiment_page(self, request: Request, account, stored, arms: Arms, errors: dict, result, *,
                         status: int = 200, saved_id: int | None = None):
        lang = self.web.lang(request)
        ctx = {"videos": self._video_rows(stored, arms, lang), "arms": arms,
               "errors": {k: v.get(lang) for k, v in errors.items()}, "result": result,
               "link": "/experiments?" + arms.query(account.id) if account and result else "",
               "saved_id": saved_id, "saved": saved_experiments(self.store, account.id) if account else []}
        return self.web.page(request, "experiments.html.j2", ctx, status=status)

    async def experiments_page(self, request: Request):
        lang = self.web.lang(request)
        account = self.web.current_account(request)
        if account is None:
            return self._experiment_page(request, None, [], Arms("", "", [], []), {}, None)
        stored = await run_in_threadpool(self.store.videos, account.id)
        q = request.query_params
        saved_id = None
        if q.get("saved", "").isdigit():
            saved_id = int(q["saved"])
            arms = saved_experiment(self.store, account.id, saved_id)
            if arms is None:
                return self._experiment_page(request, account, stored, Arms("", "", [], []), {"form": T(
                    zh="没有这个保存的实验", en="no such saved experiment")}, None, status=404)
        else:
            arms = read_arms(q)
        if not arms.a and not arms.b:
            return self._experiment_page(request, account, stored, arms, {}, None)
        return await self._compare(request, account, stored, arms, saved_id=saved_id, lang=lang)

    async def _compare(self, request, account, stored, arms: Arms, *, saved_id=None, lang: Lang):
        errors = check_arms(arms, stored)
        if errors:
            return self._experiment_page(request, account, stored, arms, errors, None, status=400)
        ruleset, problems = self.web.rules.for_account(account.id)
        if problems:
            return self._experiment_page(request, account, stored, arms,
                                         {"form": T(zh="规则有问题,见规则页", en="the rules have problems; see the Rules page")},
                                         None, status=400)
        result = await run_in_threadpool(compare_stored, stored, arms, ruleset)
        return self._experiment_page(request, account, stored, arms, {}, experiment_view(result, lang), saved_id=saved_id)

    async def experiments_post(self, request: Request):
        form = await self.web.form(request)
        account = self.web.current_account(request)
        if account is None:
            return self._experiment_page(request, None, [], Arms("", "", [], []), {}, None, status=404)
        stored = await run_in_threadpool(self.store.videos, account.id)
        arms = read_arms(form)
        errors = check_arms(arms, stored)
        if errors:
            return self._experiment_page(request, account, stored, arms, errors, None, status=400)
        query = arms.query(account.id)
        if form.get("action") == "save" or len(query) > MAX_QUERY:
            saved_id = await run_in_threadpool(save_experiment, self.store, account.id, arms)
            return RedirectResponse(f"/experiments?account={account.id}&saved={saved_id}{_lang(request)}", status_code=303)
        return RedirectResponse("/experiments?" + query + _lang(request), status_code=303)

    # --- goals ---------------------------------------------------------------------------------

    def _goals_page(self, request: Request, account, draft: GoalForm, errors: dict, view, *, status: int = 200,
                    stored: GoalsFile | None = None, week: str = ""):
        lang = self.web.lang(request)
        ctx = {"draft": draft, "errors": {k: v.get(lang) if isinstance(v, T) else v for k, v in errors.items()},
               "view": view, "has_goals": stored is not None, "week": week,
               "saved_note": request.method == "GET" and request.query_params.get("saved") == "1",
               "metrics": {k: m.label.get(lang) for k, m in GOAL_METRICS.items()},
               "stages": {k: v.get(lang) for k, v in STAGE_LABELS.items()}}
        return self.web.page(request, "goals.html.j2", ctx, status=status)

    async def goals_page(self, request: Request):
        lang = self.web.lang(request)
        account = self.web.current_account(request)
        if account is None:
            return self._goals_page(request, None, goal_form(None), {}, None)
        goals = await run_in_threadpool(stored_goals, self.store, account.id)
        draft = goal_form(goals)
        week = request.query_params.get("week", "").strip()
        if goals is None:
            return self._goals_page(request, account, draft, {}, None)
        videos = await run_in_threadpool(self.store.videos, account.id)
        if not videos:
            return self._goals_page(request, account, draft, {}, None, stored=goals)
        ruleset, problems = self.web.rules.for_account(account.id)
        errors: dict = {}
        view = None
        if problems:
            errors["progress"] = T(zh="规则有问题,见规则页", en="the rules have problems; see the Rules page")
        else:
            try:
                result = await run_in_threadpool(lambda: evaluate_goals(goals, videos, ruleset, week=week or None))
                view = goals_view(result, lang)
            except AdvisorError as exc:
                errors["week" if week else "progress"] = "; ".join(p.message.get(lang) for p in exc.problems)
        return self._goals_page(request, account, draft, errors, view, stored=goals, week=week,
                                status=400 if errors else 200)

    async def goals_post(self, request: Request):
        form = await self.web.form(request)
        account = self.web.current_account(request)
        if account is None:
            return self._goals_page(request, None, goal_form(None), {"form": T(zh="请先导入一个账号", en="import an account first")},
                                    None, status=404)
        draft = read_goal_form(form)
        goals, errors = build_goals(draft)
        if goals is None:
            draft.rows = draft.rows + ([_blank()] if len(draft.rows) < MAX_ROWS else [])
            return self._goals_page(request, account, draft, errors, None, status=400,
                                    stored=await run_in_threadpool(stored_goals, self.store, account.id))
        await run_in_threadpool(save_goals, self.store, account.id, goals)
        return RedirectResponse(f"/goals?account={account.id}&saved=1{_lang(request)}", status_code=303)


def _lang(request: Request) -> str:
    """The language asked for in the query, kept across a redirect."""
    lang = request.query_params.get("lang")
    return f"&lang={lang}" if lang in LANGS else ""


def experiment_routes(web) -> list[Route]:
    pages = ExperimentPages(web)
    return [Route("/experiments", pages.experiments_page, methods=["GET"]),
            Route("/experiments", pages.experiments_post, methods=["POST"]),
            Route("/goals", pages.goals_page, methods=["GET"]),
            Route("/goals", pages.goals_post, methods=["POST"])]
