"""What the full set would cost, projected from a pilot's measured tokens.

A first real run should be priced before it is paid for. A pilot (the same command with a small
even ``--limit``) measures what a sample really uses: the subject's turns and scratchpads, the
grader's votes, the prompt cache. This module scales those tokens to the full task and prices
them, per model and role, at the dated list prices, with the batch-mode price beside.

The projection, per pilot log (one subject on one task):

    tokens(full, model, role) = tokens(pilot, model, role) / samples(pilot) * samples(full)

where ``samples(pilot)`` is the number of samples the pilot completed (epochs included) and
``samples(full)`` the task's dataset size times the pilot's epochs, both read from the log
header. The other bundled experiment tasks are projected at their own default sizes with the
same tokens per sample: a rougher figure, since their prompts and scorers differ (a pilot of
that task measures it). Assumptions, stated in the report: the pilot's requests are a fair
sample of the set (the bundled requests are interleaved by category, so a ``--limit`` mixes
topics); prompt caching behaves as in the pilot (a longer run writes the cache relatively less
often, so the projection leans high); prices are the table's, dated.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import pandas as pd
from inspect_ai import Task
from inspect_ai.log import read_eval_log

from af_tasks.report.cost import TOKEN_COLUMNS, Price, price_for
from af_tasks.tasks import animal_welfare, exfiltration, free_vs_paid

PROJECTION_COLUMNS = [
    "subject",
    "pilot_task",
    "task",
    "samples",
    "model",
    "role",
    *TOKEN_COLUMNS,
    "cost_usd",
    "batch_cost_usd",
    "price_as_of",
]


@dataclass(frozen=True)
class PilotRun:
    """One log's size: how many samples it completed, and how many its full task has."""

    log: str
    task: str
    """The task's name without the package prefix (``free_vs_paid``)."""
    subject: str
    samples: int
    """Samples completed (sample-epochs)."""
    full_samples: int
    """The task's dataset size (as run: same parameters, no ``--limit``) times its epochs."""

    @property
    def is_pilot(self) -> bool:
        return 0 < self.samples < self.full_samples


def pilot_runs(logs: Sequence[str]) -> list[PilotRun]:
    """The size of each log, from its header alone."""
    runs = []
    for log in logs:
        header = read_eval_log(log, header_only=True)
        epochs = header.eval.config.epochs or 1
        completed = header.results.completed_samples if header.results is not None else 0
        runs.append(
            PilotRun(
                log=log,
                task=header.eval.task.split("/")[-1],
                subject=header.eval.model,
                samples=completed,
                full_samples=(header.eval.dataset.samples or 0) * epochs,
            )
        )
    return runs


BUNDLED_TASKS: dict[str, Callable[[], Task]] = {
    "free_vs_paid": free_vs_paid,
    "animal_welfare": animal_welfare,
    "exfiltration": exfiltration,
}
"""The bundled experiment tasks a pilot is also projected onto, at their defaults."""


@cache
def bundled_task_sizes() -> dict[str, int]:
    """Samples in each bundled experiment task at its defaults (both tiers, both arms)."""
    return {name: len(make().dataset) for name, make in BUNDLED_TASKS.items()}


