"""``af-ablations``: the prompt-ablation sweep, run by Inspect Flow.

A sweep over prompt ablations is a matrix (models x ablations), which is what Inspect Flow is
for: it runs the matrix as one Inspect eval set (one folder of logs, failures retried,
finished work skipped when run again) and records the spec (``flow.yaml``) and the
environment (``flow-requirements.txt``) next to the logs, so a sweep can be repeated. This
module only turns the command line into a Flow spec; it keeps no runner of its own.
``af-report`` reads the folder as one comparison (grouped by the ``ablation`` task argument).

Inspect Flow is the optional extra ``flow``. Without it, ``af-ablations`` stops before any
model is called and names the install command (:data:`FLOW_INSTALL`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inspect_ai import Task
from inspect_ai.log import EvalLog

from af_tasks.ablations import ABLATIONS, parse_ablations
from af_tasks.tasks import animal_welfare, free_vs_paid

if TYPE_CHECKING:
    from inspect_flow import FlowSpec

SETTINGS: dict[str, Callable[..., Task]] = {
    "free_vs_paid": free_vs_paid,
    "animal_welfare": animal_welfare,
}

FLOW_INSTALL = 'pip install "af_tasks[flow]"'
"""The command that installs Inspect Flow (and the ``uv`` it calls) for ``af-ablations``."""


class FlowNotInstalled(RuntimeError):
    """Inspect Flow (the optional extra ``flow``) or its ``uv`` is missing."""


def ablation_tasks(
    ablations: str | Sequence[str] | None = None, task: str = "free_vs_paid", **task_args: Any
) -> list[Task]:
    """The baseline task and one task per ablation (all of them unless ``ablations`` says).

    Building them checks every name and task argument, so a typo fails here, before a
    sweep starts.
    """
    if task not in SETTINGS:
        raise ValueError(f"task={task!r} has no ablations; use one of: {', '.join(SETTINGS)}.")
    names = parse_ablations(ablations) if ablations else tuple(ABLATIONS)
    build = SETTINGS[task]
    return [build(**task_args)] + [build(ablation=name, **task_args) for name in names]


def require_flow() -> None:
    """Stop with the install command unless Inspect Flow and ``uv`` are available.

    Flow calls ``uv`` (to record the environment) by its name on the PATH. The extra
    installs ``uv`` next to Python; a venv used without activating it does not have that
    folder on the PATH, so it is added for this process.
    """
    try:
        import inspect_flow  # noqa: F401
    except ImportError as error:
        raise FlowNotInstalled(
            f"af-ablations runs its sweep with Inspect Flow, an optional extra: {FLOW_INSTALL}"
        ) from error
    if shutil.which("uv"):
        return
    try:
        from uv import find_uv_bin
    except ImportError as error:
        raise FlowNotInstalled(
            f"Inspect Flow calls uv, which is not installed: {FLOW_INSTALL}"
        ) from error
    folder = str(Path(find_uv_bin()).parent)
    os.environ["PATH"] = folder + os.pathsep + os.environ.get("PATH", "")


def ablation_spec(
    model: str | Sequence[str],
    log_dir: str,
    ablations: str | Sequence[str] | None = None,
    task: str = "free_vs_paid",
    limit: int | None = None,
    store: str | None = "auto",
    **task_args: Any,
) -> FlowSpec:
    """The Flow spec of the sweep: each model on the baseline and on each ablation.

    ``store`` is Flow's index of finished logs (``"auto"``: Flow's default place; ``None``:
    none). The task arguments are checked first (:func:`ablation_tasks`).
    """
    ablation_tasks(ablations, task, **task_args)
    require_flow()
    from inspect_flow import FlowOptions, FlowSpec, FlowTask, tasks_matrix

    names = parse_ablations(ablations) if ablations else tuple(ABLATIONS)
    models = [model] if isinstance(model, str) else list(model)
    return FlowSpec(
        log_dir=log_dir,
        execution_type="inproc",
        store=store,
        options=FlowOptions(limit=limit),
        tasks=tasks_matrix(
            task=FlowTask(name=f"af_tasks/{task}"),
            model=models,
            args=[dict(task_args)] + [{**task_args, "ablation": name} for name in names],
        ),
    )


def run_ablations(
    model: str | Sequence[str],
    log_dir: str,
    ablations: str | Sequence[str] | None = None,
    task: str = "free_vs_paid",
    limit: int | None = None,
    store: str | None = "auto",
    **task_args: Any,
) -> tuple[bool, list[EvalLog]]:
    """Run the baseline and the ablations with Inspect Flow into ``log_dir`` (resumable).

    Returns whether every task completed and the logs' headers, as ``eval_set`` does.
    """
    spec = ablation_spec(model, log_dir, ablations, task, limit, store, **task_args)
    from inspect_flow.api import run

    result = run(spec, base_dir=os.getcwd())
    return result.success, list(result.logs)


def _value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return int(text)
    except ValueError:
        return text


def main(argv: Sequence[str] | None = None) -> int:
    """``af-ablations``: run a model on the baseline prompt and every ablation."""
    parser = argparse.ArgumentParser(
        prog="af-ablations",
        description=(
            "Run the baseline prompt and each prompt ablation as one Inspect Flow sweep "
            f"(needs the optional extra: {FLOW_INSTALL})."
        ),
    )
    parser.add_argument("--model", required=True, help="model(s), comma-separated")
    parser.add_argument("--log-dir", required=True, help="folder for the eval set's logs")
    parser.add_argument("--task", default="free_vs_paid", choices=sorted(SETTINGS))
    parser.add_argument("--ablations", default=None, help="comma-separated (default: all)")
    parser.add_argument("--limit", type=int, default=None, help="samples per task")
    parser.add_argument(
        "--no-store",
        action="store_true",
        help="do not index the finished logs in Inspect Flow's store",
    )
    parser.add_argument(
        "-T",
        dest="task_args",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a task argument, as with inspect eval (repeatable)",
    )
    args = parser.parse_args(argv)
    task_args: dict[str, Any] = {}
    for item in args.task_args:
        name, sep, value = item.partition("=")
        if not sep:
            parser.error(f"-T takes NAME=VALUE, got {item!r}")
        task_args[name] = _value(value)
    try:
        success, _ = run_ablations(
            args.model.split(","),
            args.log_dir,
            args.ablations,
            args.task,
            args.limit,
            None if args.no_store else "auto",
            **task_args,
        )
    except FlowNotInstalled as error:
        print(f"af-ablations: {error}", file=sys.stderr)
        return 2
    print(f"eval set {'complete' if success else 'incomplete'}: {args.log_dir}")
    return 0 if success else 1
