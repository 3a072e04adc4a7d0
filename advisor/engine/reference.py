"""The pure-Python reference evaluator: the semantics of advisor.engine.program, written plainly.

It is the oracle the durable_rules engine is tested against, the engine used where durable
cannot be imported (Python 3.13+), and the source of every explanation's condition values.
"""

from __future__ import annotations

import operator

from advisor.engine.program import All, Any, CompiledRule, Leaf, Node, Not, Program, signal_field

UNKNOWN = None  # the third truth value

_COMPARE = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


def eval_leaf(leaf: Leaf, fact: dict) -> bool | None:
    present = leaf.field in fact and fact[leaf.field] is not None
    if leaf.op == "exists":
        return present
    if leaf.op == "missing":
        return not present
    if not present:
        return UNKNOWN
    value = fact[leaf.field]
    # Compare like with like: a string never equals or orders against a number (the compiler
    # guarantees the types match; this keeps the oracle honest if they ever do not).
    if isinstance(value, bool) != isinstance(leaf.value, bool):
        return False if leaf.op != "!=" else True
    if isinstance(value, str) != isinstance(leaf.value, str):
        return False if leaf.op != "!=" else True
    return _COMPARE[leaf.op](value, leaf.value)


def eval_node(node: Node, fact: dict) -> bool | None:
    """Kleene three-valued logic: True, False or None (unknown)."""
    if isinstance(node, Leaf):
        return eval_leaf(node, fact)
    if isinstance(node, Not):
        inner = eval_node(node.child, fact)
        return UNKNOWN if inner is UNKNOWN else not inner
    results = [eval_node(child, fact) for child in node.children]
    if isinstance(node, All):
        if any(r is False for r in results):
            return False
        return UNKNOWN if any(r is UNKNOWN for r in results) else True
    if isinstance(node, Any):
        if any(r is True for r in results):
            return True
        return UNKNOWN if any(r is UNKNOWN for r in results) else False
    raise TypeError(f"not a condition node: {node!r}")


def firing_order(rules) -> list[CompiledRule]:
    return sorted(rules, key=lambda r: (r.priority, r.order))


class ReferenceEvaluator:
    """Evaluates a Program against one fact at a time. Stateless between facts."""

    name = "python"

    def __init__(self, program: Program):
        self.program = program
        self._strata = [firing_order(s) for s in program.strata]

    def evaluate(self, fact: dict) -> list[str]:
        """Ids of the rules that fire, in firing order (stratum, then priority, then order)."""
        return run_strata(self._strata, self.program.signals, self.program.prepare(fact))

    def close(self) -> None:
        pass


def run_strata(strata, signals, fact: dict) -> list[str]:
    """The semantics of a program's strata over a prepared fact (text features already there):
    stratum k sees the signals derived before it as `sig:` fields, always present."""
    fired: list[str] = []
    derived: set[str] = set()
    current = dict(fact)
    for stratum in strata:
        for name in signals:
            current[signal_field(name)] = name in derived
        for rule in stratum:
            if eval_node(rule.when, current) is True:
                fired.append(rule.id)
                derived.update(rule.derives)
    return fired
