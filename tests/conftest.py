"""What many test modules share: the repository's paths, the shipped rules, running the CLI.

Helpers are imported by name (`from conftest import ROOT, run_cli`); fixtures are found by pytest.
"""

from __future__ import annotations

import atexit
import csv
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

# advisor caches rule-text checks and compiled templates in the user cache folder
# (advisor/core/cache.py); the tests, and the processes they start, use a fresh folder of their
# own, so a developer's cache can neither help nor hurt them. Set before advisor is imported.
os.environ["ADVISOR_CACHE_DIR"] = _CACHE_DIR = tempfile.mkdtemp(prefix="advisor-test-cache-")
atexit.register(shutil.rmtree, _CACHE_DIR, ignore_errors=True)

from advisor.engine import durable_import_error  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
HAN = re.compile(r"[\u4e00-\u9fff]")  # Chinese characters: is a text in zh?

# durable_rules is not installed on Python 3.13+ (pyproject's marker); tests of it skip there.
needs_durable = pytest.mark.skipif(durable_import_error() is not None,
                                   reason=f"durable_rules does not import here: {durable_import_error()}")
# Both engines as a parametrize list: "durable" skips itself where it does not import.
BOTH_ENGINES = ["python", pytest.param("durable", marks=needs_durable)]


def csv_data_rows(path) -> list[list[str]]:
    """The non-empty data rows below a CSV's header, read with the csv module, not the importer."""
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        return [row for row in list(csv.reader(handle))[1:] if any(cell.strip() for cell in row)]


def run_cli(*args, input=None, **kwargs):
    """`advisor ARGS...` in-process; the click Result (exit_code, output, stdout, stderr).

    Exceptions are not caught: a traceback fails the test instead of hiding in the output.
    """
    from advisor.cli.main import cli

    return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False, **kwargs)


def run_cli_output(*args, **kwargs) -> tuple[int, str]:
    """(exit status, all it printed: standard output and error) of `advisor ARGS...`."""
    result = run_cli(*args, **kwargs)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def ruleset():
    """The shipped rules, loaded once per module."""
    from advisor.input.ruleset import load_ruleset

    return load_ruleset()


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """Run in an empty folder (no advisor.yaml from the developer's), English locale, no colour or account settings.

    Modules that run the CLI use it for every test: `pytestmark = pytest.mark.usefixtures("clean_env")`.
    """
    monkeypatch.chdir(tmp_path)
    for name in ("NO_COLOR", "ADVISOR_ACCOUNT", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")


def ruleset_in_mode(mode: str, folder=None):
    """The shipped rules with a user levels layer setting `default_mode: MODE` (typical,
    percentile or absolute), as an account's rule folder would; written to `folder` (a fresh
    temporary folder when None)."""
    import tempfile

    from advisor.input.ruleset import load_ruleset

    folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix=f"levels-{mode}-"))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "levels.yaml").write_text(f"default_mode: {mode}\n", encoding="utf-8")
    return load_ruleset([folder])


# --- the web app: a fresh store and a client for it (tests/test_web*.py) ---------------------------


@pytest.fixture
def store(tmp_path):
    """An empty web store in a SQLite file of the test's own."""
    from advisor.web.store import Store, database_url

    s = Store(database_url(str(tmp_path / "store.sqlite3")))
    yield s
    s.close()


@pytest.fixture
def client(store):
    """An HTTP client of the web app over `store` (no server, no port)."""
    from starlette.testclient import TestClient

    from advisor.input.config import load_config
    from advisor.web.app import create_app

    return TestClient(create_app(store, load_config(None, cwd=ROOT / "tests")))


def csrf(client, path="/import") -> str:
    """The CSRF token a page of the web app embeds in its forms."""
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text).group(1)
