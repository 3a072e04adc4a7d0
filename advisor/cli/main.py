"""The `advisor` command group. Each command lives in its own module of this package, as a
plain click command or group; this module adds them to `cli` (the modules never import it)."""

from __future__ import annotations

import platform

import click

from advisor import __version__
from advisor.cli import ab_cmd, checklist_cmd, cta_cmd, goals_cmd, review_cmd, rules_cmd, schema_cmd, tiers_cmd
from advisor.engine import default_engine, durable_import_error


def _version_text() -> str:
    engine = default_engine()
    line = f"advisor {__version__} (Python {platform.python_version()}; engine: {engine}"
    reason = durable_import_error()
    if reason is not None:
        line += f"; durable_rules unavailable: {reason}"
    return line + ")"


def _print_version(ctx, _param, value):
    if not value or ctx.resilient_parsing:
        return
    click.echo(_version_text())
    ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version and which rule engine is active. 显示版本和当前引擎。")
def cli():
    """advisor: read likes (👍) and hearts (♡) together, and decide what to do next.

    点赞和小红心放在一起读,决定下一步做什么。

    \b
    Quick start / 快速开始:
      advisor review examples/wechat_channels_export.csv
      advisor review examples/wechat_channels_export.csv --lang en --format markdown
      advisor rules check
    """


cli.add_command(review_cmd.review_command)
cli.add_command(checklist_cmd.checklist_command)
cli.add_command(cta_cmd.cta_group)
cli.add_command(ab_cmd.ab_command)
cli.add_command(goals_cmd.goals_command)
cli.add_command(tiers_cmd.tiers_command)
cli.add_command(rules_cmd.rules_group)
cli.add_command(schema_cmd.schema_command)


def main() -> None:
    cli(prog_name="advisor")
