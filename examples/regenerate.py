"""Rewrite the bundled reports in examples/outputs/ (and the generated docs) from their commands.

    python examples/regenerate.py          # from the repository root, after changing rules or templates

The commands are listed in examples/outputs.yaml; tests/test_examples_current.py runs the same
commands and fails when a bundled file is stale. The python engine is used so the files are
the same on every Python (durable gives the same findings; the differential tests prove it).
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import yaml
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "examples" / "outputs.yaml"


def entries() -> list[dict]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def run(command: str, engine: bool = True) -> tuple[int, str]:
    """What `advisor <command> [--engine python]` prints, run in-process from the repository root."""
    import os

    from advisor.cli.main import cli

    here = os.getcwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(cli, [*shlex.split(command), *(["--engine", "python"] if engine else [])],
                                    env={"NO_COLOR": "1", "ADVISOR_ACCOUNT": ""}, catch_exceptions=False)
    finally:
        os.chdir(here)
    return result.exit_code, result.stdout


def comparable(file: str, text: str):
    """The part of an output that must not change: for JSON, everything but the engine's name."""
    if not file.endswith(".json"):
        return text
    data = json.loads(text)
    if isinstance(data.get("summary"), dict):
        data["summary"].pop("engine", None)
    return data


def main() -> int:
    for entry in entries():
        code, out = run(entry["command"])
        if code not in (0, 1):
            print(f"advisor {entry['command']}: exit status {code}", file=sys.stderr)
            return 1
        (ROOT / entry["file"]).write_text(out, encoding="utf-8")
        print(f"wrote {entry['file']}")
    for command in ("rules docs --output docs/rules.md", "schema all --output-dir rules/schemas"):
        code, out = run(command, engine=False)
        print(f"advisor {command}: exit status {code}")
        if code != 0:
            print(out, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
