"""The project config file, advisor.yaml: one setup a team shares.

Looked up as ./advisor.yaml (or --config FILE). It names rule folders (relative to the config
file), the default language, the platform profile, and level overrides.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from .errors import AdvisorError, Problem
from .i18n import T
from .levels import LevelDef
from .yamlio import load_yaml, problems_from_validation_error

CONFIG_NAME = "advisor.yaml"


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[str] = Field(default_factory=list, description="Rule folders laid over the shipped rules, in order.")
    lang: Optional[Literal["zh", "en"]] = Field(None, description="Default language of reports.")
    profile: Optional[str] = Field(None, description="Platform profile name or file, instead of detection.")
    engine: Optional[Literal["durable", "python"]] = Field(None, description="Evaluation engine.")
    levels: dict[str, dict[str, LevelDef]] = Field(
        default_factory=dict, description="Level overrides, metric by metric, applied after the rule folders.")

    _base: Path = PrivateAttr(default=Path("."))  # the folder the config lives in
    _file: Optional[str] = PrivateAttr(default=None)

    def rule_dirs(self) -> list[Path]:
        return [Path(p) if Path(p).is_absolute() else self._base / p for p in self.rules]


def load_config(path: str | Path | None = None, *, cwd: Path | None = None) -> Config:
    """The config at `path`, else ./advisor.yaml when present, else the defaults."""
    if path is None:
        candidate = (cwd or Path.cwd()) / CONFIG_NAME
        if not candidate.is_file():
            return Config()
        path = candidate
    path = Path(path)
    if not path.is_file():
        raise AdvisorError([Problem(T(zh="找不到配置文件", en="config file not found"), file=str(path))])
    data, locator = load_yaml(path)
    try:
        config = Config.model_validate(data or {})
    except ValidationError as exc:
        raise AdvisorError(problems_from_validation_error(exc, locator, str(path), model=Config)) from None
    config._base = path.parent
    config._file = str(path)
    return config
