"""Metrics as an eval computes them: per-epoch scores, Inspect's own epoch reducer, then the
metric.

A metric sees what the epoch reducer leaves (or, declared ``scores="unreduced"``, every
epoch), never the scorer's value as such, so a test that hands a metric hand-built
``SampleScore``s can pass while ``--epochs`` reports something else. Here a scorer replays a
table of per-epoch values through a real ``inspect_ai.eval``. No model is called (the solver
does nothing), so nothing estimates tokens and nothing reaches the network. The module name
is the one the Inspect Evals register's lint looks for in a metric test.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

from inspect_ai import Epochs, Task, eval
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.scorer import Metric, Score, Scorer, Target, Value, scorer
from inspect_ai.solver import Generate, Solver, TaskState, solver

Table = Sequence[Sequence[Value]]
"""One row per sample: its score in each epoch."""


@solver
def _no_model() -> Solver:
    async def solve(state: TaskState, generate: Generate) -> TaskState:
        return state

    return solve


def _replay(table: Table) -> Scorer:
    @scorer(metrics=[], name="replay")
    def replay() -> Scorer:
        async def score(state: TaskState, target: Target) -> Score:
            return Score(value=table[int(str(state.sample_id))][state.epoch - 1])

        return score

    return replay()


def run_metrics(
    metrics: list[Metric],
    table: Table,
    *,
    reducer: str = "mean",
    metadata: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Value]:
    """Every metric value the eval's results report, by name, for ``table`` under
    ``reducer`` (all rows must have the same number of epochs)."""
    epochs = {len(row) for row in table}
    assert len(epochs) == 1, "every sample needs the same number of epochs"
    samples = [
        Sample(id=str(n), input="-", metadata=dict(metadata[n]) if metadata else None)
        for n in range(len(table))
    ]
    task = Task(
        dataset=MemoryDataset(samples),
        solver=_no_model(),
        scorer=_replay(table),
        metrics=metrics,
        epochs=Epochs(epochs.pop(), reducer),
    )
    with tempfile.TemporaryDirectory() as log_dir:
        (log,) = eval(task, model="mockllm/model", display="none", log_dir=log_dir)
    assert log.status == "success", log.error
    assert log.results is not None
    found: dict[str, Value] = {}
    for result in log.results.scores:
        found.update({name: metric.value for name, metric in result.metrics.items()})
    return found


def same(a: Value | None, b: Value | None) -> bool:
    """Equal, with NaN equal to NaN and floats compared to rounding error."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, abs_tol=1e-12)
    return a == b


def assert_agreeing_epochs_change_nothing(
    metrics: list[Metric],
    scores: Sequence[Value],
    *,
    metadata: Sequence[Mapping[str, Any]] | None = None,
    epochs: int = 3,
    reducers: Sequence[str] = ("mean", "mode"),
) -> dict[str, Value]:
    """Each score repeated over ``epochs`` equal epochs gives the metrics of one epoch, under
    each reducer; returns the one-epoch values (for the test's own exact assertions)."""
    one = run_metrics(metrics, [[s] for s in scores], metadata=metadata)
    assert one, "the metrics reported nothing"
    for reducer in reducers:
        repeated = run_metrics(
            metrics, [[s] * epochs for s in scores], reducer=reducer, metadata=metadata
        )
        differ = {k: (one.get(k), repeated.get(k)) for k in one.keys() | repeated.keys()}
        differ = {k: v for k, v in differ.items() if not same(*v)}
        assert differ == {}, f"{epochs} equal epochs under {reducer} changed {differ}"
    return one
