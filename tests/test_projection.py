"""The priced pilot: af-report projects the cost of the full set from a pilot's measured tokens.

The README's pilot command runs as written (plus a dataset of the first 30 bundled requests,
so that the "full set" is small enough to run here) through Inspect's real ``anthropic`` and
``openai`` providers against the loopback fake (benchmarks/fake_api.py, on 127.0.0.1, started
and stopped here); then the same command without ``--limit`` runs the full set. The
projection from the pilot must match the full run's token sums, per role, within 15%.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from benchmarks.fake_api import FakeConfig, FakeServer
from inspect_ai.log import list_eval_logs, read_eval_log

from af_tasks.report import build_report
from af_tasks.report.cost import TOKEN_COLUMNS, load_prices, price_for
from af_tasks.report.projection import PilotRun, bundled_task_sizes, projection_table

from .test_real_providers import readme_commands

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FULL_REQUESTS = 30
PILOT_LIMIT = 12
TOLERANCE = 0.15


def pilot_command() -> list[str]:
    """The README's pilot: its first `inspect eval`, the one with an even ``--limit``."""
    evals = [c for c in readme_commands() if c[:2] == ["inspect", "eval"]]
    pilot = evals[0]
    limit = int(pilot[pilot.index("--limit") + 1])
    assert limit % 2 == 0 and limit <= 100, "the pilot is a small even --limit"
    return pilot


def _without(command: list[str], *options: str) -> list[str]:
    """``command`` without the given options and their values."""
    out: list[str] = []
    skip = False
    for word in command:
        if skip:
            skip = False
        elif word in options:
            skip = True
        else:
            out.append(word)
    return out


def _role_totals(table: pd.DataFrame) -> dict[str, dict[str, float]]:
    return {
        str(role): {c: float(group[c].sum()) for c in TOKEN_COLUMNS}
        for role, group in table.groupby("role")
    }


@pytest.mark.slow
def test_projection_from_the_readme_pilot_matches_the_full_run(tmp_path: Path) -> None:
    lines = (ROOT / "datasets" / "harmful_requests.jsonl").read_text().splitlines()
    data = tmp_path / "set.jsonl"
    data.write_text("\n".join(lines[:FULL_REQUESTS]) + "\n")
    assert all(json.loads(line)["query"] for line in lines[:FULL_REQUESTS])
    base = _without(pilot_command(), "--limit", "--log-dir") + ["-T", f"dataset={data}"]
    subject = base[base.index("--model") + 1]
    grader = base[base.index("--model-role") + 1].removeprefix("grader=")

    with FakeServer(FakeConfig()) as fake:
        env = {**os.environ, **fake.env(), "INSPECT_DISPLAY": "none"}
        for folder, extra in (("pilot", ["--limit", str(PILOT_LIMIT)]), ("full", [])):
            args = [*base, *extra, "--log-dir", str(tmp_path / folder)]
            result = subprocess.run(
                [str(BIN / args[0]), *args[1:]], env=env, capture_output=True, text=True
            )
            assert result.returncode == 0, result.stderr[-3000:]

    report = build_report(tmp_path / "pilot", out=tmp_path / "report", progress=False)
    projection = report.projection
    assert projection is not None
    own = projection[projection["task"] == "free_vs_paid"]
    assert set(own["samples"]) == {2 * FULL_REQUESTS}
    assert set(own["role"]) == {"subject", "grader"}
    assert set(own["model"]) == {subject, grader}

    full = read_eval_log(list_eval_logs(str(tmp_path / "full"))[0], header_only=True)
    assert full.results is not None and full.results.completed_samples == 2 * FULL_REQUESTS
    actual = {"subject": full.stats.model_usage[subject], "grader": full.stats.role_usage["grader"]}
    projected = _role_totals(own)
    prices = load_prices()
    for role, usage in actual.items():
        measured = {
            "input_tokens": usage.input_tokens,
            "cache_read_tokens": usage.input_tokens_cache_read or 0,
            "cache_write_tokens": usage.input_tokens_cache_write or 0,
            "output_tokens": usage.output_tokens,
        }
        total, guess = sum(measured.values()), sum(projected[role].values())
        assert abs(guess - total) <= TOLERANCE * total, (role, guess, total)
        assert abs(projected[role]["output_tokens"] - usage.output_tokens) <= (
            TOLERANCE * usage.output_tokens
        ), role
        # and the price: the full run's tokens at the same table's prices
        price = price_for(subject if role == "subject" else grader, prices)
        assert price is not None
        cost = float(own.loc[own["role"] == role, "cost_usd"].sum())
        assert abs(cost - price.cost(measured, 0.0)) <= TOLERANCE * price.cost(measured, 0.0)

    # the report's section and the summary state it, with the batch price beside
    markdown = report.paths["table_md"].read_text()
    assert "## Projected cost of the full set (an estimate)" in markdown
    assert f"{PILOT_LIMIT} of {2 * FULL_REQUESTS} samples" in markdown
    assert "Projected from this pilot" in report.summary and "in batch mode" in report.summary


