"""The HTML report in a real browser: headless Chromium opens it offline and draws every chart.

Needs Debian's `chromium` (and `fonts-noto-cjk` for the Chinese page); .ci/run installs both.
Without Chromium the tests are skipped with the reason, except under CI (CI=true), where a
missing browser is a failure: the browser test must not pass by not running.

Chromium runs with no network at all (every host name resolves to nothing), a fresh profile
per run, and the flags the issue lists. A screenshot is decoded with zlib + struct (no
imaging library): it must not be blank, and hiding a chart's marks must take away the
coloured pixels they drew, which shows the browser drew them where the page says.
"""

from __future__ import annotations

import itertools
import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from advisor.render.charts import NO_ADVICE, advice_colors, strongest
from advisor.render.html_report import review_html
from advisor.jobs.review import review_paths
from advisor.jobs.review_report import review_json
from advisor.input.ruleset import load_ruleset

from conftest import csv_data_rows
from test_html_report import CHARTS, EXPORT, chart_marks, parse

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--hide-scrollbars", "--force-device-scale-factor=1",
         # offline: no host name resolves, so nothing can be fetched (and nothing leaves the machine)
         "--host-resolver-rules=MAP * ~NOTFOUND"]
TIMEOUT = 180  # seconds for one Chromium run; a cold start on a small CI machine takes a few
_runs = itertools.count()


