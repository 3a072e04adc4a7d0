"""The regularised incomplete beta function and its inverse in pure Python, for a review too small
to be worth importing numpy and scipy (about 0.1-0.2 s of start-up) for.

`betainc(a, b, x)` is I_x(a, b): the continued fraction of Numerical Recipes' betacf (modified
Lentz), on the side of the mean where it converges fast, times the prefix x^a (1-x)^b / B(a, b)
computed on the log scale without cancellation: with c = a + b and Stirling's remainder
delta(z) = lgamma(z) - ((z - 1/2) log z - z + log(2 pi) / 2),

    log prefix = a log1pmx(u) + b log1pmx(v) + log(a b / c) / 2 - log(2 pi) / 2
                 - delta(a) - delta(b) + delta(c),    u = (x c - a) / a,  v = -(x c - a) / b,

where log1pmx(t) = log(1 + t) - t (the first-order terms cancel exactly: a u + b v = 0). Each
term is small where the answer is not, so the relative error stays near 1e-14 even for a and b
in the millions. `betaincinv(a, b, p)` solves I_x(a, b) = p by safeguarded Newton steps.
`beta_prior` is advisor.stats.typical's moment-matched prior with math.fsum for numpy's dot.

They agree with scipy.special to about 1e-13 (tests/test_stats_betafn.py, property-based), not
bit for bit: advisor.stats.typical uses them only where a whole review chooses them
(`small_review`), so one review never mixes the two.
"""

from __future__ import annotations

import math
from statistics import NormalDist

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
# Stirling series coefficients B_2k / (2k (2k - 1)), k = 1..8
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156, -3617 / 122400)
_EPS = 1e-16
_TINY = 1e-300
_NORMAL = NormalDist()


def _delta(z: float) -> float:
    """lgamma(z) - ((z - 0.5) log z - z + log(2 pi) / 2): Stirling's remainder."""
    if z >= 10:
        r = 1.0 / (z * z)
        total = 0.0
        for coef in reversed(_STIRLING):
            total = total * r + coef
        return total / z
    return math.lgamma(z) - ((z - 0.5) * math.log(z) - z + _HALF_LOG_2PI)


def _log1pmx(t: float) -> float:
    """log(1 + t) - t, accurate for small t."""
    if abs(t) > 0.3:
        return math.log1p(t) - t
    s = t / (2.0 + t)  # log1p(t) = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...)
    s2 = s * s
    term, total, k = s * s2, 0.0, 3
    while True:
        add = term / k
        total += add
        if abs(add) <= 1e-18 * abs(total):
            break
        term *= s2
        k += 2
    return 2.0 * total - t * t / (2.0 + t)  # 2s - t = -t^2 / (2 + t)


def _log_prefix(a: float, b: float, x: float, y: float) -> float:
    """log(x^a y^b / B(a, b)), y = 1 - x (given, so the caller's exact value is used)."""
    c = a + b
    t = x * c - a  # = a u = -b v
    u, v = t / a, -t / b
    first = a * _log1pmx(u) if abs(u) <= 0.3 else a * (math.log(x) + math.log(c / a)) - t
    second = b * _log1pmx(v) if abs(v) <= 0.3 else b * (math.log(y) + math.log(c / b)) + t
    return first + second + 0.5 * math.log(a * b / c) - _HALF_LOG_2PI - _delta(a) - _delta(b) + _delta(c)


