"""What the README and the guides in docs/ show is real.

A block preceded by `<!-- input: FILE -->` shows lines of that file; a block preceded by
`<!-- output: advisor ... -->` shows lines the command prints, in order (a line `...` skips
any number of lines). Both are checked here, so the documentation cannot drift from the code.
"""

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MARKED = re.compile(r"<!-- (input|output): (.+?) -->\n```[a-z]*\n(.*?)\n```", re.S)


def blocks():
    found = []
    for doc in DOCS:
        for m in MARKED.finditer(doc.read_text(encoding="utf-8")):
            found.append((doc.relative_to(ROOT).as_posix(), m.group(1), m.group(2), m.group(3)))
    return found


BLOCKS = blocks()


def test_readme_and_review_guide_show_marked_examples():
    where = [doc for doc, *_ in BLOCKS]
    assert where.count("README.md") >= 8
    assert where.count("docs/review.md") >= 4


@pytest.mark.parametrize("doc, kind, what, block", BLOCKS, ids=[f"{d}:{w}" for d, _, w, _ in BLOCKS])
def test_marked_example_is_real(doc, kind, what, block, monkeypatch):
    monkeypatch.chdir(ROOT)
    if kind == "input":
        lines = (ROOT / what).read_text(encoding="utf-8-sig").splitlines()
        for line in block.splitlines():
            assert line in lines, f"{doc}: not in {what}: {line}"
        return
    args = shlex.split(what)
    assert args[0] == "advisor"
    result = CliRunner().invoke(cli, args[1:], env={"NO_COLOR": "1", "ADVISOR_ACCOUNT": ""})
    assert result.exit_code in (0, 1), result.output
    out = result.stdout.splitlines()
    at = 0
    for line in block.splitlines():
        if line.strip() == "...":
            continue
        assert line in out[at:], f"{doc}: not in the output of `{what}` (after line {at}): {line}"
        at = out.index(line, at) + 1
