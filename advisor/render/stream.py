"""Sinks for a streaming review (advisor.jobs.review_stream): each video written as it arrives.

JsonSink       the document `--format json` prints, byte for byte the same as rendering the
               whole review at once (advisor.render.emit), written a video at a time.
JsonLinesSink  `--format jsonl`: one video per line, then one line {"summary": ..., "errors":
               [...]} (and "ctas" for a digest), for pipelines (jq, a database loader).

A digest (`--top N`) is known only at the end: its few videos are written then.
"""

from __future__ import annotations

from advisor.core.i18n import Lang
from advisor.jobs.review import Review, VideoReview
from advisor.jobs.review_report import report_tail, video_json
from advisor.render.emit import encode_json


def _indented(text: str, prefix: str) -> str:
    """A pretty-printed value moved `prefix` to the right (JSON strings hold no raw newline)."""
    return text.replace("\n", "\n" + prefix)


class JsonSink:
    """The JSON document, written piece by piece to `out` (anything with write(str))."""

    def __init__(self, out, lang: Lang):
        self.out = out
        self.lang = lang
        self.review: Review | None = None
        self.written = 0

    def start(self, total: int, review: Review) -> None:
        self.review = review
        self.out.write('{\n  "videos": [')

    def video(self, vr: VideoReview) -> None:
        if self.review.top is not None:
            return  # a digest writes its videos at the end
        self._write_video(video_json(vr, self.review, self.lang))

    def _write_video(self, entry: dict) -> None:
        self.out.write(("\n    " if not self.written else ",\n    ") + _indented(encode_json(entry), "    "))
        self.written += 1

    def finish(self, result: Review) -> None:
        shown = []
        if result.top is not None:
            shown = [video_json(vr, result, self.lang) for vr in result.summary.picked]
            for entry in shown:
                self._write_video(entry)
        self.out.write("\n  ]" if self.written else "]")
        for key, value in report_tail(result, self.lang, shown).items():
            self.out.write(f',\n  "{key}": ' + _indented(encode_json(value), "  "))
        self.out.write("\n}\n")


class JsonLinesSink:
    """JSON Lines: a video per line, then the summary line."""

    def __init__(self, out, lang: Lang):
        self.out = out
        self.lang = lang
        self.review: Review | None = None

    def start(self, total: int, review: Review) -> None:
        self.review = review

    def video(self, vr: VideoReview) -> None:
        if self.review.top is None:
            self.out.write(encode_json(video_json(vr, self.review, self.lang), indent=False) + "\n")

    def finish(self, result: Review) -> None:
        shown = []
        if result.top is not None:
            shown = [video_json(vr, result, self.lang) for vr in result.summary.picked]
            for entry in shown:
                self.out.write(encode_json(entry, indent=False) + "\n")
        self.out.write(encode_json(report_tail(result, self.lang, shown), indent=False) + "\n")


SINKS = {"json": JsonSink, "jsonl": JsonLinesSink}
