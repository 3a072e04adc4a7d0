"""Signal strata: the order in which rules that derive signals must run.

A rule may set a signal (`then: {signal: x}`) that other rules test (`when: {signal: x}`);
stratify() groups the rules so each signal is derived before it is matched. It is part of the
model because a rule set with a cycle of signals is not a valid rule set (advisor.model.semantics
reports it), and the compiler (advisor.engine.compiler) evaluates the strata in order.
"""

from __future__ import annotations

from advisor.model.rules_model import AllCondition, AnyCondition, NotCondition, Rule, SignalCondition


class StratifyError(Exception):
    def __init__(self, rule_ids: list[str]):
        super().__init__(", ".join(rule_ids))
        self.rule_ids = rule_ids


def referenced_signals(cond) -> set[str]:
    if isinstance(cond, SignalCondition):
        return {cond.signal}
    if isinstance(cond, (AllCondition, AnyCondition)):
        children = cond.all if isinstance(cond, AllCondition) else cond.any
        return set().union(*(referenced_signals(c) for c in children))
    if isinstance(cond, NotCondition):
        return referenced_signals(cond.not_)
    return set()


def stratify(rules: list[Rule]) -> list[list[Rule]]:
    """Rules grouped so every signal is derived in an earlier stratum than where it is matched.

    Raises StratifyError naming the rules on a cycle (a signal that, through other rules,
    depends on itself), since no evaluation order could honour it.
    """
    derivers: dict[str, list[Rule]] = {}
    for rule in rules:
        if rule.then.signal:
            derivers.setdefault(rule.then.signal, []).append(rule)
    level: dict[str, int] = {}
    visiting: set[str] = set()

    def depth(rule: Rule, chain: list[str]) -> int:
        if rule.id in level:
            return level[rule.id]
        if rule.id in visiting:
            raise StratifyError(chain[chain.index(rule.id):] + [rule.id])
        visiting.add(rule.id)
        d = 0
        for sig in sorted(referenced_signals(rule.when)):
            for dep in derivers.get(sig, []):
                d = max(d, depth(dep, chain + [rule.id]) + 1)
        visiting.discard(rule.id)
        level[rule.id] = d
        return d

    for rule in rules:
        depth(rule, [])
    strata: list[list[Rule]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for rule in rules:
        strata[level[rule.id]].append(rule)
    return strata
