"""durable_rules' limits, a model of its matching network to check them, and rule splitting.

durable_rules 2.0.28 fails on rule sets past fixed-size tables in its C code, and not always
with an error: past some limits `assert_fact` or `create_ruleset` hangs holding the GIL, or the
process segfaults (the measured limits are listed below). So every ruleset the evaluator (advisor.engine.durable) builds is checked here first,
on engine expressions (advisor.engine.durable_expr), and rules are split and packed until each
ruleset meets every limit; what cannot be made to fit is rejected with an AdvisorError naming
the rules, before the engine sees anything.

Limits (measured on 2.0.28, each checked at compile time; see `_Network`)
------------------------------------------------------------------------
- The matcher walks the alpha network with a fixed stack of 64 nodes: more than 64 pending
  matches gives error 303 at assert time (65 sibling conditions that all match a fact). The bound
  is computed on the network assuming every condition matches. The same bound keeps a node
  under durable's 512-slot child table (512 siblings: assert hangs holding the GIL; 513:
  create_ruleset hangs) and its 128-slot `$nex`/`$or` list (error 107).
- 255 rules may end on the same alpha node; 256 segfault (the 256-slot list loses its
  terminator), 257 give error 108.
- At most 15 `$and`/`$or` operators in one rule (32-slot expression sequence, error 113).
- At most 254 properties in a fact, `sid` and `id` included (error 302).
- At most 4,096 rules in one ruleset (error 106).
Rules are packed into as many rulesets per stratum as needed (`_pack`); a rule too large on its
own is split along its `any` branches (`_split`; the pieces fire the same rule id). One guard is
ours, not the engine's: overlapping `any` branches multiply the actions a rule delivers (one
per matching path), and the engine slows down superlinearly (512 paths: 0.6 ms per video; 4,096:
34 ms), so a rule may have at most 1,024 paths (`_check_paths`).
"""

from __future__ import annotations

import math

from advisor.core.errors import AdvisorError, Problem
from advisor.core.i18n import T
from advisor.engine.durable_expr import _expr_leaves, _make, _top_children

# ---- engine limits (durable_rules 2.0.28, measured: see the module docstring) ------------------
# Read at each check, so a test can raise one (monkeypatch this module) to let the engine fail.

MAX_STACK = 64  # alpha-network walk stack; 65 pending matches -> error 303
MAX_RULES_PER_NODE = 255  # rules ending on one alpha node; 256 segfault, 257 -> error 108
MAX_BOOL_OPS = 15  # $and/$or operators per rule; 16 -> error 113
MAX_FACT_PROPERTIES = 254  # properties of one fact, sid and id included; 255 -> error 302
MAX_RULES_PER_RULESET = 4096  # error 106 beyond
# Not engine limits: guards so that one rule cannot make every video slow.
MAX_PATHS_PER_RULE = 1024  # ways one rule can be reached (one action each when branches overlap)
MAX_PIECES_PER_RULE = 256  # pieces a rule may be split into to fit the limits above


def _bool_ops(expr: tuple) -> int:
    """$and/$or operators of a rule, the top-level $and with the kind marker included."""
    def count(e):
        if e[0] in ("and", "or"):
            return 1 + sum(count(k) for k in e[1])
        return 0
    return 1 + (count(expr) - (1 if expr[0] == "and" else 0))


def _paths(expr: tuple) -> int:
    """Ways the engine can reach the rule for one fact (each path that matches is one action)."""
    if expr[0] == "and":
        return math.prod(_paths(k) for k in expr[1])
    if expr[0] == "or":
        return sum(_paths(k) for k in expr[1])
    return 1


def _check_paths(expr: tuple, rule_id: str) -> None:
    """Rejects a rule with more than MAX_PATHS_PER_RULE paths (see the module docstring)."""
    paths = _paths(expr)
    if paths > MAX_PATHS_PER_RULE:
        raise _limit_error([rule_id], [T(
            zh=f"any 分支组合太多({paths} 种,最多 {MAX_PATHS_PER_RULE} 种)",
            en=f"too many combinations of any-branches ({paths}, at most {MAX_PATHS_PER_RULE})")])


# ---- a model of durable's alpha network, to check the limits before the engine sees a rule --------


