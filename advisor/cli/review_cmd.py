"""`advisor review`: explained, ranked advice for posted videos (a thin shell over advisor.jobs.review)."""

from __future__ import annotations

import os
import sys

import click

from advisor.core.i18n import T
from advisor.core.output import Discard, open_output
from advisor.jobs.executors import make_executor
from advisor.jobs.review_stream import stream_review
from advisor.render.stream import STREAMED, sink_for
from advisor.cli.common import guarded, print_problems, report_ignored_columns, settings
from advisor.cli.options import format_option, profile_option, run_options


def use_color(output: str | None, stream=None) -> bool:
    """Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if output and output != "-":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


@click.command("review")
@click.argument("paths", nargs=-1, required=True)
@click.option("--history", type=click.Path(dir_okay=False), default=None,
              help="Earlier videos of the account, for percentile thresholds and the quadrant baseline. 账号历史数据。")
@profile_option
@format_option("text", "markdown", "json", "jsonl", "html")
@run_options
@click.option("--explain-all", is_flag=True,
              help="Also say why every other rule did not fire (the failed condition or missing data). 同时说明未触发的规则。")
@click.option("--top", "top", type=click.IntRange(min=1), default=None, metavar="N",
              help="Digest: the account summary and only the N videos with the most to learn from, each distinct "
                   "call to action once. 摘要:只列最值得复盘的 N 条视频。")
@click.option("--executor", type=click.Choice(["local", "dask"]), default=None,
              help="Where the videos are reviewed once the baseline is known: this process (local, the default) or a "
                   "Dask cluster (pip install 'advisor[distributed]'). The report is the same. 执行器:本进程或 Dask 集群。")
@click.option("--address", default=None, metavar="ADDR",
              help="The Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --executor dask); without it, a cluster of "
                   "--workers processes on this machine. Dask 调度器地址。")
@click.option("--workers", type=click.IntRange(min=1, max=1024), default=None,
              help="Worker processes of the local Dask cluster (default 2). 本机 Dask 工作进程数。")
@guarded
def review_command(paths, history, profile, rules_dirs, config_path, fmt, lang, engine, output, explain_all, top,
                   executor, address, workers):
    """Review posted videos: what the numbers say and what to do next.

    复盘已发布视频:数据说明了什么,下一步做什么。

    PATH is a CSV/JSON/YAML file (the 视频号助手 export works as downloaded), or - for stdin.
    Exit status: 0 all reviewed, 1 some rows bad (listed, the rest reviewed), 2 nothing reviewed.

    Every format streams, in two passes: the files are read once, for the account's baseline, with
    each row's values spooled to a temporary file; the spool is then read back to review and write
    each video. Memory stays bounded however many rows there are (an HTML report's
    charts draw a sample of the videos above 2,000; every video has its card).
    --format jsonl writes one video per line, then one line with the summary and errors.

    \b
    Examples:
      advisor review examples/wechat_channels_export.csv --lang zh
      advisor review examples/wechat_channels_export.csv --format markdown -o review.md
      advisor review examples/wechat_channels_export.csv --format html -o report.html
      advisor review examples/wechat_channels_export.csv --top 3
      advisor review big_export.csv --format jsonl -o review.jsonl
      advisor review big_export.csv --format jsonl --executor dask --workers 4 -o review.jsonl
      cat video.json | advisor review - --format json --explain-all
    """
    st = settings(lang=lang, config_path=config_path, rules_dirs=rules_dirs, engine=engine, profile=profile)
    runner = make_executor(executor or st.config.executor, address=address or st.config.address,
                           workers=workers or st.config.workers)
    assert fmt in STREAMED  # every format of a review streams (advisor.render.stream)
    ruleset = st.ruleset()
    with open_output(output) as out:
        sink = sink_for(fmt, out, st.lang, color=use_color(output), levels=ruleset.levels)
        result = stream_review(paths, ruleset, sink, history=history, profile=st.profile,
                               engine=st.engine, explain_all=explain_all, lang=st.lang, top=top,
                               executor=runner, card_medians=fmt == "html")
        if not result.count:
            raise Discard  # nothing reviewed: no report (the sink was never started)
    report_ignored_columns(result.files, st.lang)
    if not result.count:
        print_problems(result.problems, st.lang)
        click.echo(T(zh="没有可以复盘的视频", en="nothing could be reviewed").get(st.lang), err=True)
        sys.exit(2)
    # A text or markdown report on the terminal lists the bad rows itself; elsewhere (a file,
    # JSON for a program) they also go to standard error, so a person sees them.
    if result.problems and (fmt in ("json", "jsonl", "html") or (output and output != "-")):
        print_problems(result.problems, st.lang)
    sys.exit(result.status)
