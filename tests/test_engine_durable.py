"""The durable_rules evaluator, case by case: boundaries, failures, reloads, limits, firing.

The generated comparison against the reference is in test_engine_differential.py; these are the
cases where durable_rules 2.0.28 is known to go wrong unless driven carefully, written out so a
failure names the case: values exactly at and within 1e-9 of every threshold; ints against
floats, bools, negatives, 2^40; floats in exponent range (1e-7, 2.5e20); missing values, None,
NaN, ±inf; Chinese text, quotes and backslashes; derived facts and how often they fire;
priority order; a failure injected mid-evaluation, then a check that no fact is left over; a
reload between batches; rule sets past the engine's limits, rejected at compile time.
"""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
import time

import pytest

engine = pytest.importorskip(
    "durable_rules_engine",
    reason="durable_rules does not import here (Python 3.13+); the reference evaluator is used instead",
)

from advisor.engine import make_evaluator  # noqa: E402
from advisor.engine import durable_limits  # noqa: E402
from advisor.engine.durable import SID, DurableEvaluator  # noqa: E402
from advisor.engine.program import All, Any, CompiledRule, Leaf, Not, Program, TextFeature  # noqa: E402
from advisor.engine.reference import ReferenceEvaluator  # noqa: E402
from advisor.core.errors import AdvisorError  # noqa: E402

OPS = ("<", "<=", ">", ">=", "==", "!=")


def program(*rules, strata=None, signals=(), features=()):
    return Program(strata=strata or (tuple(rules),), signals=signals, features=features)


def rule(rid, when, priority=1, order=0, derives=()):
    return CompiledRule(rid, priority, when, tuple(derives), order)


def assert_same(prog, facts):
    reference = ReferenceEvaluator(prog)
    with DurableEvaluator(prog) as durable:
        for fact in facts:
            assert durable.evaluate(fact) == reference.evaluate(fact), fact


def leftover_facts(evaluator):
    return [engine.get_facts(rs.handle, SID) for rs in evaluator._rulesets]


# ---- values ---------------------------------------------------------------------------------------

THRESHOLDS = (0, 0.00001, 1e-7, 0.05, 1, -3.25, 100, 2**40, 2.5e20, 2**53 + 1, 2**63 + 5, 1e300)


def neighbours(t):
    f = float(t)
    out = [t, f, f + 1e-9, f - 1e-9, math.nextafter(f, math.inf), math.nextafter(f, -math.inf), -f]
    if f == int(f):
        out += [int(f), int(f) + 1, int(f) - 1]
    if isinstance(t, int):
        out += [t + 1, t - 1]
    return out


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_values_at_and_around_every_threshold(threshold):
    rules = []
    for i, op in enumerate(OPS):
        rules.append(rule(f"pos{op}", Leaf("x", op, threshold), order=i))
        rules.append(rule(f"neg{op}", Not(Leaf("x", op, threshold)), order=10 + i))
    facts = [{"x": v} for v in neighbours(threshold)]
    facts += [{}, {"x": None}, {"x": float("nan")}, {"x": float("inf")}, {"x": float("-inf")},
              {"x": True}, {"x": False}, {"x": "1"}, {"x": 2**64}, {"x": -(2**64)}]
    assert_same(program(*rules), facts)


def test_tiny_rates_are_not_lost():
    # json.dumps(1e-05) is "1e-05" and durable rejects exponents (error 204): with plain JSON
    # this rule silently never fired.
    prog = program(rule("tiny", Leaf("heart_rate", ">=", 0.00001)), rule("tinier", Leaf("heart_rate", "<", 1e-7)))
    with DurableEvaluator(prog) as durable:
        assert durable.evaluate({"heart_rate": 0.00001}) == ["tiny"]
        assert durable.evaluate({"heart_rate": 0.00001 - 1e-12}) == []
        assert durable.evaluate({"heart_rate": 5e-8}) == ["tinier"]
        assert durable.evaluate({"heart_rate": 2.5e20}) == ["tiny"]


