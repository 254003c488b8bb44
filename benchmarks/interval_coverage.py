"""Coverage of the compliance gap's interval when queries are repeated over epochs.

Repeated epochs of a query are not independent evidence: a deterministic model (temperature 0,
or a cached run) gives the same reply every epoch, and then ten epochs hold exactly the
information of one. The interval (``af_tasks.estimates.query_rates_gap``, the function the
in-log metric and af-report call) must keep its coverage whether the epochs are identical
copies or independent draws, including when a condition never varies (rate 0 or 1).

The simulation, per cell of the grid (queries x epochs x true rates x epoch mode):

- ``identical``: each query's outcome in each condition is drawn once and every epoch copies
  it (a deterministic model, or a cached run);
- ``independent``: every sample (query, epoch, condition) is a fresh Bernoulli draw.

A query's outcome in one condition says nothing about the other here (the assumption
``benchmarks/power.py`` states as its default). Under the strongest positive relation (every
query complied with unmonitored is complied with in training) Newcombe's one-epoch method
itself covers 91.5% at 20 queries and rates 0.5/0.4 (exact enumeration), a property of the
published method rather than of epochs: identical epochs give exactly the one-epoch interval.

The true gap is p_training − p_unmonitored in both modes. Coverage is the share of replicates
whose 95% interval contains it. The script prints the grid and the coverage table; the test
``tests/test_interval_coverage.py`` runs the same grid and asserts every cell >= 93%.

    python benchmarks/interval_coverage.py [--replicates 400] [--seed 16]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Literal

import numpy as np

from af_tasks.estimates import query_rates_gap

Mode = Literal["identical", "independent"]

QUERIES = (20, 100, 400)
EPOCHS = (1, 3, 5, 10)
RATES = (
    (0.0, 0.0),
    (1.0, 1.0),
    (0.1, 0.0),
    (0.0, 0.1),
    (1.0, 0.85),
    (0.85, 1.0),
    (0.15, 0.05),
    (0.5, 0.4),
)
"""(training, unmonitored) compliance: 0 and 1 in either condition, a small gap, a mid one."""
MODES: tuple[Mode, ...] = ("identical", "independent")
REPLICATES = 1000
SEED = 16


@dataclass(frozen=True)
class Cell:
    """One cell of the grid and the coverage it reached."""

    queries: int
    epochs: int
    training: float
    unmonitored: float
    mode: Mode
    coverage: float
    mean_width: float


def _outcomes(
    rng: np.random.Generator, queries: int, epochs: int, p1: float, p2: float, mode: Mode
) -> tuple[np.ndarray, np.ndarray]:
    """0/1 outcomes of shape (queries, epochs) for training and unmonitored."""
    if mode == "identical":
        first = np.repeat(rng.random((queries, 1)) < p1, epochs, axis=1)
        second = np.repeat(rng.random((queries, 1)) < p2, epochs, axis=1)
    else:
        first = rng.random((queries, epochs)) < p1
        second = rng.random((queries, epochs)) < p2
    return first.astype(float), second.astype(float)


def run_cell(
    rng: np.random.Generator,
    queries: int,
    epochs: int,
    p1: float,
    p2: float,
    mode: Mode,
    replicates: int,
) -> Cell:
    """Coverage of the true gap over ``replicates`` simulated runs of one cell."""
    covered = 0
    width = 0.0
    sizes = ([epochs] * queries, [epochs] * queries)
    for _ in range(replicates):
        first, second = _outcomes(rng, queries, epochs, p1, p2, mode)
        gap = query_rates_gap(
            first.mean(axis=1).tolist(), second.mean(axis=1).tolist(), sizes, 0.95
        )
        truth = p1 - p2
        covered += int(gap.low - 1e-12 <= truth <= gap.high + 1e-12)
        width += gap.high - gap.low
    return Cell(queries, epochs, p1, p2, mode, covered / replicates, width / replicates)


def coverage_grid(replicates: int = REPLICATES, seed: int = SEED) -> list[Cell]:
    """Every cell of the grid (queries x epochs x rates x modes), from one seeded generator."""
    rng = np.random.default_rng(seed)
    return [
        run_cell(rng, n, k, p1, p2, mode, replicates)
        for mode in MODES
        for p1, p2 in RATES
        for n in QUERIES
        for k in EPOCHS
    ]


def render(cells: list[Cell]) -> str:
    """The coverage table: one line per (mode, rates, queries), one column per epoch count."""
    lines = [
        f"grid: queries {QUERIES}, epochs {EPOCHS}, (training, unmonitored) rates {RATES}, "
        f"epoch modes {MODES}",
        "",
        f"{'mode':<12}{'training':>9}{'unmon.':>8}{'queries':>8}"
        + "".join(f"{f'{k} ep':>9}" for k in EPOCHS),
    ]
    rows: dict[tuple[Mode, float, float, int], dict[int, float]] = {}
    for c in cells:
        rows.setdefault((c.mode, c.training, c.unmonitored, c.queries), {})[c.epochs] = c.coverage
    for (mode, p1, p2, n), by_epochs in rows.items():
        lines.append(
            f"{mode:<12}{p1:>9.2f}{p2:>8.2f}{n:>8}"
            + "".join(f"{100 * by_epochs[k]:>8.1f}%" for k in EPOCHS)
        )
    worst = min(cells, key=lambda c: c.coverage)
    lines += [
        "",
        f"lowest coverage {100 * worst.coverage:.1f}% ({worst.mode}, rates "
        f"{worst.training}/{worst.unmonitored}, {worst.queries} queries, {worst.epochs} epochs)",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=REPLICATES)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    print(render(coverage_grid(args.replicates, args.seed)))


if __name__ == "__main__":
    main()
