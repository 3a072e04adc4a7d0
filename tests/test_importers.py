"""Importing exports: the shipped samples, formats, encodings, stdin, bad rows, profiles."""

import datetime as dt
import io
import json
from pathlib import Path

import pytest

from advisor.core.errors import AdvisorError
from advisor.input.importers import decode, load_videos

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
WECHAT = EXAMPLES / "wechat_channels_export.csv"
WECHAT_HEADER = ("视频描述,视频ID,发布时间,完播率,平均播放时长,播放量,推荐,喜欢,评论量,分享量,关注量,转发聊天和朋友圈,"
                 "设为铃声,设为状态,设为朋友圈封面,企微链接点击次数,企微链接点击人数,添加到通讯录次数,添加到通讯录人数")


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def error_of(paths, **kwargs):
    with pytest.raises(AdvisorError) as info:
        load_videos(paths, **kwargs)
    assert len(info.value.problems) == 1
    return info.value.problems[0]


# --- the shipped samples -----------------------------------------------------------------------

def test_wechat_channels_sample():
    assert WECHAT.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, as the platform gives it
    result = load_videos([WECHAT])
    assert result.problems == []
    assert len(result.videos) == 28
    (info,) = result.files
    assert (info.profile, info.encoding, info.format, info.rows, info.videos) == (
        "wechat_channels", "utf-8-sig", "csv", 28, 28)
    assert info.ignored_columns == []
    assert list(info.unused_columns) == ["设为铃声", "设为状态", "设为朋友圈封面", "企微链接点击次数",
                                         "企微链接点击人数", "添加到通讯录次数", "添加到通讯录人数"]
    first = result.videos[0]
    assert first.id == "export/UzFfAgtgekIEAQAAAAAA04PBRsAlNGoVBm"
    assert first.title.startswith("番茄炒蛋到底先放蛋还是先放番茄？")
    assert first.published_at == dt.date(2026, 5, 18)  # "2026/05/18 19:00"
    assert first.completion_rate == 0.2498  # "24.98%"
    assert first.avg_watch_s == 13.28  # "13.28秒"
    assert first.views == 118_000  # "11.8万"
    assert (first.hearts, first.likes) == (408, 8748)  # 推荐 = ♡, 喜欢 = 👍
    assert (first.comments, first.shares, first.follows) == (236, 261, 149)
    assert first.form == "short_video"  # the profile's default
    assert first.duration_s is None and first.retention_rate is None  # not in this export
    assert result.videos[1].avg_watch_s == 25.36  # a plain-seconds cell
    assert result.videos[1].title == "下班30分钟搞定三菜一汤,打工人的晚饭也可以很认真"  # quoted comma
    dates = [v.published_at for v in result.videos]
    assert min(dates) == dt.date(2026, 5, 18) and max(dates) <= dt.date(2026, 6, 28)
    assert len({v.id for v in result.videos}) == 28


def test_wechat_channels_sample_has_varied_shapes():
    videos = load_videos([WECHAT]).videos
    rates = [v.to_fact() for v in videos]
    assert any(f["like_rate"] > 0.05 and f["followup_rate"] < 0.005 for f in rates)  # short-lived heat
    assert any(f["heart_rate"] > 0.02 and f["comment_rate"] > 0.01 for f in rates)  # loyal core
    assert any(f["completion_rate"] > 0.5 and f["heart_rate"] < 0.005 for f in rates)  # watched, not hearted
    assert any(f["heart_rate"] > 0.02 and f["completion_rate"] < 0.12 for f in rates)  # hearted, not watched
    assert all(800 <= v.views <= 120_000 for v in videos)


def test_bad_rows_sample_keeps_good_rows_and_lists_bad_ones():
    result = load_videos([EXAMPLES / "wechat_channels_bad_rows.csv"])
    assert len(result.videos) == 6
    assert result.files[0].rows == 10
    found = [(p.row, p.line, p.column, p.field) for p in result.problems]
    assert found == [(3, 4, "完播率", "completion_rate"), (5, 6, "评论量", "comments"),
                     (7, 8, "播放量", "views"), (9, 10, "视频ID", "id")]
    assert "% sign" in result.problems[0].message.en and "「135」" in result.problems[0].message.en
    assert "negative" in result.problems[1].message.en
    assert "「约三千」" in result.problems[2].message.zh
    assert result.problems[3].message.en == "missing video id"
    assert all(p.file.endswith("wechat_channels_bad_rows.csv") for p in result.problems)
    assert result.problems[0].format("en").endswith(
        "wechat_channels_bad_rows.csv:4: row 3, column '完播率': a rate above 1 needs a % sign "
        "(not guessed: is 135 meant as 135% or a typo?); expected a percentage or a 0-1 fraction, "
        "like 4.41% or 0.0441, found 「135」")
    # lose nothing: every row is a video or a problem
    assert len(result.videos) + len({p.row for p in result.problems}) == 10


