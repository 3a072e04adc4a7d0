"""The start-up caches (advisor/core/cache.py): rule-text checks and compiled templates kept in
the user cache folder. They may only save time: a warm, cold, damaged, unwritable or switched-off
cache gives the same output, and an invalid rule text is reported exactly as without one."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT
from advisor.core import cache
from advisor.core.cache import JsonCache, cache_dir, stamped

BAD_RULES = """\
- id: broken-text
  heuristics: [H10]
  stage: review
  when: {metric: views, op: ">", value: 0}
  then:
    title: {zh: "标题 {{ like_rate | pct }", en: "title {{ like_rate | pct }"}
- id: unknown-name
  heuristics: [H10]
  stage: review
  when: {metric: views, op: ">", value: 0}
  then:
    title: {zh: "{{ nonsense }} 条", en: "{{ nonsense }} of them"}
"""


def _advisor(args, cache_folder: str | None, cwd=ROOT) -> tuple[int, str, str]:
    env = {**os.environ, "LANG": "en_US.UTF-8", "NO_COLOR": "1"}
    env["ADVISOR_CACHE_DIR"] = "" if cache_folder is None else cache_folder
    done = subprocess.run([sys.executable, "-m", "advisor", *args], capture_output=True, text=True, cwd=cwd, env=env)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(folder))
    return folder


def test_cache_dir_follows_the_platform_and_the_override(tmp_path):
    assert cache_dir({"ADVISOR_CACHE_DIR": str(tmp_path)}) == tmp_path
    assert cache_dir({"ADVISOR_CACHE_DIR": ""}) is None
    if sys.platform.startswith("linux"):
        assert cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "advisor"
        assert cache_dir({}) == Path.home() / ".cache" / "advisor"


def test_json_cache_round_trip(own_cache):
    first = JsonCache("t", "s1")
    assert first.get("k") is None
    first.put("k", ["a", "b"])
    first.save()
    assert JsonCache("t", "s1").get("k") == ["a", "b"]
    assert JsonCache("t", "s2").get("k") is None  # another stamp: another file


def test_a_damaged_cache_file_counts_as_empty(own_cache):
    own_cache.mkdir()
    (own_cache / "t-s1.json").write_bytes(b"\x00{not json")
    again = JsonCache("t", "s1")
    assert again.get("k") is None
    again.put("k", [1])
    again.save()
    assert JsonCache("t", "s1").get("k") == [1]


def test_a_cache_folder_that_cannot_be_written_is_skipped(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(blocker / "cache"))
    c = JsonCache("t", "s1")
    c.put("k", [1])
    c.save()  # no exception
    assert c.get("k") == [1]


def test_switched_off_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("ADVISOR_CACHE_DIR", "")
    c = JsonCache("t", "s1")
    c.put("k", [1])
    c.save()
    assert stamped("t", "s1") is None
    assert list(tmp_path.iterdir()) == []


def test_old_stamps_are_removed_only_when_stale(own_cache):
    own_cache.mkdir()
    recent, stale = own_cache / "t-old1.json", own_cache / "t-old2.json"
    recent.write_text("{}", encoding="utf-8")
    stale.write_text("{}", encoding="utf-8")
    long_ago = time.time() - cache.STALE_AFTER_S - 60
    os.utime(stale, (long_ago, long_ago))
    stale_dir = own_cache / "templates-old"
    stale_dir.mkdir()
    (stale_dir / "x.cache").write_bytes(b"x")
    os.utime(stale_dir, (long_ago, long_ago))
    assert stamped("t", "new", ".json") == own_cache / "t-new.json"
    assert stamped("templates", "new") == own_cache / "templates-new"
    assert recent.exists() and not stale.exists() and not stale_dir.exists()


def test_invalid_rule_texts_are_reported_the_same_with_any_cache(tmp_path):
    """`rules check` and a command loading the rules: cold cache, warm cache, damaged cache and
    no cache print the same located problems with the same exit status."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "rules.yaml").write_text(BAD_RULES, encoding="utf-8")
    folder = str(tmp_path / "cache")
    runs = {}
    for label, where in [("off", None), ("cold", folder), ("warm", folder)]:
        runs[label] = (_advisor(["rules", "check", str(rules)], where),
                       _advisor(["review", str(EXAMPLES / "video.json"), "--rules", str(rules)], where))
    for texts in Path(folder).glob("rule-texts-*.json"):
        texts.write_text('{"garbage": 1', encoding="utf-8")
    runs["damaged"] = (_advisor(["rules", "check", str(rules)], folder),
                       _advisor(["review", str(EXAMPLES / "video.json"), "--rules", str(rules)], folder))
    (check, review) = runs["off"]
    assert check[0] == 1 and review[0] == 2
    for out in (check[2], review[2]):
        assert "rules.yaml:6:" in out and "template syntax error" in out
        assert "rules.yaml:12:" in out and "the text uses {{ nonsense }}" in out
    for label, result in runs.items():
        assert result == runs["off"], label
    assert list(Path(folder).glob("rule-texts-*.json")), "the cache was not written"