def _usage(log: str, **tokens: float) -> dict[str, object]:
    return {"log": log, "model": "anthropic/claude-sonnet-5-5", "role": "subject", **tokens}


def test_projection_scales_tokens_per_sample_and_prices_each_task() -> None:
    """Exact arithmetic: tokens / pilot samples x full samples, at the list and batch prices."""
    usage = pd.DataFrame(
        [
            _usage(
                "a", input_tokens=4000, cache_read_tokens=0, cache_write_tokens=0, output_tokens=400
            ),
            _usage(
                "a", input_tokens=2000, cache_read_tokens=0, cache_write_tokens=0, output_tokens=200
            ),
        ]
    )
    pilot = PilotRun(
        log="a",
        task="free_vs_paid",
        subject="anthropic/claude-sonnet-5-5",
        samples=40,
        full_samples=912,
    )
    table = projection_table(usage, [pilot], load_prices())
    own = table[table["task"] == "free_vs_paid"].iloc[0]
    assert own["samples"] == 912
    assert own["input_tokens"] == 6000 / 40 * 912 and own["output_tokens"] == 600 / 40 * 912
    # Sonnet 5.5 at $2 / $10 per million tokens, half of it in batch mode
    expected = (6000 / 40 * 912 * 2.00 + 600 / 40 * 912 * 10.00) / 1e6
    assert math.isclose(own["cost_usd"], expected) and math.isclose(
        own["batch_cost_usd"], expected / 2
    )
    sizes = bundled_task_sizes()
    other = table[table["task"] == "animal_welfare"].iloc[0]
    assert other["samples"] == sizes["animal_welfare"] == 144
    assert other["input_tokens"] == 6000 / 40 * 144
    # a full run is not a pilot: nothing to project
    whole = PilotRun(log="a", task="free_vs_paid", subject="x", samples=912, full_samples=912)
    assert projection_table(usage, [whole], load_prices()).empty


def test_a_response_cache_hit_costs_nothing_in_the_projection() -> None:
    usage = pd.DataFrame(
        [
            {
                **_usage(
                    "a",
                    input_tokens=1000,
                    cache_read_tokens=0,
                    cache_write_tokens=0,
                    output_tokens=100,
                ),
                "cached": False,
            },
            {
                **_usage(
                    "a",
                    input_tokens=1000,
                    cache_read_tokens=0,
                    cache_write_tokens=0,
                    output_tokens=100,
                ),
                "cached": True,
            },
        ]
    )
    pilot = PilotRun(log="a", task="free_vs_paid", subject="s", samples=2, full_samples=4)
    own = projection_table(usage, [pilot], load_prices()).iloc[0]
    assert own["input_tokens"] == 2000 and own["output_tokens"] == 200


def test_the_tutorial_runs_the_commands_the_readme_tests() -> None:
    """docs/tutorial.md's real-model commands are the README's pilot and full run, which the
    tests above and tests/test_real_providers.py run against the loopback fake."""
    text = (ROOT / "docs" / "tutorial.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    commands = [
        shlex.split(line.split("#", 1)[0])
        for block in blocks
        for line in re.sub(r"\\\n\s*", " ", block).splitlines()
        if "--model anthropic/" in line
    ]
    readme = [c for c in readme_commands() if c[:2] == ["inspect", "eval"]]
    assert len(commands) == 2 and commands == readme
