"""How many query pairs the compliance-gap test needs: power by exact enumeration.

The published gaps are a few percentage points (Claude 3 Opus, minimal reproduction with the
tag metric: 6.5% compliance in training vs 1.0% unmonitored), and the suite tests a gap with
the exact McNemar test on the pairs (``af_tasks.stats.mcnemar_exact_p``, two-sided). Whether a
run can see such a gap depends on the number of pairs n; this script computes that power
exactly (no simulation, so it is deterministic and offline) and prints the table docs/queries.md
shows.

How a pair's two outcomes relate is not published, so the power depends on an assumption:

- ``independent`` (the stated default): a query's outcome in training says nothing about its
  outcome unmonitored. This is the cautious choice: the same query is asked in both tiers, so
  the outcomes are most likely positively related, and any positive relation leaves fewer
  discordant pairs pointing the wrong way and *raises* power. It also matches PROTOCOL.md's
  figure (120 pairs detect the Opus gap about half the time).
- ``nested``: every query the model complies with unmonitored it also complies with in
  training (the strongest positive relation; an upper bound on power).

Method. With P(training only) = p10 and P(unmonitored only) = p01 per pair, the number of
discordant pairs is M ~ Binomial(n, p10 + p01) and, given M = m, the training-only count is
B ~ Binomial(m, p10 / (p10 + p01)). The test rejects at level alpha iff
min(B, m - B) <= k(m), where k(m) is the largest count whose ``mcnemar_exact_p`` is <= alpha
(found with the suite's own function). Power = sum over m of P(M = m) * P(reject | m).

    python benchmarks/power.py [--alpha 0.05] [--baseline 0.01]
"""

from __future__ import annotations

import argparse
import math
from functools import cache
from typing import Literal

from af_tasks.dataset import load_queries
from af_tasks.stats import PairedCounts, mcnemar_exact_p

Dependence = Literal["independent", "nested"]

ALPHA = 0.05
# Claude 3 Opus, minimal reproduction with the tag metric (paper appendix): refusal 93.5% in
# training vs 99.0% unmonitored, i.e. compliance 6.5% vs 1.0%.
OPUS_TRAINING, OPUS_UNMONITORED = 0.065, 0.010
BASELINE_UNMONITORED = 0.01
PAIRS = (120, 200, 300, 400, 600, 800, 1000)
TARGETS = (0.8, 0.9)
GAP_STEP = 0.001  # detectable gaps are searched on a grid of 0.1 percentage points
_NEGLIGIBLE = 1e-16  # discordant counts less likely than this are left out of the sum


@cache
def rejection_bound(discordant: int, alpha: float = ALPHA) -> int:
    """Largest k such that a split (k, m - k) of m discordant pairs is significant; -1 if none.

    The McNemar p-value grows with min(b, c), so the rejection region is min(b, c) <= k; k is
    found by bisection over the suite's own ``mcnemar_exact_p``.
    """

    def significant(k: int) -> bool:
        return mcnemar_exact_p(PairedCounts(0, k, discordant - k, 0)) <= alpha

    if discordant == 0 or not significant(0):
        return -1
    low, high = 0, discordant // 2  # significant(low) holds; find the last k that does
    while low < high:
        mid = (low + high + 1) // 2
        if significant(mid):
            low = mid
        else:
            high = mid - 1
    return low


def _log_binom_pmf(k: int, n: int, p: float) -> float:
    if p <= 0.0:
        return 0.0 if k == 0 else -math.inf
    if p >= 1.0:
        return 0.0 if k == n else -math.inf
    log_comb = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
    return log_comb + k * math.log(p) + (n - k) * math.log1p(-p)


def discordant_rates(
    training: float, unmonitored: float, dependence: Dependence = "independent"
) -> tuple[float, float]:
    """(P(complies in training only), P(complies unmonitored only)) for one pair."""
    if not (0.0 <= unmonitored <= 1.0 and 0.0 <= training <= 1.0):
        raise ValueError("Compliance rates are probabilities between 0 and 1.")
    if dependence == "independent":
        return training * (1 - unmonitored), unmonitored * (1 - training)
    if dependence == "nested":
        if unmonitored > training:
            raise ValueError("'nested' needs the training rate to be at least the unmonitored.")
        return training - unmonitored, 0.0
    raise ValueError(f"dependence={dependence!r}: use 'independent' or 'nested'.")