def test_reports_are_the_same_from_compiled_and_cached_templates(tmp_path):
    folder = str(tmp_path / "cache")
    args = ["review", str(EXAMPLES / "wechat_channels_export.csv"), "--lang", "en", "--engine", "python"]
    off = _advisor(args, None)
    cold = _advisor(args, folder)
    warm = _advisor(args, folder)
    assert off[0] == 0 and off == cold == warm
    assert list(Path(folder).glob("templates-*/en-*.cache")), "no template was cached"


def test_an_edited_template_is_compiled_again(tmp_path):
    """A --templates folder: the cache is keyed by the file and checked against its source."""
    folder = str(tmp_path / "cache")
    shipped = ROOT / "templates" / "cta"
    mine = tmp_path / "mine"
    mine.mkdir()
    template = mine / "like.en.j2"
    template.write_text((shipped / "like.en.j2").read_text(encoding="utf-8"), encoding="utf-8")
    args = ["cta", "--templates", str(mine), "--lang", "en"]
    before = _advisor(args, folder)
    assert before[0] == 0, before
    assert "EDITED" not in before[1]
    template.write_text("EDITED LINE. " + (shipped / "like.en.j2").read_text(encoding="utf-8"), encoding="utf-8")
    after = _advisor(args, folder)
    assert after[0] == 0 and "👍 like track: EDITED LINE." in after[1]
    assert after == _advisor(args, None)


# --- the loaded rule set (advisor.input.ruleset) -------------------------------------------------

MY_RULE = """\
- id: my-rule
  heuristics: [H10]
  stage: review
  when: {metric: views, op: ">", value: 0}
  then:
    title: {zh: "我的规则 {{ views }}", en: "my rule TITLE_ONE {{ views }}"}
"""


def _dump(ruleset) -> tuple:
    return ([(r.id, r.origin, r.file, r.index, r.rule.model_dump(mode="json")) for r in ruleset.rules],
            ruleset.levels.model_dump(mode="json"), [str(f) for f in ruleset.folders], list(ruleset.levels_files))


def _ruleset_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("ruleset-*.pickle"))


def test_a_cached_rule_set_is_the_rule_set_the_files_give(own_cache, tmp_path):
    from advisor.input.ruleset import load_ruleset

    mine = tmp_path / "rules"
    mine.mkdir()
    (mine / "mine.yaml").write_text(MY_RULE, encoding="utf-8")
    cold = load_ruleset([mine])
    assert len(_ruleset_files(own_cache)) == 1
    warm = load_ruleset([mine])
    assert warm is not cold and _dump(warm) == _dump(cold)
    # A located problem still points at its line from a cached rule set.
    assert warm.get("my-rule").position(("then", "title")) == cold.get("my-rule").position(("then", "title"))
    assert warm.get("my-rule").position() != (None, None)
    # switched off: loads, writes nothing
    off = tmp_path / "off"
    code = "from advisor.input.ruleset import load_ruleset; import sys; print(len(load_ruleset([sys.argv[1]]).rules))"
    done = subprocess.run([sys.executable, "-c", code, str(mine)], capture_output=True, text=True,
                          env=dict(os.environ, ADVISOR_CACHE_DIR="", XDG_CACHE_HOME=str(off)))
    assert done.returncode == 0 and int(done.stdout) == len(cold.rules) and not off.exists()


