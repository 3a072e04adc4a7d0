"""advisor serve without a browser: the store (migrations, snapshots, one transaction per import,
concurrent imports, damaged and newer databases) and the pages through Starlette's TestClient
(CSRF, escaping, upload limits, the token, downloads)."""

from __future__ import annotations

import base64
import re
import sqlite3
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
import warnings

with warnings.catch_warnings():  # Starlette suggests httpx2, which is not needed for these tests
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from conftest import csrf
from advisor.__main__ import cli
from advisor.input.config import load_config
from advisor.input.importers import load_videos
from advisor.web.app import create_app
from advisor.web.command import is_loopback
from advisor.web.store import LATEST, Store, StoreError, database_url, default_data_dir

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ROOT / "examples" / "wechat_channels_export.csv"
BAD = ROOT / "examples" / "wechat_channels_bad_rows.csv"
DOUYIN = ROOT / "examples" / "douyin_export.csv"


def upload(client, files, account_name="food", account_id=""):
    token = csrf(client)
    return client.post("/import", data={"csrf": token, "account_name": account_name, "account_id": account_id},
                       files=[("files", (name, data, "text/csv")) for name, data in files])


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- the store -------------------------------------------------------------------------------------


def test_a_new_store_is_at_the_latest_version(store):
    assert store.version() == LATEST


def test_reimporting_the_same_export_never_duplicates(store):
    videos = load_videos([EXPORT]).videos
    account = store.ensure_account("food")
    first = store.store_import(account, videos, files=["a.csv"], rows=len(videos), rejected=0)
    again = store.store_import(account, videos, files=["a.csv"], rows=len(videos), rejected=0)
    assert (first.new, first.updated, first.unchanged) == (len(videos), 0, 0)
    assert (again.new, again.updated, again.unchanged) == (0, 0, len(videos))
    assert len(store.videos(account)) == len(videos)
    assert store.snapshot_count(account) == len(videos)


def test_a_later_export_adds_a_snapshot_and_the_review_uses_the_latest(store):
    videos = load_videos([EXPORT]).videos
    account = store.ensure_account("food")
    store.store_import(account, videos, files=["a.csv"], rows=len(videos), rejected=0)
    later = [videos[0].model_copy(update={"views": (videos[0].views or 0) + 1000})]
    outcome = store.store_import(account, later, files=["b.csv"], rows=1, rejected=0)
    assert (outcome.new, outcome.updated) == (0, 1)
    stored = {v.id: v for v in store.videos(account)}
    assert len(stored) == len(videos)
    assert stored[videos[0].id].views == (videos[0].views or 0) + 1000
    assert store.snapshot_count(account) == len(videos) + 1


def test_accounts_are_kept_apart(store):
    videos = load_videos([EXPORT]).videos
    a, b = store.ensure_account("food"), store.ensure_account("travel")
    store.store_import(a, videos, files=[], rows=len(videos), rejected=0)
    store.store_import(b, videos[:3], files=[], rows=3, rejected=0)
    assert (len(store.videos(a)), len(store.videos(b))) == (len(videos), 3)


def test_an_import_is_one_transaction(store, monkeypatch):
    """A failure half-way through (here: while writing the snapshots) leaves the store as it was."""
    videos = load_videos([EXPORT]).videos
    account = store.ensure_account("food")
    import advisor.web.store as store_module

    real_dumps = store_module.json.dumps
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 5:
            raise RuntimeError("killed mid-import")
        return real_dumps(*args, **kwargs)

    monkeypatch.setattr(store_module.json, "dumps", failing)
    with pytest.raises(RuntimeError):
        store.store_import(account, videos, files=["a.csv"], rows=len(videos), rejected=0)
    monkeypatch.setattr(store_module.json, "dumps", real_dumps)
    assert store.videos(account) == []
    assert store.account(account).imports == []


