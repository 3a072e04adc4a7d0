"""`advisor review`: explained, ranked advice for posted videos."""

from __future__ import annotations

import json
import sys

import click

from ..importers import load_videos
from ..review import review, review_json
from .common import guarded, settings
from .main import cli
from .options import config_option, engine_option, format_option, lang_option, output_option, profile_option, rules_option
from ..output import emit


@cli.command("review")
@click.argument("paths", nargs=-1, required=True)
@click.option("--history", type=click.Path(dir_okay=False), default=None,
              help="Earlier videos of the account, for percentile thresholds. 账号历史数据。")
@profile_option
@rules_option
@config_option
@format_option("text", "markdown", "json")
@lang_option
@engine_option
@output_option
@click.option("--explain-all", is_flag=True, help="Also say why every other rule did not fire. 同时说明未触发的规则。")
@guarded
def review_command(paths, history, profile, rules_dirs, config_path, fmt, lang, engine, output, explain_all):
    """Review posted videos: what the numbers say and what to do next.

    复盘已发布视频:数据说明了什么,下一步做什么。

    PATH is a CSV/JSON/YAML file (the 视频号助手 export works as downloaded), or - for stdin.

    \b
    Example:
      advisor review examples/wechat_channels_export.csv --lang zh
    """
    st = settings(lang=lang, config_path=config_path, rules_dirs=rules_dirs, engine=engine, profile=profile)
    ruleset = st.ruleset()
    imported = load_videos(list(paths), profile=st.profile, profile_dirs=ruleset.profile_dirs())
    hist = load_videos([history], profile=st.profile, profile_dirs=ruleset.profile_dirs()).videos if history else None
    result = review(imported.videos, ruleset, history=hist, history_label=history, engine=st.engine,
                    explain_all=explain_all, problems=imported.problems)
    data = review_json(result, st.lang)
    emit(json.dumps(data, ensure_ascii=False, indent=2), output)
    if not imported.videos:
        sys.exit(2)
    sys.exit(1 if imported.problems else 0)
