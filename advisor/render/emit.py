"""The one way out: a job's result, in a format, to standard output or a file.

    emit(result, fmt, lang, output=..., color=..., **options)

Two tables decide everything:

FORMATS   one row per output format: how a report kind becomes that format. text and markdown
          render the kind's template (templates/<kind>/text.j2, templates/<kind>/markdown.md.j2)
          in the sandboxed environment of advisor.core.templating; json is the kind's report dict
          through one JSON encoder; html is the kind's page (advisor.render.html_report).
REPORTS   one row per kind of result (the plain objects the jobs return): its template folder,
          its report dict (the job's `*_json` function: what `--format json` prints and every
          template reads), and the context its templates see (advisor.render.views).

Adding an output format is one row in FORMATS and one template per report kind; adding a
report kind is one row in REPORTS, its templates, and its report function in the job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import orjson

from advisor.core.errors import AdvisorError, Problem
from advisor.core.i18n import Lang, T
from advisor.core.output import emit as write_text
from advisor.core.paths import shipped_templates
from advisor.core.safe_text import clean, markdown, printable
from advisor.core.templating import render_template
from advisor.jobs.ab import ABResult, ab_json
from advisor.jobs.checklist import Checklist, checklist_json
from advisor.jobs.cta import CtaSet, cta_set_json
from advisor.jobs.cta_check import CheckResult
from advisor.jobs.goals import GoalsResult, goals_json
from advisor.jobs.review import Review
from advisor.jobs.review_report import review_json
from advisor.jobs.ruledocs import RuleList
from advisor.jobs.ruletest import TestRun, run_json
from advisor.jobs.tiers import TiersResult, tiers_json
from advisor.render import html_report, views
from advisor.render.checklist_view import checklist_context
from advisor.render.review_text import report_context


@dataclass(frozen=True)
class ReportKind:
    name: str  # its templates are in templates/<name>/
    report: Callable[..., dict]  # (result, lang, **options) -> the report dict (the JSON output)
    context: Callable[..., dict]  # (result, lang, **options) -> what its text/markdown templates see
    html: Callable[..., str] | None = None  # (result, lang, **options) -> the HTML page
    # Template file names that differ from the format's (the checklist keeps the names a user's
    # --templates folder already uses).
    template_names: dict[str, str] = field(default_factory=dict)
    # How the text ends, whatever its template's last block leaves: "\n" exactly one newline,
    # "" none (standard output still gets one; a file gets the text as is); None as rendered.
    ending: str | None = None


def _template(default_name: str, *, color: bool = False) -> Callable[..., str]:
    def render(kind: ReportKind, result, lang: Lang, options: dict) -> str:
        name = kind.template_names.get(default_name, default_name)
        folder = shipped_templates() / kind.name
        user = options.get("templates_dir")
        if user is not None and (Path(user) / name).is_file():
            folder = Path(user)
        context = kind.context(result, lang, color=color and bool(options.get("color")), **_only(options))
        # Data (export cells, plan fields, rule texts) cannot drive the terminal or inject HTML
        # into Markdown; the templates' own text and the colour styles are left as they are.
        context = clean(context, markdown if default_name.startswith("markdown") else printable)
        text = render_template(folder, name, context, lang)
        if kind.ending is None:
            return text
        return text.rstrip() + "\n" if kind.ending else text.rstrip("\n")
    return render


def encode_json(data, *, indent: bool = True) -> str:
    """The one JSON encoder (orjson: the standard library's encoder runs in pure Python as soon
    as it indents, ≈ 200 µs per reviewed video). UTF-8 as is (no \\u escapes), two-space indent
    (or one line, for JSON Lines), keys in the order given. A NaN or infinity, which JSON
    cannot hold, is written as null."""
    option = orjson.OPT_NON_STR_KEYS | (orjson.OPT_INDENT_2 if indent else 0)
    return orjson.dumps(data, option=option).decode("utf-8")


def _json(kind: ReportKind, result, lang: Lang, options: dict) -> str:
    """A report as JSON, with a final newline."""
    return encode_json(kind.report(result, lang, **_only(options))) + "\n"


def _html(kind: ReportKind, result, lang: Lang, options: dict) -> str:
    if kind.html is None:
        raise AdvisorError([Problem(T(zh=f"{kind.name} 没有 HTML 格式", en=f"{kind.name} has no HTML format"),
                                    field="--format")])
    return kind.html(result, lang, **_only(options))


def _only(options: dict) -> dict:
    """The options a kind's functions take (those the format itself reads are left out)."""
    return {k: v for k, v in options.items() if k not in ("color", "templates_dir")}


FORMATS: dict[str, Callable[[ReportKind, Any, Lang, dict], str]] = {
    "text": _template("text.j2", color=True),
    "markdown": _template("markdown.md.j2"),
    "json": _json,
    "html": _html,
}

REPORTS: dict[type, ReportKind] = {
    Review: ReportKind("review", lambda r, lang: review_json(r, lang), report_context,
                       html=lambda r, lang: html_report.review_html(r, lang, levels=r.ruleset.levels)),
    Checklist: ReportKind("checklist", lambda r, lang: checklist_json(r), lambda r, lang, color: checklist_context(r),
                          html=lambda r, lang: html_report.checklist_html(r),
                          template_names={"text.j2": "checklist.txt.j2", "markdown.md.j2": "checklist.md.j2"}),
    ABResult: ReportKind("ab", ab_json, views.ab_context, ending="\n"),
    GoalsResult: ReportKind("goals", goals_json, views.goals_context, ending="\n"),
    TiersResult: ReportKind("tiers", lambda r, lang, ids=True, max_ids=20: tiers_json(r, lang, ids=ids),
                            views.tiers_context, ending="\n"),
    CheckResult: ReportKind("cta_check", lambda r, lang: r.to_json(lang), views.cta_check_context, ending=""),
    CtaSet: ReportKind("cta_report", lambda r, lang: cta_set_json(r), views.cta_context, ending=""),
    TestRun: ReportKind("ruletest", lambda r, lang, verbose=False: run_json(r, lang), views.ruletest_context,
                        ending=""),
    RuleList: ReportKind("rule_list", lambda r, lang: r.to_json(), views.rule_list_context, ending=""),
}


def kind_of(result) -> ReportKind:
    for cls, kind in REPORTS.items():
        if isinstance(result, cls):
            return kind
    raise TypeError(f"no report kind for {type(result).__name__}")


def render(result, fmt: str, lang: Lang, *, color: bool = False, **options) -> str:
    """The result as `fmt` (text | markdown | json | html). color: ANSI styles (text only)."""
    return FORMATS[fmt](kind_of(result), result, lang, {"color": color, **options})


def emit(result, fmt: str, lang: Lang, *, output: str | Path | None = None, color: bool = False, **options) -> None:
    """Render the result and write it to `output` atomically, or to standard output."""
    write_text(render(result, fmt, lang, color=color, **options), output)
