"""Parsing single exported values: counts, rates, durations, dates, text, choices."""

import datetime as dt

import pytest

from advisor.core.i18n import T
from advisor.input.values import (ValueProblem, is_missing, parse_choice, parse_count, parse_date, parse_id,
                            parse_rate, parse_seconds, parse_text)


@pytest.mark.parametrize("text, expected", [
    ("1234", 1234), (1234, 1234), ("12,345", 12345), ("12，345", 12345), ("1,234,567", 1234567),
    ("1.2万", 12000), ("1.25万", 12500), ("3亿", 300_000_000), ("1.2w", 12000), ("2k", 2000),
    ("1200.0", 1200), (1200.0, 1200), ("  42 ", 42), ("０１２３", 123), ("0", 0), ("1.2E+04", 12000),
])
def test_counts(text, expected):
    assert parse_count(text) == expected
    assert isinstance(parse_count(text), int)


@pytest.mark.parametrize("text", ["", "  ", "-", "--", "N/A", "n/a", "—", None, float("nan")])
def test_missing_cells(text):
    assert is_missing(text)
    for parse in (parse_count, parse_rate, parse_seconds, parse_date, parse_text):
        assert parse(text) is None


@pytest.mark.parametrize("text, reason", [
    ("12.5", "fraction"), (12.5, "fraction"), ("-3", "negative"), (-1, "negative"),
    ("abc", None), ("12,5", "separator"), ("4.41%", None), (True, None), ("1.2.3", None), ([1], None),
])
def test_bad_counts(text, reason):
    with pytest.raises(ValueProblem) as info:
        parse_count(text)
    message = info.value.message
    assert isinstance(message, T)
    assert "expected a whole non-negative number" in message.en
    assert "应为非负整数" in message.zh
    if reason:
        assert reason in message.en


@pytest.mark.parametrize("text, expected", [
    ("4.41%", 0.0441), ("4.41 %", 0.0441), ("４.４１％", 0.0441), (0.0441, 0.0441), ("0.0441", 0.0441),
    ("100%", 1.0), ("0%", 0.0), (1, 1.0), (0, 0.0), ("29.90%", 0.299), ("55.54%", 0.5554), ("1", 1.0),
])
def test_rates(text, expected):
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text", ["135", 135, 1.5, "1.01", "135%", "-4%", -0.1, "abc", "4.41‰", "1.2万"])
def test_bad_rates(text):
    with pytest.raises(ValueProblem) as info:
        parse_rate(text)
    assert "expected a percentage or a 0-1 fraction" in info.value.message.en
    assert "应为百分比或 0–1 的小数" in info.value.message.zh


def test_rate_above_one_without_percent_is_not_guessed():
    with pytest.raises(ValueProblem) as info:
        parse_rate("135")
    assert "% sign" in info.value.message.en
    assert "「135」" in info.value.message.en  # what was found


@pytest.mark.parametrize("text, expected", [
    ("14.73秒", 14.73), ("14.73s", 14.73), ("14.73 s", 14.73), ("14.73", 14.73), (14.73, 14.73), (65, 65.0),
    ("1分05秒", 65.0), ("1分5秒", 65.0), ("2分", 120.0), ("1分钟", 60.0), ("1m5s", 65.0), ("1小时2分3秒", 3723.0),
    ("01:05", 65.0), ("1:02:03", 3723.0), ("75:30", 4530.0), ("0秒", 0.0),
])
def test_seconds(text, expected):
    assert parse_seconds(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["abc", "-5", "-5秒", "14ms", "1:75", "1:60:00", "秒", True])
def test_bad_seconds(text):
    with pytest.raises(ValueProblem) as info:
        parse_seconds(text)
    assert "expected a duration" in info.value.message.en


@pytest.mark.parametrize("text", [
    "2026/06/25", "2026-06-25", "2026年6月25日", "2026年06月25日", "2026/06/25 18:30", "2026/6/25 18:30:05",
    "2026-06-25T18:30:00+08:00", "2026-06-25 18:30:00Z", "2026.06.25", "20260625", "2026年6月25日 18时30分",
    dt.date(2026, 6, 25), dt.datetime(2026, 6, 25, 18, 30),
])
def test_dates(text):
    assert parse_date(text) == dt.date(2026, 6, 25)


@pytest.mark.parametrize("text", ["2026/02/30", "2026-13-01", "25/06/2026", "yesterday", "2026/06/25 晚上", 20260625])
def test_bad_dates(text):
    with pytest.raises(ValueProblem) as info:
        parse_date(text)
    assert "expected a date" in info.value.message.en


def test_text_and_ids():
    assert parse_text("  番茄炒蛋  ") == "番茄炒蛋"
    assert parse_text(123) == "123"
    assert parse_text(123.0) == "123"
    assert parse_id("export/UzFfAgtgekIEAQAAAAAA") == "export/UzFfAgtgekIEAQAAAAAA"
    with pytest.raises(ValueProblem) as info:
        parse_id("1.43538E+19")  # Excel already lost the id's digits
    assert "scientific notation" in info.value.message.en


def test_choices():
    forms = ("short_video", "long_video")
    assert parse_choice("short_video", forms) == "short_video"
    assert parse_choice("Short_Video", forms) == "short_video"
    assert parse_choice("短视频", forms, {"短视频": "short_video"}) == "short_video"
    assert parse_choice("", forms) is None
    with pytest.raises(ValueProblem) as info:
        parse_choice("vlog", forms, {"短视频": "short_video"})
    assert "short_video" in info.value.message.en and "短视频" in info.value.message.zh


def test_dates_read_again_come_from_a_bounded_memory(monkeypatch):
    from advisor.input import values as values_module

    monkeypatch.setattr(values_module, "_DATES_READ", {})
    monkeypatch.setattr(values_module, "_DATES_KEPT", 3)
    first = parse_date("2026-06-25")
    assert parse_date("2026-06-25") is first == dt.date(2026, 6, 25)  # the same object, read once
    for text in ("2026-02-30", "2026-02-30"):  # not a date: refused every time, never remembered
        with pytest.raises(ValueProblem):
            parse_date(text)
    for day in range(1, 8):
        assert parse_date(f"2026-07-0{day}") == dt.date(2026, 7, day)
        assert len(values_module._DATES_READ) <= 3
    assert "2026-02-30" not in values_module._DATES_READ
