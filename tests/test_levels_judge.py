"""advisor.model.levels.judge, vectorised: the same verdicts and Judgements as judging one video
and threshold at a time (the scalar reference below is judge as it was written before), and a
batch judged chunk by chunk against the cutoff of its first pass (batch_pvalues, bh_cutoff)
gets exactly the verdicts of the whole batch judged at once."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.core.i18n import T
from advisor.engine.evaluate import StageRunner
from advisor.jobs.summary import SUMMARY_LEVELS
from advisor.model.levels import (COUNT_MODELS, JUDGEMENTS, Baseline, Judgement, batch_pvalues, fact_counts,
                                  judge, metric_groups)
from advisor.model.metrics import VideoMetrics
from advisor.stats.simulate import with_outliers
from advisor.stats.typical import assess, benjamini_hochberg, bh_cutoff

FORMS = ("short_video", "short_video", "long_video", "live", None)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


def reference_judge(facts, thresholds_of):
    """judge one (video, threshold) at a time with the scalar assess, BH over the batch."""
    groups = {}
    for index, fact in enumerate(facts):
        fact.setdefault(JUDGEMENTS, {})
        for th in thresholds_of(fact):
            counts = COUNT_MODELS[th.metric].counts(fact)
            if counts is None:
                continue
            x, n = counts
            if not (math.isfinite(x) and math.isfinite(n)) or n <= 0 or x < 0 or x > n * 1.001 + 1:
                continue
            gap = assess(x, n, th.typical, margin=th.settings.margin, certainty=th.settings.certainty)
            sure = gap.p_high if th.side == "high" else gap.p_low
            groups.setdefault((index, th.metric), []).append((fact, th, gap, sure))
    if not groups:
        return
    members = list(groups.values())
    fdr = members[0][0][1].settings.fdr
    discoveries = benjamini_hochberg([1 - max(c[3] for c in group) for group in members], fdr)
    for group, discovered in zip(members, discoveries):
        for fact, th, gap, sure in group:
            at = bool(discovered and sure >= th.settings.certainty)
            fact[th.feature] = at
            fact[JUDGEMENTS][th.feature] = Judgement(th, gap, at)


def snapshot(facts):
    """Everything judge writes, in order: each fact's keys and values, and its Judgements."""
    out = []
    for fact in facts:
        plain = [(k, v) for k, v in fact.items() if k != JUDGEMENTS]
        judged = [(k, j.threshold, j.gap, j.at_level, type(j.at_level)) for k, j in fact.get(JUDGEMENTS, {}).items()]
        out.append((plain, judged))
    return out


