"""The package list in pyproject.toml must name every folder that holds code or shipped data.

setuptools needs them listed by hand because rules/ and templates/ are mapped into the
package (advisor/_shipped/...); a folder missing from the list would silently be left out
of `pip install .`.
"""

import re
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")

ROOT = Path(__file__).resolve().parents[1]


def listed_packages() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return set(data["tool"]["setuptools"]["packages"])


def expected_packages() -> set[str]:
    out = set()
    for path in (ROOT / "advisor").rglob("*.py"):
        if "__pycache__" in path.parts:
            continue
        out.add(".".join(path.parent.relative_to(ROOT).parts))
    for top, prefix in (("rules", "advisor._shipped.rules"), ("templates", "advisor._shipped.templates")):
        for path in (ROOT / top).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                rel = path.parent.relative_to(ROOT / top).parts
                out.add(".".join((prefix,) + rel))
    return out


@pytest.mark.skipif(not (ROOT / "pyproject.toml").is_file(), reason="not a source checkout")
def test_every_code_and_data_folder_is_packaged():
    missing = expected_packages() - listed_packages()
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


def test_package_data_patterns_cover_shipped_file_types():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = data["tool"]["setuptools"]["package-data"]["*"]
    suffixes = {p.suffix for top in ("rules", "templates") for p in (ROOT / top).rglob("*") if p.is_file()}
    suffixes |= {p.suffix for p in (ROOT / "advisor").rglob("*") if p.is_file() and p.suffix != ".py"
                 and "__pycache__" not in p.parts}
    uncovered = {s for s in suffixes if not any(re.fullmatch(pat.replace(".", r"\.").replace("*", ".*"), "x" + s)
                                              for pat in patterns)}
    assert not uncovered, f"add to package-data: {sorted(uncovered)}"
