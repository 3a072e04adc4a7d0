"""Two working languages: every user-facing text exists in Chinese (zh) and English (en)."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, ConfigDict

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")


class T(BaseModel):
    """A text in both languages. Used for messages in code and for texts in rule files."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zh: str
    en: str

    def get(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en

    def format(self, lang: Lang, **values: object) -> str:
        return self.get(lang).format(**values)


def detect_lang(environ: dict[str, str] | None = None) -> Lang:
    """zh for a zh_* locale, else en (LC_ALL wins over LC_MESSAGES over LANG, as in POSIX)."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"
