"""The project config file, advisor.yaml: one setup a team shares.

Looked up as ./advisor.yaml (or --config FILE). It names rule folders (relative to the config
file), the default language, the platform profile, the engine, level overrides for every
account, and per-account settings picked with `--account NAME`:

    # yaml-language-server: $schema=<path to rules/schemas/config.schema.json>
    rules: [my-rules]              # laid over the shipped rules, in order
    lang: zh
    profile: wechat_channels
    levels:                        # level overrides, metric by metric, level by level
      heart_rate:
        low: {op: "<", absolute: {default: 0.004}}
    accounts:
      food:                        # advisor review export.csv --account food
        rules: [food-rules]        # laid over the folders above
        levels: {...}              # laid over the levels above

Everything is checked when the file is loaded (keys, types, rule folders that exist, metric
names, the account name), and every problem is located at its line, so a broken config stops a
run before anything is evaluated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from advisor.core.errors import AdvisorError, Problem, did_you_mean
from advisor.core.i18n import T
from advisor.model.levels import LevelDef, Levels
from advisor.model.stages import STAGE_FIELDS
from advisor.input.yamlio import Locator, load_yaml, problems_from_validation_error

CONFIG_NAME = "advisor.yaml"

LevelOverrides = dict[str, dict[str, LevelDef]]


class Account(BaseModel):
    """Settings of one account (channel) the team runs, laid over the project-wide ones."""

    # defer_build: Config validates accounts with its own validator; this one is built only if
    # an Account is validated alone.
    model_config = ConfigDict(extra="forbid", defer_build=True)

    description: Optional[str] = Field(None, description="Who or what this account is, for people.")
    rules: list[str] = Field(default_factory=list, description="More rule folders for this account, laid over the project's.")
    lang: Optional[Literal["zh", "en"]] = Field(None, description="Report language for this account.")
    profile: Optional[str] = Field(None, description="Platform profile name or file for this account's exports.")
    levels: LevelOverrides = Field(default_factory=dict, description="Level overrides for this account, laid over the project's.")


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[str] = Field(default_factory=list, description="Rule folders laid over the shipped rules, in order.")
    lang: Optional[Literal["zh", "en"]] = Field(None, description="Default language of reports.")
    profile: Optional[str] = Field(None, description="Platform profile name or file, instead of detection.")
    engine: Optional[Literal["durable", "python"]] = Field(None, description="Evaluation engine.")
    executor: Optional[Literal["local", "dask"]] = Field(
        None, description="Where `advisor review` reviews streamed chunks: this process (local) or a Dask cluster.")
    address: Optional[str] = Field(
        None, description="The Dask scheduler's address (tcp://host:8786); none: a cluster on this machine.")
    workers: Optional[int] = Field(
        None, ge=1, le=1024, description="Worker processes of the Dask cluster started on this machine.")
    database: Optional[str] = Field(
        None, description="The store of `advisor serve`: a SQLite file (relative to this file) or a database URL.")
    levels: LevelOverrides = Field(
        default_factory=dict, description="Level overrides, metric by metric, applied after the rule folders.")
    accounts: dict[str, Account] = Field(
        default_factory=dict, description="Per-account settings, chosen with --account NAME.")

    _base: Path = PrivateAttr(default=Path("."))  # the folder the config lives in
    _file: Optional[str] = PrivateAttr(default=None)
    _locator: Optional[Locator] = PrivateAttr(default=None)

    @property
    def file(self) -> str | None:
        return self._file

    def _resolve(self, folder: str) -> Path:
        return Path(folder) if Path(folder).is_absolute() else self._base / folder

    def rule_dirs(self, account: str | None = None) -> list[Path]:
        """The config's rule folders, then the account's, resolved against the config's folder."""
        dirs = [self._resolve(p) for p in self.rules]
        if account is not None and account in self.accounts:
            dirs += [self._resolve(p) for p in self.accounts[account].rules]
        return dirs

    def database_target(self) -> str | None:
        """`database`: a URL as written, a file path resolved against the config's folder."""
        if not self.database or "://" in self.database:
            return self.database
        return str(self._resolve(self.database))

    def level_layers(self, account: str | None = None) -> list[tuple[Levels, str | None]]:
        """Level overrides to lay over the rule folders' levels, in order, with where they come from."""
        layers = []
        if self.levels:
            layers.append((Levels(metrics=self.levels), self._file))
        if account is not None and account in self.accounts and self.accounts[account].levels:
            layers.append((Levels(metrics=self.accounts[account].levels), self._file))
        return layers

    def position(self, path: tuple, *, value: bool = True) -> tuple[int | None, int | None]:
        """Where the value at `path` starts (or its key, with value=False) in the config file."""
        if self._locator is None:
            return None, None
        return self._locator.value_at(path) if value else self._locator.at(path)

    def problem(self, message: T, path: tuple, *, value: bool = True) -> Problem:
        line, col = self.position(path, value=value)
        return Problem(message, file=self._file, line=line, col=col, field=".".join(map(str, path)) or None)


