"""How long a call to action takes to say, and how long it may take in a video of a given length.

Used by `advisor cta` (advisor.jobs.cta) to fit its scripts and by the plan stage (advisor.model.plan)
to check a plan's cta_text against its duration, so both say the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from advisor.core.i18n import Lang, T

# Speaking rates for the spoken length: Chinese characters, and words of Latin script.
CJK_PER_SECOND = 4.0
WORDS_PER_SECOND = 2.5
# A CTA must fit the video: spoken length <= max(MIN_BUDGET_S, BUDGET_SHARE x the planned duration).
MIN_BUDGET_S = 4.0
BUDGET_SHARE = 0.10

_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")


@dataclass(frozen=True)
class SpokenLength:
    """How long a script takes to say, and the rate that produced the figure."""

    seconds: float
    cjk_chars: int
    words: int

    def rate_text(self, lang: Lang) -> str:
        parts = []
        if self.cjk_chars:
            parts.append(T(zh="{n} 个汉字,每秒约 {r:g} 个", en="{n} Chinese characters at about {r:g} a second").format(
                lang, n=self.cjk_chars, r=CJK_PER_SECOND))
        if self.words:
            parts.append(T(zh="{n} 个英文词,每秒约 {r:g} 个", en="{n} words at about {r:g} a second").format(
                lang, n=self.words, r=WORDS_PER_SECOND))
        return ("; " if lang == "en" else ";").join(parts)

    def to_json(self) -> dict:
        return {"cjk_chars": self.cjk_chars, "cjk_chars_per_second": CJK_PER_SECOND,
                "words": self.words, "words_per_second": WORDS_PER_SECOND}


# Chinese characters: the CJK Unified Ideographs, their Extension A and the Compatibility
# Ideographs. Tested by comparison, not by a regular expression: `re` compiles a class of these
# ~28,000 code points one code point at a time (about 2% of a one-video review's start-up, in a
# module every review imports); the comparisons select exactly the same characters.
def _is_cjk(char: str) -> bool:
    return "\u3400" <= char <= "\u4dbf" or "\u4e00" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def spoken_length(text: str) -> SpokenLength:
    """Chinese is read at about 4 characters a second, English at about 2.5 words a second.

    Emoji and punctuation are not spoken; a Chinese script with a Latin brand name in it gets
    both rates, each for its own part.
    """
    cjk = sum(map(_is_cjk, text))
    words = len(_WORD.findall("".join(" " if _is_cjk(c) else c for c in text)))
    seconds = cjk / CJK_PER_SECOND + words / WORDS_PER_SECOND
    return SpokenLength(round(seconds, 1), cjk, words)


def spoken_budget(duration_s: float | None) -> float | None:
    """The longest a CTA may take to say in a video of `duration_s` seconds (None: no duration known)."""
    if duration_s is None:
        return None
    return round(max(MIN_BUDGET_S, BUDGET_SHARE * float(duration_s)), 1)
