"""Operators' regular expressions, run by RE2: linear time, whatever the pattern and the text.

Rule files are user-editable data, and Python's backtracking `re` takes exponential time on
patterns such as `^(\\w+\\s?)+$` against a near-miss text. Every pattern that comes from a rule
(`op: matches`, and `op: contains` turned into a literal pattern) is compiled here, by RE2
(google-re2), which guarantees time linear in the text and refuses what it cannot run that
way (backreferences, lookaround).

Patterns are written in Python's syntax, as the rule files document; before RE2 sees one, the
classes that mean Unicode to Python but ASCII to RE2 are spelled out: \\w, \\d, \\s (and their
negations outside a character class) match letters, digits and spaces of every script, as in
Python. \\b stays RE2's: an edge between an ASCII word character and anything else (so
`\\bheart` also matches right after a Chinese character). Matching is case-insensitive.
"""

from __future__ import annotations

import re
from functools import lru_cache

import re2

from advisor.core.i18n import T

MAX_PATTERN_LENGTH = 2000
MAX_PROGRAM_MEMORY = 8 << 20  # bytes RE2 may use for one compiled pattern

_WORD = r"\p{L}\p{N}_"
_SPACE = r"\t\n\v\f\r \x{1c}-\x{1f}\x{85}\p{Z}"
_OUTSIDE = {"w": f"[{_WORD}]", "W": f"[^{_WORD}]", "d": r"\p{Nd}", "D": r"\P{Nd}",
            "s": f"[{_SPACE}]", "S": f"[^{_SPACE}]", "Z": r"\z"}
_INSIDE = {"w": _WORD, "d": r"\p{Nd}", "s": _SPACE, "D": r"\P{Nd}"}


class PatternError(ValueError):
    """A pattern RE2 cannot compile; `message` says why, in zh and en."""

    def __init__(self, message: T):
        super().__init__(message.en)
        self.message = message


def translate(pattern: str) -> str:
    """Python regular-expression syntax to RE2's, keeping Python's Unicode classes."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    class_start = -1
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            e = pattern[i + 1]
            table = _INSIDE if in_class else _OUTSIDE
            if e in table:
                out.append(table[e])
                i += 2
                continue
            if e == "u" and i + 6 <= n:
                out.append("\\x{" + pattern[i + 2:i + 6] + "}")
                i += 6
                continue
            if e == "U" and i + 10 <= n:
                out.append("\\x{" + pattern[i + 2:i + 10] + "}")
                i += 10
                continue
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            if c == "]" and i > class_start:
                in_class = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            class_start = i + 1  # a `]` right after `[` or `[^` is a literal
            if i < n and pattern[i] == "]":
                out.append("]")
                i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _options():
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    options.max_mem = MAX_PROGRAM_MEMORY
    return options


@lru_cache(maxsize=4096)
def compile_pattern(pattern: str):
    """The compiled RE2 program of an operator's pattern; PatternError when RE2 refuses it."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError(T(zh=f"模式超过 {MAX_PATTERN_LENGTH} 个字符", en=f"a pattern is longer than {MAX_PATTERN_LENGTH} characters"))
    try:
        return re2.compile(translate(pattern), _options())
    except Exception as exc:  # re2.error, and TypeError for NUL bytes and the like
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        hint = ""
        if re.search(r"\\[1-9]|\(\?[=!]|\(\?<[=!]", pattern):
            hint = "backreferences and lookaround are not supported"
        en = f"`{pattern}` cannot be run safely (RE2): {reason}" + (f"; {hint}" if hint else "")
        zh = f"`{pattern}` 无法安全运行(RE2):{reason}" + (";不支持反向引用和前后断言" if hint else "")
        raise PatternError(T(zh=zh, en=en)) from None


def pattern_problem(pattern: str) -> T | None:
    """Why an operator's pattern cannot be used, or None."""
    try:
        compile_pattern(pattern)
    except PatternError as exc:
        return exc.message
    return None


def search(pattern: str, text: str):
    """The first match of `pattern` in `text` (case-insensitive), or None."""
    return compile_pattern(pattern).search(text)


def finditer(pattern: str, text: str):
    return compile_pattern(pattern).finditer(text)


def literal(text: str) -> str:
    """A pattern matching `text` as written (what `op: contains` means)."""
    out = []
    for ch in text:
        if ch.isalnum() or ord(ch) > 0x7F and ch.isprintable():
            out.append(ch)
        elif " " <= ch <= "~":
            out.append("\\" + ch)
        else:
            out.append("\\x{%x}" % ord(ch))
    return "".join(out)


def hit_span(match) -> tuple[int, int]:
    """The span of a match that people see: the group named `hit` when the pattern has one (the
    words, without the context RE2 has to match around them in place of lookaround), else all."""
    group = match.re.groupindex.get("hit")
    if group is not None:
        span = match.span(group)
        if span[0] >= 0:
            return span
    return match.span()


def hit_text(match) -> str:
    start, end = hit_span(match)
    return match.string[start:end]
