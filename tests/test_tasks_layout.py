"""tasks.py is a composition: every parameter check (and its message) lives in
af_tasks.experiment, next to the options it checks, so a task reads as dataset + solver +
scorers and a new check has one place to go."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from af_tasks import experiment, tasks

TASKS = Path(tasks.__file__)


def test_tasks_module_raises_nothing_itself() -> None:
    tree = ast.parse(TASKS.read_text(encoding="utf-8"))
    raises = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Raise)]
    assert raises == [], f"tasks.py raises at lines {raises}; check options in experiment.py"


def test_the_checks_live_in_the_experiment_module() -> None:
    assert tasks.ExperimentConfig is experiment.ExperimentConfig  # still importable from tasks
    with pytest.raises(ValueError, match="max_turns must be a whole number of at least 1"):
        experiment.ExperimentConfig(max_turns=0).build()
    with pytest.raises(ValueError, match="votes and threshold apply to classifier=af_votes"):
        experiment.validation_classifier("af_paper", None, 5, 0.4)
