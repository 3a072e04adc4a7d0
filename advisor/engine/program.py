"""The compiled form of a rule set: what both engines evaluate.

Rules in YAML (advisor.model.rules_model) are validated, then compiled (advisor.engine.compiler) into a
Program: levels are already resolved into numeric thresholds for one content form and one
account baseline, text conditions are already turned into boolean features, and the rules are
split into strata so that a rule matching a signal runs after every rule that can derive it.

Semantics (both engines must agree, by test):
- A leaf compares one fact field with a constant. A missing field makes the leaf *unknown*;
  `exists` / `missing` are never unknown.
- all / any / not follow Kleene's three-valued logic; a rule fires only when its condition is
  *true*. So a rule that needs a missing value does not fire, and `not` of unknown is unknown.
- Every rule whose condition is true fires exactly once per video.
- Stratum k sees the signals derived by strata < k as boolean fields `sig:<name>`, always
  present (true or false), so a negated signal is never unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Union

from advisor.core import regex

Scalar = Union[int, float, str, bool]

COMPARE_OPS = ("<", "<=", ">", ">=", "==", "!=")
PRESENCE_OPS = ("exists", "missing")


@dataclass(frozen=True)
class Leaf:
    field: str
    op: str  # one of COMPARE_OPS or PRESENCE_OPS
    value: Scalar | None = None  # None for presence ops
    ref: int = -1  # which source condition of the rule this leaf comes from (for explanations)


@dataclass(frozen=True)
class All:
    children: tuple["Node", ...]


@dataclass(frozen=True)
class Any:
    children: tuple["Node", ...]


@dataclass(frozen=True)
class Not:
    child: "Node"


Node = Union[Leaf, All, Any, Not]


@dataclass(frozen=True)
class CompiledRule:
    id: str
    priority: int  # 0 = high, 1 = medium, 2 = low; lower fires first
    when: Node
    derives: tuple[str, ...] = ()  # signals this rule sets when it fires
    order: int = 0  # position in the loaded rule set, the tie-breaker after priority


# Where one sentence ends: 。 ! ? (full-width or not), semicolons and line breaks always; . and …
# only before a space or the end (so "3.5" and "e.g." inside a clause do not split it).
SENTENCE_END = re.compile(r"[。!?!?;;\n]|[.!?…](\s|$)")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, in order; empty stretches are left out."""
    out, start = [], 0
    for m in SENTENCE_END.finditer(text):
        if text[start:m.start()].strip():
            out.append((start, m.start()))
        start = m.end()
    if text[start:].strip():
        out.append((start, len(text)))
    return out


def _finditer(patterns: tuple[str, ...], text: str, pos: int, endpos: int) -> list[tuple[int, int]]:
    chunk = text[pos:endpos]
    return [(pos + m.start(), pos + m.end()) for p in patterns for m in regex.finditer(p, chunk)
            if m.end() > m.start()]


@dataclass(frozen=True)
class TextFeature:
    """A text condition, computed in Python before the engines run.

    durable_rules' own regex dialect differs from Python's (no Unicode classes, no case folding of
    Chinese, whole-string matching), so patterns written by operators are matched here, once,
    and the engines see the boolean result under `field`. A missing source text leaves the
    feature missing, so the condition is unknown, as any other condition on a missing value.

    With `same_sentence` patterns the feature holds when one sentence of the text has a match of
    `patterns` and a match of `same_sentence` (they may overlap: "没人点赞我就断更" is one threat
    around its request), and no match of `unless`: "an engagement request and a pressure device
    in the same sentence".
    """

    field: str  # e.g. "txt:3"
    source: str  # the fact field holding the text
    patterns: tuple[str, ...]  # compiled by RE2 (advisor.core.regex), case-insensitive
    mode: str = "any"  # any: one pattern matches; all: every pattern matches
    same_sentence: tuple[str, ...] = ()  # regular expressions that must match in the same sentence
    unless: tuple[str, ...] = ()  # regular expressions that disqualify a sentence

    def compute(self, fact: dict) -> bool | None:
        text = fact.get(self.source)
        if not isinstance(text, str):
            return None
        if self.same_sentence:
            return bool(self.sentence_spans(text))
        hits = [regex.search(p, text) is not None for p in self.patterns]
        return all(hits) if self.mode == "all" else any(hits)

    def sentence_matches(self, text: str) -> list[list[tuple[int, int]]]:
        """Per qualifying sentence, every match of `patterns` and of `same_sentence` in it, as
        (start, end) spans of `text` in text order: what made the feature hold, to report."""
        out: list[list[tuple[int, int]]] = []
        for start, end in sentences(text):
            if self.unless and _finditer(self.unless, text, start, end):
                continue
            cues = _finditer(self.patterns, text, start, end)
            if not cues:
                continue
            others = _finditer(self.same_sentence, text, start, end)
            if others:
                out.append(sorted(set(cues + others)))
        return out

    def sentence_spans(self, text: str) -> list[tuple[int, int]]:
        """Every span of `sentence_matches`, flattened."""
        return [span for spans in self.sentence_matches(text) for span in spans]


@dataclass(frozen=True)
class Program:
    """Rules grouped into strata; each stratum is evaluated after the ones before it."""

    strata: tuple[tuple[CompiledRule, ...], ...]
    signals: tuple[str, ...] = ()
    features: tuple[TextFeature, ...] = ()
    name: str = "advisor"
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    def rules(self):
        for stratum in self.strata:
            yield from stratum

    def prepare(self, fact: dict) -> dict:
        """The fact with the text features added (a copy when there are any)."""
        if not self.features:
            return fact
        out = dict(fact)
        for feature in self.features:
            value = feature.compute(fact)
            if value is not None:
                out[feature.field] = value
        return out


def signal_field(name: str) -> str:
    return f"sig:{name}"


def leaves(node: Node):
    if isinstance(node, Leaf):
        yield node
    elif isinstance(node, Not):
        yield from leaves(node.child)
    else:
        for child in node.children:
            yield from leaves(child)
