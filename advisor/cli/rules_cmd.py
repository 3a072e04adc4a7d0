"""`advisor rules ...`: check the rule files."""

from __future__ import annotations

import sys

import click

from ..i18n import T
from ..ruleset import collect_ruleset
from .common import early_lang, guarded, print_problems
from .main import cli
from .options import lang_option


@cli.group("rules")
def rules_group():
    """Check, test, list and document rules. 检查、测试、列出和说明规则。"""


@rules_group.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=False))
@lang_option
@guarded
def check_command(paths, lang):
    """Validate rule folders (rules, levels.yaml, profiles/): one `file:line:col: message` per problem.

    校验规则文件夹。退出码:0 全部有效,1 有问题,2 无法运行。

    \b
    Example:
      advisor rules check rules
    """
    lang = lang or early_lang()
    from pathlib import Path

    from .. import paths as shipped_paths

    folders = [Path(p) for p in paths]
    shipped = shipped_paths.shipped_rules().resolve()
    # Checking the shipped folder itself: load it as the base, not twice.
    user = [f for f in folders if f.resolve() != shipped]
    for folder in user:
        if not folder.exists():
            click.echo(T(zh=f"{folder}: 找不到这个文件夹", en=f"{folder}: no such folder").get(lang), err=True)
            sys.exit(2)
    _, problems = collect_ruleset(user)
    problems.sort(key=lambda p: (p.file or "", p.line or 0, p.col or 0))
    print_problems(problems, lang)
    if problems:
        sys.exit(1)
    click.echo(T(zh="规则全部有效", en="all rules valid").get(lang))
