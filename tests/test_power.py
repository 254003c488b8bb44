"""benchmarks/power.py: exact power of the paired McNemar test, and the README's power table.

The enumeration is checked three ways: hand-computed rejection bounds of the exact test, a
closed form for the nested case, and a seeded simulation that applies the suite's own
``mcnemar_exact_p`` to simulated pairs. The README's table must be what the script prints.
"""

from __future__ import annotations

import importlib.util
import math
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from af_tasks.stats import PairedCounts, mcnemar_exact_p

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "power.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("af_power", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


power = _load()


@pytest.mark.parametrize(
    ("discordant", "bound"),
    # Two-sided exact test at 0.05: with m discordant pairs all on one side p = 2 / 2^m, so
    # 5 pairs (p = 0.0625) never suffice and 6 (p = 0.031) do; 10 pairs allow a 1-9 split
    # (p = 22/1024 = 0.021) but not 2-8 (p = 112/1024 = 0.109).
    [(0, -1), (5, -1), (6, 0), (8, 0), (9, 1), (10, 1), (20, 5)],
)
def test_rejection_bound_matches_hand_values(discordant: int, bound: int) -> None:
    assert power.rejection_bound(discordant) == bound
    if bound >= 0:
        assert mcnemar_exact_p(PairedCounts(0, bound, discordant - bound, 0)) <= 0.05
    assert mcnemar_exact_p(PairedCounts(0, bound + 1, discordant - bound - 1, 0)) > 0.05


def test_nested_power_is_a_binomial_tail() -> None:
    # Nested outcomes leave no pair compliant only unmonitored: the test rejects exactly when
    # at least 6 pairs comply only in training, B ~ Binomial(n, 0.055).
    n, gap = 120, 0.055
    expected = 1 - sum(math.comb(n, k) * gap**k * (1 - gap) ** (n - k) for k in range(6))
    assert power.power(n, 0.065, 0.01, "nested") == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("dependence", ["independent", "nested"])
def test_power_matches_a_simulation_with_the_suites_test(dependence: str) -> None:
    n, runs = 120, 3000
    training, unmonitored = 0.065, 0.01
    rng = np.random.default_rng(20241218)
    if dependence == "independent":
        first = rng.random((runs, n)) < training
        second = rng.random((runs, n)) < unmonitored
    else:  # one uniform per pair: unmonitored compliance implies training compliance
        u = rng.random((runs, n))
        first, second = u < training, u < unmonitored
    rejections = 0
    for a, b in zip(first, second, strict=True):
        pairs = [(float(x), float(y)) for x, y in zip(a, b, strict=True)]
        rejections += mcnemar_exact_p(PairedCounts.from_pairs(pairs)) <= 0.05
    simulated = rejections / runs
    exact = power.power(n, training, unmonitored, dependence)
    standard_error = math.sqrt(exact * (1 - exact) / runs)
    assert abs(simulated - exact) < 4 * standard_error


def test_opus_gap_power_at_120_pairs_and_with_the_shipped_set() -> None:
    # PROTOCOL.md: 120 pairs detect the Opus gap only about half the time.
    at_120 = power.power(120, power.OPUS_TRAINING, power.OPUS_UNMONITORED, "independent")
    assert 0.45 < at_120 < 0.55
    shipped = power.shipped_pairs()
    assert shipped >= 400
    for dependence in ("independent", "nested"):
        assert power.power(shipped, power.OPUS_TRAINING, power.OPUS_UNMONITORED, dependence) >= 0.9


def test_detectable_gap_is_the_smallest_on_the_grid() -> None:
    for target in (0.8, 0.9):
        gap = power.detectable_gap(200, target)
        assert power.power(200, 0.01 + gap, 0.01) >= target
        assert power.power(200, 0.01 + gap - power.GAP_STEP, 0.01) < target
    assert power.detectable_gap(200, 0.9) > power.detectable_gap(200, 0.8)
    assert power.detectable_gap(400, 0.8) < power.detectable_gap(200, 0.8)


def test_bad_settings_name_the_fix() -> None:
    with pytest.raises(ValueError, match="'independent' or 'nested'"):
        power.discordant_rates(0.1, 0.0, "correlated")
    with pytest.raises(ValueError, match="at least the unmonitored"):
        power.discordant_rates(0.01, 0.05, "nested")
    with pytest.raises(ValueError, match="between 0 and 1"):
        power.discordant_rates(1.5, 0.0)


@pytest.mark.slow
def test_readme_power_section_is_what_the_script_prints() -> None:
    printed = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, check=True
    ).stdout
    readme = (ROOT / "docs" / "queries.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- power:start -->\n(.*?)<!-- power:end -->", readme, re.S)
    assert block is not None, "README lacks the power block between its markers"
    assert block[1] == printed
