"""How `advisor review` scales: videos per second and peak memory, per size and format.

    python benchmarks/scale.py                      # 1k, 10k, 100k rows; json, jsonl, text, html
    python benchmarks/scale.py --rows 1000000 --formats jsonl
    python benchmarks/scale.py --rows 10000 --engines python durable
    python benchmarks/scale.py --rows 100000 --formats jsonl --executors local dask --workers 1 2

Writes realistic 视频号助手 exports (advisor.stats.simulate: a steady account with planted
outliers, in 10,000-video series) to a temporary folder, then runs the CLI on each in a fresh
process and prints wall time, videos/s, the CPU time the child used (user + system, from
resource.getrusage(RUSAGE_CHILDREN) before and after it: on a machine shared with other work
this is the steadier figure, and the issue's goal is per core), videos per CPU-second, and that
process's peak RSS (its own VmHWM on Linux, else resource.getrusage).
Figures, not assertions: the machine's other load moves them; compare rows of one run.

The child imports advisor from the current directory first (`python -c` puts it ahead of
PYTHONPATH): to measure another checkout, run this file from that checkout's folder, e.g.
`cd /path/to/other && python /path/to/this/benchmarks/scale.py --export export.csv`.

PYTHONDONTWRITEBYTECODE is unset for the children, as an installed advisor has its bytecode
(pip compiles it): otherwise each run would compile advisor's sources again, about 0.1 s.
"""

from __future__ import annotations

import argparse
import csv
import resource
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from advisor.stats.simulate import with_outliers  # noqa: E402

HEADER = ["视频描述", "视频ID", "发布时间", "完播率", "平均播放时长", "播放量", "推荐", "喜欢", "评论量", "分享量", "关注量",
          "转发聊天和朋友圈"]
SERIES = 10_000  # videos per simulated series (one distribution, 0.5% planted outliers)

# Run the CLI in a child that reports its own peak RSS when it exits (so each figure is one
# process's, not the maximum over all children so far).
CHILD = r"""
import resource, sys, runpy
sys.argv = ["advisor", *sys.argv[1:]]
try:
    runpy.run_module("advisor", run_name="__main__")
except SystemExit as exc:
    code = exc.code or 0
else:
    code = 0
# The process's own high-water mark: VmHWM belongs to the address space this process exec'd
# into; ru_maxrss can carry over the RSS of the process it was forked from (a big pytest).
peak = None
try:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1])  # KiB
except OSError:
    pass
if peak is None:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    if sys.platform == "darwin":
        peak //= 1024
print(f"ADVISOR_PEAK_KIB={peak}", file=sys.stderr)
sys.exit(code if code in (0, 1) else code)
"""


def write_export(path: Path, rows: int) -> None:
    start = dt.datetime(2024, 1, 1, 19, 0)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        done, series = 0, 0
        while done < rows:
            k = min(SERIES, rows - done)
            videos, _ = with_outliers(k, seed=series, n_outliers=max(1, k // 200), id_prefix=f"s{series}-")
            for i, v in enumerate(videos):
                when = start + dt.timedelta(hours=3 * (done + i))
                duration, completion = float(v["duration_s"]), float(v["completion_rate"])
                writer.writerow([f"第{done + i}条 家常菜", v["id"], when.strftime("%Y/%m/%d %H:%M"),
                                 f"{completion * 100:.2f}%", f"{duration * completion * 1.4:.2f}秒", int(v["views"]),
                                 v["hearts"], v["likes"], v["comments"], v["shares"], v["follows"],
                                 round(v["shares"] * 0.7)])
            done += k
            series += 1


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(args: list[str]) -> tuple[float, float, int, int]:
    """(seconds, CPU seconds, peak RSS in MiB, exit status) of `advisor ARGS` in a fresh process.
    CPU seconds: the child's user + system time (children are waited for one at a time here, so
    the difference of RUSAGE_CHILDREN is this child's alone)."""
    cpu = _children_cpu()
    start = time.perf_counter()
    env = {**os.environ, "ADVISOR_QUIET": "1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # see the module's docstring
    proc = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    cpu = _children_cpu() - cpu
    peak = 0
    for line in proc.stderr.splitlines():
        if line.startswith("ADVISOR_PEAK_KIB="):
            peak = int(line.split("=", 1)[1]) // 1024
    if proc.returncode not in (0, 1):
        print(proc.stderr[-2000:], file=sys.stderr)
    return seconds, cpu, peak, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--formats", nargs="+", default=["json", "jsonl", "text", "html"])
    parser.add_argument("--engines", nargs="+", default=["default"])
    parser.add_argument("--executors", nargs="+", default=["local"], choices=["local", "dask"])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="Dask workers (local cluster)")
    parser.add_argument("--html-max", type=int, default=100_000, help="skip HTML above this many rows")
    parser.add_argument("--export", type=Path, nargs="+", default=None,
                        help="review these ready-made exports (written by write_export) instead of --rows")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each, one row each")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="advisor-scale-") as tmp:
        folder = Path(tmp)
        print(f"{'rows':>9} {'format':7} {'engine':8} {'executor':9} {'seconds':>8} {'videos/s':>9} {'CPU s':>7} "
              f"{'videos/CPU-s':>12} {'peak MiB':>9}  status")
        for rows, given in ([(_data_rows(p), p) for p in args.export] if args.export else
                            [(rows, None) for rows in args.rows]):
            export = given or folder / f"export-{rows}.csv"
            if given is None:
                write_export(export, rows)
            runs = [(engine, fmt, executor, workers) for engine in args.engines for fmt in args.formats
                    for executor in args.executors for workers in (args.workers if executor == "dask" else [None])
                    if not (fmt == "html" and rows > args.html_max)]
            for engine, fmt, executor, workers in [r for r in runs for _ in range(args.repeat)]:
                out = folder / f"review-{rows}.{fmt}"
                cli = ["review", str(export), "--format", fmt, "-o", str(out), "--lang", "zh"]
                if engine != "default":
                    cli += ["--engine", engine]
                if executor == "dask":
                    cli += ["--executor", "dask", "--workers", str(workers)]
                label = executor if workers is None else f"dask×{workers}"
                seconds, cpu, peak, status = run(cli)
                print(f"{rows:>9} {fmt:7} {engine:8} {label:9} {seconds:8.2f} {rows / seconds:9.0f} {cpu:7.2f} "
                      f"{rows / max(cpu, 1e-9):12.0f} {peak:9d}  {status}", flush=True)
                if fmt == "jsonl" and status in (0, 1):
                    with out.open(encoding="utf-8") as handle:
                        last = None
                        for last in handle:
                            pass
                    reviewed = json.loads(last)["summary"]["reviewed"]
                    assert reviewed == rows, (reviewed, rows)
                out.unlink(missing_ok=True)
            if given is None:
                export.unlink()


def _data_rows(path: Path) -> int:
    """The videos of an export write_export wrote: its lines below the header."""
    with path.open("rb") as handle:
        return sum(1 for _ in handle) - 1


if __name__ == "__main__":
    main()