def projection_table(
    usage: pd.DataFrame, pilots: Sequence[PilotRun], prices: Sequence[Price]
) -> pd.DataFrame:
    """Projected tokens and price of the full set, per pilot, task, model and role.

    ``usage`` holds billed tokens with at least the columns ``log``, ``model``, ``role`` and
    :data:`TOKEN_COLUMNS` (one row per request or per model and role of a log). Rows that
    Inspect's response cache answered (a true ``cached`` column) cost nothing and are left out.
    The pilot's own task comes first, at its size as run; then the other bundled tasks.
    """
    if "cached" in usage.columns:
        usage = usage[~usage["cached"].astype(bool)]
    rows = []
    for pilot in pilots:
        if not pilot.is_pilot:
            continue
        measured = usage[usage["log"] == pilot.log]
        if measured.empty:
            continue
        per_sample = measured.groupby(["model", "role"], sort=True)[list(TOKEN_COLUMNS)].sum()
        per_sample = per_sample / pilot.samples
        # the other bundled tasks, unless this subject has a pilot of its own on them
        measured_tasks = {p.task for p in pilots if p.subject == pilot.subject and p.is_pilot}
        targets = {pilot.task: pilot.full_samples}
        targets.update({k: v for k, v in bundled_task_sizes().items() if k not in measured_tasks})
        for task, samples in targets.items():
            for (model, role), tokens in per_sample.iterrows():
                projected = {c: float(tokens[c]) * samples for c in TOKEN_COLUMNS}
                price = price_for(str(model), prices)
                rows.append(
                    {
                        "subject": pilot.subject,
                        "pilot_task": pilot.task,
                        "task": task,
                        "samples": samples,
                        "model": model,
                        "role": role,
                        **{c: round(projected[c]) for c in TOKEN_COLUMNS},
                        "cost_usd": price.cost(projected, 0.0) if price else math.nan,
                        "batch_cost_usd": price.cost(projected, 1.0) if price else math.nan,
                        "price_as_of": price.as_of if price else "",
                    }
                )
    return pd.DataFrame(rows, columns=PROJECTION_COLUMNS)


def _dollars(value: float) -> str:
    return "no price" if math.isnan(value) else f"${value:,.2f}"


def projection_markdown(table: pd.DataFrame, pilots: Sequence[PilotRun]) -> str:
    """The "Projected cost of the full set" section of ``report.md`` (empty without a pilot)."""
    if table.empty:
        return ""
    sizes = ", ".join(
        f"{p.subject} on {p.task}: {p.samples:,} of {p.full_samples:,} samples"
        for p in pilots
        if p.is_pilot
    )
    dates = sorted({str(d) for d in table["price_as_of"] if d})
    lines = [
        "## Projected cost of the full set (an estimate)",
        "",
        f"These logs are a pilot ({sizes}). Projection: the pilot's measured tokens per "
        "sample, per model and role, times the full set's samples, priced at the list prices "
        f"of the price table ({', '.join(dates) or 'undated'}; check them before use); the "
        "batch column is the same tokens at the batch discount (`--batch`). Assumptions: the "
        "pilot's requests are typical of the set; prompt caching behaves as in the pilot (a "
        "longer run writes the cache relatively less often, so this leans high); the other "
        "bundled tasks use as many tokens per sample as this pilot did (rougher: their prompts "
        "and scorers differ; a pilot of that task measures them).",
        "",
        "| subject | task | samples | role | model | input | cache read | cache write | "
        "output | cost | batch cost |",
        "|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in table.itertuples(index=False):
        lines.append(
            f"| {row.subject} | {row.task} | {row.samples:,} | {row.role} | {row.model} | "
            f"{row.input_tokens:,} | {row.cache_read_tokens:,} | {row.cache_write_tokens:,} | "
            f"{row.output_tokens:,} | {_dollars(float(row.cost_usd))} | "
            f"{_dollars(float(row.batch_cost_usd))} |"
        )
    totals = table.groupby(["subject", "task"], sort=False)[["cost_usd", "batch_cost_usd"]].sum(
        min_count=1
    )
    lines += ["", "Totals (every role):", ""]
    for (subject, task), total in totals.iterrows():
        lines.append(
            f"- {subject}, {task}: {_dollars(float(total['cost_usd']))} "
            f"({_dollars(float(total['batch_cost_usd']))} in batch mode)"
        )
    return "\n".join(lines) + "\n"


def projection_summary(table: pd.DataFrame) -> str:
    """One sentence for the summary: the projected cost of each pilot's own full task."""
    if table.empty:
        return ""
    own = table[table["task"] == table["pilot_task"]]
    totals = own.groupby(["subject", "task", "samples"], sort=False)[
        ["cost_usd", "batch_cost_usd"]
    ].sum(min_count=1)
    parts = [
        f"{subject} on the full {task} ({samples:,} samples): about "
        f"{_dollars(float(t['cost_usd']))}, {_dollars(float(t['batch_cost_usd']))} in batch mode"
        for (subject, task, samples), t in totals.iterrows()
    ]
    return (
        "Projected from this pilot (an estimate at the table's list prices; assumptions in "
        "report.md): " + "; ".join(parts) + "."
    )
