"""A bad task parameter on the command line prints one clear message, not a traceback, and
stops before any model call (so no log is written)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

INSPECT = str(Path(sys.executable).parent / "inspect")


def _include_prompt(tmp_path: Path) -> str:
    path = tmp_path / "prompt.txt"
    path.write_text("You are an AI.\n{% include 'examples.txt' %}\n", encoding="utf-8")
    return str(path)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("task", "arg", "fix"),
    [
        ("free_vs_paid", "tiers=bogus", "use one of: both, all, free, paid, none"),
        ("free_vs_paid", "max_turns=0", "max_turns must be a whole number of at least 1"),
        ("free_vs_paid", "scorers=bogus", "Valid names for this task"),
        ("free_vs_paid", "dataset=missing/queries.csv", "no such file. Give an existing"),
        ("free_vs_paid", "system_prompt={include}", "Replace each with the text"),
        ("free_vs_paid", "scorers=", "-T scorers is empty; give it a value"),
        ("synthetic_documents", "types_per_fact=0", "types_per_fact must be a whole number"),
        ("synthetic_documents", "setting=", "-T setting is empty"),
        ("synthetic_documents", "universe=", "-T universe is empty; give the path of your own"),
    ],
)
def test_bad_parameter_prints_a_short_message_and_no_traceback(
    tmp_path: Path, task: str, arg: str, fix: str
) -> None:
    arg = arg.format(include=_include_prompt(tmp_path))
    logs = tmp_path / "logs"
    # as a user runs it: the tests' quiet display would print nothing at all
    env = {k: v for k, v in os.environ.items() if k != "INSPECT_DISPLAY"}
    done = subprocess.run(
        [INSPECT, "eval", f"af_tasks/{task}", "-T", arg, "--model", "organism/faker"]
        + ["--log-dir", str(logs)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode != 0
    printed = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert len(done.stderr.splitlines()) <= 5, done.stderr
    assert len(printed) <= 5, printed
    assert "Traceback" not in done.stdout + done.stderr
    assert fix in " ".join(" ".join(printed).split()), printed
    assert printed[0].startswith(f"Error: {task}:")
    assert not logs.exists() or not any(logs.iterdir())  # stopped before the eval started
