"""`advisor ab`: compare two variants signal by signal (a thin shell over advisor.jobs.ab)."""

from __future__ import annotations

import sys

import click

from advisor.stats import proportions as stats
from advisor.jobs.ab import DEFAULT_METHOD, DEFAULT_TAU, METHODS, run_ab
from advisor.core.i18n import T
from advisor.jobs.notebook import append_entry, entry_from_ab
from advisor.render.emit import emit
from advisor.cli.common import guarded, print_problems, report_ignored_columns, settings
from advisor.cli.options import format_option, profile_option, run_options


@click.command("ab")
@click.argument("a")
@click.argument("b")
@click.option("--from", "source", type=click.Path(dir_okay=False), default=None,
              help="Pick A and B from this one export, by its variant (实验组) column or by video id. 从同一份导出里按实验组或视频ID选取。")
@click.option("--method", type=click.Choice(list(METHODS)), default=DEFAULT_METHOD, show_default=True,
              help="video: the video is the unit (between-video variation counted; the default). "
                   "z / bayes: per view (two-proportion z-test / probability B beats A) - only for one video "
                   "split-tested by the platform. 检验方法:video 以视频为单位(默认);z / bayes 以播放为单位,"
                   "只适用于平台对同一条视频做的分流测试。")
@click.option("--history", "history", type=click.Path(dir_okay=False), default=None,
              help="An export of the account's past videos: the between-video spread (tau) per signal is "
                   "fitted on it. 账号的历史视频导出,用来估计视频之间的波动。")
@click.option("--default-tau", type=click.FloatRange(0.0, 3.0), default=DEFAULT_TAU, show_default=True,
              help="Between-video spread (logit scale) assumed without --history and with one video per arm. "
                   "没有历史数据时假定的视频间波动。")
@click.option("--alpha", type=click.FloatRange(0.0001, 0.5), default=stats.ALPHA, show_default=True,
              help="Significance level: a winner needs confidence ≥ 1 - alpha. 显著性水平。")
@click.option("--power", type=click.FloatRange(0.5, 0.999), default=stats.POWER, show_default=True,
              help="Power for the videos-needed (or views-needed) estimate. 估算所需视频数(或播放量)时的检验功效。")
@click.option("--min-lift", type=click.FloatRange(0.001, 10), default=None,
              help="Smallest relative difference worth detecting (0.3 = 30%; default 30% per video, 5% per view). "
                   "值得发现的最小相对差异。")
@click.option("--note", "note", type=click.Path(dir_okay=False), default=None,
              help="Append the conclusion to this operations notebook (.md or .yaml). 把结论追加到运营笔记。")
@click.option("--what", default=None, help="What was tested, for the notebook, e.g. 'CTA wording'. 测试内容。")
@profile_option
@format_option("text", "markdown", "json")
@run_options
@guarded
def ab_command(a, b, source, method, history, default_tau, alpha, power, min_lift, note, what, profile, rules_dirs, config_path, fmt, lang,
               engine, output):
    """Compare two variants (A/B): who wins on likes, hearts, completion, follow-up, and how sure.

    对比两个版本:点赞、小红心、完播、后续互动各由谁胜出,有多确定。

    A and B are two exports (one or more videos each), or, with --from FILE, two values of
    its variant (实验组) column or two video ids. Each video is one unit: videos of one account
    differ by themselves, so a winner needs several videos per variant, and one video against
    one is never called; the report says how many videos per variant would settle it.
    --history OLD.csv fits that between-video spread on the account's past videos.
    Exit status: 0 compared, 1 some rows bad (listed, the rest compared), 2 nothing compared.

    \b
    Examples:
      advisor ab examples/ab/cta_wording_a.csv examples/ab/cta_wording_b.csv
      advisor ab A B --from examples/ab/variants.csv --history examples/multi_week_export.csv
      advisor ab examples/ab/cta_wording_a.csv examples/ab/cta_wording_b.csv --method z
      advisor ab examples/ab/cta_wording_a.csv examples/ab/cta_wording_b.csv --note notebook.md --what "CTA wording"
    """
    st = settings(lang=lang, config_path=config_path, rules_dirs=rules_dirs, engine=engine, profile=profile)
    result = run_ab(a, b, st.ruleset(), source=source, profile=st.profile, method=method, alpha=alpha, power=power,
                    min_lift=min_lift, history=history, default_tau=default_tau, engine=st.engine)
    report_ignored_columns(result.files, st.lang)
    emit(result, fmt, st.lang, output=output)
    if note:
        path = append_entry(note, entry_from_ab(result, what, st.lang), st.lang)
        click.echo(T(zh=f"结论已追加到 {path}", en=f"conclusion appended to {path}").get(st.lang), err=True)
    print_problems(result.problems, st.lang)
    sys.exit(result.status)
