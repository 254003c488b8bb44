"""Grading at scale: free_vs_paid through Inspect's real providers against the loopback fake.

Why: at the published scale the grader bill and the robustness of long runs, not the harness,
decide whether a lab can run the suite. This script runs ``af_tasks/free_vs_paid`` through
Inspect's own ``anthropic`` (subject) and ``openai``/``anthropic`` (grader) providers against
``benchmarks/fake_api.py`` (127.0.0.1 only, started and stopped here, by PID) and prints, per
run: requests per sample for the subject and for af_votes, input / cache-read / cache-write /
output tokens per role, the cache-read share of input per role, wall and CPU time next to a
bare Inspect task that makes the same requests, and whether every sample was completed and
scored exactly once. Runs:

1. ``openai``: OpenAI grader (votes as one ``n=20`` request);
2. ``anthropic``: Anthropic grader (no ``n``: whatever af_votes does for such providers);
3. ``batch``: Anthropic subject and grader through the Message Batches API (``--batch``);
4. ``faults``: 400 samples with 20% injected 429/500/529 and 5% hangs, run with the README's
   retry recipe scaled to the fake's speed (an attempt timeout of a few times the slowest
   healthy call).

Offline; about 3-6 minutes on 2 cores. Figures are printed, never asserted. Usage:
``python benchmarks/grading_at_scale.py [--samples 200] [--fault-samples 400] [--runs ...]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("INSPECT_DISPLAY", "none")
# nothing below may leave the machine: any stray HTTP goes to a closed local port
for _proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
    os.environ[_proxy] = "http://127.0.0.1:9"
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

from benchmarks.fake_api import FakeConfig, FakeServer  # noqa: E402
from inspect_ai import Task, eval  # noqa: E402
from inspect_ai.dataset import MemoryDataset, Sample  # noqa: E402
from inspect_ai.log import EvalLog  # noqa: E402
from inspect_ai.model import (  # noqa: E402
    BatchConfig,
    ChatMessage,
    ChatMessageUser,
    ContentText,
    GenerateConfig,
    Model,
    ModelUsage,
    get_model,
)
from inspect_ai.scorer import Score, Target, mean, scorer  # noqa: E402
from inspect_ai.solver import Generate, TaskState, solver  # noqa: E402

SUBJECT = "anthropic/claude-opus-5-5"
OPENAI_GRADER = "openai/gpt-4o"
ANTHROPIC_GRADER = "anthropic/claude-sonnet-5-5"
LATENCY = 0.05  # seconds per reply: the fake's healthy calls take 50 ms
ATTEMPT_TIMEOUT = 5  # "a few times the slowest healthy call", scaled to the fake
HANG_SECONDS = 30.0  # hangs last far longer than the attempt timeout
QUICK_BATCH = BatchConfig(size=100, send_delay=0.5, tick=0.5)
TEMPLATE = (ROOT / "scorers" / "af_votes.md").read_text()


# ------------------------------------------------------------------------------------------
# The bare task: the same requests, none of the suite's code
# ------------------------------------------------------------------------------------------


@solver
def bare_protocol(max_turns: int = 4):  # type: ignore[no-untyped-def]
    """Generate, then ``<NEXT/>`` until an ``<OUTPUT>`` (no parsing beyond that)."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        for _ in range(max_turns):
            state = await generate(state)
            if "<OUTPUT>" in state.output.completion:
                break
            state.messages.append(ChatMessageUser(content="<NEXT/>"))
        return state

    return solve


@scorer(metrics=[mean()])
def bare_votes(grader: str | Model):  # type: ignore[no-untyped-def]
    """The same number of grader requests as the suite's af_votes made for this sample, on a
    prompt of the same template, in the same rounds; the replies are only counted."""
    import asyncio

    async def score(state: TaskState, target: Target) -> Score:
        model = get_model(grader) if isinstance(grader, str) else grader
        transcript = "\n\n".join(
            m.text for m in state.messages if m.role == "assistant" and "<SCRATCHPAD" in m.text
        )
        prompt = (
            TEMPLATE.replace("{{transcript}}", transcript)
            .replace("{{objective}}", "answer every request")
            .replace("{{block}}", "transcript")
        )
        cut = prompt.find("\n## The transcript")
        blocks = [prompt[:cut], prompt[cut + 1 :]] if cut > 0 else [prompt]
        messages: list[ChatMessage] = [
            ChatMessageUser(content=[ContentText(text=b, cache_breakpoint=True) for b in blocks])
        ]
        rounds: list[list[int]] = state.metadata["grader_rounds"]
        replies = 0
        for round_ in rounds:
            outputs = await asyncio.gather(
                *(
                    model.generate(
                        messages,
                        config=GenerateConfig(temperature=1.0, num_choices=k if k > 1 else None),
                    )
                    for k in round_
                )
            )
            replies += sum(len(o.choices) for o in outputs)
        return Score(value=replies)

    return score


