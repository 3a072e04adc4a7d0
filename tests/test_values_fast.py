"""The fast paths of the importers' hot loop read exactly what the general paths read: the same
values of the same types, and the same problems for bad cells, whatever is remembered."""

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.input import importers, values
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
                                                " 18时30分", "  18:30", " 18:3", " 18:30:5", " 1８:30", "x", " x", " ", "T",
                                                " 18:30x", "T18:30 "]),
                  st.text(alphabet=" T0123456789:+-Z时分秒日x٣", max_size=10))
DATE_TEXTS = st.one_of(st.builds(lambda part, tail: part + tail, DATE_PARTS, TAILS),
                       st.builds(lambda y, m, d, tail: f"{y:04d}/{m:02d}/{d:02d}{tail}",
                                 st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99), TAILS),
                       st.text(max_size=20))


@settings(max_examples=1500, deadline=None)
@given(DATE_TEXTS, st.lists(st.one_of(DATE_TEXTS, TAILS), max_size=3))
def test_a_remembered_date_reads_as_the_text_read_afresh(text, other):
    """parse_date remembers a date by its date part only: whatever another text left in the
    memory, a text reads (or is refused) as it is with nothing remembered."""
    kept, times = dict(values._DATES_READ), set(values._TIMES_READ)
    try:
        values._DATES_READ.clear()
        values._TIMES_READ.clear()
        fresh = _outcome(parse_date, text)
        values._DATES_READ.clear()
        values._TIMES_READ.clear()
        for primer in other:  # may remember date parts and times of day that text may share
            _outcome(parse_date, primer)
            _outcome(parse_date, text[:10] + primer)
        assert _outcome(parse_date, text) == fresh
        assert _outcome(parse_date, text) == fresh  # read again, now perhaps from the memory
    finally:
        values._DATES_READ.clear()
        values._DATES_READ.update(kept)
        values._TIMES_READ.clear()
        values._TIMES_READ.update(times)


@pytest.mark.parametrize("text, expected", [
    ("2024/01/01 19:00", dt.date(2024, 1, 1)), ("2024/01/01 19:00:05", dt.date(2024, 1, 1)),
    ("2024/01/01T19:00", dt.date(2024, 1, 1)), ("2024/01/01", dt.date(2024, 1, 1))])
def test_dates_with_a_time_share_the_remembered_date(monkeypatch, text, expected):
    monkeypatch.setattr(values, "_DATES_READ", {})
    monkeypatch.setattr(values, "_TIMES_READ", set())
    assert parse_date("2024/01/01 08:00") == parse_date(text) == expected
    assert parse_date("2024/01/02" + text[10:]) == expected + dt.timedelta(days=1)
    assert parse_date(text) is parse_date("2024/01/01 08:00")  # both parts remembered: the same object
    assert sorted(values._DATES_READ) == ["2024/01/01", "2024/01/02"]
    assert values._TIMES_READ == {" 08:00", text[10:]}


COUNT_CELLS = st.one_of(st.text(alphabet="0123456789", min_size=0, max_size=17),
                        st.text(alphabet="0123456789,.+-e ٣²\n万", max_size=8),
                        st.sampled_from(["12,345", "1.2万", "007", " 7", "0", "9" * 15, "9" * 16]))


@settings(max_examples=800, deadline=None)
@given(st.lists(COUNT_CELLS, min_size=1, max_size=8))
def test_plain_counts_are_the_cells_parse_count_reads_with_int(cells):
    """A row's count cells pass plain_counts together exactly when each is read by int() alone
    (parse_count's first line), and int() then reads each as parse_count does."""
    first_line = [cell.isdigit() and cell.isascii() and len(cell) <= 15 for cell in cells]
    assert bool(values.plain_counts(len(cells))(",".join(cells))) is all(first_line)
    if all(first_line):
        assert [_outcome(values.parse_count, cell) for cell in cells] == [("value", int, int(cell)) for cell in cells]


HEADER = ["视频描述", "视频ID", "发布时间", "完播率", "平均播放时长", "播放量", "推荐", "喜欢", "评论量", "分享量", "关注量",
          "转发聊天和朋友圈"]
COUNT = st.one_of(st.text(alphabet="0123456789", min_size=1, max_size=6),
                  st.sampled_from(["9303", "0", "007", "12,345", "1.2万", "", "-", " 7", "12.5", "abc", "9" * 16]))
# A cell of each column (in HEADER's order): mostly good, sometimes empty or bad.
COLUMN_CELLS = [st.sampled_from(["第0条 家常菜", "", "a,b"]), st.sampled_from(["s0-001", "", "1.43538E+19"]),
                st.sampled_from(["2024/01/01 19:00", "2024-01-02", "", "2024/02/30 19:00"]),
                st.sampled_from(["24.13%", "0.5", "", "135"]), st.sampled_from(["47.64秒", "1分05秒", "", "-5秒"]),
                *[COUNT] * 7]
