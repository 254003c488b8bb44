"""Test setup: no test may reach the network, and Inspect runs quietly into temp folders."""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Set before anything imports huggingface_hub/datasets, which read these at import time.
# A private, empty cache keeps tests off the user's caches (and a cached AdvBench from
# hiding the offline error), and an unreachable proxy makes any HTTP attempt by a child
# process (the wheel and CLI tests run subprocesses, which the socket guard cannot see)
# fail at once instead of reaching out.
_SCRATCH = tempfile.mkdtemp(prefix="af_tasks_tests_")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["HF_HOME"] = os.path.join(_SCRATCH, "hf")
os.environ["HF_DATASETS_CACHE"] = os.path.join(_SCRATCH, "hf", "datasets")
os.environ["TIKTOKEN_CACHE_DIR"] = os.path.join(_SCRATCH, "tiktoken")
for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
    os.environ[proxy] = "http://127.0.0.1:9"
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
# Inspect Flow (af-ablations, flows/) runs uv to record the environment; uv asks the package
# index for hashes unless told to stay offline.
os.environ["UV_OFFLINE"] = "1"
os.environ.setdefault("INSPECT_DISPLAY", "none")
for key in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "INSPECT_EVAL_MODEL", "INSPECT_GRADER_MODEL"):
    os.environ.pop(key, None)

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    """Allow local sockets only; anything else is a bug in the test or the code under test."""
    if self.family == socket.AF_UNIX:
        return _real_connect(self, address)
    host = address[0] if isinstance(address, tuple) else str(address)
    if host in ("127.0.0.1", "::1", "localhost"):
        return _real_connect(self, address)
    raise RuntimeError(f"test tried to reach the network: {address!r}")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    yield


@pytest.fixture(autouse=True)
def empty_tiktoken_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty tiktoken cache: if anything estimates tokens with tiktoken, it must download
    its encoding, which the network guard turns into a failure."""
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tiktoken-cache"))
