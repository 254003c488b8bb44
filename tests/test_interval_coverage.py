"""Repeated epochs never count as new evidence: the gap's interval and the per-condition
intervals keep their coverage, and identical copies of a run never narrow them.

The grid and its coverage table are printed by ``benchmarks/interval_coverage.py``.
"""

from __future__ import annotations

import math

import pytest
from benchmarks.interval_coverage import QUERIES, coverage_grid, render

from af_tasks.estimates import Record, compliance_gap, condition_interval
from af_tasks.stats import wilson_interval


def _copies(outcomes: dict[str, tuple[float, float]], epochs: int) -> list[Record]:
    """Records of a run whose every epoch repeats ``outcomes`` (query -> training, unmon.)."""
    return [
        Record(q, condition, value, epoch=e)
        for q, (first, second) in outcomes.items()
        for e in range(1, epochs + 1)
        for condition, value in (("training", first), ("unmonitored", second))
    ]


def test_a_condition_that_never_varies_does_not_shrink_the_gap_interval() -> None:
    # The example: 20 queries, 2 comply in training every epoch, none unmonitored.
    # One epoch: [-7.7, +30.1] points; ten identical epochs used to give [+2.5, +30.1].
    run = {f"q{i}": (float(i < 2), 0.0) for i in range(20)}
    one = compliance_gap(_copies(run, 1))
    assert (round(100 * one.low, 1), round(100 * one.high, 1)) == (-7.7, 30.1)
    for epochs in (3, 5, 10):
        repeated = compliance_gap(_copies(run, epochs))
        assert repeated.method == "newcombe_clustered"
        assert (repeated.low, repeated.high) == pytest.approx((one.low, one.high), abs=1e-12)


def test_identical_copies_never_narrow_the_gap_interval() -> None:
    # Every 2x2 table of 12 pairs, copied over 2, 3 and 10 epochs.
    n = 12
    for both in range(n + 1):
        for only_first in range(n + 1 - both):
            for only_second in range(n + 1 - both - only_first):
                outcomes = (
                    [(1.0, 1.0)] * both + [(1.0, 0.0)] * only_first + [(0.0, 1.0)] * only_second
                )
                outcomes += [(0.0, 0.0)] * (n - len(outcomes))
                run = {f"q{i}": pair for i, pair in enumerate(outcomes)}
                one = compliance_gap(_copies(run, 1))
                for epochs in (2, 3, 10):
                    repeated = compliance_gap(_copies(run, epochs))
                    assert repeated.low <= one.low + 1e-12, (outcomes, epochs)
                    assert repeated.high >= one.high - 1e-12, (outcomes, epochs)


def test_the_per_condition_interval_is_clustered_by_query() -> None:
    # 10 queries x 3 identical epochs, 3 queries always comply: 9 of 30 samples, but the
    # information of 3 in 10; a condition that never complies is worth 10 queries, not 30.
    run = {f"q{i}": (float(i < 3), 0.0) for i in range(10)}
    records = _copies(run, 3)
    assert condition_interval(records, "training") == pytest.approx(wilson_interval(3, 10))
    assert condition_interval(records, "unmonitored") == pytest.approx(wilson_interval(0, 10))
    # One epoch per query: the plain Wilson interval.
    assert condition_interval(_copies(run, 1), "training") == pytest.approx(wilson_interval(3, 10))
    # Independent-looking epochs (every query complies once in three): no design effect.
    spread = [
        Record(f"q{i}", "training", float(e == 1), epoch=e) for i in range(10) for e in (1, 2, 3)
    ]
    assert condition_interval(spread, "training") == pytest.approx(wilson_interval(10, 30))
    assert all(math.isnan(x) for x in condition_interval(spread, "unmonitored"))


@pytest.mark.slow
def test_coverage_over_the_grid() -> None:
    """Queries 20-400, epochs 1/3/5/10, rates with 0 and 1 in either condition, identical
    and independent epochs: every cell covers the true gap at least 93% of the time (600
    seeded replicates a cell; the benchmark runs 1,000)."""
    cells = coverage_grid(replicates=600)
    print(render(cells))
    assert {c.queries for c in cells} == set(QUERIES) and min(QUERIES) == 20
    assert max(QUERIES) == 400
    assert {c.epochs for c in cells} == {1, 3, 5, 10}
    assert {c.mode for c in cells} == {"identical", "independent"}
    low = [c for c in cells if c.coverage < 0.93]
    assert not low, render(low)
