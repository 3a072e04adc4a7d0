"""Every combination of goal x form x tone x platform x language (issue 12): distinct, fitting,
form-specific, true to the platform's buttons, and clean under the H13 lint."""

from __future__ import annotations

import itertools
import json
import re

import pytest

from advisor.core.errors import AdvisorError
from advisor.jobs.cta import GOALS, TONES, generate_cta, max_variants, spoken_budget
from advisor.jobs.cta_check import CtaChecker
from advisor.model.metrics import FORMS

from conftest import run_cli

pytestmark = pytest.mark.usefixtures("clean_env")

PLATFORMS = ("wechat_channels", "douyin", "generic")
LANGS = ("zh", "en")
# A realistic planned length per form: a 15 s short video forces the short wordings.
DURATIONS = {"short_video": 15, "long_video": 300, "live": 3600, "image_text": None}
# Words that promise reach; a private 👍 (视频号) gives none.
REACH = {"zh": re.compile(r"更多|刷到|被.{0,4}看到|推荐|扩散|走远|一段路|找到"),
         "en": re.compile(r"reach|more people|find it|travel|recommend|see it", re.I)}
LIVE_WORDS = {"zh": ("关注", "预约", "粉丝团", "屏幕"), "en": ("follow", "reserve", "fan club", "screen")}
VIDEO_WORDS = {"zh": ("这条视频", "这期长视频", "这篇图文"), "en": ("this video", "this episode", "this post")}


def combos():
    return list(itertools.product(PLATFORMS, LANGS, GOALS, FORMS, TONES))


def all_variants(platform, lang, goal, form, tone, duration=None, **extra):
    n = max_variants(goal=goal, form=form, tone=tone, lang=lang, profile=platform, duration_s=duration,
                     focus=extra.get("focus"))
    return generate_cta(goal=goal, form=form, tone=tone, lang=lang, profile=platform, duration_s=duration,
                        variants=n, **extra)


@pytest.fixture(scope="module")
def generated():
    """{combination: (variants at no duration, variants at the form's realistic duration)}."""
    return {c: (all_variants(*c), all_variants(*c, duration=DURATIONS[c[3]])) for c in combos()}


def test_the_72_combinations_per_platform_and_language_give_distinct_scripts(generated):
    for platform, lang in itertools.product(PLATFORMS, LANGS):
        mine = {c: v for c, v in generated.items() if c[:2] == (platform, lang)}
        assert len(mine) == len(GOALS) * len(FORMS) * len(TONES) == 36 * 2 // 2  # 3 x 4 x 3
        firsts = [v[0][0].script for v in mine.values()]
        assert len(set(firsts)) == len(firsts), (platform, lang)  # variant A differs everywhere
        fitted = [frozenset(c.script for c in v[1]) for v in mine.values()]
        assert len(set(fitted)) == len(fitted), (platform, lang)  # and so do the fitted sets
    # the platform changes the words too
    for lang, goal, form, tone in itertools.product(LANGS, GOALS, FORMS, TONES):
        scripts = {generated[(p, lang, goal, form, tone)][0][0].script for p in PLATFORMS}
        assert len(scripts) == len(PLATFORMS), (lang, goal, form, tone)


def test_goal_form_and_tone_each_change_the_words_not_only_the_order(generated):
    def words(cta):
        return frozenset(t for t in cta.tracks.values() if t)
    for (platform, lang, goal, form, tone), (plain, _) in generated.items():
        for other in GOALS:
            if other != goal:
                assert words(plain[0]) != words(generated[(platform, lang, other, form, tone)][0][0])
        for other in TONES:
            if other != tone:
                assert words(plain[0]) != words(generated[(platform, lang, goal, form, other)][0][0])
        for other in FORMS:
            if other != form:
                assert words(plain[0]) != words(generated[(platform, lang, goal, other, tone)][0][0])


def test_every_combination_offers_at_least_two_variants_at_any_duration():
    for platform, lang, goal, form, tone in combos():
        for duration in (None, 10, 15, 30, 60, 600):
            assert max_variants(goal=goal, form=form, tone=tone, lang=lang, profile=platform,
                                duration_s=duration) >= 2, (platform, lang, goal, form, tone, duration)


@pytest.mark.parametrize("duration", [10, 15, 30, 60, 120])
def test_scripts_fit_the_planned_duration(duration):
    budget = max(4.0, 0.1 * duration)
    assert spoken_budget(duration) == pytest.approx(budget)
    for platform, lang, goal, form, tone in combos():
        if form in ("image_text", "live"):
            continue
        for cta in all_variants(platform, lang, goal, form, tone, duration=duration):
            assert cta.spoken_seconds <= budget, (duration, cta.script)
            assert cta.fits is True and cta.to_json()["budget_seconds"] == pytest.approx(budget)


