"""Single values as platforms export them: "4.41%", "14.73秒", "1.2万", "2026/06/25 18:30".

Each parser takes a cell (a string from a table, or a number/str/date from JSON or YAML)
and returns the canonical value, `None` for a missing cell, or raises `ValueProblem` saying
what was expected and what was found. Parsers never guess: a rate above 1 without a % sign
could be 135% or a typo, so it is an error, and 12.5 likes is an error too.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Callable, Iterable, Mapping

from advisor.core.i18n import T

# Cells that mean "no value" in exports: empty, dashes, and the usual spreadsheet N/As.
MISSING = frozenset({"", "-", "--", "—", "——", "/", "n/a", "na", "null", "none", "nan", "#n/a"})


class ValueProblem(ValueError):
    """A value that does not read as the expected kind. `message` is what users see."""

    def __init__(self, expected: T, found: object, detail: T | None = None):
        super().__init__(expected.en)
        self.expected = expected
        self.found = found
        self.detail = detail  # a more specific reason, shown before the general expectation

    @property
    def message(self) -> T:
        found = _show(self.found)
        zh, en = self.expected.zh, self.expected.en
        if self.detail is not None:
            zh, en = f"{self.detail.zh};{zh}", f"{self.detail.en}; {en}"
        return T(zh=f"{zh},实际为 {found}", en=f"{en}, found {found}")


def _show(value: object, limit: int = 40) -> str:
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"「{text}」" if isinstance(value, str) else text


def normalize(text: str) -> str:
    """NFKC (full-width digits, ％, ，, ： become ASCII), trimmed. ASCII skips the NFKC cost."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return text.strip()


def is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN from a spreadsheet library
        return True
    return isinstance(value, str) and _blank(normalize(value))


def _blank(text: str) -> bool:
    """An already normalized cell that means "no value"."""
    return not text or (len(text) <= 4 and text.lower() in MISSING)


def _prepare(value: object) -> object:
    """A str cell normalized, None for a missing cell, other values as they are."""
    if type(value) is str:
        text = normalize(value)
        return None if _blank(text) else text
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value


# --- numbers ---------------------------------------------------------------------------------

EXPECT_COUNT = T(zh="应为非负整数,如 1234、12,345 或 1.2万",
                 en="expected a whole non-negative number, like 1234, 12,345 or 1.2万")
EXPECT_RATE = T(zh="应为百分比或 0–1 的小数,如 4.41% 或 0.0441",
                en="expected a percentage or a 0-1 fraction, like 4.41% or 0.0441")
EXPECT_SECONDS = T(zh="应为时长,如 14.73秒、14.73s、1分05秒 或 01:05",
                   en="expected a duration, like 14.73秒, 14.73s, 1分05秒 or 01:05")
EXPECT_DATE = T(zh="应为日期,如 2026/06/25、2026-06-25 或 2026年6月25日",
                en="expected a date, like 2026/06/25, 2026-06-25 or 2026年6月25日")
EXPECT_TEXT = T(zh="应为文字", en="expected text")

# Beyond any plausible video: a count past a quadrillion, a duration past a year. Past these the
# value is a located row/column error instead of an overflow later (rates, formatting).
MAX_COUNT = 10**15
MAX_SECONDS = 365 * 24 * 3600
MAX_DIGITS = 40  # digits of a number cell, before it is read at all


def _implausible(expected: T, value: object, limit) -> "ValueProblem":
    return ValueProblem(expected, value, T(zh=f"数值大得不合理(上限 {limit:g})", en=f"implausibly large (limit {limit:g})"))


def json_int(text: str):
    """json.loads' parse_int: a JSON integer too long to be a count stays readable (as a float,
    infinite past 308 digits) instead of failing the whole file; the cell is then reported."""
    return int(text) if len(text) <= MAX_DIGITS else float(text)


# Chinese (and the w/k shorthand) multipliers as shown in app and export number cells.
_MULTIPLIERS = {"万": 10_000, "w": 10_000, "亿": 100_000_000, "千": 1_000, "k": 1_000}
_NUMBER = re.compile(r"([+-]?[0-9.,]+(?:[eE][+-]?[0-9]+)?)\s*(万|亿|千|[wWkK])?")
_PLAIN = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")