def load_config(path: str | Path | None = None, *, cwd: Path | None = None) -> Config:
    """The config at `path`, else ./advisor.yaml when present, else the defaults.

    Raises AdvisorError with every located problem (shape, missing rule folders, unknown
    metrics in level overrides).
    """
    if path is None:
        candidate = (cwd or Path.cwd()) / CONFIG_NAME
        if not candidate.is_file():
            return Config()
        path = candidate
    path = Path(path)
    if not path.is_file():
        raise AdvisorError([Problem(T(zh="找不到配置文件", en="config file not found"), file=str(path))])
    data, locator = load_yaml(path)
    if data is not None and not isinstance(data, dict):
        line, col = locator.at(())
        raise AdvisorError([Problem(T(zh="配置文件应是键值映射(rules:、lang:、levels: …)",
                                      en="a config file is a mapping (rules:, lang:, levels: ...)"),
                                    file=str(path), line=line, col=col)])
    try:
        config = Config.model_validate(data or {})
    except ValidationError as exc:
        raise AdvisorError(problems_from_validation_error(exc, locator, str(path), model=Config)) from None
    config._base = path.parent
    config._file = str(path)
    config._locator = locator
    problems = _check(config)
    if problems:
        raise AdvisorError(problems)
    return config


def _check(config: Config) -> list[Problem]:
    """What pydantic cannot see: folders that exist, metric names."""
    problems: list[Problem] = []
    places = [((), config)] + [(("accounts", name), acc) for name, acc in config.accounts.items()]
    for base, section in places:
        for i, folder in enumerate(section.rules):
            resolved = config._resolve(folder)
            if not resolved.is_dir():
                problems.append(config.problem(
                    T(zh=f"找不到规则文件夹 {folder}(相对于配置文件所在的文件夹:{resolved})",
                      en=f"no such rule folder {folder} (relative to the config file's folder: {resolved})"),
                    base + ("rules", i)))
        problems.extend(_check_level_metrics(config, section.levels, base + ("levels",)))
    return problems


def _check_level_metrics(config: Config, levels: LevelOverrides, base: tuple) -> list[Problem]:
    known = list(dict.fromkeys(name for fields in STAGE_FIELDS.values() for name in fields))  # as ruleset allows
    out = []
    for metric in levels:
        if metric in known:
            continue
        hint = did_you_mean(metric, known)
        out.append(config.problem(
            T(zh=f"未知指标 {metric}" + (f";{hint.zh}" if hint else ""),
              en=f"unknown metric {metric}" + (f"; {hint.en}" if hint else "")),
            base + (metric,), value=False))
    return out


def check_account(config: Config, account: str | None) -> None:
    """Raise a located AdvisorError when `account` is not one the config defines."""
    if account is None or account in config.accounts:
        return
    if not config.accounts:
        where = config.file or CONFIG_NAME
        raise AdvisorError([Problem(
            T(zh=f"没有名为 {account} 的账号:{where} 里没有 accounts: 段",
              en=f"no account named {account}: {where} has no accounts: section"),
            file=config.file)])
    hint = did_you_mean(account, config.accounts)
    known = ", ".join(config.accounts)
    line, col = config.position(("accounts",), value=False)
    raise AdvisorError([Problem(
        T(zh=f"没有名为 {account} 的账号" + (f"({hint.zh})" if hint else "") + f";已有:{known}",
          en=f"no account named {account}" + (f" ({hint.en})" if hint else "") + f"; known: {known}"),
        file=config.file, line=line, col=col, field="accounts")])
