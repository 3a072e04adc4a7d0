"""Running a stage's rules over many facts: one compiled program and evaluator per content form.

Levels resolve to different thresholds per form, so each form present in a batch gets its own
compiled Program (and, with the durable engine, its own rulesets). Evaluators are closed when
the run ends, which frees durable's rulesets.

Typical-mode levels (advisor.model.levels) are judged per video, and over a whole batch at once
(false-discovery control needs every claim of the batch): `prepare(facts)` does that before
the facts are evaluated; a fact evaluated without it is judged on its own.
"""

from __future__ import annotations

import gc
import sys
from contextlib import contextmanager

from advisor.core.errors import AdvisorError, Problem
from advisor.core.i18n import T, detect_lang
from advisor.engine import EngineLimitError, make_evaluator
from advisor.engine.reference import ReferenceEvaluator
from advisor.engine.compiler import Compiled, compile_rules
from advisor.engine.explain import Finding, Miss, explain
from advisor.input.ruleset import RuleSet
from advisor.model.levels import JUDGEMENTS, UNSET, Baseline, Threshold, judge, typical_thresholds
from advisor.model.rules_model import MetricCondition, leaf_conditions


class StageRunner:
    """Evaluates one stage's active rules; use as a context manager."""

    def __init__(self, ruleset: RuleSet, stage: str, *, baseline: Baseline | None = None, engine: str | None = None,
                 extra_levels=(), small: bool = False):
        """extra_levels: (metric, level) pairs to judge besides those the rules test (the review's
        summary places videos by like and heart levels), in the same false-discovery family, so a
        card and the summary never disagree about a video. small: judge with the pure-Python beta
        functions (a small review: advisor.model.levels.judge)."""
        self.small = small
        self.ruleset = ruleset
        self.stage = stage
        self.baseline = baseline
        self.engine = engine
        self.loaded = ruleset.active(stage)
        self.origins = {r.id: r.origin for r in self.loaded}
        self._by_form: dict[str | None, tuple[Compiled, object]] = {}
        # The (metric, level) pairs the active rules test: only those are judged.
        self._levelled = sorted({(c.metric, c.level) for r in self.loaded for _, c in leaf_conditions(r.rule.when)
                                 if isinstance(c, MetricCondition) and c.level is not None}
                                | {(m, lv) for m, lv in extra_levels
                                   if m in ruleset.levels.metrics and lv in ruleset.levels.metrics[m]})
        self._typicals: dict[str | None, list[Threshold]] = {}
        self._notices: set = set()

    def _for_form(self, form: str | None):
        if form not in self._by_form:
            compiled = compile_rules([r.rule for r in self.loaded], self.ruleset.levels, self.baseline, form,
                                     name=f"advisor-{self.stage}-{form or 'default'}")
            try:
                evaluator = make_evaluator(compiled.program, self.engine)
            except EngineLimitError as exc:
                if self.engine is not None:  # durable asked for by name: a located error
                    raise self.locate(exc) from None
                # The default engine: durable cannot hold this rule set, the reference evaluator
                # (the oracle durable is tested against) runs it, and the person is told once.
                evaluator = ReferenceEvaluator(compiled.program)
                _notice(T(zh=f"规则 {', '.join(exc.rule_ids)} 超出 durable_rules 引擎的限制,"
                             f"{self.stage} 阶段改用 Python 参考引擎运行(结果相同)",
                          en=f"rule(s) {', '.join(exc.rule_ids)} exceed a limit of the durable_rules engine; "
                             f"the {self.stage} stage runs on the Python reference evaluator (same results)"),
                        self._notices)
            self._by_form[form] = (compiled, evaluator)
        return self._by_form[form]

    def locate(self, exc: EngineLimitError) -> AdvisorError:
        """The engine's limit error at each rule's place in its file."""
        by_id = {r.id: r for r in self.loaded}
        problems = []
        for rule_id in exc.rule_ids or [None]:
            loaded = by_id.get(rule_id)
            for p in exc.problems:
                problems.append(loaded.problem(p.message, ("when",)) if loaded is not None else p)
        return AdvisorError(list(dict.fromkeys(problems)))

    def typicals(self, form: str | None) -> list[Threshold]:
        """The typical-mode thresholds for videos of `form` (the account's typical ranges)."""
        if form not in self._typicals:
            self._typicals[form] = typical_thresholds(self.ruleset.levels, self._levelled, form, self.baseline)
        return self._typicals[form]

    def prepare(self, facts: list[dict], *, cutoff=UNSET, tails=None) -> None:
        """Judge the typical-mode levels of a whole batch together (see advisor.model.levels.judge);
        cutoff: the false-discovery cutoff of a larger batch these facts are a chunk of; tails:
        their tail probabilities, computed on the way to that cutoff (judge's `tails`)."""
        if self._levelled:
            with _collector_paused():
                judge(facts, lambda fact: self.typicals(fact.get("form")), cutoff=cutoff, small=self.small,
                      tails=tails)

    def fired(self, fact: dict) -> tuple[Compiled, list[str]]:
        if JUDGEMENTS not in fact:
            self.prepare([fact])
        compiled, evaluator = self._for_form(fact.get("form"))
        return compiled, evaluator.evaluate(fact)

    def run(self, fact: dict, *, with_misses: bool = False) -> tuple[list[str], list[Finding], list[Miss]]:
        compiled, fired = self.fired(fact)
        findings, misses = explain(compiled, fired, fact, origins=self.origins, with_misses=with_misses)
        return fired, findings, misses

    def close(self) -> None:
        for _, evaluator in self._by_form.values():
            evaluator.close()
        self._by_form.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@contextmanager
def _collector_paused():
    """No cyclic garbage collection inside: judging a batch allocates a few objects per video and
    metric, all kept, and the collector kept walking the batch's facts and verdicts for nothing
    (about a third of the time of judging 10,000 videos, measured; it finds next to no cycles).
    Reference counting still frees what is dropped. A collector already paused stays paused."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _notice(message: T, seen: set) -> None:
    """One line on standard error, once per message per run."""
    text = message.get(detect_lang())
    if text not in seen:
        seen.add(text)
        print(text, file=sys.stderr)
