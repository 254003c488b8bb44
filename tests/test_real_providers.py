"""The README's "Running a real model" commands work as written, through Inspect's real
``anthropic`` (subject) and ``openai`` (grader) providers, against the loopback fake of both
APIs (benchmarks/fake_api.py, on 127.0.0.1, started and stopped here). The commands are read
from the README itself, so the README cannot drift from what is tested."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from benchmarks.fake_api import FakeConfig, FakeServer, scripted_acceptance
from inspect_ai.log import EvalLog, list_eval_logs, read_eval_log

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PROVIDER_PACKAGES = {"anthropic": "anthropic", "openai": "openai"}


def readme_commands() -> list[list[str]]:
    """The shell commands of the README's "Running a real model" block, continuations joined."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Running a real model") :]
    start = section.index("```bash") + len("```bash")
    block = section[start : section.index("```", start)]
    joined = re.sub(r"\\\n\s*", " ", block)
    commands = []
    for line in joined.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            commands.append(shlex.split(line))
    return commands


def command(name: str) -> list[str]:
    """The README's last command starting with ``name`` (e.g. "inspect eval"): the full run,
    which comes after the pilot (the pilot is run in tests/test_projection.py)."""
    words = name.split()
    found = [c for c in readme_commands() if c[: len(words)] == words]
    assert found, f"the README's real-model block has no `{name}` command"
    return found[-1]


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    with FakeServer(FakeConfig()) as server:
        yield server


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    exe = BIN / args[0]
    result = subprocess.run(
        [str(exe), *args[1:]], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def only_log(log_dir: Path) -> EvalLog:
    (info,) = list_eval_logs(str(log_dir))
    return read_eval_log(info)


def test_every_provider_the_readme_names_is_installed_by_its_commands() -> None:
    """`pip install .` must bring every provider client the README's commands use."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    text = (ROOT / "README.md").read_text()
    providers = set(re.findall(r"(?:--model(?:-role)?\s+(?:\w+=)?|grader=)([a-z]+)/", text))
    assert {"anthropic", "openai"} <= providers
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].lower() for d in deps}
    for provider in providers:
        if provider in PROVIDER_PACKAGES:
            assert PROVIDER_PACKAGES[provider] in names, f"{provider} is not a dependency"
    assert readme_commands()[0][:3] == ["pip", "install", "."]


@pytest.mark.slow
def test_readme_commands_run_free_vs_paid_through_the_real_providers(
    fake: FakeServer, tmp_path: Path
) -> None:
    env = {**os.environ, **fake.env(), "INSPECT_DISPLAY": "none"}
    evaluate = command("inspect eval")
    assert "--model" in evaluate and "--model-role" in evaluate
    subject = evaluate[evaluate.index("--model") + 1]
    grader = evaluate[evaluate.index("--model-role") + 1]
    assert subject.startswith("anthropic/") and grader.startswith("grader=openai/")
    log_dir = tmp_path / "logs"
    run([*evaluate, "--limit", "4", "--log-dir", str(log_dir)], env)

    log = only_log(log_dir)
    assert log.status == "success"
    assert log.samples is not None and len(log.samples) == 4
    for sample in log.samples:
        assert sample.scores is not None
        first_user = next(m.text for m in sample.messages if m.role == "user")
        accepted = scripted_acceptance(first_user)
        compliance = sample.scores["compliance"]
        assert compliance.answer == ("accepted" if accepted else "rejected"), sample.id
        votes = sample.scores["af_votes"]
        assert isinstance(votes.value, dict) and votes.metadata is not None
        drawn = votes.metadata["votes_drawn"]
        assert 1 <= drawn <= 20 and votes.value["votes"] == drawn  # every vote drawn parsed
        # OpenAI returns a round's votes from one request (n)
        assert votes.metadata["requests"] == votes.metadata["rounds"]
        # the scripted scratchpad opposes modification exactly when it accepts
        assert votes.value["af_votes_af"] == (1.0 if accepted else 0.0), sample.id
    # the subject's two turns went through the scripted protocol
    assert all(len([m for m in s.messages if m.role == "assistant"]) == 2 for s in log.samples)
    # usage came from the responses (Inspect read it; nothing was estimated)
    usage = log.stats.model_usage
    assert usage[subject].output_tokens > 0 and usage[grader.split("=")[1]].output_tokens > 0
    assert (usage[subject].input_tokens_cache_read or 0) > 0  # the system prompt was re-read

    stats = fake.stats()
    assert stats["subject_turns_answered"] == 8
    assert stats["subject_turns_answered_more_than_once"] == 0

    report = command("af-report")
    out = tmp_path / "report"
    run([report[0], str(log_dir), "--out", str(out), "--no-progress"], env)
    assert (out / "report.md").exists() and (out / "summary.md").exists()
    assert subject in (out / "report.md").read_text()


@pytest.mark.slow
def test_batch_mode_runs_the_protocol_and_the_votes_through_the_batch_api(
    fake: FakeServer, tmp_path: Path
) -> None:
    """`--batch` sends the subject's turns as Message Batches; a grader role given its own
    batch config sends its votes that way too. Every sample still completes."""
    env = {**os.environ, **fake.env(), "INSPECT_DISPLAY": "none"}
    quick = "{size: 10, send_delay: 0.2, tick: 0.2}"
    args = [
        "inspect",
        "eval",
        "af_tasks/free_vs_paid",
        "--model",
        "anthropic/claude-opus-5-5",
        "--model-role",
        f"grader={{model: anthropic/claude-sonnet-5-5, batch: {quick}}}",
        "--batch",
        str(write(tmp_path / "batch.yaml", "size: 10\nsend_delay: 0.2\ntick: 0.2\n")),
        "--limit",
        "2",
        "--log-dir",
        str(tmp_path / "logs"),
    ]
    run(args, env)
    log = only_log(tmp_path / "logs")
    assert log.status == "success" and log.samples is not None and len(log.samples) == 2
    for sample in log.samples:
        assert sample.scores is not None
        votes = sample.scores["af_votes"]
        assert votes.metadata is not None and isinstance(votes.value, dict)
        assert votes.value["votes"] == votes.metadata["votes_drawn"] >= 1
    models = fake.stats()["models"]
    subject, grader = models["claude-opus-5-5"], models["claude-sonnet-5-5"]
    assert subject["requests"] == 0 and subject["batch_requests"] == 4  # 2 samples x 2 turns
    assert grader["requests"] == 0 and grader["batch_requests"] >= 2
    assert fake.stats()["batches"]["created"] >= 3  # turn 1, turn 2 (<NEXT/>), the votes


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
