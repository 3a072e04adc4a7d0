"""Write examples/wechat_channels_export.xlsx: the CSV export as Excel or WPS would save it.

    python examples/make_xlsx.py

Numbers become numbers, percentages stay as written ("23.41%"), the publish time becomes a real
date-time cell, as after opening the CSV in Excel and saving it as .xlsx. The small file is
committed; tests/test_importers_xlsx.py checks it imports exactly like the CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent


def cell(header: str, text: str):
    if header == "发布时间":
        return dt.datetime.strptime(text, "%Y/%m/%d %H:%M")
    try:
        return int(text)
    except ValueError:
        return text


def main() -> None:
    rows = list(csv.reader((HERE / "wechat_channels_export.csv").read_text(encoding="utf-8-sig").splitlines()))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "单篇视频数据"
    header = rows[0]
    sheet.append(header)
    for row in rows[1:]:
        sheet.append([cell(h, v) for h, v in zip(header, row)])
    book.properties.created = book.properties.modified = dt.datetime(2026, 7, 1)  # stable bytes
    book.save(HERE / "wechat_channels_export.xlsx")


if __name__ == "__main__":
    main()
