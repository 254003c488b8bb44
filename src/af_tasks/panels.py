"""A panel of simulated models, for the offline demo of the per-model chart.

Sheshadri et al. (2025) compared 25 models on one chart: the compliance gap with its interval
and the alignment-faking rate, one row per model. ``af-panel`` runs a panel of that size on
the simulator so the chart can be seen offline: each member is an ``organism/*`` preset with
its own seed and rates (drawn deterministically from its index: most gaps small, a few large,
AF reasoning only where there is a gap), named ``sim-NN``: ``organism/faker`` with its rates
overridden, so the preset's name says nothing about a member. Every number is a simulation.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from inspect_ai import eval
from inspect_ai.model import Model, get_model

from af_tasks.organism.situation import unit
from af_tasks.tasks import free_vs_paid


def simulated_panel(size: int = 25) -> list[Model]:
    """``size`` simulated models with distinct rates: unmonitored compliance 2-12%, a gap of
    0-25 points (a squared draw: most small), AF reasoning in up to 90% of the gap's share."""
    if size < 1:
        raise ValueError(f"a panel needs at least one model (got size={size}).")
    models = []
    for i in range(size):
        paid = 0.02 + 0.10 * unit("panel", i, "paid")
        gap = 0.25 * unit("panel", i, "gap") ** 2
        af = min(0.9, 4 * gap * unit("panel", i, "af"))
        models.append(
            get_model(
                "organism/faker",
                name=f"sim-{i + 1:02d}",
                seed=i,
                comply_free=round(paid + gap, 3),
                comply_paid=round(paid, 3),
                af_free=round(af, 3),
            )
        )
    return models


def main(argv: Sequence[str] | None = None) -> int:
    """``af-panel``: run the simulated panel on free_vs_paid, offline, into one log folder."""
    parser = argparse.ArgumentParser(
        prog="af-panel",
        description="Run a panel of simulated models (offline) for the per-model chart.",
    )
    parser.add_argument("--log-dir", required=True, help="folder for the logs")
    parser.add_argument("--size", type=int, default=25, help="models in the panel")
    parser.add_argument("--limit", type=int, default=60, help="samples per model")
    args = parser.parse_args(argv)
    logs = eval(
        free_vs_paid(scorers="compliance,af_heuristic"),
        model=simulated_panel(args.size),
        log_dir=args.log_dir,
        limit=args.limit,
        display="none",
    )
    failed = [log.eval.model for log in logs if log.status != "success"]
    print(f"{len(logs) - len(failed)} of {len(logs)} simulated models ran: {args.log_dir}")
    return 1 if failed else 0