def test_douyin_sample_in_gb18030():
    raw = (EXAMPLES / "douyin_export.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    result = load_videos([EXAMPLES / "douyin_export.csv"])
    assert result.problems == []
    assert len(result.videos) == 22
    (info,) = result.files
    assert (info.profile, info.encoding) == ("douyin", "gb18030")
    assert set(info.unused_columns) == {"5s完播率", "2s跳出率", "收藏量", "主页访问量"}
    first = result.videos[0]
    assert first.id == "2026-05-18 20:01:39 " + first.title  # no id column: made from 发布时间 + 作品名称
    assert (first.views, first.likes, first.duration_s, first.avg_watch_s) == (4442, 136, 65.0, 30.8)
    assert first.completion_rate == 0.464 and first.hearts is None and first.form == "short_video"
    picture = result.videos[5]
    assert picture.form == "image_text" and picture.completion_rate is None and picture.duration_s is None


def test_canonical_yaml_and_json_samples():
    result = load_videos([EXAMPLES / "videos.yaml", EXAMPLES / "video.json"])
    assert result.problems == []
    assert [v.id for v in result.videos] == ["wx-2026-0601", "wx-2026-0605", "wx-2026-0612", "wx-2026-0620"]
    first = result.videos[0]
    assert (first.completion_rate, first.avg_watch_s, first.published_at) == (0.299, 17.38, dt.date(2026, 6, 1))
    assert result.videos[2].form == "live"
    assert [f.format for f in result.files] == ["yaml", "json"]
    assert result.videos[3].hearts == 82


# --- formats and shapes ------------------------------------------------------------------------

def test_json_shapes(tmp_path):
    one = {"id": "a", "views": 10}
    for data in ([one, {"id": "b", "views": 5}], {"videos": [one, {"id": "b"}], "account": "x"}):
        result = load_videos([write(tmp_path, "v.json", json.dumps(data))])
        assert [v.id for v in result.videos] == ["a", "b"]
    result = load_videos([write(tmp_path, "v.json", json.dumps({"videos": [one], "account": "x"}))])
    assert result.files[0].ignored_columns == ["account (top level)"]
    assert load_videos([write(tmp_path, "one.json", json.dumps(one))]).videos[0].views == 10


def test_json_aliases_and_bad_values(tmp_path):
    data = [{"视频ID": "a", "播放量": "1.2万", "完播率": "30%", "小红心": 3, "extra": 1},
            {"id": "b", "views": "lots"}, "not an object", {"id": "c", "views": -1, "likes": 2.5}]
    result = load_videos([write(tmp_path, "v.json", json.dumps(data, ensure_ascii=False))])
    assert [(v.id, v.views, v.completion_rate, v.hearts) for v in result.videos] == [("a", 12000, 0.3, 3)]
    assert result.files[0].ignored_columns == ["extra"]
    found = [(p.row, p.column, p.field) for p in result.problems]
    assert found == [(2, "views", "views"), (3, None, None), (4, "views", "views"), (4, "likes", "likes")]


def test_yaml_problems_are_located(tmp_path):
    path = write(tmp_path, "v.yaml", "- id: a\n  views: 10\n- id: b\n  completion_rate: 135\n")
    result = load_videos([path])
    assert [v.id for v in result.videos] == ["a"]
    (problem,) = result.problems
    assert (problem.row, problem.line, problem.col, problem.column, problem.field) == (
        2, 4, 3, "completion_rate", "completion_rate")


def test_tsv_semicolon_and_txt(tmp_path):
    rows = [["id", "views", "likes"], ["a", "1", "2"], ["b", "3", "4"]]
    for name, sep in (("v.tsv", "\t"), ("v.txt", "\t"), ("v.csv", ";"), ("v.txt", ",")):
        path = write(tmp_path, name, "\n".join(sep.join(r) for r in rows) + "\n")
        result = load_videos([path])
        assert [(v.id, v.views, v.likes) for v in result.videos] == [("a", 1, 2), ("b", 3, 4)], (name, sep)
        assert result.files[0].delimiter == sep


# --- encodings ---------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding, name", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030"), ("gbk", "gb18030"),
    ("utf-16", "utf-16"), ("utf-16-le", "utf-16"), ("utf-16-be", "utf-16"),
])
def test_encodings(tmp_path, encoding, name):
    text = "视频ID,视频描述,播放量\nv1,番茄炒蛋，全家爱吃,1.2万\n"
    data = text.encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):  # with their BOM, as Excel writes "Unicode text"
        data = "\ufeff".encode(encoding) + data
    path = tmp_path / "v.csv"
    path.write_bytes(data)
    result = load_videos([path])
    assert result.files[0].encoding == name
    assert [(v.id, v.title, v.views) for v in result.videos] == [("v1", "番茄炒蛋，全家爱吃", 12000)]


