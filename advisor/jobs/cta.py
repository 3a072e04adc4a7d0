"""Dual-track calls to action (H07): a like line and a heart line, placed on the video's timeline.

write_ctas() is the library function behind `advisor cta` (generate_cta(), then the H13 lint of
each variant); cta_set_json() is its report; advisor.jobs.review_cta calls it too,
to give each reviewed video a CTA for its next one (`lead` from the diagnosis's `cta_lead`,
`focus` for what the diagnosis asks for, e.g. comments and a return visit after short-lived heat).

The wording is data: Jinja2 templates in templates/cta/ (one file per track and language), rendered
in advisor.core.templating's sandbox. Inside a track template each paragraph (lines separated by a blank line)
is one wording, so an operator adds a variant by adding a paragraph, no code. Variants for A/B tests
(H12) combine a wording with a placement; variant A is the first of each, and the next ones change
one thing at a time (wording, then placement), so a test can tell which change moved the numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal, Optional

from advisor.core import paths
from advisor.core.errors import AdvisorError, Problem, did_you_mean
from advisor.core.i18n import LANGS, Lang, T
from advisor.core.templating import render_template
from advisor.input.profiles import Mechanics, Profile, generic_profile, load_profiles, resolve_profile
from advisor.input.yamlio import load_yaml
from advisor.jobs.cta_check import CheckResult, CtaChecker
from advisor.model.levels import Levels
from advisor.model.metrics import FORMS
from advisor.model.spoken import (BUDGET_SHARE, CJK_PER_SECOND, MIN_BUDGET_S, WORDS_PER_SECOND,  # noqa: F401
                                  SpokenLength, spoken_budget, spoken_length)

GOALS = ("exposure", "relationship", "both")
TONES = ("warm", "professional", "playful")
TRACKS = ("like", "heart")
# What the second track asks for: the heart where the platform has one, else a save or a follow.
SECOND_ASKS = ("heart", "save", "follow")
DEFAULT_PROFILE = "wechat_channels"
LENGTHS = ("full", "short")
# What a diagnosis can ask the CTA to add (the review stage's diagnoses use these names).
FOCUSES = {
    "comments_and_return": T(zh="邀请评论并预告下一期,给观众回来的理由(H03)",
                             en="invite a comment and tease the next video, a reason to come back (H03)"),
    "return_visit": T(zh="预告后续内容,邀请观众回来接着看(H11)",
                      en="tease what comes next and invite viewers back for it (H11)"),
}
MAX_TEXT = 40  # topic and series names: a few words, not a paragraph
HOOK_FALLBACK_S = 3.0

Track = Literal["like", "heart", "save", "follow"]

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")

TRACK_NAMES = {"like": T(zh="点赞", en="like"), "heart": T(zh="小红心", en="heart"),
               "save": T(zh="收藏", en="save"), "follow": T(zh="关注", en="follow")}


def second_ask(mechanics: Mechanics, goal: str) -> str:
    """The second track's ask: the heart where there is one; else save for exposure, follow otherwise."""
    if mechanics.heart is not None:
        return "heart"
    options = list(mechanics.secondary) or ["follow"]
    prefer = "save" if goal == "exposure" else "follow"
    return prefer if prefer in options else options[0]


@dataclass
class Cta:
    """One generated call to action: its two tracks, the script to read, and where it goes."""

    tracks: dict[str, Optional[str]]  # {"like": ..., "heart": ... or None, and "save"/"follow" when that is the ask}
    leads: Track  # the track said first
    script: str
    placement: str
    spoken_seconds: Optional[float]  # None for image_text: a written caption is not spoken
    heuristics: list[str]
    variant: str = "A"
    changes: list[str] = field(default_factory=list)  # what differs from variant A: wording, placement
    wording: int = 0
    placement_index: int = 0
    goal: str = "both"
    form: Optional[str] = None
    tone: str = "warm"
    lang: Lang = "zh"
    focus: Optional[str] = None
    extra: Optional[str] = None  # the focus line, when a focus was asked for
    spoken: SpokenLength | None = None
    platform: str = DEFAULT_PROFILE
    second: str = "heart"  # what the second track asks for: heart, save or follow
    icons: dict[str, str] = field(default_factory=dict)
    length: str = "full"  # full | short
    duration_s: Optional[float] = None
    budget_seconds: Optional[float] = None

    @property
    def written(self) -> bool:
        return self.form == "image_text"

    @property
    def fits(self) -> Optional[bool]:
        """Whether the spoken length fits the planned duration (None: no duration, or not spoken)."""
        if self.budget_seconds is None or self.spoken_seconds is None:
            return None
        return self.spoken_seconds <= self.budget_seconds

    def to_json(self) -> dict:
        """The issue's shape (tracks, script, placement, spoken_seconds, heuristics) and more."""
        out = {
            "tracks": dict(self.tracks),
            "script": self.script,
            "placement": self.placement,
            "spoken_seconds": self.spoken_seconds,
            "heuristics": list(self.heuristics),
            "leads": self.leads,
            "variant": self.variant,
            "differs_from_a": list(self.changes),
            "goal": self.goal,
            "form": self.form,
            "tone": self.tone,
            "lang": self.lang,
            "platform": self.platform,
            "second": self.second,
            "length": self.length,
        }
        if self.written:
            out["caption"] = self.script
        if self.duration_s is not None:
            out["duration_s"] = self.duration_s
            out["budget_seconds"] = self.budget_seconds
            out["fits"] = self.fits
        if self.focus:
            out["focus"] = self.focus
            out["extra"] = self.extra
        if self.spoken is not None and not self.written:
            out["spoken_rate"] = self.spoken.to_json()
        return out


