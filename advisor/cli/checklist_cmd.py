"""`advisor checklist`: a pre-publish checklist for planned videos."""

from __future__ import annotations

import sys

import click

from advisor.jobs.checklist import checklist
from advisor.render.emit import emit
from advisor.cli.common import guarded, print_problems, settings
from advisor.cli.options import format_option, run_options


@click.command("checklist")
@click.argument("plans", nargs=-1, required=True)
@format_option("text", "markdown", "json", "html")
@run_options
@click.option("--templates", "templates_dir", type=click.Path(file_okay=False), default=None,
              help="A folder with your own checklist.txt.j2 / checklist.md.j2. 自定义模板文件夹。")
@guarded
def checklist_command(plans, fmt, lang, rules_dirs, config_path, engine, output, templates_dir):
    """Check planned videos before publishing: to do, consider, and what is already right.

    发布前检查:待办、建议,以及已经做对的地方。

    PLAN is a YAML or JSON file holding one plan or a list of plans (- for stdin).
    Exit status: 0 done, 1 some plans had errors (the rest were checked), 2 nothing to check.
    退出码:0 完成,1 部分计划有错(其余照常检查),2 没有可检查的计划。

    \b
    Examples / 示例:
      advisor checklist examples/plans.yaml --lang zh
      advisor checklist examples/plans.yaml --format markdown -o checklist.md
      advisor checklist examples/plans.yaml --format html -o checklist.html
      advisor checklist examples/plan.json --lang en --format json
    """
    st = settings(lang=lang, config_path=config_path, rules_dirs=rules_dirs, engine=engine)
    result = checklist(list(plans), st.ruleset(), lang=st.lang, engine=st.engine)
    print_problems(result.problems, st.lang)
    if not result.plans:
        sys.exit(2)
    emit(result, fmt, st.lang, output=output, templates_dir=templates_dir)
    sys.exit(1 if result.problems else 0)