class _AlphaNode:
    __slots__ = ("table", "chain", "rules")

    def __init__(self):
        self.table: dict = {}  # key -> node: conditions on present properties (512-slot table)
        self.chain: list = []  # `$nex` nodes and `$or` join nodes (128-slot list)
        self.rules = 0  # rules ending here (256-slot list)


class _Network:
    """durable's rete.c createAlpha, reproduced: which nodes are shared, and how deep the walk
    can get. Conditions are shared when the parent, property, operator and value are the same;
    an `$or` makes a fresh join node linked from the end of each branch."""

    def __init__(self):
        self.kind = _AlphaNode()  # the child of the root every video rule starts with
        self.props: set[str] = set()
        self.rules = 0

    def add(self, expr: tuple) -> list:
        """Adds one rule; returns an undo log."""
        log: list = []
        end = self._create(("and", _top_children(expr)), self.kind, log)
        end.rules += 1
        log.append(("rules", end))
        self.rules += 1
        new_props = {leaf[1] for leaf in _expr_leaves(expr)} - self.props
        self.props |= new_props
        log.append(("props", new_props))
        return log

    def undo(self, log: list) -> None:
        for entry in reversed(log):
            kind, target = entry[0], entry[1]
            if kind == "rules":
                target.rules -= 1
            elif kind == "props":
                self.props -= target
            elif kind == "table":
                del target.table[entry[2]]
            elif kind == "chain":
                target.chain.pop()
        self.rules -= 1

    def _create(self, expr: tuple, parent: _AlphaNode, log: list) -> _AlphaNode:
        tag = expr[0]
        if tag == "and":
            current = parent
            for kid in expr[1]:
                current = self._create(kid, current, log)
            return current
        if tag == "or":
            join = _AlphaNode()
            for kid in expr[1]:
                end = self._create(kid, parent, log)
                end.chain.append(join)
                log.append(("chain", end))
            return join
        _, prop, dop, code = expr
        key = (prop, dop, code)
        if dop == "$nex":
            for node in parent.chain:
                if getattr(node, "key", None) == key:
                    return node
            node = _KeyedNode(key)
            parent.chain.append(node)
            log.append(("chain", parent))
            return node
        node = parent.table.get(key)
        if node is None:
            node = parent.table[key] = _AlphaNode()
            log.append(("table", parent, key))
        return node

    def problems(self) -> list[T]:
        out: list[T] = []
        depth = _stack_depth(self.kind, {})
        if depth > MAX_STACK:
            out.append(T(
                zh=f"可能同时成立的条件太多(引擎最多同时跟踪 {MAX_STACK} 个,这里最多 {depth} 个)",
                en=f"too many conditions can hold at once (the engine tracks {MAX_STACK}, here up to {depth})"))
        crowded = _max_rules_per_node(self.kind, set())
        if crowded > MAX_RULES_PER_NODE:
            out.append(T(
                zh=f"条件完全相同的规则太多({crowded} 条,引擎最多 {MAX_RULES_PER_NODE} 条)",
                en=f"too many rules with identical conditions ({crowded}, the engine allows {MAX_RULES_PER_NODE})"))
        if len(self.props) + 3 > MAX_FACT_PROPERTIES:
            out.append(T(
                zh=f"用到的字段太多({len(self.props)} 个引擎属性,最多 {MAX_FACT_PROPERTIES - 3} 个)",
                en=f"too many fields ({len(self.props)} engine properties, at most {MAX_FACT_PROPERTIES - 3})"))
        if self.rules + 1 > MAX_RULES_PER_RULESET:
            out.append(T(zh=f"规则太多({self.rules} 条)", en=f"too many rules ({self.rules})"))
        return out


class _KeyedNode(_AlphaNode):
    __slots__ = ("key",)

    def __init__(self, key):
        super().__init__()
        self.key = key


def _stack_depth(node: _AlphaNode, memo: dict) -> int:
    """The most entries durable's walk can hold below `node` once `node` is popped.

    handleAlpha pops a node, pushes every `$nex`/join node of its chain whose property is absent
    and every table child that matches, then moves on; a node reached by two paths is pushed
    twice. Assuming every condition matches, with k children pushed the deepest point is
    max(k, k - 1 + deepest child).
    """
    key = id(node)
    if key in memo:
        return memo[key]
    kids = list(node.table.values()) + node.chain
    if not kids:
        depth = 0
    else:
        depth = max(len(kids), len(kids) - 1 + max(_stack_depth(k, memo) for k in kids))
    memo[key] = depth
    return depth


