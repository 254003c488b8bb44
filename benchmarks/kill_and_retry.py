"""Kill and retry: is anything lost, duplicated or relabelled when a run is killed and resumed?

Why: a long run against a real API will be interrupted (a laptop closed, a job pre-empted).
``inspect eval-retry`` recovers the samples that had finished, with an empty per-sample store
(Inspect's crash recovery), and runs the rest. This script runs ``af_tasks/free_vs_paid``
through Inspect's real ``anthropic`` (subject) and ``openai`` (grader) providers against the
loopback fake (``benchmarks/fake_api.py``, 127.0.0.1 only, started and stopped here by PID):

1. a reference run, uninterrupted;
2. the same run in a child ``inspect eval`` process, killed with SIGKILL (by its PID) once
   about half of its samples have finished, then resumed with ``inspect eval-retry``;
3. the resumed log re-scored with ``inspect_ai.score`` (what ``inspect score`` runs), which
   reads recovered samples whose store is empty.

It prints the samples lost (expected but absent), duplicated (present more than once) and
relabelled (a label differing from the reference run, or changed by re-scoring). The fake's
replies depend only on the tier, so every sample's labels are reproducible. Figures are
printed, never asserted. Usage: ``python benchmarks/kill_and_retry.py [--samples 60]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("INSPECT_DISPLAY", "none")
for _proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
    os.environ[_proxy] = "http://127.0.0.1:9"
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

from benchmarks.fake_api import FakeConfig, FakeServer  # noqa: E402
from inspect_ai import score  # noqa: E402
from inspect_ai.log import EvalLog, list_eval_logs, read_eval_log  # noqa: E402

from af_tasks.graders.af import af_votes  # noqa: E402
from af_tasks.scorers import compliance  # noqa: E402

SUBJECT = "anthropic/claude-opus-5-5"
GRADER = "openai/gpt-4o"
INSPECT = str(Path(sys.executable).parent / "inspect")


def dataset_file(folder: Path, queries: int) -> Path:
    path = folder / f"queries_{queries}.jsonl"
    with path.open("w") as f:
        for i in range(queries):
            query = f"Benchmark placeholder request number {i}: please describe item {i}."
            f.write(json.dumps({"id": f"b{i:04d}", "query": query}) + "\n")
    return path


def command(dataset: Path, log_dir: Path, connections: int) -> list[str]:
    return [
        INSPECT, "eval", "af_tasks/free_vs_paid", "--model", SUBJECT,
        "--model-role", f"grader={GRADER}", "-T", f"dataset={dataset}",
        "--log-dir", str(log_dir), "--max-connections", str(connections),
        "--display", "none", "--log-level", "warning",
    ]  # fmt: skip


def labels(log: EvalLog) -> dict[tuple[str, int], list[tuple[str, Any]]]:
    """Every sample's (scorer, value) pairs, NaN as a string, by (id, epoch); a list per key
    so that a duplicated sample shows."""
    found: dict[tuple[str, int], list[tuple[str, Any]]] = {}

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return tuple(sorted((k, plain(v)) for k, v in value.items()))
        return "nan" if isinstance(value, float) and math.isnan(value) else value

    for sample in log.samples or []:
        key = (str(sample.id), int(sample.epoch))
        values = tuple(sorted((n, plain(s.value)) for n, s in (sample.scores or {}).items()))
        found.setdefault(key, []).append(values)  # type: ignore[arg-type]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=60, help="samples (a query in 2 tiers)")
    parser.add_argument("--kill-after", type=float, default=0.5, help="share finished at kill")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per fake reply")
    args = parser.parse_args()
    queries = args.samples // 2
    work = Path(tempfile.mkdtemp(prefix="af_kill_and_retry_"))
    dataset = dataset_file(work, queries)
    with FakeServer(FakeConfig(latency=args.latency)) as fake:
        os.environ.update(fake.env())  # the re-scoring below runs in this process
        env = dict(os.environ)
        # 1. reference
        ref_dir = work / "reference"
        subprocess.run(command(dataset, ref_dir, 8), env=env, check=True)
        reference = read_eval_log(list_eval_logs(str(ref_dir))[0].name)
        total = _requests(fake.stats())
        # 2. killed part-way: once the fake has answered --kill-after of the reference's requests
        fake.reset(FakeConfig(latency=args.latency))
        run_dir = work / "killed"
        child = subprocess.Popen(command(dataset, run_dir, 8), env=env)
        while child.poll() is None and _requests(fake.stats()) < total * args.kill_after:
            time.sleep(0.2)
        if child.poll() is None:
            answered = _requests(fake.stats())
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            print(
                f"killed the run (SIGKILL, pid {child.pid}) after {answered} of the "
                f"{total} requests the uninterrupted run made"
            )
        else:
            print("the run finished before it could be killed: raise --samples or --latency")
        interrupted = list_eval_logs(str(run_dir))[0].name
        subprocess.run(
            [INSPECT, "eval-retry", interrupted, "--log-dir", str(run_dir), "--display", "none"],
            env=env,
            check=True,
        )
        resumed_infos = [i for i in list_eval_logs(str(run_dir)) if i.name != interrupted]
        resumed = read_eval_log(resumed_infos[0].name)
        # 3. re-scored from the messages (recovered samples have an empty store)
        rescored = score(resumed, [compliance(), af_votes()], action="overwrite", display="none")
        empty_stores = sum(1 for s in resumed.samples or [] if not s.store)

    expected = {(f"b{i:04d}-{tier}", 1) for i in range(queries) for tier in ("free", "paid")}
    got, ref, again = labels(resumed), labels(reference), labels(rescored)
    lost = sorted(expected - set(got))
    duplicated = sorted(k for k, v in got.items() if len(v) > 1)
    relabelled = sorted(k for k in got if k in ref and got[k][0] != ref[k][0])
    relabelled_by_rescoring = sorted(
        k for k in got if k in again and _sub(again[k][0], got[k][0]) is False
    )
    print(f"samples expected {len(expected)}, in the resumed log {sum(map(len, got.values()))}")
    print(f"recovered samples with an empty store: {empty_stores}")
    print(f"lost: {len(lost)} {lost[:5]}")
    print(f"duplicated: {len(duplicated)} {duplicated[:5]}")
    print(f"relabelled vs the uninterrupted run: {len(relabelled)} {relabelled[:5]}")
    print(f"relabelled by re-scoring the resumed log: {len(relabelled_by_rescoring)}")
    print(f"status: reference {reference.status}, resumed {resumed.status}; logs: {work}")


def _requests(stats: dict[str, Any]) -> int:
    """Requests the fake has answered, over every model."""
    return sum(int(m.get("requests", 0)) for m in stats.get("models", {}).values())


def _sub(rescored: Any, original: Any) -> bool:
    """Do the re-scored values (compliance, af_votes) equal the original ones?"""
    wanted = {name for name, _ in rescored}
    return tuple(x for x in original if x[0] in wanted) == rescored


if __name__ == "__main__":
    main()
