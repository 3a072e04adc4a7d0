"""The Starlette app behind `advisor serve`: server-rendered pages (templates/web/, in the same
sandboxed, autoescaping Jinja environment as the reports), no script, every asset in the package.

Security: a CSRF token (double-submit: a cookie and a hidden field, compared in constant time) on
every form; uploads capped in size before they are parsed; when the server listens beyond the
loopback interface a token is required (HTTP Basic, any user name, the token as password); file
names from the browser are used in messages only, never as paths.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import secrets
from pathlib import Path
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from advisor.core.errors import AdvisorError, Problem
from advisor.core.i18n import LANGS, Lang, T
from advisor.core.paths import shipped_templates
from advisor.core.templating import environment, render_loaded
from advisor.input.config import Config
from advisor.jobs.checklist import build_checklist
from advisor.jobs.cta import generate_cta
from advisor.jobs.cta_check import check_text
from advisor.jobs.ruledocs import rule_rows, show_rule
from advisor.model.levels import FORM_LABELS
from advisor.model.plan import Plan
from advisor.render.emit import render
from advisor.render.charts import FONT_STACK, NO_ADVICE_KEY
from advisor.render.checklist_view import template_plan, labels as checklist_labels
from advisor.web.experiments import experiment_routes
from advisor.web.rules_edit import RuleEditor
from advisor.web.service import MAX_FILES, Filters, Reviews, Rules, import_uploads
from advisor.web.store import Store

CSRF_COOKIE = "advisor_csrf"
LANG_COOKIE = "advisor_lang"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
CARDS_PER_PAGE = 50
NO_ADVICE_FILTER = "none"
FORMATS = {"html": ("text/html; charset=utf-8", "html"), "markdown": ("text/markdown; charset=utf-8", "md"),
           "json": ("application/json; charset=utf-8", "json")}


def web_templates() -> Path:
    return shipped_templates() / "web"


class BodyLimit:
    """Refuse a request body above `limit` bytes (413), by its Content-Length and while it streams."""

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            return await _too_large(send, self.limit)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _too_large(send, self.limit)


class _TooLarge(Exception):
    pass


async def _too_large(send, limit: int) -> None:
    body = f"upload too large (limit {limit // (1024 * 1024)} MB) / 上传的文件太大(上限 {limit // (1024 * 1024)} MB)".encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class TokenGate:
    """Every request must carry the token (HTTP Basic, the token as password) when one is set."""

    def __init__(self, app, token: str | None):
        self.app = app
        self.token = token

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not self.token:
            return await self.app(scope, receive, send)
        header = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
        ok = False
        if header.lower().startswith("basic "):
            try:
                _, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
                ok = hmac.compare_digest(password.encode(), self.token.encode())
            except (ValueError, UnicodeDecodeError):
                ok = False
        if ok:
            return await self.app(scope, receive, send)
        await PlainTextResponse("token required / 需要口令", status_code=401,
                                headers={"WWW-Authenticate": 'Basic realm="advisor"'})(scope, receive, send)


class WebApp:
    def __init__(self, store: Store, config: Config, *, token: str | None = None,
                 max_upload: int = MAX_UPLOAD_BYTES):
        self.store = store
        self.config = config
        self.rules = Rules(store, config)
        self.reviews = Reviews(store, self.rules)
        self.rule_editor = RuleEditor(self)
        self.token = token
        self.max_upload = max_upload

    # --- plumbing ------------------------------------------------------------------------------

    def lang(self, request: Request) -> Lang:
        chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or self.config.lang or "zh"
        return chosen if chosen in LANGS else "zh"  # type: ignore[return-value]

    def page(self, request: Request, name: str, context: dict, *, status: int = 200) -> HTMLResponse:
        lang = self.lang(request)
        csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        accounts = self.store.accounts()
        current = self.current_account(request, accounts)
        here = request.url.path
        query = dict(request.query_params)
        switch = {other: here + "?" + urlencode({**query, "lang": other}) for other in LANGS}
        app = {"csrf": csrf, "accounts": accounts, "account": current, "path": here, "switch": switch,
               "account_query": f"account={current.id}" if current else ""}
        env = environment(lang, (str(web_templates()), str(shipped_templates() / "html")))
        html = render_loaded(env.get_template(name), {"font_stack": FONT_STACK, **context, "app": app})
        response = HTMLResponse(html, status_code=status)
        if request.cookies.get(CSRF_COOKIE) != csrf:
            response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict")
        if request.query_params.get("lang") in LANGS:
            response.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 24 * 3600)
        return response

    def current_account(self, request: Request, accounts=None):
        accounts = accounts if accounts is not None else self.store.accounts()
        wanted = request.query_params.get("account") or request.path_params.get("account")
        for account in accounts:
            if wanted and str(account.id) == str(wanted):
                return account
        return accounts[0] if accounts and not wanted else None

    async def form(self, request: Request):
        """The posted form, after the CSRF check (403 when the token is missing or wrong)."""
        form = await request.form(max_files=MAX_FILES, max_fields=400)
        sent = form.get("csrf")
        cookie = request.cookies.get(CSRF_COOKIE)
        if not cookie or not isinstance(sent, str) or not hmac.compare_digest(sent, cookie):
            raise _Forbidden()
        return form

    def problems(self, problems: list[Problem], lang: Lang) -> list[dict]:
        return [p.to_json(lang) for p in problems]

    # --- pages ---------------------------------------------------------------------------------

    async def home(self, request: Request):
        return RedirectResponse("/import", status_code=303)

    async def import_page(self, request: Request):
        account = self.current_account(request)
        detail = await run_in_threadpool(self.store.account, account.id) if account else None
        return self.page(request, "import.html.j2", {"result": None, "detail": detail, "error": None})

    async def import_post(self, request: Request):
        lang = self.lang(request)
        form = await self.form(request)
        name = str(form.get("account_name") or "").strip()
        chosen = str(form.get("account_id") or "")
        uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
        error = None
        if not name and not chosen.isdigit():
            error = T(zh="请选择一个账号,或者写一个新账号的名字", en="choose an account or type a new account's name")
        elif not uploads:
            error = T(zh="请选择至少一个导出文件", en="choose at least one export file")
        if error is not None:
            return self.page(request, "import.html.j2", {"result": None, "detail": None, "error": error.get(lang)},
                             status=400)
        data = [(f.filename, await f.read()) for f in uploads]
        account_id = await run_in_threadpool(self.store.ensure_account, name) if name else int(chosen)
        if self.store.account(account_id) is None:
            return self.page(request, "import.html.j2", {"result": None, "detail": None,
                                                         "error": T(zh="没有这个账号", en="no such account").get(lang)},
                             status=404)
        ruleset, _ = self.rules.for_account(account_id)
        report = await run_in_threadpool(import_uploads, self.store, account_id, data, ruleset)
        detail = await run_in_threadpool(self.store.account, account_id)
        request.scope["query_string"] = f"account={account_id}".encode()
        if report.outcome is not None:
            self.reviews.warm(account_id, lang)  # the review page is ready sooner
        result = {"files": report.files, "problems": self.problems(report.problems, lang), "outcome": report.outcome}
        return self.page(request, "import.html.j2", {"result": result, "detail": detail, "error": None})

    def _filters(self, request: Request) -> tuple[Filters, dict]:
        q = request.query_params
        raw = {k: q.get(k, "") for k in ("from", "to", "form", "advice")}
        errors = {}

        def date(key):
            text = raw[key].strip()
            if not text:
                return None
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                errors[key] = True
                return None

        form = raw["form"] if raw["form"] in FORM_LABELS and raw["form"] != "default" else None
        advice = NO_ADVICE_KEY if raw["advice"] == NO_ADVICE_FILTER else (raw["advice"] or None)
        return Filters(date("from"), date("to"), form, advice), {"raw": raw, "errors": errors}

    async def review_page(self, request: Request):
        lang = self.lang(request)
        account = self.current_account(request)
        filters, shown = self._filters(request)
        ctx = {"filters": shown, "forms": {k: v.get(lang) for k, v in FORM_LABELS.items() if k != "default"},
               "advice_options": {}, "problems": [], "pages": 0, "page_no": 1, "stored": 0,
               "download_query": "", "empty": True}
        if account is None:
            return self.page(request, "review_empty.html.j2", ctx)
        try:
            result, context = await run_in_threadpool(self.reviews.context, account.id, filters, lang)
            _, context_all = await run_in_threadpool(self.reviews.context, account.id, Filters(), lang)
        except AdvisorError as exc:
            ctx["problems"] = self.problems(exc.problems, lang)
            return self.page(request, "review_empty.html.j2", ctx)
        if context_all is not None:
            # "none": the videos no rule has advice for (the report's key for them is "")
            ctx["advice_options"] = {(k or NO_ADVICE_FILTER): v for k, v in context_all["advice_titles"].items()}
        ctx["stored"] = account.videos
        query = {k: v for k, v in request.query_params.items() if k in ("from", "to", "form", "advice", "account")}
        query["account"] = str(account.id)
        ctx["download_query"] = urlencode(query)
        if result is None or context is None:
            return self.page(request, "review_empty.html.j2", ctx)
        report = dict(context)
        cards = report["cards"]
        pages = max(1, -(-len(cards) // CARDS_PER_PAGE))
        try:
            page_no = min(max(1, int(request.query_params.get("page", "1"))), pages)
        except ValueError:
            page_no = 1
        report["cards"] = cards[(page_no - 1) * CARDS_PER_PAGE: page_no * CARDS_PER_PAGE]
        ctx.update(report)
        ctx.update({"pages": pages, "page_no": page_no, "empty": False,
                    "page_links": {n: "/review?" + urlencode({**query, "page": n}) for n in range(1, pages + 1)}})
        return self.page(request, "review_page.html.j2", ctx)

    async def review_download(self, request: Request):
        lang = self.lang(request)
        account = self.current_account(request)
        fmt = request.path_params["fmt"]
        if account is None or fmt not in FORMATS:
            return PlainTextResponse("not found", status_code=404)
        filters, _ = self._filters(request)
        try:
            result = await run_in_threadpool(self.reviews.get, account.id, filters, lang)
        except AdvisorError as exc:
            return PlainTextResponse("\n".join(p.format(lang) for p in exc.problems), status_code=400)
        if result is None:
            return PlainTextResponse(T(zh="没有符合筛选条件的视频", en="no video passes the filters").get(lang), status_code=404)
        text = await run_in_threadpool(render, result, fmt, lang)
        media, ext = FORMATS[fmt]
        return Response(text, media_type=media,
                        headers={"Content-Disposition": f'attachment; filename="advisor-review-{account.id}.{ext}"'})

    # --- checklist -----------------------------------------------------------------------------

    PLAN_FIELDS = ("title", "goal", "form", "duration_s", "hook_at_s", "shareable_moment_at_s", "topic", "cta_text",
                   "cta_position", "participation_path", "series", "account_stage")

    async def checklist_page(self, request: Request):
        return self.page(request, "checklist_page.html.j2", self._checklist_ctx(self.lang(request), {}, None))

    def _checklist_ctx(self, lang: Lang, values: dict, outcome) -> dict:
        return {"values": values, "outcome": outcome, "field_errors": (outcome or {}).get("field_errors", {}),
                "forms": {k: v.get(lang) for k, v in FORM_LABELS.items() if k != "default"},
                "L": checklist_labels(lang)}

    async def checklist_post(self, request: Request):
        lang = self.lang(request)
        form = await self.form(request)
        values = {k: str(form.get(k) or "").strip() for k in self.PLAN_FIELDS}
        account = self.current_account(request)
        outcome = await run_in_threadpool(self._checklist, account.id if account else None, values, lang)
        return self.page(request, "checklist_page.html.j2", self._checklist_ctx(lang, values, outcome),
                         status=400 if outcome.get("field_errors") else 200)

    def _checklist(self, account_id, values: dict, lang: Lang) -> dict:
        data: dict = {"id": "web-plan"}
        for key, value in values.items():
            if value:
                data[key] = value
        try:
            plan = Plan.model_validate(data)
        except Exception as exc:  # pydantic.ValidationError: each message beside its field
            errors = {}
            for err in getattr(exc, "errors", lambda: [])():
                loc = str(err["loc"][0]) if err.get("loc") else "form_error"
                errors[loc] = field_message(err, lang)
            return {"field_errors": errors or {"form_error": str(exc)}}
        ruleset, problems = self.rules.for_account(account_id)
        if problems:
            return {"field_errors": {}, "problems": self.problems(problems, lang)}
        checklist = build_checklist([plan], ruleset, lang=lang)
        plan_view = template_plan(checklist.plans[0], lang)
        ctas = generate_cta(goal=plan.goal or "both", form=plan.form, topic=plan.topic, series=plan.series, lang=lang,
                            variants=2, levels=ruleset.levels)
        lint = check_text(plan.cta_text, ruleset).to_json(lang) if plan.cta_text else None
        return {"field_errors": {}, "plan": plan_view, "ctas": [c.to_json() for c in ctas], "lint": lint}

    # --- rules ---------------------------------------------------------------------------------

    async def rules_page(self, request: Request):
        lang = self.lang(request)
        account = self.current_account(request)
        ruleset, problems = self.rules.for_account(account.id if account else None)
        rows = rule_rows(ruleset, lang=lang)
        return self.page(request, "rules.html.j2", {"rows": rows, "problems": self.problems(problems, lang),
                                                    "undone": request.query_params.get("undone"),
                                                    **self.rule_editor.list_context(account)})

    async def rule_page(self, request: Request):
        lang = self.lang(request)
        account = self.current_account(request)
        ruleset, problems = self.rules.for_account(account.id if account else None)
        loaded = ruleset.get(request.path_params["rule_id"])
        if loaded is None:
            return PlainTextResponse("no such rule / 没有这条规则", status_code=404)
        return self.page(request, "rule.html.j2", {"rule": loaded.rule, "text": show_rule(loaded, ruleset, lang)})

    # --- the app ------------------------------------------------------------------------------

    def asgi(self):
        routes = [
            Route("/", self.home),
            Route("/import", self.import_page, methods=["GET"]),
            Route("/import", self.import_post, methods=["POST"]),
            Route("/review", self.review_page),
            Route("/review/report.{fmt}", self.review_download),
            Route("/checklist", self.checklist_page, methods=["GET"]),
            Route("/checklist", self.checklist_post, methods=["POST"]),
            *self.rule_editor.routes(),  # before /rules/{rule_id}: /rules/layer.yaml, /rules/{id}/edit
            Route("/rules", self.rules_page),
            Route("/rules/{rule_id}", self.rule_page, methods=["GET"]),
            *experiment_routes(self),
            Mount("/static", StaticFiles(directory=str(web_templates() / "static")), name="static"),
        ]
        app = Starlette(routes=routes, exception_handlers={_Forbidden: _forbidden})
        return TokenGate(BodyLimit(app, self.max_upload), self.token)


def field_message(err: dict, lang: Lang) -> str:
    """A form field's validation error in plain words."""
    kind = err.get("type", "")
    if kind.startswith(("float", "int")):
        return T(zh="请填写一个数字,例如 3 或 2.5", en="enter a number, e.g. 3 or 2.5").get(lang)
    if kind.startswith("greater_than"):
        return T(zh="不能是负数", en="cannot be negative").get(lang)
    if kind in ("literal_error", "enum"):
        return T(zh="请从列表里选一项", en="pick one from the list").get(lang)
    if kind.startswith("string_too"):
        return T(zh="太长了", en="too long").get(lang)
    return str(err.get("msg", ""))


class _Forbidden(Exception):
    pass


async def _forbidden(request: Request, exc: Exception):
    return PlainTextResponse("the form is out of date or did not come from this page (CSRF check); "
                             "reload the page and try again / 表单已过期或不是从本页面提交的,请刷新页面后重试",
                             status_code=403)


def create_app(store: Store, config: Config, *, token: str | None = None, max_upload: int = MAX_UPLOAD_BYTES):
    return WebApp(store, config, token=token, max_upload=max_upload).asgi()