def test_the_cached_rule_set_follows_every_change_to_its_files(own_cache, tmp_path):
    from advisor.input.ruleset import load_ruleset

    mine = tmp_path / "rules"
    mine.mkdir()
    rule_file = mine / "mine.yaml"
    rule_file.write_text(MY_RULE, encoding="utf-8")
    assert "TITLE_ONE" in load_ruleset([mine]).get("my-rule").rule.then.title.en
    load_ruleset([mine])  # warm
    # the same size, the same modification time: only the bytes differ
    stat = rule_file.stat()
    rule_file.write_text(MY_RULE.replace("TITLE_ONE", "TITLE_TWO"), encoding="utf-8")
    os.utime(rule_file, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert "TITLE_TWO" in load_ruleset([mine]).get("my-rule").rule.then.title.en
    # a new file in the folder
    (mine / "more.yaml").write_text(MY_RULE.replace("my-rule", "my-other-rule"), encoding="utf-8")
    assert load_ruleset([mine]).get("my-other-rule") is not None
    # levels.yaml added, then changed
    (mine / "levels.yaml").write_text("min_history: 17\n", encoding="utf-8")
    assert load_ruleset([mine]).levels.min_history == 17
    (mine / "levels.yaml").write_text("min_history: 23\n", encoding="utf-8")
    assert load_ruleset([mine]).levels.min_history == 23
    # a file removed
    (mine / "more.yaml").unlink()
    assert load_ruleset([mine]).get("my-other-rule") is None
    # the shipped rules alone are another entry, and the folders' order is part of the key
    shipped_only = load_ruleset()
    assert shipped_only.get("my-rule") is None
    assert load_ruleset([mine]).get("my-rule") is not None
    # a damaged cache file is rebuilt
    for path in _ruleset_files(own_cache):
        path.write_bytes(b"\x80\x05garbage")
    assert load_ruleset([mine]).levels.min_history == 23
    assert _dump(load_ruleset([mine])) == _dump(load_ruleset([mine], include_shipped=True))


def test_a_new_advisor_version_or_library_gives_another_stamp(own_cache, monkeypatch):
    from advisor.input import ruleset as module

    first = module._stamp()
    module._stamp.cache_clear()
    monkeypatch.setattr(module.pydantic, "VERSION", "0.0-not-this-one")
    try:
        assert module._stamp() != first
    finally:
        module._stamp.cache_clear()
    source = Path(module.__file__)  # an edited advisor source file (an editable install, an upgrade)
    before = cache.code_stamp("x")
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    try:
        changed = cache.code_stamp("x")
    finally:
        os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert changed != before and cache.code_stamp("x") == before
    assert cache.code_stamp("y") != before


def test_a_rule_set_with_problems_is_never_cached(own_cache, tmp_path):
    from advisor.input.ruleset import collect_ruleset

    mine = tmp_path / "rules"
    mine.mkdir()
    (mine / "rules.yaml").write_text(BAD_RULES, encoding="utf-8")
    first = collect_ruleset([mine])[1]
    again = collect_ruleset([mine])[1]
    assert first and [p.message.en for p in first] == [p.message.en for p in again]
    assert _ruleset_files(own_cache) == []


def test_reviews_are_the_same_from_a_cold_and_a_warm_rule_set_cache(tmp_path):
    folder = str(tmp_path / "cache")
    for args in (["review", str(EXAMPLES / "video.json"), "--format", "json"],
                 ["review", str(EXAMPLES / "wechat_channels_export.csv"), "--lang", "zh", "--format", "markdown"]):
        off = _advisor(args, None)
        cold = _advisor(args, folder)
        warm = _advisor(args, folder)
        assert off[0] == 0 and off == cold == warm
    assert _ruleset_files(Path(folder))