def lead_for_goal(goal: str) -> Track:
    """Exposure and both lead with the like (the broad, easy ask); relationship with the heart."""
    return "heart" if goal == "relationship" else "like"


def variant_plan(n_wordings: int, n_placements: int) -> list[tuple[int, int]]:
    """(wording, placement) per variant: A first, then one change at a time, then combinations.

    H12: a test should change one thing at a time, so B, C, ... each differ from A in wording
    only or in placement only, alternating, for as long as the templates allow; only after those
    run out do variants change both.
    """
    order = [(0, 0)]
    singles_w = [(w, 0) for w in range(1, n_wordings)]
    singles_p = [(0, p) for p in range(1, n_placements)]
    while singles_w or singles_p:
        if singles_w:
            order.append(singles_w.pop(0))
        if singles_p:
            order.append(singles_p.pop(0))
    order += [(w, p) for p in range(1, n_placements) for w in range(1, n_wordings)]
    return order


def variant_label(index: int) -> str:
    """A, B, ..., Z, then A2, B2, ..."""
    letter = chr(ord("A") + index % 26)
    return letter if index < 26 else f"{letter}{index // 26 + 1}"


def _problem(message: T, field_name: str) -> AdvisorError:
    return AdvisorError([Problem(message, field=field_name)])


def _choice(value, choices, field_name: str, allow_none: bool = False):
    if value is None and allow_none:
        return None
    if value in choices:
        return value
    hint = did_you_mean(str(value), choices)
    tail_zh, tail_en = (f";{hint.zh}", f"; {hint.en}") if hint else ("", "")
    raise _problem(T(zh=f"{field_name} 应为 {', '.join(choices)} 之一,而不是 {value!r}{tail_zh}",
                     en=f"{field_name} must be one of {', '.join(choices)}, not {value!r}{tail_en}"), field_name)


def _short_text(value, field_name: str) -> Optional[str]:
    if value is None:
        return None
    text = " ".join(str(value).split())
    if not text:
        return None
    if len(text) > MAX_TEXT:
        raise _problem(T(zh=f"{field_name} 太长(上限 {MAX_TEXT} 个字符):写一个简短的名字",
                         en=f"{field_name} is too long (limit {MAX_TEXT} characters): give a short name"), field_name)
    return text


class _Templates:
    """The CTA templates: a user folder (when given) laid over the shipped one, file by file."""

    def __init__(self, user_dir: str | Path | None, lang: Lang):
        self.lang = lang
        self.shipped = paths.shipped_templates() / "cta"
        self.user = Path(user_dir) if user_dir else None
        if self.user is not None and not self.user.is_dir():
            raise AdvisorError([Problem(T(zh="找不到模板文件夹", en="no such template folder"), file=str(self.user))])

    def folder_for(self, name: str) -> Path:
        if self.user is not None and (self.user / name).is_file():
            return self.user
        return self.shipped

    def render(self, name: str, context: dict) -> str:
        folder = self.folder_for(name)
        if not (folder / name).is_file():
            raise AdvisorError([Problem(T(zh="缺少模板文件", en="template file missing"), file=str(folder / name))])
        return render_template(folder, name, context, self.lang)

    def paragraphs(self, name: str, context: dict, what: T) -> list[str]:
        """Each blank-line-separated paragraph of the rendered template, as one line of text."""
        text = self.render(name, context)
        out = [_one_line(block, self.lang) for block in _PARAGRAPH_BREAK.split(text)]
        out = [line for line in out if line]
        if not out:
            folder = self.folder_for(name)
            raise AdvisorError([Problem(T(
                zh=f"模板没有给出任何{what.zh}(tone={context.get('tone')}, form={context.get('form')}):每种说法写成一段,段与段之间空一行",
                en=f"the template gives no {what.en} for tone={context.get('tone')}, form={context.get('form')}: "
                   "write each wording as a paragraph, with a blank line between paragraphs"),
                file=str(folder / name))])
        return out


