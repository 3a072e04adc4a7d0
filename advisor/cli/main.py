"""The `advisor` command group. Each command lives in its own module of this package, as a
plain click command or group; `COMMANDS` below names it, and the group imports its module only
when that command runs (the modules never import this one).

Why lazily: importing every command module pulls in the whole library (pydantic models, the
rule engines, openpyxl, numpy), about half a second before `advisor --help` could print a line.
The table keeps each command's one-line help, so `advisor --help` lists every command without
importing any of them; tests/test_cli_lazy.py checks the table against the real commands.
"""

from __future__ import annotations

import gc
import importlib
import platform
from contextlib import contextmanager
from dataclasses import dataclass

import click

from advisor import __version__


@dataclass(frozen=True)
class LazyCommand:
    """Where a command lives and what `advisor --help` says of it, without importing it.

    target: "module:attribute" of the click command or group.
    summary: the first paragraph of the command's help (its docstring), which click shortens to
    the one line `--help` lists, exactly as it would shorten the real command's.
    """

    target: str
    summary: str

    def load(self) -> click.Command:
        module, _, attribute = self.target.partition(":")
        if not _FREEZE_IMPORTS:
            return getattr(importlib.import_module(module), attribute)
        with _imports_kept():
            return getattr(importlib.import_module(module), attribute)

    def stand_in(self, name: str) -> click.Command:
        """A command that only carries the help line, for listing."""
        return click.Command(name, help=self.summary)


# Set by the program's entry point (advisor.__main__.main: one command per process), never by a
# process that runs commands in its own (tests, the web app), whose objects frozen would stay
# out of its collections for good (and out of gc.get_referrers).
_FREEZE_IMPORTS: list = []


def freeze_imports() -> None:
    """Load commands as _imports_kept says: for a process that runs one command and ends."""
    _FREEZE_IMPORTS[:] = [True]


@contextmanager
def _imports_kept():
    """No cyclic garbage collection while a command's modules load, and what they built frozen
    afterwards (gc.freeze: moved out of every later collection). Imports create tens of thousands
    of objects that live until the process ends (modules, classes, functions, pydantic's
    validators) and next to no garbage; the collector walked them over and over for nothing:
    about a tenth of a one-video review's time. A collector already paused stays paused."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.enable()


# click 8.4 suggests close names for an unknown command ("Did you mean ...?"); older versions
# have no such exception and suggest nothing, so there is nothing to catch (`except ()`).
_NoSuchCommand = getattr(click.exceptions, "NoSuchCommand", ())


class LazyGroup(click.Group):
    """A click group whose commands are imported on first use ("Lazily loading subcommands" in
    click's documentation). Commands added with `add_command` work as in any group."""

    def __init__(self, *args, lazy_commands: dict[str, LazyCommand] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_commands: dict[str, LazyCommand] = dict(lazy_commands or {})

    def add_lazy_command(self, name: str, command: LazyCommand) -> None:
        self.lazy_commands[name] = command

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            self.commands[cmd_name] = self.lazy_commands[cmd_name].load()
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's own listing, over stand-ins for the commands not loaded yet: the same layout
        # and the same shortening of each help line, without importing a command module.
        listing = click.Group(self.name, commands={
            name: self.commands.get(name) or self.lazy_commands[name].stand_in(name)
            for name in self.list_commands(ctx)})
        listing.format_commands(ctx, formatter)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        try:
            return super().resolve_command(ctx, args)
        except _NoSuchCommand as exc:
            # click suggests close names from self.commands, which holds only the commands
            # loaded so far; suggest from every command, as an eagerly built group would.
            raise _NoSuchCommand(exc.command_name, possibilities=self.list_commands(ctx), ctx=ctx) from None


# Every command of `advisor`, by name. A new command: its module in advisor/cli/ and one row
# here (the summary is the first paragraph of its docstring; tests/test_cli_lazy.py fails when
# they differ). `advisor serve` is added the same way by advisor/__main__.py.
COMMANDS: dict[str, LazyCommand] = {
    "ab": LazyCommand("advisor.cli.ab_cmd:ab_command",
                      "Compare two variants (A/B): who wins on likes, hearts, completion, follow-up, and how sure."),
    "checklist": LazyCommand("advisor.cli.checklist_cmd:checklist_command",
                             "Check planned videos before publishing: to do, consider, and what is already right."),
    "cta": LazyCommand("advisor.cli.cta_cmd:cta_group",
                       "Write a dual-track call to action (H07): a like line and a heart line."),
    "goals": LazyCommand("advisor.cli.goals_cmd:goals_command",
                         "Check weekly goals: baseline, this week, progress, and which videos moved each target."),
    "review": LazyCommand("advisor.cli.review_cmd:review_command",
                          "Review posted videos: what the numbers say and what to do next."),
    "rules": LazyCommand("advisor.cli.rules_cmd:rules_group",
                         "Check, test, list and document rules. 检查、测试、列出和说明规则。"),
    "schema": LazyCommand("advisor.cli.schema_cmd:schema_command",
                          "Print the JSON Schema of rule, levels, profile, plan, metrics, config or test files."),
    "tiers": LazyCommand("advisor.cli.tiers_cmd:tiers_command",
                         "Tier viewers into active likers, core heart-givers and the rest, with actions per tier."),
}


def _version_text() -> str:
    # Imported here, not at the top: the engines pull in pydantic and the rule models, which
    # `advisor --help` does not need (tests/test_layers.py allows this one import).
    from advisor.engine import default_engine, durable_import_error

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


@click.group(cls=LazyGroup, lazy_commands=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


def main() -> None:
    cli(prog_name="advisor")
