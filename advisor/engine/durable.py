"""The durable_rules evaluator: a compiled Program run by durable_rules 2.0.28 through its C API.

Same interface and, by test (tests/test_engine_differential.py), the same results as
advisor.engine.reference.ReferenceEvaluator: a rule fires exactly when the reference evaluates
its condition to *true*, and the ids come back in the same order (stratum, priority, order).

This module is the evaluator: the translation of conditions, the rulesets and their session,
evaluation and recovery. The rest of the machinery has a module each:
- advisor.engine.durable_expr: the engine expressions that conditions are translated into;
- advisor.engine.durable_limits: durable's limits, checked on a model of its matching network,
  and the splitting and packing of rules into rulesets that meet them;
- advisor.engine.durable_encoding: the rank encoding of fact values.
durable_rules_engine itself is imported only when an evaluator is created (`_engine`): it does
not import on Python 3.13+, where advisor.engine falls back to the reference evaluator.

How a Program becomes durable rulesets
--------------------------------------
- One ruleset per stratum (more when a stratum exceeds an engine limit, see
  advisor.engine.durable_limits). The strata run one after the other in Python; stratum k's
  fact carries the `sig:` fields derived by strata < k, as the reference does. No joins, no
  forward chaining inside the engine.
- Conditions are rewritten to negation normal form. Under Kleene's logic a rule fires when its
  condition is *true*, so each node is translated to "this node is true" (T) or "this node is
  false" (F): T(all) = and T(child), F(all) = or F(child), T(any) = or T(child),
  F(any) = and F(child), T(not x) = F(x), F(not x) = T(x). Only leaves remain, each either
  T(leaf) or F(leaf), and both must be false in the engine when the field is missing (unknown),
  which is what durable does for every comparison ($neq included) on an absent property.
- Values never reach the engine as themselves: each is replaced by its *rank* among the
  constants its field is compared with, and a value of another type, or NaN, by a *sentinel*
  rank below (LO) or above (HI) every constant. This removes, by construction, every encoding
  pitfall of durable_rules 2.0.28 (it rejects numbers in exponent notation and infinities, turns
  NaN into null, coerces strings against numbers, clamps large integers and orders some strings
  unlike Python); the list and the details are in advisor.engine.durable_encoding. `_Translator` ranks the constants and picks, for each
  leaf, the LO or HI copy of its field.
- Every rule is ANDed with a kind marker `k == 1` (the engine's hidden state fact
  `{"sid", "id": "sid-...", "$s": 1}` matches a rule made only of `$nex` conditions, and under the
  Host's timer thread loops forever).

Per video, per ruleset: assert one fact (facts, not events: an event is consumed by the first
rule it matches), drain every pending action recording the rule name, retract the fact. The
session id and the fact id are fixed (the fact is retracted before the next video), and their
32-bit FNV-1a hashes are distinct from each other and from the hidden state fact's id: the
engine compares ids by that hash only. A `$or` whose several branches match delivers one action
per matching path; the evaluator records rule *positions* in a set, so a rule appears once.

Limits (measured on 2.0.28) are in advisor.engine.durable_limits: rules are split and packed
into as many rulesets as needed, and what cannot be made to fit is rejected with an AdvisorError
naming the rules, before the engine sees anything.

C API facts used here (durable_rules_engine, no Host, no threads)
-----------------------------------------------------------------
create_ruleset(name, json) -> handle; assert_fact(handle, json) -> (result, state_offset) with
result 0 handled, 1 matched nothing (the Host turns that into MessageNotHandledException; here
it is just "no rule fired"), 2 an id already stored; start_action_for_state(handle, offset) ->
None or (state_json, message_json); complete_and_start_action(handle, offset) -> None or the
next message_json (it takes the *state offset*, not a handle of its own); messages read
`{"<rule name>":{"m":{<the fact>}}}`; retract_fact(handle, json) -> (result, offset);
get_facts(handle, sid) -> json list; delete_ruleset(handle). Failures raise
durable_rules_engine.error ("... error code: N") or MemoryError (code 101).
Measured hazards, each avoided here:
- An action that was started and never completed locks the session for 30 s
  (STATE_LEASE_TIME): start_action_for_state then returns None, so rules silently stop firing.
  Every started action is completed, even on the error path, and recovery checks that the
  sentinel rule still fires. abandon_action is never used (followed by a retract it segfaults
  on the next action).
- complete_and_start_action when no action is started segfaults: it is only called after
  start_action_for_state returned an action.
- A failed assert (error 303) can leave the fact stored *and* actions queued: recovery drains,
  retracts and checks.
- delete_ruleset frees the ruleset but not its sessions: about 0.5 MB leaked per reload
  (2,000 reloads of 30 rules: +940 MB). delete_state first frees them (flat); it is safe only
  once an action completed in the session (the warm-up guarantees it), else it frees garbage.
- More than 1,024 live session ids in one ruleset give error 101; one session is used.
"""

