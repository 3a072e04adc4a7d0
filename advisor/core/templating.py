"""The one Jinja2 environment: sandboxed, StrictUndefined, with advisor's filters.

Templates and the texts inside rule files are user-editable data, so they are rendered in
jinja2's SandboxedEnvironment (no attribute access to Python internals), bounded (Limits: loop
steps, calls, output, sizes of strings, lists and integers, call depth, wall time), and every
undefined variable is an error instead of an empty string. Every failure is a located
AdvisorError (RenderError for texts, which the caller locates in its rule file).
"""

from __future__ import annotations

import functools
import math
import operator
import os
import re
import time
from contextvars import ContextVar
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import jinja2
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError, nodes, select_autoescape
from jinja2.bccache import FileSystemBytecodeCache
from jinja2.compiler import CodeGenerator
from jinja2.exceptions import SecurityError
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import generate_lorem_ipsum

from advisor.core.cache import fingerprint, stamped
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


@lru_cache(maxsize=8)
def _lang_filters(lang: Lang) -> dict:
    # format_value runs for every value of every sentence: its filters are made once per
    # language (make_filters gives each caller a dict of its own to change).
    return make_filters(lang)


def format_value(value, kind: str, lang: Lang) -> str:
    """A metric value as a person reads it, by the metric's kind (rate, count, seconds, ...)."""
    filters = _lang_filters(lang)
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


class RenderError(AdvisorError):
    """A text or template that cannot be rendered: a runtime error or a limit reached.

    `message` says what (in zh and en), `line` where in the source when known. Callers that know
    the file (a rule's position, a template's path) re-raise it located; as it is, it is still
    an AdvisorError, so it never reaches a person as a traceback.
    """

    def __init__(self, message: T, line: int | None = None):
        super().__init__([Problem(message, line=line)])
        self.message = message
        self.line = line


@dataclass(frozen=True)
class Limits:
    """What one render may do. Templates and rule texts are data anyone may edit: the sandbox
    keeps them from reaching Python internals, these keep them from hanging or eating memory."""

    ops: int = 2_000_000  # loop iterations, calls, filters and operators
    seconds: float = 10.0  # wall time
    output: int = 16_000_000  # characters produced (inside macros and {% set %} blocks too)
    size: int = 1_000_000  # characters or items one operation may produce
    int_bits: int = 10_000  # an integer result (about 3,000 digits)
    depth: int = 64  # nested calls: macros calling macros, recursive loops
    width: int = 10_000  # a padding or format width


# A report template: its budget of operations grows with the data it is given (a report on
# 10,000 videos loops 10,000 times), from OPS_BASE plus OPS_PER_ITEM per list or dict entry.
TEMPLATE_LIMITS = Limits(ops=50_000_000, seconds=20.0)
OPS_BASE = 200_000
OPS_PER_ITEM = 2_000
OUTPUT_PER_ITEM = 1_000  # characters of output (and of one block's result) per entry of the data
OUTPUT_CAP = 1_000_000_000
# A rule's title, explanation or action: a sentence or two, rendered for every video.
TEXT_LIMITS = Limits(ops=100_000, seconds=2.0, output=100_000, size=100_000)


def _limit(zh: str, en: str) -> RenderError:
    return RenderError(T(zh=f"超出模板限制:{zh}", en=f"template limit reached: {en}"))


class _Budget:
    __slots__ = ("limits", "ops", "output", "depth", "deadline")

    def __init__(self, limits: Limits):
        self.limits = limits
        self.ops = 0
        self.output = 0
        self.depth = 0
        self.deadline = time.monotonic() + limits.seconds

    def tick(self, n: int = 1) -> None:
        self.ops += n
        if self.ops > self.limits.ops:
            raise _limit(f"运算超过 {self.limits.ops} 次", f"more than {self.limits.ops} operations")
        if not self.ops & 1023 and time.monotonic() > self.deadline:
            raise _limit(f"渲染超过 {self.limits.seconds:g} 秒", f"rendering took more than {self.limits.seconds:g}s")


_BUDGET: ContextVar[_Budget | None] = ContextVar("advisor_template_budget", default=None)
_UNBOUNDED = Limits(ops=10**12, seconds=10**6, output=10**12, size=10**9)


def _budget() -> _Budget:
    budget = _BUDGET.get()
    if budget is None:  # rendered outside render_text/render_template: still bounded
        budget = _Budget(replace(TEMPLATE_LIMITS, ops=OPS_BASE))
        _BUDGET.set(budget)
    return budget


