"""Issue 15, case by case: hostile input never gives a traceback, a hang, a lost file or an unlocated error.

Each test is one numbered case of the issue (docs/security.md lists what is guaranteed and
where it is tested). Commands run in-process (conftest.run_cli: an exception fails the test);
time bounds are asserted where a hang was the bug.
"""

from __future__ import annotations

import errno
import io
import json
import os
import re
import signal
import sys
import time
from pathlib import Path

import pytest

from conftest import run_cli
from advisor.core import output as output_mod
from advisor.core import progress
from advisor.core.errors import AdvisorError
from advisor.core.i18n import T
from advisor.core.regex import pattern_problem, search
from advisor.core.templating import RenderError, render_template, render_text

BOUND = 10.0  # seconds: generous for a loaded machine; the bugs were unbounded
LOCATED = re.compile(r"^\S+?:\d+(:\d+)?: ", re.M)


def no_traceback(result):
    assert "Traceback" not in result.output, result.output
    assert result.exit_code in (0, 1, 2), result.output


def write_rules(folder: Path, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "rules.yaml").write_text(text, encoding="utf-8")
    return folder


def timed(*args, **kwargs):
    start = time.monotonic()
    result = run_cli(*args, **kwargs)
    assert time.monotonic() - start < BOUND, f"took {time.monotonic() - start:.1f}s"
    no_traceback(result)
    return result


@pytest.fixture(autouse=True)
def _cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("NO_COLOR", raising=False)


NEAR_MISS = "a" * 40 + "!"


# ---- 1. ReDoS -------------------------------------------------------------------------------------


@pytest.mark.parametrize("pattern", [r"^(\w+\s?)+$", "(a+)+$"])
def test_1_redos_pattern_runs_in_linear_time(tmp_path, pattern):
    rules = write_rules(tmp_path / "rr", f"- {{id: x, heuristics: [H05], stage: review, when: {{metric: title, op: matches, "
                                         f"value: '{pattern}'}}, then: {{title: {{zh: x, en: x}}}}}}\n")
    Path("v.csv").write_text(f"id,title,views\na,{NEAR_MISS},100\n", encoding="utf-8")
    assert timed("review", "v.csv", "--rules", rules, "--lang", "en").exit_code == 0
    cta = write_rules(tmp_path / "cr", f"- {{id: x, heuristics: [H13], stage: cta, when: {{metric: text, op: matches, "
                                      f"value: '{pattern}'}}, then: {{title: {{zh: x, en: x}}}}}}\n")
    assert timed("cta", "check", NEAR_MISS, "--rules", cta, "--lang", "en").exit_code in (0, 1)
    start = time.monotonic()
    assert search(pattern, "a" * 100_000 + "!") is None
    assert time.monotonic() - start < 1


@pytest.mark.parametrize("pattern", [r"(a)\1", "(?=x)y", "(?<!x)y", "["])
def test_1_rules_check_rejects_what_re2_cannot_run(tmp_path, pattern):
    rules = write_rules(tmp_path / "rr", f"- {{id: x, heuristics: [H05], stage: review, when: {{metric: title, op: matches, "
                                         f"value: '{pattern}'}}, then: {{title: {{zh: x, en: x}}}}}}\n")
    assert pattern_problem(pattern) is not None
    result = timed("rules", "check", rules, "--lang", "en")
    assert result.exit_code == 1
    assert re.search(r"rules\.yaml:1:\d+: ", result.stderr), result.stderr


def test_1_python_unicode_classes_are_kept():
    assert search(r"^\w+$", "点赞三连") is not None  # \w is Unicode, as in Python
    assert search(r"^\d+$", "١٢٣") is not None
    assert search(r"\s", "a\u3000b") is not None
    assert search("HEART", "hearts") is not None  # case-insensitive


# ---- 2. unbounded Jinja ---------------------------------------------------------------------------

UNBOUNDED = [
    "{% for i in range(99999) %}{% for j in range(99999) %}x{% endfor %}{% endfor %}",
    "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}",
    "{{ 'a' * 10**10 }}",
    "{{ [1] * 10**9 }}",
    "{{ 2 ** (10 ** 9) }}",
    "{{ 'x'|center(10**10) }}",
    "{{ 'x'.ljust(10**9) }}",
    "{{ '%099999999d' % 1 }}",
    "{{ '{:>999999999}'.format(1) }}",
    "{{ lipsum(10**6) }}",
    "{{ 'ab'|replace('', 'x' * 90000) }}",
    "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
    "{% set l = [1] %}{% for i in range(60) %}{{ l.extend(l) or '' }}{% endfor %}",
    "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(60) }}",
    "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
]