from __future__ import annotations

import itertools
import json
import weakref
from bisect import bisect_left

from advisor.core.errors import AdvisorError, Problem
from advisor.core.i18n import T
from advisor.engine.durable_encoding import _compile_encoder, _FieldEncoder, _is_nan, _value_class
from advisor.engine.durable_expr import FALSE, _expr_leaves, _make, _map_leaves, _to_json, _top_children
from advisor.engine.durable_limits import MAX_PATHS_PER_RULE, MAX_RULES_PER_RULESET, _check_paths, _pack, _unsupported
from advisor.engine.program import COMPARE_OPS, PRESENCE_OPS, All, Any, Leaf, Node, Not, Program, leaves, signal_field
from advisor.engine.reference import firing_order

SID = "a"
FACT_ID = "v"
WARM_ID = "w"
KIND = "k"
WARM_RULE = "w"
# Reserved names whose hashes no property may share (the engine indexes properties by the
# 32-bit FNV-1a hash of their names only).
_RESERVED = ("id", "sid", "$s", "$forward", KIND, WARM_RULE)

_FACT_HEAD = '{"sid":"%s","id":"%s","%s":1' % (SID, FACT_ID, KIND)
_RETRACT = '{"sid":"%s","id":"%s"}' % (SID, FACT_ID)
_WARM_FACT = '{"sid":"%s","id":"%s","%s":1}' % (SID, WARM_ID, WARM_RULE)
_WARM_RETRACT = '{"sid":"%s","id":"%s"}' % (SID, WARM_ID)

_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_DOP = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "==": "$eq", "!=": "$neq"}

_names = itertools.count(1)


def fnv1a32(text: str) -> int:
    """The engine's hash of names and ids (FNV-1a, 32 bits, over the UTF-8 bytes)."""
    h = 0x811C9DC5
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


# The ids that are live at the same time in one session must hash apart (see module docstring).
assert len({fnv1a32(FACT_ID), fnv1a32(WARM_ID), fnv1a32("sid-" + SID)}) == 3


_api = None


def _engine():
    """The durable_rules_engine module (its attributes are looked up at each call, so tests can
    patch them). Imported lazily: durable_rules 2.0.28 does not import on Python 3.13+
    (undefined symbol PyEval_CallObject); there advisor.engine uses the reference evaluator."""
    global _api
    if _api is None:
        import durable_rules_engine  # heavy/optional: imported when used

        _api = durable_rules_engine
    return _api


# ---- translation to negation normal form ---------------------------------------------------------


class _Translator:
    """IR conditions -> engine expressions over ranked properties (see module docstring)."""

    def __init__(self, program: Program):
        constants: dict[tuple[str, str], set] = {}
        for rule in program.rules():
            for leaf in leaves(rule.when):
                if leaf.op in PRESENCE_OPS:
                    continue
                if leaf.op not in COMPARE_OPS:
                    raise _unsupported(rule.id, T(zh=f"未知的比较符 {leaf.op!r}", en=f"unknown operator {leaf.op!r}"))
                cls = _value_class(leaf.value)
                if cls is None:
                    raise _unsupported(rule.id, T(
                        zh=f"字段 {leaf.field} 的比较值 {leaf.value!r} 不是数字、文字或真假值",
                        en=f"the value {leaf.value!r} compared with {leaf.field} is not a number, text or boolean"))
                if cls == "n" and _is_nan(leaf.value):
                    continue
                constants.setdefault((leaf.field, cls), set()).add(leaf.value)
        # Python's own ordering (exact between ints and floats, code points for strings).
        self.constants = {key: sorted(values) for key, values in constants.items()}

    def rule(self, node: Node, positive: bool = True) -> tuple:
        if isinstance(node, Leaf):
            return self.leaf(node, positive)
        if isinstance(node, Not):
            return self.rule(node.child, not positive)
        if isinstance(node, All):
            op = "and" if positive else "or"
        elif isinstance(node, Any):
            op = "or" if positive else "and"
        else:
            raise TypeError(f"not a condition node: {node!r}")
        return _make(op, [self.rule(child, positive) for child in node.children])

    def leaf(self, leaf: Leaf, positive: bool) -> tuple:
        field, op, value = leaf.field, leaf.op, leaf.value
        if op in PRESENCE_OPS:
            # Never unknown: not(exists) is missing, not(missing) is exists.
            present = (op == "exists") == positive
            return ("leaf", (field, "presence"), "$ex" if present else "$nex", 1)
        # What the leaf (or its negation) must give when the value is present but cannot be
        # compared (another type, or NaN): the reference makes the leaf false, `!=` true.
        mismatch_true = (op == "!=") if positive else (op != "!=")
        cls = _value_class(value)
        if cls == "n" and _is_nan(value):
            # Nothing equals or orders against NaN: the leaf is "present and mismatched" always.
            return ("leaf", (field, "presence"), "$ex", 1) if mismatch_true else FALSE
        dop = op if positive else _NEGATE[op]
        if dop in ("<", "<="):
            variant = "lo" if mismatch_true else "hi"
        elif dop in (">", ">="):
            variant = "hi" if mismatch_true else "lo"
        else:  # == / !=: a sentinel equals no constant, so either copy gives the right answer
            variant = "any"
        consts = self.constants[(field, cls)]
        code = 2 * bisect_left(consts, value) + 1
        return ("leaf", (field, cls, variant), _DOP[dop], code)


