"""The two evaluators of a compiled Program, and which one is used.

- "durable": durable_rules 2.0.28 through its C-level API (advisor.engine.durable), the
  default where it imports (Python < 3.13).
- "python": the pure-Python reference evaluator (advisor.engine.reference), the oracle the
  durable engine is tested against, and the fallback on Python 3.13+.
"""

from __future__ import annotations

from functools import lru_cache

from advisor.engine.durable import DurableEvaluator
from advisor.engine.durable_limits import EngineLimitError
from advisor.engine.program import Program
from advisor.engine.reference import ReferenceEvaluator

ENGINES = ("durable", "python")


@lru_cache(maxsize=1)
def durable_import_error() -> str | None:
    """None when durable_rules imports here, else why not (shown by `advisor --version`)."""
    try:
        import durable_rules_engine  # noqa: F401  # heavy/optional: imported when used
    except Exception as exc:  # ImportError, or the undefined-symbol error on 3.13+
        return f"{type(exc).__name__}: {exc}"
    return None


def default_engine() -> str:
    return "durable" if durable_import_error() is None else "python"


def make_evaluator(program: Program, engine: str | None = None):
    """An evaluator for `program`; engine None picks the default for this Python."""
    engine = engine or default_engine()
    if engine == "python":
        return ReferenceEvaluator(program)
    if engine == "durable":
        return DurableEvaluator(program)
    raise ValueError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")


def durable_limit_error(program: Program) -> EngineLimitError | None:
    """Why durable_rules cannot run `program` (its limit model, no engine needed), or None."""
    try:
        DurableEvaluator(program, check_only=True)
    except EngineLimitError as exc:
        return exc
    return None