def _decimal(text: str, expected: T, *, multipliers: bool) -> Decimal:
    """A finite Decimal from an exported number, with thousands separators and 万/亿."""
    if len(text) > 4 * MAX_DIGITS:
        raise ValueProblem(expected, text, T(zh="数字太长", en="too many digits"))
    m = _NUMBER.fullmatch(text)
    if m is None or (m.group(2) and not multipliers):
        raise ValueProblem(expected, text)
    digits, unit = m.groups()
    if "," in digits:
        # "12,345" is a thousands separator; "12,5" (a European decimal comma) is not read.
        if not _GROUPED.fullmatch(digits):
            raise ValueProblem(expected, text, T(zh="千位分隔符位置不对", en="misplaced thousands separator"))
        digits = digits.replace(",", "")
    try:
        number = Decimal(digits)
    except InvalidOperation:
        raise ValueProblem(expected, text) from None
    if not number.is_finite():
        raise ValueProblem(expected, text)
    if number.adjusted() > MAX_DIGITS:  # 1e400: refused before any arithmetic can overflow
        raise ValueProblem(expected, text, T(zh="数值大得不合理", en="implausibly large"))
    if unit:
        number *= _MULTIPLIERS[unit.lower()]
    return number


# The count cells parse_count reads as int(cell) (its first line): up to 15 ASCII digits.
PLAIN_COUNT = "[0-9]{1,15}"


def plain_counts(n: int) -> Callable[[str], object]:
    """A test of `n` cells joined by "," (none of which can hold one and pass): true when each
    is a PLAIN_COUNT, so parse_count would read every one of them as int(cell). One regular
    expression for a row's count cells costs less than a call of parse_count for each."""
    return re.compile(",".join([PLAIN_COUNT] * n)).fullmatch


def parse_count(value: object) -> int | None:
    """A whole non-negative count: 1234, "12,345", "12，345", "1.2万", "3亿", "1200.0"."""
    if type(value) is str and value.isdigit() and value.isascii() and len(value) <= 15:
        return int(value)  # the common case, kept fast for big files
    value = _prepare(value)
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueProblem(EXPECT_COUNT, value)
    if isinstance(value, int):
        number = Decimal(value)
        approximate = False
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueProblem(EXPECT_COUNT, value)
        number = Decimal(repr(value))
        approximate = False
    elif isinstance(value, str):
        text = value
        number = _decimal(text, EXPECT_COUNT, multipliers=True)
        # "1.2万" is a rounded display value, so its product is rounded; "12.5" is an error.
        approximate = text[-1:].lower() in _MULTIPLIERS
    else:
        raise ValueProblem(EXPECT_COUNT, value)
    if number < 0:
        raise ValueProblem(EXPECT_COUNT, value, T(zh="计数不能为负", en="a count cannot be negative"))
    if number > MAX_COUNT:
        raise _implausible(EXPECT_COUNT, value, MAX_COUNT)
    if number != number.to_integral_value():
        if not approximate:
            raise ValueProblem(EXPECT_COUNT, value, T(zh="计数不能有小数", en="a count cannot have a fraction"))
        number = number.to_integral_value()
    return int(number)


def parse_rate(value: object) -> float | None:
    """A 0-1 fraction: "4.41%" -> 0.0441, 0.0441 -> 0.0441. Above 1 without % is an error."""
    if type(value) is str and value[-1:] == "%":
        # "4.41%" exactly as exported (ASCII digits, no spaces: NFKC and strip leave it as it
        # is): the common case below, without the general path's steps before it. The test is
        # _PLAIN.fullmatch(value[:-1]) without the regular expression: ASCII digits, then optionally
        # a point and more of them (whole + decimals checked at once).
        whole, point, decimals = value[:-1].partition(".")
        if whole and (decimals or not point) and (digits := whole + decimals).isdigit() and digits.isascii():
            number = int(digits) / 10 ** (len(decimals) + 2)
            if number > 1:
                raise ValueProblem(EXPECT_RATE, value, T(zh="百分比超过 100%", en="a percentage above 100%"))
            return number
    value = _prepare(value)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueProblem(EXPECT_RATE, value)
    percent = False
    if isinstance(value, str):
        text = value
        if text.endswith("%"):
            percent, text = True, text[:-1].rstrip()
            if _PLAIN.fullmatch(text):  # "4.41%": the common case, kept fast for big files
                whole, _, decimals = text.partition(".")
                # 441 / 10**4 is the float nearest to 0.0441 (both integers are exact floats).
                number = int(whole + decimals) / 10 ** (len(decimals) + 2)
                if number > 1:
                    raise ValueProblem(EXPECT_RATE, value, T(zh="百分比超过 100%", en="a percentage above 100%"))
                return number
        number = _decimal(text, EXPECT_RATE, multipliers=False)
    else:
        if isinstance(value, float) and (value != value or abs(value) == float("inf")):
            raise ValueProblem(EXPECT_RATE, value)
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if number < 0:
        raise ValueProblem(EXPECT_RATE, value, T(zh="比率不能为负", en="a rate cannot be negative"))
    if percent:
        if number > 100:
            raise ValueProblem(EXPECT_RATE, value, T(zh="百分比超过 100%", en="a percentage above 100%"))
        return float(number / 100)
    if number > 1:
        raise ValueProblem(EXPECT_RATE, value, T(
            zh="大于 1 的比率必须带 % 号(不做猜测:135 是 135% 还是笔误?)",
            en="a rate above 1 needs a % sign (not guessed: is 135 meant as 135% or a typo?)"))
    return float(number)