def test_text_chinese_quotes_backslashes_and_long_strings():
    long = "长" * 30000  # 90,000 bytes: durable compares strings over 65,535 bytes wrongly
    constants = ("你好", 'say "hi"', "C:\\path\\", "abc", "abc!", long + "a")
    rules = [rule(f"{i}{op}", Leaf("title", op, c), order=i) for i, c in enumerate(constants) for op in OPS]
    facts = [{"title": c} for c in constants]
    facts += [{"title": long + "b"}, {"title": long}, {"title": "ab"}, {"title": ""}, {"title": 5},
              {"title": True}, {"title": "你"}, {"title": '\\"'}]
    assert_same(program(*rules), facts)


def test_bools_are_not_numbers():
    # durable compares true == 1; the reference never compares a bool with a number.
    rules = [rule("eq1", Leaf("f", "==", 1)), rule("eqT", Leaf("f", "==", True), order=1),
             rule("ne1", Leaf("f", "!=", 1), order=2), rule("gtF", Leaf("f", ">", False), order=3),
             rule("notlt", Not(Leaf("f", "<", 1)), order=4)]
    assert_same(program(*rules), [{"f": True}, {"f": False}, {"f": 1}, {"f": 0}, {"f": 1.0}, {}, {"f": "1"}])


def test_missing_none_and_presence():
    rules = [rule("neq", Leaf("x", "!=", 3)), rule("notneq", Not(Leaf("x", "!=", 3)), order=1),
             rule("exists", Leaf("x", "exists"), order=2), rule("missing", Leaf("x", "missing"), order=3),
             rule("notmissing", Not(Leaf("x", "missing")), order=4),
             rule("unknown-or", Any((Leaf("x", ">", 1), Leaf("y", "exists"))), order=5),
             rule("unknown-and", All((Leaf("x", ">", 1), Not(Leaf("y", "exists")))), order=6),
             rule("empty-all", All(()), order=7), rule("empty-any", Any(()), order=8),
             rule("not-empty-any", Not(Any(())), order=9)]
    with DurableEvaluator(program(*rules)) as durable:
        assert durable.evaluate({}) == ["missing", "empty-all", "not-empty-any"]
        assert durable.evaluate({"x": None}) == ["missing", "empty-all", "not-empty-any"]
        assert durable.evaluate({"x": 3}) == ["notneq", "exists", "notmissing", "unknown-or", "unknown-and",
                                              "empty-all", "not-empty-any"]
    assert_same(program(*rules), [{}, {"x": None}, {"x": 3}, {"x": 0}, {"y": 1}, {"x": 5, "y": None},
                                  {"x": float("nan")}, {"x": "3"}])


# ---- firing -----------------------------------------------------------------------------------------


def test_every_matching_rule_fires_exactly_once():
    # Both branches match: durable delivers one action per matching branch; the rule is listed once.
    overlapping = Any((Leaf("a", ">", 1), Leaf("b", ">", 1), All((Leaf("a", ">", 0), Leaf("b", ">", 0)))))
    rules = [rule(f"r{i}", overlapping if i % 2 else Leaf("a", ">", 1), order=i) for i in range(40)]
    prog = program(*rules)
    with DurableEvaluator(prog) as durable:
        fired = durable.evaluate({"a": 5, "b": 5})
        assert fired == [f"r{i}" for i in range(40)]
        for _ in range(3):  # and again: nothing is left over from the previous video
            assert durable.evaluate({"a": 5, "b": 5}) == fired
        assert durable.evaluate({"a": 0}) == []
        assert leftover_facts(durable) == ["[]"]


def test_priority_then_order():
    rules = [rule("low", Leaf("x", ">", 0), priority=2, order=0),
             rule("high-late", Leaf("x", ">", 0), priority=0, order=5),
             rule("high-early", Leaf("x", ">", 0), priority=0, order=1),
             rule("medium", Leaf("x", ">", 0), priority=1, order=3)]
    prog = program(*rules)
    with DurableEvaluator(prog) as durable:
        assert durable.evaluate({"x": 1}) == ["high-early", "high-late", "medium", "low"]
    assert ReferenceEvaluator(prog).evaluate({"x": 1}) == ["high-early", "high-late", "medium", "low"]


