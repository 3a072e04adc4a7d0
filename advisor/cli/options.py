"""Option groups shared by commands (as decorators, in the manner of sqlite-utils)."""

from __future__ import annotations

import click

from advisor.core.progress import set_quiet
from advisor.engine import ENGINES


def lang_option(fn):
    return click.option(
        "--lang", type=click.Choice(["zh", "en"]), default=None,
        help="Report language; default from advisor.yaml, else the locale (zh for zh_*). 报告语言。",
    )(fn)


def rules_option(fn):
    return click.option(
        "--rules", "rules_dirs", multiple=True, type=click.Path(file_okay=False, path_type=str),
        help="A folder of your own rules laid over the shipped ones (repeatable). 自定义规则文件夹。",
    )(fn)


def _remember_account(ctx, _param, value):
    # Not passed to the command function: settings() reads it from the context, so every
    # command that takes --config also takes --account without changing its signature.
    if value:
        ctx.meta["advisor.account"] = value


def config_option(fn):
    fn = click.option(
        "--account", default=None, expose_value=False, callback=_remember_account, envvar="ADVISOR_ACCOUNT",
        help="Use the settings of this account from advisor.yaml (accounts: NAME: ...). 使用配置中该账号的设置。",
    )(fn)
    return click.option(
        "--config", "config_path", type=click.Path(dir_okay=False, path_type=str), default=None,
        help="Project config file (default: ./advisor.yaml when present). 项目配置文件。",
    )(fn)


def engine_option(fn):
    return click.option(
        "--engine", type=click.Choice(list(ENGINES)), default=None,
        help="Rule engine: durable (default where it imports) or python (the reference evaluator). 规则引擎。",
    )(fn)


def output_option(fn):
    return click.option(
        "--output", "-o", type=click.Path(dir_okay=False, path_type=str), default=None,
        help="Write the report to this file (atomically) instead of standard output. 输出文件。",
    )(fn)


def format_option(*choices: str, default: str = "text"):
    def decorate(fn):
        return click.option(
            "--format", "fmt", type=click.Choice(list(choices)), default=default, show_default=True,
            help="Output format. 输出格式。",
        )(fn)

    return decorate


def profile_option(fn):
    return click.option(
        "--profile", default=None,
        help="Platform profile name (wechat_channels, douyin, generic) or a profile YAML file; default: detected from the header. 平台导出格式。",
    )(fn)


def quiet_option(fn):
    return click.option(
        "--quiet", "-q", is_flag=True, expose_value=False, callback=lambda ctx, param, value: set_quiet(value),
        help="No progress line on the terminal. 不显示进度。")(fn)


def run_options(fn):
    """The options every command that evaluates rules takes: --rules, --config/--account, --lang,
    --engine, --output, --quiet. One decorator, so the commands cannot drift apart."""
    for option in (quiet_option, output_option, engine_option, lang_option, config_option, rules_option):
        fn = option(fn)
    return fn