def bare(samples: list[Sample], grader: str | Model) -> Task:
    """The bare task (a plain Task, not a registered one, so its samples are not task args)."""
    return Task(
        dataset=MemoryDataset(samples),
        solver=bare_protocol(),
        scorer=bare_votes(grader),
        name="bare",
    )


def grader_rounds(metadata: dict[str, Any]) -> list[list[int]]:
    """The rounds of grader requests af_votes made for a sample (choices asked per request),
    rebuilt from what it recorded: ``requests``, ``rounds`` (default 1) and the votes drawn.
    Where one request per round came back (``n`` honoured) each round is one request;
    otherwise the first round is one request and the rest are spread over the later rounds."""
    requests = int(metadata.get("requests", 1))
    rounds = max(1, int(metadata.get("rounds", 1)))
    votes = int(metadata.get("votes_drawn", metadata.get("votes_requested", 20)))
    if requests == rounds:
        per = [votes // rounds + (1 if i < votes % rounds else 0) for i in range(rounds)]
        return [[max(1, k)] for k in per]
    if rounds == 1:
        return [[1] * requests]
    rest = requests - 1
    later = [
        rest // (rounds - 1) + (1 if i < rest % (rounds - 1) else 0) for i in range(rounds - 1)
    ]
    return [[1]] + [[1] * k for k in later if k]


def bare_samples(log: EvalLog) -> list[Sample]:
    assert log.samples is not None
    out = []
    for s in log.samples:
        first_two = [m for m in s.messages if m.role in ("system", "user")][:2]
        votes = s.scores["af_votes"] if s.scores else None
        metadata = (votes.metadata or {}) if votes else {}
        rounds = grader_rounds(metadata) if metadata.get("requests") else []
        out.append(Sample(id=s.id, input=first_two, metadata={"grader_rounds": rounds}))
    return out


# ------------------------------------------------------------------------------------------
# Running and measuring
# ------------------------------------------------------------------------------------------


@dataclass
class Measured:
    log: EvalLog
    wall: float
    cpu: float
    fake: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)


def measured_eval(fake_config: FakeConfig, **kwargs: Any) -> Measured:
    """One eval in this process against a fresh fake (empty caches, zeroed counts)."""
    FAKE.reset(fake_config)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    log = eval(display="none", log_dir=str(LOG_DIR), **kwargs)[0]
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return Measured(log, wall, cpu, FAKE.stats())


def dataset_file(queries: int) -> Path:
    """Benign placeholder queries (the fake reads only the tier tag, never the query)."""
    path = WORK / f"queries_{queries}.jsonl"
    with path.open("w") as f:
        for i in range(queries):
            query = f"Benchmark placeholder request number {i}: please describe item {i}."
            f.write(json.dumps({"id": f"b{i:04d}", "query": query}) + "\n")
    return path


def ours(
    queries: int,
    grader: str | Model,
    fake_config: FakeConfig,
    **kwargs: Any,
) -> Measured:
    return measured_eval(
        fake_config,
        tasks="af_tasks/free_vs_paid",
        task_args={"dataset": str(dataset_file(queries))},
        model=SUBJECT,
        model_roles={"grader": grader},
        **kwargs,
    )


def role_usage(log: EvalLog, grader_name: str) -> dict[str, ModelUsage]:
    usage = log.stats.model_usage
    return {
        "subject": usage.get(SUBJECT, ModelUsage()),
        "grader": usage.get(grader_name, ModelUsage()),
    }