def _one_line(text: str, lang: Lang) -> str:
    """A rendered template's lines joined: no space between Chinese lines, one between English ones."""
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    return ("" if lang == "zh" else " ").join(lines)


@lru_cache(maxsize=1)
def _shipped_levels():
    """The shipped levels.yaml alone (the whole rule set is not needed for one threshold)."""
    data, _ = load_yaml(paths.shipped_rules() / "levels.yaml")
    return Levels.model_validate(data or {})


def hook_deadline(form: str | None, levels=None) -> float:
    """When the opening hook should have landed, from the `late` level of hook_at_s (levels.yaml).

    The checklist's hook rule uses the same level, so the CTA's timeline advice and the
    checklist never disagree about what "late" means.
    """
    if levels is None:
        try:
            levels = _shipped_levels()
        except (AdvisorError, ValueError):  # a broken levels.yaml is reported by the commands that load it
            return HOOK_FALLBACK_S
    spec = levels.metrics.get("hook_at_s", {}).get("late")
    if spec is None:
        return HOOK_FALLBACK_S
    return float(spec.absolute.get(form or "default", spec.absolute["default"]))


def load_platform(profile: "Profile | str | Path | None" = None, profile_dirs=None) -> Profile:
    """The platform profile a CTA is worded for: a Profile, a name or file (--profile), default wechat_channels.

    A profile without `mechanics` (a user's own export mapping, say) borrows the generic profile's.
    """
    if isinstance(profile, Profile):
        chosen = profile
        profiles = None
    else:
        profiles = load_profiles(profile_dirs) if profile_dirs is not None else load_profiles()
        chosen = resolve_profile(profile or DEFAULT_PROFILE, profiles)
    if chosen.mechanics is None:
        profiles = profiles if profiles is not None else load_profiles()
        generic = generic_profile(profiles)
        mechanics = generic.mechanics or Mechanics.model_validate(
            {"like": {"icon": "👍", "name": {"zh": "点赞", "en": "like"}, "seen_by": "public", "spreads": "feed"},
             "heart": {"icon": "♡", "name": {"zh": "小红心", "en": "heart"}, "seen_by": "creator", "spreads": "none"}})
        chosen = chosen.model_copy(update={"mechanics": mechanics})
    return chosen


def _button(button, lang: Lang) -> dict | None:
    if button is None:
        return None
    return {"icon": button.icon, "name": button.name.get(lang), "seen_by": button.seen_by, "spreads": button.spreads}


@dataclass
class _Setup:
    """Validated arguments, the rendered wordings (full, then short), and the variant plan they allow."""

    templates: "_Templates"
    base: dict
    lang: Lang
    lead: str
    second: str
    wordings: list[dict]  # per kept wording: {"like", second, "extra", "length"}
    plan: list[tuple[int, int]]
    n_wordings: int
    n_placements: int
    budget: Optional[float]
    profile: Profile


def _tier(templates, base, lang, lead, second, focus, length) -> list[dict]:
    """The wordings of one length tier, each a dict of its track texts and extra line."""
    ctx = {**base, "length": length}
    texts: dict[str, list] = {}
    for track, file in (("like", "like"), (second, "heart")):
        position = "first" if track == lead else "second"
        texts[track] = templates.paragraphs(f"{file}.{lang}.j2", {**ctx, "position": position},
                                            T(zh=f"{TRACK_NAMES[track].zh}轨的说法", en=f"{track}-track wording"))
    extras = templates.paragraphs(f"focus.{lang}.j2", ctx, T(zh="补充号召", en="focus line")) if focus else [None]
    n = max(len(texts["like"]), len(texts[second]), len(extras))
    return [{"like": texts["like"][w % len(texts["like"])], second: texts[second][w % len(texts[second])],
             "extra": extras[w % len(extras)], "length": length} for w in range(n)]