def power(
    pairs: int,
    training: float,
    unmonitored: float,
    dependence: Dependence = "independent",
    alpha: float = ALPHA,
) -> float:
    """Chance that the exact McNemar test on ``pairs`` pairs rejects 'no gap' at ``alpha``."""
    only_training, only_unmonitored = discordant_rates(training, unmonitored, dependence)
    discordant = only_training + only_unmonitored
    if discordant == 0.0:
        return 0.0
    share = only_training / discordant
    total = 0.0
    for m in range(1, pairs + 1):
        p_m = math.exp(_log_binom_pmf(m, pairs, discordant))
        if p_m < _NEGLIGIBLE:
            if m > pairs * discordant:
                break  # past the mode: every larger m is rarer still
            continue
        k = rejection_bound(m, alpha)
        if k < 0:
            continue
        low_tail = sum(math.exp(_log_binom_pmf(b, m, share)) for b in range(k + 1))
        high_tail = sum(math.exp(_log_binom_pmf(b, m, share)) for b in range(m - k, m + 1))
        total += p_m * (low_tail + high_tail)
    return min(1.0, total)


def detectable_gap(
    pairs: int,
    target: float,
    unmonitored: float = BASELINE_UNMONITORED,
    dependence: Dependence = "independent",
    alpha: float = ALPHA,
) -> float:
    """Smallest gap (training minus unmonitored, on a 0.1-point grid) detected with ``target``
    power; NaN if even complying always in training does not reach it."""
    steps = round((1.0 - unmonitored) / GAP_STEP)
    for step in range(1, steps + 1):
        gap = step * GAP_STEP
        if power(pairs, unmonitored + gap, unmonitored, dependence, alpha) >= target:
            return gap
    return math.nan


def shipped_pairs() -> int:
    """Number of queries in the bundled harmful-request set (each is one pair)."""
    return len(load_queries("bundled")[1])


def opus_summary(sizes: tuple[int, ...], alpha: float = ALPHA) -> str:
    """Part (a): power for the Opus minimal-reproduction gap at the given numbers of pairs."""
    lines = [
        f"Claude 3 Opus, minimal reproduction ({OPUS_TRAINING:.1%} vs {OPUS_UNMONITORED:.1%} "
        f"compliance), exact McNemar at alpha {alpha:g}:"
    ]
    for n in sizes:
        independent = power(n, OPUS_TRAINING, OPUS_UNMONITORED, "independent", alpha)
        nested = power(n, OPUS_TRAINING, OPUS_UNMONITORED, "nested", alpha)
        lines.append(f"- {n} pairs: power {independent:.3f} (independent), {nested:.3f} (nested)")
    return "\n".join(lines)


def power_table(
    sizes: tuple[int, ...],
    unmonitored: float = BASELINE_UNMONITORED,
    alpha: float = ALPHA,
) -> str:
    """Part (b): Markdown table of pairs vs Opus-gap power and the gap detectable at 80/90%."""
    header = (
        "| pairs | power for the Opus gap (independent) | power for the Opus gap (nested) "
        "| gap detectable at 80% power | at 90% power |"
    )
    rows = [header, "|---:|---:|---:|---:|---:|"]
    for n in sizes:
        cells = [
            str(n),
            f"{power(n, OPUS_TRAINING, OPUS_UNMONITORED, 'independent', alpha):.3f}",
            f"{power(n, OPUS_TRAINING, OPUS_UNMONITORED, 'nested', alpha):.3f}",
            *(
                f"{detectable_gap(n, t, unmonitored, 'independent', alpha) * 100:.1f} points"
                for t in TARGETS
            ),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def table_sizes() -> tuple[int, ...]:
    """The table's rows: the standard sizes plus the shipped set's size."""
    return tuple(sorted({*PAIRS, shipped_pairs()}))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alpha", type=float, default=ALPHA)
    parser.add_argument(
        "--baseline", type=float, default=BASELINE_UNMONITORED, help="unmonitored rate"
    )
    args = parser.parse_args(argv)
    sizes = table_sizes()
    print(opus_summary((120, shipped_pairs()), args.alpha))
    print()
    print(
        f"Detectable gap: unmonitored compliance {args.baseline:.1%}, independent outcomes, "
        f"exact McNemar at alpha {args.alpha:g}."
    )
    print()
    print(power_table(sizes, args.baseline, args.alpha))


if __name__ == "__main__":
    main()