def _cf(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b) (Numerical Recipes' betacf, modified Lentz)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    if abs(d) < _TINY:
        d = _TINY
    d = 1.0 / d
    h = d
    m = 1
    limit = 1000 + 20 * int(math.sqrt(max(a, b)))
    while m <= limit:
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        if abs(d) < _TINY:
            d = _TINY
        c = 1.0 + aa / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        if abs(d) < _TINY:
            d = _TINY
        c = 1.0 + aa / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        step = d * c
        h *= step
        if abs(step - 1.0) < _EPS:
            return h
        m += 1
    raise ArithmeticError(f"betainc({a}, {b}, {x}): the continued fraction did not converge")


def _edge(a: float, b: float, v: float) -> float | None:
    """What betainc(a, b, v) and betaincinv(a, b, v) share at the edges: NaN outside a, b > 0 and
    0 <= v <= 1, and v itself at 0 and 1 (I_0 = 0, I_1 = 1, and the inverses). None: no edge."""
    if not (a > 0 and b > 0) or not 0.0 <= v <= 1.0:
        return math.nan
    if v == 0.0:
        return 0.0  # not v: -0.0 stays out of the results
    if v == 1.0:
        return 1.0
    return None


def betainc(a: float, b: float, x: float) -> float:
    """I_x(a, b), the regularised incomplete beta function (a, b > 0, 0 <= x <= 1)."""
    edge = _edge(a, b, x)
    if edge is not None:
        return edge
    y = 1.0 - x
    if x * (a + b + 2.0) < a + 1.0:
        return math.exp(_log_prefix(a, b, x, y)) * _cf(a, b, x) / a
    return 1.0 - math.exp(_log_prefix(b, a, y, x)) * _cf(b, a, y) / b


SMALLEST = 1e-280  # betaincinv raises ArithmeticError below this (underflow territory: ask scipy)


def betaincinv(a: float, b: float, p: float) -> float:
    """The x with I_x(a, b) = p. Raises ArithmeticError when x < SMALLEST or the iteration does
    not settle: the caller then asks scipy (advisor.stats.typical.assess)."""
    x = _betaincinv(a, b, p)
    if x < SMALLEST and 0.0 < p:
        raise ArithmeticError(f"betaincinv({a}, {b}, {p}) underflows")
    return x


def _betaincinv(a: float, b: float, p: float) -> float:
    edge = _edge(a, b, p)
    if edge is not None:
        return edge
    mean = a / (a + b)
    if mean <= 0.5:  # mass nearer 0: solve for log x
        return _solve_log(a, b, p, mean, lower=True)
    return _solve_log(b, a, 1.0 - p, b / (a + b), lower=False)  # nearer 1: for log(1 - x)


def _solve_log(a: float, b: float, p: float, mean: float, *, lower: bool) -> float:
    """The x with I_x(a, b) = p (the mean of Beta(a, b) at most 1/2) by Newton's method on
    s = log x, bracketed, bisecting s when a step leaves the bracket. lower: return x; else
    1 - x (the caller swapped a and b to solve for the distance from 1), as -expm1(s)."""
    lo, hi = -745.0, 0.0
    if a >= 1.0:  # the normal approximation
        sd = math.sqrt(mean * (1.0 - mean) / (a + b + 1.0))
        s = math.log(min(max(mean + _NORMAL.inv_cdf(min(max(p, 1e-300), 1 - 1e-16)) * sd, mean * 1e-3), 1 - 1e-9))
    else:  # the small-x asymptote I_x ~ x^a / (a B(a, b))
        lbeta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
        s = (math.log(p) + math.log(a) + lbeta) / a
    if not lo < s < hi:
        s = hi - 1.0 if hi - 1.0 > lo else 0.5 * (lo + hi)
    for _ in range(400):
        x = math.exp(s)
        if x < SMALLEST:
            raise ArithmeticError(f"betaincinv({a}, {b}, {p}) underflows")
        y = -math.expm1(s)
        if y <= 0.0:
            hi = s = 0.5 * (lo + hi)
            continue
        f = betainc(a, b, x) - p
        if f == 0.0:
            break
        if f < 0:
            lo = s
        else:
            hi = s
        slope = _log_prefix(a, b, x, y) - math.log(y)  # log of d I / d s = x * density
        new = s - f / math.exp(slope) if slope > -700.0 else math.nan
        if not lo < new < hi:
            new = 0.5 * (lo + hi)
        if abs(new - s) <= 1e-15 * abs(s) or new in (lo, hi):
            s = new
            break
        s = new
    else:
        raise ArithmeticError(f"betaincinv({a}, {b}, {p}) did not converge")
    return math.exp(s) if lower else -math.expm1(s)


def beta_prior(mu: float, tau: float, nodes, weights, lo: float, hi: float) -> tuple[float, float]:
    """advisor.stats.typical.beta_prior given its quadrature (weights normalised to sum 1) and
    concentration bounds: the same formulas, with math.exp and math.fsum where numpy has np.exp
    and np.dot."""
    p = [1.0 / (1.0 + math.exp(-(mu + tau * z))) for z in nodes]
    mean = math.fsum(w * q for w, q in zip(weights, p))
    var = math.fsum(w * (q - mean) ** 2 for w, q in zip(weights, p))
    size = mean * (1 - mean) / var - 1 if var > 0 else hi
    size = min(max(size, lo), hi)
    return mean * size, (1 - mean) * size


# numpy.polynomial.hermite_e.hermegauss(48): nodes, and weights / weights.sum() (tests check them)
GH_NODES = (
    -12.693012315439578,
    -11.753178461616617,
    -10.973300958513551,
    -10.275741581733518,
    -9.63088568694906,
    -9.023480280417651,
    -8.444371322523448,
    -7.887517316500365,
    -7.348660565908913,
    -6.824651320745979,
    -6.313069914905499,
    -5.811999987702531,
    -5.319884620419086,
    -4.8354308858789565,
    -4.357544108790291,
    -3.8852811172483914,
    -3.4178160486847764,
    -2.9544146888801195,
    -2.494414743040023,
    -2.037210303259033,
    -1.582239319674964,
    -1.1289732315096481,
    -0.6769081422063474,
    -0.22555707298016336,
    0.22555707298016336,
    0.6769081422063474,
    1.1289732315096481,
    1.582239319674964,
    2.037210303259033,
    2.494414743040023,
    2.9544146888801195,
    3.4178160486847764,
    3.8852811172483914,
    4.357544108790291,
    4.8354308858789565,
    5.319884620419086,
    5.811999987702531,
    6.313069914905499,
    6.824651320745979,
    7.348660565908913,
    7.887517316500365,
    8.444371322523448,
    9.023480280417651,
    9.63088568694906,
    10.275741581733518,
    10.973300958513551,
    11.753178461616617,
    12.693012315439578,
)
GH_WEIGHTS = (
    4.477155473875909e-36,
    3.3764561431353977e-31,
    2.0790589714186624e-27,
    3.139476644799188e-24,
    1.7988549162372895e-21,
    4.925465109698984e-19,
    7.419993598064828e-17,
    6.7566772746571655e-15,
    3.975805958471501e-13,
    1.5883609812463425e-11,
    4.474287153436362e-10,
    9.154055746313818e-09,
    1.3927916895599565e-07,
    1.6063936955426115e-06,
    1.4266092324246835e-05,
    9.881804917611342e-05,
    0.0005395865846271887,
    0.0023430821117604002,
    0.008149696855351924,
    0.022838212100091373,
    0.05180518354956028,
    0.09546340056142932,
    0.14328245699317615,
    0.17546354181186605,
    0.17546354181186605,
    0.14328245699317615,
    0.09546340056142932,
    0.05180518354956028,
    0.022838212100091373,
    0.008149696855351924,
    0.0023430821117604002,
    0.0005395865846271887,
    9.881804917611342e-05,
    1.4266092324246835e-05,
    1.6063936955426115e-06,
    1.3927916895599565e-07,
    9.154055746313818e-09,
    4.474287153436362e-10,
    1.5883609812463425e-11,
    3.975805958471501e-13,
    6.7566772746571655e-15,
    7.419993598064828e-17,
    4.925465109698984e-19,
    1.7988549162372895e-21,
    3.139476644799188e-24,
    2.0790589714186624e-27,
    3.3764561431353977e-31,
    4.477155473875909e-36,
)