def _sized(value, limits: Limits):
    if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)) and len(value) > limits.size:
        raise _limit(f"结果超过 {limits.size} 个字符或元素", f"a result longer than {limits.size} characters or items")
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > limits.int_bits:
        raise _limit(f"整数超过 {limits.int_bits} 位", f"an integer larger than {limits.int_bits} bits")
    return value


def _check_width(number, limits: Limits) -> None:
    if isinstance(number, int) and not isinstance(number, bool) and abs(number) > limits.width:
        raise _limit(f"宽度或长度 {number} 超过 {limits.width}", f"a width or length of {number} (more than {limits.width})")


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_BRACE_FIELD = re.compile(r"\{([^{}]*)([{}]?)")


def _check_format(fmt: str, limits: Limits) -> None:
    """A %-format or str.format string whose widths could allocate without bound."""
    for m in _PERCENT_SPEC.finditer(fmt):
        for part in m.groups():
            if part == "*":
                raise _limit("格式里不能用 * 宽度", "a `*` width in a format")
            if part and int(part) > limits.width:
                _check_width(int(part), limits)
    plain = fmt.replace("{{", "").replace("}}", "")
    for m in _BRACE_FIELD.finditer(plain):
        body, after = m.groups()
        if after == "{":
            raise _limit("格式里不能嵌套 {}", "a nested `{}` in a format")
        spec = body.partition(":")[2]
        for digits in re.findall(r"\d+", spec):
            _check_width(int(digits), limits)


def _check_mul(left, right, limits: Limits) -> None:
    for seq, n in ((left, right), (right, left)):
        if isinstance(seq, (str, bytes, list, tuple)) and isinstance(n, int):
            if len(seq) * max(n, 0) > limits.size:
                raise _limit(f"重复后超过 {limits.size} 个字符或元素",
                             f"a repetition longer than {limits.size} characters or items")
            return
    if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > limits.int_bits:
        raise _limit(f"整数超过 {limits.int_bits} 位", f"an integer larger than {limits.int_bits} bits")


def _check_pow(left, right, limits: Limits) -> None:
    if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
        if left.bit_length() * right > limits.int_bits:
            raise _limit(f"整数超过 {limits.int_bits} 位", f"an integer larger than {limits.int_bits} bits")


# Methods of str whose integer arguments say how long the result is.
_WIDTH_METHODS = {"ljust", "rjust", "center", "zfill", "expandtabs"}
# Filters whose arguments after the value are widths, lengths or counts.
_WIDTH_FILTERS = {"center", "indent", "wordwrap", "truncate", "batch", "slice"}


def _check_replace(text, old, new, count, limits: Limits) -> None:
    if not (isinstance(text, str) and isinstance(old, str) and isinstance(new, str)):
        return
    times = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        times = min(times, count)
    if len(text) + times * max(len(new) - len(old), 0) > limits.size:
        raise _limit(f"替换后超过 {limits.size} 个字符", f"a replacement longer than {limits.size} characters")


def _guard_filter(name: str, func):
    @functools.wraps(func)
    def guarded(*args, **kwargs):
        budget = _budget()
        budget.tick()
        limits = budget.limits
        # Filters that take the context or environment get it first; the value follows.
        values = [a for a in args if not isinstance(a, (Environment, Context, EvalContext))]
        if name in _WIDTH_FILTERS:
            for a in [*values[1:], *kwargs.values()]:
                _check_width(a, limits)
        elif name == "format" and values and isinstance(values[0], str):
            _check_format(values[0], limits)
        elif name == "replace" and len(values) >= 3:
            _check_replace(values[0], values[1], values[2], values[3] if len(values) > 3 else kwargs.get("count"), limits)
        return _sized(func(*args, **kwargs), limits)
    return guarded


def _lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100):
    for a in (n, min, max):
        if isinstance(a, int) and a > 100:
            raise _limit("lipsum 的参数超过 100", "lipsum arguments larger than 100")
    return generate_lorem_ipsum(n, html, min, max)


class _BoundedCodeGenerator(CodeGenerator):
    """Jinja2's code generator, with every output and every `~` join counted against the budget."""

    def _output_const_repr(self, group) -> str:
        return f"environment.count_output({super()._output_const_repr(group)})"

    def _output_child_pre(self, node, frame, finalize) -> None:
        self.write("environment.count_output(")
        super()._output_child_pre(node, frame, finalize)

    def _output_child_post(self, node, frame, finalize) -> None:
        super()._output_child_post(node, frame, finalize)
        self.write(")")

    def visit_Concat(self, node, frame) -> None:
        self.write("environment.sized(")
        super().visit_Concat(node, frame)
        self.write(")")


