"""How af-report scales with the samples: wall time and peak memory at 1k, 10k and 50k samples.

Target (2 cores, cost section on): at 50,000 samples af-report takes at most 60 s (about
1 ms a sample) and less than 1 GB of memory.

The smallest log is a real run: ``free_vs_paid`` on the offline simulator (500 synthetic
requests in both tiers, scored by ``compliance`` and ``af_votes`` with the grader role bound
to the simulator, so the log holds subject and grader requests like a real run). Its eval's
wall time and peak memory are measured in a child process. The larger logs are written from
it through Inspect's own log writer (``write_eval_log``): the same samples repeated as
further epochs (as ``--epochs`` would record them), without their transcripts (messages,
events, store: af-report never reads them, so the log sizes printed for these are far
smaller than a real run's, about 13 MB per 1,000 samples) but with their complete sample
summaries (metadata, scores and explanations, usage), and the usage statistics scaled to
match, which takes a fraction of the time an eval of that size would. Every log is then given to
``af-report`` (``python -m af_tasks.report``, imports included) in a child process, whose wall
time and peak resident memory (its ``ru_maxrss``) are printed with the log's size on disk,
the machine's load average, and the slope per sample between the smallest and the largest
log. The logs are cached under ``tmp/benchmarks/report_scale/``.

The machine may be shared: run it with ``nice`` and read the load average next to the
figures.

    nice -n 10 python benchmarks/report_scale.py [--sizes 1000 10000 50000] [--rebuild]
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

queries, log_dir = sys.argv[1], sys.argv[2]
logs = eval(
    free_vs_paid(dataset=queries),
    model="organism/faker",
    model_roles={"grader": "organism/consistent"},
    log_dir=log_dir,
    display="none",
)
assert logs[0].status == "success", logs[0].error
"""


def base_log(cache: Path) -> tuple[Path, Child | None]:
    """The real run of BASE_SAMPLES samples (run once, then reused from the cache)."""
    folder = cache / f"n{BASE_SAMPLES}"
    found = sorted(folder.glob("*.eval"))
    if found:
        return found[0], None
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
    print(f"Running free_vs_paid on organism/faker: {BASE_SAMPLES} samples (once)...")
    child = run_child(
        [sys.executable, "-c", EVAL_SCRIPT, str(queries), str(folder)], cache / "eval.txt"
    )
    (log,) = folder.glob("*.eval")
    return log, child


def scaled_log(base: Path, samples: int, cache: Path) -> Path:
    """A log of ``samples`` samples: the base run's samples repeated as further epochs,
    written by Inspect's own ``.eval`` recorder (once, then reused from the cache)."""
    from inspect_ai.log import read_eval_log
    from inspect_ai.model import ModelUsage

    folder = cache / f"n{samples}"
    found = sorted(folder.glob("*.eval"))
    if found:
        return found[0]
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
    light = {"messages": [], "events": [], "attachments": {}, "store": {}}
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
    started = time.perf_counter()
    anyio.run(_record, log, itertools.islice(replicated, samples), str(target), str(folder))
    print(f"  written in {time.perf_counter() - started:.0f} s")
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
    await recorder.log_init(log.eval, target, clean=True)
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
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached logs")
    args = parser.parse_args()
    if any(size < BASE_SAMPLES for size in args.sizes):
        raise SystemExit(f"--sizes: each size must be at least {BASE_SAMPLES} (the real run).")
    if args.rebuild:
        shutil.rmtree(args.cache, ignore_errors=True)
    args.cache.mkdir(parents=True, exist_ok=True)
    base, evaluated = base_log(args.cache)
    if evaluated is not None:
        print(
            f"eval ({BASE_SAMPLES:,} samples, organism): {evaluated.seconds:.1f} s "
            f"({evaluated.cpu:.1f} s CPU), peak {evaluated.peak_mb:,.0f} MB; {load()}"
        )
    else:
        print(f"eval ({BASE_SAMPLES:,} samples): cached; --rebuild to time it again")

    results: list[tuple[int, Child]] = []
    header = ("samples", "source", "log MB", "wall s", "CPU s", "peak MB", "CPU ms/sample")
    widths = (8, 10, 8, 8, 8, 8, 14)
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, widths, strict=True)))
    for size in sorted(args.sizes):
        log = base if size == BASE_SAMPLES else scaled_log(base, size, args.cache)
        out = args.cache / "report" / f"n{size}"
        child = run_child(
            [sys.executable, "-m", "af_tasks.report", str(log), "--out", str(out), "--no-progress"],
            args.cache / f"report-{size}.txt",
        )
        results.append((size, child))
        source = "eval" if size == BASE_SAMPLES else "summaries"
        print(
            f"{size:>8,} {source:>10} {log.stat().st_size / 1e6:>8.1f} {child.seconds:>8.1f} "
            f"{child.cpu:>8.1f} {child.peak_mb:>8,.0f} {child.cpu / size * 1000:>14.2f}   "
            f"{load()}"
        )
    if len(results) > 1:
        (small, a), (large, b) = results[0], results[-1]
        wall = (b.seconds - a.seconds) / (large - small) * 1000
        cpu = (b.cpu - a.cpu) / (large - small) * 1000
        per_k = (b.peak_mb - a.peak_mb) / (large - small) * 1000
        print(
            f"Slope {small:,} -> {large:,} samples: {wall:.2f} ms wall, {cpu:.2f} ms CPU and "
            f"{per_k / 1000:.3f} MB per sample"
        )
    size, largest = results[-1]
    within = largest.seconds <= 60 and largest.peak_mb < 1024
    print(
        f"Target at 50,000 samples (<= 60 s, < 1 GB on 2 cores): largest run {size:,} samples, "
        f"{largest.seconds:.1f} s wall ({largest.cpu:.1f} s CPU), {largest.peak_mb:,.0f} MB: "
        f"{'within' if within else 'OVER'} by wall time."
    )


if __name__ == "__main__":
    main()
