"""How fast the importers read a large 视频号助手-style export.

    python benchmarks/importers.py [--rows 100000]

Prints rows per second and µs per row for CSV (UTF-8 with BOM and GB18030).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from advisor.input.importers import load_videos

HEADER = "视频描述,视频ID,发布时间,完播率,平均播放时长,播放量,推荐,喜欢,评论量,分享量,关注量"


def make_rows(n: int) -> str:
    rows = [HEADER]
    for i in range(n):
        rows.append(f"第{i}条视频 #家常菜,v{i},2026/06/{1 + i % 28:02d} 18:30,{i % 100}.5%,{i % 60}.25秒,"
                    f"{1000 + i},{i % 97},{i % 331},{i % 13},{i % 7},{i % 5}")
    return "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    text = make_rows(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        for encoding in ("utf-8-sig", "gb18030"):
            path = Path(tmp) / f"export-{encoding}.csv"
            path.write_bytes(text.encode(encoding))
            start = time.perf_counter()
            result = load_videos([path])
            seconds = time.perf_counter() - start
            assert len(result.videos) == args.rows, (len(result.videos), result.problems[:3])
            print(f"{encoding:10} {args.rows:>8} rows  {seconds:6.2f} s  "
                  f"{args.rows / seconds:9.0f} rows/s  {seconds / args.rows * 1e6:6.1f} µs/row")


if __name__ == "__main__":
    main()
