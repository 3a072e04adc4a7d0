"""advisor serve, page 5 (实验与目标 Experiments and goals) through Starlette's TestClient: the
comparison of two arms of stored videos is `advisor ab`'s (the same numbers as the library's),
the arms are validated beside their fields, A/A-like arms name no winner, goals are stored per
account and evaluated with one verdict each, every form needs the CSRF token, and what the
operator types comes back as text."""

from __future__ import annotations

import html
import re
import sqlite3
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():  # Starlette suggests httpx2, which is not needed for these tests
    warnings.simplefilter("ignore")

from conftest import csrf
from advisor.input.ruleset import load_ruleset
from advisor.jobs.ab import Variant, ab_json, compare_variants, history_taus
from advisor.jobs.goals import GoalsFile, evaluate_goals
from advisor.web.experiments import stored_goals
from advisor.web.store import LATEST, Store, database_url

ROOT = Path(__file__).resolve().parent.parent
MULTI_WEEK = ROOT / "examples" / "multi_week_export.csv"


@pytest.fixture
def account(client, store):
    """An account with the multi-week export stored: (its id, its videos oldest first)."""
    token = csrf(client)
    page = client.post("/import", data={"csrf": token, "account_name": "food"},
                       files=[("files", ("multi.csv", MULTI_WEEK.read_bytes(), "text/csv"))])
    assert page.status_code == 200
    account_id = store.accounts()[0].id
    return account_id, store.videos(account_id)


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def rows_of(page: str) -> list[dict]:
    """The comparison rows: metric, winner, verdict, the two rates, the interval, videos needed."""
    out = []
    for m in re.finditer(r'<tr class="comparison" data-metric="([^"]*)" data-winner="([^"]*)" data-verdict="([^"]*)">(.*?)</tr>',
                         page, re.S):
        cells = dict(re.findall(r'<td class="([\w-]+)">(.*?)</td>', m.group(4), re.S))
        out.append({"metric": m.group(1), "winner": m.group(2) or None, "verdict": m.group(3),
                    **{k: text_of(v).strip() for k, v in cells.items()}})
    return out


def compare(client, account_id, a, b, lang="en", **extra):
    token = csrf(client, f"/experiments?account={account_id}")
    return client.post(f"/experiments?account={account_id}&lang={lang}",
                       data={"csrf": token, "a": a, "b": b, "action": "compare", **extra})


# --- experiments -----------------------------------------------------------------------------------


def test_the_comparison_is_the_library_s(client, account):
    """The page shows ab_json of compare_variants (method video, tau from the account's other videos)."""
    account_id, videos = account
    a, b = videos[-8:-4], videos[-4:]
    page = compare(client, account_id, [v.id for v in a], [v.id for v in b], name_a="old hook", name_b="new hook")
    assert page.status_code == 200
    others = videos[:-8]
    expected = ab_json(compare_variants(Variant("a", "old hook", "x", a), Variant("b", "new hook", "x", b), load_ruleset(),
                                        method="video", taus=history_taus(others)), "en")
    rows = rows_of(page.text)
    assert [r["metric"] for r in rows] == [c["metric"] for c in expected["comparisons"]]
    for row, c in zip(rows, expected["comparisons"]):
        assert row["rate-a"] == f"{c['a'] * 100:.2f}%"
        assert row["rate-b"] == f"{c['b'] * 100:.2f}%"
        assert row["ratio"] == f"{c['ratio']:.2f}"
        assert row["interval"] == f"95%: {c['interval'][0]:.2f}–{c['interval'][1]:.2f}"
        assert row["winner"] == c["winner"] and row["verdict"] == c["verdict"]
        assert row["videos-needed"] == (str(c["videos_needed"]) if c["videos_needed"] is not None else "–")
        assert c["tau_source"] == "history"
        if c["explanation"]:
            assert c["explanation"] in text_of(page.text)  # the plain-language reason, incl. videos needed
    assert expected["conclusion"] in text_of(page.text)
    # the result is linkable: the redirect's URL holds the arms, and opening it again gives the same page
    assert "a=" in str(page.url) and "b=" in str(page.url)
    again = client.get(str(page.url))
    assert rows_of(again.text) == rows


