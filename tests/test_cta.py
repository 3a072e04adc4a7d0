"""Dual-track CTA generation (`advisor cta`): tracks, lead, variants, placement, length, templates."""

from __future__ import annotations

import itertools
import json
import re
import shutil
from pathlib import Path

import pytest

from advisor.core import paths
from advisor.jobs.cta import (FOCUSES, GOALS, TONES, generate_cta, hook_deadline, max_variants, spoken_length,
                         variant_plan)
from advisor.jobs.cta_check import CtaChecker
from advisor.core.errors import AdvisorError
from advisor.engine.evaluate import StageRunner
from advisor.model.levels import resolve
from advisor.model.metrics import FORMS
from advisor.model.plan import Plan

from conftest import HAN, run_cli

pytestmark = pytest.mark.usefixtures("clean_env")

ISSUE_KEYS = ("tracks", "script", "placement", "spoken_seconds", "heuristics")
LIKE_WORDS = {"zh": ("点赞", "点个赞", "赞一个"), "en": ("👍",)}
HEART_WORDS = {"zh": ("小红心",), "en": ("♡",)}


def run(*args):
    return run_cli("cta", *args, "--engine", "python")


def every_cta(**extra):
    """Every CTA the shipped templates can produce: goals x forms x tones x all variants x langs."""
    for goal, form, tone, lang in itertools.product(GOALS, (None, *FORMS), TONES, ("zh", "en")):
        n = max_variants(goal=goal, form=form, tone=tone, lang=lang, focus=extra.get("focus"))
        yield from generate_cta(goal=goal, form=form, tone=tone, lang=lang, variants=n, **extra)


# --- every generated CTA passes the lint ----------------------------------------------------------

@pytest.mark.parametrize("extra", [{}, {"topic": "家常菜", "series": "外婆的菜谱"},
                                   {"topic": "home baking", "series": "Sourdough diary"},
                                   {"focus": "comments_and_return"}, {"focus": "return_visit", "lead": "heart"}])
def test_every_generated_cta_passes_cta_check(ruleset, extra):
    count = 0
    with CtaChecker(ruleset, engine="python") as checker:
        for cta in every_cta(**extra):
            for text in (cta.script, cta.tracks["like"], cta.tracks["heart"]):
                result = checker.check(text)
                assert result.clean, (cta.to_json(), [f.to_json("en") for f in result.findings])
            count += 1
    assert count >= len(GOALS) * (len(FORMS) + 1) * len(TONES) * 2 * 2


def test_every_generated_cta_satisfies_the_checklists_dual_track_rule(ruleset):
    """A plan whose cta_text is a generated CTA never gets the "asks for only one signal" item."""
    with StageRunner(ruleset, "plan", engine="python") as runner:
        for cta in every_cta():
            plan = Plan(id="p", goal=cta.goal, form=cta.form, cta_text=cta.script)
            fired, _, _ = runner.run(plan.to_fact())
            assert "cta-dual-track" not in fired, cta.script


def test_the_cli_output_passes_cta_check_too():
    generated = json.loads(run("--goal", "both", "--lang", "zh", "--variants", "3", "--format", "json").stdout)
    for variant in generated["variants"]:
        check = run_cli("cta", "check", variant["script"], "--engine", "python")
        assert check.exit_code == 0, variant["script"]


# --- tracks and lead -----------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_both_tracks_are_present_and_distinct(lang):
    for cta in generate_cta(goal="both", lang=lang, variants=3):
        like, heart = cta.tracks["like"], cta.tracks["heart"]
        assert like != heart
        assert any(w in like for w in LIKE_WORDS[lang]) and not any(w in like for w in HEART_WORDS[lang])
        assert any(w in heart for w in HEART_WORDS[lang])
        assert like in cta.script and heart in cta.script


@pytest.mark.parametrize("goal, lead", [("exposure", "like"), ("both", "like"), ("relationship", "heart")])
def test_the_goal_decides_which_track_leads(goal, lead):
    cta = generate_cta(goal=goal, lang="en")[0]
    assert cta.leads == lead
    assert cta.script.startswith(cta.tracks[lead])


def test_lead_overrides_the_goal():
    cta = generate_cta(goal="exposure", lead="heart", lang="zh")[0]
    assert cta.leads == "heart" and cta.script.startswith(cta.tracks["heart"])


def test_topic_and_series_are_woven_in():
    cta = generate_cta(goal="both", topic="家常菜", series="外婆的菜谱", lang="zh")[0]
    assert "家常菜" in cta.tracks["like"] and "外婆的菜谱" in cta.tracks["heart"]
    cta = generate_cta(goal="both", topic="home baking", series="Sourdough diary", lang="en")[0]
    assert "home baking" in cta.tracks["like"] and "Sourdough diary" in cta.tracks["heart"]