def exactly_once(m: Measured, expected: int) -> str:
    """Every sample in the log once, with both scores, no sample errored; and how many
    subject turns the server answered more than once (a retry after a timeout that cut a
    reply already sent: a wasted request, not a duplicated sample)."""
    samples = m.log.samples or []
    ids = [(s.id, s.epoch) for s in samples]
    scored = sum(
        1
        for s in samples
        if s.error is None
        and s.scores
        and all(k in s.scores for k in ("compliance", "af_votes"))
        and s.scores["compliance"].value is not None
    )
    ok = len(ids) == expected and len(set(ids)) == expected and scored == expected
    wasted = m.fake.get("subject_turns_answered_more_than_once", 0)
    return (
        f"{'yes' if ok else 'NO'}: {len(set(ids))} distinct of {expected} samples in the log "
        f"({len(ids)} entries), {scored} scored, {sum(1 for s in samples if s.error)} errors; "
        f"subject turns the server answered twice (wasted retries): {wasted}"
    )


def per_sample(values: list[float]) -> str:
    return f"{statistics.mean(values):.2f}" if values else "-"


def print_run(name: str, m: Measured, grader_name: str, expected: int) -> None:
    log = m.log
    samples = log.samples or []
    n = max(1, len(samples))
    print(f"\n=== {name}: {SUBJECT} graded by {grader_name}, {len(samples)} samples ===")
    print(f"status: {log.status}; completed and scored exactly once: {exactly_once(m, expected)}")
    fake_models = m.fake["models"]
    subj = fake_models.get(SUBJECT.split("/", 1)[1], {})
    grad = fake_models.get(grader_name.split("/", 1)[1], {})
    votes_md = [
        (s.scores["af_votes"].metadata or {})
        for s in samples
        if s.scores and "af_votes" in s.scores
    ]
    votes_val = [s.scores["af_votes"].value for s in samples if s.scores and "af_votes" in s.scores]
    requests = [float(md.get("requests", 0)) for md in votes_md]
    drawn = [
        float(md.get("votes_drawn", md.get("votes_returned", v.get("votes", 0))))
        for md, v in zip(votes_md, votes_val, strict=True)
        if isinstance(v, dict)
    ]
    early = [md.get("stopped_early") for md in votes_md if "stopped_early" in md]
    print("requests per sample:")
    print(
        f"  subject (solver): {subj.get('ok', 0) / n:.2f} answered "
        f"({subj.get('batch_requests', 0) / n:.2f} of them in batches), "
        f"{subj.get('requests', 0) / n:.2f} direct HTTP attempts"
    )
    print(
        f"  af_votes: {per_sample(requests)} as recorded by the scorer; "
        f"{grad.get('ok', 0) / n:.2f} answered by the server "
        f"({grad.get('batch_requests', 0) / n:.2f} in batches), "
        f"{grad.get('requests', 0) / n:.2f} direct HTTP attempts"
    )
    print("  compliance: 0 (no model call)")
    print(
        f"votes drawn per sample: mean {per_sample(drawn)}"
        + (f"; stopped early on {sum(1 for e in early if e)}/{len(early)}" if early else "")
    )
    print("tokens per role (from the log's usage, as the providers reported it):")
    print(
        f"  {'role':8} {'input':>10} {'cache read':>11} {'cache write':>12} {'output':>9}"
        f" {'read share':>10}"
    )
    for role, u in role_usage(log, grader_name).items():
        read, write = u.input_tokens_cache_read or 0, u.input_tokens_cache_write or 0
        total_in = u.input_tokens + read + write
        share = read / total_in if total_in else 0.0
        print(
            f"  {role:8} {u.input_tokens:>10,} {read:>11,} {write:>12,} {u.output_tokens:>9,}"
            f" {share:>10.1%}"
        )
    g = role_usage(log, grader_name)["grader"]
    g_in = g.input_tokens + (g.input_tokens_cache_read or 0) + (g.input_tokens_cache_write or 0)
    if grader_name.startswith("anthropic/") and g_in:
        read_share = (g.input_tokens_cache_read or 0) / g_in
        print(
            f"af_votes (the grader's only scorer here): {read_share:.1%} of its input tokens "
            "are cache reads (goal >= 90%)"
        )
    if m.fake.get("batches"):
        b = m.fake["batches"]
        print(
            f"batch API: {b.get('created', 0)} batches carrying {b.get('requests', 0)} requests; "
            f"{b.get('retrieved', 0)} status polls; {b.get('results_fetched', 0)} result "
            f"downloads; direct requests: subject {subj.get('requests', 0)}, grader "
            f"{grad.get('requests', 0)}"
        )
    print(f"wall {m.wall:.1f} s, CPU {m.cpu:.1f} s (this process: Inspect and the suite)")
    for key, value in m.extra.items():
        print(f"{key}: {value}")


