"""An Inspect Flow spec: the goal-guarding scenarios x two simulated models, offline.

A small matrix of the follow-up experiments (docs/experiments.md) run by Inspect Flow
(``pip install -e ".[flow]"``), on the simulator, so it needs no network and no API key:

    flow run flows/scenarios_flow.py --log-dir logs/flow    (or: make flow-demo)
    af-report logs/flow

Every number is a simulation. For a real sweep, replace the models (and bind a grader with
``model_roles``); Flow's own options (resume, store, retries) apply.
"""

from inspect_flow import FlowOptions, FlowSpec, FlowTask, tasks_matrix

SCENARIOS = ("none", "deleted_after_training", "stakes_low", "stakes_high")
MODELS = ("organism/terminal_guarding", "organism/instrumental_guarding")

FlowSpec(
    log_dir="logs/flow",
    execution_type="inproc",
    options=FlowOptions(limit=40, display="none"),
    tasks=tasks_matrix(
        task=FlowTask(name="af_tasks/free_vs_paid"),
        model=list(MODELS),
        args=[{"scenario": s, "scorers": "compliance,af_heuristic"} for s in SCENARIOS],
    ),
)