def test_two_imports_at_once_lose_nothing(tmp_path):
    url = database_url(str(tmp_path / "s.sqlite3"))
    first = Store(url)
    account = first.ensure_account("food")
    videos = load_videos([EXPORT]).videos
    halves = [videos[: len(videos) // 2], videos[len(videos) // 2:]]
    errors = []

    def work(part):
        try:
            Store(url).store_import(account, part, files=["x.csv"], rows=len(part), rejected=0)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(part,)) for part in halves * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(first.videos(account)) == len(videos)
    assert len(first.account(account).imports) == 6


def test_a_damaged_file_gives_a_clear_error(tmp_path):
    bad = tmp_path / "broken.sqlite3"
    bad.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError) as info:
        Store(database_url(str(bad)))
    assert "damaged" in info.value.message.en and "损坏" in info.value.message.zh


def test_a_newer_database_is_refused(tmp_path):
    path = tmp_path / "new.sqlite3"
    Store(database_url(str(path))).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_version SET version = ?", (LATEST + 5,))
    with pytest.raises(StoreError) as info:
        Store(database_url(str(path)))
    assert "newer advisor" in info.value.message.en


def test_a_foreign_database_is_refused(tmp_path):
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(StoreError, match="not an advisor store"):
        Store(database_url(str(path)))


