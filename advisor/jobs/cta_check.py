"""The H13 lint: does a call to action induce likes, shares or follows by manipulation?

The lint is compositional (rules/cta.yaml): one rule per device - threat, superstition, shaming,
reward, absolute demand, bandwagon, content gating - whose text condition pairs the device's cues
with an engagement request in the same sentence (`same_sentence`, advisor.engine.program.TextFeature).

check_text() is the library function behind `advisor cta check`; the checklist runs it on a
plan's cta_text, and the tests run it on every CTA that advisor.jobs.cta generates. The patterns are
not here: they are the cta-stage rules (rules/cta.yaml, text conditions on the fact `text`), so
operators add a phrase by editing YAML. Each finding names its rule, H13, the words that matched
and a suggested rewrite (the rule's `then.suggestion`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.core import regex
from advisor.core.errors import AdvisorError, Problem
from advisor.engine.evaluate import StageRunner
from advisor.engine.explain import Finding, explain
from advisor.core.i18n import Lang, T
from advisor.model.plan import CTA_FIELDS
from advisor.input.sources import decode_utf8, read_bytes

MAX_TEXT_CHARS = 10_000  # a CTA is a few sentences; a whole script is fine, a novel is not
MAX_FILE_BYTES = 100_000


def matched_words(finding: Finding, text: str) -> list[str]:
    """Every phrase of `text` that one of the rule's true text conditions matched, in text order.

    advisor.engine.explain keeps the first match per condition; an operator fixing the CTA needs all of
    them ("抽奖" and "红包"), and overlapping matches are merged into one phrase. A same-sentence
    condition contributes, per sentence that has both, its device cues and engagement requests.
    """
    spans: list[tuple[int, int]] = []
    for outcome in finding.conditions:
        src = outcome.source
        if not outcome.result or not src.patterns or src.under_not or src.metric != "text":
            continue
        if src.feature is not None and src.feature.same_sentence:
            # the device cues and engagement requests of every sentence that has both
            spans.extend(src.feature.sentence_spans(text))
            continue
        for pattern in src.patterns:
            spans.extend(regex.hit_span(m) for m in regex.finditer(pattern, text) if regex.hit_text(m).strip())
    merged: list[list[int]] = []
    for start, end in sorted(spans):  # overlapping matches are one phrase
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[str] = []
    for start, end in merged:
        phrase = text[start:end].strip()
        if phrase not in out:
            out.append(phrase)
    return out


@dataclass
class CtaFinding:
    """One cta-stage rule that fired on a text."""

    finding: Finding
    text: str
    words: list[str] = field(default_factory=list)

    @property
    def rule_id(self) -> str:
        return self.finding.rule_id

    @property
    def heuristics(self) -> list[str]:
        return list(self.finding.rule.heuristics)

    @property
    def matched(self) -> str:
        return ", ".join(self.words)

    def _fact(self) -> dict:
        return {"text": self.text}

    def title(self, lang: Lang) -> str:
        return self.finding.render("title", self._fact(), CTA_FIELDS, lang) or self.rule_id

    def explanation(self, lang: Lang) -> str:
        then = self.finding.rule.then
        return self.finding.render("explain", self._fact(), CTA_FIELDS, lang) if then.explain else ""

    def suggestion(self, lang: Lang) -> str | None:
        return self.finding.render("suggestion", self._fact(), CTA_FIELDS, lang)

    def actions(self, lang: Lang) -> list[str]:
        return self.finding.render("actions", self._fact(), CTA_FIELDS, lang) or []

    def to_json(self, lang: Lang) -> dict:
        return {
            "rule_id": self.rule_id,
            "heuristics": self.heuristics,
            "matched": self.matched,
            "suggestion": self.suggestion(lang),
            "matched_words": list(self.words),
            "title": self.title(lang),
            "explanation": self.explanation(lang),
            "actions": self.actions(lang),
            "priority": self.finding.rule.priority,
            "origin": self.finding.origin,
        }


@dataclass
class CheckResult:
    text: str
    findings: list[CtaFinding]
    source: str | None = None  # the file the text came from, if any

    @property
    def clean(self) -> bool:
        return not self.findings

    def to_json(self, lang: Lang) -> dict:
        out = {"findings": [f.to_json(lang) for f in self.findings], "clean": self.clean, "text": self.text}
        if self.source:
            out["file"] = self.source
        return out


def validate_text(text, *, file: str | None = None) -> str:
    """The text to check, or AdvisorError saying what is wrong with it."""
    if not isinstance(text, str) or not text.strip():
        raise AdvisorError([Problem(T(zh="号召文案是空的:给出要检查的文字", en="the CTA text is empty: give the text to check"),
                                    file=file, field="text")])
    if len(text) > MAX_TEXT_CHARS:
        raise AdvisorError([Problem(T(zh=f"号召文案太长(上限 {MAX_TEXT_CHARS} 个字符)",
                                      en=f"the CTA text is too long (limit {MAX_TEXT_CHARS} characters)"),
                                    file=file, field="text")])
    return text


def read_text_file(path: str) -> tuple[str, str]:
    """(text, name) of a CTA in a UTF-8 text file ('-' reads standard input); located problems otherwise."""
    data, name = read_bytes(path, max_bytes=MAX_FILE_BYTES)
    text = decode_utf8(data, name, T(zh="文件须为 UTF-8 编码的文字", en="the file must be UTF-8 text"))
    if "\x00" in text:
        raise AdvisorError([Problem(T(zh="这不是文字文件", en="this is not a text file"), file=name)])
    return validate_text(text, file=name), name


class CtaChecker:
    """Checks many texts with one compiled rule set; use as a context manager."""

    def __init__(self, ruleset, *, engine: str | None = None):
        self.ruleset = ruleset
        self.runner = StageRunner(ruleset, "cta", engine=engine)

    def check(self, text: str, *, source: str | None = None) -> CheckResult:
        text = validate_text(text, file=source)
        fact = {"text": text}
        compiled, fired = self.runner.fired(fact)
        findings, _ = explain(compiled, fired, fact, origins=self.runner.origins)
        return CheckResult(text, [CtaFinding(f, text, matched_words(f, text)) for f in findings], source)

    def close(self) -> None:
        self.runner.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def check_text(text: str, ruleset, *, engine: str | None = None, source: str | None = None) -> CheckResult:
    """Lint one CTA text against the cta-stage rules (shipped ones when `ruleset` is None)."""
    with CtaChecker(ruleset, engine=engine) as checker:
        return checker.check(text, source=source)
