"""A streaming review's memory does not grow with the export (benchmarks/scale.py prints the figures).

Two realistic exports, 10,000 and 40,000 rows, each reviewed to JSON Lines, to text and to HTML
in a fresh process that reports its own peak RSS. Held in memory, the old review took about 46 KB per
video (40,000 more videos: over a gigabyte more); streamed, the larger export may cost a few
megabytes more (the ids the summary lists, the arrays of the first pass), not hundreds. The
limits are generous so a busy CI machine stays green: this checks the shape, not a benchmark.
"""

from __future__ import annotations

import importlib.util
import json

import pytest

from conftest import ROOT

spec = importlib.util.spec_from_file_location("scale_benchmark", ROOT / "benchmarks" / "scale.py")
scale = importlib.util.module_from_spec(spec)
spec.loader.exec_module(scale)


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports")
    paths = {}
    for rows in (10_000, 40_000):
        paths[rows] = folder / f"export-{rows}.csv"
        scale.write_export(paths[rows], rows)
    return paths


@pytest.mark.parametrize("fmt", ["jsonl", "text", "html"])
def test_peak_memory_does_not_grow_with_the_rows(exports, tmp_path, fmt):
    peaks = {}
    for rows, path in exports.items():
        out = tmp_path / f"review-{rows}.{fmt}"
        _seconds, _cpu, peak, status = scale.run(["review", str(path), "--format", fmt, "-o", str(out)])
        assert status == 0, (rows, fmt)
        peaks[rows] = peak
        if fmt == "jsonl":
            with out.open(encoding="utf-8") as handle:
                lines = handle.read().splitlines()
            assert len(lines) == rows + 1
            assert json.loads(lines[-1])["summary"]["reviewed"] == rows
        if fmt == "html":
            with out.open(encoding="utf-8") as handle:
                assert sum(line.count('<article class="card') for line in handle) == rows
    assert peaks[10_000] > 0, "the child did not report its peak RSS"
    assert peaks[40_000] - peaks[10_000] < 80, peaks  # MiB, for 30,000 more videos
    assert peaks[40_000] < 400, peaks
