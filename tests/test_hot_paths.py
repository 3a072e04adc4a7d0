"""The per-video hot paths give what the plain versions they replace gave.

- VideoMetrics.to_fact / derived against the registry walk they used to do;
- the registry's views cache their selection, and still see a changed registry at once;
- import builds models without validating them again (VideoMetrics.from_parsed): the parsers'
  results are exactly what validation would store, and a profile whose values were never
  checked still has every row validated;
- explain() with misses against the path-by-path blockers it used to compute;
- CtaWriter writes and lints each distinct block once;
- a streaming review's first pass reads each row's fields (iter_videos(fields=True)) and makes
  its fact with metrics.fact_of: the same values, problems and facts as the models would give;
  the fast paths' digit check is the regular expression it replaces.
"""

import datetime as dt
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.core.i18n import T
from advisor.engine.evaluate import StageRunner
from advisor.engine.explain import _kleene_all, _kleene_any, explain, final_fact, outcomes
from advisor.input import importers
from advisor.input.importers import load_videos
from advisor.input.profiles import Profile, value_parser
from advisor.input.ruleset import load_ruleset
from advisor.jobs import review_cta
from advisor.jobs.review_cta import CtaPlan, CtaWriter
from advisor.model import metrics
from advisor.model.metrics import DERIVED, FIELDS, METRICS, VideoMetrics, metric_view
from advisor.model.rules_model import AllCondition, AnyCondition, NotCondition
from conftest import ROOT

RULESET = load_ruleset()
EXPORT = ROOT / "examples" / "wechat_channels_export.csv"


# --- facts -------------------------------------------------------------------------------------


def plain_derived(video: VideoMetrics) -> dict:
    """VideoMetrics.derived as it was: a walk over the registry's DERIVED view."""
    out = {}
    for name, spec in DERIVED.items():
        num = metrics.sum_present(video, spec.numerator)
        den = getattr(video, spec.denominator)
        if num is None or den is None or den == 0:
            continue
        out[name] = num / den
    return out


def plain_fact(video: VideoMetrics) -> dict:
    """VideoMetrics.to_fact as it was."""
    fact = {}
    for name, value in video:
        if value is None:
            continue
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, float) and not math.isfinite(value):
            continue
        fact[name] = value
    fact.update(plain_derived(video))
    return fact


counts = st.one_of(st.none(), st.integers(min_value=0, max_value=10**12))
rates = st.one_of(st.none(), st.floats(min_value=0, max_value=1))
seconds = st.one_of(st.none(), st.floats(min_value=0, max_value=1e6), st.just(math.inf), st.just(math.nan))
# model_construct: an infinite or NaN duration does not validate, but to_fact must still drop it.
videos = st.builds(
    VideoMetrics.model_construct, id=st.text(min_size=1, max_size=5), title=st.one_of(st.none(), st.text(max_size=5)),
    published_at=st.one_of(st.none(), st.dates()), form=st.sampled_from([None, "short_video", "live"]),
    duration_s=seconds, views=counts, likes=counts, hearts=counts, comments=counts, shares=counts, follows=counts,
    forwards=counts, completion_rate=rates, avg_watch_s=seconds, retention_rate=rates)


@settings(max_examples=300, deadline=None)
@given(videos)
def test_to_fact_and_derived_are_what_they_were(video):
    assert video.derived() == plain_derived(video)
    fact, plain = video.to_fact(), plain_fact(video)
    assert fact == plain and list(fact) == list(plain)  # the same keys in the same order
    assert [type(v) for v in fact.values()] == [type(v) for v in plain.values()]


SAVE_RATE = metrics.MetricSpec("save_rate", "rate", T(zh="测试收藏率", en="test save rate"),
                               T(zh="点赞数 ÷ 播放量", en="likes ÷ views"), metrics.Formula(("likes",), "views"),
                               views={"card": 99})


