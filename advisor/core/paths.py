"""Where the shipped rules, levels, profiles and templates are.

In a source checkout they are the repository's top-level rules/ and templates/; once
installed (`pip install .`) they are package data under advisor/_shipped/.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # advisor/


@lru_cache(maxsize=None)
def shipped(name: str) -> Path:
    """The folder of shipped `rules` or `templates`."""
    checkout = _PACKAGE.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / name).is_dir():
        return checkout / name
    installed = _PACKAGE / "_shipped" / name
    if installed.is_dir():
        return installed
    raise FileNotFoundError(f"shipped {name}/ not found next to {_PACKAGE}")


def shipped_rules() -> Path:
    return shipped("rules")


def shipped_templates() -> Path:
    return shipped("templates")


def catalog_dir() -> Path:
    return _PACKAGE / "model" / "catalog"