def test_focus_adds_a_comment_and_return_invitation():
    for lang, comment, again in (("zh", "评论", "下一期"), ("en", "comments", "next")):
        cta = generate_cta(goal="both", lang=lang, focus="comments_and_return")[0]
        assert cta.extra and comment in cta.extra and again in cta.extra
        assert cta.script.endswith(cta.extra)
        assert cta.to_json()["focus"] == "comments_and_return"
    plain = generate_cta(goal="both", lang="zh")[0]
    assert plain.extra is None and "评论" not in plain.script


# --- variants (H12) ------------------------------------------------------------------------------

def test_variant_plan_changes_one_thing_at_a_time_first():
    plan = variant_plan(3, 2)
    assert plan[0] == (0, 0)
    assert len(plan) == len(set(plan)) == 6
    singles = [p for p in plan if (p[0] == 0) != (p[1] == 0)]
    assert plan[1:1 + len(singles)] == singles  # every one-change variant comes before any two-change one


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_variants_differ_in_wording_and_placement(lang):
    n = max_variants(goal="both", lang=lang)
    ctas = generate_cta(goal="both", lang=lang, variants=n)
    assert [c.variant for c in ctas] == [chr(ord("A") + i) for i in range(n)]
    assert len({(c.script, c.placement) for c in ctas}) == n
    a = ctas[0]
    for c in ctas[1:]:
        assert c.changes, c.variant
        assert (c.script != a.script) == ("wording" in c.changes)
        # The placement text also quotes the script's length, so compare it without the numbers.
        same_place = re.sub(r"[\d.]+", "#", c.placement) == re.sub(r"[\d.]+", "#", a.placement)
        assert same_place != ("placement" in c.changes)
        assert (c.placement_index != a.placement_index) == ("placement" in c.changes)
        assert "H12" in c.heuristics
    assert "H12" not in generate_cta(goal="both", lang=lang)[0].heuristics


def test_too_many_variants_is_a_clear_error():
    n = max_variants(goal="both", lang="zh")
    with pytest.raises(AdvisorError) as exc:
        generate_cta(goal="both", lang="zh", variants=n + 1)
    assert str(n) in str(exc.value) and exc.value.problems[0].field == "variants"
    result = run("--variants", n + 1)
    assert result.exit_code == 2 and "variants" in result.stderr


# --- placement and spoken length -------------------------------------------------------------------

def test_spoken_length_rates():
    assert spoken_length("点赞").seconds == 0.5  # 2 characters at 4 a second
    assert spoken_length("tap the like").seconds == 1.2  # 3 words at 2.5 a second
    mixed = spoken_length("喜欢 Excel 技巧的点个赞👍")
    assert (mixed.cjk_chars, mixed.words) == (8, 1)  # 喜欢技巧的点个赞 + Excel
    assert mixed.seconds == round(8 / 4 + 1 / 2.5, 1)