def test_views_cache_their_selection_until_the_registry_changes(monkeypatch):
    card = metric_view("card")
    before = list(card)
    assert list(card) == before and len(FIELDS) == len(list(FIELDS))
    video = VideoMetrics(id="v", views=1000, likes=30)
    monkeypatch.setitem(METRICS, "save_rate", SAVE_RATE)
    assert list(card) == before + ["save_rate"] and "save_rate" in DERIVED and "save_rate" in FIELDS
    assert video.to_fact()["save_rate"] == 0.03
    monkeypatch.undo()
    assert list(card) == before and "save_rate" not in DERIVED
    assert "save_rate" not in video.to_fact()
    for change in (lambda r: r.update(save_rate=SAVE_RATE), lambda r: r.setdefault("save_rate", SAVE_RATE),
                   lambda r: r.__ior__({"save_rate": SAVE_RATE})):
        change(METRICS)
        try:
            assert list(card)[-1] == "save_rate" and video.to_fact()["save_rate"] == 0.03
        finally:
            METRICS.pop("save_rate")
        assert "save_rate" not in card and "save_rate" not in video.to_fact()


def test_a_plain_dict_patched_in_for_the_registry_is_read_every_time(monkeypatch):
    plain = dict(METRICS)
    monkeypatch.setattr(metrics, "METRICS", plain)
    card = metric_view("card")
    before = list(card)
    plain["save_rate"] = SAVE_RATE
    assert list(card) == before + ["save_rate"]
    assert VideoMetrics(id="v", views=10, likes=1).to_fact()["save_rate"] == 0.1


# --- import without validating twice ----------------------------------------------------------


def test_the_trusted_build_is_in_use():
    assert metrics._TRUSTED_BUILD  # this pydantic builds models the way from_parsed does


CELLS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**20, max_value=10**20), st.floats(allow_nan=True),
    st.text(max_size=12), st.sampled_from(["4.41%", "12,345", "1.2万", "3亿", "1200.0", "14.73秒", "1分05秒", "01:05",
                                           "1:02:03", "2026/06/25 18:30", "2026年6月25日", "20260625", "短视频", "live",
                                           "——", "N/A", " 7 ", "0.5", "135", "-1", "1e400", "1.43538E+19"]),
    st.dates(), st.datetimes())


@settings(max_examples=400, deadline=None)
@given(st.sampled_from([name for name in VideoMetrics.model_fields]), CELLS)
def test_every_parsed_value_is_what_validation_would_store(name, cell):
    """The contract from_parsed rests on: a value a parser gives is of its field's type and in
    its bounds, so model_validate stores it unchanged."""
    parse = value_parser(name, {"短视频": "short_video"} if name == "form" else None)
    try:
        value = parse(cell)
    except ValueError:
        return
    if value is None:
        return
    values = {"id": "v", name: value}
    validated = VideoMetrics.model_validate(values)
    stored = getattr(validated, name)
    assert type(stored) is type(value) and (stored == value or (stored != stored and value != value))
    built = VideoMetrics.from_parsed(dict(values))
    assert built == validated and built.model_fields_set == validated.model_fields_set
    assert built.to_fact() == validated.to_fact()


def _load_validating(monkeypatch, paths, **kwargs):
    monkeypatch.setattr(importers, "_profile_values_valid", lambda hmap: False)
    try:
        return load_videos(paths, **kwargs)
    finally:
        monkeypatch.undo()


@pytest.mark.parametrize("path", [EXPORT, *sorted((ROOT / "examples").rglob("*.csv"))[:6],
                                  *sorted((ROOT / "tests" / "fixtures").rglob("*.csv"))[:6]])
def test_import_gives_the_same_videos_and_problems_as_validating_each_row(monkeypatch, path):
    fast = load_videos([str(path)])
    checked = _load_validating(monkeypatch, [str(path)])
    assert fast.videos == checked.videos
    assert [v.model_fields_set for v in fast.videos] == [v.model_fields_set for v in checked.videos]
    assert [p.to_json("en") for p in fast.problems] == [p.to_json("en") for p in checked.problems]


