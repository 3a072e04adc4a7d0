"""Rules 规则, the editing half: change one rule in a form, without writing YAML.

The form covers what an operator tunes: on/off, priority, each condition of the rule (a `level:`
condition can switch to another of the metric's levels in levels.yaml, or become an explicit
`op` + `value` threshold; an `op`/`value` condition edits its value) and the texts in zh and en.
The edited rule is built as data and checked the way `advisor rules check` checks a user folder:
the pydantic rule model, then the rule set with it laid over (advisor.model.semantics through
collect_ruleset), then the lint (advisor.jobs.lint). Each located problem is shown beside its field.

The account's changes are one user rule layer: a YAML list like a `--rules FOLDER` file, holding
`{id, enabled, priority}` patches or whole replacement rules, stored in versions by the store (undo
reactivates the one before). Preview reviews the account's stored videos with the stored layer and
with the edited one and lists the videos that gain or lose the finding. Saving runs the rule tests
against the layered rules and shows every failure.
"""

from __future__ import annotations

import math
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from advisor.core.errors import Problem
from advisor.core.i18n import Lang, T
from advisor.input.config import Config
from advisor.input.ruleset import RuleSet, collect_ruleset
from advisor.input.yamlio import problems_from_validation_error
from advisor.jobs.lint import clarify, lint
from advisor.jobs.ruletest import TestRun, run_rule_tests
from advisor.model.metrics import FIELDS
from advisor.model.rules_model import NUMERIC_OPS, MetricCondition, Rule, SignalCondition, is_tag, leaf_conditions
from advisor.web.service import Filters

LAYER_FILE = "web-rules.yaml"
EDIT_FILE = "zz-edited-rule.yaml"  # the edited rule in a file of its own, so its problems are told apart
THRESHOLD = "op"  # the "how" of a condition compared with an explicit value instead of a level
MAX_ACTIONS = 10
TEMP_LAYER = re.compile(r"\S*advisor-web-rule(?:s|-check)-[^/\\\s]+[/\\][^/\\\s]+[/\\](?:web-rules|zz-edited-rule)\.yaml")


def tame(text: str) -> str:
    """A message without the private temporary folder the layer is read from."""
    return TEMP_LAYER.sub("web-rules.yaml", text)


# --- the layer as data -----------------------------------------------------------------------------