# --- durations -------------------------------------------------------------------------------

_CLOCK = re.compile(r"(?:([0-9]+):)?([0-9]+):([0-9]{1,2}(?:\.[0-9]+)?)")
_UNITS = re.compile(
    r"(?:(?P<h>[0-9]+(?:\.[0-9]+)?)\s*(?:小时|时|hours?|hrs?|h)\s*)?"
    r"(?:(?P<m>[0-9]+(?:\.[0-9]+)?)\s*(?:分钟|分|minutes?|mins?|m)\s*)?"
    r"(?:(?P<s>[0-9]+(?:\.[0-9]+)?)\s*(?:秒钟|秒|seconds?|secs?|s)?)?",
    re.IGNORECASE,
)


def parse_seconds(value: object) -> float | None:
    """Seconds: 14.73, "14.73秒", "14.73s", "1分05秒", "1m5s", "01:05", "1:02:03"."""
    if type(value) is str and len(value) <= 16 and value[-1:] in ("秒", "s"):
        # "14.73秒" as exported: the common case, kept fast for big files (NFKC leaves it as it is,
        # so the general path below would read the same number). The test is _PLAIN.fullmatch(number)
        # without the regular expression, as in parse_rate.
        whole, point, decimals = (number := value[:-1]).partition(".")
        if whole and (decimals or not point) and (digits := whole + decimals).isdigit() and digits.isascii():
            return float(number)
    value = _prepare(value)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueProblem(EXPECT_SECONDS, value)
    if isinstance(value, str):
        text = value
        plain = text[:-1] if text.endswith(("秒", "s")) else text
        if len(text) > 4 * MAX_DIGITS:
            raise ValueProblem(EXPECT_SECONDS, value, T(zh="数字太长", en="too many digits"))
        if _PLAIN.fullmatch(plain) and len(plain) <= 15:  # "14.73秒", "14.73": the common cases, kept fast
            return float(plain)
        seconds = _clock_seconds(text)
        if seconds is None:
            seconds = _unit_seconds(text)
        if seconds is None:
            raise ValueProblem(EXPECT_SECONDS, value)
    else:
        try:
            seconds = float(value)
        except OverflowError:  # an integer past float's range
            raise _implausible(EXPECT_SECONDS, value, MAX_SECONDS) from None
        if seconds != seconds:
            raise ValueProblem(EXPECT_SECONDS, value)
    if seconds < 0:
        raise ValueProblem(EXPECT_SECONDS, value, T(zh="时长不能为负", en="a duration cannot be negative"))
    if seconds > MAX_SECONDS:
        raise _implausible(EXPECT_SECONDS, value, MAX_SECONDS)
    return seconds


def _clock_seconds(text: str) -> float | None:
    m = _CLOCK.fullmatch(text)
    if m is None:
        return None
    if any(g is not None and len(g) > 12 for g in m.groups()):
        raise _implausible(EXPECT_SECONDS, text, MAX_SECONDS)
    hours, minutes, seconds = m.group(1), int(m.group(2)), float(m.group(3))
    if seconds >= 60 or (hours is not None and minutes >= 60):
        raise ValueProblem(EXPECT_SECONDS, text, T(zh="分或秒超过 59", en="minutes or seconds above 59"))
    return (int(hours or 0) * 60 + minutes) * 60 + seconds


def _unit_seconds(text: str) -> float | None:
    if text.startswith("-"):  # "-5秒": say it is negative rather than unreadable
        inner = _unit_seconds(text[1:].lstrip())
        if inner is not None:
            raise ValueProblem(EXPECT_SECONDS, text, T(zh="时长不能为负", en="a duration cannot be negative"))
        return None
    m = _UNITS.fullmatch(text)
    if m is None or not any(m.groupdict().values()):
        return None
    h, mi, s = (float(m.group(k) or 0) for k in ("h", "m", "s"))
    return h * 3600 + mi * 60 + s  # an absurd value is inf here, refused by the caller


# --- dates -----------------------------------------------------------------------------------

_DATE = re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})(?:\s*日)?")
_FAST_DATE = re.compile(r"([0-9]{4})[-/]([0-9]{2})[-/]([0-9]{2})(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2})?)?")
_COMPACT_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
# The time after a date is read only to be dropped: "18:30", "18:30:05", "T18:30:05+08:00", "18时30分".
_TIME = re.compile(
    r"(?:\s+|T)[0-9]{1,2}\s*[:时]\s*[0-9]{1,2}(?:\s*[:分]\s*[0-9]{1,2}(?:\.[0-9]+)?\s*秒?|\s*分)?"
    r"\s*(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
)