def _max_rules_per_node(node: _AlphaNode, seen: set) -> int:
    if id(node) in seen:
        return 0
    seen.add(id(node))
    best = node.rules
    for kid in list(node.table.values()) + node.chain:
        best = max(best, _max_rules_per_node(kid, seen))
    return best


# ---- splitting rules, and packing them into rulesets, to meet the limits -------------------------


def _rule_problems(expr: tuple) -> list[T]:
    """Limits a single rule (or piece of one) must meet on its own."""
    out: list[T] = []
    ops = _bool_ops(expr)
    if ops > MAX_BOOL_OPS:
        out.append(T(
            zh=f"any/all/not 嵌套太多(引擎每条规则最多 {MAX_BOOL_OPS} 组,这里 {ops} 组)",
            en=f"too many nested any/all/not groups (the engine allows {MAX_BOOL_OPS} per rule, here {ops})"))
    net = _Network()
    net.add(expr)
    out.extend(net.problems())
    return out


class EngineLimitError(AdvisorError):
    """A rule set durable_rules cannot run; `rule_ids` names the rules, so callers can locate them."""

    def __init__(self, problems: list[Problem], rule_ids: list[str]):
        super().__init__(problems)
        self.rule_ids = list(rule_ids)


def _unsupported(rule_id: str, why: T) -> AdvisorError:
    return EngineLimitError([Problem(
        message=T(zh=f"规则 {rule_id} 无法交给 durable_rules 引擎:{why.zh}",
                  en=f"rule {rule_id} cannot be run by the durable_rules engine: {why.en}"),
        field=rule_id)], [rule_id])


def _limit_error(rule_ids: list[str], reasons: list[T]) -> AdvisorError:
    ids = ", ".join(rule_ids)
    zh = ";".join(r.zh for r in reasons)
    en = "; ".join(r.en for r in reasons)
    return EngineLimitError([Problem(
        message=T(zh=f"规则 {ids} 超出 durable_rules 引擎的限制:{zh}。请拆分或简化这些规则,或改用 --engine python。",
                  en=f"rule(s) {ids} exceed a limit of the durable_rules engine: {en}. "
                     f"Split or simplify them, or use --engine python."),
        field=rule_ids[0] if len(rule_ids) == 1 else None)], rule_ids)


def _split(expr: tuple, rule_id: str) -> list[tuple]:
    """Pieces of a rule that each fit the engine alone; their union is the rule.

    A piece too large is split along its `any`: an or into its branches, an and holding an or
    distributed over that or's branches. Every piece fires the same rule id (deduplicated).
    """
    out: list[tuple] = []
    todo = [expr]
    while todo:
        piece = todo.pop(0)
        reasons = _rule_problems(piece)
        if not reasons:
            out.append(piece)
        elif piece[0] == "or":
            todo[:0] = list(piece[1])
        elif piece[0] == "and" and any(k[0] == "or" for k in piece[1]):
            widest = max((k for k in piece[1] if k[0] == "or"), key=lambda k: len(k[1]))
            rest = [k for k in piece[1] if k is not widest]
            todo[:0] = [_make("and", rest + [branch]) for branch in widest[1]]
        else:
            raise _limit_error([rule_id], reasons)
        if len(out) + len(todo) > MAX_PIECES_PER_RULE:
            raise _limit_error([rule_id], [T(
                zh=f"即使拆开也需要超过 {MAX_PIECES_PER_RULE} 条引擎规则",
                en=f"it would need more than {MAX_PIECES_PER_RULE} engine rules even when split")])
    return out


def _pack(items) -> list[list[tuple[int, str, tuple]]]:
    """Rules (split into pieces where needed) packed into rulesets that meet every limit.

    items: (position, rule id, expr) in firing order; returns the groups of (position, rule id,
    piece), one group per ruleset.
    """
    groups: list[list] = []
    net = _Network()
    current: list = []
    for position, rule_id, expr in items:
        for piece in _split(expr, rule_id):
            log = net.add(piece)
            if net.problems():
                net.undo(log)
                if current:
                    groups.append(current)
                net, current = _Network(), []
                net.add(piece)  # fits alone: checked by _split
            current.append((position, rule_id, piece))
    if current:
        groups.append(current)
    return groups