def _script(templates, base, lang, lead, second, wording) -> str:
    other = second if lead == "like" else "like"
    text = templates.render(f"script.{lang}.j2", {**base, "first": wording[lead], "second": wording[other],
                                                   "extra": wording["extra"]})
    return _one_line(text, lang)


def _setup(goal, form, tone, topic, series, lang, lead, focus, templates_dir, levels, profile=None,
           duration_s=None, profile_dirs=None) -> _Setup:
    goal = _choice(goal, GOALS, "goal")
    form = _choice(form, FORMS, "form", allow_none=True)
    tone = _choice(tone, TONES, "tone")
    lang = _choice(lang, LANGS, "lang")
    focus = _choice(focus, tuple(FOCUSES), "focus", allow_none=True)
    topic = _short_text(topic, "topic")
    series = _short_text(series, "series")
    if duration_s is not None:
        if isinstance(duration_s, bool) or not isinstance(duration_s, (int, float)) or not duration_s > 0 \
                or duration_s != duration_s or duration_s == float("inf"):
            raise _problem(T(zh="duration 应为大于 0 的秒数", en="duration must be a number of seconds above 0"), "duration")
        duration_s = float(duration_s)
    prof = load_platform(profile, profile_dirs)
    mech = prof.mechanics
    second = second_ask(mech, goal)
    lead = _choice(lead, TRACKS, "lead", allow_none=True) or lead_for_goal(goal)
    lead = "like" if lead == "like" else second
    templates = _Templates(templates_dir, lang)
    base = {"goal": goal, "form": form, "tone": tone, "topic": topic, "series": series, "leads": lead,
            "focus": focus, "hook_by_s": hook_deadline(form, levels), "platform": prof.id,
            "like": _button(mech.like, lang) or {"icon": "👍", "name": TRACK_NAMES["like"].get(lang),
                                                  "seen_by": "public", "spreads": "feed"},
            "heart": _button(mech.heart, lang), "second": second, "live_asks": list(mech.live),
            "duration_s": duration_s}
    written = form == "image_text"
    budget = None if written else spoken_budget(duration_s)
    candidates = [w for length in LENGTHS for w in _tier(templates, base, lang, lead, second, focus, length)]
    if budget is not None:
        fitting = [w for w in candidates
                   if spoken_length(_script(templates, base, lang, lead, second, w)).seconds <= budget]
        # Nothing fits (a long focus line in a very short video): the short ones are the closest.
        candidates = fitting or [w for w in candidates if w["length"] == "short"]
    # Placement texts mention the script's length, so they are rendered per variant; count them here.
    n_placements = len(templates.paragraphs(
        f"placement.{lang}.j2", {**base, "spoken_seconds": 0.0, "extra": None, "budget_s": budget},
        T(zh="位置建议", en="placement")))
    return _Setup(templates, base, lang, lead, second, candidates, variant_plan(len(candidates), n_placements),
                  len(candidates), n_placements, budget, prof)


