"""Rules 规则 in advisor serve: a rule changed in a form, its errors beside the fields, the preview of
the videos that gain or lose its finding, saving into the account's rule layer (the review follows,
the rule tests run and a failure is shown), the layer downloaded as the YAML `--rules` reads, undo,
and the CSRF token on every form."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from conftest import csrf as page_csrf
from advisor.input.config import load_config
from advisor.input.ruleset import load_ruleset
from advisor.jobs.review import review
from advisor.web.app import create_app
from advisor.web.rules_edit import rule_data

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ROOT / "examples" / "wechat_channels_export.csv"
RULE = "answer-heart-givers"
EDIT = f"/rules/{RULE}/edit?account=1"


@pytest.fixture
def client(store):
    c = TestClient(create_app(store, load_config(None, cwd=ROOT / "tests")))
    token = csrf(c, "/import")
    c.post("/import", data={"csrf": token, "account_name": "food"},
           files=[("files", ("export.csv", EXPORT.read_bytes(), "text/csv"))])
    return c


def csrf(client, path=EDIT) -> str:
    return page_csrf(client, path)


def form(client, **changes) -> dict:
    """The rule form as the page fills it, with some fields changed."""
    page = client.get(EDIT + "&lang=en").text
    data = {"csrf": csrf(client)}
    for name, value in re.findall(r'<input type="text"[^>]* name="([^"]+)"[^>]* value="([^"]*)"', page):
        data[name] = value
    for name, value in re.findall(r'<textarea name="([^"]+)"[^>]*>([^<]*)</textarea>', page):
        data[name] = value
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        data[name] = chosen.group(1) if chosen else ""
    if re.search(r'name="enabled"[^>]* checked', page):
        data["enabled"] = "on"
    data = {k: v.replace("&lt;", "<").replace("&gt;", ">").replace("&#39;", "'").replace("&amp;", "&")
            for k, v in data.items()}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def heart_givers(history, rules_dirs=()) -> set[str]:
    result = review(history, load_ruleset(rules_dirs), history=history, langs=("en",))
    return {vr.video.id for vr in result.videos if any(f.rule.id == RULE for f in vr.findings)}


def lower_threshold(client):
    return form(client, **{"c.0.how": "op", "c.0.op": ">=", "c.0.value": "0.5%"})


def test_the_form_shows_the_rule(client):
    page = client.get(EDIT + "&lang=en")
    assert page.status_code == 200
    assert 'name="c.0.how"' in page.text and 'value="high" selected' in page.text
    assert "Answer the people who gave you hearts" in page.text
    assert client.get("/rules/no-such-rule/edit").status_code == 404
    assert f'/rules/{RULE}/edit' in client.get("/rules?account=1").text


def test_validation_errors_appear_beside_their_fields(client, store):
    page = client.post(EDIT + "&lang=en", data=form(client, **{"c.0.how": "op", "c.0.value": "lots",
                                                               "action": "save"}))
    assert page.status_code == 400
    assert re.search(r'data-field="c\.0\.value"[^>]*>enter a number', page.text)
    page = client.post(EDIT + "&lang=en", data=form(client, **{"title.zh": "", "explain.en": "{{ heart_rate | pct",
                                                               "action": "save"}))
    assert page.status_code == 400
    assert re.search(r'data-field="title"[^>]*>[^<]*zh', page.text)  # the lint: en without zh
    assert re.search(r'data-field="explain"[^>]*>template syntax error', page.text)  # the semantic check
    assert store.rule_layer(1) is None  # nothing saved


def test_preview_lists_the_videos_that_gain_or_lose_the_finding(client, store):
    videos = store.videos(1)
    page = client.post(EDIT + "&lang=en", data={**lower_threshold(client), "action": "preview"})
    assert page.status_code == 200
    expected = {v.id for v in videos if v.hearts / v.views >= 0.005} - heart_givers(videos)
    assert expected
    assert set(re.findall(r'class="preview-gain-row" data-video="([^"]+)"', page.text)) == expected
    assert re.search(r'id="gain-count">(\d+)<', page.text).group(1) == str(len(expected))
    assert store.rule_layer(1) is None  # a preview saves nothing
    # and back: from the lowered threshold (saved) to the level, those videos lose it
    client.post(EDIT, data={**lower_threshold(client), "action": "save"})
    back = client.post(EDIT + "&lang=en", data={**form(client, **{"c.0.how": "high"}), "action": "preview"})
    assert set(re.findall(r'class="preview-lose-row" data-video="([^"]+)"', back.text)) == expected


def test_save_changes_the_review_and_runs_the_rule_tests(client, store):
    before = client.get("/review/report.json?account=1").json()
    assert not any(f["rule_id"] == RULE for v in before["videos"] for f in v["findings"])
    page = client.post(EDIT + "&lang=en", data={**lower_threshold(client), "action": "save"})
    assert page.status_code == 200 and 'id="saved"' in page.text
    layer = store.rule_layer(1)
    assert layer is not None and RULE in layer.yaml
    after = client.get("/review/report.json?account=1").json()
    with_it = {v["id"] for v in after["videos"] if any(f["rule_id"] == RULE for f in v["findings"])}
    assert with_it == {v.id for v in store.videos(1) if v.hearts / v.views >= 0.005}
    # the form now shows the saved rule
    assert 'value="0.005"' in client.get(EDIT).text


def test_a_failing_rule_test_is_shown(client):
    page = client.post(EDIT + "&lang=en", data={**form(client, enabled=None), "action": "save"})
    assert page.status_code == 200 and 'id="saved"' in page.text
    assert 'id="tests-failed"' in page.text
    failures = re.findall(r'class="test-failure"', page.text)
    assert failures
    assert f"{RULE} did not fire: it is switched off" in page.text
    assert "advisor-web-rules-" not in page.text  # no private temporary path


def test_a_passing_save_says_so(client, store):
    page = client.post(EDIT + "&lang=en", data={**form(client, priority="high"), "action": "save"})
    assert 'id="tests-passed"' in page.text and 'id="tests-failed"' not in page.text
    assert "priority: high" in store.rule_layer(1).yaml and "when" not in store.rule_layer(1).yaml  # a patch


def test_the_downloaded_layer_is_what_rules_reads(client, store, tmp_path):
    client.post(EDIT, data={**lower_threshold(client), "action": "save"})
    client.post("/rules/cta-shaming/edit?account=1",
                data={**form_for(client, "cta-shaming"), "enabled": None, "action": "save"})
    got = client.get("/rules/layer.yaml?account=1")
    assert got.status_code == 200 and "attachment" in got.headers["content-disposition"]
    folder = tmp_path / "my-rules"
    folder.mkdir()
    (folder / "web.yaml").write_text(got.text, encoding="utf-8")
    from_file = load_ruleset([folder])
    shown = {r.id: rule_data(r.rule) for r in from_file.rules}
    assert shown[RULE]["when"] == {"metric": "heart_rate", "op": ">=", "value": 0.005}
    assert shown["cta-shaming"]["enabled"] is False
    videos = store.videos(1)
    assert heart_givers(videos, [folder]) == {v.id for v in videos if v.hearts / v.views >= 0.005}
    listed = client.get("/rules?account=1&lang=en").text
    assert "this account&#39;s changes" in listed and "advisor-web-rules-" not in listed


def form_for(client, rule_id):
    global EDIT
    saved, EDIT = EDIT, f"/rules/{rule_id}/edit?account=1"
    try:
        return {k: v for k, v in form(client).items() if k != "enabled"}
    finally:
        EDIT = saved


def test_undo_reverts_the_last_change(client, store):
    client.post(EDIT, data={**form(client, priority="high"), "action": "save"})
    client.post(EDIT, data={**lower_threshold(client), "action": "save"})
    assert "0.005" in store.rule_layer(1).yaml
    token = csrf(client, "/rules?account=1")
    done = client.post("/rules/undo?account=1&lang=en", data={"csrf": token})
    assert done.status_code == 200 and 'id="undone"' in done.text and "undone" in done.text
    layer = store.rule_layer(1)
    assert layer is not None and "0.005" not in layer.yaml and "priority: high" in layer.yaml
    client.post("/rules/undo?account=1", data={"csrf": token})
    assert store.rule_layer(1) is None
    assert "nothing changed yet" in client.get("/rules?account=1&lang=en").text


def test_every_rules_form_needs_the_csrf_token(client, store):
    data = lower_threshold(client)
    data.pop("csrf")
    assert client.post(EDIT, data={**data, "action": "save"}).status_code == 403
    assert client.post(EDIT, data={**data, "csrf": "forged", "action": "save"}).status_code == 403
    assert client.post("/rules/undo?account=1", data={}).status_code == 403
    assert store.rule_layer(1) is None


def test_texts_are_escaped(client):
    page = client.post(EDIT + "&lang=en", data={**form(client, **{"title.en": "<script>x</script>"}), "action": "preview"})
    assert "<script>x</script>" not in page.text and "&lt;script&gt;x&lt;/script&gt;" in page.text