_FAST_DATE_LEN = 10  # "2026/06/25": the date part of a _FAST_DATE match is always this long

# Exported dates already read, the date part of the text (its first _FAST_DATE_LEN characters,
# without the time) -> date: an account posts a few videos a day, so an export repeats each date
# with a different time (and a date is immutable: sharing one object is safe). Beside them, the
# rests after those date parts ("", " 18:30", ...): an export repeats its times of day too.
# Both are only stored from a _FAST_DATE match, and its date and time parts are matched
# independently, so a text made of a remembered date part and a remembered rest matches
# _FAST_DATE too, and reads as that date. Bounded.
_DATES_READ: dict[str, dt.date] = {}
_TIMES_READ: set[str] = set()
_DATES_KEPT = 4096


def parse_date(value: object) -> dt.date | None:
    """A publish date; a time after it is accepted and dropped."""
    if type(value) is str:
        date = _DATES_READ.get(value[:_FAST_DATE_LEN])
        if date is not None and value[_FAST_DATE_LEN:] in _TIMES_READ:
            return date
        m = _FAST_DATE.fullmatch(value)
        if m is not None:  # as exported (ASCII, no spaces around: NFKC and strip leave it as it is)
            try:
                date = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                pass  # reported below with the general rule's message
            else:
                if len(_DATES_READ) >= _DATES_KEPT or len(_TIMES_READ) >= _DATES_KEPT:
                    _DATES_READ.clear()
                    _TIMES_READ.clear()
                _DATES_READ[value[:_FAST_DATE_LEN]] = date
                _TIMES_READ.add(value[_FAST_DATE_LEN:])
                return date
    value = _prepare(value)
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ValueProblem(EXPECT_DATE, value)
    text = value
    m = _FAST_DATE.fullmatch(text)
    if m is not None:  # "2026/06/25 18:30", "2026-06-25": the common cases, kept fast
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            pass  # reported below with the general rule's message
    m = _DATE.match(text) or _COMPACT_DATE.match(text)
    if m is None:
        raise ValueProblem(EXPECT_DATE, value)
    rest = text[m.end():]
    if rest and not _TIME.fullmatch(rest):
        raise ValueProblem(EXPECT_DATE, value)
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise ValueProblem(EXPECT_DATE, value, T(zh="日历上没有这一天", en="no such day in the calendar")) from None


# --- text and choices --------------------------------------------------------------------------

# Excel turns long numeric ids into "1.43538E+19", losing digits: such an id cannot be trusted.
_SCIENTIFIC = re.compile(r"[0-9](?:\.[0-9]+)?[eE]\+[0-9]+")


def parse_text(value: object) -> str | None:
    """Text as written, trimmed. Numbers from JSON/YAML become their decimal text."""
    if isinstance(value, str):
        text = value.strip()
        # Only short cells can be a missing marker: long titles skip the NFKC cost.
        return None if len(text) <= 4 and _blank(normalize(text)) else text
    if is_missing(value):
        return None
    if isinstance(value, bool):
        raise ValueProblem(EXPECT_TEXT, value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    raise ValueProblem(EXPECT_TEXT, value)


def parse_id(value: object) -> str | None:
    """A video id; refuses ids that a spreadsheet already turned into scientific notation."""
    text = parse_text(value)
    if text is not None and "+" in text and _SCIENTIFIC.fullmatch(text):  # no "+": not scientific
        raise ValueProblem(
            T(zh="应为完整的视频ID", en="expected the full video id"), value,
            T(zh="ID 被表格软件改成了科学计数法,数字已丢失;请把该列设为文本后重新导出",
              en="a spreadsheet turned this id into scientific notation and lost digits; "
                 "format the column as text and export again"))
    return text


def parse_choice(value: object, allowed: Iterable[str], aliases: Mapping[str, str] | None = None) -> str | None:
    """One of `allowed`, or a value that `aliases` maps to one (matched after normalize + casefold)."""
    text = parse_text(value)
    if text is None:
        return None
    allowed = list(allowed)
    key = normalize(text).casefold()
    for choice in allowed:
        if choice.casefold() == key:
            return choice
    for alias, choice in (aliases or {}).items():
        if normalize(alias).casefold() == key:
            return choice
    shown = allowed + [a for a in (aliases or {}) if a not in allowed]
    listed = "、".join(shown)
    raise ValueProblem(T(zh=f"应为以下之一:{listed}", en=f"expected one of: {', '.join(shown)}"), value)


# The parser for each value kind of advisor.model.metrics.FIELDS; enum fields use parse_choice.
PARSERS: dict[str, Callable[[object], object]] = {
    "count": parse_count,
    "rate": parse_rate,
    "seconds": parse_seconds,
    "date": parse_date,
    "text": parse_text,
}
