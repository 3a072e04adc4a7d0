"""Both engines give identical findings on a 2,000-row random export, end to end.

The differential tests in test_engine_differential.py compare the engines on compiled programs;
this one goes through everything a user runs: the CSV importer, levels judged against the
typical ranges fitted from the batch (with false-discovery control over the whole batch),
chained signals, explanations and the JSON report.
"""

import csv
import json
import random

import pytest
from click.testing import CliRunner

from advisor.cli.main import cli
from advisor.engine import durable_import_error

pytestmark = pytest.mark.skipif(durable_import_error() is not None,
                                reason=f"durable_rules does not import here: {durable_import_error()}")

HEADER = ["视频描述", "视频ID", "发布时间", "完播率", "平均播放时长", "播放量", "推荐", "喜欢", "评论量", "分享量", "关注量"]


def random_export(path, rows=2000, seed=20261127):
    """Mostly ordinary videos of one steady account, and about three in ten clearly different
    (runaway likes, hearts or follow-up, or almost none; very high or very low completion), so
    that the typical ranges are narrow enough for the rules to find the different ones."""
    rng = random.Random(seed)

    def maybe(value):  # about one cell in twelve is left empty, as exports do
        return "" if rng.random() < 0.08 else value

    def rate(typical, odd):  # an ordinary video varies ~20% around the typical rate
        return typical * rng.uniform(0.8, 1.25) * (rng.choice([0.1, 0.2, 4, 6]) if odd else 1)

    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            views = rng.choice([rng.randint(0, 50), rng.randint(500, 9_999), rng.randint(10_000, 3_000_000)])
            odd = rng.random() < 0.3
            tiny = rng.random() < 0.1  # tiny rates such as 0.00001 are ordinary data
            hearts = 0 if views == 0 else (rng.randint(0, 2) if tiny else int(views * rate(0.008, odd and rng.random() < 0.5)))
            likes = int(views * rate(0.025, odd and rng.random() < 0.5))
            follow = rate(0.004, odd and rng.random() < 0.5)
            completion = min(rate(0.22, odd and rng.random() < 0.3), 0.95)
            shown_views = f"{views / 10_000:.1f}万" if views >= 10_000 and rng.random() < 0.5 else f"{views:,}"
            writer.writerow([
                f"第{i}条 \"引号\" 与 \\反斜杠", f"v{i}", f"2026/{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}",
                maybe(f"{completion * 100:.2f}%"), maybe(f"{rng.uniform(1, 60):.2f}秒"), shown_views,
                maybe(str(hearts)), maybe(str(likes)), maybe(str(int(views * follow))),
                maybe(str(int(views * follow))), maybe(str(int(views * rng.uniform(0, 0.01)))),
            ])


def test_durable_and_python_give_identical_reviews(tmp_path):
    path = tmp_path / "export.csv"
    random_export(path)
    reports = {}
    for engine in ("durable", "python"):
        result = CliRunner().invoke(cli, ["review", str(path), "--format", "json", "--lang", "en",
                                          "--explain-all", "--engine", engine])
        assert result.exit_code in (0, 1), result.output
        data = json.loads(result.stdout)
        assert data["summary"].pop("engine") == engine
        reports[engine] = data
    durable, python = reports["durable"], reports["python"]
    assert len(durable["videos"]) + len({e["row"] for e in durable["errors"]}) == 2000
    # The data exercises the rules, not only empty reviews (measured: 355 findings, 217 of them
    # on typical-mode levels, every review rule that can fire without retention data firing).
    rule_ids = [f["rule_id"] for v in durable["videos"] for f in v["findings"]]
    assert len(rule_ids) > 250
    assert len([r for r in rule_ids if r != "no-heart-data"]) > 150
    assert {"short-lived-heat", "loyal-core", "likes-alone-mislead", "emotion-gap", "depth-gap",
            "answer-heart-givers", "likes-for-exploration", "no-heart-data"} <= set(rule_ids)
    assert durable == python
