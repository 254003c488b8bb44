"""eval.yaml, what listings and the Inspect Evals register read, names the tasks the package
really exports and carries every field the register requires."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from inspect_ai.util import registry_info

import af_tasks

EVAL_YAML = Path(af_tasks.__file__).parent / "eval.yaml"
REQUIRED = ("title", "description", "group", "contributors", "tasks")


def _eval_yaml() -> dict[str, Any]:
    data = yaml.safe_load(EVAL_YAML.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_eval_yaml_has_the_required_fields() -> None:
    data = _eval_yaml()
    assert [key for key in REQUIRED if not data.get(key)] == []
    assert all(isinstance(name, str) and name for name in data["contributors"])


def _is_task(obj: object) -> bool:
    try:
        return registry_info(obj).type == "task"
    except ValueError:  # not a registered Inspect object (e.g. the ablations helper)
        return False


def test_eval_yaml_lists_exactly_the_exported_tasks() -> None:
    listed = [entry["name"] for entry in _eval_yaml()["tasks"]]
    exported = [name for name in af_tasks.__all__ if _is_task(getattr(af_tasks, name))]
    assert len(exported) == 5  # the check above recognises the package's tasks
    assert sorted(listed) == sorted(exported)
    assert len(listed) == len(set(listed))
