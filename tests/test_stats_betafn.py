"""advisor.stats.betafn: the pure-Python incomplete beta function and its inverse that a one-video
review uses instead of importing numpy and scipy. They agree with scipy.special to ~1e-11
(property-based, over the counts a review meets), the constants taken from numpy and scipy are
theirs exactly, and a one-video review gives the same report either way."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from advisor.jobs import review as review_module
from advisor.jobs.review import review
from advisor.jobs.review_report import review_json
from advisor.model.metrics import VideoMetrics
from advisor.stats import betafn, typical

from conftest import EXAMPLES, ROOT

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


def _close(mine: float, theirs: float, rel: float) -> bool:
    return abs(mine - theirs) <= rel * abs(theirs) or abs(mine - theirs) <= 1e-300


def _agrees_with_scipy(a: float, b: float, x: float, rel: float) -> None:
    """betafn.betainc(a, b, x) is within `rel` of scipy's value for x or for x a few ulps away.

    Near x = 1 the value is ill-conditioned in x (it depends on 1 - x, which keeps few of x's
    digits): a few ulps of x move scipy's own value by more than 1e-12. Within `rel` of the
    range scipy gives over those inputs is as close as the input allows."""
    from scipy.special import betainc

    mine = betafn.betainc(a, b, x)
    xs = (x, math.nextafter(x, 0.0), math.nextafter(x, 1.0), x * (1 - 4e-16), min(x * (1 + 4e-16), 1.0))
    ends = [float(betainc(a, b, x_)) for x_ in xs]
    low, high = min(ends), max(ends)
    assert low * (1 - rel) - 1e-300 <= mine <= high * (1 + rel) + 1e-300, (mine, low, high)


@st.composite
def posteriors(draw, top: float = 5.0):
    """Beta(a, b) as a review's posterior: a prior of size 0.5..1e6 plus x of n observed."""
    size = 10 ** draw(st.floats(-0.3, 6.0))
    share = draw(st.floats(1e-3, 1 - 1e-3))
    n = float(draw(st.integers(0, int(10 ** top))))
    x = math.floor(n * draw(st.floats(0.0, 1.0)) ** 3)
    return size * share + x, size * (1 - share) + n - x


@SETTINGS
@given(posteriors(), st.floats(-4.0, 4.0))
def test_betainc_matches_scipy(ab, z):

    a, b = ab
    mean = a / (a + b)
    sd = math.sqrt(mean * (1 - mean) / (a + b + 1))
    x = min(max(mean + z * sd, 1e-9), 1 - 1e-9)
    # Measured worst over 20,000 draws of this domain: 1.4e-11 relative (a + b near 850,000;
    # checked against 50-digit mpmath, scipy's error there was 2e-15): the limit leaves room.
    _agrees_with_scipy(a, b, x, 5e-11)


@SETTINGS
@given(posteriors(), st.sampled_from([0.05, 0.5, 0.95]))
@example((0.9375, 0.0625), 0.95)  # scipy's answer rounds to 1.0
@example((1000.0, 999000.0), 0.95)  # scipy's inverse is off by 3e-10 here (50-digit mpmath); ours by 6e-14
def test_betaincinv_matches_scipy_or_refuses(ab, p):
    from scipy.special import betaincinv

    a, b = ab
    try:
        mine = betafn.betaincinv(a, b, p)
    except ArithmeticError:  # x or 1 - x near underflow: assess then asks scipy itself
        theirs = float(betaincinv(a, b, p))
        assert theirs < 1e-250 or theirs > 1 - 1e-15
        return
    theirs = float(betaincinv(a, b, p))
    # An error of 5e-11 in p (betainc's) moves x by 5e-11 * p / density(x): relative to x, by 5e-11 times
    # p / (x * density), which is 1 / a near 0 (the distribution function grows as x**a). So a
    # small a stretches the agreement an inverse can have in x, whoever computes it.
    stretch = 1.0
    if 0.0 < theirs < 1.0:  # at 0 or 1 (rounded there) the density says nothing: compare as is
        log_density = ((a - 1) * math.log(theirs) + (b - 1) * math.log1p(-theirs)
                       + math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b))
        stretch = max(1.0, p / (theirs * math.exp(log_density)))
    if _close(mine, theirs, 5e-11 * stretch):
        return
    # scipy's inverse is itself off at some (a, b) (its own betainc, accurate to ~1e-15, says so):
    # then ours must invert scipy's betainc at least as well as scipy's inverse does.
    from scipy.special import betainc

    ours_off, theirs_off = abs(float(betainc(a, b, mine)) - p), abs(float(betainc(a, b, theirs)) - p)
    assert ours_off <= theirs_off, (mine, theirs, stretch, ours_off, theirs_off)