def test_a_short_variant_is_always_there(generated):
    for (platform, lang, goal, form, tone), (plain, _) in generated.items():
        if form in ("image_text", "live"):  # a caption is not spoken; a live runs for an hour
            continue
        shortest = min(c.spoken_seconds for c in plain)
        assert shortest <= 4.0, (platform, lang, goal, form, tone)
        assert any(c.length == "short" for c in plain)


def test_image_text_gets_a_written_caption_without_spoken_length(generated):
    for (platform, lang, goal, form, tone), (plain, fitted) in generated.items():
        if form != "image_text":
            continue
        for cta in plain + fitted:
            data = cta.to_json()
            assert data["spoken_seconds"] is None and data["caption"] == data["script"]
            assert "秒" not in cta.placement and not re.search(r"\d s\b|\ds\b", cta.placement)
    result = run_cli("cta", "--form", "image_text", "--lang", "zh", "--engine", "python")
    assert result.exit_code == 0 and "口播时长" not in result.stdout and "配文" in result.stdout


def test_live_gets_live_asks_instead_of_video_lines(generated):
    for (platform, lang, goal, form, tone), (plain, _) in generated.items():
        if form != "live":
            continue
        for cta in plain:
            assert any(w in cta.script for w in LIVE_WORDS[lang]), cta.script
            assert not any(w in cta.script for w in VIDEO_WORDS[lang]), cta.script
        joined = " ".join(c.script for c in plain)
        assert ("预约" if lang == "zh" else "reserve") in joined
        if platform != "generic":
            assert ("粉丝团" if lang == "zh" else "fan club") in joined


def test_wechat_like_track_never_promises_reach_and_heart_track_recommends_to_friends(generated):
    for (platform, lang, goal, form, tone), (plain, fitted) in generated.items():
        if platform != "wechat_channels" or form == "live":
            continue
        for cta in plain + fitted:
            assert not REACH[lang].search(cta.tracks["like"]), cta.tracks["like"]
            heart = cta.tracks["heart"].lower()
            assert any(w in heart for w in (("朋友", "推荐") if lang == "zh" else ("friend", "recommend"))), heart
        assert any(("推荐" if lang == "zh" else "recommend") in c.tracks["heart"] for c in plain)


def test_douyin_has_one_like_and_the_right_secondary_ask(generated):
    for (platform, lang, goal, form, tone), (plain, _) in generated.items():
        if platform != "douyin":
            continue
        for cta in plain:
            assert cta.tracks["heart"] is None and "♡" not in cta.script and "小红心" not in cta.script
            if form == "live":
                continue
            assert cta.second == ("save" if goal == "exposure" else "follow")
            assert cta.tracks[cta.second] and "❤" in cta.tracks["like"]


def test_generic_keeps_the_articles_framing(generated):
    for (platform, lang, goal, form, tone), (plain, _) in generated.items():
        if platform == "generic" and form in ("short_video", "long_video"):
            assert REACH[lang].search(plain[0].tracks["like"]), plain[0].tracks["like"]


def test_every_script_passes_the_lint(ruleset, generated):
    with CtaChecker(ruleset, engine="python") as checker:
        for combo, (plain, fitted) in generated.items():
            for cta in plain + fitted:
                result = checker.check(cta.script)
                assert result.clean, (combo, cta.script, [f.to_json("en") for f in result.findings])


def test_cli_profile_and_duration():
    result = run_cli("cta", "--profile", "douyin", "--goal", "exposure", "--duration", "15", "--format", "json",
                     "--engine", "python")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"like", "heart", "script", "placement", "spoken_seconds", "heuristics"} <= set(data) | set(data["tracks"])
    assert data["tracks"]["heart"] is None and data["tracks"]["save"] and data["platform"] == "douyin"
    assert data["spoken_seconds"] <= 4.0 and data["fits"] is True
    default = json.loads(run_cli("cta", "--format", "json", "--engine", "python").stdout)
    assert default["platform"] == "wechat_channels"
    bad = run_cli("cta", "--profile", "weibo", "--engine", "python")
    assert bad.exit_code == 2 and "weibo" in bad.stderr


def test_the_config_profile_is_the_default(tmp_path, monkeypatch):
    (tmp_path / "advisor.yaml").write_text("profile: douyin\n", encoding="utf-8")
    result = run_cli("cta", "--format", "json", "--engine", "python", "--config", str(tmp_path / "advisor.yaml"))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["platform"] == "douyin"


def test_a_bad_duration_names_the_field():
    with pytest.raises(AdvisorError) as exc:
        generate_cta(duration_s=-3)
    assert exc.value.problems[0].field == "duration"