def layer_entries(text: str | None) -> list[dict]:
    """The stored layer's entries (patches and rules), in order."""
    if not text:
        return []
    data = yaml.safe_load(text)
    return [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []


def layer_text(entries: list[dict], account_name: str | None = None) -> str:
    """The layer as the YAML a `--rules FOLDER` reads (one file in the folder)."""
    head = ("# advisor user rule layer" + (f" ({account_name})" if account_name else "") + ", saved by `advisor serve`.\n"
            "# Put this file in a folder and pass it with --rules FOLDER (or list the folder in advisor.yaml).\n"
            "# 把这个文件放进一个文件夹,用 --rules 文件夹 使用它。\n")
    if not entries:
        return head + "[]\n"
    return head + yaml.safe_dump(entries, allow_unicode=True, sort_keys=False, width=100_000)


def rule_data(rule: Rule) -> dict:
    return rule.model_dump(mode="json", by_alias=True, exclude_none=True)


def entry_for(edited: Rule, base: Rule | None) -> dict | None:
    """What the layer holds for the edited rule: nothing (as the base), a patch (only on/off or
    priority changed) or the whole rule."""
    new = rule_data(edited)
    if base is None:
        return new
    old = rule_data(base)
    if new == old:
        return None
    changed = {k for k in set(new) | set(old) if new.get(k) != old.get(k)}
    if changed <= {"enabled", "priority"}:
        return {"id": edited.id, **{k: new[k] for k in ("enabled", "priority") if k in changed}}
    return new


def with_entry(entries: list[dict], rule_id: str, entry: dict | None) -> list[dict]:
    """The entries with this rule's entry replaced (in place), added at the end, or removed."""
    out, placed = [], False
    for e in entries:
        if e.get("id") == rule_id:
            if entry is not None and not placed:
                out.append(entry)
                placed = True
            continue
        out.append(e)
    if entry is not None and not placed:
        out.append(entry)
    return out


# --- the form ------------------------------------------------------------------------------------


def _show_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "\n".join(_show_value(v) for v in value)
    return str(value)


def _pct(metric: str, value: float) -> str:
    info = FIELDS.get(metric)
    if info is not None and info.kind == "rate":
        return f"{value * 100:.3g}%"
    return f"{value:g}"


def _numeric(cond: MetricCondition) -> bool:
    return cond.level is not None or cond.op in NUMERIC_OPS


def condition_rows(rule: Rule, ruleset: RuleSet, lang: Lang) -> list[dict]:
    """One row per leaf condition of the rule: what it compares and how it can be edited."""
    rows = []
    for k, (path, cond) in enumerate(leaf_conditions(rule.when)):
        where = [p for p in path[1:] if not isinstance(p, int)]
        negated = where.count("not") % 2 == 1
        row = {"k": k, "path": ".".join(map(str, path)), "negated": negated,
               "within": " › ".join(where) if where else ""}
        if isinstance(cond, SignalCondition):
            row.update(kind="signal", signal=cond.signal)
            rows.append(row)
            continue
        levels = ruleset.levels.metrics.get(cond.metric, {})
        info = FIELDS.get(cond.metric)
        row.update(kind="metric", metric=cond.metric, label=info.label.get(lang) if info is not None else cond.metric,
                   numeric=_numeric(cond), how=cond.level or THRESHOLD, op=cond.op or "", value=_show_value(cond.value),
                   multiline=isinstance(cond.value, list))
        row["levels"] = [{"name": name, "op": d.op, "mode": ruleset.levels.mode(cond.metric, name),
                          "description": d.description.get(lang) if d.description else name,
                          "absolute": ", ".join(f"{form} {_pct(cond.metric, v)}" for form, v in d.absolute.items()),
                          "percentile": d.percentile}
                         for name, d in levels.items()] if row["numeric"] else []
        rows.append(row)
    return rows


def form_values(rule: Rule, ruleset: RuleSet) -> dict:
    """The form's fields for a rule, as the page shows them. A level condition's comparison and
    value start as the level's own (its default absolute threshold), ready to be made this rule's."""
    values: dict = {"enabled": rule.enabled, "priority": rule.priority}
    for k, (_, cond) in enumerate(leaf_conditions(rule.when)):
        if isinstance(cond, MetricCondition):
            values[f"c.{k}.how"] = cond.level or THRESHOLD
            values[f"c.{k}.op"] = cond.op or ""
            values[f"c.{k}.value"] = _show_value(cond.value)
            level = ruleset.levels.metrics.get(cond.metric, {}).get(cond.level) if cond.level else None
            if level is not None:
                values[f"c.{k}.op"] = level.op
                values[f"c.{k}.value"] = _show_value(level.absolute["default"])
    then = rule.then
    for name in ("title", "explain"):
        text = getattr(then, name)
        for lang in ("zh", "en"):
            values[f"{name}.{lang}"] = getattr(text, lang) if text is not None else ""
    for i, action in enumerate(then.actions):
        values[f"action.{i}.zh"], values[f"action.{i}.en"] = action.zh, action.en
    values["actions"] = len(then.actions)
    return values


def _number(text: str) -> float | None:
    text = text.strip().replace(",", "").replace(",", "")
    scale = 1.0
    if text.endswith("%"):
        text, scale = text[:-1].strip(), 0.01
    try:
        value = float(text) * scale
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _scalar_like(text: str, like):
    if isinstance(like, bool):
        low = text.strip().lower()
        return True if low in ("true", "yes", "1", "是") else False if low in ("false", "no", "0", "否") else text
    if isinstance(like, (int, float)):
        number = _number(text)
        return number if number is not None else text
    return text


def _at(data: dict, path: tuple):
    node = data
    for part in path:
        node = node[part]
    return node


NUMBER_HINT = T(zh="请填写一个数字,例如 0.008 或 0.8%", en="enter a number, e.g. 0.008 or 0.8%")


def apply_form(rule: Rule, form: dict, ruleset: RuleSet) -> tuple[dict, dict[str, list[T]]]:
    """The rule's data with the form's edits, and the errors found while reading the form."""
    data = rule_data(rule)
    errors: dict[str, list[T]] = {}
    data["enabled"] = form.get("enabled") in ("on", "true", "1")
    data["priority"] = form.get("priority") or rule.priority
    for k, (path, cond) in enumerate(leaf_conditions(rule.when)):
        if not isinstance(cond, MetricCondition):
            continue
        node = _at(data, path)
        how = form.get(f"c.{k}.how", cond.level or THRESHOLD)
        if _numeric(cond) and how != THRESHOLD:
            node.pop("op", None)
            node.pop("value", None)
            node["level"] = how  # an unknown level is the semantic check's to report
            continue
        node.pop("level", None)
        op = form.get(f"c.{k}.op") or cond.op or ""
        if _numeric(cond):
            if op not in NUMERIC_OPS:
                errors.setdefault(f"c.{k}.op", []).append(T(zh="请选择一种比较", en="choose a comparison"))
                op = ">="
            node["op"] = op
            raw = str(form.get(f"c.{k}.value", "")).strip()
            number = _number(raw)
            if number is None:
                errors.setdefault(f"c.{k}.value", []).append(NUMBER_HINT)
                node["value"] = 0.0
            else:
                node["value"] = number
            continue
        if op in ("exists", "missing"):
            continue
        raw = str(form.get(f"c.{k}.value", ""))
        if isinstance(cond.value, list):
            like = cond.value[0] if cond.value else ""
            node["value"] = [_scalar_like(line.strip(), like) for line in raw.splitlines() if line.strip()]
        else:
            node["value"] = _scalar_like(raw.strip(), cond.value)
    then = data["then"]
    for name in ("title", "explain"):
        zh, en = (str(form.get(f"{name}.{lang}", "")).strip() for lang in ("zh", "en"))
        if zh or en or name in then:
            then[name] = {"zh": zh, "en": en}
        if not zh and not en:
            then.pop(name, None)
    actions = []
    for i in range(MAX_ACTIONS + 1):
        zh, en = (str(form.get(f"action.{i}.{lang}", "")).strip() for lang in ("zh", "en"))
        if zh or en:
            actions.append({"zh": zh, "en": en})
    then["actions"] = actions
    return data, errors


# --- located problems -> the form's fields ---------------------------------------------------------


def _normal(path: str | None) -> str:
    return re.sub(r"\[(\d+)\]", r".\1", path or "").lstrip(".")


def field_key(path: str | None, rule: Rule) -> str:
    """The form field (or group) a problem at this key path of the rule belongs beside."""
    path = _normal(path)
    if path in ("enabled", "priority"):
        return path
    for k, (cond_path, _) in sorted(enumerate(leaf_conditions(rule.when)), key=lambda kc: -len(kc[1][0])):
        prefix = ".".join(map(str, cond_path))
        if path == prefix or path.startswith(prefix + "."):
            rest = path[len(prefix) + 1:].split(".")[0] if path != prefix else ""
            return {"level": f"c.{k}.how", "op": f"c.{k}.op", "value": f"c.{k}.value"}.get(rest, f"c.{k}")
    m = re.match(r"then\.actions\.(\d+)", path)
    if m:
        return f"action.{m.group(1)}"
    for name in ("title", "explain"):
        if path.startswith(f"then.{name}"):
            return name
    if path.startswith("when"):
        return "when"
    return "form"


@dataclass
class Check:
    """The edited rule checked: the rule (None when the form does not make one), the layer it
    makes, errors beside fields, and the rule set's other problems."""

    rule: Rule | None
    data: dict
    layer: str | None = None
    field_errors: dict[str, list[str]] = field(default_factory=dict)
    other: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.rule is not None and not self.field_errors and not self.other


class RuleEditor:
    """The handlers of the rule form, the preview, saving, the layer's download and undo."""

    def __init__(self, app):
        self.app = app  # advisor.web.app.WebApp: page(), form(), store, rules, reviews, config
        self._tmp = tempfile.TemporaryDirectory(prefix="advisor-web-rule-check-")

    def routes(self) -> list[Route]:
        return [
            Route("/rules/layer.yaml", self.download, methods=["GET"]),
            Route("/rules/undo", self.undo, methods=["POST"]),
            Route("/rules/{rule_id}/edit", self.edit_page, methods=["GET"]),
            Route("/rules/{rule_id}/edit", self.edit_post, methods=["POST"]),
        ]

    # --- what the pages need ---------------------------------------------------------------------

    def base_ruleset(self) -> RuleSet:
        """The rules without any account's layer: the shipped ones and the config's folders."""
        return self.app.rules.for_account(None)[0]

    def list_context(self, account) -> dict:
        """For the rules list: the account's layer (which rules it changes, when it was saved)."""
        if account is None:
            return {"layer": None}
        layer = self.app.store.rule_layer(account.id)
        if layer is None:
            return {"layer": None}
        return {"layer": {"saved_at": layer.saved_at, "note": layer.note,
                          "ids": [e.get("id") for e in layer_entries(layer.yaml)]}}

    def check(self, config: Config, account, rule_id: str, form: dict, lang: Lang) -> Check:
        """Build the edited rule from the form and check it as `advisor rules check` would."""
        base = self.base_ruleset()
        current, _ = self.app.rules.for_account(account.id if account else None)
        loaded = current.get(rule_id)
        data, read_errors = apply_form(loaded.rule, form, current)
        result = Check(None, data)
        for key, messages in read_errors.items():
            result.field_errors.setdefault(key, []).extend(m.get(lang) for m in messages)
        try:
            edited = Rule.model_validate(data)
        except ValidationError as exc:
            for p in problems_from_validation_error(_TagFree(exc), None, None, model=Rule):
                result.field_errors.setdefault(field_key(p.field, loaded.rule), []).append(p.message.get(lang))
            return result
        if read_errors:
            return result
        result.rule = edited
        stored = self.app.store.rule_layer(account.id) if account else None
        others = [e for e in layer_entries(stored.yaml if stored else None) if e.get("id") != rule_id]
        base_rule = base.get(rule_id)
        entry = entry_for(edited, base_rule.rule if base_rule else None)
        result.layer = layer_text(with_entry(layer_entries(stored.yaml if stored else None), rule_id, entry),
                                  account.name if account else None)
        folder = Path(tempfile.mkdtemp(dir=self._tmp.name))
        (folder / LAYER_FILE).write_text(layer_text(others), encoding="utf-8")
        edit_file = folder / EDIT_FILE
        edit_file.write_text(layer_text([entry] if entry else []), encoding="utf-8")
        ruleset, problems = collect_ruleset([*config.rule_dirs(), folder])
        for levels, _ in config.level_layers():
            ruleset.levels = ruleset.levels.merged(levels, override_min_history=False)
        problems = clarify(problems) + lint(ruleset)  # as `advisor rules check`: both, always
        for p in dict.fromkeys(problems):
            if p.file == str(edit_file):
                result.field_errors.setdefault(field_key(p.field, edited), []).append(p.message.get(lang))
            else:
                result.other.append(p)
        return result

    def preview(self, account, rule_id: str, layer: str, lang: Lang) -> dict:
        """The account's videos that gain or lose the rule's finding with the edited layer."""
        stored = self.app.store.rule_layer(account.id)
        before = self.app.reviews.get(account.id, Filters(), lang, layer_text=stored.yaml if stored else "")
        after = self.app.reviews.get(account.id, Filters(), lang, layer_text=layer)

        def having(result) -> dict:
            if result is None:
                return {}
            return {vr.video.id: vr.video for vr in result.videos if any(f.rule.id == rule_id for f in vr.findings)}

        old, new = having(before), having(after)
        show = lambda videos: [{"id": v.id, "title": v.title or "", "published_at": v.published_at,  # noqa: E731
                                "views": v.views} for v in videos]
        return {"gain": show(v for i, v in new.items() if i not in old),
                "lose": show(v for i, v in old.items() if i not in new),
                "kept": sum(1 for i in new if i in old),
                "videos": len(before.videos) if before is not None else 0}

    def run_tests(self, account) -> TestRun:
        """The rule tests (the shipped tests/ and the config folders') against the layered rules."""
        ruleset, _ = self.app.rules.for_account(account.id)
        return run_rule_tests(None, ruleset=ruleset)

    # --- handlers --------------------------------------------------------------------------------

    def _rule(self, request: Request, account):
        ruleset, problems = self.app.rules.for_account(account.id if account else None)
        return ruleset, problems, ruleset.get(request.path_params["rule_id"])

    def _ctx(self, ruleset, loaded, values, lang, **more) -> dict:
        rule = loaded.rule
        origin = T(zh="本账号的修改", en="this account's changes").get(lang) if "advisor-web-rules-" in loaded.origin \
            else loaded.origin
        ctx = {"rule": rule, "origin": origin, "values": values,
               "conditions": condition_rows(rule, ruleset, lang), "field_errors": {}, "other": [],
               "preview": None, "saved": False, "tests": None, "numeric_ops": NUMERIC_OPS,
               "actions": list(range(int(values.get("actions", len(rule.then.actions))) + 1))[:MAX_ACTIONS + 1]}
        ctx.update(more)
        return ctx

    async def edit_page(self, request: Request):
        lang = self.app.lang(request)
        account = self.app.current_account(request)
        ruleset, problems, loaded = await run_in_threadpool(self._rule, request, account)
        if loaded is None:
            return PlainTextResponse("no such rule / 没有这条规则", status_code=404)
        ctx = self._ctx(ruleset, loaded, form_values(loaded.rule, ruleset), lang,
                        other=self.app.problems(problems, lang))
        return self.app.page(request, "rule_edit.html.j2", ctx)

    async def edit_post(self, request: Request):
        lang = self.app.lang(request)
        form = await self.app.form(request)
        account = self.app.current_account(request)
        ruleset, _, loaded = await run_in_threadpool(self._rule, request, account)
        if loaded is None:
            return PlainTextResponse("no such rule / 没有这条规则", status_code=404)
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        values["enabled"] = "on" if form.get("enabled") in ("on", "true", "1") else ""
        values["actions"] = sum(1 for i in range(MAX_ACTIONS + 1)
                                if str(form.get(f"action.{i}.zh", "")).strip() or str(form.get(f"action.{i}.en", "")).strip())
        action = form.get("action")
        result = await run_in_threadpool(self.check, self.app.config, account, loaded.id, values, lang)
        other = [dict(p, text=tame(p["text"])) for p in self.app.problems(result.other, lang)]
        ctx = self._ctx(ruleset, loaded, values, lang, field_errors=result.field_errors, other=other)
        if not result.ok:
            return self.app.page(request, "rule_edit.html.j2", ctx, status=400)
        if account is None:
            ctx["other"] = [{"text": T(zh="先导入一个账号,才能预览和保存", en="import an account first to preview and save").get(lang)}]
            return self.app.page(request, "rule_edit.html.j2", ctx, status=400)
        if action == "save":
            await run_in_threadpool(self.app.store.save_rule_layer, account.id, result.layer, loaded.id)
            ruleset, _, loaded = await run_in_threadpool(self._rule, request, account)
            run = await run_in_threadpool(self.run_tests, account)
            failures = [{"case": r.case.name, "where": f"{r.case.file}:{r.case.line}",
                         "messages": [tame(f.message(lang)) for f in r.failures] + [tame(p.format(lang)) for p in r.problems]}
                        for r in run.results if r.status != "pass"]
            ctx = self._ctx(ruleset, loaded, form_values(loaded.rule, ruleset), lang, saved=True,
                            tests={"passed": run.passed, "failed": run.failed, "failures": failures,
                                   "errors": [tame(p.format(lang)) for p in run.problems]})
            return self.app.page(request, "rule_edit.html.j2", ctx)
        if loaded.rule.stage == "review":
            ctx["preview"] = await run_in_threadpool(self.preview, account, loaded.id, result.layer, lang)
        else:
            ctx["preview"] = {"not_review": True}
        return self.app.page(request, "rule_edit.html.j2", ctx)

    async def download(self, request: Request):
        account = self.app.current_account(request)
        if account is None:
            return PlainTextResponse("no account / 没有账号", status_code=404)
        layer = await run_in_threadpool(self.app.store.rule_layer, account.id)
        text = layer.yaml if layer else layer_text([], account.name)
        return Response(text, media_type="application/yaml; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="advisor-rules-{account.id}.yaml"'})

    async def undo(self, request: Request):
        await self.app.form(request)
        account = self.app.current_account(request)
        if account is None:
            return PlainTextResponse("no account / 没有账号", status_code=404)
        undone = await run_in_threadpool(self.app.store.undo_rule_layer, account.id)
        return RedirectResponse(f"/rules?account={account.id}&undone={'1' if undone else '0'}", status_code=303)

    def close(self) -> None:
        self._tmp.cleanup()


class _TagFree:
    """A ValidationError's errors without the condition tags pydantic adds to locations."""

    def __init__(self, exc: ValidationError):
        self._errors = [dict(e, loc=tuple(p for p in e["loc"] if not is_tag(p))) for e in exc.errors(include_url=False)]

    def errors(self, include_url: bool = False) -> list[dict]:
        return self._errors


__all__ = ["RuleEditor", "apply_form", "entry_for", "layer_entries", "layer_text", "with_entry"]
