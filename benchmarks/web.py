"""advisor serve with an account of 1,000 stored videos: how long the review page and an import
of a 1,000-row export take (goals: review page <= 300 ms, import <= 1 s). Printed, never asserted.

    python benchmarks/web.py                 # a temporary SQLite store
    python benchmarks/web.py --db postgresql+psycopg2://user:pw@127.0.0.1/db

The import is timed through the page (upload, parse, one transaction). The review page is timed
cold (the first view after the import: the whole review of 1,000 videos is computed) and warm
(the same page again: the review is cached until the store or the rules change; the page shows
the summary, the charts of all videos, and 50 cards per page).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402

from advisor.input.config import load_config  # noqa: E402
from advisor.web.app import create_app  # noqa: E402
from advisor.web.store import Store, database_url  # noqa: E402

EXPORT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "wechat_channels_export.csv")


def export_rows(n: int, bump: int = 0) -> bytes:
    """A 视频号助手 export of n videos, made from the bundled one (ids made unique, dates spread)."""
    with open(EXPORT, encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    for i in range(n):
        row = list(body[i % len(body)])
        row[1] = f"{row[1]}-{i}"
        row[2] = f"2026/{1 + (i // 28) % 12:02d}/{1 + i % 28:02d} 19:00"
        row[8] = str(int(row[8]) + bump)  # a later export: the comments grew
        w.writerow(row)
    return out.getvalue().encode("utf-8")


def timed(fn, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=None, help="a database URL (default: a temporary SQLite file)")
    parser.add_argument("--videos", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(database_url(args.db or os.path.join(tmp, "bench.sqlite3")))
        client = TestClient(create_app(store, load_config(None)))
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/import").text).group(1)

        def do_import(data: bytes, account: str):
            r = client.post("/import", data={"csrf": token, "account_name": account},
                            files=[("files", ("export.csv", data, "text/csv"))])
            assert r.status_code == 200, r.status_code

        first = export_rows(args.videos)
        t_import = timed(lambda: do_import(first, "bench"))
        later = export_rows(args.videos, bump=5)
        t_reimport = timed(lambda: do_import(later, "bench"))
        t_cold = timed(lambda: client.get("/review?account=1"))
        t_warm = timed(lambda: client.get("/review?account=1"), repeat=5)
        print(f"store: {store.url.split('://')[0]}; account with {len(store.videos(1))} stored videos")
        print(f"import of a {args.videos}-row export (new videos):        {t_import * 1000:7.0f} ms  (goal <= 1000 ms)")
        print(f"import of a later {args.videos}-row export (all updated):  {t_reimport * 1000:7.0f} ms  (goal <= 1000 ms)")
        print(f"review page, cold (review computed):             {t_cold * 1000:7.0f} ms")
        print(f"review page, warm (review cached):               {t_warm * 1000:7.0f} ms  (goal <= 300 ms)")
        store.close()


if __name__ == "__main__":
    main()