# ---- one engine ruleset and its session ----------------------------------------------------------


# What a fact must have for a condition to hold, one thing each (see _triggers): a listed
# signal derived, a field that is the boolean True, a field present, a field missing.
_SIGNAL, _TRUE, _PRESENT, _ABSENT = "signal", "true", "present", "absent"
_RARITY = {_SIGNAL: 0, _TRUE: 0, _ABSENT: 1, _PRESENT: 2}


def _triggers(node: Node, signals) -> list[tuple[str, str]] | None:
    """Things of which a condition cannot hold without one (None: no such list is known).

    In stratum k a listed signal's sig:<name> is true exactly when a stratum before k derived
    it (advisor.engine.program); any other field holds `== true` only when its value is the
    boolean True, `exists` when it is there and not None (advisor.engine.reference.eval_leaf).
    An `all` needs what one of its parts needs (the shortest list is kept), an `any` one of
    what each part needs; a `not` or a comparison gives nothing to go on."""
    if isinstance(node, Leaf):
        prefix = signal_field("")
        signal = node.field[len(prefix):] if node.field.startswith(prefix) else None
        if signal is not None and signal in signals:  # always present in a stratum's fact
            return [(_SIGNAL, signal)] if node.op == "==" and node.value is True else None
        if node.op == "==" and node.value is True:
            return [(_TRUE, node.field)]
        if node.op == "exists":
            return [(_PRESENT, node.field)]
        if node.op == "missing":
            return [(_ABSENT, node.field)]
        return None
    if isinstance(node, All):
        known = [t for t in (_triggers(child, signals) for child in node.children) if t is not None]
        # The fewest things to look at; of those, the likeliest to be missing from a fact: a
        # True or a signal (a level reached, a signal derived), then an absence, then a presence.
        return min(known, key=lambda t: (len(t), max(_RARITY[kind] for kind, _ in t)), default=None)
    if isinstance(node, Any):
        each = [_triggers(child, signals) for child in node.children]
        if not each or any(t is None for t in each):
            return None
        return list(dict.fromkeys(thing for t in each for thing in t))
    return None


def _may_fire(triggers, derived: set, fact: dict) -> bool:
    """Whether the fact has one of the things (_triggers) some rule of a ruleset cannot fire
    without, given the signals derived so far."""
    get = fact.get
    for kind, name in triggers:
        if kind is _TRUE:
            if get(name) is True:
                return True
        elif kind is _SIGNAL:
            if name in derived:
                return True
        elif (get(name) is None) is (kind is _ABSENT):
            return True
    return False


