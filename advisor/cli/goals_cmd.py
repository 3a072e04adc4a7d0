"""`advisor goals`: weekly targets, their progress and next week's advice (a thin shell over advisor.jobs.goals)."""

from __future__ import annotations

import sys

import click

from advisor.jobs.goals import run_goals
from advisor.render.emit import emit
from advisor.cli.common import guarded, print_problems, report_ignored_columns, settings
from advisor.cli.options import format_option, profile_option, run_options


@click.command("goals")
@click.argument("goals_file", metavar="GOALS.yaml", type=click.Path(dir_okay=False))
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--history", type=click.Path(dir_okay=False), default=None,
              help="An older export whose weeks come before PATH's (for the baseline). 更早的导出,作为基线周。")
@click.option("--week", default=None,
              help="The week to check, as 2026-W25 or a date in it (default: the latest week with videos). 要检查的周。")
@profile_option
@format_option("text", "markdown", "json")
@run_options
@guarded
def goals_command(goals_file, paths, history, week, profile, rules_dirs, config_path, fmt, lang, engine, output):
    """Check weekly goals: baseline, this week, progress, and which videos moved each target.

    检查每周目标:基线、本周值、进度,以及哪些视频推动了目标。

    GOALS.yaml states targets (or only account_stage: new / growing / established, to use
    that stage's defaults); PATH is an export covering several weeks (- for stdin).
    Exit status: 0 checked, 1 some rows bad (listed, the rest used), 2 nothing checked.

    \b
    Examples:
      advisor goals examples/goals.yaml examples/multi_week_export.csv
      advisor goals examples/goals.yaml examples/multi_week_export.csv --week 2026-W17 --format json
    """
    st = settings(lang=lang, config_path=config_path, rules_dirs=rules_dirs, engine=engine, profile=profile)
    result = run_goals(goals_file, paths, st.ruleset(), history=history, week=week, profile=st.profile,
                       engine=st.engine)
    report_ignored_columns(result.files, st.lang)
    emit(result, fmt, st.lang, output=output)
    print_problems(result.problems, st.lang)
    sys.exit(result.status)
