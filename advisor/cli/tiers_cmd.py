"""`advisor tiers`: active likers, core heart-givers and the rest (a thin shell over advisor.jobs.tiers)."""

from __future__ import annotations

import sys

import click

from advisor.jobs.tiers import run_tiers
from advisor.render.emit import emit
from advisor.cli.common import guarded, print_problems, settings
from advisor.cli.options import format_option, run_options


@click.command("tiers")
@click.argument("viewers", metavar="VIEWERS.csv")
@click.option("--ids/--no-ids", default=True, show_default=True,
              help="List the viewer ids of each tier (--no-ids: counts only). 是否列出每层的观众ID。")
@click.option("--max-ids", type=click.IntRange(0), default=20, show_default=True,
              help="Ids shown per tier in text/markdown (JSON lists all). 文本报告每层最多显示的ID数。")
@format_option("text", "markdown", "json")
@run_options
@guarded
def tiers_command(viewers, ids, max_ids, rules_dirs, config_path, fmt, lang, engine, output):
    """Tier viewers into active likers, core heart-givers and the rest, with actions per tier.

    把观众分为活跃点赞者、核心小红心粉丝和其他观众,并给出每层的运营动作。

    VIEWERS.csv has a viewer id, likes and hearts per viewer (optional: comments, visits), with
    Chinese or English headers (观众ID/viewer_id, 点赞/likes, 小红心/hearts, 评论/comments,
    访问/visits). Only ids are printed; other columns are never read.
    Exit status: 0 all rows used, 1 some rows bad (listed, the rest used), 2 nothing usable.

    \b
    Examples:
      advisor tiers examples/viewers.csv
      advisor tiers examples/viewers.csv --format json --no-ids
    """
    st = settings(lang=lang, config_path=config_path, rules_dirs=rules_dirs, engine=engine)
    result = run_tiers(viewers, st.ruleset(), engine=st.engine)
    emit(result, fmt, st.lang, output=output, ids=ids, max_ids=max_ids)
    print_problems(result.file.problems, st.lang)
    sys.exit(result.status)
