"""How af-report scales with the samples: wall time and peak memory at 1k, 10k and 50k samples.

Target (2 cores, cost section on): at 50,000 samples af-report takes at most 60 s (about
1 ms a sample) and less than 1 GB of memory.

The smallest log is a real run: ``free_vs_paid`` on the offline simulator (500 synthetic
requests in both tiers, scored by ``compliance`` and ``af_votes`` with the grader role bound
to the simulator, so the log holds subject and grader requests like a real run), made in a
child process. ``--evaluate 1000 10000`` makes other sizes by a real run too (epochs of the
same requests: about 20 ms of CPU a sample). The other logs are synthetic: the real run's
samples repeated as further epochs (as ``--epochs`` would record them, each copy with its own
uuid), written by Inspect's own ``.eval`` recorder (the one eval uses, flushing every 500
samples as a running eval does) in a few ms a sample. They carry no transcripts (messages,
events, store: af-report never reads them, so their files are far smaller than a real run's,
about 13 MB per 1,000 samples) but their complete sample summaries (metadata, scores with
their explanations, usage), so af-report reads from them exactly what it reads from a real
log; the log's usage statistics are scaled to match. How each log was made, and in how long,
is printed from the cache's record (``made.json``).

Every log is then given to ``af-report`` (``python -m af_tasks.report``, imports included,
cost section on) in a child process, whose wall time, CPU time and peak resident memory (its
``ru_maxrss``) are printed with the log's size on disk, the machine's load average, and the
slope per sample between the smallest and the largest log. The logs are cached under
``tmp/benchmarks/report_scale/``.

The machine may be shared: run it with ``nice`` and read the load average next to the
figures.

    nice -n 10 python benchmarks/report_scale.py [--sizes 1000 10000 50000] [--evaluate 1000]
        [--rebuild]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import shortuuid

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog, EvalSample

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CACHE = ROOT / "tmp" / "benchmarks" / "report_scale"
BASE_SAMPLES = 1000
"""The real run: 500 requests in both tiers."""


@dataclass(frozen=True)
class Child:
    """What a child process took: wall seconds, CPU seconds (user + system: on a shared
    machine the figure that load does not stretch) and peak resident memory in MB."""

    seconds: float
    cpu: float
    peak_mb: float


def run_child(command: list[str], log_file: Path) -> Child:
    """Run ``command``, wait for it alone (``os.wait4``) and return its wall time and peak
    resident memory (Linux reports ``ru_maxrss`` in kB)."""
    started = time.perf_counter()
    with log_file.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed (exit {process.returncode}); see {log_file}")
    return Child(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


EVAL_SCRIPT = """
import sys
from inspect_ai import eval
from af_tasks import free_vs_paid