def test_the_default_store_is_in_the_user_data_folder(tmp_path):
    assert default_data_dir({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "advisor"
    url = database_url(None, {"XDG_DATA_HOME": str(tmp_path)})
    assert url == f"sqlite:///{tmp_path / 'advisor' / 'advisor.sqlite3'}"


# --- the serve command -----------------------------------------------------------------------------


def test_serve_refuses_a_public_host_without_a_token(monkeypatch):
    monkeypatch.delenv("ADVISOR_TOKEN", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "token" in result.output
    assert is_loopback("127.0.0.1") and is_loopback("::1") and not is_loopback("0.0.0.0")


def test_serve_says_clearly_when_the_database_is_damaged(tmp_path):
    bad = tmp_path / "broken.sqlite3"
    bad.write_bytes(b"garbage" * 500)
    result = CliRunner().invoke(cli, ["serve", "--db", str(bad)], env={"LANG": "en_US.UTF-8"})
    assert result.exit_code == 2
    assert "damaged" in result.output and "Traceback" not in result.output


# --- the pages -------------------------------------------------------------------------------------


def test_import_reports_stored_and_rejected_rows(client):
    page = upload(client, [("export.csv", EXPORT.read_bytes()), ("bad.csv", BAD.read_bytes())])
    assert page.status_code == 200
    both = load_videos([EXPORT, BAD])  # the CLI reading both: the same rows kept, the same rejected
    rows, rejected = len(both.videos), len(both.problems)
    assert re.search(r'id="stored-count">(\d+)<', page.text).group(1) == str(rows)
    assert re.search(r'id="rejected-count">(\d+)<', page.text).group(1) == str(rejected)
    assert page.text.count('class="rejected-row"') == rejected
    # each rejected row names its file, row and column
    located = re.findall(r'class="rejected-row"><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>', page.text)
    assert all(name == "bad.csv" for name, _, _ in located)
    assert any(row.isdigit() and column for _, row, column in located)


def test_import_twice_then_review(client, store):
    upload(client, [("export.csv", EXPORT.read_bytes())])
    again = upload(client, [("export.csv", EXPORT.read_bytes())], account_name="", account_id="1")
    assert "unchanged" in again.text or "没有变化" in again.text
    assert len(store.videos(1)) == len(load_videos([EXPORT]).videos)
    review = client.get("/review?account=1&lang=en")
    assert review.status_code == 200
    assert 'class="card"' in review.text and "<svg" in review.text
    assert review.text.count('class="card"') == len(load_videos([EXPORT]).videos)


def test_review_filters_and_downloads(client):
    upload(client, [("export.csv", EXPORT.read_bytes())])
    videos = load_videos([EXPORT]).videos
    day = sorted(v.published_at for v in videos)[len(videos) // 2]
    page = client.get(f"/review?account=1&from={day.isoformat()}")
    expected = sum(1 for v in videos if v.published_at >= day)
    assert page.text.count('class="card"') == expected
    for fmt, marker in (("html", "<!DOCTYPE html>"), ("markdown", "#"), ("json", '"videos"')):
        got = client.get(f"/review/report.{fmt}?account=1&from={day.isoformat()}")
        assert got.status_code == 200 and marker in got.text
        assert "attachment" in got.headers["content-disposition"]
    data = client.get(f"/review/report.json?account=1&from={day.isoformat()}").json()
    assert len(data["videos"]) == expected
    advice = data["videos"][0]["findings"][0]["rule_id"] if data["videos"][0]["findings"] else None
    if advice:
        only = client.get(f"/review/report.json?account=1&advice={advice}").json()
        assert only["videos"] and all(v["findings"][0]["rule_id"] == advice for v in only["videos"])


def test_a_script_title_shows_as_text(client):
    csv = ("视频描述,视频ID,发布时间,完播率,平均播放时长,播放量,推荐,喜欢,评论量,分享量,关注量\n"
           "<script>alert(1)</script>,x1,2026/05/18 19:00,24.98%,13.28秒,11800,408,8748,236,261,149\n").encode()
    upload(client, [("<b>evil</b>.csv", csv)], account_name="<i>acc</i>")
    page = client.get("/review?account=1")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<i>acc</i>" not in page.text and "&lt;i&gt;acc&lt;/i&gt;" in page.text


def test_every_form_needs_the_csrf_token(client):
    assert client.post("/import", data={"account_name": "x"}).status_code == 403
    assert client.post("/checklist", data={"csrf": "forged"}).status_code == 403
    token = csrf(client)
    other = TestClient(client.app)  # another browser: its own cookie, not this page's token
    assert other.post("/checklist", data={"csrf": token}).status_code == 403


def test_uploads_are_capped(store):
    small = TestClient(create_app(store, load_config(None, cwd=ROOT / "tests"), max_upload=10_000))
    token = csrf(small)
    big = b"x" * 50_000
    got = small.post("/import", data={"csrf": token, "account_name": "a"}, files=[("files", ("big.csv", big, "text/csv"))])
    assert got.status_code == 413


def test_a_token_is_required_when_set(store):
    gated = TestClient(create_app(store, load_config(None, cwd=ROOT / "tests"), token="s3cret"))
    assert gated.get("/import").status_code == 401
    auth = "Basic " + base64.b64encode(b"me:s3cret").decode()
    assert gated.get("/import", headers={"Authorization": auth}).status_code == 200
    wrong = "Basic " + base64.b64encode(b"me:nope").decode()
    assert gated.get("/import", headers={"Authorization": wrong}).status_code == 401


def test_no_browser_path_reaches_the_disk(client):
    page = upload(client, [("../../../../etc/passwd", EXPORT.read_bytes())])
    assert "../" not in text_of(page.text).split("Import exports")[-1]
    assert client.get("/static/../../pyproject.toml").status_code == 404


def test_checklist_form_flags_a_manipulative_cta(client):
    token = csrf(client, "/checklist")
    page = client.post("/checklist", data={"csrf": token, "goal": "both", "form": "short_video", "duration_s": "40",
                                           "hook_at_s": "2", "topic": "家常菜", "cta_text": "不转发就倒霉一整年,赶紧点赞"})
    assert page.status_code == 200
    assert 'id="checklist-result"' in page.text and page.text.count('class="card cta-variant"') == 2
    assert 'class="flagged"' in page.text and "倒霉" in page.text


def test_checklist_field_errors_appear_beside_the_field(client):
    token = csrf(client, "/checklist")
    page = client.post("/checklist?lang=en", data={"csrf": token, "duration_s": "long", "hook_at_s": "-3"})
    assert page.status_code == 400
    assert 'id="error-duration_s"' in page.text and "enter a number" in page.text
    assert 'id="error-hook_at_s"' in page.text and "negative" in page.text


def test_language_switch(client):
    assert "导入导出文件" in client.get("/import?lang=zh").text
    assert "Import exports" in client.get("/import?lang=en").text
    assert "Import exports" in client.get("/import").text  # remembered in a cookie


def test_rules_pages(client):
    page = client.get("/rules?lang=en")
    assert page.status_code == 200 and "cta-shaming" in page.text
    assert "cta-shaming" in client.get("/rules/cta-shaming").text
    assert client.get("/rules/no-such-rule").status_code == 404
