"""Every report bundled in examples/outputs/ is what its command prints today.

The commands are in examples/outputs.yaml; `python examples/regenerate.py` rewrites the files.
"""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("regenerate", ROOT / "examples" / "regenerate.py")
regenerate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regenerate)

ENTRIES = regenerate.entries()


def test_every_bundled_output_is_listed():
    listed = {e["file"] for e in ENTRIES}
    present = {str(p.relative_to(ROOT)) for p in (ROOT / "examples" / "outputs").iterdir()}
    assert present == listed


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_bundled_output_is_current(entry):
    code, out = regenerate.run(entry["command"])
    assert code in (0, 1), out
    expected = (ROOT / entry["file"]).read_text(encoding="utf-8")
    assert regenerate.comparable(entry["file"], out) == regenerate.comparable(entry["file"], expected), \
        f"{entry['file']} is stale: run `python examples/regenerate.py`"
