"""advisor.stats.typical over arrays: assess_many / tails_many give exactly assess's floats, and
bh_cutoff is the Benjamini-Hochberg decision as one number (against the scalar definition,
benjamini_hochberg and scipy.stats.false_discovery_control)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import scipy.stats
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.stats.typical import (Gap, assess, assess_many, benjamini_hochberg, bh_cutoff, logit, tails_many,
                                   typical_from)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


def _counts(draw_n: float, share: float, kind: str) -> tuple[float, float]:
    n = draw_n
    if kind == "zero":
        return 0.0, n
    if kind == "all":
        return n, n
    if kind == "over":  # x > n within assess's tolerance (a rate rebuilt from a rounded one)
        return min(n * 1.001 + 1, n * (1 + share * 0.001) + share), n
    return math.floor(n * share) if n >= 1 else n * share, n


counts = st.tuples(
    st.one_of(st.floats(1e-3, 1.0), st.floats(1.0, 1e3), st.integers(1, 10**6).map(float),
              st.floats(1e6, 1e12), st.sampled_from([1.0, 2.0, 3.0, 1e9, 2.5e11])),
    st.floats(0.0, 1.0),
    st.sampled_from(["zero", "all", "over", "share", "share", "share"]),
).map(lambda t: _counts(*t))

typicals = st.builds(lambda center, tau: typical_from(logit(center), tau),
                     st.floats(1e-4, 0.95), st.one_of(st.just(0.0), st.floats(1e-6, 3.0)))


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def _same_json(a, b) -> bool:
    """==, with NaN equal to NaN at any depth."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_json(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same_json(u, v) for u, v in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return _same(a, b)
    return a == b


def _same_gap(a: Gap, b: Gap) -> bool:
    """Field by field, the same floats; NaN (an effect at counts of 10^11) equals NaN here."""
    for f in dataclasses.fields(Gap):
        x, y = getattr(a, f.name), getattr(b, f.name)
        pairs = zip(x, y) if isinstance(x, tuple) else [(x, y)]
        if not all(u == v or (isinstance(u, float) and isinstance(v, float) and _same(u, v)) for u, v in pairs):
            return False
    return True


@SETTINGS
@given(obs=st.lists(counts, min_size=1, max_size=40), typical=typicals,
       margin=st.sampled_from([0.0, 0.02, 0.25, 1.0]), certainty=st.sampled_from([0.6, 0.9, 0.99]),
       min_relative=st.sampled_from([0.0, 0.10, 0.3]))
def test_assess_many_is_assess_element_by_element(obs, typical, margin, certainty, min_relative):
    x = np.array([o[0] for o in obs])
    n = np.array([o[1] for o in obs])
    kwargs = dict(margin=margin, certainty=certainty, min_relative=min_relative)
    many = assess_many(x, n, typical, **kwargs)
    gaps = many.gaps()
    p_high, p_low = tails_many(x, n, typical, margin=margin, min_relative=min_relative)
    assert len(many) == len(gaps) == len(obs)
    for i, (xi, ni) in enumerate(obs):
        one = assess(xi, ni, typical, **kwargs)
        # The same floats, not approximately: equal Gaps compare every field with ==.
        assert _same_gap(gaps[i], one) and _same_gap(many.gap(i), one), (xi, ni)
        assert type(gaps[i]) is Gap and _same_json(gaps[i].to_json(), one.to_json())
        assert _same(many.median[i], np.float64(_median_of(one, typical)))
        assert _same(p_high[i], one.p_high) and _same(p_low[i], one.p_low)
        assert many.direction[i] == one.direction and many.certainty[i] == one.certainty


def _median_of(gap: Gap, typical) -> float:
    # assess keeps logit(median) - mu; the median itself is betaincinv(a, b, 0.5).
    from scipy.special import betaincinv

    from advisor.stats.typical import beta_prior

    a0, b0 = beta_prior(round(typical.mu, 12), round(typical.tau, 12))
    return float(betaincinv(a0 + gap.x, b0 + gap.n - gap.x, 0.5))


def test_assess_many_edges_by_hand():
    typical = typical_from(logit(0.009), 0.35)
    x = [0.0, 500.0, 500.4, 72.0, 15.0, 3.0, 0.5]
    n = [500.0, 500.0, 500.0, 8000.0, 2e9, 3.0, 0.75]
    many = assess_many(x, n, typical)
    for i in range(len(x)):
        assert many.gap(i) == assess(x[i], n[i], typical)
    assert many.x[2] == 500.0  # clipped to n, as assess clips it
    assert assess_many([], [], typical).gaps() == []


