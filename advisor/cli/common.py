"""What every command needs: settings from options + advisor.yaml, and error handling.

Commands are thin: they turn options into a Settings, call a library function, render.
Bad input never shows a traceback: AdvisorError is printed as located problems on standard
error with exit status 2.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from ..config import Config, load_config
from ..errors import AdvisorError, Problem
from ..i18n import Lang, T, detect_lang
from ..levels import Levels
from ..ruleset import RuleSet, load_ruleset


@dataclass
class Settings:
    lang: Lang
    config: Config
    rule_dirs: list[Path]
    engine: str | None
    profile: str | None

    def ruleset(self) -> RuleSet:
        ruleset = load_ruleset(self.rule_dirs)
        if self.config.levels:
            ruleset.levels = ruleset.levels.merged(Levels(metrics=self.config.levels), override_min_history=False)
        return ruleset


def settings(*, lang: str | None = None, config_path: str | None = None, rules_dirs=(), engine: str | None = None,
             profile: str | None = None) -> Settings:
    config = load_config(config_path)
    dirs = config.rule_dirs() + [Path(d) for d in rules_dirs]
    return Settings(
        lang=lang or config.lang or detect_lang(),
        config=config,
        rule_dirs=dirs,
        engine=engine or config.engine,
        profile=profile or config.profile,
    )


def early_lang() -> Lang:
    """The language for errors raised before settings exist (from --lang in argv, else the locale)."""
    argv = sys.argv
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv) and argv[i + 1] in ("zh", "en"):
            return argv[i + 1]  # type: ignore[return-value]
        if arg.startswith("--lang=") and arg[7:] in ("zh", "en"):
            return arg[7:]  # type: ignore[return-value]
    return detect_lang()


def print_problems(problems: list[Problem], lang: Lang) -> None:
    for problem in problems:
        click.echo(problem.format(lang), err=True)


def guarded(fn):
    """Run a command; turn AdvisorError into located messages and exit status 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except AdvisorError as exc:
            print_problems(exc.problems, early_lang())
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo(T(zh="已中断", en="interrupted").get(early_lang()), err=True)
            sys.exit(130)
        except BrokenPipeError:
            # The reader went away (e.g. `advisor review ... | head`); nothing left to say.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)

    return wrapper