def test_spoken_length_counts_the_characters_the_former_pattern_did():
    """The Chinese characters are picked by comparisons now; the same ones as the pattern used before."""
    han = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
    words = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
    every = "".join(map(chr, range(0x30000)))  # every character of the BMP and the next two planes
    edges = "".join(chr(c + d) for c in (0x3400, 0x4dbf, 0x4e00, 0x9fff, 0xf900, 0xfaff) for d in (-1, 0, 1))
    for text in (every, edges, "喜欢Excel技巧的点个赞👍", "don’t tap 赞it's fine", "㐀abc鿿x豈y﫿z", ""):
        length = spoken_length(text)
        assert length.cjk_chars == len(han.findall(text))
        assert length.words == len(words.findall(han.sub(" ", text)))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_spoken_seconds_match_the_script(lang):
    for cta in generate_cta(goal="both", lang=lang, variants=3):
        if lang == "zh":
            expected = len(HAN.findall(cta.script)) / 4
        else:
            expected = len(re.findall(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?", cta.script)) / 2.5
        assert cta.spoken_seconds == pytest.approx(expected, abs=0.051)  # rounded to 0.1 s
        assert f"{cta.spoken_seconds:g}" in cta.placement.replace(".0", "")


def test_placement_follows_the_timeline_and_the_hook_level(ruleset):
    for form in FORMS:
        deadline = resolve(ruleset.levels, "hook_at_s", "late", form, None).value
        assert hook_deadline(form, ruleset.levels) == deadline
        if form in ("short_video", "long_video"):
            cta = generate_cta(goal="both", form=form, lang="en", levels=ruleset.levels)[0]
            assert f"{deadline:.1f}s" in cta.placement
            assert "hook" in cta.placement and "middle" in cta.placement
    zh = generate_cta(goal="relationship", form="short_video", lang="zh")[0]
    assert "开头" in zh.placement and "中段" in zh.placement and "结尾" in zh.placement
    assert "先说小红心那句" in zh.placement


# --- JSON and the command ---------------------------------------------------------------------------

def test_json_has_the_issues_keys():
    result = run("--goal", "both", "--lang", "en", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert list(data)[:5] == list(ISSUE_KEYS)
    assert set(data["tracks"]) == {"like", "heart"}
    assert isinstance(data["spoken_seconds"], float) and data["spoken_seconds"] > 0
    assert "H07" in data["heuristics"]
    assert data["script"].startswith(data["tracks"]["like"])
    assert len(data["variants"]) == 1 and data["variants"][0]["script"] == data["script"]


def test_text_output_in_both_languages():
    zh = run("--goal", "relationship", "--lang", "zh", "--variants", "2")
    en = run("--goal", "relationship", "--lang", "en", "--variants", "2")
    assert zh.exit_code == en.exit_code == 0
    assert "小红心轨" in zh.stdout and "版本 B" in zh.stdout and "口播时长" in zh.stdout
    assert "heart track" in en.stdout and "Variant B" in en.stdout and "Spoken length" in en.stdout
    assert not HAN.search(en.stdout)


def test_a_topic_that_the_lint_flags_is_reported():
    result = run("--topic", "抽奖", "--lang", "zh")
    assert result.exit_code == 1
    assert "cta-bribery" in result.stderr


def test_bad_arguments_to_the_library_name_the_field():
    with pytest.raises(AdvisorError) as exc:
        generate_cta(goal="exposur")
    assert exc.value.problems[0].field == "goal" and "did you mean exposure" in str(exc.value)
    with pytest.raises(AdvisorError):
        generate_cta(topic="x" * 200)
    with pytest.raises(AdvisorError):
        generate_cta(variants=0)
    assert set(FOCUSES) == {"comments_and_return", "return_visit"}


# --- templates are data ----------------------------------------------------------------------------

def copy_templates(tmp_path) -> Path:
    folder = tmp_path / "my-templates"
    shutil.copytree(paths.shipped_templates() / "cta", folder)
    return folder


def test_an_edited_template_adds_a_wording(tmp_path):
    folder = copy_templates(tmp_path)
    like = folder / "like.zh.j2"
    like.write_text(like.read_text(encoding="utf-8").replace(
        "{% elif tone == \"playful\" %}", "\n收藏不如点个赞👍,让同行也看到。\n{% elif tone == \"playful\" %}"),
        encoding="utf-8")
    before = max_variants(goal="both", lang="zh", tone="professional")
    after = max_variants(goal="both", lang="zh", tone="professional", templates_dir=folder)
    assert after > before
    scripts = [c.script for c in generate_cta(goal="both", lang="zh", tone="professional", variants=after,
                                              templates_dir=folder)]
    assert any("收藏不如点个赞" in s for s in scripts)


def test_a_broken_template_is_a_located_error(tmp_path):
    folder = copy_templates(tmp_path)
    (folder / "heart.en.j2").write_text("{# fine #}\nline two\n{% if tone == 'warm' %}\nunclosed\n", encoding="utf-8")
    with pytest.raises(AdvisorError) as exc:
        generate_cta(lang="en", templates_dir=folder)
    problem = exc.value.problems[0]
    assert problem.file.endswith("heart.en.j2") and problem.line is not None
    result = run("--lang", "en", "--templates", folder)
    assert result.exit_code == 2 and "heart.en.j2:" in result.stderr and "Traceback" not in result.output


def test_a_template_using_an_unknown_variable_is_a_located_error(tmp_path):
    folder = copy_templates(tmp_path)
    (folder / "like.zh.j2").write_text("第一行\n{{ no_such_thing }}\n", encoding="utf-8")
    with pytest.raises(AdvisorError) as exc:
        generate_cta(lang="zh", templates_dir=folder)
    problem = exc.value.problems[0]
    assert problem.file.endswith("like.zh.j2") and problem.line == 2 and "no_such_thing" in str(exc.value)


def test_templates_are_sandboxed(tmp_path):
    folder = copy_templates(tmp_path)
    (folder / "like.en.j2").write_text("{{ ''.__class__.__mro__ }}\n", encoding="utf-8")
    with pytest.raises(AdvisorError):
        generate_cta(lang="en", templates_dir=folder)