@settings(max_examples=100, deadline=None)
@given(posteriors(top=7.0), st.floats(-4.0, 4.0))
def test_betainc_matches_scipy_for_millions_of_views(ab, z):

    a, b = ab
    mean = a / (a + b)
    sd = math.sqrt(mean * (1 - mean) / (a + b + 1))
    x = min(max(mean + z * sd, 1e-9), 1 - 1e-9)
    _agrees_with_scipy(a, b, x, 5e-10)  # measured worst: 9.4e-11 (a + b near 10^7)


def test_edges():
    assert betafn.betainc(2.0, 3.0, 0.0) == 0.0 and betafn.betainc(2.0, 3.0, 1.0) == 1.0
    assert betafn.betaincinv(2.0, 3.0, 0.0) == 0.0 and betafn.betaincinv(2.0, 3.0, 1.0) == 1.0
    assert math.isnan(betafn.betainc(-1.0, 3.0, 0.5)) and math.isnan(betafn.betaincinv(2.0, 3.0, 1.5))
    assert betafn.betainc(1.0, 1.0, 0.3) == pytest.approx(0.3, rel=1e-14)  # uniform
    assert betafn.betaincinv(1.0, 1.0, 0.3) == pytest.approx(0.3, rel=1e-14)


def test_the_quadrature_is_numpys_exactly():
    import numpy as np

    nodes, weights = np.polynomial.hermite_e.hermegauss(48)
    assert betafn.GH_NODES == tuple(nodes.tolist())
    assert betafn.GH_WEIGHTS == tuple((weights / weights.sum()).tolist())


def test_the_normal_quantiles_are_scipys_exactly():
    from scipy.special import ndtri

    for q, value in typical._NDTRI.items():
        assert value == float(ndtri(q)), q
    assert typical.ndtri(0.3) == float(ndtri(0.3))  # any other quantile: scipy's own


@SETTINGS
@given(st.floats(-8.0, 3.0), st.floats(0.0, 3.0))
def test_the_pure_prior_matches_numpys(mu, tau):
    a, b = typical.beta_prior(mu, tau)
    pa, pb = typical.beta_prior_small(mu, tau)
    assert _close(pa, a, 1e-12) and _close(pb, b, 1e-12)


@SETTINGS
@given(posteriors())
def test_assess_small_matches_assess(ab):
    a, b = ab
    t = typical.typical_from(-4.0, 0.5)
    x, n = min(a, 1e9), a + b
    exact = typical.assess(x, n, t)
    small = typical.assess(x, n, t, small=True)
    for name in ("p_high", "p_low", "effect", "certainty"):
        assert getattr(small, name) == pytest.approx(getattr(exact, name), rel=1e-10, abs=1e-13), name
    assert small.interval == pytest.approx(exact.interval, rel=1e-10, abs=1e-300)
    assert small.direction == exact.direction


@st.composite
def videos(draw):
    views = draw(st.integers(1, 3_000_000))
    part = lambda top: draw(st.integers(0, max(0, min(views, int(views * top)))))  # noqa: E731
    return VideoMetrics(id="v1", form=draw(st.sampled_from(["short_video", "long_video", "live", "image_text"])),
                        views=views, likes=part(0.2), hearts=part(0.1), comments=part(0.05), shares=part(0.05),
                        follows=part(0.02), completion_rate=draw(st.floats(0.0, 1.0)))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(video=videos())
def test_a_one_video_report_is_the_same_with_scipy(ruleset, video):
    """The same video reviewed with the pure-Python beta functions (a one-video review) and with
    scipy's (SMALL_REVIEW = 0): the same report, byte for byte."""
    small = review([video], ruleset, engine="python", langs=("en",))
    saved = review_module.SMALL_REVIEW
    review_module.SMALL_REVIEW = 0
    try:
        exact = review([video], ruleset, engine="python", langs=("en",))
    finally:
        review_module.SMALL_REVIEW = saved
    assert json.dumps(review_json(small, "en")) == json.dumps(review_json(exact, "en"))


def test_a_one_video_review_imports_neither_numpy_nor_scipy():
    code = ("import sys\nfrom advisor.__main__ import main\n"
            "sys.argv = ['advisor', 'review', sys.argv[1], '--format', 'json', '-o', sys.argv[2]]\n"
            "try:\n    main()\nexcept SystemExit as exit:\n    assert exit.code == 0, exit.code\n"
            "print(sorted(m for m in ('numpy', 'scipy') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code, str(EXAMPLES / "video.json"), "-"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