def find_chromium() -> str | None:
    return os.environ.get("ADVISOR_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = find_chromium()
    if exe is None:
        reason = ("Chromium not found: install Debian's chromium and fonts-noto-cjk "
                  "(apt-get install chromium fonts-noto-cjk) or set ADVISOR_CHROMIUM to run the browser tests")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return exe


def run_chromium(exe: str, page: Path, tmp: Path, *, size=(1200, 1600), screenshot: Path | None = None,
                 dump_dom: bool = False, pdf: Path | None = None) -> str:
    profile = tmp / f"profile-{next(_runs)}"  # a fresh profile every run
    args = [exe, *FLAGS, f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}"]
    if screenshot is not None:
        args.append(f"--screenshot={screenshot}")
    if pdf is not None:
        args += [f"--print-to-pdf={pdf}", "--no-pdf-header-footer"]
    if dump_dom:
        args.append("--dump-dom")
    args.append(page.resolve().as_uri())
    proc = subprocess.run(args, capture_output=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")[-2000:]
    return proc.stdout.decode("utf-8")


# --- PNG ------------------------------------------------------------------------------------------


def read_png(data: bytes) -> tuple[int, int, list[bytearray], int]:
    """(width, height, rows, bytes per pixel) of an 8-bit RGB or RGBA, non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, color_type, _, _, interlace = header
    assert depth == 8 and color_type in (2, 6) and interlace == 0, header
    bpp = 3 if color_type == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:  # Sub
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind == 2:  # Up
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif kind == 3:  # Average
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif kind == 4:  # Paeth
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, rows, bpp


def pixel_stats(png: Path) -> dict:
    """How much of a screenshot is drawn: non-white pixels, distinct colours, coloured pixels."""
    width, height, rows, bpp = read_png(png.read_bytes())
    colours, non_white, colourful = set(), 0, 0
    for line in rows:
        for i in range(0, len(line), bpp):
            r, g, b = line[i], line[i + 1], line[i + 2]
            colours.add((r, g, b))
            if r < 245 or g < 245 or b < 245:
                non_white += 1
            if max(r, g, b) - min(r, g, b) >= 60:  # saturated: not text, grid or background grey
                colourful += 1
    return {"width": width, "height": height, "pixels": width * height, "colours": len(colours),
            "non_white": non_white, "colourful": colourful}


# --- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def review():
    ruleset = load_ruleset()
    result = review_paths([str(EXPORT)], ruleset, engine="python")
    return result, ruleset


@pytest.fixture(scope="module")
def pages(review, tmp_path_factory):
    result, ruleset = review
    folder = tmp_path_factory.mktemp("pages")
    out = {}
    for lang in ("zh", "en"):
        path = folder / f"report.{lang}.html"
        path.write_text(review_html(result, lang, levels=ruleset.levels), encoding="utf-8")
        out[lang] = path
    return out


def only_chart(page: Path, chart: str, *, hide_marks: bool, folder: Path) -> Path:
    """The same page with everything but one chart hidden (and its legend, whose colour swatches
    would count as drawn marks); with hide_marks, the plotted dots hidden too."""
    css = ("main > header, #summary, #videos, #errors, footer, figure.chart > :not(svg), .legends "
           "{ display: none !important; } "
           f"figure.chart:not(#chart-{chart}), #no-timeline {{ display: none !important; }}")
    if hide_marks:
        css += " .dots { display: none !important; }"
    html = page.read_text(encoding="utf-8").replace("</head>", f"<style>{css}</style></head>", 1)
    path = folder / f"{page.stem}.{chart}.{'no-marks' if hide_marks else 'marks'}.html"
    path.write_text(html, encoding="utf-8")
    return path


# --- tests ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_report_opens_offline_and_is_not_blank(chromium, review, pages, tmp_path, lang):
    result, _ = review
    report = review_json(result, lang)
    shot = tmp_path / "report.png"
    dom = parse(run_chromium(chromium, pages[lang], tmp_path, screenshot=shot, dump_dom=True))
    stats = pixel_stats(shot)
    assert (stats["width"], stats["height"]) == (1200, 1600)
    assert stats["non_white"] > 0.03 * stats["pixels"], stats  # text, tiles, the first chart
    assert stats["colours"] > 50, stats  # anti-aliased text and coloured marks, not a flat fill
    # The DOM after load: every card, and every chart with all its marks inside an SVG.
    cards = dom.find_all("article", class_="card")
    assert [c.attrs["data-video"] for c in cards] == [v["id"] for v in report["videos"]]
    assert len(cards) == len(csv_data_rows(EXPORT))
    assert [f.attrs["data-chart"] for f in dom.find_all("figure")] == list(CHARTS)
    for chart, x, y in (("likes-hearts", "like_rate", "heart_rate"), ("completion-hearts", "completion_rate", "heart_rate")):
        expected = [v["id"] for v in report["videos"] if v["metrics"].get(x) is not None and v["metrics"].get(y) is not None]
        assert sorted(m.attrs["data-video"] for m in chart_marks(dom, chart)) == sorted(expected)
    timeline = sum(1 for v in report["videos"] if v["published_at"]
                   for m in ("like_rate", "heart_rate", "completion_rate") if v["metrics"].get(m) is not None)
    assert len(chart_marks(dom, "timeline")) == timeline


@pytest.mark.parametrize("chart", CHARTS)
def test_each_chart_draws_its_marks(chromium, review, pages, tmp_path, chart):
    """Hiding the chart's dots must take away the coloured pixels they drew."""
    result, _ = review
    report = review_json(result, "zh")
    colours = advice_colors(report)
    if chart == "timeline":  # every timeline dot is coloured (one colour per metric)
        coloured = sum(1 for v in report["videos"] if v["published_at"]
                       for m in ("like_rate", "heart_rate", "completion_rate") if v["metrics"].get(m) is not None)
    else:
        coloured = sum(1 for v in report["videos"] if colours[strongest(v)] != NO_ADVICE)
    assert coloured > 0
    with_marks, without = tmp_path / "marks.png", tmp_path / "no-marks.png"
    run_chromium(chromium, only_chart(pages["zh"], chart, hide_marks=False, folder=tmp_path), tmp_path,
                 size=(1000, 760), screenshot=with_marks)
    run_chromium(chromium, only_chart(pages["zh"], chart, hide_marks=True, folder=tmp_path), tmp_path,
                 size=(1000, 760), screenshot=without)
    drawn, bare = pixel_stats(with_marks), pixel_stats(without)
    assert bare["non_white"] > 0.02 * bare["pixels"], bare  # the axes, grid and labels are there
    # A dot is about 80 pixels across its disc; overlapping dots share some, so ask for 10 each.
    assert drawn["colourful"] - bare["colourful"] >= 10 * coloured, (drawn, bare, coloured)


def test_the_report_prints_on_a4(chromium, pages, tmp_path):
    pdf = tmp_path / "report.pdf"
    run_chromium(chromium, pages["zh"], tmp_path, pdf=pdf)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    boxes = {tuple(round(float(n)) for n in box.split()) for box in
             __import__("re").findall(rb"/MediaBox\s*\[\s*([\d.\s]+?)\s*\]", data)}
    assert boxes == {(0, 0, 595, 842)}, boxes  # A4 in points, every page


def test_a_large_streamed_report_opens_with_its_charts(chromium, tmp_path):
    """20,000 videos through `advisor review --format html` (streamed): the page opens in the
    browser without a console error, every video has its card, and each chart draws its
    (sampled) marks, as many as the figure says."""
    import importlib.util
    import re

    from conftest import ROOT, run_cli

    spec = importlib.util.spec_from_file_location("scale_benchmark", ROOT / "benchmarks" / "scale.py")
    scale = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scale)
    rows = 20_000
    export, page = tmp_path / "export.csv", tmp_path / "report.html"
    scale.write_export(export, rows)
    result = run_cli("review", str(export), "--format", "html", "--lang", "en", "-o", str(page))
    assert result.exit_code == 0, result.output[-2000:]
    shot = tmp_path / "large.png"
    profile = tmp_path / "profile-large"
    proc = subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", "--window-size=1200,1600",
                           "--enable-logging=stderr", "--v=0", f"--screenshot={shot}", "--dump-dom",
                           page.resolve().as_uri()], capture_output=True, timeout=TIMEOUT * 2, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")[-2000:]
    log = proc.stderr.decode("utf-8", "replace")
    assert "Uncaught" not in log and ":CONSOLE(" not in log, log[-2000:]
    dom = proc.stdout.decode("utf-8")
    assert dom.count('<article class="card') == rows
    assert 'id="brief-note"' in dom
    figures = re.findall(r'<figure class="chart" id="chart-([\w-]+)" data-chart="[\w-]+" data-points="(\d+)">(.*?)</figure>',
                         dom, re.S)
    assert [f[0] for f in figures] == list(CHARTS)
    for chart, points, body in figures:
        marks = set(re.findall(r'<circle[^>]*data-video="([^"]+)"', body))
        assert 0 < int(points) <= 2_000 and len(marks) == int(points), (chart, points, len(marks))
        assert "random sample" in body
    stats = pixel_stats(shot)
    assert stats["non_white"] > 0.03 * stats["pixels"] and stats["colours"] > 50, stats