@pytest.mark.parametrize("source", UNBOUNDED)
def test_2_unbounded_text_is_stopped_quickly(source):
    start = time.monotonic()
    with pytest.raises(RenderError) as err:
        render_text(source, {"views": 5}, "en")
    assert time.monotonic() - start < 3
    assert "limit" in err.value.message.en or "recursion" in err.value.message.en or "range" in err.value.message.en


@pytest.mark.parametrize("source", UNBOUNDED[:4])
def test_2_unbounded_template_file_is_a_located_error(tmp_path, source):
    (tmp_path / "t.j2").write_text("ok\n" + source, encoding="utf-8")
    start = time.monotonic()
    with pytest.raises(AdvisorError) as err:
        render_template(tmp_path, "t.j2", {}, "en")
    assert time.monotonic() - start < BOUND
    problem = err.value.problems[0]
    assert problem.file.endswith("t.j2") and problem.line == 2


def test_2_rules_check_rejects_unbounded_texts(tmp_path):
    rules = write_rules(tmp_path / "rr", """\
- id: x
  heuristics: [H05]
  stage: review
  when: {metric: views, op: exists}
  then:
    title: {zh: "{% for i in range(99999) %}{% for j in range(99999) %}x{% endfor %}{% endfor %}", en: "{{ 'a' * 10**10 }}"}
""")
    result = timed("rules", "check", rules, "--lang", "en")
    assert result.exit_code == 1
    assert len(re.findall(r"rules\.yaml:6:\d+: the text of rule x cannot be rendered", result.stderr)) == 2, result.stderr


def test_2_shipped_reports_render_within_the_budget(tmp_path):
    result = timed("review", Path(__file__).parents[1] / "examples" / "wechat_channels_export.csv", "--format", "html",
                   "-o", tmp_path / "r.html", "--lang", "en")
    assert result.exit_code in (0, 1)


# ---- 3. runtime errors in rule texts and templates ------------------------------------------------

RUNTIME = ["{{ views.x }}", "{{ views / 0 }}", "{{ ''.__class__ }}", "{{ range(10**7) }}",
           "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}"]


@pytest.mark.parametrize("text", RUNTIME)
def test_3_rule_text_errors_are_found_by_rules_check_and_located_at_run_time(tmp_path, text):
    rules = write_rules(tmp_path / "rr", f"""\
- id: x
  heuristics: [H05]
  stage: review
  when: {{metric: views, op: exists}}
  then:
    title: {{zh: ok, en: "{text}"}}
""")
    check = timed("rules", "check", rules, "--lang", "en")
    assert check.exit_code == 1 and re.search(r"rules\.yaml:6:\d+: the text of rule x", check.stderr), check.stderr
    Path("v.csv").write_text("id,views\na,100\n", encoding="utf-8")
    run = timed("review", "v.csv", "--rules", rules, "--lang", "en")
    assert run.exit_code == 2
    assert re.search(r"rules\.yaml:6:\d+: the text of rule x cannot be rendered", run.stderr), run.stderr


def test_3_rules_check_renders_with_missing_fields(tmp_path):
    # likes is not tested by the rule, so a video without likes makes `likes * 2` fail at run time.
    rules = write_rules(tmp_path / "rr", """\
- id: x
  heuristics: [H05]
  stage: review
  when: {metric: views, op: exists}
  then:
    title: {zh: ok, en: "{{ likes * 2 }}"}
""")
    assert timed("rules", "check", rules, "--lang", "en").exit_code == 1


def test_3_shipped_rules_pass_the_render_check():
    result = timed("rules", "check", "--lang", "en")
    assert result.exit_code == 0, result.stderr


def test_3_checklist_templates_with_a_recursive_macro(tmp_path):
    examples = Path(__file__).parents[1] / "examples"
    plan = examples / "plan.json"
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    (tpl / "checklist.txt.j2").write_text("{% macro f() %}{{ f() }}{% endmacro %}\n{{ f() }}\n", encoding="utf-8")
    result = timed("checklist", plan, "--templates", tpl, "--lang", "en")
    assert result.exit_code == 2
    assert re.search(r"checklist\.txt\.j2:\d+: ", result.stderr), result.stderr


