"""The store on a real PostgreSQL server (a team sharing one store): .ci/run installs Debian's
postgresql, starts it, creates a database and exports ADVISOR_TEST_POSTGRES_URL. Without that
variable the test skips with the reason, except under CI (CI=true), where it must run."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from advisor.input.importers import load_videos
from advisor.web.store import LATEST, Store

EXPORT = Path(__file__).resolve().parent.parent / "examples" / "wechat_channels_export.csv"
URL = os.environ.get("ADVISOR_TEST_POSTGRES_URL")


@pytest.fixture
def pg_store():
    if not URL:
        reason = ("ADVISOR_TEST_POSTGRES_URL is not set: .ci/run starts PostgreSQL and sets it "
                  "(e.g. postgresql+psycopg2://advisor:advisor@127.0.0.1/advisor_test)")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    Store(URL).drop_everything()  # a clean store: the database may be reused between runs
    store = Store(URL)
    yield store
    store.drop_everything()
    store.close()


def test_postgres_store_imports_snapshots_and_concurrency(pg_store):
    assert pg_store.version() == LATEST
    videos = load_videos([EXPORT]).videos
    account = pg_store.ensure_account("food")
    first = pg_store.store_import(account, videos, files=["a.csv"], rows=len(videos), rejected=0)
    assert first.new == len(videos)
    again = pg_store.store_import(account, videos, files=["a.csv"], rows=len(videos), rejected=0)
    assert again.unchanged == len(videos)
    later = [videos[0].model_copy(update={"views": (videos[0].views or 0) + 7})]
    assert pg_store.store_import(account, later, files=["b.csv"], rows=1, rejected=0).updated == 1
    assert {v.id: v.views for v in pg_store.videos(account)}[videos[0].id] == (videos[0].views or 0) + 7

    other = pg_store.ensure_account("travel")
    errors = []

    def work(part):
        try:
            Store(URL).store_import(other, part, files=["x.csv"], rows=len(part), rejected=0)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    halves = [videos[:10], videos[10:]]
    threads = [threading.Thread(target=work, args=(p,)) for p in halves * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(pg_store.videos(other)) == len(videos)

    pg_store.save_rule_layer(account, "- id: cta-shaming\n  enabled: false\n", "off")
    assert pg_store.rule_layer(account).note == "off"
    assert pg_store.undo_rule_layer(account) and pg_store.rule_layer(account) is None
