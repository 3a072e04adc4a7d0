"""The fast path of rule texts (advisor.core.templating._render_fast) against the sandbox.

A text the fast path renders must come out exactly as the sandbox renders it; a text or a render
it cannot do (or that the sandbox would refuse) must go to the sandbox, so every error is the
sandbox's own, at the same line.
"""

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.core import templating
from advisor.core.templating import (TEXT_LIMITS, Limits, RenderError, _compiled_text, _fast_text, _render,
                                     _render_fast, render_text)
from advisor.input.ruleset import load_ruleset
from advisor.model.metrics import FIELDS
from advisor.model.rules_model import rule_texts

RULESET = load_ruleset()
LANGS = ("zh", "en")


def sandboxed(source: str, ctx: dict, lang: str, limits: Limits = TEXT_LIMITS) -> str:
    """The text as the sandbox alone renders it (what render_text gave before the fast path)."""
    return _render(_compiled_text(source, lang), ctx, limits)


def shipped_texts():
    seen = set()
    for loaded in RULESET.rules:  # every stage's: review, plan, cta, segments, ...
        for _, text in rule_texts(loaded.rule):
            for lang in LANGS:
                source = text.get(lang)
                if "{" in source and (source, lang) not in seen:
                    seen.add((source, lang))
                    yield source, lang


TEXTS = sorted(shipped_texts())

# Values a review's text context holds: numbers of every kind, missing ones, odd ones.
SAMPLES = [None, 0, 1, 0.0, 0.0441, 0.5, 1.0, 12345, 10_000.5, -0.02, 1e-7, 3.0e12, float("nan"), float("inf"),
           True, False, "moderate", "strong", "text {{ x }}", ""]


def contexts(seed_values):
    """Contexts with every field, threshold and strength, filled from `seed_values` in turn."""
    names = list(FIELDS) + ["strength", "goal", "viewers", "participation_path", "population", "live_at"]
    for i, value in enumerate(seed_values):
        ctx = {name: seed_values[(i + j) % len(seed_values)] for j, name in enumerate(names)}
        ctx["thresholds"], ctx["sources"] = {}, {}
        yield ctx


def test_the_shipped_review_texts_take_the_fast_path():
    review = [(s, lang) for s, lang in TEXTS if s in {t.get(lang) for r in RULESET.active("review")
                                                     for _, t in rule_texts(r.rule)}]
    assert review, "no templated review text found"
    fast = [s for s, lang in review if _fast_text(s, lang) is not None]
    assert len(fast) == len(review), [s for s, lang in review if _fast_text(s, lang) is None][:3]


@pytest.mark.parametrize("source,lang", TEXTS, ids=[f"{i}-{lang}" for i, (_, lang) in enumerate(TEXTS)])
def test_every_shipped_text_reads_the_same_both_ways(source, lang):
    for ctx in itertools.chain(contexts(SAMPLES), contexts(list(reversed(SAMPLES)))):
        fast = _render_fast(source, ctx, lang, TEXT_LIMITS)
        try:
            expected = sandboxed(source, ctx, lang)
        except Exception:
            assert fast is None, (source, ctx)
            continue
        if fast is not None:
            assert fast == expected, (source, ctx)
        assert render_text(source, ctx, lang) == expected


CASES = [
    "plain {{ x }}", "{{ x | pct }}", "{{ x | pct(2) }}", "{{ x | pct(0) }}", "{{ x | num }}", "{{ x | secs }}",
    "{{ x | ratio(1) }}", "{{ x | pp }}", "{{ ((x or 0) * 100) | round(2) }}", "{{ x * 2 }}{{ x + 1 }}{{ x - y }}",
    "{{ x / y }}", "{% if x is none %}none{% elif x == 'moderate' %}m{% else %}{{ x }}{% endif %}",
    "{% if x is not none and y %}a{% endif %}b", "{% if not x %}n{% endif %}", "{{ x or y }}|{{ x and y }}",
    "{{ x != y }}", "{{ 'lit' }}{{ 3 }}{{ none }}{{ true }}", "line\n  {%- if x %} t {% endif -%}\n end\n",
    "{% raw %}{{ x }}{% endraw %}{# note #}", "{{ x | round }}", "{{ missing }}", "{{ x | pct(30) }}",
    "{{ x ~ y }}", "{{ x.real }}", "{{ x | upper }}", "{% for i in range(3) %}{{ i }}{% endfor %}",
    "{{ lang }}", "{% if x %}", "{{ x | pct(digits=2) }}", "{{ x | round(2, 'floor') }}", "{{ x % 2 }}",
]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CASES), st.sampled_from(LANGS),
       st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                 st.sampled_from(["moderate", "", "x"]), st.integers(min_value=2**60, max_value=2**70)),
       st.one_of(st.none(), st.integers(-3, 3), st.floats(-2, 2), st.sampled_from(["a", ""])))
def test_any_value_renders_the_same_or_falls_back(source, lang, x, y):
    ctx = {"x": x, "y": y}
    fast = _render_fast(source, ctx, lang, TEXT_LIMITS)
    try:
        expected = sandboxed(source, ctx, lang)
    except Exception:
        assert fast is None
        with pytest.raises(RenderError):
            render_text(source, ctx, lang)
        return
    if fast is not None:
        assert fast == expected
    assert render_text(source, ctx, lang) == expected


def test_what_the_fast_path_does_not_take():
    for source in ("{{ x ~ y }}", "{{ x.real }}", "{{ x | upper }}", "{% for i in range(3) %}{{ i }}{% endfor %}",
                   "{{ x | pct(30) }}", "{{ x | pct(digits=2) }}", "{{ x % 2 }}", "{% if x %}",
                   "{% set y = 1 %}{{ y }}", "{{ range(10) }}", "{{ x(1) }}", "{{ [x] }}"):
        assert _fast_text(source, "en") is None, source


def test_limits_still_hold_on_the_fast_path():
    long = "x" * 200_000 + "{{ x }}"
    assert _fast_text(long, "en") is not None
    with pytest.raises(RenderError, match="output longer than"):
        render_text(long, {"x": 1}, "en")
    tiny = Limits(ops=2)
    with pytest.raises(RenderError, match="more than 2 operations"):
        render_text("{% if x %}{{ x | pct }}{{ y | pct }}{% endif %}", {"x": 1, "y": 2}, "en", tiny)
    with pytest.raises(RenderError, match="integer larger than"):
        render_text("{{ x * x }}", {"x": 10 ** 3000}, "en")
    with pytest.raises(RenderError, match="divides by zero"):
        render_text("{{ x / y }}", {"x": 1, "y": 0}, "en")
    with pytest.raises(RenderError, match="undefined"):
        render_text("{{ nope | pct }} {{ nope }}", {}, "en")


def test_an_error_names_the_same_line_as_before():
    source = "line one {{ x | pct }}\nline two {{ y / z }}\n"
    with pytest.raises(RenderError) as caught:
        render_text(source, {"x": 0.1, "y": 1, "z": 0}, "en")
    assert caught.value.line == 2


def test_a_huge_text_is_not_compiled_into_closures():
    source = " ".join("{{ x | pct }}" for _ in range(templating.FAST_MAX_NODES))
    assert _fast_text(source, "en") is None
    assert render_text(source, {"x": 0.5}, "en") == " ".join(["50.0%"] * templating.FAST_MAX_NODES)


def test_nan_and_infinities_read_as_missing_both_ways():
    for value in (math.nan, math.inf, -math.inf):
        assert render_text("{{ x | pct }}", {"x": value}, "zh") == sandboxed("{{ x | pct }}", {"x": value}, "zh")
