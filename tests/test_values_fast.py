"""The fast paths of the importers' hot loop read exactly what the general paths read: the same
values of the same types, and the same problems for bad cells, whatever is remembered."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.input import values
from advisor.input.values import ValueProblem, parse_date


def _outcome(parse, cell):
    """What a parser makes of a cell: its value and type, or its problem's messages."""
    try:
        value = parse(cell)
    except ValueProblem as exc:
        return "problem", exc.message.zh, exc.message.en
    return "value", type(value), value


DATE_PARTS = st.builds(lambda day, sep: day.strftime(f"%Y{sep}%m{sep}%d"),
                       st.dates(min_value=dt.date(1000, 1, 1)), st.sampled_from(["/", "-", "."]))
# What may follow an exported date: times as exported, near misses, anything.
TAILS = st.one_of(st.just(""), st.sampled_from([" 18:30", " 18:30:05", "T18:30:05", " 8:30", " 18:30 ", "T18:30:05+08:00",
                                                " 18时30分", "  18:30", " 18:3", " 18:30:5", " 1８:30", "x"]),
                  st.text(alphabet=" T0123456789:+-Z时分秒日x٣", max_size=10))
DATE_TEXTS = st.one_of(st.builds(lambda part, tail: part + tail, DATE_PARTS, TAILS),
                       st.builds(lambda y, m, d, tail: f"{y:04d}/{m:02d}/{d:02d}{tail}",
                                 st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99), TAILS),
                       st.text(max_size=20))


@settings(max_examples=1500, deadline=None)
@given(DATE_TEXTS, DATE_TEXTS)
def test_a_remembered_date_reads_as_the_text_read_afresh(text, other):
    """parse_date remembers a date by its date part only: whatever another text left in the
    memory, a text reads (or is refused) as it is with nothing remembered."""
    kept = dict(values._DATES_READ)
    try:
        values._DATES_READ.clear()
        fresh = _outcome(parse_date, text)
        values._DATES_READ.clear()
        _outcome(parse_date, other)  # may remember other's date part, which text may share
        assert _outcome(parse_date, text) == fresh
        assert _outcome(parse_date, text) == fresh  # read again, now perhaps from the memory
    finally:
        values._DATES_READ.clear()
        values._DATES_READ.update(kept)


@pytest.mark.parametrize("text, expected", [
    ("2024/01/01 19:00", dt.date(2024, 1, 1)), ("2024/01/01 19:00:05", dt.date(2024, 1, 1)),
    ("2024/01/01T19:00", dt.date(2024, 1, 1)), ("2024/01/01", dt.date(2024, 1, 1))])
def test_dates_with_a_time_share_the_remembered_date(monkeypatch, text, expected):
    monkeypatch.setattr(values, "_DATES_READ", {})
    first = parse_date("2024/01/01 08:00")
    assert parse_date(text) is first == expected
    assert list(values._DATES_READ) == ["2024/01/01"]