def test_derived_signals_fire_once_per_video():
    first = (rule("derive-a", Leaf("x", ">", 1), derives=("a",)),
             rule("derive-a-too", Leaf("x", ">", 2), order=1, derives=("a", "b")))
    second = (rule("on-a", Leaf("sig:a", "==", True)),
              rule("not-b", Not(Leaf("sig:b", "==", True)), order=1),
              rule("a-exists", Leaf("sig:a", "exists"), order=2),
              rule("derive-c", All((Leaf("sig:a", "==", True), Leaf("sig:b", "==", True))), order=3, derives=("c",)))
    third = (rule("on-c", Leaf("sig:c", "==", True)),)
    prog = program(strata=(first, second, third), signals=("a", "b", "c"))
    with DurableEvaluator(prog) as durable:
        assert durable.evaluate({"x": 5}) == ["derive-a", "derive-a-too", "on-a", "a-exists", "derive-c", "on-c"]
        assert durable.evaluate({"x": 1.5}) == ["derive-a", "on-a", "not-b", "a-exists"]
        assert durable.evaluate({}) == ["not-b", "a-exists"]
        # a fact cannot smuggle a signal in: signals are set by the strata only
        assert durable.evaluate({"sig:a": True, "sig:c": True}) == ["not-b", "a-exists"]
    assert_same(prog, [{"x": 5}, {"x": 1.5}, {}, {"sig:a": True}])


def test_text_features():
    feature = TextFeature(field="txt:0", source="title", patterns=("教程", "how to"))
    prog = program(rule("tutorial", Leaf("txt:0", "==", True)), rule("not-tutorial", Not(Leaf("txt:0", "==", True)),
                                                                    order=1), features=(feature,))
    with DurableEvaluator(prog) as durable:
        assert durable.evaluate({"title": "剪辑教程"}) == ["tutorial"]
        assert durable.evaluate({"title": "HOW TO cook"}) == ["tutorial"]
        assert durable.evaluate({"title": "vlog"}) == ["not-tutorial"]
        assert durable.evaluate({}) == []  # no title: the feature is unknown


def test_make_evaluator_picks_durable():
    ev = make_evaluator(program(rule("r", Leaf("x", ">", 1))), "durable")
    try:
        assert ev.name == "durable" and ev.evaluate({"x": 2}) == ["r"]
    finally:
        ev.close()
    with pytest.raises(RuntimeError):
        ev.evaluate({"x": 2})


# ---- failures ---------------------------------------------------------------------------------------


def _failing_once(monkeypatch, name, on_call):
    real = getattr(engine, name)
    calls = {"n": 0}

    def wrapper(*args):
        calls["n"] += 1
        if calls["n"] == on_call:
            raise RuntimeError(f"injected failure in {name}")
        return real(*args)

    monkeypatch.setattr(engine, name, wrapper)
    return calls


MANY = program(*[rule(f"r{i}", Leaf("x", ">", i), order=i) for i in range(10)])


@pytest.mark.parametrize("name,on_call", [
    ("complete_and_start_action", 1),  # after the first action was started
    ("complete_and_start_action", 4),
    ("start_action_for_state", 1),  # right after the assert
    ("assert_fact", 1),
    ("retract_fact", 1),  # the fact stays: the ruleset must be rebuilt or cleaned
])
def test_failure_mid_evaluation_leaves_no_fact(monkeypatch, name, on_call):
    reference = ReferenceEvaluator(MANY)
    with DurableEvaluator(MANY) as durable:
        assert durable.evaluate({"x": 5.5}) == reference.evaluate({"x": 5.5})
        _failing_once(monkeypatch, name, on_call)
        with pytest.raises(RuntimeError, match="injected"):
            durable.evaluate({"x": 7})
        monkeypatch.undo()
        assert leftover_facts(durable) == ["[]"]
        for x in (7, 0, 100, 3.5):
            assert durable.evaluate({"x": x}) == reference.evaluate({"x": x})
        assert leftover_facts(durable) == ["[]"]


