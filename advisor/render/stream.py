"""Sinks for a streaming review (advisor.jobs.review_stream): each video written as it arrives.

JsonSink       the document `--format json` prints, byte for byte the same as rendering the
               whole review at once (advisor.render.emit), written a video at a time; the
               summary's id lists at the end a slice at a time (write_json).
JsonLinesSink  `--format jsonl`: one video per line, then one line {"summary": ..., "errors":
               [...]} (and "ctas" for a digest), for pipelines (jq, a database loader).
HtmlSink       `--format html` (advisor.render.html_report): the same way as TemplateSink, the
               charts from a bounded sample of the videos.
TemplateSink   text and Markdown: the report's templates render the video cards a chunk at a
               time into a temporary file; at the end the frame (the summary above the cards,
               the errors below) is rendered and written around them. The same text as
               rendering the whole report at once.

A digest (`--top N`) is known only at the end: its few videos are written then.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import orjson

from advisor.core.i18n import Lang
from advisor.core.paths import shipped_templates
from advisor.core.safe_text import clean, markdown, printable
from advisor.core.templating import render_template
from advisor.jobs.review import Review
from advisor.jobs.review_report import entry_of, report_tail
from advisor.render.emit import _Lazy, encode_json_bytes, write_json
from advisor.render.review_text import cards_context, frame_context


class _Utf8:
    """Where a JSON sink writes: UTF-8 bytes, gathered and handed on about a megabyte at a time,
    straight to the binary file under `out` when it has one that takes exactly these bytes (a
    UTF-8 text file that translates no newline: the report file, standard output on POSIX),
    else decoded and given to out.write.

    orjson makes bytes: decoding each of a hundred thousand entries to give it to a text file,
    which encodes it again, was about a tenth of a big review's writing; and a text file hands
    on 8 KB at a time, a system call every few entries (measured: half the cost of writing).
    Whatever the text layer holds is flushed first, and nothing is written to it while the sink
    writes; `flush()` hands on what is gathered (the sink's finish does)."""

    GATHER = 1 << 20

    def __init__(self, out):
        raw = getattr(out, "buffer", None)
        encoding = (getattr(out, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        if raw is not None and encoding == "utf8" and os.linesep == "\n" and callable(getattr(raw, "write", None)):
            out.flush()
            self._put = raw.write
        else:
            text_write = out.write
            self._put = lambda data: text_write(data.decode("utf-8"))
        self._parts: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> None:
        self._parts.append(data)
        self._size += len(data)
        if self._size >= self.GATHER:
            self.flush()

    def text(self, text: str) -> None:
        self.write(text.encode("utf-8"))

    def flush(self) -> None:
        if self._parts:
            data = b"".join(self._parts)
            self._parts, self._size = [], 0
            self._put(data)


_Fragment = getattr(orjson, "Fragment", None)  # orjson 3.9+: JSON already encoded, written as it is


class _SharedCtas:
    """Each distinct CTA value of a review (advisor.jobs.review_report.CtaJson: a few, shared by
    thousands of videos, most of each entry's bytes) encoded once, at the place an entry holds
    it, and written from then on as those bytes."""

    def __init__(self, indent: bool, depth: int = 0):
        """depth: how deep the entries are nested in the document (JsonSink's: 2)."""
        self.indent = indent
        self.margin = b"\n" + b"  " * (depth + 1)  # what an indented line of the value starts with
        self.encoded: dict = {}

    def entry(self, entry: dict) -> dict:
        cta = entry.get("cta")
        key = getattr(cta, "key", None)
        if key is None or _Fragment is None:
            return entry
        fragment = self.encoded.get(key)
        if fragment is None:
            data = encode_json_bytes(cta, indent=self.indent)
            # Written as it is: indented, its lines start as deep as "cta" is nested in the document.
            fragment = self.encoded[key] = _Fragment(data.replace(b"\n", self.margin) if self.indent else data)
        return {**entry, "cta": fragment}


# Where the item starts and ends in orjson's indented encoding of {"v": [item]}.
_ITEM_START, _ITEM_END = map(len, encode_json_bytes({"v": [None]}).split(b"null"))


class JsonSink:
    """The JSON document, written piece by piece to `out` (a text file; see _Utf8)."""

    def __init__(self, out, lang: Lang):
        self.out = out
        self.lang = lang
        self.review: Review | None = None
        self.written = 0
        self._to: _Utf8 | None = None
        self._ctas = _SharedCtas(indent=True, depth=2)

    def start(self, total: int, review: Review) -> None:
        self.review = review
        self._to = _Utf8(self.out)
        self._to.write(b'{\n  "videos": [')

    def entry(self, entry: dict) -> None:
        if self.review.top is not None:
            return  # a digest writes its videos at the end
        self._write_video(entry)

    def _write_video(self, entry: dict) -> None:
        # Encoded as the item of a list in a dict, orjson indents it as deep as an item of
        # "videos" is: the item is cut out (a view, no copy), not indented again line by line.
        data = encode_json_bytes({"v": [self._ctas.entry(entry)]})
        self._to.write(b"\n    " if not self.written else b",\n    ")
        self._to.write(memoryview(data)[_ITEM_START:len(data) - _ITEM_END])
        self.written += 1

    def finish(self, result: Review) -> None:
        to = self._to  # (finish follows start: stream_review starts a sink before any video)
        shown = []
        if result.top is not None:
            shown = [entry_of(vr, result, self.lang) for vr in result.summary.picked]
            for entry in shown:
                self._write_video(entry)
        to.write(b"\n  ]" if self.written else b"]")
        # The summary's id lists (a million ids for a million videos) are written a slice at a
        # time from the bytes they are kept in (write_json), never all as str objects at once.
        for key, value in report_tail(result, self.lang, shown, lazy=True).items():
            to.text(f',\n  "{key}": ')
            write_json(to.text, value, level=1)
        to.write(b"\n}\n")
        to.flush()


class JsonLinesSink:
    """JSON Lines: a video per line, then the summary line (to a text file; see _Utf8)."""

    def __init__(self, out, lang: Lang):
        self.out = out
        self.lang = lang
        self.review: Review | None = None
        self._to: _Utf8 | None = None
        self._ctas = _SharedCtas(indent=False)

    def start(self, total: int, review: Review) -> None:
        self.review = review
        self._to = _Utf8(self.out)

    def entry(self, entry: dict) -> None:
        if self.review.top is None:
            self._write_video(entry)

    def _write_video(self, entry: dict) -> None:
        self._to.write(encode_json_bytes(self._ctas.entry(entry), indent=False) + b"\n")

    def finish(self, result: Review) -> None:
        to = self._to  # (finish follows start: stream_review starts a sink before any video)
        shown = []
        if result.top is not None:
            shown = [entry_of(vr, result, self.lang) for vr in result.summary.picked]
            for entry in shown:
                self._write_video(entry)
        write_json(to.text, report_tail(result, self.lang, shown, lazy=True), indent=False)
        to.write(b"\n")
        to.flush()


class TemplateSink:
    """Text or Markdown, from templates/review/ (see the module docstring)."""

    CARDS_PER_RENDER = 500
    MARKER = "\ue000advisor-cards\ue000"  # a private-use character: no export or template writes it

    def __init__(self, out, lang: Lang, fmt: str, *, color: bool = False):
        self.out = out
        self.lang = lang
        self.name = {"text": "text.j2", "markdown": "markdown.md.j2"}[fmt]
        self.cleaner = markdown if fmt == "markdown" else printable
        self.color = color
        self.review: Review | None = None
        self.pending: list[dict] = []
        self.written = 0
        self.total = 0
        self.spool = None

    def start(self, total: int, review: Review) -> None:
        self.review, self.total = review, total
        self.spool = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")

    def entry(self, entry: dict) -> None:
        if self.review.top is not None:
            return  # a digest renders its few cards at the end
        self.pending.append(entry)
        if len(self.pending) >= self.CARDS_PER_RENDER:
            self._cards(self.total, digest=False)

    def _render(self, context: dict) -> str:
        return render_template(shipped_templates() / "review", self.name, clean(context, self.cleaner), self.lang)

    def _cards(self, total: int, *, digest: bool) -> None:
        context = cards_context(self.pending, self.review, self.lang, offset=self.written, total=total,
                                digest=digest, color=self.color)
        self.spool.write(self._render(context))
        self.written += len(self.pending)
        self.pending = []

    def finish(self, result: Review) -> None:
        try:
            shown = []
            if result.top is not None:
                shown = [entry_of(vr, result, self.lang) for vr in result.summary.picked]
                self.review = result
                self.pending = [dict(v) for v in shown]
                self._cards(len(shown), digest=True)
            elif self.pending:
                self._cards(self.total, digest=False)
            frame = self._render(frame_context(result, self.lang, shown, self.MARKER, color=self.color))
            head, tail = frame.split(self.MARKER, 1)
            self.out.write(head)
            self.spool.seek(0)
            shutil.copyfileobj(self.spool, self.out, 1 << 20)
            self.out.write(tail)
        finally:
            self.spool.close()


HtmlSink = _Lazy("advisor.render.html_report:HtmlSink")  # pygal and the page's code: only for HTML


def sink_for(fmt: str, out, lang: Lang, *, color: bool = False, levels=None):
    """The sink that writes a streaming review in `fmt` (json, jsonl, text, markdown, html;
    html draws the H10/H11 regions at `levels`)."""
    if fmt == "html":
        return HtmlSink(out, lang, levels=levels)
    if fmt in ("text", "markdown"):
        return TemplateSink(out, lang, fmt, color=color)
    return {"json": JsonSink, "jsonl": JsonLinesSink}[fmt](out, lang)


STREAMED = ("json", "jsonl", "text", "markdown", "html")
