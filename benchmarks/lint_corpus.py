"""Precision and recall of the H13 inducement lint (`advisor cta check`) on the labelled corpus.

    python benchmarks/lint_corpus.py                 # both languages, shipped rules
    python benchmarks/lint_corpus.py --lang zh --engine durable

The corpus (tests/fixtures/lint_corpus/{zh,en}.yaml) maps each device rule id, and `natural`, to
hand-written CTA lines. Within each key, lines at even positions are the dev split (used while
writing the cue patterns), odd positions are held out. A line counts as flagged when any cta rule
reports it (what a creator sees); a flagged manipulative line is a true positive, a flagged
natural line a false positive. Per device, "device hit" counts the manipulative lines of that
device that its own rule reported.

Prints, per language and split: precision, recall, the per-device confusion (which rules reported
each device's lines) and every false positive and false negative. Figures are printed, never
asserted here; tests/test_lint_corpus.py asserts the goals (>= 95% on the whole corpus, a floor on
the held-out split).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from dataclasses import dataclass, field

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

import yaml  # noqa: E402

from advisor.input.ruleset import load_ruleset  # noqa: E402
from advisor.jobs.cta_check import CtaChecker  # noqa: E402

CORPUS_DIR = os.path.join(ROOT, "tests", "fixtures", "lint_corpus")
NATURAL = "natural"
SPLITS = ("dev", "held-out")


@dataclass(frozen=True)
class Line:
    text: str
    label: str  # a device rule id, or "natural"
    split: str  # dev | held-out


def load_corpus(lang: str) -> list[Line]:
    with open(os.path.join(CORPUS_DIR, f"{lang}.yaml"), encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return [Line(text, label, SPLITS[i % 2]) for label, texts in data.items() for i, text in enumerate(texts)]


@dataclass
class Outcome:
    line: Line
    fired: list[str]  # rule ids that reported the line
    matched: dict[str, str]  # rule id -> the matched words


@dataclass
class Score:
    outcomes: list[Outcome] = field(default_factory=list)

    def _count(self):
        tp = sum(1 for o in self.outcomes if o.line.label != NATURAL and o.fired)
        fp = sum(1 for o in self.outcomes if o.line.label == NATURAL and o.fired)
        fn = sum(1 for o in self.outcomes if o.line.label != NATURAL and not o.fired)
        return tp, fp, fn

    @property
    def precision(self) -> float:
        tp, fp, _ = self._count()
        return tp / (tp + fp) if tp + fp else 1.0

    @property
    def recall(self) -> float:
        tp, _, fn = self._count()
        return tp / (tp + fn) if tp + fn else 1.0

    @property
    def device_hit(self) -> float:
        """Share of manipulative lines that their own device rule reported."""
        manip = [o for o in self.outcomes if o.line.label != NATURAL]
        return sum(o.line.label in o.fired for o in manip) / len(manip) if manip else 1.0

    def split(self, name: str | None) -> "Score":
        return Score([o for o in self.outcomes if name is None or o.line.split == name])

    def false_positives(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.line.label == NATURAL and o.fired]

    def false_negatives(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.line.label != NATURAL and not o.fired]

    def confusion(self) -> dict[str, Counter]:
        """device label -> Counter of the rules that reported its lines ('(none)' when clean)."""
        out: dict[str, Counter] = {}
        for o in self.outcomes:
            counter = out.setdefault(o.line.label, Counter())
            counter.update(o.fired or ["(none)"])
        return out


def score(lang: str, ruleset=None, engine: str | None = None) -> Score:
    ruleset = ruleset if ruleset is not None else load_ruleset()
    result = Score()
    with CtaChecker(ruleset, engine=engine) as checker:
        for line in load_corpus(lang):
            checked = checker.check(line.text)
            result.outcomes.append(Outcome(line, [f.rule_id for f in checked.findings],
                                           {f.rule_id: f.matched for f in checked.findings}))
    return result


def pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def report(lang: str, result: Score) -> None:
    print(f"== {lang} ({len(result.outcomes)} lines)")
    for name in (*SPLITS, None):
        part = result.split(name)
        print(f"  {name or 'all':9s} n={len(part.outcomes):3d}  precision {pct(part.precision)}  "
              f"recall {pct(part.recall)}  device hit {pct(part.device_hit)}")
    print("  per device (rules that reported its lines):")
    for label, counter in sorted(result.confusion().items()):
        shown = ", ".join(f"{rule} {n}" for rule, n in counter.most_common())
        print(f"    {label:22s} {shown}")
    for title, items in (("false positives", result.false_positives()), ("false negatives", result.false_negatives())):
        print(f"  {title}: {len(items)}")
        for o in items:
            why = "; ".join(f"{rule}: {words}" for rule, words in o.matched.items())
            print(f"    [{o.line.split}] {o.line.label}: {o.line.text}" + (f"  <- {why}" if why else ""))
    wrong = [o for o in result.outcomes if o.line.label != NATURAL and o.fired and o.line.label not in o.fired]
    print(f"  caught under another device: {len(wrong)}")
    for o in wrong:
        print(f"    [{o.line.split}] {o.line.label} -> {', '.join(o.fired)}: {o.line.text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", choices=["zh", "en"], action="append", help="a language (default: both)")
    parser.add_argument("--engine", default="python", help="python (reference) or durable")
    args = parser.parse_args()
    ruleset = load_ruleset()
    for lang in args.lang or ["zh", "en"]:
        report(lang, score(lang, ruleset, args.engine))


if __name__ == "__main__":
    main()