def test_failure_after_an_action_was_started_does_not_lock_the_session(monkeypatch):
    # The C call started an action (which locks the session for 30 s until completed), then
    # the Python side failed before the evaluator saw the action. Without recovery every later
    # video would silently fire nothing.
    real = engine.start_action_for_state
    calls = {"n": 0}

    def started_then_failed(*args):
        result = real(*args)
        calls["n"] += 1
        if calls["n"] == 1:
            raise MemoryError("injected after the action was started")
        return result

    reference = ReferenceEvaluator(MANY)
    with DurableEvaluator(MANY) as durable:
        monkeypatch.setattr(engine, "start_action_for_state", started_then_failed)
        with pytest.raises(AdvisorError, match="injected"):
            durable.evaluate({"x": 7})
        monkeypatch.undo()
        assert durable.evaluate({"x": 7}) == reference.evaluate({"x": 7}) != []
        assert leftover_facts(durable) == ["[]"]


def test_engine_error_mid_assert_is_reported_and_cleaned_up(monkeypatch):
    # Disable the compile-time stack check so that durable itself fails (error 303) half-way
    # through an assert. The fact's properties come in field order: `b` first, so the walk
    # pushes the `b` node, then the `z` node; it pops `z` first, which stores the fact and
    # queues rule z, then pops `b` and overflows pushing its 65 children. The failed assert
    # leaves a stored fact and a pending action behind: recovery must remove both.
    monkeypatch.setattr(durable_limits, "MAX_STACK", 10_000)
    rules = [rule("z", Leaf("z", ">", 0))]
    rules += [rule(f"b{i}", All((Leaf("b", ">", 0), Leaf(f"c{i:02}", ">", 0))), order=i + 1) for i in range(65)]
    prog = program(*rules)
    reference = ReferenceEvaluator(prog)
    seen = {}
    real_recover = DurableEvaluator._recover

    def spy(api, rs, started):
        seen["facts"] = engine.get_facts(rs.handle, SID)
        return real_recover(api, rs, started)

    monkeypatch.setattr(DurableEvaluator, "_recover", staticmethod(spy))
    with DurableEvaluator(prog) as durable:
        assert len(durable.rulesets[0]) == 1
        everything = {"b": 1, "z": 1} | {f"c{i:02}": 1 for i in range(65)}
        with pytest.raises(AdvisorError, match="303"):
            durable.evaluate(everything)
        assert seen["facts"] != "[]"  # the failed assert did store the fact
        assert leftover_facts(durable) == ["[]"]
        for fact in ({"z": 1, "b": 1, "c03": 1}, {"z": 1}, {"b": 1}, {}):  # few pending matches: fine
            assert durable.evaluate(fact) == reference.evaluate(fact)
        assert leftover_facts(durable) == ["[]"]


def test_reload_between_batches():
    first = program(rule("a", Leaf("x", ">", 1)), rule("b", Leaf("x", "<", 10), order=1))
    second = program(rule("a", Leaf("x", ">", 5)), rule("c", Leaf("y", "==", "是"), order=1))
    batch = [{"x": v, "y": y} for v in (0, 2, 6, 11) for y in ("是", "否")]
    handles = []
    for prog in (first, second, first):
        reference = ReferenceEvaluator(prog)
        durable = DurableEvaluator(prog)
        handles += [rs.handle for rs in durable._rulesets]
        assert [durable.evaluate(f) for f in batch] == [reference.evaluate(f) for f in batch]
        durable.close()
    # closed rulesets are gone from the engine (handles are reused, so check right after close)
    with pytest.raises(engine.error, match="111"):
        engine.get_facts(handles[-1], SID)


def test_reloads_free_their_memory():
    prog = program(*[rule(f"r{i}", All((Leaf("a", ">", i), Leaf("b", "<", i))), order=i) for i in range(30)])

    def rss_kb():
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))

    for _ in range(20):
        with DurableEvaluator(prog) as durable:
            durable.evaluate({"a": 5, "b": 1})
    before = rss_kb()
    for _ in range(200):  # delete_ruleset alone leaked ~0.5 MB per reload (the session's pools)
        with DurableEvaluator(prog) as durable:
            durable.evaluate({"a": 5, "b": 1})
    assert rss_kb() - before < 10 * 1024


# ---- limits -----------------------------------------------------------------------------------------


