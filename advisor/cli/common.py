"""What every command needs: settings from options + advisor.yaml, and error handling.

Commands are thin: they turn options into a Settings, call a library function, render.
Every command goes through `settings()` and `Settings.ruleset()`, so --rules, --config,
--account and advisor.yaml mean the same everywhere, and a broken config or rule folder stops
the command before anything is evaluated.
Bad input never shows a traceback: AdvisorError reaches click as a ProblemsError (a
click.ClickException), printed as located problems on standard error with exit status 2.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click

from advisor.core.errors import AdvisorError, Problem
from advisor.core.i18n import Lang, T, detect_lang
from advisor.core.output import reset_inputs
from advisor.core.safe_text import printable
from advisor.input.config import Config, check_account, load_config
from advisor.input.profiles import load_profiles, resolve_profile, shipped_profile_dirs
from advisor.input.ruleset import RuleSet, clarify, collect_ruleset

ACCOUNT_META = "advisor.account"  # where the --account option leaves its value (see options.py)
SETTINGS_META = "advisor.settings"  # where settings() leaves the command's Settings, for error messages


@dataclass
class Settings:
    lang: Lang
    config: Config
    rule_dirs: list[Path]
    engine: str | None
    profile: str | None
    account: str | None = None
    _ruleset: RuleSet | None = field(default=None, repr=False)

    def ruleset(self) -> RuleSet:
        """The shipped rules, the config's and --rules folders, then the config's level overrides.

        Raises AdvisorError with every located problem; never returns half a rule set.
        """
        if self._ruleset is None:
            ruleset, problems = self.collect()
            if problems:
                raise AdvisorError(problems)
            self._ruleset = ruleset
        return self._ruleset

    def collect(self, extra_dirs=()) -> tuple[RuleSet, list[Problem]]:
        """Like ruleset(), but returns the problems (for `advisor rules check`)."""
        ruleset, problems = collect_ruleset([*self.rule_dirs, *extra_dirs])
        for levels, file in self.config.level_layers(self.account):
            ruleset.levels = ruleset.levels.merged(levels, override_min_history=False)
            if file:
                ruleset.levels_files.append(file)
        return ruleset, clarify(problems)


def settings(*, lang: str | None = None, config_path: str | None = None, rules_dirs=(), engine: str | None = None,
             profile: str | None = None, account: str | None = None) -> Settings:
    """Options laid over advisor.yaml (or --config FILE) laid over the defaults.

    Order of rule folders: the config's, the account's, then --rules. Raises AdvisorError
    (located) for a broken config, an unknown account, or a config profile that does not exist.
    """
    ctx = click.get_current_context(silent=True)
    if account is None:
        account = ctx.meta.get(ACCOUNT_META) if ctx is not None else None
    config = load_config(config_path)
    check_account(config, account)
    acc = config.accounts.get(account) if account else None
    dirs = config.rule_dirs(account) + [Path(d) for d in rules_dirs]
    chosen_profile = profile or (acc.profile if acc else None) or config.profile
    st = Settings(
        lang=lang or (acc.lang if acc else None) or config.lang or detect_lang(),
        config=config,
        rule_dirs=dirs,
        engine=engine or config.engine,
        profile=chosen_profile,
        account=account,
    )
    if ctx is not None:
        ctx.meta[SETTINGS_META] = st  # from here on, errors speak the configured language
    if profile is None and chosen_profile is not None:
        _check_config_profile(config, chosen_profile, dirs, ("accounts", account, "profile") if acc and acc.profile
                              else ("profile",))
    return st


def _check_config_profile(config: Config, name: str, dirs: list[Path], path: tuple) -> None:
    """A profile named in advisor.yaml must exist (located at its line), before any import runs."""
    candidate = Path(name)
    if not candidate.is_absolute() and config.file:
        relative = Path(config.file).parent / candidate
        if relative.is_file():
            return
    try:
        profiles = load_profiles([*shipped_profile_dirs(), *(d / "profiles" for d in dirs)])
        resolve_profile(name, profiles)
    except AdvisorError as exc:
        line, col = config.position(path)
        raise AdvisorError([Problem(p.message, file=config.file or p.file, line=line, col=col, field=".".join(path))
                            if p.file is None else p for p in exc.problems]) from None


def error_lang(option_lang: str | None = None) -> Lang:
    """The language for errors: the command's Settings once settings() has made them, else its
    --lang option, else the locale."""
    ctx = click.get_current_context(silent=True)
    st = ctx.meta.get(SETTINGS_META) if ctx is not None else None
    if st is not None:
        return st.lang
    if option_lang in ("zh", "en"):
        return option_lang  # type: ignore[return-value]
    return detect_lang()


def print_problems(problems: list[Problem], lang: Lang) -> None:
    for problem in problems:
        click.echo(problem.format(lang), err=True)


class ProblemsError(click.ClickException):
    """An AdvisorError on its way out through click: located problems, one per line, on standard
    error, and exit status 2 (bad input, nothing done)."""

    exit_code = 2

    def __init__(self, problems: list[Problem], lang: Lang):
        super().__init__("\n".join(p.format(lang) for p in problems))
        self.problems = problems
        self.lang = lang

    def show(self, file=None) -> None:
        if file is None:
            print_problems(self.problems, self.lang)
            return
        for problem in self.problems:
            click.echo(problem.format(self.lang), file=file)


def guarded(fn):
    """Run a command; AdvisorError becomes a ProblemsError (located messages, exit status 2)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        reset_inputs()  # the files this command reads are never written over
        try:
            return fn(*args, **kwargs)
        except AdvisorError as exc:
            raise ProblemsError(exc.problems, error_lang(kwargs.get("lang"))) from None
        except KeyboardInterrupt:
            click.echo(T(zh="已中断", en="interrupted").get(error_lang(kwargs.get("lang"))), err=True)
            sys.exit(130)
        except BrokenPipeError:
            # The reader went away (e.g. `advisor review ... | head`); nothing left to say.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)

    return wrapper


def report_ignored_columns(files, lang: Lang) -> None:
    """Say once per file, on standard error, which columns no profile knows (never drop them silently)."""
    for info in files:
        if getattr(info, "ignored_columns", None):
            cols = printable(", ".join(info.ignored_columns))
            click.echo(T(zh=f"{info.path}: 未识别的列(未导入):{cols};要使用它们,请在平台档案里加上列名映射",
                         en=f"{info.path}: unrecognised columns (not imported): {cols}; "
                            f"map them in a platform profile to use them").get(lang), err=True)
