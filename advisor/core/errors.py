"""Located problems: what was wrong, where (file, line:col or row/column), in zh and en.

Every bad input ends up as a Problem. Commands print them one per line and exit with
status 2 when nothing could be done (1 when a batch went on past some of them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.core.i18n import Lang, T
from advisor.core.safe_text import printable


@dataclass(frozen=True)
class Problem:
    message: T
    file: str | None = None
    line: int | None = None  # 1-based
    col: int | None = None  # 1-based
    row: int | None = None  # 1-based data row of a table (the header is row 0)
    column: str | None = None  # a table's column name as written in the file
    field: str | None = None  # the canonical field or the key path inside a YAML file

    def location(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.col is not None:
                parts.append(str(self.col))
        return ":".join(parts)

    def format(self, lang: Lang) -> str:
        """promtool style: `file:line:col: message`; table rows name the row and column."""
        where = self.location()
        text = self.message.get(lang)
        if self.row is not None:
            label = T(zh="第 {row} 行", en="row {row}").format(lang, row=self.row)
            if self.column:
                label += T(zh=",列「{c}」", en=", column '{c}'").format(lang, c=self.column)
            text = f"{label}: {text}"
        # Messages repeat cells and names from the input: never a raw control character.
        return printable(f"{where}: {text}")

    def to_json(self, lang: Lang) -> dict:
        """The one JSON shape of a problem, in every command's `errors` list.

        file, row, column, field (null when they do not apply), message and text (the whole
        `file:line:col: message` line) are always there; line and col when known.
        """
        out: dict = {"file": self.file, "row": self.row, "column": self.column, "field": self.field,
                     "message": self.message.get(lang), "text": self.format(lang)}
        if self.line is not None:
            out["line"] = self.line
        if self.col is not None:
            out["col"] = self.col
        return out


@dataclass
class AdvisorError(Exception):
    """Raised when input cannot be used at all. The CLI prints the problems and exits 2."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:  # for logs and tests; users see Problem.format
        return "\n".join(p.format("en") for p in self.problems)


def did_you_mean(word: str, choices, lang: Lang | None = None) -> T | None:
    """A 'did you mean' hint, or None when nothing is close enough."""
    import difflib  # only when a name is wrong (its import is a few ms of every start)

    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    if not close:
        return None
    return T(zh=f"是不是 {close[0]}?", en=f"did you mean {close[0]}?")
