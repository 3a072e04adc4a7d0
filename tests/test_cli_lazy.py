"""The `advisor` group loads each command's module only when that command runs
(advisor/cli/main.py's COMMANDS, `serve` from advisor/__main__.py): the table must say what the
real commands say, `advisor --help` must list them all without importing them, and every
command, error and exit status must be what an eagerly built group gives."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from conftest import EXAMPLES, ROOT
from advisor.__main__ import cli
from advisor.cli.main import COMMANDS, LazyCommand, LazyGroup

pytestmark = pytest.mark.usefixtures("clean_env")

WIDTHS = (40, 60, 80, 100, 200)


def _table() -> dict[str, LazyCommand]:
    return dict(cli.lazy_commands)


def _real(name: str) -> click.Command:
    return _table()[name].load()


def _eager() -> click.Group:
    """The group as it was built before: a plain click group holding every real command."""
    return click.Group(cli.name, commands={name: _real(name) for name in _table()}, params=cli.params,
                       help=cli.help, context_settings=cli.context_settings)


def _run(args, env=None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "LANG": "en_US.UTF-8", "NO_COLOR": "1", **(env or {})}, **kwargs)


def test_the_table_holds_every_cli_command_and_serve():
    assert set(COMMANDS) == {"ab", "checklist", "cta", "goals", "review", "rules", "schema", "tiers"}
    assert set(_table()) == set(COMMANDS) | {"serve"}
    assert isinstance(cli, LazyGroup)


@pytest.mark.parametrize("name", sorted({*COMMANDS, "serve"}))
def test_the_table_says_what_the_real_command_says(name):
    """Name and help line: the summary is the real help's first paragraph, and click shortens
    both the same way at every width (edit the table when a command's docstring changes)."""
    entry, real = _table()[name], _real(name)
    assert isinstance(real, click.Command)
    assert real.name == name
    assert not real.hidden and not real.deprecated and real.short_help is None  # the stand-in has none of these
    assert entry.summary == inspect.cleandoc(real.help).partition("\n\n")[0].strip()
    stand_in = entry.stand_in(name)
    for limit in (10, 30, 45, 60, 80, 94, 200):
        assert stand_in.get_short_help_str(limit) == real.get_short_help_str(limit), limit


@pytest.mark.parametrize("width", WIDTHS)
def test_help_is_the_eager_groups_help(width):
    runner = CliRunner()
    lazy = runner.invoke(cli, ["--help"], prog_name="advisor", terminal_width=width)
    eager = runner.invoke(_eager(), ["--help"], prog_name="advisor", terminal_width=width)
    assert lazy.exit_code == eager.exit_code == 0
    assert lazy.output == eager.output
    for name in _table():
        assert f"\n  {name} " in lazy.output


def test_help_lists_every_command_without_importing_one():
    code = ("import sys\n"
            "from advisor.__main__ import cli\n"
            "try:\n"
            "    cli.main(['--help'], prog_name='advisor')\n"
            "except SystemExit:\n"
            "    pass\n"
            "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n")
    done = _run(["-c", code])
    loaded = set(done.stderr.split())
    assert done.returncode == 0
    for name in _table():
        assert f"\n  {name} " in done.stdout
    commands = sorted({entry.target.partition(":")[0] for entry in _table().values()} & loaded)
    assert commands == [], f"--help imported command modules: {commands}"
    heavy = sorted(m for m in ("pydantic", "jinja2", "yaml", "numpy", "scipy", "openpyxl", "advisor.engine",
                               "starlette") if m in loaded)
    assert heavy == [], f"--help imported {heavy}"


def test_a_command_loads_only_its_own_module():
    code = ("import sys\n"
            "from advisor.__main__ import cli\n"
            "try:\n"
            "    cli.main(['schema', '--help'], prog_name='advisor')\n"
            "except SystemExit:\n"
            "    pass\n"
            "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n")
    done = _run(["-c", code])
    loaded = set(done.stderr.split())
    assert done.returncode == 0 and "Usage: advisor schema" in done.stdout
    others = sorted(m for m in {entry.target.partition(":")[0] for entry in _table().values()} & loaded
                    if m != "advisor.cli.schema_cmd")
    assert others == []


def _paths(group: click.Group, prefix=()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield prefix + (name,)
        if isinstance(command, click.Group):
            yield from _paths(command, prefix + (name,))


def test_every_command_and_subcommand_is_reachable():
    paths = list(_paths(cli))
    assert ("rules", "check") in paths and ("cta", "check") in paths and ("serve",) in paths
    for path in paths:
        result = CliRunner().invoke(cli, [*path, "--help"], prog_name="advisor")
        assert result.exit_code == 0, (path, result.output)
        assert result.output.startswith(f"Usage: advisor {' '.join(path)} "), (path, result.output)
        eager = CliRunner().invoke(_eager(), [*path, "--help"], prog_name="advisor")
        assert result.output == eager.output, path


@pytest.mark.parametrize("args", [["revie"], ["servee"], ["nonsense"], ["rules", "chek"], ["REVIEW"]])
def test_an_unknown_command_fails_as_before(args):
    """Same message (with click's did-you-mean over every command, loaded or not) and exit 2."""
    done = _run(["-m", "advisor", *args])  # a fresh process: no command module loaded yet
    eager = CliRunner().invoke(_eager(), args, prog_name="advisor")
    assert done.returncode == eager.exit_code == 2
    assert done.stdout + done.stderr == eager.output
    assert f"No such command '{args[-1]}'." in done.stderr


def test_did_you_mean_names_commands_not_loaded_yet():
    if not hasattr(click.exceptions, "NoSuchCommand"):
        pytest.skip("click < 8.4 suggests no names")
    done = _run(["-m", "advisor", "revie"])
    assert "Did you mean one of: 'review', 'serve'?" in done.stderr


def test_no_command_shows_the_usage_as_before():
    lazy = CliRunner().invoke(cli, [], prog_name="advisor")
    eager = CliRunner().invoke(_eager(), [], prog_name="advisor")
    assert (lazy.exit_code, lazy.output) == (eager.exit_code, eager.output)


def test_python_dash_m_advisor_runs_commands():
    version = _run(["-m", "advisor", "--version"])
    assert version.returncode == 0 and version.stdout.startswith("advisor ")
    review = _run(["-m", "advisor", "review", str(EXAMPLES / "video.json"), "--format", "json", "--lang", "en"])
    assert review.returncode == 0, review.stderr
    assert json.loads(review.stdout)["videos"][0]["id"] == "wx-2026-0620"
    help_ = _run(["-m", "advisor", "serve", "--help"])
    assert help_.returncode == 0 and "Usage: advisor serve" in help_.stdout


def test_version_is_unchanged():
    from advisor import __version__
    from advisor.engine import default_engine

    result = CliRunner().invoke(cli, ["--version"], prog_name="advisor")
    assert result.exit_code == 0
    assert result.output.startswith(f"advisor {__version__} (Python ")
    assert f"engine: {default_engine()}" in result.output


def test_a_command_added_eagerly_still_works():
    group = LazyGroup("g", lazy_commands={"review": COMMANDS["review"]})
    group.add_command(click.Command("hello", callback=lambda: click.echo("hi"), help="Say hi."))
    assert group.list_commands(click.Context(group)) == ["hello", "review"]
    result = CliRunner().invoke(group, ["hello"])
    assert (result.exit_code, result.output) == (0, "hi\n")


def test_the_report_table_names_real_classes_and_functions():
    """advisor.render.emit names its result classes and functions by "module:name" (imported when
    that kind is rendered): each must exist."""
    from advisor.render import emit

    for key in emit.REPORTS:
        module, _, name = key.partition(":")
        cls = getattr(__import__(module, fromlist=[name]), name)
        assert isinstance(cls, type) and f"{cls.__module__}:{cls.__qualname__}" == key
    lazy = [value for value in vars(emit).values() if isinstance(value, emit._Lazy)]
    assert len(lazy) >= 15
    for function in lazy:
        assert callable(function.resolve()), function.target
    assert len({kind.name for kind in emit.REPORTS.values()}) == len(emit.REPORTS)


def test_a_review_loads_no_other_commands_job():
    code = ("import sys\n"
            "from advisor.__main__ import cli\n"
            "try:\n"
            f"    cli.main(['review', {str(EXAMPLES / 'video.json')!r}], prog_name='advisor')\n"
            "except SystemExit as exc:\n"
            "    assert not exc.code, exc.code\n"
            "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n")
    done = _run(["-c", code])
    assert done.returncode == 0, done.stderr
    loaded = set(done.stderr.split())
    assert "advisor.jobs.review" in loaded
    others = sorted(m for m in ("advisor.jobs.ab", "advisor.jobs.goals", "advisor.jobs.tiers", "advisor.jobs.lint",
                                "advisor.jobs.ruletest", "advisor.render.views", "advisor.render.html_report",
                                "advisor.web.command", "openpyxl") if m in loaded)
    assert others == []


@pytest.mark.parametrize("preset", [None, "4"])
def test_the_program_runs_openblas_on_one_thread_unless_told_otherwise(monkeypatch, preset, capsys):
    import advisor.__main__ as program

    if preset is None:
        monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", preset)
    monkeypatch.setattr(sys, "argv", ["advisor", "--help"])
    with pytest.raises(SystemExit) as exit_:
        program.main()
    assert exit_.value.code == 0
    assert os.environ["OPENBLAS_NUM_THREADS"] == (preset or "1")


@pytest.mark.parametrize("paused", [False, True])
@pytest.mark.parametrize("program", [False, True])
def test_loading_a_command_leaves_the_collector_as_it_was(paused, program):
    """In the program (one command per process), a command's modules load with the collector
    paused, then are frozen (out of later collections); the collector runs again afterwards,
    unless it was paused before. A process that runs commands in its own (tests, the web app)
    freezes nothing."""
    code = ("import gc\n"
            + ("gc.disable()\n" if paused else "")
            + "from advisor.cli.main import COMMANDS, freeze_imports\n"
            + ("freeze_imports()\n" if program else "")
            + "COMMANDS['review'].load()\n"
            "print(gc.isenabled(), gc.get_freeze_count() > 0)\n")
    done = _run(["-c", code])
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(not paused), str(program and not paused)]