def test_one_video_per_arm_says_why_no_winner(client, account):
    account_id, videos = account
    page = compare(client, account_id, [videos[-2].id], [videos[-1].id])
    rows = rows_of(page.text)
    assert rows and all(r["winner"] is None and r["verdict"] == "undecided" for r in rows)
    assert "one video per variant cannot settle this" in text_of(page.text)
    assert all(r["videos-needed"].isdigit() for r in rows)
    assert "not decided" in text_of(page.text)


def test_a_a_like_arms_from_one_account_name_no_winner(client, account):
    account_id, videos = account
    ids = [v.id for v in videos]
    page = compare(client, account_id, ids[0::2], ids[1::2])
    rows = rows_of(page.text)
    assert len(rows) >= 3
    assert all(r["winner"] is None for r in rows)


def test_the_arms_are_validated_beside_their_fields(client, account):
    account_id, videos = account
    ids = [v.id for v in videos]
    empty = compare(client, account_id, ids[:3], [])
    assert empty.status_code == 400 and 'id="error-b"' in empty.text and 'id="error-a"' not in empty.text
    both = compare(client, account_id, ids[:3], ids[2:5])
    assert both.status_code == 400 and 'id="error-both"' in both.text
    assert "ticked in both A and B" in text_of(both.text)
    assert 'class="video-row in-both"' in both.text
    # the ticks survive the error, so the operator fixes one box instead of ticking all again
    assert both.text.count(" checked>") == 6
    unknown = client.get(f"/experiments?account={account_id}&a=nope&b={ids[0]}&lang=en")
    assert unknown.status_code == 400 and 'id="error-a"' in unknown.text
    zh = compare(client, account_id, [], ids[:2], lang="zh")
    assert "请至少勾选一条视频放进 A 组" in zh.text


def test_an_experiment_is_saved_and_reopened(client, account, store):
    account_id, videos = account
    ids = [v.id for v in videos]
    token = csrf(client, f"/experiments?account={account_id}")
    saved = client.post(f"/experiments?account={account_id}&lang=en",
                        data={"csrf": token, "a": ids[-6:-3], "b": ids[-3:], "name_a": "A1", "name_b": "B1",
                              "action": "save"}, follow_redirects=False)
    assert saved.status_code == 303 and "saved=" in saved.headers["location"]
    page = client.get(saved.headers["location"])
    assert page.status_code == 200 and 'id="saved-note"' in page.text
    direct = compare(client, account_id, ids[-6:-3], ids[-3:], name_a="A1", name_b="B1")
    assert rows_of(page.text) == rows_of(direct.text)
    listing = client.get(f"/experiments?account={account_id}")
    assert 'id="saved-experiments"' in listing.text and "A1 (3) vs B1 (3)" in listing.text
    assert client.get(f"/experiments?account={account_id}&saved=999").status_code == 404


def test_every_form_of_the_page_needs_the_csrf_token(client, account):
    account_id, videos = account
    assert client.post(f"/experiments?account={account_id}", data={"a": videos[0].id, "b": videos[1].id}).status_code == 403
    assert client.post(f"/goals?account={account_id}", data={"csrf": "forged", "rows": "0"}).status_code == 403


def test_what_the_operator_types_is_escaped(client, account):
    account_id, videos = account
    page = compare(client, account_id, [videos[0].id], [videos[1].id], name_a="<script>alert(1)</script>")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    token = csrf(client, f"/goals?account={account_id}")
    client.post(f"/goals?account={account_id}", data={"csrf": token, "rows": "1", "theme": "<img src=x onerror=alert(1)>",
                                                      "t0_metric": "heart_rate", "t0_kind": "change", "t0_value": "5%"})
    goals = client.get(f"/goals?account={account_id}")
    assert "<img src=x" not in goals.text and "&lt;img src=x onerror=alert(1)&gt;" in goals.text


def test_the_page_without_an_account(client):
    assert 'id="no-account"' in client.get("/experiments").text
    assert 'id="no-account"' in client.get("/goals").text


# --- goals -----------------------------------------------------------------------------------------


def goals_form(**rows) -> dict:
    return {"rows": "4", **rows}


def post_goals(client, account_id, data, lang="en", follow=True):
    token = csrf(client, f"/goals?account={account_id}")
    return client.post(f"/goals?account={account_id}&lang={lang}", data={"csrf": token, **data},
                       follow_redirects=follow)


