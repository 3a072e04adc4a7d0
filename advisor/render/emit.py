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

REPORTS names the result classes and the functions of each kind by "module:name", imported
when a result of that kind is rendered: a command loads its own report's modules, not every
job's (the lazily loaded commands of advisor/cli/main.py would otherwise all load here).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import orjson

from advisor.core.columns import Strings
from advisor.core.errors import AdvisorError, Problem
from advisor.core.i18n import Lang, T
from advisor.core.output import emit as write_text
from advisor.core.paths import shipped_templates
from advisor.core.safe_text import clean, markdown, printable
from advisor.core.templating import render_template


class _Lazy:
    """The function (or class) named "module:name", imported on first use."""

    def __init__(self, target: str):
        self.target = target

    def resolve(self):
        module, _, name = self.target.partition(":")
        return getattr(importlib.import_module(module), name)

    def __call__(self, *args, **kwargs):
        return self.resolve()(*args, **kwargs)


ab_json = _Lazy("advisor.jobs.ab:ab_json")
checklist_json = _Lazy("advisor.jobs.checklist:checklist_json")
cta_set_json = _Lazy("advisor.jobs.cta:cta_set_json")
goals_json = _Lazy("advisor.jobs.goals:goals_json")
review_json = _Lazy("advisor.jobs.review_report:review_json")
run_json = _Lazy("advisor.jobs.ruletest:run_json")
tiers_json = _Lazy("advisor.jobs.tiers:tiers_json")
review_html = _Lazy("advisor.render.html_report:review_html")
checklist_html = _Lazy("advisor.render.html_report:checklist_html")
checklist_context = _Lazy("advisor.render.checklist_view:checklist_context")
report_context = _Lazy("advisor.render.review_text:report_context")
ab_context = _Lazy("advisor.render.views:ab_context")
goals_context = _Lazy("advisor.render.views:goals_context")
tiers_context = _Lazy("advisor.render.views:tiers_context")
cta_check_context = _Lazy("advisor.render.views:cta_check_context")
cta_context = _Lazy("advisor.render.views:cta_context")
ruletest_context = _Lazy("advisor.render.views:ruletest_context")
rule_list_context = _Lazy("advisor.render.views:rule_list_context")


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
    cannot hold, is written as null. Strings (a summary's lazy id lists) are written as lists."""
    return encode_json_bytes(data, indent=indent).decode("utf-8")


def encode_json_bytes(data, *, indent: bool = True) -> bytes:
    """encode_json's text as UTF-8 bytes, as orjson makes it (a stream of a hundred thousand
    entries written to a binary file skips decoding each and encoding it again)."""
    option = orjson.OPT_NON_STR_KEYS | (orjson.OPT_INDENT_2 if indent else 0)
    return orjson.dumps(data, default=_as_list, option=option)


def _as_list(value):
    if isinstance(value, Strings):
        return value.tolist()
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


IDS_PER_SLICE = 4096


def write_json(write, data, *, indent: bool = True, level: int = 0, slice_size: int | None = None) -> None:
    """encode_json(data, indent=indent), moved `level` indents to the right (as a value nested
    that deep), given piece by piece to `write`, byte for byte the same text; the Strings in
    `data` (a summary's id lists: a million ids at the end of a big review) are encoded
    `slice_size` strings at a time (default IDS_PER_SLICE), never all as str objects at once."""
    slice_size = slice_size or IDS_PER_SLICE
    if not _holds_strings(data):
        text = encode_json(data, indent=indent)
        write(text.replace("\n", "\n" + "  " * level) if indent and level else text)
        return
    inner = "\n" + "  " * (level + 1) if indent else ""
    close = "\n" + "  " * level if indent else ""
    if isinstance(data, Strings):
        if not len(data):
            write("[]")
            return
        write("[")
        for number, part in enumerate(data.slices(slice_size)):
            text = encode_json(part, indent=indent)
            # Indented, a list's items are each on a line of its own ('[\n  "a",\n  "b"\n]'): its
            # lines without the brackets, moved to this level; on one line, what is between them.
            text = text[2:-2].replace("\n", close) if indent else text[1:-1]
            write(("," if number else "") + (close if indent else "") + text)
        write(close + "]")
        return
    if isinstance(data, dict):  # not empty: it holds Strings
        write("{")
        for number, (key, value) in enumerate(data.items()):
            # The key as encode_json writes it (a key that is not a str: as OPT_NON_STR_KEYS does).
            name = encode_json({key: None}, indent=False)[1:-6]
            write(("," if number else "") + inner + name + (": " if indent else ":"))
            write_json(write, value, indent=indent, level=level + 1, slice_size=slice_size)
        write(close + "}")
        return
    write("[")  # a list or a tuple, not empty
    for number, value in enumerate(data):
        write(("," if number else "") + inner)
        write_json(write, value, indent=indent, level=level + 1, slice_size=slice_size)
    write(close + "]")


def _holds_strings(data) -> bool:
    if isinstance(data, Strings):
        return True
    if isinstance(data, dict):
        return any(_holds_strings(v) for v in data.values())
    if isinstance(data, (list, tuple)):
        return any(_holds_strings(v) for v in data)
    return False


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

# By the result's class, "module:Class".
REPORTS: dict[str, ReportKind] = {
    "advisor.jobs.review:Review": ReportKind(
        "review", lambda r, lang: review_json(r, lang), report_context,
        html=lambda r, lang: review_html(r, lang, levels=r.ruleset.levels)),
    "advisor.jobs.checklist:Checklist": ReportKind(
        "checklist", lambda r, lang: checklist_json(r), lambda r, lang, color: checklist_context(r),
        html=lambda r, lang: checklist_html(r),
        template_names={"text.j2": "checklist.txt.j2", "markdown.md.j2": "checklist.md.j2"}),
    "advisor.jobs.ab:ABResult": ReportKind("ab", ab_json, ab_context, ending="\n"),
    "advisor.jobs.goals:GoalsResult": ReportKind("goals", goals_json, goals_context, ending="\n"),
    "advisor.jobs.tiers:TiersResult": ReportKind(
        "tiers", lambda r, lang, ids=True, max_ids=20: tiers_json(r, lang, ids=ids), tiers_context, ending="\n"),
    "advisor.jobs.cta_check:CheckResult": ReportKind(
        "cta_check", lambda r, lang: r.to_json(lang), cta_check_context, ending=""),
    "advisor.jobs.cta:CtaSet": ReportKind("cta_report", lambda r, lang: cta_set_json(r), cta_context, ending=""),
    "advisor.jobs.ruletest:TestRun": ReportKind(
        "ruletest", lambda r, lang, verbose=False: run_json(r, lang), ruletest_context, ending=""),
    "advisor.jobs.ruledocs:RuleList": ReportKind("rule_list", lambda r, lang: r.to_json(), rule_list_context, ending=""),
}


def kind_of(result) -> ReportKind:
    # The class and its bases, as isinstance would match them, by name: no job module is imported.
    for cls in type(result).__mro__:
        kind = REPORTS.get(f"{cls.__module__}:{cls.__qualname__}")
        if kind is not None:
            return kind
    raise TypeError(f"no report kind for {type(result).__name__}")


def render(result, fmt: str, lang: Lang, *, color: bool = False, **options) -> str:
    """The result as `fmt` (text | markdown | json | html). color: ANSI styles (text only)."""
    return FORMATS[fmt](kind_of(result), result, lang, {"color": color, **options})


def emit(result, fmt: str, lang: Lang, *, output: str | Path | None = None, color: bool = False, **options) -> None:
    """Render the result and write it to `output` atomically, or to standard output."""
    write_text(render(result, fmt, lang, color=color, **options), output)
