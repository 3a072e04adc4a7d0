"""A review on a Dask cluster (advisor.jobs.executors) writes the same report as one in this process.

The cluster is real: worker processes on this machine (dask.distributed's LocalCluster), reached
by its scheduler's address the way a remote cluster is.
"""

from __future__ import annotations

import io
import json

import pytest

from advisor.jobs.executors import DaskExecutor, make_executor
from advisor.jobs.review import review_paths
from advisor.jobs.review_stream import LocalExecutor, stream_review
from advisor.render.emit import render
from advisor.render.stream import JsonLinesSink, JsonSink, TemplateSink

from conftest import EXAMPLES, run_cli

distributed = pytest.importorskip("distributed")

STEADY = EXAMPLES / "steady_account_export.csv"
EXPORT = EXAMPLES / "wechat_channels_export.csv"


@pytest.fixture(scope="module")
def scheduler():
    import logging

    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                       silence_logs=logging.ERROR)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def reviewed(ruleset, sink_class, executor, paths, lang="zh", **kwargs) -> str:
    out = io.StringIO()
    sink = sink_class(out, lang) if sink_class is not TemplateSink else TemplateSink(out, lang, "text")
    stream_review([str(p) for p in paths], ruleset, sink, engine="python", lang=lang, executor=executor, **kwargs)
    return out.getvalue()


@pytest.mark.parametrize("case", [
    dict(paths=[STEADY]),
    dict(paths=[EXPORT, STEADY], explain_all=True),
    dict(paths=[STEADY], top=3),
    dict(paths=[EXPORT], history=str(STEADY)),
], ids=["steady", "two files, explain all", "digest", "history"])
def test_dask_report_is_the_single_process_report(ruleset, scheduler, case):
    """Partitions of 4 videos on two worker processes: the same bytes as reviewing all at once."""
    want = render(review_paths([str(p) for p in case["paths"]], ruleset, engine="python", langs=("zh",),
                               **{k: v for k, v in case.items() if k != "paths"}), "json", "zh")
    got = reviewed(ruleset, JsonSink, DaskExecutor(scheduler), chunk=4, **case)
    assert got == want
    assert json.loads(got)["summary"]["reviewed"] > 0


def test_dask_jsonl_and_text_match_local(ruleset, scheduler):
    for sink in (JsonLinesSink, TemplateSink):
        local = reviewed(ruleset, sink, LocalExecutor(), [STEADY, EXPORT], lang="en", chunk=5)
        remote = reviewed(ruleset, sink, DaskExecutor(scheduler), [STEADY, EXPORT], lang="en", chunk=5)
        assert remote == local


def test_a_cluster_of_its_own_when_no_address(ruleset):
    """No address: the executor starts (and stops) worker processes on this machine."""
    local = reviewed(ruleset, JsonSink, LocalExecutor(), [STEADY], chunk=10)
    assert reviewed(ruleset, JsonSink, DaskExecutor(workers=1), [STEADY], chunk=10) == local


def test_make_executor():
    assert make_executor(None).local and make_executor("local").local
    assert not make_executor(None, address="tcp://127.0.0.1:8786").local
    assert isinstance(make_executor("dask", workers=3), DaskExecutor)


def test_cli_dask_jsonl(tmp_path, scheduler):
    out = tmp_path / "review.jsonl"
    result = run_cli("review", str(STEADY), "--format", "jsonl", "--address", scheduler, "-o", str(out))
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[-1])["summary"]["reviewed"] == len(lines) - 1 == 30


def test_cli_an_unreachable_scheduler(tmp_path):
    result = run_cli("review", str(STEADY), "--format", "json", "--address", "tcp://127.0.0.1:9",
                     "-o", str(tmp_path / "r.json"))
    assert result.exit_code == 2
    assert "tcp://127.0.0.1:9" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "r.json").exists()


def test_cli_html_streams_and_runs_on_dask_the_same(tmp_path, scheduler):
    """`--format html` on a Dask cluster: the same page as the local run."""
    local, remote = tmp_path / "local.html", tmp_path / "dask.html"
    for out, extra in ((local, []), (remote, ["--address", scheduler])):
        result = run_cli("review", str(STEADY), "--format", "html", "--engine", "python", "-o", str(out), *extra)
        assert result.exit_code == 0, result.output
    assert local.read_text(encoding="utf-8") == remote.read_text(encoding="utf-8")
    assert local.read_text(encoding="utf-8").count('<article class="card"') == 30