def test_undecodable_and_binary_files(tmp_path):
    path = tmp_path / "v.csv"
    path.write_bytes("视频ID,播放量\n".encode("utf-8") + b"a,1\nb,\x81\xff\n")
    problem = error_of([path])
    assert problem.line == 3 and "cannot decode" in problem.message.en
    path.write_bytes(b"PK\x03\x04rest of a zip")
    assert "Excel workbook" in error_of([path]).message.en
    text, encoding = decode("a,b\n".encode("utf-8"))
    assert (text, encoding) == ("a,b\n", "utf-8")


# --- stdin -------------------------------------------------------------------------------------

def test_stdin_sniffs_the_content():
    csv_bytes = WECHAT.read_bytes()
    result = load_videos(["-"], stdin=io.BytesIO(csv_bytes))
    assert len(result.videos) == 28 and result.files[0].path == "<stdin>"
    assert result.files[0].profile == "wechat_channels"
    result = load_videos(["-"], stdin=io.BytesIO(b'[{"id": "a", "views": 3}]'))
    assert result.files[0].format == "json" and result.videos[0].views == 3
    result = load_videos(["-"], stdin=io.BytesIO("- id: a\n  完播率: 4.41%\n".encode()))
    assert result.files[0].format == "yaml" and result.videos[0].completion_rate == 0.0441
    result = load_videos(["-"], stdin=io.StringIO("id\tviews\na\t5\n"))  # a text stream works too
    assert result.files[0].format == "tsv" and result.videos[0].views == 5


def test_stdin_and_files_together(tmp_path):
    path = write(tmp_path, "v.csv", "id,views\nb,2\n")
    result = load_videos(["-", path], stdin=io.BytesIO(b"id,views\na,1\n"))
    assert [v.id for v in result.videos] == ["a", "b"]
    assert [f.path for f in result.files] == ["<stdin>", str(path)]


# --- profiles ----------------------------------------------------------------------------------

def test_forcing_a_profile(tmp_path):
    result = load_videos([WECHAT], profile="generic")
    assert result.files[0].profile == "generic"
    assert {"推荐", "喜欢"} <= set(result.files[0].ignored_columns)  # generic does not know them
    assert result.videos[0].hearts is None and result.videos[0].likes is None
    custom = write(tmp_path, "mine.yaml", "id: mine\nname: {zh: 我的, en: mine}\ncolumns: {编号: id, 看过: views}\n")
    data = write(tmp_path, "v.csv", "编号,看过\nx,7\n")
    result = load_videos([data], profile=str(custom))
    assert result.files[0].profile == "mine" and result.videos[0].views == 7
    with pytest.raises(AdvisorError):
        load_videos([data], profile="no-such-profile")


def test_user_profile_dirs_are_detected(tmp_path):
    folder = tmp_path / "profiles"
    folder.mkdir()
    write(folder, "k.yaml", "id: kuaishou\nname: {zh: 快手, en: Kuaishou}\ndetect: [作品编号, 双击数]\n"
                            "columns: {作品编号: id, 双击数: likes, 播放数: views}\n")
    data = write(tmp_path, "v.csv", "作品编号,双击数,播放数\nk1,10,100\n")
    result = load_videos([data], profile_dirs=[folder])
    assert result.files[0].profile == "kuaishou"
    assert (result.videos[0].id, result.videos[0].likes, result.videos[0].views) == ("k1", 10, 100)


def test_ignored_columns_are_reported_once_per_file(tmp_path):
    path = write(tmp_path, "v.csv", "视频ID,播放量,备注,心情\na,1,好,开心\nb,2,,难过\n")
    result = load_videos([path])
    assert len(result.videos) == 2 and result.problems == []
    assert result.files[0].ignored_columns == ["备注", "心情"]
    assert "备注" in result.files[0].describe().en and "未识别" in result.files[0].describe().zh


def test_header_matching_is_forgiving(tmp_path):
    path = write(tmp_path, "v.csv", "\ufeff 视频ID ,ＶＩＥＷＳ,时长（秒）\na,5,30\n")
    result = load_videos([path])
    assert (result.videos[0].views, result.videos[0].duration_s) == (5, 30.0)
    assert result.files[0].ignored_columns == []


# --- rows --------------------------------------------------------------------------------------

