"""Does one member's own data beat chance? The test behind every worst list.

A customer (site, portfolio) is listed as failing on a rate only when its rate is below the
list's threshold with one-sided 95% confidence given its own volume: the exact binomial
(Clopper-Pearson) upper bound of its rate lies below the threshold, i.e. a member whose true
rate sat at the threshold would show so few successes in at most 5% of cases. The exact bound
keeps that promise at every volume; the Wilson score bound, close to it on average, lists up to
10% at some small volumes (5.2% over the sample's customers at a true 70%), so it only explains.
"""

from __future__ import annotations

import math

CONFIDENCE = 0.95
Z_ONE_SIDED = 1.6448536269514722  # the standard normal's 95% quantile


def binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p), summed in log space (exact, any n)."""
    if k < 0:
        return 0.0
    if k >= n or p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0
    lp, lq = math.log(p), math.log1p(-p)
    head = math.lgamma(n + 1)
    terms = [
        head - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * lp + (n - i) * lq
        for i in range(k + 1)
    ]
    top = max(terms)
    return min(1.0, math.exp(top) * sum(math.exp(t - top) for t in terms))


def rate_below(successes: int, n: int, threshold: float, *, confidence: float = CONFIDENCE) -> bool:
    """Is the true rate behind ``successes`` of ``n`` below ``threshold``, with one-sided
    ``confidence``? (The exact upper confidence bound of the rate is below the threshold.)"""
    if n <= 0:
        return False
    return binomial_cdf(successes, n, threshold) < 1 - confidence


def wilson_upper(successes: int, n: int, z: float = Z_ONE_SIDED) -> float | None:
    """The Wilson score upper bound of a rate (one-sided 95% by default), to show beside it."""
    if n <= 0:
        return None
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return min(1.0, (centre + spread) / (1 + z * z / n))
