"""`advisor review` reads .xlsx: an export saved in Excel or WPS, and Douyin's creator centre export."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from advisor.core.errors import AdvisorError
from advisor.input.importers import load_videos

from conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "wechat_channels_export.xlsx"


def write_book(path: Path, rows: list[list], title: str = "Sheet1", before: list[list] | None = None) -> Path:
    book = openpyxl.Workbook()
    if before is not None:  # a first sheet with something else on it
        book.active.title = "说明"
        for row in before:
            book.active.append(row)
        sheet = book.create_sheet(title)
    else:
        sheet = book.active
        sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_the_xlsx_sample_imports_like_the_csv():
    csv_result = load_videos([ROOT / "examples" / "wechat_channels_export.csv"])
    xlsx_result = load_videos([SAMPLE])
    assert not xlsx_result.problems
    assert [v.model_dump() for v in xlsx_result.videos] == [v.model_dump() for v in csv_result.videos]
    info = xlsx_result.files[0]
    assert info.format == "xlsx" and info.profile == "wechat_channels" and info.sheet == "单篇视频数据"
    assert all(v.forwards is not None for v in xlsx_result.videos)


def test_review_reads_xlsx_and_reports_follow_and_forward_rates():
    result = run_cli("review", str(SAMPLE), "--format", "json", "--engine", "python")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    first = data["videos"][0]["metrics"]
    assert "follow_rate" in first and "forward_rate" in first


def test_bad_cells_are_located_by_sheet_row_and_column(tmp_path):
    path = write_book(tmp_path / "douyin.xlsx", [
        ["作品数据导出"],  # a title row above the header
        ["作品名称", "发布时间", "体裁", "播放量", "完播率", "点赞量", "评论量", "分享量", "收藏量", "粉丝增量"],
        ["红烧肉", dt.datetime(2026, 6, 1, 18, 0), "视频", 12000, 0.31, 540, 33, 12, 80, 9],
        ["糖醋排骨", dt.datetime(2026, 6, 2, 18, 0), "视频", "很多", "31%", 540, 33, 12, 80, 9],
    ], title="作品")
    result = load_videos([path])
    assert len(result.videos) == 1 and result.files[0].profile == "douyin"
    (problem,) = result.problems
    assert problem.file.endswith("douyin.xlsx[作品]")
    assert (problem.line, problem.col, problem.row, problem.column, problem.field) == (4, 4, 2, "播放量", "views")
    out = run_cli("review", str(path), "--engine", "python", "--lang", "en")
    assert "douyin.xlsx[作品]:4:4" in out.stdout + out.stderr


def test_the_sheet_with_the_header_is_found(tmp_path):
    path = write_book(tmp_path / "saved.xlsx", [
        ["视频ID", "视频描述", "播放量", "推荐", "喜欢", "转发聊天和朋友圈", "关注量"],
        ["v1", "一条视频", 5000, 40, 120, 30, 12],
    ], title="数据", before=[["这份表格从视频号助手导出"]])
    result = load_videos([path])
    assert not result.problems and result.files[0].sheet == "数据"
    (video,) = result.videos
    assert (video.hearts, video.likes, video.forwards, video.follows) == (40, 120, 30, 12)
    fact = video.to_fact()
    assert fact["forward_rate"] == pytest.approx(30 / 5000) and fact["follow_rate"] == pytest.approx(12 / 5000)


def test_a_file_that_is_not_a_workbook_is_a_located_error(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(AdvisorError) as exc:
        load_videos([path])
    assert exc.value.problems[0].file.endswith("broken.xlsx")
    result = run_cli("review", str(path), "--engine", "python")
    assert result.exit_code == 2 and "Traceback" not in result.output