class BoundedSandbox(SandboxedEnvironment):
    """The sandbox with limits: every loop, call, filter and operator counts; repetition, powers,
    widths and results are bounded before they allocate; output is counted wherever it goes."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.globals["lipsum"] = _lipsum
        self.filters = {name: _guard_filter(name, func) for name, func in self.filters.items()}
        self.filters["_bounded"] = _bounded_iter

    def _parse(self, source, name, filename):
        tree = super()._parse(source, name, filename)
        for node in tree.find_all(nodes.For):  # each loop step counts
            node.iter = nodes.Filter(node.iter, "_bounded", [], [], None, None, lineno=node.lineno)
        return tree

    def count_output(self, text):
        budget = _budget()
        budget.tick()
        budget.output += len(text)
        if budget.output > budget.limits.output:
            raise _limit(f"输出超过 {budget.limits.output} 个字符", f"output longer than {budget.limits.output} characters")
        return text

    def sized(self, value):
        budget = _budget()
        budget.tick()
        return _sized(value, budget.limits)

    def call_binop(self, context, operator, left, right):
        budget = _budget()
        budget.tick()
        limits = budget.limits
        if operator == "*":
            _check_mul(left, right, limits)
        elif operator == "**":
            _check_pow(left, right, limits)
        elif operator == "%" and isinstance(left, str):
            _check_format(left, limits)
        return _sized(super().call_binop(context, operator, left, right), limits)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (jinja2's signature)
        budget = _budget()
        budget.tick()
        limits = budget.limits
        target = getattr(__obj, "__wrapped__", __obj)  # the sandbox wraps str.format
        owner = getattr(target, "__self__", None)
        name = getattr(target, "__name__", "")
        if isinstance(owner, str):
            if name in _WIDTH_METHODS:
                for a in [*args, *kwargs.values()]:
                    _check_width(a, limits)
            elif name in ("format", "format_map"):
                _check_format(owner, limits)
            elif name == "replace" and len(args) >= 2:
                _check_replace(owner, args[0], args[1], args[2] if len(args) > 2 else kwargs.get("count"), limits)
        budget.depth += 1
        try:
            if budget.depth > limits.depth:
                raise _limit(f"调用嵌套超过 {limits.depth} 层", f"calls nested more than {limits.depth} deep")
            result = SandboxedEnvironment.call(__self, __context, __obj, *args, **kwargs)
        finally:
            budget.depth -= 1
        if isinstance(owner, (list, dict, set)):  # append/extend/update grow the container
            _sized(owner, limits)
        return _sized(result, limits)


def _bounded_iter(iterable):
    budget = _budget()
    for item in iterable:
        budget.tick()
        yield item


class _BytecodeCache(FileSystemBytecodeCache):
    """Jinja2's cache of compiled template files, in the user cache folder (advisor.core.cache).

    Compiling the templates a command renders (the review's text, the CTA blocks) was a large
    part of every run; a cached template is loaded as code instead. Jinja2 recompiles when a
    template's source changes (its checksum) or Python's or Jinja2's version does; the folder's
    stamp covers this module (the sandbox's code generator and the filters the compiled code
    refers to), and each language has its own files. Best effort: a folder that cannot be
    written only means compiling again.
    """

    def dump_bytecode(self, bucket) -> None:
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass

    def load_bytecode(self, bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError:
            pass


def _bytecode_cache(lang: Lang) -> _BytecodeCache | None:
    try:
        code = Path(__file__).read_bytes()
    except OSError:  # no source file (a frozen build): the versions must do
        code = b""
    folder = stamped("templates", fingerprint(jinja2.__version__, code))
    return _BytecodeCache(str(folder), f"{lang}-%s.cache") if folder is not None else None


@lru_cache(maxsize=8)
def environment(lang: Lang, search_path: tuple[str, ...] = ()) -> SandboxedEnvironment:
    env = BoundedSandbox(
        loader=FileSystemLoader(list(search_path)) if search_path else None,
        # Only templates from files are cached: rule texts (from_string) are short and cached in memory.
        bytecode_cache=_bytecode_cache(lang) if search_path else None,
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update({name: _guard_filter(name, f) for name, f in make_filters(lang).items()})
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
    except (RecursionError, MemoryError):
        return Problem(T(zh="模板嵌套太深", en="template nested too deeply"), file=file, line=1 + line_offset, col=1)
    return None


@lru_cache(maxsize=4096)
def _compiled_text(source: str, lang: Lang):
    # Compiling is ~100x the cost of rendering; a review renders the same few rule texts for
    # every video, so each text is compiled once per language.
    return environment(lang).from_string(source)


# --- rule texts without the sandbox's machinery, when they need none of it ---------------------
#
# Most rule texts are sentences with a few values in them: "A heart rate of {{ heart_rate | pct }}",
# "{% if strength == 'moderate' %}...{% else %}...{% endif %}". Rendering one in the sandbox
# costs a template context, a budget and a generator per call, for every video. A text made only
# of literal text, names looked up in the context, constants, `or`/`and`/`not`, comparisons,
# `is none`, + - * / of numbers, the number filters and `round` with small constant arguments,
# and `if` blocks is compiled here once into plain closures, from jinja2's own parse of it (so
# whitespace control, raw blocks and comments read the same). Such a text can reach nothing the
# sandbox guards (no attribute, no call but those filters, no loop) and does a bounded amount of
# work (at most FAST_MAX_NODES nodes). Anything else, and every render that does not go as
# plainly (a name not in the context, a value that is not a plain number in arithmetic, any
# exception, output past the limits) is rendered by the sandbox instead, which gives the same
# text or the same located error as it always did. tests/test_templating_fast.py renders every
# shipped text both ways.

FAST_FILTERS = frozenset({"pct", "num", "secs", "ratio", "pp", "round"})
FAST_MAX_NODES = 400
_FAST_MAX_DIGITS = 20  # a filter's constant argument (digits after the point)
_FAST_MAX_INT = 2**53  # integers in arithmetic: beyond this, the sandbox's integer limits decide


class _NotFast(Exception):
    """A text, or one render of it, that the sandbox renders instead."""


def _plain_number(value) -> bool:
    return (type(value) is int and -_FAST_MAX_INT < value < _FAST_MAX_INT) or type(value) is float


_ARITHMETIC = {nodes.Add: operator.add, nodes.Sub: operator.sub, nodes.Mul: operator.mul, nodes.Div: operator.truediv}
_COMPARE = {"eq": operator.eq, "ne": operator.ne}


class _FastCompiler:
    def __init__(self, filters: dict):
        self.filters = filters
        self.count = 0

    def _node(self) -> None:
        self.count += 1
        if self.count > FAST_MAX_NODES:
            raise _NotFast

    def statements(self, body) -> list:
        return [self.statement(node) for node in body]

    def statement(self, node):
        self._node()
        if isinstance(node, nodes.Output):
            return self.output(node.nodes)
        if isinstance(node, nodes.If):
            return self.branch(node)
        raise _NotFast

    def output(self, children):
        parts = []
        for child in children:
            self._node()
            if isinstance(child, nodes.TemplateData):
                parts.append(child.data)
            else:
                parts.append(self.expr(child))
        literal = all(isinstance(p, str) for p in parts)
        if literal:
            text = "".join(parts)
            return lambda ctx, out: out.append(text)

        def emit(ctx, out):
            for part in parts:
                out.append(part if part.__class__ is str else str(part(ctx)))
        return emit

    def branch(self, node):
        branches = [(self.expr(node.test), self.statements(node.body))]
        for elif_ in node.elif_:
            self._node()
            branches.append((self.expr(elif_.test), self.statements(elif_.body)))
        otherwise = self.statements(node.else_)

        def run(ctx, out):
            for test, body in branches:
                if test(ctx):
                    for statement in body:
                        statement(ctx, out)
                    return
            for statement in otherwise:
                statement(ctx, out)
        return run

    def expr(self, node):
        self._node()
        if isinstance(node, nodes.Name) and node.ctx == "load":
            name = node.name

            def lookup(ctx):
                try:
                    return ctx[name]
                except KeyError:  # a global, or undefined: the sandbox resolves it, or says so
                    raise _NotFast from None
            return lookup
        if isinstance(node, nodes.Const) and (node.value is None or type(node.value) in (int, float, str, bool)):
            value = node.value
            return lambda ctx: value
        if isinstance(node, nodes.Or):
            left, right = self.expr(node.left), self.expr(node.right)
            return lambda ctx: left(ctx) or right(ctx)
        if isinstance(node, nodes.And):
            left, right = self.expr(node.left), self.expr(node.right)
            return lambda ctx: left(ctx) and right(ctx)
        if isinstance(node, nodes.Not):
            inner = self.expr(node.node)
            return lambda ctx: not inner(ctx)
        if type(node) in _ARITHMETIC:
            return self.arithmetic(_ARITHMETIC[type(node)], self.expr(node.left), self.expr(node.right))
        if isinstance(node, nodes.Compare) and len(node.ops) == 1 and node.ops[0].op in _COMPARE:
            compare, left, right = _COMPARE[node.ops[0].op], self.expr(node.expr), self.expr(node.ops[0].expr)
            return lambda ctx: compare(left(ctx), right(ctx))
        if isinstance(node, nodes.Test) and node.name == "none" and self._no_extra_args(node) and not node.args:
            inner = self.expr(node.node)
            return lambda ctx: inner(ctx) is None
        if isinstance(node, nodes.Filter) and node.name in FAST_FILTERS and node.node is not None \
                and self._no_extra_args(node):
            return self.filter(node)
        raise _NotFast

    @staticmethod
    def _no_extra_args(node) -> bool:
        return not node.kwargs and node.dyn_args is None and node.dyn_kwargs is None

    def arithmetic(self, op, left, right):
        def run(ctx):
            a, b = left(ctx), right(ctx)
            if not (_plain_number(a) and _plain_number(b)):
                raise _NotFast  # strings, huge integers, ...: the sandbox's limits decide
            return op(a, b)
        return run

    def filter(self, node):
        args = []
        for arg in node.args:
            self._node()
            if not (isinstance(arg, nodes.Const) and type(arg.value) is int and 0 <= arg.value <= _FAST_MAX_DIGITS):
                raise _NotFast
            args.append(arg.value)
        # The very function the sandbox calls, without its guard: its arguments are small
        # constants and these filters' results are short (the output is measured at the end).
        func = getattr(self.filters[node.name], "__wrapped__", None)
        if func is None:
            raise _NotFast
        value, extra = self.expr(node.node), tuple(args)
        return lambda ctx: func(value(ctx), *extra)


@lru_cache(maxsize=4096)
def _fast_text(source: str, lang: Lang):
    """(render, ops) for a text the fast path can render, else None; compiled once per language."""
    env = environment(lang)
    try:
        tree = env.parse(source)
        compiler = _FastCompiler(env.filters)
        body = compiler.statements(tree.body)
    except Exception:  # _NotFast, a syntax error (the sandbox reports it), an absurd text
        return None

    def render(ctx: dict) -> str:
        out: list[str] = []
        for statement in body:
            statement(ctx, out)
        return "".join(out)
    # An upper bound of the operations the sandbox would count for it (each node at most twice).
    return render, 2 * compiler.count + 1


def _render_fast(source: str, context: dict, lang: Lang, limits: Limits) -> str | None:
    """The text rendered by the fast path, or None when the sandbox has to render it."""
    fast = _fast_text(source, lang)
    if fast is None:
        return None
    render, ops = fast
    # Limits too tight for what such a text can do (an integer product is under 2 ** 106): the
    # sandbox decides.
    if ops > limits.ops or limits.depth < 1 or limits.int_bits < 128:
        return None
    try:
        text = render(context)
    except Exception:  # _NotFast, or an error the sandbox reports in its own words
        return None
    if len(text) > min(limits.output, limits.size):
        return None
    return text


def _render(template, context: dict, limits: Limits) -> str:
    budget = _Budget(limits)
    token = _BUDGET.set(budget)
    try:
        return "".join(template.generate(**context))
    finally:
        _BUDGET.reset(token)


def render_loaded(template, context: dict) -> str:
    """Render an already loaded template (a web page) with a budget scaled to its context, like
    render_template: outside one, a render would share a default budget sized for a sentence."""
    return _render(template, context, template_limits(context))


def render_text(source: str, context: dict, lang: Lang, limits: Limits = TEXT_LIMITS) -> str:
    """Render a short text (a rule's title, explanation or action) in the bounded sandbox.

    Any failure (a syntax or runtime error, a limit) is a RenderError naming the line.
    """
    text = _render_fast(source, context, lang, limits)
    if text is not None:
        return text
    try:
        template = _compiled_text(source, lang)
    except TemplateSyntaxError as exc:
        raise RenderError(T(zh=f"模板语法错误:{exc.message}", en=f"template syntax error: {exc.message}"),
                          exc.lineno) from None
    except Exception as exc:  # RecursionError, MemoryError, ... from an absurd text
        raise RenderError(_describe(exc)) from None
    try:
        return _render(template, context, limits)
    except RenderError as exc:
        raise RenderError(exc.message, _source_line(exc, "<template>")) from None
    except Exception as exc:
        raise RenderError(_describe(exc), _source_line(exc, "<template>")) from None


def _describe(exc: BaseException) -> T:
    """A runtime error in a template, as one line a person can act on."""
    if isinstance(exc, RenderError):
        return exc.message
    if isinstance(exc, UndefinedError):
        return T(zh=f"模板使用了未定义的变量:{exc.message}", en=f"template uses an undefined variable: {exc.message}")
    if isinstance(exc, SecurityError):
        return T(zh=f"模板做了沙箱不允许的事:{exc}", en=f"template does something the sandbox forbids: {exc}")
    if isinstance(exc, ZeroDivisionError):
        return T(zh="模板里除以零", en="template divides by zero")
    if isinstance(exc, RecursionError):
        return T(zh="模板递归太深(宏或 include 调用自己)", en="template recursion too deep (a macro or include calling itself)")
    if isinstance(exc, MemoryError):
        return T(zh="模板用尽了内存", en="template ran out of memory")
    if isinstance(exc, TemplateError):
        return T(zh=f"模板出错:{exc}", en=f"template error: {exc}")
    text = str(exc)[:200]
    return T(zh=f"模板出错({type(exc).__name__}):{text}", en=f"template error ({type(exc).__name__}): {text}")


def _items(value, depth: int = 0, cap: int = 1_000_000) -> int:
    """Entries of the lists and dicts in a context, a few levels deep (what a template may loop over)."""
    if depth > 4 or not isinstance(value, (dict, list, tuple)):
        return 0
    values = value.values() if isinstance(value, dict) else value
    n = len(value)
    for v in values:
        if n >= cap:
            break
        n += _items(v, depth + 1, cap)
    return n


def template_limits(context: dict, limits: Limits = TEMPLATE_LIMITS) -> Limits:
    """`limits` with the operation budget scaled to the context's size (capped by limits.ops),
    and the output allowed to grow with it too: a page of 10,000 videos is rightly megabytes
    (capped by OUTPUT_CAP, so a template still cannot write without end)."""
    items = _items(context)
    ops = min(limits.ops, OPS_BASE + OPS_PER_ITEM * items)
    output = min(OUTPUT_CAP, max(limits.output, OUTPUT_PER_ITEM * items))
    size = min(OUTPUT_CAP, max(limits.size, OUTPUT_PER_ITEM * items))
    return replace(limits, ops=ops, output=output, size=size)


def render_template(folder: Path, name: str, context: dict, lang: Lang, limits: Limits | None = None) -> str:
    """Render a template file from `folder` in the bounded sandbox; a broken template, a runtime
    error or a limit becomes a located AdvisorError (the template's file and line)."""
    path = folder / name
    if path.is_file() and path.stat().st_size > MAX_TEMPLATE_BYTES:
        raise AdvisorError([Problem(T(zh=f"模板超过 {MAX_TEMPLATE_BYTES} 字节", en=f"template larger than {MAX_TEMPLATE_BYTES} bytes"), file=str(path))])
    env = environment(lang, (str(folder),))
    try:
        template = env.get_template(name)
        return _render(template, context, limits or template_limits(context))
    except TemplateSyntaxError as exc:
        raise AdvisorError([Problem(T(zh=f"模板语法错误:{exc.message}", en=f"template syntax error: {exc.message}"),
                                    file=exc.filename or str(path), line=exc.lineno, col=1)]) from None
    except Exception as exc:  # a runtime error or a limit: never a traceback
        file, line = _template_position(exc, path)
        raise AdvisorError([Problem(_describe(exc), file=file, line=line)]) from None


def _template_line(exc: Exception) -> int | None:
    """The template line of a render-time error, from the traceback jinja2 rewrites."""
    return _template_position(exc, None)[1]


def _template_position(exc: BaseException, path: Path | None) -> tuple[str | None, int | None]:
    """(file, line) of the innermost template frame of a render-time error (an included or
    imported template names its own file)."""
    tb = exc.__traceback__
    file, line = (str(path) if path is not None else None), None
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith((".j2", ".html", ".md", ".txt")):
            file, line = name, tb.tb_lineno
        tb = tb.tb_next
    return file, line


def _source_line(exc: BaseException, name: str) -> int | None:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == name:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