@pytest.mark.parametrize("x, n", [(-1.0, 10.0), (5.0, 0.0), (math.nan, 10.0), (3.0, math.inf), (20.0, 10.0)])
def test_assess_many_refuses_what_assess_refuses(x, n):
    typical = typical_from(logit(0.01), 0.3)
    with pytest.raises(ValueError):
        assess(x, n, typical)
    with pytest.raises(ValueError):
        assess_many([1.0, x], [10.0, n], typical)


# --- bh_cutoff ------------------------------------------------------------------------------

def reference_bh(pvalues, q):
    """The scalar definition (benjamini_hochberg as it was written before bh_cutoff)."""
    indexed = [(p, i) for i, p in enumerate(pvalues) if p == p]
    m = len(indexed)
    out = [False] * len(pvalues)
    if m == 0:
        return out
    indexed.sort()
    cutoff = 0
    for rank, (p, _) in enumerate(indexed, start=1):
        if p <= rank * q / m:
            cutoff = rank
    for _, i in indexed[:cutoff]:
        out[i] = True
    return out


# p-values with ties (drawn from a few values), exact zeros and ones, and NaN.
pvalue_lists = st.one_of(
    st.lists(st.one_of(st.floats(0, 1), st.just(float("nan"))), max_size=60),
    st.lists(st.floats(0, 1), min_size=1, max_size=6).flatmap(
        lambda pool: st.lists(st.one_of(st.sampled_from(pool), st.sampled_from([0.0, 1.0, float("nan")])),
                              max_size=80)),
    st.lists(st.sampled_from([0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1]), max_size=80),
)


@SETTINGS
@given(p=pvalue_lists, q=st.sampled_from([0.01, 0.05, 0.1, 0.2, 0.5, 0.9]))
def test_bh_cutoff_is_the_bh_decision(p, q):
    cutoff = bh_cutoff(p, q)
    expected = reference_bh(p, q)
    assert benjamini_hochberg(p, q) == expected
    assert [cutoff is not None and v <= cutoff for v in p] == expected
    assert benjamini_hochberg(np.array(p, dtype=float), q) == expected
    assert cutoff is None or cutoff in p  # the largest discovery's own p-value
    if cutoff is not None:
        assert all(type(v) is bool for v in benjamini_hochberg(p, q)) and isinstance(cutoff, float)


@SETTINGS
@given(p=pvalue_lists, q=st.sampled_from([0.05, 0.1, 0.2]))
def test_bh_cutoff_matches_scipy(p, q):
    finite = np.array([v for v in p if v == v], dtype=float)
    if finite.size == 0:
        assert bh_cutoff(p, q) is None
        return
    expected = scipy.stats.false_discovery_control(finite) <= q
    cutoff = bh_cutoff(p, q)
    got = finite <= cutoff if cutoff is not None else np.zeros(finite.size, dtype=bool)
    # scipy adjusts p * m / rank, the definition compares p <= rank * q / m: the same decision
    # except when a p-value sits on its rank's boundary to the last bit; those draws are left to
    # the scalar definition (test_bh_cutoff_is_the_bh_decision).
    ordered = np.sort(finite)
    if not np.isclose(ordered, np.arange(1, ordered.size + 1) * q / ordered.size, rtol=1e-9, atol=0).any():
        assert got.tolist() == expected.tolist()


def test_bh_cutoff_edge_cases():
    assert bh_cutoff([], 0.1) is None
    assert bh_cutoff([float("nan")], 0.1) is None
    assert bh_cutoff([float("nan"), 0.001], 0.1) == 0.001  # NaN does not count toward m
    assert bh_cutoff([0.5, 0.6], 0.1) is None
    # Ties at the cutoff are all discoveries: 3 x 0.03 with m = 4, q = 0.1: rank 3 passes
    # (0.03 <= 0.075), so the cutoff is 0.03 and every 0.03 is in.
    assert bh_cutoff([0.03, 0.9, 0.03, 0.03], 0.1) == 0.03
    assert benjamini_hochberg([0.03, 0.9, 0.03, 0.03], 0.1) == [True, False, True, True]
    for q in (0, 1, -0.1, 1.5):
        with pytest.raises(ValueError):
            bh_cutoff([0.1], q)