def generate_cta(*, goal: str = "both", form: str | None = None, tone: str = "warm", topic: str | None = None,
                 series: str | None = None, lang: Lang = "zh", variants: int = 1, lead: str | None = None,
                 focus: str | None = None, templates_dir: str | Path | None = None, levels=None,
                 profile: "Profile | str | Path | None" = None, duration_s: float | None = None,
                 profile_dirs=None) -> list[Cta]:
    """`variants` dual-track CTAs for a video; raises AdvisorError on bad arguments or templates.

    goal      exposure | relationship | both: decides which track leads (exposure and both: like)
    form      short_video | long_video | live | image_text, or None: wording and timeline
              (live: asks for the stream - taps, follow, fan club, reserving the next one;
              image_text: a written caption, no spoken length)
    tone      warm | professional | playful
    topic     what the video is about, woven into the tracks ("people who enjoy <topic>")
    series    the series name, woven into the second track ("what comes next in <series>")
    lang      zh | en
    variants  how many versions to A/B test (H12); at most max_variants() for these settings
    lead      like | heart: overrides the goal's choice (heart: the second track, whatever it asks for)
    focus     a key of FOCUSES: adds a line, e.g. comments_and_return after short-lived heat
    templates_dir  a folder of edited templates laid over templates/cta/, file by file
    levels    advisor.model.levels.Levels for the hook deadline in the placement (default: the shipped ones)
    profile   the platform (a Profile, a profile name or file; default wechat_channels): its `mechanics`
              say which buttons exist and what they do, and the tracks are worded from them
    duration_s  the planned length: only wordings whose spoken length fits max(4 s, 10% of it) are offered
              (the short ones when nothing longer fits)
    profile_dirs  folders to look for profiles in (default: the shipped ones)
    """
    if isinstance(variants, bool) or not isinstance(variants, int) or variants < 1:
        raise _problem(T(zh="variants 应为不小于 1 的整数", en="variants must be a whole number of at least 1"), "variants")
    st = _setup(goal, form, tone, topic, series, lang, lead, focus, templates_dir, levels, profile, duration_s,
                profile_dirs)
    if variants > len(st.plan):
        raise _problem(T(
            zh=f"模板只能给出 {len(st.plan)} 个互不相同的版本({st.n_wordings} 种说法 × {st.n_placements} 种位置);"
               f"要更多,在 templates/cta/ 的模板里每种说法加一段",
            en=f"the templates give only {len(st.plan)} distinct variants ({st.n_wordings} wordings × "
               f"{st.n_placements} placements); for more, add a paragraph per wording to the templates in templates/cta/"),
            "variants")
    lead, second = st.lead, st.second
    written = st.base["form"] == "image_text"
    icons = {"like": st.base["like"]["icon"], "heart": (st.base["heart"] or {}).get("icon", "♡"),
             "save": "⭐", "follow": "➕"}
    out = []
    for index, (w, p) in enumerate(st.plan[:variants]):
        wording = st.wordings[w]
        tracks: dict[str, Optional[str]] = {"like": wording["like"], "heart": wording.get("heart")}
        if second != "heart":
            tracks[second] = wording[second]
        extra = wording["extra"]
        script = _script(st.templates, st.base, st.lang, lead, second, wording)
        spoken = spoken_length(script)
        seconds = None if written else spoken.seconds
        placements = st.templates.paragraphs(
            f"placement.{st.lang}.j2", {**st.base, "spoken_seconds": spoken.seconds if not written else None,
                                        "extra": extra, "budget_s": st.budget},
            T(zh="位置建议", en="placement"))
        changes = ([] if w == 0 else ["wording"]) + ([] if p == 0 else ["placement"])
        heuristics = ["H07", "H08"] + (["H14"] if st.base["form"] in ("live", "image_text") else []) \
            + (["H12"] if variants > 1 else [])
        out.append(Cta(tracks=tracks, leads=lead, script=script, placement=placements[p % len(placements)],
                       spoken_seconds=seconds, heuristics=heuristics, variant=variant_label(index),
                       changes=changes, wording=w, placement_index=p, goal=st.base["goal"], form=st.base["form"],
                       tone=st.base["tone"], lang=st.lang, focus=st.base["focus"], extra=extra, spoken=spoken,
                       platform=st.profile.id, second=second, icons=icons, length=wording["length"],
                       duration_s=st.base["duration_s"], budget_seconds=st.budget))
    return out


def max_variants(*, goal: str = "both", form: str | None = None, tone: str = "warm", lang: Lang = "zh",
                 lead: str | None = None, focus: str | None = None, templates_dir: str | Path | None = None,
                 profile=None, duration_s: float | None = None) -> int:
    """How many distinct variants the templates give for these settings."""
    return len(_setup(goal, form, tone, None, None, lang, lead, focus, templates_dir, None, profile,
                      duration_s).plan)


def flagged_ctas(ctas: list[Cta], ruleset=None, *, engine: str | None = None) -> list[tuple[Cta, CheckResult]]:
    """The CTAs whose script the H13 lint flags, with what it found.

    The shipped templates always pass (tests prove it for every combination); a topic or series
    name, or an edited template, might not, so `advisor cta` checks what it hands out.
    """
    out = []
    with CtaChecker(ruleset, engine=engine) as checker:
        for cta in ctas:
            result = checker.check(cta.script)
            if not result.clean:
                out.append((cta, result))
    return out


@dataclass
class CtaSet:
    """What `advisor cta` hands out: the variants, and those the H13 lint flags (with its findings)."""

    ctas: list[Cta]
    flagged: list[tuple[Cta, CheckResult]] = field(default_factory=list)


def write_ctas(ruleset=None, *, engine: str | None = None, **options) -> CtaSet:
    """`advisor cta` as a function: generate_cta(**options), then lint every variant (flagged_ctas)."""
    ctas = generate_cta(**options)
    return CtaSet(ctas, flagged_ctas(ctas, ruleset, engine=engine))


def cta_set_json(result: CtaSet) -> dict:
    """The report: variant A's JSON at the top level (the issue's shape), and every variant."""
    data = dict(result.ctas[0].to_json())
    data["variants"] = [c.to_json() for c in result.ctas]
    return data