class _Ruleset:
    """One durable ruleset (part of one stratum), its session and its fact encoder."""

    def __init__(self, definition: dict, names: dict[str, int], encode, needs=None):
        self.json = json.dumps(definition, ensure_ascii=True, separators=(",", ":"))
        self.names = names  # engine rule name -> global firing position
        self.encode = encode  # (prepared fact, derived signals) -> the fact's JSON
        # Things of which each of its rules needs one (_triggers); None when a rule gives
        # nothing to go on. A fact with none of them cannot fire any rule here and is not
        # asserted at all (evaluate): most videos fire no rule, and an assert and a retract
        # per stratum were most of the engine's time.
        self.needs: tuple | None = needs
        self.handle = 0
        self.offset = 0

    def build(self) -> None:
        """Creates the engine ruleset and warms its session up.

        The warm-up fact fires the sentinel rule once: that initialises the state's action
        context, which the engine leaves uninitialised at creation (delete_state on a state in
        which no action ever completed frees garbage and segfaults).
        """
        api = _engine()
        handle = api.create_ruleset(f"advisor-{next(_names)}", self.json)
        try:
            result, offset = api.assert_fact(handle, _WARM_FACT)
            action = api.start_action_for_state(handle, offset) if result == 0 else None
            if action is None or not action[1].startswith('{"%s":' % WARM_RULE):
                raise RuntimeError(f"durable_rules warm-up did not fire (result {result}, {action!r})")
            if api.complete_and_start_action(handle, offset) is not None:
                raise RuntimeError("durable_rules warm-up fired twice")
            api.retract_fact(handle, _WARM_RETRACT)
        except BaseException:
            api.delete_ruleset(handle)
            raise
        self.handle, self.offset = handle, offset

    def rebuild(self) -> None:
        """Replaces a ruleset left in a bad state by a fresh one (a new name, a new session).

        The old session is not deleted first: delete_state walks the session's pools, which
        are what is in doubt here. That leaks about 0.5 MB per rebuild, which only a failure
        triggers.
        """
        old = self.handle
        self.handle = 0
        self.build()
        if old:
            try:
                _engine().delete_ruleset(old)
            except Exception:  # the old one is gone either way; never fail a rebuild on it
                pass

    def free(self) -> None:
        """Deletes the session, then the ruleset.

        delete_ruleset alone frees the ruleset but not its sessions' pools: 2,000 reloads of a
        30-rule program grew RSS by 940 MB; with delete_state first it stayed flat (+1 MB).
        delete_state is safe here because build() completed an action in the session (the
        warm-up), and every action started since was completed.
        """
        if self.handle:
            handle, self.handle = self.handle, 0
            api = _engine()
            try:
                api.delete_state(handle, SID)
            finally:
                api.delete_ruleset(handle)


def _probe(api, rs: _Ruleset) -> bool:
    """True when the session fires the sentinel rule, exactly once, and then holds no fact."""
    handle, offset = rs.handle, rs.offset
    result, _ = api.assert_fact(handle, _WARM_FACT)
    action = api.start_action_for_state(handle, offset)
    fired = []
    while action is not None:
        message = action[1] if isinstance(action, tuple) else action
        fired.append(message[2:message.index('"', 2)])
        action = api.complete_and_start_action(handle, offset)
    api.retract_fact(handle, _WARM_RETRACT)
    return result == 0 and fired == [WARM_RULE] and api.get_facts(handle, SID) == "[]"


def _free_all(rulesets: list) -> None:
    for rs in rulesets:
        try:
            rs.free()
        except Exception:
            pass


# ---- the evaluator -------------------------------------------------------------------------------