def test_3_cta_templates_dividing_by_zero(tmp_path):
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    shipped = Path(__file__).parents[1] / "templates" / "cta"
    for f in shipped.iterdir():
        (tpl / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    (tpl / "like.en.j2").write_text("{{ 1 // 0 }}\n", encoding="utf-8")
    result = timed("cta", "--goal", "exposure", "--templates", tpl, "--lang", "en")
    assert result.exit_code == 2, result.output
    assert re.search(r"like\.en\.j2:1: template divides by zero", result.stderr), result.stderr


# ---- 4. data loss ----------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["same", "symlink", "hardlink"])
def test_4_never_writes_over_an_input(how):
    Path("v.csv").write_text("id,views\na,100\n", encoding="utf-8")
    target = {"same": "v.csv", "symlink": "link.csv", "hardlink": "hard.csv"}[how]
    if how == "symlink":
        os.symlink("v.csv", "link.csv")
    elif how == "hardlink":
        os.link("v.csv", "hard.csv")
    result = timed("review", "v.csv", "-o", target, "--lang", "en")
    assert result.exit_code == 2
    assert f"{target}: refusing to write over an input" in result.stderr
    assert Path("v.csv").read_text(encoding="utf-8") == "id,views\na,100\n"


def test_4_ab_note_through_a_symlink_keeps_the_link(tmp_path):
    examples = Path(__file__).parents[1] / "examples" / "ab"
    a, b = sorted(examples.glob("*_a.csv"))[0], sorted(examples.glob("*_b.csv"))[0]
    Path("real.md").write_text("# notes\n", encoding="utf-8")
    os.symlink("real.md", "note.md")
    result = timed("ab", a, b, "--note", "note.md", "--what", "x", "--lang", "en")
    assert result.exit_code in (0, 1), result.output
    assert os.path.islink("note.md")
    assert Path("real.md").read_text(encoding="utf-8").startswith("# notes\n")
    assert len(Path("real.md").read_text(encoding="utf-8")) > len("# notes\n")


# ---- 5. output errors ------------------------------------------------------------------------------


def test_5_no_such_folder():
    Path("v.csv").write_text("id,views\na,100\n", encoding="utf-8")
    result = timed("review", "v.csv", "-o", "no/such/dir/r.txt", "--lang", "en")
    assert result.exit_code == 2 and "no/such/dir/r.txt: cannot write: no such folder" in result.stderr


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
def test_5_read_only_folder(tmp_path):
    Path("v.csv").write_text("id,views\na,100\n", encoding="utf-8")
    Path("ro").mkdir()
    os.chmod("ro", 0o555)
    try:
        result = timed("review", "v.csv", "-o", "ro/r.txt", "--lang", "en")
    finally:
        os.chmod("ro", 0o755)
    assert result.exit_code == 2 and "ro/r.txt: cannot write: permission denied" in result.stderr


def test_5_full_disk_keeps_the_previous_report(monkeypatch):
    Path("v.csv").write_text("id,views\na,100\n", encoding="utf-8")
    Path("r.txt").write_text("previous\n", encoding="utf-8")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(output_mod.os, "fsync", full)
    result = timed("review", "v.csv", "-o", "r.txt", "--lang", "en")
    assert result.exit_code == 2 and "r.txt: the disk is full" in result.stderr
    assert Path("r.txt").read_text(encoding="utf-8") == "previous\n"
    assert [p.name for p in Path(".").iterdir() if p.name.endswith(".tmp")] == []


def test_5_sigterm_during_a_write_leaves_no_temporary_file(monkeypatch):
    real_fsync = os.fsync

    def killed(fd):
        os.kill(os.getpid(), signal.SIGTERM)
        real_fsync(fd)

    monkeypatch.setattr(output_mod.os, "fsync", killed)
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit):
        output_mod.write_atomic("out.html", "<p>x</p>")
    assert list(Path(".").iterdir()) == []  # no .out.html.XXXX.tmp left
    assert signal.getsignal(signal.SIGTERM) == before  # the previous handler is back


@pytest.mark.parametrize("failure", ["full", "closed"])
def test_5_standard_output_full_or_closed(monkeypatch, failure):
    class Full(io.StringIO):
        def flush(self):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(output_mod, "_silence_stdout", lambda: None)
    monkeypatch.setattr(sys, "stdout", Full() if failure == "full" else None)
    with pytest.raises(AdvisorError) as err:
        output_mod.emit("report", None)
    assert err.value.problems[0].file == "<stdout>"


# ---- 6. huge numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize("name,content", [
    ("n.csv", "id,views\na,1e400\nb,100\n"),
    ("n.csv", "id,views,avg_watch_s\na,100," + "9" * 400 + ":00\nb,100,5\n"),
    ("n.csv", "id,views,likes\na,100,99999999999999999999\nb,100,5\n"),
    ("n.json", '[{"id": "a", "views": ' + "9" * 5000 + '}, {"id": "b", "views": 5}]'),
])
def test_6_implausible_numbers_are_located_cell_errors(name, content):
    Path(name).write_text(content, encoding="utf-8")
    result = timed("review", name, "--format", "json", "--lang", "en")
    assert result.exit_code == 1, result.output
    errors = json.loads(result.stdout)["errors"]
    assert errors and errors[0]["file"] == name and errors[0]["row"] == 1 and errors[0]["column"]


