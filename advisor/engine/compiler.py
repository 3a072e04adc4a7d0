"""Compiling validated rules into the engines' Program, for one content form and one baseline.

Levels become numeric thresholds (per form, from the account's history or the absolute
defaults), `in` lists become `any` of equalities, text conditions become precomputed boolean
features, signal conditions become boolean fields, and rules are split into strata so that a
rule matching a signal is evaluated after every rule that can derive it.

The compiled program keeps, per rule, each source condition with its resolved threshold, so
explanations can report the value, the threshold and where the threshold came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.core import regex
from advisor.engine.program import All, Any, CompiledRule, Leaf, Node, Not, Program, TextFeature, signal_field
from advisor.model.levels import Baseline, Levels, Threshold, resolve
from advisor.model.rules_model import (PRIORITY_RANK, AllCondition, AnyCondition, MetricCondition, NotCondition, Rule,
                          SignalCondition)
from advisor.model.strata import referenced_signals, stratify


@dataclass(frozen=True)
class SourceCondition:
    """One metric or signal condition of a rule, as written, with what it compiled to."""

    ref: int
    path: tuple  # key path inside the rule, e.g. ("when", "all", 0)
    metric: str | None  # None for a signal condition
    op: str  # the comparison as shown to people: >=, <, ==, in, contains, signal, ...
    value: object  # the constant compared with (the resolved threshold for a level)
    node: Node  # the IR of this condition alone, for evaluating it in explanations
    threshold: Threshold | None = None  # set for level conditions
    level: str | None = None
    signal: str | None = None
    patterns: tuple[str, ...] = ()  # text conditions: the regular expressions
    feature: TextFeature | None = None  # text conditions: the precomputed feature (spans for explanations)
    note: object = None  # the condition's note (a T), if any
    stage: str = "review"  # the rule's stage: whose field labels and value kinds explain the metric

    @property
    def under_not(self) -> bool:
        """Whether it sits under an odd number of `not`s, so the rule needs it false."""
        return self.path.count("not") % 2 == 1


@dataclass
class CompiledRuleInfo:
    rule: Rule
    conditions: list[SourceCondition] = field(default_factory=list)


class _RuleCompiler:
    def __init__(self, levels: Levels, baseline: Baseline | None, form: str | None, features: list[TextFeature],
                 stage: str = "review"):
        self.levels = levels
        self.stage = stage
        self.baseline = baseline
        self.form = form
        self.features = features
        self.sources: list[SourceCondition] = []
        self.path: tuple = ("when",)

    def compile(self, cond, path) -> Node:
        if isinstance(cond, AllCondition):
            return All(tuple(self.compile(c, path + ("all", i)) for i, c in enumerate(cond.all)))
        if isinstance(cond, AnyCondition):
            return Any(tuple(self.compile(c, path + ("any", i)) for i, c in enumerate(cond.any)))
        if isinstance(cond, NotCondition):
            return Not(self.compile(cond.not_, path + ("not",)))
        ref = len(self.sources)
        if isinstance(cond, SignalCondition):
            node = Leaf(signal_field(cond.signal), "==", True, ref)
            self.sources.append(SourceCondition(ref, path, None, "signal", True, node, signal=cond.signal,
                                                note=cond.note, stage=self.stage))
            return node
        return self._metric(cond, path, ref)

    def _metric(self, cond: MetricCondition, path, ref: int) -> Node:
        metric = cond.metric
        if cond.level is not None:
            th = resolve(self.levels, metric, cond.level, self.form, self.baseline)
            # A typical-mode level is decided per video (it depends on the video's views) before
            # evaluation (advisor.model.levels.judge); the rule tests that verdict.
            node = Leaf(th.feature, "==", True, ref) if th.kind == "typical" else Leaf(metric, th.op, th.value, ref)
            self.sources.append(SourceCondition(ref, path, metric, th.op, th.value, node, threshold=th,
                                                level=cond.level, note=cond.note, stage=self.stage))
            return node
        op = cond.op
        patterns: tuple[str, ...] = ()
        feature: TextFeature | None = None
        if op in ("exists", "missing"):
            node: Node = Leaf(metric, op, None, ref)
        elif op == "in":
            node = Any(tuple(Leaf(metric, "==", v, ref) for v in cond.values()))
        elif op == "not_in":
            node = All(tuple(Leaf(metric, "!=", v, ref) for v in cond.values()))
        elif op in ("contains", "matches"):
            def as_patterns(values):
                return tuple(regex.literal(v) if op == "contains" else v for v in values or ())

            patterns = as_patterns(cond.values())
            feature = TextFeature(f"txt:{len(self.features)}", metric, patterns,
                                  same_sentence=as_patterns(cond.same_sentence), unless=as_patterns(cond.unless))
            self.features.append(feature)
            node = Leaf(feature.field, "==", True, ref)
        else:
            node = Leaf(metric, op, cond.value, ref)
        self.sources.append(SourceCondition(ref, path, metric, op, cond.value, node, patterns=patterns,
                                            note=cond.note, stage=self.stage, feature=feature))
        return node


@dataclass
class Compiled:
    """A Program plus what explanations need to speak about it."""

    program: Program
    info: dict[str, CompiledRuleInfo]
    form: str | None


def compile_rules(rules: list[Rule], levels: Levels, baseline: Baseline | None = None,
                  form: str | None = None, name: str = "advisor") -> Compiled:
    """Compile enabled rules of one stage for videos of `form` against `baseline`."""
    rules = [r for r in rules if r.enabled]
    order = {r.id: i for i, r in enumerate(rules)}
    features: list[TextFeature] = []
    info: dict[str, CompiledRuleInfo] = {}
    strata = []
    for stratum in stratify(rules):
        compiled = []
        for rule in stratum:
            rc = _RuleCompiler(levels, baseline, form, features, rule.stage)
            node = rc.compile(rule.when, ("when",))
            info[rule.id] = CompiledRuleInfo(rule, rc.sources)
            compiled.append(CompiledRule(rule.id, PRIORITY_RANK[rule.priority], node,
                                         (rule.then.signal,) if rule.then.signal else (), order[rule.id]))
        strata.append(tuple(compiled))
    # A signal that no enabled rule derives (its rule was switched off) is simply never set:
    # listing it keeps it present as false, so `not: {signal: ...}` still means something.
    signals = tuple(sorted({r.then.signal for r in rules if r.then.signal}
                           | set().union(*(referenced_signals(r.when) for r in rules))))
    program = Program(tuple(strata), signals, tuple(features), name=name)
    return Compiled(program, info, form)