class DurableEvaluator:
    """Evaluates a Program with durable_rules; same interface as ReferenceEvaluator.

    Not thread-safe: use one evaluator per thread (the C calls never release the GIL anyway).
    Free the engine rulesets with close() or a `with` block (they are also freed when the
    evaluator is garbage-collected).
    """

    name = "durable"

    def __init__(self, program: Program, *, check_only: bool = False):
        """check_only: run the limit model and the packing only (no engine needed, nothing
        created): an EngineLimitError says the program does not fit."""
        if not check_only:
            _engine()  # ImportError here, on Python 3.13+, before any work
        self.program = program
        translator = _Translator(program)
        self._ids: list[str] = []
        self._derives: list[tuple[str, ...]] = []
        self._needs: list = []  # per rule (firing position): its _triggers
        exprs: list[list[tuple[int, str, tuple]]] = []  # per stratum: (position, rule id, expr)
        for stratum in program.strata:
            items = []
            for rule in firing_order(stratum):
                position = len(self._ids)
                self._ids.append(rule.id)
                self._derives.append(tuple(rule.derives))
                self._needs.append(_triggers(rule.when, program.signals))
                expr = translator.rule(rule.when)
                if expr == FALSE:
                    continue  # can never be true
                _check_paths(expr, rule.id)
                items.append((position, rule.id, expr))
            exprs.append(items)

        props, prop_keys = self._name_properties(exprs)
        exprs = [[(pos, rid, _map_leaves(e, lambda l: (l[0], props[l[1]], l[2], l[3])))
                  for pos, rid, e in items] for items in exprs]
        frequency: dict = {}
        for items in exprs:
            for _, _, expr in items:
                for leaf in _expr_leaves(expr):
                    frequency[leaf] = frequency.get(leaf, 0) + 1

        def order(expr):
            # Most shared conditions first, so rules share the longest chain of engine nodes.
            if expr[0] in ("and", "or"):
                kids = [order(k) for k in expr[1]]
                if expr[0] == "and":
                    kids.sort(key=lambda k: (k[0] != "leaf", -frequency.get(k, 0), repr(k)))
                return (expr[0], tuple(kids))
            return expr

        # The reference sets every listed signal as a boolean `sig:` field in every stratum,
        # over whatever the fact holds under that name.
        signals = {f"sig:{name}": name for name in program.signals}
        if check_only:
            for items in exprs:
                _pack([(pos, rid, order(e)) for pos, rid, e in items])
            return
        self._strata: list[list[_Ruleset]] = []
        self._rulesets: list[_Ruleset] = []
        for items in exprs:
            groups = _pack([(pos, rid, order(e)) for pos, rid, e in items])
            stratum = [self._ruleset(group, translator, prop_keys, signals) for group in groups]
            self._strata.append(stratum)
            self._rulesets.extend(stratum)

        self._closed = False
        self._finalizer = weakref.finalize(self, _free_all, self._rulesets)
        try:
            for rs in self._rulesets:
                rs.build()
        except Exception as exc:
            self.close()
            raise _engine_error(exc) from exc

    # -- compilation helpers --

    @staticmethod
    def _name_properties(exprs) -> tuple[dict, dict]:
        """Engine property names: (leaf key -> name, concrete key -> name).

        A leaf key is (field, class, lo|hi|any) or (field, "presence"); "any" (== and !=) and
        presence resolve to a property the field has anyway, to keep facts small.
        """
        keys: set = set()
        for items in exprs:
            for _, _, expr in items:
                for leaf in _expr_leaves(expr):
                    keys.add(leaf[1])
        typed = sorted(k for k in keys if k[1] != "presence")
        variants: dict = {}
        for field, cls, variant in typed:
            if variant != "any":
                variants.setdefault((field, cls), set()).add(variant)
        resolved: dict = {}
        concrete: list = []
        for field, cls, variant in typed:
            if variant == "any":
                have = variants.get((field, cls))
                use = sorted(have)[0] if have else "lo"
                variants.setdefault((field, cls), set()).add(use)
                resolved[(field, cls, variant)] = (field, cls, use)
            else:
                resolved[(field, cls, variant)] = (field, cls, variant)
        for key in sorted(set(resolved.values())):
            concrete.append(key)
        by_field: dict = {}
        for key in concrete:
            by_field.setdefault(key[0], key)
        for key in sorted(k for k in keys if k[1] == "presence"):
            # Any typed property of the field is present exactly when the field is.
            resolved[key] = by_field.get(key[0], key)
            if key[0] not in by_field:
                concrete.append(key)

        taken = {fnv1a32(name) for name in _RESERVED}
        names: dict = {}
        counter = itertools.count()
        for key in concrete:
            while True:
                name = f"p{next(counter)}"
                h = fnv1a32(name)
                if h not in taken:  # distinct hashes: the engine looks properties up by hash
                    taken.add(h)
                    names[key] = name
                    break
        return {key: names[resolved[key]] for key in keys}, names

    def _ruleset(self, group, translator: _Translator, prop_keys: dict, signals: dict) -> _Ruleset:
        definition: dict = {}
        names: dict[str, int] = {}
        used: set[str] = set()
        for index, (position, _rule_id, expr) in enumerate(group):
            name = f"r{index}"
            names[name] = position
            definition[name] = {"all": [{"m": {"$and": [{KIND: 1}] + [_to_json(k) for k in _top_children(expr)]}}]}
            used.update(leaf[1] for leaf in _expr_leaves(expr))
        definition[WARM_RULE] = {"all": [{"m": {WARM_RULE: 1}}]}
        key_of = {name: key for key, name in prop_keys.items()}
        per_field: dict[str, list] = {}
        for name in sorted(used, key=lambda n: int(n[1:])):
            key = key_of[name]
            cls = key[1]
            per_field.setdefault(key[0], []).append((name, cls, key[2] if cls != "presence" else ""))
        fields = []
        for field, field_props in per_field.items():
            constants = {cls: translator.constants.get((field, cls), [])
                         for _, cls, _ in field_props if cls != "presence"}
            fields.append((field, signals.get(field), _FieldEncoder(field_props, constants)))
        needs = [self._needs[position] for position in names.values()]
        triggers = None if any(t is None for t in needs) else tuple(dict.fromkeys(x for t in needs for x in t))
        return _Ruleset(definition, names, _compile_encoder(fields, _FACT_HEAD), triggers)

    # -- evaluation --

    def evaluate(self, fact: dict) -> list[str]:
        """Ids of the rules that fire, in firing order (stratum, then priority, then order)."""
        if self._closed:
            raise RuntimeError("DurableEvaluator is closed")
        api = _engine()
        current = self.program.prepare(fact)
        fired: list[int] = []
        derived: set[str] = set()
        run = self._run
        for stratum in self._strata:
            got: list[int] = []
            for rs in stratum:
                if rs.needs is not None and not _may_fire(rs.needs, derived, current):
                    continue  # none of its rules can fire: not asserted
                run(api, rs, rs.encode(current, derived), got)
            if got:
                positions = sorted(set(got))
                for p in positions:
                    derived.update(self._derives[p])
                fired.extend(positions)
        ids = self._ids
        return [ids[p] for p in fired]

    def _run(self, api, rs: _Ruleset, body: str, out: list) -> None:
        """Assert one fact, record every rule it fires, retract it; clean up on any failure."""
        handle = rs.handle
        started = False
        try:
            result, offset = api.assert_fact(handle, body)
            if result == 0:
                action = api.start_action_for_state(handle, offset)
                if action is not None:
                    started = True
                    names = rs.names
                    message = action[1]
                    while message is not None:
                        out.append(names[message[2:message.index('"', 2)]])
                        message = api.complete_and_start_action(handle, offset)
                    started = False
            elif result != 1:  # 1: matched no rule (MessageNotHandled in the Host API)
                raise _EngineStateError(result)
            api.retract_fact(handle, _RETRACT)
        except BaseException as exc:
            self._recover(api, rs, started)
            if isinstance(exc, (api.error, MemoryError, _EngineStateError)):
                raise _engine_error(exc) from exc
            raise

    @staticmethod
    def _recover(api, rs: _Ruleset, started: bool) -> None:
        """Leave no fact and no pending action behind; rebuild the ruleset if that fails.

        Pending actions are completed (never abandoned: abandon_action followed by a retract
        segfaults on the next action), then the fact is retracted (a failed assert can still
        have stored it, and queued actions: measured with error 303), then the session must
        hold no fact and still fire the sentinel rule: an action started but not seen here (a
        failure after the C call returned) locks the session for 30 s, during which no rule
        would fire, silently.
        """
        broken = False
        handle, offset = rs.handle, rs.offset
        try:
            if not started:
                started = api.start_action_for_state(handle, offset) is not None
            for _ in range(MAX_RULES_PER_RULESET * MAX_PATHS_PER_RULE):
                if not started:
                    break
                started = api.complete_and_start_action(handle, offset) is not None
            broken = started
        except BaseException:
            broken = True
        try:
            api.retract_fact(handle, _RETRACT)
        except BaseException:
            broken = True
        if not broken:
            try:
                broken = not _probe(api, rs)
            except BaseException:
                broken = True
        if broken:
            rs.rebuild()

    # -- lifecycle --

    @property
    def rulesets(self) -> list[list[str]]:
        """The engine ruleset definitions (JSON), per stratum: for tests and debugging."""
        return [[rs.json for rs in stratum] for stratum in self._strata]

    def close(self) -> None:
        """Frees the engine rulesets (durable's Host never does; delete_ruleset does)."""
        self._closed = True
        self._finalizer()

    def __enter__(self) -> "DurableEvaluator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _EngineStateError(Exception):
    def __init__(self, result: int):
        super().__init__(f"unexpected durable_rules result {result}")
        self.result = result


def _engine_error(exc: BaseException) -> AdvisorError:
    return AdvisorError([Problem(message=T(
        zh=f"durable_rules 引擎出错:{exc}。本条数据的结果已丢弃,引擎已恢复;可改用 --engine python。",
        en=f"the durable_rules engine failed: {exc}. This record's result was dropped and the "
           f"engine was reset; --engine python avoids it."))])
