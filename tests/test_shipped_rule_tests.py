"""The shipped rules pass their own rule tests (rules/tests/*.yaml), on every engine that runs here.

This is how CI runs `advisor rules test`: the same library function, every shipped test file.
"""

from __future__ import annotations

import pytest

from advisor.engine import ENGINES, durable_import_error
from advisor.input.ruleset import load_ruleset
from advisor.jobs.ruletest import discover, load_test_file, run_rule_tests

AVAILABLE = [e for e in ENGINES if e != "durable" or durable_import_error() is None]


@pytest.fixture(scope="module")
def shipped():
    return load_ruleset()


@pytest.fixture(scope="module")
def cases(shipped):
    files, problems = discover(shipped.test_dirs())
    assert not problems
    out = []
    for path in files:
        loaded, problems = load_test_file(path)
        assert not problems, "\n".join(p.format("en") for p in problems)
        out.extend(loaded)
    return out


def test_there_are_shipped_rule_tests(shipped):
    files, _ = discover(shipped.test_dirs())
    assert files, "rules/tests/ holds no test files"


@pytest.mark.parametrize("engine", AVAILABLE)
def test_every_shipped_case_passes(shipped, engine):
    run = run_rule_tests(None, ruleset=shipped, shipped_ruleset=shipped, engines=(engine,))
    report = [f"{r.case.file}:{r.case.line}: {r.case.name}: " + "; ".join(f.message("en") for f in r.failures)
              for r in run.results if r.status != "pass"]
    report += [p.format("en") for p in run.errors]
    assert not report, "\n".join(report)
    assert run.exit_code() == 0 and run.passed == len(run.results) > 0


def test_every_shipped_rule_has_a_firing_and_a_quiet_example(shipped, cases):
    """docs/design.md: every shipped rule has a case where it fires and one where it does not
    (`advisor rules docs` takes its examples from them)."""
    fire = {rid for c in cases for rid in c.fire}
    quiet = {rid for c in cases for rid in c.not_fire}
    missing = [f"{r.id} ({r.rule.stage}): " + ", ".join(k for k, s in (("fire", fire), ("not_fire", quiet)) if r.id not in s)
               for r in shipped.rules if r.rule.enabled and (r.id not in fire or r.id not in quiet)]
    assert not missing, "rules without an example in rules/tests/:\n" + "\n".join(missing)
