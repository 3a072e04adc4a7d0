"""Text from data, made safe for where it is shown.

- printable(): control characters (ESC, BEL, ...) as visible escapes (\\x1b), so an export cell,
  a plan field or a rule text can never drive the terminal (window titles, colours, cursor moves).
  Every text report's data and every error message go through it.
- markdown(): printable, and a `<` that would open a tag as &lt;, so a title cannot put a <script> or an
  <img onerror=...> into a Markdown report (Markdown lets raw HTML through).
- clean(): either of them applied to every string inside a template context.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from advisor.core.columns import Strings

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Raw HTML in Markdown (CommonMark) starts with `<` and a letter, `/`, `!` or `?`; a comparison
# such as "8.0s > 3.0s" or "< 100" is left as written.
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")


def printable(text):
    """Control characters shown as visible escapes (\\x1b); tab and newline are kept."""
    if not isinstance(text, str):
        return text
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def markdown(text):
    """printable(), and every `<` that would start raw HTML in Markdown as &lt;."""
    if not isinstance(text, str):
        return text
    text = printable(text)
    return _TAG_START.sub("&lt;", text) if "<" in text else text


def clean(value, fn=printable, skip=("style",)):
    """`fn` applied to every string in dicts, lists and tuples (keys in `skip` left as they are)."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        return {k: (v if k in skip else clean(v, fn, skip)) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v, fn, skip) for v in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(clean(v, fn, skip) for v in value)
    if isinstance(value, Strings):
        return CleanedStrings(value, fn)  # a million ids are not made str objects here either
    return value


class CleanedStrings(Sequence):
    """A Strings (advisor.core.columns) read through `fn`, item by item as a template reads it."""

    __slots__ = ("strings", "fn")

    def __init__(self, strings: Strings, fn):
        self.strings, self.fn = strings, fn

    def __len__(self) -> int:
        return len(self.strings)

    def __getitem__(self, index):
        item = self.strings[index]
        return [self.fn(s) for s in item] if isinstance(index, slice) else self.fn(item)

    def __iter__(self):
        return map(self.fn, self.strings)
