"""Value encoding: how a fact's values reach durable_rules, as ranks, never as themselves.

Each fact value is replaced by its *rank* among the constants its field is compared with: for
sorted distinct constants c_0 < ... < c_{n-1}, constant c_j is the integer 2j+1; a value equal
to c_j is 2j+1, a value strictly between c_{j-1} and c_j is 2j. Every comparison against a
constant gives the same answer on the ranks as Python gives on the values, and durable only ever
compares small integers. This removes, by construction, every encoding pitfall of durable_rules
2.0.28, each measured on that version: exponent notation rejected in facts and in thresholds
alike (error 204; plain json.dumps writes 1e-05, and tiny heart rates are normal data), inf
rejected (202), NaN turned into null, integers clamped above 2^63, int-vs-double comparisons
rounding above 2^53, strings coerced against numbers ("abc" > 5 is true), `true == 1`,
prefix-ordered strings ("abc" < "abc!" is false), strings over 65,535 bytes compared wrongly,
Chinese text, quotes and backslashes in JSON.

The reference's type rule (a string, a bool and a number never compare equal or ordered: the
leaf is false, `!=` true) and NaN (every comparison false, `!=` true) are reproduced with a
*sentinel* rank: below every constant (LO) or above every constant (HI). A leaf whose engine
form is `<`/`<=` reads the HI copy of the field when a mismatch must make it false, the LO copy
when it must make it true (and the reverse for `>`/`>=`); `==`/`!=` read either copy since a
sentinel equals no constant. So a field has at most two engine properties per value type.

The rule side (the constants' ranks, and which copy a leaf reads) is in
advisor.engine.durable's `_Translator`; this module holds the fact side: `_FieldEncoder` for one
field, and `_compile_encoder`, which generates the whole fact's JSON encoder for one ruleset.
"""

from __future__ import annotations

import decimal
import math
import numbers
from bisect import bisect_left


def _value_class(value) -> str | None:
    """The reference's comparison classes: bool, str, and everything else (numbers)."""
    if isinstance(value, bool):
        return "b"
    if isinstance(value, str):
        return "s"
    if isinstance(value, (numbers.Real, decimal.Decimal)):
        return "n"
    return None


def _is_nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


class _FieldEncoder:
    """One IR field -> the JSON fragment of its engine properties (ranks and sentinels)."""

    __slots__ = ("slots", "mismatch_all")

    def __init__(self, props: list[tuple[str, str, str]], constants: dict[str, list]):
        # props: (engine property, class or "presence", variant)
        self.slots: dict[str, tuple] = {}
        sentinel = {}
        for prop, cls, variant in props:
            if cls == "presence":
                sentinel[prop] = "1"
            else:
                n = len(constants[cls])
                sentinel[prop] = "-1" if variant == "lo" else str(2 * n + 1)
        self.mismatch_all = ",".join(f'"{p}":{sentinel[p]}' for p, _, _ in props)
        for cls in {c for _, c, _ in props if c != "presence"}:
            parts = [f'"{p}":{{0}}' if c == cls else f'"{p}":{sentinel[p]}' for p, c, _ in props]
            self.slots[cls] = (constants[cls], len(constants[cls]), ",".join(parts).format)

    def encode(self, value) -> str:
        kind = type(value)
        if kind is float:
            if value != value:  # NaN: present, compares with nothing
                return self.mismatch_all
            cls = "n"
        elif kind is int:
            cls = "n"
        elif kind is str:
            cls = "s"
        elif kind is bool:
            cls = "b"
        else:
            cls = _value_class(value)
            if cls == "n" and value != value:
                return self.mismatch_all
        slot = self.slots.get(cls)
        if slot is None:
            return self.mismatch_all
        consts, n, fmt = slot
        i = bisect_left(consts, value)
        return fmt(2 * i + 1 if i < n and consts[i] == value else 2 * i)


def _compile_encoder(fields: list, head: str):
    """A function (prepared fact, derived signals) -> the engine fact's JSON, for one ruleset.

    fields: (IR field, the signal it carries when it is a `sig:` field or None, its
    _FieldEncoder); head: the fact's opening (`{"sid":...,"id":...,"k":1`), which the fields'
    fragments follow.

    Generated Python, one straight block per field, with the common cases (a number, a bool)
    inline and everything else through _FieldEncoder.encode: the per-field calls and loop of a
    generic encoder were most of the evaluator's time. Names and constants reach the generated
    code through its namespace or as repr() literals, never as raw text.
    """
    ns: dict = {"HEAD": head, "bisect_left": bisect_left}
    lines = ["def encode(fact, derived):", "    parts = [HEAD]", "    add = parts.append"]
    for i, (field, signal, encoder) in enumerate(fields):
        ns[f"E{i}"] = encoder.encode
        ns[f"T{i}"], ns[f"F{i}"] = encoder.encode(True), encoder.encode(False)
        if signal is not None:  # always present, a bool: true when an earlier stratum derived it
            lines.append(f"    add(T{i} if {signal!r} in derived else F{i})")
            continue
        lines += [f"    v = fact.get({field!r})", "    if v is not None:"]
        if "n" in encoder.slots:
            consts, n, fmt = encoder.slots["n"]
            # Every fragment this field can produce, by rank: one lookup instead of formatting.
            ns[f"C{i}"], ns[f"N{i}"], ns[f"R{i}"] = consts, n, tuple(fmt(code) for code in range(2 * n + 1))
            lines += [
                "        t = type(v)",
                "        if t is int or (t is float and v == v):",
            ]
            if n == 1:  # the usual case: one threshold, two comparisons beat a bisect
                ns[f"K{i}"] = consts[0]
                lines.append(f"            add(R{i}[1] if v == K{i} else R{i}[0] if v < K{i} else R{i}[2])")
            else:
                lines += [
                    f"            j = bisect_left(C{i}, v)",
                    f"            add(R{i}[2 * j + 1] if j < N{i} and C{i}[j] == v else R{i}[2 * j])",
                ]
            lines += [
                "        else:",
                f"            add(E{i}(v))",
            ]
        else:
            lines += [
                "        if v is True:",
                f"            add(T{i})",
                "        elif v is False:",
                f"            add(F{i})",
                "        else:",
                f"            add(E{i}(v))",
            ]
    lines.append('    return ",".join(parts) + "}"')
    exec(compile("\n".join(lines), "<durable fact encoder>", "exec"), ns)
    return ns["encode"]
