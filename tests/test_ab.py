"""`advisor ab` and advisor.jobs.ab / advisor.jobs.notebook on the bundled A/B examples (examples/ab/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from advisor.stats import proportions as stats
from advisor.jobs.ab import SIGNALS, compare_variants, pick_variants, run_ab
from advisor.core.errors import AdvisorError
from advisor.input.importers import load_videos
from advisor.jobs.notebook import NotebookEntry, append_entry, entry_from_ab
from advisor.input.yamlio import load_yaml

from conftest import EXAMPLES
from conftest import run_cli_output as run

AB = EXAMPLES / "ab"
DECIDES = (str(AB / "cta_wording_a.csv"), str(AB / "cta_wording_b.csv"))
TOO_SMALL = (str(AB / "cta_position_a.csv"), str(AB / "cta_position_b.csv"))
VARIANTS = str(AB / "variants.csv")


def _video(path):
    videos = load_videos([path]).videos
    assert len(videos) == 1
    return videos[0]


def test_json_keeps_the_issue_contract_and_recomputes_from_the_files():
    # per view (--method z): the one recipe video the platform showed with two endings
    code, out = run("ab", *DECIDES, "--format", "json", "--engine", "python", "--method", "z")
    assert code == 0
    data = json.loads(out)
    a, b = _video(DECIDES[0]), _video(DECIDES[1])
    by_metric = {c["metric"]: c for c in data["comparisons"]}
    assert set(by_metric) == set(SIGNALS)
    for c in data["comparisons"]:
        assert {"metric", "a", "b", "winner", "confidence", "views_needed"} <= set(c)
    hearts = by_metric["heart_rate"]
    assert hearts["a"] == pytest.approx(a.hearts / a.views, abs=1e-6)
    assert hearts["b"] == pytest.approx(b.hearts / b.views, abs=1e-6)
    expected = stats.two_proportion_z_test(a.hearts, a.views, b.hearts, b.views)
    assert hearts["confidence"] == pytest.approx(expected.confidence, abs=1e-4)
    assert hearts["winner"] == "b" and hearts["views_needed"] is None
    # the same test: B wins hearts and follow-up, A wins likes (a variant can win likes and lose hearts)
    assert by_metric["like_rate"]["winner"] == "a"
    assert data["wins"] == {"a": ["like_rate"], "b": ["heart_rate", "followup_rate"]}
    assert data["split"] is True
    assert by_metric["completion_rate"]["verdict"] == "tie"
    assert by_metric["completion_rate"]["sample"]["a"] == {
        "views": a.views, "events": round(a.completion_rate * a.views)}
    fired = {f["rule_id"] for f in hearts["findings"]}
    assert fired == {"ab-split-decision"}


def test_too_few_views_names_no_winner_and_sets_views_needed():
    code, out = run("ab", *TOO_SMALL, "--format", "json", "--engine", "python", "--method", "z")
    assert code == 0
    data = json.loads(out)
    assert data["wins"] == {"a": [], "b": []}
    for c in data["comparisons"]:
        assert c["winner"] is None
        assert isinstance(c["views_needed"], int) and c["views_needed"] > 0
        assert c["views_needed"] == c["views_needed_a"] + c["views_needed_b"]
        assert [f["rule_id"] for f in c["findings"]] == ["ab-undecided"]
    a, b = _video(TOO_SMALL[0]), _video(TOO_SMALL[1])
    hearts = next(c for c in data["comparisons"] if c["metric"] == "heart_rate")
    required = stats.sample_size_per_variant(a.hearts / a.views, b.hearts / b.views)
    assert hearts["required_views_per_variant"] == required
    assert hearts["views_needed_a"] == required - a.views


def test_text_report_says_who_wins_on_which_signal_in_both_languages():
    code, out = run("ab", *DECIDES, "--engine", "python", "--lang", "en", "--method", "z")
    assert code == 0
    assert "Heart rate: B (cta_wording_b) wins" in out
    assert "Like rate: A (cta_wording_a) wins" in out
    assert "neither is simply better" in out
    code, out = run("ab", *TOO_SMALL, "--engine", "python", "--lang", "zh", "--method", "z")
    assert code == 0
    assert "数据还不够" in out and "还需" in out and "胜出" not in out


def test_markdown_report():
    code, out = run("ab", *DECIDES, "--engine", "python", "--format", "markdown")
    assert code == 0
    assert out.startswith("# A/B comparison") and "## Heart rate" in out


def test_rows_picked_by_variant_column_and_by_id(ruleset):
    a, b, problems, _ = pick_variants("A", "B", source=VARIANTS)
    assert not problems
    assert len(a.videos) == len(b.videos) == 3
    assert {v.variant for v in a.videos} == {"A"} and {v.variant for v in b.videos} == {"B"}
    assert a.views == sum(v.views for v in load_videos([VARIANTS]).videos if v.variant == "A")
    result = compare_variants(a, b, ruleset, engine="python")
    hearts = next(c for c in result.comparisons if c.signal.name == "heart_rate")
    assert hearts.result.x_a == sum(v.hearts for v in a.videos)
    ids = [v.id for v in load_videos([VARIANTS]).videos]
    a2, b2, _, _ = pick_variants(ids[0], ids[3], source=VARIANTS)
    assert [v.id for v in a2.videos] == [ids[0]] and [v.id for v in b2.videos] == [ids[3]]


def test_unknown_variant_is_a_located_error_with_the_known_labels():
    code, out = run("ab", "A", "C", "--from", VARIANTS, "--engine", "python")
    assert code == 2
    assert "variants.csv" in out and "'C'" in out and "A, B" in out
    assert "Traceback" not in out


def test_same_file_twice_is_refused():
    with pytest.raises(AdvisorError) as exc:
        pick_variants(DECIDES[0], DECIDES[0])
    assert "same file" in str(exc.value)


def test_bayes_method(ruleset):
    result = run_ab(*DECIDES, ruleset, method="bayes", engine="python")
    hearts = next(c for c in result.comparisons if c.signal.name == "heart_rate")
    assert hearts.result.method == "bayes"
    assert hearts.result.confidence == pytest.approx(max(hearts.result.prob_b_beats_a, 1 - hearts.result.prob_b_beats_a))
    assert hearts.result.winner == "b"


def test_a_signal_missing_from_one_variant_is_listed_not_compared(tmp_path, ruleset):
    text = Path(DECIDES[1]).read_text(encoding="utf-8-sig").splitlines()
    header, row = text[0].split(","), text[1].split(",")
    keep = [i for i, name in enumerate(header) if name != "完播率"]
    no_completion = tmp_path / "b.csv"
    no_completion.write_text("\n".join(",".join(r[i] for i in keep) for r in (header, row)) + "\n", encoding="utf-8")
    result = run_ab(DECIDES[0], str(no_completion), ruleset, engine="python")
    assert [n.signal.name for n in result.not_compared] == ["completion_rate"]
    assert result.not_compared[0].missing == ["b"]
    assert "completion_rate" not in [c.signal.name for c in result.comparisons]


def test_bad_rows_are_listed_and_the_rest_compared(tmp_path):
    lines = Path(VARIANTS).read_text(encoding="utf-8-sig").splitlines()
    bad = lines[1].split(",")
    bad[5] = "lots"  # 播放量
    (tmp_path / "v.csv").write_text("\n".join([lines[0], ",".join(bad), *lines[2:]]) + "\n", encoding="utf-8")
    code, out = run("ab", "A", "B", "--from", str(tmp_path / "v.csv"), "--engine", "python")
    assert code == 1
    assert "row 1, column '播放量'" in out
    assert "2 video(s)" in out  # variant A keeps its two good rows


# --- the operations notebook -----------------------------------------------------------------------


def test_markdown_notebook_is_appended_never_overwritten(tmp_path):
    note = tmp_path / "运营笔记.md"
    note.write_text("# My notes\n\nhand-written line\n", encoding="utf-8")
    before = note.read_text(encoding="utf-8")
    code, _ = run("ab", *DECIDES, "--engine", "python", "--note", str(note), "--what", "ending CTA wording",
                  "--method", "z")
    assert code == 0
    first = note.read_text(encoding="utf-8")
    assert first.startswith(before.rstrip("\n"))
    assert "## " in first and "ending CTA wording" in first
    assert "for heart rate, use B (cta_wording_b)" in first and "confidence" in first
    code, _ = run("ab", *TOO_SMALL, "--engine", "python", "--note", str(note), "--lang", "zh", "--method", "z")
    second = note.read_text(encoding="utf-8")
    assert second.startswith(first.rstrip("\n")) and second.count("\n## ") == 2
    assert "暂无可复用的结论" in second


def test_yaml_notebook_is_a_validated_list_that_grows(tmp_path, ruleset):
    note = tmp_path / "notes.yaml"
    note.write_text("# kept comment\n", encoding="utf-8")
    result = run_ab(*DECIDES, ruleset, engine="python", method="z")
    append_entry(note, entry_from_ab(result, "CTA wording", "en"), "en")
    append_entry(note, entry_from_ab(run_ab(*TOO_SMALL, ruleset, engine="python", method="z"), "CTA position", "en"),
                 "en")
    text = note.read_text(encoding="utf-8")
    assert text.startswith("# kept comment\n")
    data, _ = load_yaml(note)
    entries = [NotebookEntry.model_validate(item) for item in data]
    assert [e.what for e in entries] == ["CTA wording", "CTA position"]
    hearts = next(r for r in entries[0].results if r.metric == "heart_rate")
    assert hearts.verdict == "b" and hearts.views_needed is None and hearts.lift > 0
    assert all(r.verdict == "undecided" and r.views_needed > 0 for r in entries[1].results)


def test_a_notebook_that_is_not_a_list_is_left_alone(tmp_path):
    note = tmp_path / "notes.yaml"
    note.write_text("title: not a list\n", encoding="utf-8")
    code, out = run("ab", *DECIDES, "--engine", "python", "--note", str(note))
    assert code == 2 and "left unchanged" in out
    assert note.read_text(encoding="utf-8") == "title: not a list\n"


def test_a_notebook_with_another_extension_is_refused(tmp_path):
    code, out = run("ab", *DECIDES, "--engine", "python", "--note", str(tmp_path / "notes.txt"))
    assert code == 2 and ".md" in out and ".yaml" in out
    assert not (tmp_path / "notes.txt").exists()


def test_engines_agree_on_the_examples():
    from advisor.engine import durable_import_error

    if durable_import_error() is not None:
        pytest.skip("durable_rules does not import here")
    outs = [json.loads(run("ab", *DECIDES, "--format", "json", "--engine", e)[1]) for e in ("python", "durable")]
    for data in outs:
        data.pop("engine")
    assert outs[0] == outs[1]


def test_a_shared_notebook_keeps_its_permissions(tmp_path, ruleset):
    note = tmp_path / "team.md"
    note.write_text("# notes\n", encoding="utf-8")
    note.chmod(0o664)
    append_entry(note, entry_from_ab(run_ab(*DECIDES, ruleset, engine="python"), None, "en"), "en")
    assert note.stat().st_mode & 0o777 == 0o664


