"""Interval estimates and tests for rates and for the paired compliance gap.

Gaps of a few percentage points are what the published results turn on, and compliance rates
sit near 0 or 1 for many models, where the textbook Wald interval misbehaves. Hence score
intervals (Wilson; Newcombe's hybrid for paired differences) and an exact McNemar test.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist


@dataclass(frozen=True)
class PairedCounts:
    """A 2x2 table of pairs: outcome in the first condition (rows) by the second (columns).

    ``both`` = 1 in both, ``only_first`` = 1 only in the first, ``only_second`` = 1 only in
    the second, ``neither`` = 0 in both.
    """

    both: int
    only_first: int
    only_second: int
    neither: int

    @property
    def n(self) -> int:
        return self.both + self.only_first + self.only_second + self.neither

    @classmethod
    def from_pairs(cls, pairs: list[tuple[float, float]]) -> PairedCounts:
        """Count pairs of 0/1 outcomes."""
        both = sum(1 for x, y in pairs if x and y)
        only_first = sum(1 for x, y in pairs if x and not y)
        only_second = sum(1 for x, y in pairs if y and not x)
        return cls(both, only_first, only_second, len(pairs) - both - only_first - only_second)


def z_value(confidence: float) -> float:
    """The two-sided standard-normal quantile for a confidence level (1.96 at 0.95)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (got {confidence}).")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(successes: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion: (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n).

    Counts may be fractional (an effective sample size, for clustered data).
    """
    if n == 0:
        return (math.nan, math.nan)
    z = z_value(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # The bounds at 0 and n are exactly 0 and 1; say so rather than leave rounding residue.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (low, high)


def corrected_phi(counts: PairedCounts) -> float:
    """The continuity-corrected phi coefficient that Newcombe's method 10 uses.

    With A = both·neither − only_first·only_second and N pairs: A − N/2 when A > N/2, 0 when
    0 ≤ A ≤ N/2, and A unchanged when A < 0; divided by √ of the product of the four margins
    (0 when a margin is empty). The correction shrinks only a positive association, which
    widens the interval; raw phi gives intervals narrower than the published method.
    """
    a, b, c, d = counts.both, counts.only_first, counts.only_second, counts.neither
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    if not margins:
        return 0.0
    association = a * d - b * c
    n = counts.n
    if association > n / 2:
        corrected = association - n / 2
    elif association >= 0:
        corrected = 0.0
    else:
        corrected = float(association)
    return corrected / math.sqrt(margins)


def paired_difference_interval(
    counts: PairedCounts, confidence: float = 0.95
) -> tuple[float, float, float]:
    """Difference p1 − p2 of paired proportions with Newcombe's (1998) hybrid score interval.

    Method 10 of Newcombe, "Improved confidence intervals for the difference between binomial
    proportions based on paired data", Stat Med 17:2635-2650. With Wilson intervals (l1, u1)
    for p1 = (both + only_first)/n and (l2, u2) for p2 = (both + only_second)/n, and φ* the
    continuity-corrected phi coefficient (:func:`corrected_phi`), D = p1 − p2 and
        lower = D − √((p1 − l1)² − 2φ*(p1 − l1)(u2 − p2) + (u2 − p2)²)
        upper = D + √((u1 − p1)² − 2φ*(u1 − p1)(p2 − l2) + (p2 − l2)²).
    Returns (D, lower, upper); all NaN when there are no pairs.
    """
    n = counts.n
    if n == 0:
        return (math.nan, math.nan, math.nan)
    a, b, c = counts.both, counts.only_first, counts.only_second
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = wilson_interval(a + b, n, confidence)
    l2, u2 = wilson_interval(a + c, n, confidence)
    return hybrid_difference(p1, (l1, u1), p2, (l2, u2), corrected_phi(counts))


def hybrid_difference(
    p1: float,
    interval1: tuple[float, float],
    p2: float,
    interval2: tuple[float, float],
    phi: float,
) -> tuple[float, float, float]:
    """Newcombe's square-and-add combination of two single-proportion score intervals into an
    interval for p1 − p2, with φ the correlation between the two estimates (0: independent).

        lower = D − √((p1 − l1)² − 2φ(p1 − l1)(u2 − p2) + (u2 − p2)²)
        upper = D + √((u1 − p1)² − 2φ(u1 − p1)(p2 − l2) + (p2 − l2)²),  D = p1 − p2.

    One place for the formula, shared by the paired interval and its clustered form.
    """
    (l1, u1), (l2, u2) = interval1, interval2
    diff = p1 - p2
    lower = diff - math.sqrt(
        max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2)
    )
    upper = diff + math.sqrt(
        max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2)
    )
    return (diff, max(-1.0, lower), min(1.0, upper))


def mcnemar_exact_p(counts: PairedCounts) -> float:
    """Two-sided exact McNemar test: binomial test of only_first vs only_second at p = 1/2.

    p = min(1, 2 · P(X ≤ min(b, c))) with X ~ Binomial(b + c, 1/2); 1.0 with no discordant pair.
    """
    b, c = counts.only_first, counts.only_second
    m = b + c
    if m == 0:
        return 1.0
    tail = sum(math.comb(m, k) for k in range(min(b, c) + 1)) / 2**m
    return float(min(1.0, 2 * tail))


def auroc(scores: list[float], labels: list[int]) -> float:
    """Area under the ROC curve, in its Mann–Whitney form.

    AUROC = (1 / (n₊·n₋)) · Σ over positive i, negative j of [sᵢ > sⱼ] + ½·[sᵢ = sⱼ]:
    the chance that a random positive outranks a random negative, ties counting half.
    NaN when either class is empty.
    """
    if len(scores) != len(labels):
        raise ValueError(f"auroc needs one label per score ({len(scores)} vs {len(labels)}).")
    positives = [s for s, y in zip(scores, labels, strict=True) if y == 1]
    negatives = [s for s, y in zip(scores, labels, strict=True) if y == 0]
    if not positives or not negatives:
        return math.nan
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


@dataclass(frozen=True)
class RandomEffects:
    """A DerSimonian-Laird random-effects pool of k estimates (see :func:`random_effects`)."""

    pooled: float
    low: float
    high: float
    se: float
    tau2: float
    """Between-estimate variance of the true effects (0 when Q <= k - 1)."""
    q: float
    """Cochran's Q."""
    i2: float
    """Share of the spread beyond chance, max(0, (Q - (k - 1)) / Q); 0 when Q is 0."""
    k: int
    predict_low: float
    predict_high: float
    """Where a new estimate's true effect is expected: pooled ± z·√(τ² + se²)."""

    @property
    def tau(self) -> float:
        """The between-estimate standard deviation √τ²."""
        return math.sqrt(self.tau2) if not math.isnan(self.tau2) else math.nan