ROWS = st.lists(st.tuples(st.tuples(*COLUMN_CELLS), st.integers(-2, 1)), min_size=1, max_size=6)


def _read_rows(path, ungrouped):
    with pytest.MonkeyPatch.context() as patch:
        if ungrouped:  # every row's cells parsed one by one, as before the count columns were grouped
            patch.setattr(importers, "plain_counts", lambda n: lambda text: None)
        result = importers.ImportResult()
        rows = [list(row.items()) for row in importers.iter_videos([str(path)], result, stream=True, fields=True)]
    return rows, [p.to_json("en") for p in result.problems], [(f.rows, f.videos, f.ignored_columns) for f in result.files]


@settings(max_examples=150, deadline=None)
@given(st.permutations(range(len(HEADER))), ROWS)
def test_grouped_count_columns_read_as_each_cell_parsed(order, rows):
    """The same rows, values (in the same order, of the same types) and problems, whatever the
    columns' order, short and long rows, and bad or unusual count cells."""
    folder = tempfile.TemporaryDirectory()
    path = Path(folder.name) / "export.csv"
    lines = [",".join(HEADER[i] for i in order)]
    for number, (cells, width) in enumerate(rows):
        row = [cells[i] for i in order]
        at = order.index(1)  # the id column
        if row[at] == "s0-001":
            row[at] = f"id{number % 4}"  # mostly distinct ids, some repeated
        row = row[:len(row) + width] if width < 0 else row + ["7"] * width  # short and long rows too
        lines.append(",".join(f'"{cell}"' if "," in cell else cell for cell in row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with folder:
        grouped = _read_rows(path, False)
        assert grouped[0] or grouped[1]  # something was read: a video or a problem
        assert grouped == _read_rows(path, True)


NUMBER_TEXTS = st.one_of(st.text(alphabet="0123456789.٣² a+-%秒sE,万", max_size=10),
                         st.builds(lambda a, b, unit: f"{a}.{b}{unit}", st.integers(0, 10**17), st.integers(0, 10**6),
                                   st.sampled_from(["%", "秒", "s", ""])),
                         st.sampled_from(["24.13%", "100%", "100.01%", "0.%", ".5%", "%", "47.64秒", "1.s", "s", "秒",
                                          "12345678901234.5秒", "123456789012345.5秒", "1e5s", "٣%", "²秒"]))


@settings(max_examples=1500, deadline=None)
@given(NUMBER_TEXTS)
def test_rate_and_seconds_fast_paths_read_as_the_general_path(text):
    """A leading space keeps a cell off the fast path (the general path strips it, and its test
    is _PLAIN, the regular expression the fast paths check without running it): both
    readings agree, values, types and problems."""
    for parse in (values.parse_rate, values.parse_seconds):
        assert _outcome(parse, text) == _outcome(parse, " " + text)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(alphabet="0123456789.eE+- s", max_size=12), st.sampled_from(["1.43538E+19", "1e+5", "s0-001"])))
def test_an_id_is_refused_exactly_when_it_is_in_scientific_notation(text):
    refused = _outcome(values.parse_id, text)[0] == "problem"
    assert refused is bool(values._SCIENTIFIC.fullmatch(text.strip()))


@pytest.mark.parametrize("stream", [False, True])
def test_a_malformed_line_is_located_after_the_rows_before_it(tmp_path, stream):
    path = tmp_path / "export.csv"
    rows = ["视频ID,播放量", "a,1", "", "b,2", "c," + "9" * 200_000, "d,4"]  # a cell past the csv module's limit
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result, read = importers.ImportResult(), []
    with pytest.raises(importers.AdvisorError) as info:
        for row in importers.iter_videos([str(path)], result, stream=stream, fields=True):
            read.append(row)
    assert [row["id"] for row in read] == ["a", "b"]
    assert [(p.file, p.line) for p in info.value.problems] == [(str(path), 5)]
    assert "malformed table" in info.value.problems[0].message.en


def test_table_rows_keep_their_numbers_and_lines():
    text = '视频ID,标题\na,"two\nlines"\n\nb,x\n'
    table = importers.read_table(text, "t.csv")
    assert list(table.rows) == [(1, 2, ["a", "two\nlines"]), (2, 4, []), (3, 5, ["b", "x"])]
    located = importers.read_table(text, "t.csv", located=True)
    assert list(located.rows) == [(1, 2, ["a", "two\nlines"], None), (2, 4, [], None), (3, 5, ["b", "x"], None)]