# ---- 7. durable's limits ----------------------------------------------------------------------------


def _big_in_rule(tmp_path) -> Path:
    values = ", ".join(f"'v{i}'" for i in range(1100))
    return write_rules(tmp_path / "rr", f"""\
- id: hand-rule
  heuristics: [H05]
  stage: review
  when: {{metric: title, op: in, value: [{values}]}}
  then: {{title: {{zh: x, en: x}}}}
""")


def test_7_rules_check_names_the_rule_past_durables_limits(tmp_path):
    rules = _big_in_rule(tmp_path)
    result = timed("rules", "check", rules, "--lang", "en")
    assert re.search(r"rules\.yaml:4:\d+: rule\(s\) hand-rule exceed a limit", result.stderr), result.stderr
    Path("advisor.yaml").write_text("engine: durable\n", encoding="utf-8")
    assert timed("rules", "check", rules, "--lang", "en").exit_code == 1


def test_7_a_run_falls_back_to_the_reference_evaluator(tmp_path):
    rules = _big_in_rule(tmp_path)
    Path("v.csv").write_text("id,title,views\na,v5,100\n", encoding="utf-8")
    result = timed("review", "v.csv", "--rules", rules, "--lang", "en")
    assert result.exit_code == 0, result.output
    from advisor.engine import durable_import_error
    if durable_import_error() is None:
        assert "runs on the Python reference evaluator" in result.stderr
        named = timed("review", "v.csv", "--rules", rules, "--engine", "durable", "--lang", "en")
        assert named.exit_code == 2 and re.search(r"rules\.yaml:4:\d+: ", named.stderr)


# ---- 8. escapes -----------------------------------------------------------------------------------------


def test_8_error_messages_escape_control_characters():
    Path("v.csv").write_text("id,views\na,\x1b]0;PWNED\x07\n", encoding="utf-8")
    result = timed("review", "v.csv", "--lang", "en")
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\x1b]0;PWNED\\x07" in result.stderr


def test_8_checklist_text_escapes_plan_fields():
    Path("p.json").write_text(json.dumps([{"title": "t\x1b[2J", "topic": "x\x07", "goal": "exposure",
                                           "cta_text": "点赞\x1b]0;x\x07"}]), encoding="utf-8")
    result = timed("checklist", "p.json", "--lang", "en")
    assert "\x1b" not in result.output and "\x07" not in result.output


def test_8_markdown_reports_do_not_pass_html():
    Path("v.csv").write_text('id,title,views\na,<script>alert(1)</script><img src=x onerror=alert(1)>,100\n',
                             encoding="utf-8")
    result = timed("review", "v.csv", "--format", "markdown", "--lang", "en")
    assert "<script" not in result.stdout and "<img" not in result.stdout
    assert "&lt;script>" in result.stdout


# ---- 9. nothing reviewed ----------------------------------------------------------------------------


@pytest.mark.parametrize("name,content", [("h.csv", "id,views\n"), ("e.json", "[]"), ("b.csv", "\n\n")])
def test_9_nothing_reviewed_names_the_file_and_why(name, content):
    Path(name).write_text(content, encoding="utf-8")
    result = timed("review", name, "--lang", "en")
    assert result.exit_code == 2
    assert re.search(rf"^{re.escape(name)}(:\d+)?: .*(no videos|empty)", result.stderr, re.M), result.stderr


# ---- 10. progress -----------------------------------------------------------------------------------


class _TTY(io.StringIO):
    def isatty(self):
        return True


def test_10_progress_only_on_a_terminal_and_not_when_quiet(monkeypatch):
    monkeypatch.setattr(progress, "DELAY", 0)
    monkeypatch.setattr(progress, "EVERY", 0)
    shown = _TTY()
    with progress.Progress(3, T(zh="复盘中", en="reviewing"), stream=shown) as p:
        p.step()
    assert "1/3" in shown.getvalue() and shown.getvalue().endswith("\r\x1b[K")
    piped = io.StringIO()
    with progress.Progress(3, T(zh="复盘中", en="reviewing"), stream=piped) as p:
        p.step()
    assert piped.getvalue() == ""
    progress.set_quiet(True)
    try:
        quiet = _TTY()
        with progress.Progress(3, T(zh="复盘中", en="reviewing"), stream=quiet) as p:
            p.step()
        assert quiet.getvalue() == ""
    finally:
        progress.set_quiet(False)


def test_10_quiet_option_is_accepted():
    Path("v.csv").write_text("id,views\na,100\n", encoding="utf-8")
    result = timed("review", "v.csv", "--quiet", "--lang", "en")
    assert result.exit_code == 0 and result.stderr == ""