def random_effects(
    estimates: Sequence[float], variances: Sequence[float], confidence: float = 0.95
) -> RandomEffects:
    """DerSimonian and Laird's (1986) random-effects pooled estimate of k estimates yᵢ with
    within-estimate variances vᵢ (all > 0).

        wᵢ = 1/vᵢ,  ȳ = Σwᵢyᵢ/Σwᵢ,  Q = Σwᵢ(yᵢ − ȳ)²,  C = Σwᵢ − Σwᵢ²/Σwᵢ,
        τ² = max(0, (Q − (k − 1))/C),  wᵢ* = 1/(vᵢ + τ²),
        pooled = Σwᵢ*yᵢ/Σwᵢ*,  se = √(1/Σwᵢ*),  interval = pooled ± z·se.

    Used for the compliance gap over prompt paraphrases: each paraphrase's gap is one
    estimate, and τ is the spread of the true gaps between paraphrases. All NaN with k = 0.
    """
    if len(estimates) != len(variances):
        raise ValueError(
            f"random_effects needs one variance per estimate ({len(estimates)} vs "
            f"{len(variances)})."
        )
    k = len(estimates)
    if k == 0:
        nan = math.nan
        return RandomEffects(nan, nan, nan, nan, nan, nan, nan, 0, nan, nan)
    if any(not v > 0 for v in variances):
        raise ValueError(f"random_effects needs positive variances (got {list(variances)}).")
    z = z_value(confidence)
    w = [1 / v for v in variances]
    total = sum(w)
    fixed = sum(wi * y for wi, y in zip(w, estimates, strict=True)) / total
    q = sum(wi * (y - fixed) ** 2 for wi, y in zip(w, estimates, strict=True))
    c = total - sum(wi * wi for wi in w) / total
    tau2 = max(0.0, (q - (k - 1)) / c) if c > 0 else 0.0
    w_star = [1 / (v + tau2) for v in variances]
    pooled = sum(wi * y for wi, y in zip(w_star, estimates, strict=True)) / sum(w_star)
    se = math.sqrt(1 / sum(w_star))
    i2 = max(0.0, (q - (k - 1)) / q) if q > 0 else 0.0
    spread = z * math.sqrt(tau2 + se * se)
    return RandomEffects(
        pooled=pooled,
        low=pooled - z * se,
        high=pooled + z * se,
        se=se,
        tau2=tau2,
        q=q,
        i2=i2,
        k=k,
        predict_low=pooled - spread,
        predict_high=pooled + spread,
    )
