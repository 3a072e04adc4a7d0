"""Progress of a long run, on standard error, only for a person at a terminal.

Nothing is shown when standard error is not a terminal (a pipe, a file, a test), with --quiet,
or for runs shorter than half a second; the line is cleared when the run ends, so reports and
error messages are never mixed with it.
"""

from __future__ import annotations

import sys
import time

from advisor.core.i18n import T, detect_lang

DELAY = 0.5  # seconds before the first line: short runs stay silent
EVERY = 0.1  # seconds between updates

_quiet = False


def set_quiet(value: bool) -> None:
    global _quiet
    _quiet = bool(value)


class Progress:
    """`with Progress(total, label) as p: ... p.step()`; label is a T ("reviewing" / "复盘中")."""

    def __init__(self, total: int, label: T, stream=None):
        self.total = total
        self.label = label.get(detect_lang())
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self.start = time.monotonic()
        self.last = 0.0
        self.shown = False
        try:
            self.enabled = not _quiet and self.stream is not None and self.stream.isatty()
        except (AttributeError, ValueError, OSError):
            self.enabled = False

    def step(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.start < DELAY or now - self.last < EVERY:
            return
        self.last = now
        self._write(f"\r{self.label} {self.done}/{self.total}")

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
            self.shown = True
        except (OSError, ValueError):
            self.enabled = False

    def close(self) -> None:
        if self.shown:
            self._write("\r\x1b[K")
            self.shown = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
