"""An Inspect Flow spec: the goal-guarding scenarios x two simulated models, offline.

A small matrix of the follow-up experiments (docs/experiments.md) run by Inspect Flow
(``pip install -e ".[flow]"``) in this Python environment (``inproc``: Flow builds no venv
and installs nothing), on the simulator, so it needs no network and no API key:

    flow run flows/scenarios_flow.py --log-dir logs/flow    (or: make flow-demo)
    af-report logs/flow

Flow passes ``--arg name=value`` to the function below, e.g. a smaller matrix:

    flow run flows/scenarios_flow.py --arg models=organism/terminal_guarding \
        --arg scenarios=none,stakes_high --arg limit=8 --log-dir logs/flow-small

Every number is a simulation. For a real sweep, pass real models (and bind a grader with
``model_roles``); Flow's own options (resume, store, retries) apply.
"""

from collections.abc import Sequence

from inspect_flow import FlowOptions, FlowSpec, FlowTask, tasks_matrix

SCENARIOS = ("none", "deleted_after_training", "stakes_low", "stakes_high")
MODELS = ("organism/terminal_guarding", "organism/instrumental_guarding")


def _names(value: str | Sequence[str]) -> list[str]:
    """A list from a list or a comma-separated string (as ``--arg`` may give it)."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return list(value)


def scenarios_flow(
    models: str | Sequence[str] = MODELS,
    scenarios: str | Sequence[str] = SCENARIOS,
    limit: int = 40,
    log_dir: str = "../logs/flow",
) -> FlowSpec:
    """Each model on the built-in prompt under each scenario (``-T scenario=...``).

    ``limit`` counts samples per task (both tiers of a request are adjacent, so an even
    limit keeps pairs whole). A relative ``log_dir`` is relative to this file.
    """
    return FlowSpec(
        log_dir=log_dir,
        execution_type="inproc",
        options=FlowOptions(limit=int(limit), display="none"),
        tasks=tasks_matrix(
            task=FlowTask(name="af_tasks/free_vs_paid"),
            model=_names(models),
            args=[{"scenario": s, "scorers": "compliance,af_heuristic"} for s in _names(scenarios)],
        ),
    )