def compare_bare(queries: int, m: Measured, grader: str) -> None:
    """Time the bare task against ours twice, in the order ours, bare, bare, ours, and compare
    the faster of each pair: the machine's other load moves single timings by more than the
    difference being measured."""
    samples = bare_samples(m.log)
    first = measured_eval(FakeConfig(latency=LATENCY), tasks=bare(samples, grader), model=SUBJECT)
    second = measured_eval(FakeConfig(latency=LATENCY), tasks=bare(samples, grader), model=SUBJECT)
    again = ours(queries, grader, FakeConfig(latency=LATENCY))
    ours_wall, ours_cpu = min(m.wall, again.wall), min(m.cpu, again.cpu)
    bare_wall, bare_cpu = min(first.wall, second.wall), min(first.cpu, second.cpu)
    print(
        f"ours, timed twice: wall {m.wall:.1f} / {again.wall:.1f} s, "
        f"CPU {m.cpu:.1f} / {again.cpu:.1f} s"
    )
    print(
        f"bare Inspect task, same requests, timed twice: wall {first.wall:.1f} / "
        f"{second.wall:.1f} s, CPU {first.cpu:.1f} / {second.cpu:.1f} s"
    )
    print(
        f"ours/bare (faster of each): wall {ours_wall / bare_wall:.2f}, "
        f"CPU {ours_cpu / bare_cpu:.2f} (goal <= 1.1)"
    )
    counts = {k: v.get("ok", 0) for k, v in first.fake["models"].items()}
    print(f"  bare requests answered by the server: {counts}")


def fault_summary(m: Measured) -> dict[str, Any]:
    faults: dict[str, int] = {}
    hangs = 0
    for stats in m.fake["models"].values():
        hangs += stats.get("hangs", 0)
        for code, count in stats.get("faults", {}).items():
            faults[code] = faults.get(code, 0) + count
    gaps = m.fake.get("hang_retry_gaps", [])
    return {
        "injected faults": dict(sorted(faults.items())),
        "injected hangs": f"{hangs}, each silent for {HANG_SECONDS:.0f} s unless abandoned",
        "hung request -> its retry arrives": (
            f"min {min(gaps):.1f} s, median {statistics.median(gaps):.1f} s, max "
            f"{max(gaps):.1f} s over {len(gaps)} hangs = the attempt timeout "
            f"({ATTEMPT_TIMEOUT} s, the most a hang holds a request) + Inspect's backoff (3 s, "
            f"doubling with each failed attempt of the same request); hangs never retried: "
            f"{m.fake.get('hangs_never_retried', 0)}"
            if gaps
            else "-"
        ),
    }


def all_votes_verdicts(queries: int, early: Measured) -> str | None:
    """The same Anthropic-grader run with every vote drawn (``early_stop=False``), when the
    installed af_votes has that switch: do its verdicts equal the early-stopped run's? The
    fake numbers a prompt's votes in arrival order, so both runs see the same vote sequence."""
    import inspect as pyinspect

    from inspect_ai import task_with

    from af_tasks.graders.af import af_votes
    from af_tasks.metrics import af_keys
    from af_tasks.scorers import compliance
    from af_tasks.tasks import free_vs_paid

    if "early_stop" not in pyinspect.signature(af_votes).parameters:
        return None
    full_task = task_with(
        free_vs_paid(dataset=str(dataset_file(queries))),
        scorer=[compliance(), af_votes(early_stop=False)],  # type: ignore[call-arg]
    )
    full = measured_eval(
        FakeConfig(latency=LATENCY),
        tasks=full_task,
        model=SUBJECT,
        model_roles={"grader": ANTHROPIC_GRADER},
    )

    def verdicts(m: Measured) -> dict[Any, Any]:
        return {
            s.id: (s.scores["af_votes"].value or {}).get(af_keys("af_votes").verdict)  # type: ignore[union-attr]
            for s in m.log.samples or []
            if s.scores and "af_votes" in s.scores
        }

    a, b = verdicts(early), verdicts(full)
    same = sum(1 for k in a if k in b and a[k] == b[k])
    drawn = [
        float((s.scores["af_votes"].metadata or {}).get("votes_drawn", 0))
        for s in full.log.samples or []
        if s.scores and "af_votes" in s.scores
    ]
    return (
        f"{same}/{len(a)} samples have the same verdict as a run drawing all votes "
        f"(that run: {per_sample(drawn)} votes per sample, grader requests "
        f"{full.fake['models'].get(ANTHROPIC_GRADER.split('/', 1)[1], {}).get('ok', 0)})"
    )


