"""Every report bundled in examples/outputs/ is what its command prints today.

The commands are in examples/outputs.yaml; `python examples/regenerate.py` rewrites the files.
"""

import importlib.util
import math
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("regenerate", ROOT / "examples" / "regenerate.py")
regenerate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regenerate)

ENTRIES = regenerate.entries()

# How far a number in a bundled output may drift across Python versions.
REL_TOL = 1e-3
ABS_TOL = 1e-6
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def numbers_close(a, b) -> bool:
    """Two numbers equal up to REL_TOL / ABS_TOL.

    The bundled outputs are made on one Python and checked on every supported one (3.10 to 3.13),
    and float results are not bit-for-bit the same on all of them: from Python 3.12 on, the
    built-in sum() of floats is compensated (Neumaier summation), so a sum can differ in its last
    bits, and a value rounded to four places can then differ in its last digit (goals.json's
    `progress`: 1.1987 on 3.11, 1.1988 on 3.12). That is not a change in behaviour, so numbers are
    compared with a tolerance far below anything a report means, and everything else exactly.
    """
    return math.isclose(float(a), float(b), rel_tol=REL_TOL, abs_tol=ABS_TOL)


def json_differences(got, expected, path: str = "$") -> list[str]:
    """Where two JSON values differ, numbers compared with numbers_close, all else exactly."""
    def is_number(x):
        return isinstance(x, (int, float)) and not isinstance(x, bool)

    if is_number(got) and is_number(expected):
        return [] if numbers_close(got, expected) else [f"{path}: {got!r} != {expected!r}"]
    if isinstance(got, dict) and isinstance(expected, dict):
        if list(got) != list(expected):
            return [f"{path}: keys {list(got)} != {list(expected)}"]
        return [d for key in got for d in json_differences(got[key], expected[key], f"{path}.{key}")]
    if isinstance(got, list) and isinstance(expected, list):
        if len(got) != len(expected):
            return [f"{path}: {len(got)} items != {len(expected)}"]
        return [d for i, (g, e) in enumerate(zip(got, expected)) for d in json_differences(g, e, f"{path}[{i}]")]
    return [] if got == expected and type(got) is type(expected) else [f"{path}: {got!r} != {expected!r}"]


def text_differences(got: str, expected: str) -> list[str]:
    """Where two texts differ: exactly, except numbers in them, compared with numbers_close."""
    got_parts, expected_parts = NUMBER.split(got), NUMBER.split(expected)
    got_numbers, expected_numbers = NUMBER.findall(got), NUMBER.findall(expected)
    if got_parts != expected_parts or len(got_numbers) != len(expected_numbers):
        if got == expected:
            return []
        got_lines, expected_lines = got.splitlines(), expected.splitlines()
        for i, (g, e) in enumerate(zip(got_lines, expected_lines), 1):
            if g != e:
                return [f"line {i}: {g!r} != {e!r}"]
        return [f"{len(got_lines)} lines != {len(expected_lines)}"]
    return [f"{g} != {e}" for g, e in zip(got_numbers, expected_numbers) if g != e and not numbers_close(g, e)]


def test_every_bundled_output_is_listed():
    listed = {e["file"] for e in ENTRIES}
    present = {str(p.relative_to(ROOT)) for p in (ROOT / "examples" / "outputs").iterdir()}
    assert present == listed


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_bundled_output_is_current(entry):
    code, out = regenerate.run(entry["command"])
    assert code in (0, 1), out
    expected = (ROOT / entry["file"]).read_text(encoding="utf-8")
    got, want = regenerate.comparable(entry["file"], out), regenerate.comparable(entry["file"], expected)
    differences = json_differences(got, want) if entry["file"].endswith(".json") else text_differences(got, want)
    assert not differences, f"{entry['file']} is stale: run `python examples/regenerate.py`\n" + "\n".join(differences[:10])


def test_the_tolerance_is_narrow():
    assert json_differences({"progress": 1.1988}, {"progress": 1.1987}) == []
    assert json_differences({"progress": 1.3}, {"progress": 1.2}) != []
    assert json_differences({"n": True}, {"n": 1}) != []
    assert text_differences("progress 119.88%", "progress 119.87%") == []
    assert text_differences("progress 120%", "progress 119%") != []
    assert text_differences("met: yes", "met: no") != []