queries, log_dir, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
logs = eval(
    free_vs_paid(dataset=queries),
    model="organism/faker",
    model_roles={"grader": "organism/consistent"},
    epochs=epochs,
    log_dir=log_dir,
    display="none",
)
assert logs[0].status == "success", logs[0].error
"""


@dataclass(frozen=True)
class Made:
    """How a cached log was made: ``eval`` (a real run) or ``synthetic`` (written from the
    base run), with the wall and CPU seconds it took."""

    how: str
    seconds: float
    cpu: float


def made(folder: Path) -> Made | None:
    """How the log in ``folder`` was made (None for a log cached without the record)."""
    record = folder / "made.json"
    return Made(**json.loads(record.read_text(encoding="utf-8"))) if record.exists() else None


def _record_made(folder: Path, what: Made) -> None:
    (folder / "made.json").write_text(json.dumps(what.__dict__), encoding="utf-8")


def cached_log(folder: Path) -> Path | None:
    """The finished log cached in ``folder``; None when there is none, or only the partial
    log of an interrupted run (which is then made again)."""
    from inspect_ai.log import read_eval_log

    found = sorted(folder.glob("*.eval"))
    if not found:
        return None
    finished = read_eval_log(str(found[0]), header_only=True).status == "success"
    return found[0] if finished else None


def evaluated_log(cache: Path, samples: int) -> Path:
    """A real run of ``samples`` samples: the BASE_SAMPLES requests, ``samples // BASE_SAMPLES``
    epochs (run once in a child process, then reused from the cache)."""
    folder = cache / f"n{samples}"
    cached = cached_log(folder)
    if cached is not None:
        return cached
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    queries = cache / "queries.jsonl"
    queries.write_text(
        "".join(
            json.dumps({"id": f"s{n:04d}", "query": f"Synthetic benchmark request {n}."}) + "\n"
            for n in range(BASE_SAMPLES // 2)
        ),
        encoding="utf-8",
    )
    epochs = samples // BASE_SAMPLES
    print(f"Running free_vs_paid on organism/faker: {samples:,} samples ({epochs} epochs)...")
    child = run_child(
        [sys.executable, "-c", EVAL_SCRIPT, str(queries), str(folder), str(epochs)],
        cache / f"eval-{samples}.txt",
    )
    _record_made(folder, Made("eval", child.seconds, child.cpu))
    (log,) = folder.glob("*.eval")
    return log


def scaled_log(base: Path, samples: int, cache: Path) -> Path:
    """A log of ``samples`` samples: the base run's samples repeated as further epochs,
    written by Inspect's own ``.eval`` recorder (once, then reused from the cache)."""
    from inspect_ai.log import read_eval_log
    from inspect_ai.model import ModelUsage

    folder = cache / f"n{samples}"
    cached = cached_log(folder)
    if cached is not None:
        return cached
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    log = read_eval_log(str(base))
    assert log.samples is not None
    epochs = -(-samples // len(log.samples))

    def scaled(usage: ModelUsage) -> ModelUsage:
        return ModelUsage(
            input_tokens=usage.input_tokens * epochs,
            output_tokens=usage.output_tokens * epochs,
            total_tokens=usage.total_tokens * epochs,
            input_tokens_cache_read=(usage.input_tokens_cache_read or 0) * epochs,
            input_tokens_cache_write=(usage.input_tokens_cache_write or 0) * epochs,
        )

    # Without their transcripts (messages, events, attachments, store), which af-report
    # never reads and which would take most of the writing time. What it reads, Inspect's
    # sample summaries (metadata, scores with their explanations, usage), is complete.
    light: dict[str, object] = {"messages": [], "events": [], "attachments": {}, "store": {}}
    base_samples = log.samples
    log.samples = None
    log.eval.config.epochs = epochs
    log.stats.model_usage = {m: scaled(u) for m, u in log.stats.model_usage.items()}
    log.stats.role_usage = {r: scaled(u) for r, u in log.stats.role_usage.items()}
    # each copy gets its own uuid, as each epoch of a real run does (samples_df keeps one
    # row per uuid: copies sharing their original's uuid would be read as one sample)
    replicated = (
        sample.model_copy(update={"epoch": epoch, "uuid": shortuuid.uuid(), **light})
        for epoch in range(1, epochs + 1)
        for sample in base_samples
    )
    target = folder / base.name
    print(f"Writing a log of {samples:,} samples ({epochs} epochs of the base run)...")
    started, cpu = time.perf_counter(), time.process_time()
    anyio.run(_record, log, itertools.islice(replicated, samples), str(target), str(folder))
    _record_made(
        folder, Made("synthetic", time.perf_counter() - started, time.process_time() - cpu)
    )
    return target


FLUSH_EVERY = 500
"""Samples the recorder buffers between writes (eval itself flushes every few samples)."""


async def _record(log: EvalLog, samples: Iterator[EvalSample], target: str, folder: str) -> None:
    """Write ``log`` with ``samples`` through the recorder ``eval`` itself uses for ``.eval``
    logs, flushing every FLUSH_EVERY samples as a running eval does.

    ``write_eval_log`` goes through the same recorder but buffers every sample before the
    first write, and the recorder compares each new sample with every buffered one (to
    replace a re-run): quadratic in the samples, over an hour for 50,000 on this machine.
    Flushing as eval does keeps it linear. The recorder is not exported under a public name
    (``inspect_ai.log._recorders``), which only this benchmark relies on.
    """
    from inspect_ai.log._recorders import create_recorder_for_location

    recorder = create_recorder_for_location(target, folder)
    await recorder.log_init(log.eval, target)
    await recorder.log_start(log.eval, log.plan)
    for count, sample in enumerate(samples, start=1):
        await recorder.log_sample(log.eval, sample)
        if count % FLUSH_EVERY == 0:
            await recorder.flush(log.eval)
    await recorder.log_finish(
        log.eval, log.status, log.stats, log.results, log.reductions, log.error
    )


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f} (1/5 min, {os.cpu_count()} cores)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where logs live")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument(
        "--evaluate",
        type=int,
        nargs="+",
        default=[BASE_SAMPLES],
        help=f"sizes made by a real eval (multiples of {BASE_SAMPLES}: epochs of the base "
        f"requests) rather than written from the base run; default {BASE_SAMPLES}",
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached logs")
    args = parser.parse_args()
    if any(size < BASE_SAMPLES for size in args.sizes):
        raise SystemExit(f"--sizes: each size must be at least {BASE_SAMPLES} (the real run).")
    if any(size % BASE_SAMPLES for size in args.evaluate):
        raise SystemExit(f"--evaluate: each size must be a multiple of {BASE_SAMPLES}.")
    if args.rebuild:
        shutil.rmtree(args.cache, ignore_errors=True)
    args.cache.mkdir(parents=True, exist_ok=True)
    base = evaluated_log(args.cache, BASE_SAMPLES)

    results: list[tuple[int, Child]] = []
    header = (
        ("samples", 8),
        ("made by", 10),
        ("make s", 8),
        ("make CPU", 9),
        ("log MB", 8),
        ("report s", 9),
        ("CPU s", 7),
        ("peak MB", 8),
        ("CPU ms/sample", 14),
    )
    print(" ".join(f"{h:>{w}}" for h, w in header))
    for size in sorted(args.sizes):
        if size in args.evaluate:
            log = evaluated_log(args.cache, size)
        else:
            log = scaled_log(base, size, args.cache)
        how = made(log.parent)
        out = args.cache / "report" / f"n{size}"
        child = run_child(
            [sys.executable, "-m", "af_tasks.report", str(log), "--out", str(out), "--no-progress"],
            args.cache / f"report-{size}.txt",
        )
        results.append((size, child))
        making = (
            f"{how.how:>10} {how.seconds:>8.0f} {how.cpu:>9.0f}"
            if how
            else f"{'cached':>10} {'?':>8} {'?':>9}"
        )
        print(
            f"{size:>8,} {making} {log.stat().st_size / 1e6:>8.1f} {child.seconds:>9.1f} "
            f"{child.cpu:>7.1f} {child.peak_mb:>8,.0f} {child.cpu / size * 1000:>14.2f}   "
            f"{load()}"
        )
    if len(results) > 1:
        (small, a), (large, b) = results[0], results[-1]
        wall = (b.seconds - a.seconds) / (large - small) * 1000
        cpu = (b.cpu - a.cpu) / (large - small) * 1000
        per_k = (b.peak_mb - a.peak_mb) / (large - small) * 1000
        print(
            f"Slope {small:,} -> {large:,} samples: {wall:.3f} ms wall, {cpu:.3f} ms CPU and "
            f"{per_k:.1f} kB of peak memory per sample"
        )
    size, largest = results[-1]
    within = largest.seconds <= 60 and largest.peak_mb < 1024
    print(
        f"Target at 50,000 samples (<= 60 s, < 1 GB on 2 cores): largest run {size:,} samples, "
        f"{largest.seconds:.1f} s wall ({largest.cpu:.1f} s CPU), {largest.peak_mb:,.0f} MB: "
        f"{'within' if within else 'OVER'}."
    )


if __name__ == "__main__":
    main()