def test_goals_are_stored_and_evaluated_with_one_verdict_each(client, account, store):
    account_id, videos = account
    page = post_goals(client, account_id, goals_form(
        account_stage="growing",
        t0_metric="completion_rate", t0_kind="change_pp", t0_value="2", t0_direction="up", t0_per="week",
        t0_while="hearts",
        t1_metric="heart_rate", t1_kind="change", t1_value="5%", t1_direction="up", t1_per="week",
        t2_metric="heart_rate", t2_kind="level", t2_value="0.65%", t2_direction="up", t2_per="video", t2_id="each-video",
        t3_metric="like_rate", t3_kind="change", t3_value="10%", t3_direction="down"))
    assert page.status_code == 200 and 'id="goals-saved"' in page.text
    goals = stored_goals(store, account_id)
    assert [t.metric for t in goals.targets] == ["completion_rate", "heart_rate", "heart_rate", "like_rate"]
    assert goals.targets[0].change_pp == 2 and goals.targets[0].while_.metric == "hearts"
    assert goals.targets[1].change == pytest.approx(0.05)
    assert goals.targets[2].at_least == pytest.approx(0.0065) and goals.targets[2].id == "each-video"
    assert goals.targets[3].change == pytest.approx(-0.10)
    expected = evaluate_goals(goals, videos, load_ruleset())
    cards = re.findall(r'<article class="card goal" id="goal-([^"]+)" data-verdict="([^"]+)">(.*?)</article>', page.text, re.S)
    assert [(c[0], c[1]) for c in cards] == [(r.target.id, r.verdict) for r in expected.results]
    for _, verdict, body in cards:
        assert body.count('class="verdict-badge') == 1  # one verdict per goal
        assert body.count("<tr") == len(expected.weeks) + 1  # the week-by-week series
    assert f"{expected.current_week.label}" in page.text
    assert "Range of the change" in text_of(page.text)
    # the form shows the stored goals again, ready to be changed
    assert 'value="each-video"' in page.text and 'value="0.65%"' in page.text


def test_goals_for_a_chosen_week(client, account, store):
    account_id, _ = account
    post_goals(client, account_id, goals_form(t0_metric="heart_rate", t0_kind="change", t0_value="5%"))
    page = client.get(f"/goals?account={account_id}&week=2026-W20&lang=en")
    assert page.status_code == 200
    assert "Progress: 2026-W20" in text_of(page.text)
    bad = client.get(f"/goals?account={account_id}&week=2020-W01&lang=en")
    assert bad.status_code == 400 and 'id="error-week"' in bad.text


def test_goal_errors_appear_beside_their_fields(client, account, store):
    account_id, _ = account
    page = post_goals(client, account_id, goals_form(
        t0_metric="heart_rate", t0_kind="change", t0_value="lots",
        t1_metric="views", t1_kind="change_pp", t1_value="2",
        t2_metric="like_rate", t2_kind="change", t2_value="",
        t3_metric="hearts", t3_kind="change", t3_value="5%", t3_id="Bad Id!"))
    assert page.status_code == 400
    assert 'id="error-t0_value"' in page.text and "expected a number or a percentage" in text_of(page.text)
    assert 'id="error-t1_row"' in page.text and "change_pp (percentage points) is for rates" in text_of(page.text)
    assert 'id="error-t2_value"' in page.text
    assert 'id="error-t3_id"' in page.text
    assert stored_goals(store, account_id) is None  # nothing is stored until the form is right
    # what was typed stays in the form
    assert 'value="lots"' in page.text and 'value="Bad Id!"' in page.text
    nothing = post_goals(client, account_id, {"rows": "2"}, lang="zh")
    assert nothing.status_code == 400 and 'id="error-form"' in nothing.text and "请写出 targets" in nothing.text


def test_a_stage_alone_uses_its_default_targets(client, account, store):
    account_id, videos = account
    page = post_goals(client, account_id, {"rows": "1", "account_stage": "new"})
    assert page.status_code == 200
    expected = evaluate_goals(GoalsFile(account_stage="new"), videos, load_ruleset())
    assert page.text.count('<article class="card goal"') == len(expected.results)


def test_a_version_2_store_gets_the_new_tables(tmp_path):
    path = tmp_path / "old.sqlite3"
    Store(database_url(str(path))).close()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE experiments")
        conn.execute("DROP TABLE goal_sets")
        conn.execute("UPDATE schema_version SET version = 2")
    store = Store(database_url(str(path)))
    assert store.version() == LATEST
    assert stored_goals(store, 1) is None
    store.close()
