"""docs/open_weight.md works as written, against the loopback fake posing as a vLLM server.

The commands of the sections marked *(tested)* are run as the doc writes them (only the
server's address becomes the fake's), with the fake reporting a 16,384-token context in
``/v1/models`` and enforcing it like vLLM. Plus, in-process: a ``length`` finish reason
labels the sample ``truncated``, a reply with a lone ``</think>`` is read in native mode,
and a server's context-length error becomes the same clear message.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from benchmarks.fake_api import FakeConfig, FakeServer
from inspect_ai import eval
from inspect_ai.log import list_eval_logs, read_eval_log

from af_tasks.context import translate_server_error

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "open_weight.md"
SERVED = "meta-llama/Llama-3.1-70B-Instruct"
CONTEXT = 16384
BIN = Path(sys.executable).parent


def doc_blocks(text: str) -> list[tuple[str, list[str]]]:
    """(section heading, commands) of every bash block under a heading marked *(tested)*;
    backslash continuations joined."""
    blocks: list[tuple[str, list[str]]] = []
    heading = ""
    for part in re.split(r"(^#+ .*$)", text, flags=re.MULTILINE):
        if part.startswith("#"):
            heading = part
            continue
        if "(tested)" not in heading:
            continue
        for block in re.findall(r"```bash\n(.*?)```", part, re.DOTALL):
            joined = block.replace("\\\n", " ")
            blocks.append((heading, [" ".join(c.split()) for c in joined.splitlines() if c]))
    return blocks


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeServer]:
    with FakeServer(FakeConfig(context_length=CONTEXT, served_model=SERVED)) as server:
        yield server


def _run(command: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    args = command.split()
    args[0] = str(BIN / args[0])
    return subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )


def _chat_requests(server: FakeServer) -> int:
    return sum(int(m.get("requests", 0)) for m in server.stats().get("models", {}).values())


def test_the_doc_marks_the_commands_it_promises(fake: FakeServer) -> None:
    blocks = doc_blocks(DOC.read_text(encoding="utf-8"))
    commands = [c for _, cs in blocks for c in cs if c.startswith(("inspect", "af-report"))]
    assert len(commands) == 5
    assert any("--max-tokens 16000" in c for c in commands)
    assert any("scratchpad=native" in c for c in commands)
    assert any(c.startswith("inspect eval-set") for c in commands)


# Five CLI subprocesses (each starts Inspect afresh): about a minute of CPU, so `make test-all`
# and CI run it; the in-process tests below cover the pre-flight and the fake in `make test`.
@pytest.mark.slow
def test_doc_commands_run_as_written_against_the_fake(fake: FakeServer, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_BASE_URL", "_API_KEY"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["INSPECT_LOG_DIR"] = str(tmp_path / "logs")
    for heading, commands in doc_blocks(DOC.read_text(encoding="utf-8")):
        fake.reset(
            FakeConfig(context_length=CONTEXT, served_model=SERVED, think="Reasoning" in heading)
        )
        for command in commands:
            if command.startswith("export "):
                name, value = command.removeprefix("export ").split("=", 1)
                env[name] = re.sub(r"http://localhost:\d+", fake.url, value)
                continue
            before = _chat_requests(fake)
            done = _run(command, env, tmp_path)
            if "--max-tokens 16000" in command:
                # the pre-flight: one clear message, before any request reaches the server
                assert done.returncode != 0, done.stdout
                message = " ".join((done.stderr + done.stdout).split())
                assert f"more than the model's context of {CONTEXT} tokens" in message
                assert "plus the output budget (16000 tokens)" in message
                assert "--max-tokens" in message and "--max-model-len" in message
                assert _chat_requests(fake) == before
                continue
            assert done.returncode == 0, (command, done.stderr[-3000:])
            assert _chat_requests(fake) > before or command.startswith("af-report")
            if "scratchpad=native" in command:
                logs = list_eval_logs(str(tmp_path / "logs"))
                log = read_eval_log(max(logs, key=lambda info: info.mtime or 0))
                answers = {s.scores["compliance"].answer for s in log.samples or []}  # type: ignore[index]
                assert answers <= {"accepted", "rejected"} and answers
    assert (tmp_path / "logs" / "open-weight").is_dir() or list((tmp_path).rglob("open-weight"))


def test_length_finish_reason_is_truncated_never_a_refusal(
    fake: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.reset(FakeConfig(context_length=CONTEXT, served_model=SERVED))
    monkeypatch.setenv("VLLM_BASE_URL", f"{fake.url}/v1")
    monkeypatch.setenv("VLLM_API_KEY", "local-key")
    log = eval(
        "af_tasks/free_vs_paid",
        model=f"openai-api/vllm/{SERVED}",
        task_args={"scorers": "compliance", "max_turns": 1},
        limit=2,
        max_tokens=40,
        log_dir=str(tmp_path / "logs"),
        display="none",
    )[0]
    assert log.status == "success", log.error
    for sample in log.samples or []:
        assert sample.output.stop_reason == "max_tokens"
        assert sample.scores is not None
        assert sample.scores["compliance"].answer == "truncated"
        assert "stop reason max_tokens" in (sample.scores["compliance"].explanation or "")


def test_servers_context_error_becomes_the_clear_message(
    fake: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the server lists another model, so the pre-flight cannot learn the context length
    fake.reset(FakeConfig(context_length=2000, served_model="another-model"))
    monkeypatch.setenv("VLLM_BASE_URL", f"{fake.url}/v1")
    monkeypatch.setenv("VLLM_API_KEY", "local-key")
    log = eval(
        "af_tasks/free_vs_paid",
        model=f"openai-api/vllm/{SERVED}",
        task_args={"scorers": "compliance"},
        limit=1,
        log_dir=str(tmp_path / "logs"),
        display="none",
    )[0]
    assert log.status == "error" and log.error is not None
    text = " ".join(log.error.traceback.split())
    assert "ContextLengthError" in text
    assert "plus the output budget (4000 tokens)" in text
    assert "more than the model's context of 2000 tokens" in text


def test_server_error_wording_is_read() -> None:
    vllm = (
        "This model's maximum context length is 16384 tokens. However, you requested 20000 "
        "tokens (4000 in the messages, 16000 in the completion). Please reduce the length."
    )
    message = translate_server_error(vllm)
    assert message is not None
    assert "The prompt (4000 tokens) plus the output budget (16000 tokens)" in message
    assert "at most 12384 tokens" in message
    assert translate_server_error("Rate limit reached") is None
