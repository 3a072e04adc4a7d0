"""What every command needs: settings from options + advisor.yaml, and error handling.

Commands are thin: they turn options into a Settings, call a library function, render.
Every command goes through `settings()` and `Settings.ruleset()`, so --rules, --config,
--account and advisor.yaml mean the same everywhere, and a broken config or rule folder stops
the command before anything is evaluated.
Bad input never shows a traceback: AdvisorError is printed as located problems on standard
error with exit status 2.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click

from advisor.input.config import Config, check_account, load_config
from advisor.core.errors import AdvisorError, Problem
from advisor.core.i18n import Lang, T, detect_lang
from advisor.input.ruleset import RuleSet, collect_ruleset

ACCOUNT_META = "advisor.account"  # where the --account option leaves its value (see options.py)

# The language of the last settings() call, so errors raised after it speak the configured language.
_settings_lang: Lang | None = None


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
        from advisor.jobs.lint import clarify

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
    global _settings_lang
    if account is None:
        ctx = click.get_current_context(silent=True)
        account = ctx.meta.get(ACCOUNT_META) if ctx is not None else None
    config = load_config(config_path)
    check_account(config, account)
    acc = config.accounts.get(account) if account else None
    dirs = config.rule_dirs(account) + [Path(d) for d in rules_dirs]
    chosen_lang = lang or (acc.lang if acc else None) or config.lang or detect_lang()
    _settings_lang = chosen_lang
    chosen_profile = profile or (acc.profile if acc else None) or config.profile
    if profile is None and chosen_profile is not None:
        _check_config_profile(config, chosen_profile, dirs, ("accounts", account, "profile") if acc and acc.profile
                              else ("profile",))
    return Settings(
        lang=chosen_lang,
        config=config,
        rule_dirs=dirs,
        engine=engine or config.engine,
        profile=chosen_profile,
        account=account,
    )


def _check_config_profile(config: Config, name: str, dirs: list[Path], path: tuple) -> None:
    """A profile named in advisor.yaml must exist (located at its line), before any import runs."""
    from advisor.input.profiles import load_profiles, resolve_profile, shipped_profile_dirs

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


def early_lang() -> Lang:
    """The language for errors: --lang in argv, else the configured one, else the locale."""
    argv = sys.argv
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv) and argv[i + 1] in ("zh", "en"):
            return argv[i + 1]  # type: ignore[return-value]
        if arg.startswith("--lang=") and arg[7:] in ("zh", "en"):
            return arg[7:]  # type: ignore[return-value]
    return _settings_lang or detect_lang()


def print_problems(problems: list[Problem], lang: Lang) -> None:
    for problem in problems:
        click.echo(problem.format(lang), err=True)


def guarded(fn):
    """Run a command; turn AdvisorError into located messages and exit status 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        global _settings_lang
        _settings_lang = None  # a previous command's language (tests run many in one process)
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


def report_ignored_columns(files, lang: Lang) -> None:
    """Say once per file, on standard error, which columns no profile knows (never drop them silently)."""
    for info in files:
        if getattr(info, "ignored_columns", None):
            cols = ", ".join(info.ignored_columns)
            click.echo(T(zh=f"{info.path}: 未识别的列(未导入):{cols};要使用它们,请在平台档案里加上列名映射",
                         en=f"{info.path}: unrecognised columns (not imported): {cols}; "
                            f"map them in a platform profile to use them").get(lang), err=True)