def test_too_many_fields_in_one_rule_is_rejected_at_compile_time():
    prog = program(rule("huge", All(tuple(Leaf(f"f{i}", ">", 1) for i in range(260)))), rule("ok", Leaf("x", ">", 1)))
    started = time.perf_counter()
    with pytest.raises(AdvisorError) as err:
        DurableEvaluator(prog)
    assert time.perf_counter() - started < 5
    message = err.value.problems[0].message
    assert "huge" in message.en and "huge" in message.zh and "ok" not in message.en
    assert "durable_rules" in message.en


def test_too_many_branch_combinations_is_rejected_at_compile_time():
    branches = [Any(tuple(Leaf(f"{c}{i}", ">", 1) for i in range(11))) for c in "abc"]
    with pytest.raises(AdvisorError) as err:
        DurableEvaluator(program(rule("combinatorial", All(tuple(branches)))))
    assert "combinatorial" in err.value.problems[0].message.en


def test_unknown_value_types_are_rejected_at_compile_time():
    with pytest.raises(AdvisorError) as err:
        DurableEvaluator(program(rule("bad", Leaf("x", "<", None))))
    assert "bad" in err.value.problems[0].message.zh


def test_deep_nesting_is_split_not_rejected():
    node = Leaf("x0", ">", 0)
    for i in range(1, 20):  # 19 nested groups: more than the 15 $and/$or durable takes in one rule
        node = (Any if i % 2 else All)((node, Leaf(f"x{i}", "<", i)))
    prog = program(rule("deep", node))
    facts = [{f"x{i}": v for i in range(20)} for v in (-1, 0.5, 5, 30)] + [{"x19": 0}, {"x0": 1, "x1": 0}]
    assert_same(prog, facts)


def run_isolated(code: str, timeout: float = 120) -> str:
    """Runs code in a fresh interpreter: a regression here could hang or segfault the engine."""
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


PRELUDE = """
from advisor.engine.durable import DurableEvaluator
from advisor.engine.program import All, Any, CompiledRule, Leaf, Not, Program
from advisor.engine.reference import ReferenceEvaluator
def check(rules, facts):
    prog = Program(strata=(tuple(rules),))
    ref = ReferenceEvaluator(prog)
    with DurableEvaluator(prog) as ev:
        for f in facts:
            assert ev.evaluate(f) == ref.evaluate(f), f
        print(len(ev.rulesets[0]), "rulesets")
"""


def test_limits_are_met_by_splitting_large_rule_sets():
    out = run_isolated(PRELUDE + """
# 300 rules with one identical condition: 256 on one node segfault, 257 give error 108.
check([CompiledRule(f"same{i}", 1, Leaf("x", ">", 1), order=i) for i in range(300)], [{"x": 2}, {"x": 0}, {}])
# 600 distinct sibling conditions all matching: 65 give error 303, 512 hang the assert.
check([CompiledRule(f"sib{i}", 1, Leaf("x", ">", i), order=i) for i in range(600)], [{"x": 1000}, {"x": 300}])
# one rule with 100 alternatives, and 300 fields in one stratum (at most 254 per fact, 302)
check([CompiledRule("wide", 1, Any(tuple(Leaf(f"y{i}", "==", i) for i in range(100))))]
      + [CompiledRule(f"f{i}", 1, All((Leaf(f"f{i}", ">", 0), Leaf(f"g{i}", "<", 0))), order=i + 1)
         for i in range(150)],
      [{f"y{i}": i for i in range(100)}, {"y99": 99}, {"y5": 4}, {f"f{i}": 1 for i in range(150)}
       | {f"g{i}": -1 for i in range(0, 150, 2)}])
""")
    counts = [int(line.split()[0]) for line in out.splitlines()]
    assert counts[0] >= 2 and counts[1] >= 10 and counts[2] >= 3


def test_memory_stays_flat():
    prog = program(*[rule(f"r{i}", All((Leaf("a", ">", i), Leaf("b", "<", 100 - i))), order=i) for i in range(30)])
    with DurableEvaluator(prog) as durable:
        def rss_kb():
            with open("/proc/self/status") as fh:
                return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
        for i in range(5000):
            durable.evaluate({"a": i % 50, "b": i % 70, "t": "x" * (i % 100)})
        before = rss_kb()
        for i in range(25000):
            durable.evaluate({"a": i % 50, "b": i % 70, "t": "x" * (i % 100)})
        assert rss_kb() - before < 2048