def test_a_profile_whose_values_were_never_checked_has_every_row_validated(tmp_path):
    csv = tmp_path / "export.csv"
    csv.write_text("id,views\na,10\nb,20\n", encoding="utf-8")
    # Built without its validators (as code could): a default no parser checked.
    bad = Profile.model_construct(id="odd", name=T(zh="怪", en="odd"), detect=[], columns={}, ignore={}, values={},
                                  defaults={"views": -5, "form": "reel"}, id_from=[], notes=None, mechanics=None)
    result = load_videos([str(csv)], profile=bad)
    assert result.videos == []
    assert [(p.row, p.field) for p in result.problems] == [(1, "form"), (2, "form")]
    good = Profile.model_construct(id="ok", name=T(zh="好", en="ok"), detect=[], columns={}, ignore={}, values={},
                                   defaults={"form": "live"}, id_from=[], notes=None, mechanics=None)
    assert [v.form for v in load_videos([str(csv)], profile=good).videos] == ["live", "live"]


# --- explanations of rules that did not fire ---------------------------------------------------


def _path_blockers(cond, by_path: dict, path: tuple, negate: bool = False):
    """The blockers as explain() computed them before: walking the rule with key paths."""
    if isinstance(cond, (AllCondition, AnyCondition)):
        key = "all" if isinstance(cond, AllCondition) else "any"
        parts = [_path_blockers(child, by_path, path + (key, i), negate) for i, child in enumerate(getattr(cond, key))]
        values = [p[0] for p in parts]
        value = _kleene_all(values) if key == "all" else _kleene_any(values)
        if value is (not negate):
            return value, [], []
        blocked, negated = [], []
        for child_value, b, n in parts:
            if child_value is not (not negate):
                blocked += b
                negated += n
        return value, blocked, negated
    if isinstance(cond, NotCondition):
        value, blocked, negated = _path_blockers(cond.not_, by_path, path + ("not",), not negate)
        return (None if value is None else not value), blocked, negated
    outcome = by_path[path]
    value = outcome.result
    if value is None:
        return value, [outcome], []
    if value is (not negate):
        return value, [], []
    return (value, [], [outcome]) if negate else (value, [outcome], [])


fact_videos = st.builds(
    VideoMetrics, id=st.just("v"), form=st.sampled_from([None, "short_video", "long_video"]),
    views=st.one_of(st.none(), st.integers(0, 200_000)), likes=st.one_of(st.none(), st.integers(0, 5000)),
    hearts=st.one_of(st.none(), st.integers(0, 3000)), comments=st.one_of(st.none(), st.integers(0, 900)),
    shares=st.one_of(st.none(), st.integers(0, 900)), follows=st.one_of(st.none(), st.integers(0, 900)),
    forwards=st.one_of(st.none(), st.integers(0, 900)), completion_rate=st.one_of(st.none(), st.floats(0, 1)),
    retention_rate=st.one_of(st.none(), st.floats(0, 1)), duration_s=st.one_of(st.none(), st.floats(1, 600)))


@settings(max_examples=150, deadline=None)
@given(fact_videos)
def test_misses_name_the_same_blockers_as_before(video):
    with StageRunner(RULESET, "review", engine="python") as runner:
        fact = video.to_fact()
        compiled, fired = runner.fired(fact)
        findings, misses = explain(compiled, fired, fact, origins=runner.origins, with_misses=True)
        full = final_fact(compiled, fired, fact)
        derivers = {}
        for rule_id in fired:
            if compiled.info[rule_id].rule.then.signal:
                derivers.setdefault(compiled.info[rule_id].rule.then.signal, []).append(rule_id)
        expected = []
        for rule_id, info in compiled.info.items():
            if rule_id in fired:
                continue
            found = outcomes(info, full)
            for o in found:
                if o.source.signal:
                    o.derived_by = tuple(derivers.get(o.source.signal, ()))
            _, blocked, negated = _path_blockers(info.rule.when, {o.source.path: o for o in found}, ("when",))
            expected.append((rule_id, blocked, negated))
        assert [(m.rule.id, m.blockers, m.negated) for m in misses] == expected
        for lang in ("zh", "en"):
            assert [m.to_json(lang) for m in misses]  # said without error
        # Without misses, the same findings (and none made for a video where no titled rule fired).
        again, none = explain(compiled, fired, fact, origins=runner.origins)
        assert none == [] and [f.to_json(fact, FIELDS, "en") for f in again] == \
            [f.to_json(fact, FIELDS, "en") for f in findings]


