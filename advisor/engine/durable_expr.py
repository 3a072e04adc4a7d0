"""Engine expressions: the form a rule condition takes between the IR and durable's JSON.

The evaluator (advisor.engine.durable) translates each IR condition into one of these, the limit
checks (advisor.engine.durable_limits) measure and split them, and each ruleset writes them out
as durable_rules JSON. Kept apart so that both sides share one small vocabulary:

- ("leaf", prop, dop, code): one engine comparison, `dop` a durable operator ("$lt", "$lte",
  "$gt", "$gte", "$eq", "$neq" on a rank `code`, or "$ex"/"$nex" with code 1). Before the
  properties are named, `prop` is a key (field, class, lo|hi|any) or (field, "presence");
  afterwards it is the engine property name.
- ("and", kids) and ("or", kids): `$and` / `$or` over two or more kids (see `_make`).
- TRUE and FALSE: constants, folded away by `_make`; only a whole rule can be one of them.
Negation does not appear: conditions are in negation normal form (see advisor.engine.durable).
"""

from __future__ import annotations

TRUE = ("true",)
FALSE = ("false",)


def _make(op: str, kids) -> tuple:
    """An and/or node, flattened, deduplicated and constant-folded."""
    out: list = []
    seen: set = set()
    absorbing, neutral = (FALSE, TRUE) if op == "and" else (TRUE, FALSE)
    for kid in kids:
        if kid == absorbing:
            return absorbing
        if kid == neutral:
            continue
        items = kid[1] if kid[0] == op else (kid,)
        for item in items:
            if item not in seen:
                seen.add(item)
                out.append(item)
    if not out:
        return neutral
    if len(out) == 1:
        return out[0]
    return (op, tuple(out))


def _expr_leaves(expr: tuple):
    if expr[0] == "leaf":
        yield expr
    elif expr[0] in ("and", "or"):
        for kid in expr[1]:
            yield from _expr_leaves(kid)


def _map_leaves(expr: tuple, fn) -> tuple:
    if expr[0] == "leaf":
        return fn(expr)
    if expr[0] in ("and", "or"):
        return (expr[0], tuple(_map_leaves(kid, fn) for kid in expr[1]))
    return expr


def _top_children(expr: tuple) -> tuple:
    """The conditions ANDed at the top of a rule (each rule ANDs the kind marker with them)."""
    if expr == TRUE:
        return ()
    return expr[1] if expr[0] == "and" else (expr,)


def _to_json(expr: tuple):
    """durable_rules JSON for an expression whose properties are named."""
    if expr[0] == "leaf":
        _, prop, dop, code = expr
        return {dop: {prop: code}}
    return {"$" + expr[0]: [_to_json(k) for k in expr[1]]}