def test_duplicate_ids_keep_the_first(tmp_path):
    a = write(tmp_path, "a.csv", "id,views\nx,1\ny,2\nx,3\n")
    b = write(tmp_path, "b.csv", "id,views\ny,9\n")
    result = load_videos([a, b])
    assert [(v.id, v.views) for v in result.videos] == [("x", 1), ("y", 2)]
    assert [(Path(p.file).name, p.row, p.field) for p in result.problems] == [("a.csv", 3, "id"), ("b.csv", 1, "id")]
    assert "row 1" in result.problems[0].message.en and "duplicate video id 'x'" in result.problems[0].message.en
    assert "a.csv row 2" in result.problems[1].message.en


def test_empty_rows_title_lines_and_ragged_rows(tmp_path):
    text = ("视频号数据 2026/05/18 - 2026/06/28\n"  # a title line above the header
            "视频ID,播放量,,\n"
            "a,1\n"  # a short row: the missing cells are empty
            "\n"
            "b,2,,,extra\n"  # data under no header name
            ",,,\n"
            "\n")
    result = load_videos([write(tmp_path, "v.csv", text)])
    assert [(v.id, v.views) for v in result.videos] == [("a", 1), ("b", 2)]
    info = result.files[0]
    assert (info.header_line, info.rows) == (2, 2)
    assert info.ignored_columns == ["#5"]
    assert result.problems == []


def test_row_numbers_and_lines_with_multiline_cells(tmp_path):
    text = 'id,title,views\na,"two\nlines",1\nb,x,bad\n'
    result = load_videos([write(tmp_path, "v.csv", text)])
    (problem,) = result.problems
    assert (problem.row, problem.line) == (2, 4)


def test_missing_id_and_no_id_column(tmp_path):
    result = load_videos([write(tmp_path, "v.csv", "id,views\n,5\n-,6\nc,7\n")])
    assert [v.id for v in result.videos] == ["c"]
    assert [(p.row, p.field) for p in result.problems] == [(1, "id"), (2, "id")]
    problem = error_of([write(tmp_path, "n.csv", "title,views\nx,5\n")])
    assert problem.line == 1 and "no video id column" in problem.message.en


# --- unusable inputs ---------------------------------------------------------------------------

def test_unusable_inputs(tmp_path):
    assert "not found" in error_of([tmp_path / "nope.csv"]).message.en
    assert "folder" in error_of([tmp_path]).message.en
    assert "empty" in error_of([write(tmp_path, "e.csv", "\n\n")]).message.en
    problem = error_of([write(tmp_path, "h.csv", "foo,bar\n1,2\n")])
    assert problem.line == 1 and "no recognisable column" in problem.message.en and "foo" in problem.message.en
    problem = error_of([write(tmp_path, "b.json", '[{"id": "a",}]')])
    # The position json reports: the trailing comma on Python 3.13+ (column 12), the `}` after it before.
    assert (problem.line, problem.col) in ((1, 12), (1, 13)) and "invalid JSON" in problem.message.en
    assert "expected a list of videos" in error_of([write(tmp_path, "s.json", '"text"')]).message.en
    problem = error_of([write(tmp_path, "b.yaml", "- id: a\n  views: [1\n")])
    assert problem.file.endswith("b.yaml") and "YAML syntax error" in problem.message.en


def test_large_files_lose_nothing(tmp_path):
    # Speed is measured by benchmarks/importers.py; here: every row of a big file arrives intact.
    rows = ["视频ID,发布时间,完播率,平均播放时长,播放量,推荐,喜欢,评论量,分享量,关注量"]
    rows += [f"v{i},2026/06/{1 + i % 28:02d} 18:30,{i % 100}.5%,{i % 60}.25秒,{i},{i // 50},{i // 20},3,2,1"
             for i in range(20_000)]
    path = write(tmp_path, "big.csv", "\n".join(rows))
    result = load_videos([path])
    assert len(result.videos) == 20_000 and result.problems == []
    last = result.videos[-1]
    assert (last.id, last.views, last.hearts, last.likes) == ("v19999", 19_999, 399, 999)
    assert last.completion_rate == 0.995 and last.avg_watch_s == 19.25  # 19999 % 60 = 19


def test_objects_may_use_different_aliases(tmp_path):
    text = "- id: a\n  views: 1\n- 视频ID: b\n  播放量: many\n"
    result = load_videos([write(tmp_path, "v.yaml", text)])
    assert [v.id for v in result.videos] == ["a"]
    (problem,) = result.problems
    assert (problem.row, problem.line, problem.column, problem.field) == (2, 4, "播放量", "views")
    assert result.files[0].unused_columns == {}


def test_utf16_without_bom_is_refused(tmp_path):
    path = tmp_path / "v.csv"
    path.write_bytes("id,views\na,1\n".encode("utf-16-le"))
    assert "cannot decode" in error_of([path]).message.en