# --- CTA blocks ---------------------------------------------------------------------------------


def test_each_distinct_cta_block_is_written_and_linted_once(monkeypatch):
    written, linted = [], []
    generate, lint = review_cta.generate_cta, CtaWriter._lint
    monkeypatch.setattr(review_cta, "generate_cta", lambda **kw: written.append(kw) or generate(**kw))
    monkeypatch.setattr(CtaWriter, "_lint", lambda self, text, lang: linted.append(lang) or lint(self, text, lang))
    plans = [CtaPlan("like", "r1"), CtaPlan("heart", "r2", "return_visit"), CtaPlan(None), None]
    with CtaWriter(RULESET) as writer:
        blocks = [writer.block(plans[i % 4], "short_video", "en", "wechat_channels" if i // 4 % 2 else "unknown")
                  for i in range(400)]
    # 4 plans x 2 platforms, where no plan and CtaPlan(None) are one diagnosis: 6 distinct blocks.
    assert len(written) == len(linted) == len({id(b) for b in blocks}) == 6
    assert blocks[0] is blocks[8] and blocks[2] is blocks[3] and blocks[0] is not blocks[4]


# --- a streaming review's first pass: fields, not models ------------------------------------------


@settings(max_examples=300, deadline=None)
@given(videos)
def test_fact_of_the_fields_is_the_models_fact(video):
    # What pass 1 does with a row's values (no None among them) gives the model's own fact.
    values = {name: value for name, value in video if value is not None}
    fact, plain = metrics.fact_of(values), video.to_fact()
    assert fact == plain
    assert {k: type(v) for k, v in fact.items()} == {k: type(v) for k, v in plain.items()}


@pytest.mark.parametrize("path", [EXPORT, *sorted((ROOT / "examples").rglob("*.csv"))[:6],
                                  *sorted((ROOT / "tests" / "fixtures").rglob("*.csv"))[:6]])
@pytest.mark.parametrize("validating", [False, True])
def test_reading_fields_gives_the_videos_and_problems_of_reading_models(monkeypatch, path, validating):
    if validating:  # the fields of models built by validating each row, as for an unchecked profile
        monkeypatch.setattr(importers, "_profile_values_valid", lambda hmap: False)
    models, fields = importers.ImportResult(), importers.ImportResult()
    videos = list(importers.iter_videos([str(path)], models, stream=True))
    rows = list(importers.iter_videos([str(path)], fields, stream=True, fields=True))
    assert rows == [{name: value for name, value in v if value is not None} for v in videos]
    assert [{k: type(v) for k, v in row.items()} for row in rows] == \
        [{k: type(v) for k, v in video if v is not None} for video in videos]
    assert [p.to_json("en") for p in fields.problems] == [p.to_json("en") for p in models.problems]
    assert [(f.path, f.rows, f.videos) for f in fields.files] == [(f.path, f.rows, f.videos) for f in models.files]


def test_explaining_a_video_leaves_no_reference_cycle():
    """explain's recursive helpers would each hold themselves (and the Outcomes they reached)
    in a cycle only the cyclic collector frees: a long review would walk them every chunk."""
    import gc

    ruleset = load_ruleset()
    videos = load_videos([str(ROOT / "examples" / "steady_account_export.csv")]).videos
    facts = [video.to_fact() for video in videos]
    with StageRunner(ruleset, "review") as runner:
        runner.prepare(facts)
        for with_misses in (False, True):
            runner.run(facts[0], with_misses=with_misses)  # (what a first run builds and keeps)
            gc.collect()
            gc.disable()
            try:
                explained = [runner.run(fact, with_misses=with_misses) for fact in facts]
                assert any(findings for _, findings, _ in explained)
                del explained
                assert gc.collect() == 0
            finally:
                gc.enable()