def simulated(n: int, seed: int) -> list[dict]:
    videos, _ = with_outliers(n, seed=seed, n_outliers=max(1, n // 100), id_prefix=f"s{seed}-")
    fields = set(VideoMetrics.model_fields)
    facts = [VideoMetrics(**{k: v for k, v in video.items() if k in fields}).to_fact() for video in videos]
    rng = random.Random(seed)
    for fact in facts:
        fact["form"] = rng.choice(FORMS)
    return facts


def odd(fact: dict, rng: random.Random) -> dict:
    """A fact with the counts judge must read, clip or drop: missing views, more likes than
    views, a few hearts too many (within the clip tolerance), a rate given without its count,
    bools, NaN, zeros."""
    fact = dict(fact)
    views = fact.get("views") or 1000
    choice = rng.randrange(10)
    if choice == 0:
        fact.pop("views", None)
    elif choice == 1:
        fact["likes"] = views * 5 + 10
    elif choice == 2:
        fact["hearts"] = views + 1  # <= views * 1.001 + 1: read, clipped to the views
    elif choice == 3:
        fact.pop("hearts", None)
        fact["heart_rate"] = rng.choice([0.0, 0.004, 1.0, 1.5, float("nan")])
    elif choice == 4:
        fact["views"] = rng.choice([0, -5, True, float("nan"), float("inf"), 0.5])
    elif choice == 5:
        fact["comments"], fact["likes"] = 0, 0
    elif choice == 6:
        fact["completion_rate"] = rng.choice([0.0, 1.0, 1.0004, -0.1])
    elif choice == 7:
        fact["likes"] = fact["hearts"] = 0
    return fact


@pytest.fixture(scope="module")
def account(ruleset):
    """600 simulated videos in four forms plus 60 odd ones, and the review's typical thresholds."""
    rng = random.Random(7)
    facts = simulated(600, seed=3)
    facts += [odd(f, rng) for f in simulated(60, seed=4)]
    rng.shuffle(facts)
    runner = StageRunner(ruleset, "review", baseline=Baseline(facts, T(zh="本批视频", en="this batch")),
                         extra_levels=SUMMARY_LEVELS)
    yield facts, (lambda fact: runner.typicals(fact.get("form")))
    runner.close()


def copies(facts):
    return [dict(f) for f in facts]


def test_judge_is_the_scalar_judgement(account):
    facts, thresholds_of = account
    ours, theirs = copies(facts), copies(facts)
    judge(ours, thresholds_of)
    reference_judge(theirs, thresholds_of)
    assert snapshot(ours) == snapshot(theirs)
    judged = [j for f in ours for j in f[JUDGEMENTS].values()]
    assert judged and any(j.at_level for j in judged) and not all(j.at_level for j in judged)
    # A level's 'high' and 'low' of one rate rest on one gap: the same question, asked once.
    fact = next(f for f in ours if "lvl:like_rate:high" in f)
    assert fact[JUDGEMENTS]["lvl:like_rate:high"].gap == fact[JUDGEMENTS]["lvl:like_rate:low"].gap


@pytest.mark.parametrize("size", [1, 3, 7, 8, 50, 10_000])
def test_each_small_batch_is_the_scalar_judgement(account, size):
    # Batches below judge's array threshold take assess one by one; above, assess_many.
    facts, thresholds_of = account
    ours, theirs = copies(facts[:120]), copies(facts[:120])
    for start in range(0, len(ours), size):
        judge(ours[start:start + size], thresholds_of)
        reference_judge(theirs[start:start + size], thresholds_of)
    assert snapshot(ours) == snapshot(theirs)


def first_pass(facts, thresholds_of):
    """What a streaming review's first pass does: each video's counts per (form, metric), then
    the cutoff over all of them."""
    gathered = {}
    for fact in facts:
        for metric, ths in metric_groups(thresholds_of(fact)):
            key = (fact.get("form"), metric)
            xs, ns, _ = gathered.setdefault(key, ([], [], ths))
            x, n = fact_counts(metric, fact)
            xs.append(x)
            ns.append(n)
    pvalues = [batch_pvalues(ths, np.array(xs), np.array(ns)) for xs, ns, ths in gathered.values()]
    fdr = next(iter(gathered.values()))[2][0].settings.fdr
    return bh_cutoff(np.concatenate(pvalues), fdr), pvalues


@pytest.mark.parametrize("chunk", [1, 7, 100, 333])
def test_chunks_judged_against_the_first_pass_cutoff_are_the_whole_batch(account, chunk):
    facts, thresholds_of = account
    whole, chunked = copies(facts), copies(facts)
    judge(whole, thresholds_of)
    cutoff, _ = first_pass(chunked, thresholds_of)
    assert cutoff is not None
    for start in range(0, len(chunked), chunk):
        judge(chunked[start:start + chunk], thresholds_of, cutoff=cutoff)
    assert snapshot(chunked) == snapshot(whole)


def test_batch_pvalues_are_the_hypotheses_judge_tests(account):
    facts, thresholds_of = account
    judged = copies(facts)
    judge(judged, thresholds_of)
    _, pvalues = first_pass(copies(facts), thresholds_of)
    # One p-value per (video, metric) judged: as many as facts with a verdict for that metric.
    per_fact_metric = sum(len({j.threshold.metric for j in f[JUDGEMENTS].values()}) for f in judged)
    assert sum(len(p) for p in pvalues) == per_fact_metric
    # And each is 1 - the largest certainty among the metric's levels.
    expected = sorted(1 - max(j.certainty for j in f[JUDGEMENTS].values() if j.threshold.metric == m)
                      for f in judged for m in {j.threshold.metric for j in f[JUDGEMENTS].values()})
    assert sorted(np.concatenate(pvalues).tolist()) == expected


def test_cutoff_none_is_no_discovery_and_a_large_one_leaves_certainty(account):
    facts, thresholds_of = account
    nothing, everything = copies(facts[:200]), copies(facts[:200])
    judge(nothing, thresholds_of, cutoff=None)
    judge(everything, thresholds_of, cutoff=1.0)
    assert all(not j.at_level for f in nothing for j in f[JUDGEMENTS].values())
    for f in everything:
        for feature, j in f[JUDGEMENTS].items():
            assert f[feature] is j.at_level is (j.certainty >= j.threshold.settings.certainty)
    assert any(j.at_level for f in everything for j in f[JUDGEMENTS].values())


def test_batch_pvalues_drops_what_judge_cannot_read(account):
    facts, thresholds_of = account
    ths = dict(metric_groups(thresholds_of({"form": "short_video"})))["like_rate"]
    x = np.array([10.0, np.nan, 5000.0, 100.0, 3.0, 10.0, 1001.0])
    n = np.array([1000.0, 1000.0, 1000.0, 0.0, np.inf, -1.0, 1000.0])
    p = batch_pvalues(ths, x, n)
    assert len(p) == 2  # 10/1000 and 1001/1000 (within the clip tolerance)
    with pytest.raises(ValueError):
        batch_pvalues([], x, n)
    with pytest.raises(ValueError):
        batch_pvalues(thresholds_of({"form": "short_video"}), x, n)  # several metrics


def test_fact_counts(account):
    facts, _ = account
    for fact in facts[:200]:
        for metric, model in COUNT_MODELS.items():
            counts = model.counts(fact)
            got = fact_counts(metric, fact)
            if counts is None:
                assert all(math.isnan(v) for v in got)
            else:
                assert got == counts


# --- random batches against the reference ------------------------------------------------------

values = st.one_of(st.integers(0, 200_000), st.floats(0, 1), st.sampled_from([None, True, -1, float("nan"), 0]))
facts_st = st.lists(
    st.fixed_dictionaries({"form": st.sampled_from(FORMS)},
                          optional={k: values for k in ("views", "likes", "hearts", "comments", "shares", "follows",
                                                        "completion_rate", "heart_rate", "like_rate")}),
    max_size=30)


@SETTINGS
@given(batch=facts_st, chunk=st.sampled_from([1, 4, 9, 30]))
def test_random_batches_judge_as_the_reference(account, batch, chunk):
    _, thresholds_of = account
    batch = [{k: v for k, v in f.items() if v is not None} for f in batch]
    ours, theirs, chunked = copies(batch), copies(batch), copies(batch)
    judge(ours, thresholds_of)
    reference_judge(theirs, thresholds_of)
    assert snapshot(ours) == snapshot(theirs)
    if any(f[JUDGEMENTS] for f in ours):
        cutoff, _ = first_pass(chunked, thresholds_of)
        for start in range(0, len(chunked), chunk):
            judge(chunked[start:start + chunk], thresholds_of, cutoff=cutoff)
        assert snapshot(chunked) == snapshot(ours)


# --- the count readers, against how they were written ------------------------------------------

def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def reference_counts(metric: str, fact: dict):
    from advisor.model.metrics import DERIVED

    spec = DERIVED.get(metric)
    if spec is not None and spec.denominator == "views":
        n = fact.get(spec.denominator)
        if not _number(n) or n <= 0:
            return None
        parts = [fact.get(name) for name in spec.numerator]
        if all(_number(v) and v >= 0 for v in parts):
            return float(sum(parts)), float(n)
        rate = fact.get(metric)
        if _number(rate) and 0 <= rate <= 1:
            return float(rate) * float(n), float(n)
        return None
    if spec is not None:
        x, y = fact.get(spec.numerator[0]), fact.get(spec.denominator)
        if not (_number(x) and _number(y)) or x < 0 or y < 0 or x + y <= 0:
            return None
        return float(x), float(x + y)
    rate, n = fact.get(metric), fact.get("views")
    if not (_number(rate) and _number(n)) or n <= 0 or not 0 <= rate <= 1:
        return None
    return float(rate) * float(n), float(n)


odd_values = st.one_of(st.integers(-5, 10**7), st.floats(allow_nan=True, allow_infinity=True),
                       st.sampled_from([None, True, False, "3", -0.0, 0, 1, 0.0, 1.0, 10**20]))


@settings(max_examples=300, deadline=None)
@given(fact=st.dictionaries(st.sampled_from(["views", "likes", "hearts", "comments", "shares", "follows",
                                             "forwards", "completion_rate", "retention_rate", "rewatch_rate",
                                             "like_rate", "heart_rate", "followup_rate", "hearts_per_like"]),
                            odd_values))
def test_count_readers_read_as_before(fact):
    for metric, model in COUNT_MODELS.items():
        # repr: -0.0 and 0.0 are equal but print differently in the review's JSON.
        assert repr(model.counts(fact)) == repr(reference_counts(metric, fact)), metric


def test_judges_inline_readability_check_is_readable():
    """judge reads counts with a chained comparison (0 <= x <= n * 1.001 + 1 and 0 < n < inf),
    the same answer as _readable for every kind of float, NaN and infinities included."""
    import itertools
    import math

    from advisor.model.levels import _readable

    values = [0.0, -0.0, 1.0, -1.0, 5.0, 1000.0, 1001.0, 1001.5, 1002.0, 1e308, math.inf, -math.inf, math.nan]
    for x, n in itertools.product(values, repeat=2):
        assert _readable(x, n) == (0 <= x <= n * 1.001 + 1 and 0 < n < math.inf), (x, n)