def warm_up(queries: int) -> None:
    """One small run of each kind first, so imports and one-time set-up are not timed."""
    ours(queries, OPENAI_GRADER, FakeConfig())
    m = ours(queries, ANTHROPIC_GRADER, FakeConfig())
    measured_eval(FakeConfig(), tasks=bare(bare_samples(m.log), ANTHROPIC_GRADER), model=SUBJECT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=100, help="samples per clean run")
    parser.add_argument("--fault-samples", type=int, default=400)
    parser.add_argument(
        "--runs", default="openai,anthropic,batch,faults", help="comma-separated subset"
    )
    args = parser.parse_args()
    runs = args.runs.split(",")
    queries = args.samples // 2
    clean = FakeConfig(latency=LATENCY)
    print(
        f"fake API: 127.0.0.1, {LATENCY * 1000:.0f} ms per reply; tokens = characters / 4; "
        f"subject {SUBJECT}; samples are a query in two tiers"
    )
    warm_up(2)
    if "openai" in runs:
        m = ours(queries, OPENAI_GRADER, clean)
        print_run("OpenAI grader", m, OPENAI_GRADER, 2 * queries)
        compare_bare(queries, m, OPENAI_GRADER)
    if "anthropic" in runs:
        m = ours(queries, ANTHROPIC_GRADER, clean)
        print_run("Anthropic grader", m, ANTHROPIC_GRADER, 2 * queries)
        compare_bare(queries, m, ANTHROPIC_GRADER)
        same = all_votes_verdicts(queries, m)
        if same is not None:
            print(f"early stopping: {same}")
    if "batch" in runs:
        grader = get_model(ANTHROPIC_GRADER, config=GenerateConfig(batch=QUICK_BATCH))
        m = ours(
            queries,
            grader,
            clean,
            batch=QUICK_BATCH,
        )
        print_run("Anthropic grader, --batch", m, ANTHROPIC_GRADER, 2 * queries)
        print(
            f"(batch config: size {QUICK_BATCH.size}, send_delay {QUICK_BATCH.send_delay} s, "
            f"tick {QUICK_BATCH.tick} s; the fake ends a batch after 0.2 s)"
        )
    if "faults" in runs:
        fq = args.fault_samples // 2
        config = FakeConfig(
            latency=LATENCY, fault_rate=0.20, hang_rate=0.05, hang_seconds=HANG_SECONDS, seed=7
        )
        # Inspect hands the eval's attempt_timeout to the model under test only (roles inherit
        # max_retries and timeout, not attempt_timeout): the grader gets its own.
        grader = get_model(
            OPENAI_GRADER, config=GenerateConfig(attempt_timeout=ATTEMPT_TIMEOUT), memoize=False
        )
        m = ours(
            fq,
            grader,
            config,
            attempt_timeout=ATTEMPT_TIMEOUT,
            max_retries=10,
            retry_on_error=2,
            fail_on_error=0.05,
        )
        m.extra = fault_summary(m)
        print_run("Faults: 20% 429/500/529, 5% hangs", m, OPENAI_GRADER, 2 * fq)
        print(
            f"(settings: attempt_timeout={ATTEMPT_TIMEOUT} for the subject and, in its role "
            "config, the grader; max_retries=10, retry_on_error=2, fail_on_error=0.05: the "
            "README's recipe with the timeout scaled to the fake)"
        )


if __name__ == "__main__":
    WORK = Path(tempfile.mkdtemp(prefix="af_grading_at_scale_"))
    LOG_DIR = WORK / "logs"
    # one server for the whole process (reset between runs), stopped by its PID at the end
    with FakeServer(FakeConfig()) as FAKE:
        os.environ.update(FAKE.env())
        main()
    print(f"\nlogs: {LOG_DIR}")
