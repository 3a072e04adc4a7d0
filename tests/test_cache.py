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
