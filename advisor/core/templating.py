"""The one Jinja2 environment: sandboxed, StrictUndefined, with advisor's filters.

Templates and the texts inside rule files are user-editable data, so they are rendered in
jinja2's SandboxedEnvironment (no attribute access to Python internals) and every undefined
variable is an error instead of an empty string.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from advisor.core.errors import AdvisorError, Problem
from advisor.core.i18n import Lang, T

MAX_TEMPLATE_BYTES = 200_000
MISSING = {"zh": "无数据", "en": "n/a"}


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def make_filters(lang: Lang) -> dict:
    """Filters that read well in the chosen language; a missing value renders as n/a / 无数据."""

    def pct(value, digits: int = 1):
        """0.0441 -> 4.4%; tiny non-zero rates keep two significant digits (0.00001 -> 0.001%)."""
        if not _is_number(value):
            return MISSING[lang]
        p = value * 100
        if p != 0 and abs(p) < 10 ** -digits:
            return f"{p:.2g}%"
        return f"{p:.{digits}f}%"

    def num(value):
        """12345 -> 1.2万 (zh) / 12,345 (en)."""
        if not _is_number(value):
            return MISSING[lang]
        if lang == "zh" and abs(value) >= 10_000:
            return f"{value / 10_000:.1f}万"
        if float(value).is_integer():
            return f"{int(value):,}"
        return f"{value:,.2f}"

    def secs(value):
        if not _is_number(value):
            return MISSING[lang]
        return f"{value:.1f}秒" if lang == "zh" else f"{value:.1f}s"

    def ratio(value, digits: int = 2):
        if not _is_number(value):
            return MISSING[lang]
        return f"{value:.{digits}f}"

    def pp(value, digits: int = 1):
        """A difference of two rates in percentage points: 0.02 -> +2.0 pp / +2.0 个百分点."""
        if not _is_number(value):
            return MISSING[lang]
        unit = "个百分点" if lang == "zh" else " pp"
        return f"{value * 100:+.{digits}f}{unit}"

    return {"pct": pct, "num": num, "secs": secs, "ratio": ratio, "pp": pp}


def format_value(value, kind: str, lang: Lang) -> str:
    """A metric value as a person reads it, by the metric's kind (rate, count, seconds, ...)."""
    filters = make_filters(lang)
    if kind == "rate":
        return filters["pct"](value, 2)
    if kind == "count":
        return filters["num"](value)
    if kind == "seconds":
        return filters["secs"](value)
    if kind == "ratio":
        return filters["ratio"](value)
    if value is None:
        return MISSING[lang]
    if isinstance(value, bool):
        return {True: {"zh": "是", "en": "yes"}, False: {"zh": "否", "en": "no"}}[value][lang]
    return str(value)


@lru_cache(maxsize=8)
def environment(lang: Lang, search_path: tuple[str, ...] = ()) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader(list(search_path)) if search_path else None,
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(make_filters(lang))
    env.globals["lang"] = lang
    return env


def syntax_problem(source: str, file: str | None = None, line_offset: int = 0) -> Problem | None:
    """A located problem when `source` is not valid Jinja2, else None."""
    try:
        environment("en").parse(source)
    except TemplateSyntaxError as exc:
        return Problem(
            T(zh=f"模板语法错误:{exc.message}", en=f"template syntax error: {exc.message}"),
            file=file, line=(exc.lineno or 1) + line_offset, col=1,
        )
    return None


@lru_cache(maxsize=4096)
def _compiled_text(source: str, lang: Lang):
    # Compiling is ~100x the cost of rendering; a review renders the same few rule texts for
    # every video, so each text is compiled once per language.
    return environment(lang).from_string(source)


def render_text(source: str, context: dict, lang: Lang) -> str:
    """Render a short text (a rule's title, explanation or action) in the sandbox."""
    return _compiled_text(source, lang).render(**context)


def render_template(folder: Path, name: str, context: dict, lang: Lang) -> str:
    """Render a template file from `folder`; a broken template becomes a located AdvisorError."""
    path = folder / name
    if path.is_file() and path.stat().st_size > MAX_TEMPLATE_BYTES:
        raise AdvisorError([Problem(T(zh=f"模板超过 {MAX_TEMPLATE_BYTES} 字节", en=f"template larger than {MAX_TEMPLATE_BYTES} bytes"), file=str(path))])
    env = environment(lang, (str(folder),))
    try:
        return env.get_template(name).render(**context)
    except TemplateSyntaxError as exc:
        raise AdvisorError([Problem(T(zh=f"模板语法错误:{exc.message}", en=f"template syntax error: {exc.message}"),
                                    file=exc.filename or str(path), line=exc.lineno, col=1)]) from None
    except UndefinedError as exc:
        raise AdvisorError([Problem(T(zh=f"模板使用了未定义的变量:{exc.message}", en=f"template uses an undefined variable: {exc.message}"),
                                    file=str(path), line=_template_line(exc))]) from None
    except TemplateError as exc:
        raise AdvisorError([Problem(T(zh=f"模板出错:{exc}", en=f"template error: {exc}"), file=str(path), line=_template_line(exc))]) from None


def _template_line(exc: Exception) -> int | None:
    """The template line of a render-time error, from the traceback jinja2 rewrites."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith((".j2", ".html", ".md", ".txt")):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
