"""How long `advisor` takes to start: each command run N times as a fresh process (goals:
`advisor --help` <= 0.15 s, `advisor review examples/video.json` <= 0.35 s, warm). Printed, never asserted.

    python benchmarks/startup.py              # 10 runs of each command
    python benchmarks/startup.py --runs 20
    PYTHONPATH=/path/to/other/checkout python benchmarks/startup.py   # time another version

Each command runs from the repository root through the installed `advisor` script (or
`python -m advisor` when there is none), its output discarded. Wall clock and CPU time (user +
system of the child) are both reported: the machine may be shared, and other processes stretch
the wall clock much more than the process's own CPU time. The first run of each command is a
warm-up (it fills the OS file cache, advisor's cache and __pycache__) and is not counted.
PYTHONDONTWRITEBYTECODE is unset for the runs, as an installed advisor has its bytecode
(`--no-bytecode` keeps it, to see what compiling the sources on every run costs).

Warm and cold: advisor keeps slow, repeatable start-up work in its user cache (the loaded rule
set, rule-text checks, compiled templates: advisor/core/cache.py). "warm" rows run with a cache
folder of their own that the warm-up filled, as every run after the first is for a user; "cold"
rows give every run a new, empty cache folder (a first run, or one after the rules changed).
The goals are for warm runs.
For where the time goes: `python -X importtime -m advisor --help 2> imports.txt`.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

# (arguments, goal in seconds or None, also measured cold)
COMMANDS: list[tuple[list[str], float | None, bool]] = [
    (["--help"], 0.15, False),
    (["--version"], None, False),
    (["review", "examples/video.json"], 0.35, True),
    (["rules", "check"], None, True),
]


def program() -> list[str]:
    script = os.path.join(os.path.dirname(sys.executable), "advisor")
    if os.path.isfile(script):
        return [script]
    found = shutil.which("advisor")
    return [found] if found else [sys.executable, "-m", "advisor"]


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the child, exit status) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs per command (default 10)")
    parser.add_argument("--no-bytecode", action="store_true",
                        help="keep PYTHONDONTWRITEBYTECODE if set (every run compiles advisor's sources)")
    args = parser.parse_args()

    env = {**os.environ, "NO_COLOR": "1", "LANG": "en_US.UTF-8"}
    env.pop("ADVISOR_ACCOUNT", None)
    if not args.no_bytecode:
        # An installed advisor runs from bytecode (pip compiles it at install); without it every
        # run would compile advisor's ~60 modules again. The warm-up run writes __pycache__.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    base = program()
    bytecode = "no bytecode written" if env.get("PYTHONDONTWRITEBYTECODE") else "bytecode cached"
    print(f"{' '.join(base)}, {args.runs} runs each (after one warm-up; {bytecode}), seconds")
    print(f"{'command':<40} {'wall median':>11} {'wall min':>9} {'cpu median':>11} {'cpu min':>8} {'goal':>6}")
    with tempfile.TemporaryDirectory(prefix="advisor-startup-") as scratch:
        warm_env = {**env, "ADVISOR_CACHE_DIR": os.path.join(scratch, "warm")}
        for extra, goal, cold_too in COMMANDS:
            argv = base + extra
            label = "advisor " + " ".join(extra)
            run_once(argv, warm_env)  # warm-up, not counted (fills the cache)
            measure(label + (" (warm)" if cold_too else ""), argv, args.runs, lambda i: warm_env, goal)
            if cold_too:
                measure(label + " (cold)", argv, args.runs,
                        lambda i: {**env, "ADVISOR_CACHE_DIR": os.path.join(scratch, f"cold-{' '.join(extra)}-{i}")},
                        None)


def measure(label: str, argv: list[str], runs: int, env_for, goal: float | None) -> None:
    walls, cpus, statuses = [], [], set()
    for i in range(runs):
        wall, cpu, status = run_once(argv, env_for(i))
        walls.append(wall)
        cpus.append(cpu)
        statuses.add(status)
    goal_text = f"<= {goal:.2f}" if goal is not None else "-"
    note = "" if statuses == {0} else f"  (exit status {sorted(statuses)})"
    print(f"{label:<40} {statistics.median(walls):>11.3f} {min(walls):>9.3f} "
          f"{statistics.median(cpus):>11.3f} {min(cpus):>8.3f} {goal_text:>8}{note}")


if __name__ == "__main__":
    main()
