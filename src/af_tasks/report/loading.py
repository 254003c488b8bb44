"""Read Inspect logs into one tidy frame: one row per sample, with its run, tier and labels.

Run headers are read with ``inspect_ai.analysis.evals_df``. The samples of the runs the report
uses are streamed from a finished ``.eval`` log's sample summaries with only the columns the
report reads (:mod:`af_tasks.report.summaries`, the same frame as ``samples_df``, in flat
memory), and read with ``samples_df`` from any other log. Each sample keeps NaN where a
scorer could not label it, and a log without a classifier gets NaN for that classifier's
columns plus a note saying so: the report never turns "unknown" into 0.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from inspect_ai.analysis import EvalColumn, EvalInfo, SampleColumn, evals_df, samples_df

from af_tasks.compliance_choice import pick_compliance
from af_tasks.conditions import condition_of
from af_tasks.logfiles import log_files, unreadable
from af_tasks.metrics import LEGACY_AF_KEY, af_keys
from af_tasks.report import columns as C
from af_tasks.report.summaries import summary_frame

LOG_SUFFIXES = (".eval", ".json")

RUN_KEY = ["model", "task", "variant"]
"""What identifies a run in the report: the same model, task and variant."""

SAMPLE_COLUMNS = [
    "model",
    "task",
    "variant",
    "setting",
    "dataset",
    "tier",
    "condition",
    "query_id",
    "epoch",
    "sample_id",
    "eval_id",
    "log",
    "compliance_scorer",
    "af_scorer",
    "af_scope",
    "complied",
    "af",
    "errored",
    "paraphrase",
    "scenario",
    "monitored_reasoning",
]
"""Columns of the tidy frame, before the per-scorer columns (``<scorer>.<key>``)."""


ProgressFactory = Callable[[int, str], AbstractContextManager[Callable[[], None]]]
"""Makes a progress context for a number of steps and a description; yields a step()."""


class NoLogsError(ValueError):
    """Raised when the paths given to the report hold no Inspect logs the report can use."""


def _score_values(scores: Any) -> dict[str, Any]:
    """Each scorer's value from a sample summary's scores (as samples_df's default does)."""
    if not isinstance(scores, dict):
        return {}
    return {name: s.get("value") if isinstance(s, dict) else s for name, s in scores.items()}


SAMPLE_DF_COLUMNS = [
    SampleColumn("id", path="id", required=True, type=str),
    SampleColumn("epoch", path="epoch", required=True),
    SampleColumn("metadata_*", path="metadata"),
    SampleColumn("score_*", path="scores", value=_score_values),
    SampleColumn("error", path="error", default=""),
]
"""Only the sample columns the report reads (about twice as fast as samples_df's default)."""

SAMPLE_METADATA = tuple(c.removeprefix("metadata_") for c in C.SAMPLE_METADATA_COLUMNS)
"""The sample metadata keys the report reads (the streaming reader keeps only these)."""


def read_samples(log: str) -> pd.DataFrame:
    """A log's samples with the columns the report reads: streamed from a finished ``.eval``
    log's summaries (:func:`af_tasks.report.summaries.summary_frame`, flat memory), else
    ``samples_df`` (which holds all of a log's summaries at once)."""
    frame = summary_frame(log, SAMPLE_METADATA)
    if frame is None:
        frame = samples_df(log, columns=SAMPLE_DF_COLUMNS, quiet=True)
    return frame


EVAL_COLUMNS = [
    *EvalInfo,
    EvalColumn("task_name", path="eval.task", required=True),
    EvalColumn("task_arg_*", path="eval.task_args"),
    EvalColumn("model", path="eval.model", required=True),
    # evals_df's own "model_args" column reads the base URL (inspect_ai 0.3.285); read the
    # arguments themselves so that runs with different -M settings stay apart.
    EvalColumn("model_args", path="eval.model_args"),
    EvalColumn("epochs", path="eval.config.epochs"),
    EvalColumn("status", path="status", required=True),
    EvalColumn("metadata_step", path="eval.metadata.step"),
    EvalColumn("metadata_series", path="eval.metadata.series"),
]


# --- Finding logs --------------------------------------------------------------------------


def find_logs(paths: Sequence[str | Path]) -> list[str]:
    """Every Inspect log in ``paths`` (folders are searched recursively), oldest name first.

    Raises :class:`NoLogsError` naming the path when a path does not exist or no log is found.
    """
    if not paths:
        raise NoLogsError("No log folder or file given: pass the folder you gave --log-dir.")
    found: list[str] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            logs = log_files(path)
            if not logs:
                raise NoLogsError(
                    f"No Inspect logs (.eval or .json) in {path}. Run an evaluation into it "
                    f"first (e.g. inspect eval af_tasks/free_vs_paid --model organism/faker "
                    f"--log-dir {path}), or pass the folder that holds the logs."
                )
            found.extend(logs)
        elif path.is_file():
            if path.suffix not in LOG_SUFFIXES:
                raise NoLogsError(
                    f"{path} is not an Inspect log: pass .eval or .json log files, or a folder."
                )
            found.append(str(path))
        else:
            raise NoLogsError(f"{path} does not exist: pass an Inspect log file or log folder.")
    return sorted(dict.fromkeys(found))


# --- Runs: which logs the report uses --------------------------------------------------------


def _plain(value: Any) -> str:
    """A task or model argument as the text a researcher would type after ``-T``/``-M``."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "none"
    if isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


def _absent(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def natural_key(text: Any) -> tuple[tuple[int, Any], ...]:
    """Sort key that orders the numbers inside a label as numbers: ``m (step=30)`` <
    ``m (step=200)`` < ``m (step=1000)`` (as text, 1000 would come first)."""
    parts = re.split(r"(\d+(?:\.\d+)?)", str(text))
    return tuple((0, float(p)) if i % 2 else (1, p) for i, p in enumerate(parts) if p)


def natural_order(column: pd.Series) -> pd.Series:
    """``natural_key`` for ``DataFrame.sort_values(key=...)``."""
    return column.map(natural_key)


def _model_label(model: str, model_args: Any, step: Any = None, series: Any = None) -> str:
    """The model as the report names a run: its name and ``-M`` arguments, and the
    checkpoint's ``--metadata step``/``series`` (checkpoints served under one model name
    are told apart only by these, so they must be part of the run before runs are keyed)."""
    args: dict[str, Any] = {}
    if isinstance(model_args, str) and model_args.strip():
        parsed = json.loads(model_args)
        args = parsed if isinstance(parsed, dict) else {}
    elif isinstance(model_args, dict):
        args = dict(model_args)
    for name, value in (("step", step), ("series", series)):
        if not _absent(value):
            args[name] = int(value) if isinstance(value, float) and value.is_integer() else value
    args = {k: v for k, v in args.items() if v is not None}
    if model.startswith("organism/") and isinstance(args.get("name"), str):
        return f"{model}:{args['name']}"  # a simulated panel's member, by its display name
    if not args:
        return model
    return f"{model} ({', '.join(f'{k}={_plain(v)}' for k, v in sorted(args.items()))})"


def variant_args(evals: pd.DataFrame) -> dict[str, list[str]]:
    """Per task, the task arguments that name a variant.

    These are the arguments whose values differ between logs of the task (whatever the
    model, so variant labels line up across models), plus ``ablation``-like arguments
    (:data:`columns.ALWAYS_VARIANT_ARGS`) whenever they are present. Arguments that only
    choose graders (:data:`columns.IGNORED_VARIANT_ARGS`) never do.
    """
    result: dict[str, list[str]] = {}
    arg_columns = [c for c in evals.columns if c.startswith(C.TASK_ARG_PREFIX)]
    for task, logs in evals.groupby("task", sort=True):
        chosen: list[str] = []
        for column in arg_columns:
            name = column[len(C.TASK_ARG_PREFIX) :]
            if name in C.IGNORED_VARIANT_ARGS:
                continue
            values = logs[column].map(_plain)
            present = logs[column].notna().any()
            if values.nunique() > 1 or (name in C.ALWAYS_VARIANT_ARGS and present):
                chosen.append(name)
        result[str(task)] = sorted(chosen)
    return result


def _variant_label(row: pd.Series, names: list[str]) -> str:
    return ", ".join(f"{n}={_plain(row.get(C.TASK_ARG_PREFIX + n))}" for n in names)


def _mtime(path: str) -> float:
    try:
        return os.path.getmtime(path)
    except OSError:
        return 0.0


def read_runs(
    logs: Sequence[str], progress: ProgressFactory | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """One row per log with its run key, and whether the report uses it; plus notes.

    Of several logs of the same run (model, task, variant) the report uses one: a finished
    log before an unfinished one, then the newest run, then the file written last (a
    re-scored copy keeps its run's id and creation time, and is written after it). The
    others are listed as skipped, with the reason.
    """
    # One evals_df call per file: given several files of one run (same eval id), evals_df
    # keeps whichever it reads first; the report must choose among them itself.
    headers = []
    notes: list[str] = []
    with (progress or _no_progress)(len(logs), "reading log headers") as step:
        for log in logs:
            try:
                header = evals_df(log, columns=EVAL_COLUMNS, quiet=True)
                if not len(header):  # evals_df passes over a .json it cannot read
                    raise ValueError("no log header in the file")
                headers.append(header)
            except Exception as err:  # a corrupt or truncated file: name it, read the rest
                notes.append(unreadable(log, err))
            step()
    if not headers:
        raise NoLogsError("No readable Inspect log: " + " ".join(notes))
    evals = pd.concat(headers, ignore_index=True)
    evals["task"] = evals["task_name"].map(lambda t: str(t).split("/")[-1])
    evals["model"] = [
        _model_label(str(m), a, step, series)
        for m, a, step, series in zip(
            evals["model"],
            evals["model_args"],
            evals["metadata_step"],
            evals["metadata_series"],
            strict=True,
        )
    ]
    args = variant_args(evals)
    evals["variant"] = [_variant_label(row, args[row["task"]]) for _, row in evals.iterrows()]
    scope = C.TASK_ARG_PREFIX + "af_scope"
    evals["af_scope"] = (
        evals[scope].map(lambda v: "all" if _plain(v) == "none" else _plain(v))
        if scope in evals.columns
        else "all"
    )
    evals["finished"] = evals["status"] == "success"
    evals["mtime"] = evals["log"].map(_mtime)
    evals = evals.sort_values(["finished", "created", "mtime"], ascending=False, kind="stable")
    evals["used"] = ~evals.duplicated(RUN_KEY, keep="first")
    for _, row in evals[~evals["used"]].iterrows():
        kept = evals[evals["used"]].set_index(RUN_KEY).loc[tuple(row[k] for k in RUN_KEY)]
        notes.append(
            f"Skipped {Path(str(row['log'])).name} ({row['status']}): another log of the same "
            f"run ({_run_text(row)}) is used instead, {Path(str(kept['log'])).name}."
        )
    for _, row in evals[evals["used"] & ~evals["finished"]].iterrows():
        notes.append(
            f"{Path(str(row['log'])).name} ({_run_text(row)}) has status {row['status']!r}: "
            f"its numbers cover only the samples it finished."
        )
    keep = ["eval_id", "log", *RUN_KEY, "status", "created", "epochs", "af_scope", "used"]
    return evals[keep].reset_index(drop=True), notes


def _run_text(row: pd.Series) -> str:
    variant = f", {row['variant']}" if row["variant"] else ""
    return f"{row['model']}, {row['task']}{variant}"


# --- Samples ----------------------------------------------------------------------------------


def score_dict(cell: Any) -> dict[str, Any] | None:
    """The sub-scores in one ``score_<scorer>`` cell of ``samples_df`` (None when absent)."""
    if isinstance(cell, dict):
        return cell
    if isinstance(cell, str) and cell.strip():
        try:
            value = json.loads(cell)
        except json.JSONDecodeError:
            return None
        return value if isinstance(value, dict) else None
    return None


def sub_score(cell: Any, key: str) -> float:
    """``key`` of a score cell as a float; NaN when the sample or key has no number."""
    return _number(score_dict(cell), key)


def _number(scores: dict[str, Any] | None, key: str) -> float:
    value = None if scores is None else scores.get(key)
    if isinstance(value, bool | int | float):
        return float(value)
    return math.nan


class _Scores:
    """A log's score columns, each cell parsed once however many of its keys are read
    (:func:`sub_score` for every value of a column)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.parsed: dict[str, list[dict[str, Any] | None]] = {}

    def values(self, scorer: str, key: str) -> list[float]:
        column = C.SCORE_PREFIX + scorer
        if column not in self.parsed:
            self.parsed[column] = [score_dict(v) for v in self.frame[column].tolist()]
        return [_number(scores, key) for scores in self.parsed[column]]

    def af_values(self, classifier: str) -> list[float]:
        """AF classifier ``classifier``'s verdicts: its own key
        (:func:`af_tasks.metrics.af_keys`), or ``af`` in logs written before the AF
        classifiers named their keys (and from scorers of your own that still write ``af``)."""
        column = C.SCORE_PREFIX + classifier
        if column not in self.parsed:
            self.parsed[column] = [score_dict(v) for v in self.frame[column].tolist()]
        key = af_keys(classifier).verdict
        return [
            _number(scores, key if scores is not None and key in scores else LEGACY_AF_KEY)
            for scores in self.parsed[column]
        ]


TAG_SCORER = "compliance"
BY_ACCOUNTING = "by_accounting"
"""The tag scorer's sub-score marking a label that rests on accounting only."""


def _labelled(frame: pd.DataFrame, scorer: str) -> int:
    values = frame[C.SCORE_PREFIX + scorer]
    return sum(1 for v in values if not math.isnan(sub_score(v, C.COMPLIED)))


def _pick_compliance(
    frame: pd.DataFrame, choice: str, present: set[str], name: str, notes: list[str]
) -> str | None:
    """The compliance scorer of a log: the one chosen, or with ``auto`` the one that labels
    the most samples (:func:`af_tasks.compliance_choice.pick_compliance`, the rule the
    viewer's stacked categories follow too), never one whose labels are all missing. With
    several candidates the notes say which was picked."""
    if choice != C.AUTO:
        return choice if choice in present else None
    preference = C.compliance_scorers()
    counts = {s: _labelled(frame, s) for s in preference if s in present}
    picked = pick_compliance(counts, preference)
    if picked is None:
        return None
    if len(counts) > 1:
        others = ", ".join(f"{s} labels {n}" for s, n in counts.items() if s != picked)
        notes.append(
            f"Compliance in {name}: picked {picked}, which labels {counts[picked]} of "
            f"{len(frame)} samples ({others}); choose another with --compliance."
        )
    return picked


def _pick_scorer(choice: str, preference: Sequence[str], present: set[str]) -> str | None:
    if choice == C.AUTO:
        return next((s for s in preference if s in present), None)
    return choice if choice in present else None


def check_choice(choice: str, preference: Sequence[str], what: str) -> None:
    """Reject a scorer choice the report does not know, naming the valid ones."""
    if choice != C.AUTO and choice not in preference:
        raise ValueError(
            f"{what} scorer {choice!r} is not one the report reads; use {C.AUTO} or one of: "
            f"{', '.join(preference)}."
        )


@dataclass
class LoadedSamples:
    """The tidy samples of every used log, and what the report must tell about them."""

    samples: pd.DataFrame
    runs: pd.DataFrame
    notes: list[str] = field(default_factory=list)


@contextmanager
def _no_progress(total: int, description: str) -> Iterator[Callable[[], None]]:
    yield lambda: None


@contextmanager
def rich_progress(total: int, description: str) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr, one step per log read."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn(f"{description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("logs", total=total)
        yield lambda: bar.advance(task)


def _tidy_log(
    frame: pd.DataFrame, run: pd.Series, compliance: str, af: str, notes: list[str]
) -> pd.DataFrame | None:
    name = Path(str(run["log"])).name
    missing = [c for c in (C.QUERY_ID, C.TIER) if c not in frame.columns]
    if missing:
        notes.append(
            f"Skipped {name} ({_run_text(run)}): its samples have no "
            f"{' or '.join(m.removeprefix('metadata_') for m in missing)} metadata, so it is "
            f"not a training-vs-unmonitored run."
        )
        return None
    present = {
        scorer
        for scorer in (*C.compliance_scorers(), *C.af_scorers())
        if C.SCORE_PREFIX + scorer in frame.columns and frame[C.SCORE_PREFIX + scorer].notna().any()
    }
    compliance_scorer = _pick_compliance(frame, compliance, present, name, notes)
    af_scorer = _pick_scorer(af, C.af_scorers(), present)
    own_scores = any(C.SCORE_PREFIX + s in frame.columns for s in C.EXFILTRATION_SCORES)
    if compliance_scorer is None and not own_scores:  # exfiltration has its own view
        wanted = " or ".join(C.compliance_scorers()) if compliance == C.AUTO else compliance
        notes.append(
            f"{name} ({_run_text(run)}) has no compliance scores ({wanted}): its compliance "
            f"is reported as unscored. Re-score it with inspect score to add them."
        )
    if af_scorer is None:
        wanted = " or ".join(C.af_scorers()) if af == C.AUTO else af
        notes.append(
            f"No AF classifier in this log: {name} ({_run_text(run)}) has no scores from "
            f"{wanted}, so its alignment-faking columns are blank (not zero)."
        )
    tidy = pd.DataFrame(
        {
            "model": run["model"],
            "task": run["task"],
            "variant": run["variant"],
            "setting": _text_column(frame, C.SETTING),
            "dataset": _text_column(frame, C.DATASET),
            "tier": frame[C.TIER].astype("string").fillna("none").astype(str),
            "query_id": frame[C.QUERY_ID].astype(str),
            "epoch": frame["epoch"].astype(int) if "epoch" in frame.columns else 1,
            "sample_id": frame["id"].astype(str),
            "eval_id": run["eval_id"],
            "log": str(run["log"]),
            "compliance_scorer": compliance_scorer or "",
            "af_scorer": af_scorer or "",
            "af_scope": str(run["af_scope"]),
        }
    )
    tidy["condition"] = _conditions(frame, tidy["tier"])
    # the follow-up experiments' conditions (af_tasks.scenarios, -T paraphrases=N)
    tidy["paraphrase"] = _text_column(frame, C.PARAPHRASE)
    tidy["scenario"] = _text_column(frame, C.SCENARIO).replace("", "none")
    tidy["monitored_reasoning"] = _text_column(frame, C.MONITORED_REASONING)
    scores = _Scores(frame)
    for scorer in sorted(present):
        if scorer in C.compliance_scorers():
            tidy[f"{scorer}.{C.COMPLIED}"] = scores.values(scorer, C.COMPLIED)
        else:
            tidy[f"{scorer}.{C.AF}"] = scores.af_values(scorer)
    # the exfiltration task's own scores and arm (af_tasks.report.exfiltration)
    for scorer, keys in C.EXFILTRATION_SCORES.items():
        if C.SCORE_PREFIX + scorer in frame.columns:
            for key in keys:
                tidy[f"{scorer}.{key}"] = scores.values(scorer, key)
    tidy["arm"] = _text_column(frame, C.PROMPT_ARM)
    if TAG_SCORER in present:
        tidy[f"{TAG_SCORER}.{BY_ACCOUNTING}"] = scores.values(TAG_SCORER, BY_ACCOUNTING)
    motivation = C.SCORE_PREFIX + C.MOTIVATION
    if motivation in frame.columns and frame[motivation].notna().any():
        for key in C.MOTIVATION_KEYS:  # why training compliance complied (report.motivation)
            tidy[f"{C.MOTIVATION}.{key}"] = scores.values(C.MOTIVATION, key)
    nan = pd.Series(math.nan, index=tidy.index, dtype=float)
    tidy["complied"] = tidy[f"{compliance_scorer}.{C.COMPLIED}"] if compliance_scorer else nan
    tidy["af"] = tidy[f"{af_scorer}.{C.AF}"] if af_scorer else nan
    # A sample Inspect recorded as errored is never labelled, whatever a scorer wrote for it
    # (af_tasks.errored): it is counted as errored, as the in-log metrics count it.
    tidy["errored"] = _text_column(frame, "error").str.strip() != ""
    tidy.loc[tidy["errored"], ["complied", "af"]] = math.nan
    return tidy


def _conditions(frame: pd.DataFrame, tiers: pd.Series) -> pd.Series:
    """Each sample's condition as its metadata records it (af_tasks.conditions.condition_of;
    derived from tier and trained tier for logs written before samples carried it)."""
    recorded = _text_column(frame, C.CONDITION)
    trained = _text_column(frame, C.TRAINED_TIER)
    values = [
        condition_of({"condition": c, "tier": t, "trained_tier": tt or "free"}) or t
        for c, t, tt in zip(recorded, tiers, trained, strict=True)
    ]
    return pd.Series(values, index=frame.index, dtype=str)


def _text_column(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=str)
    return frame[column].astype("string").fillna("").astype(str)


def load_samples(
    logs: Sequence[str],
    compliance: str = C.AUTO,
    af: str = C.AUTO,
    progress: ProgressFactory | None = None,
) -> LoadedSamples:
    """Read the logs' samples into the tidy frame, choosing the scorers for each log.

    Args:
        logs: Log files (see :func:`find_logs`).
        compliance: Scorer that labels compliance: ``auto`` (the first present of
            :data:`columns.COMPLIANCE_SCORERS`) or a scorer name.
        af: Scorer that labels alignment-faking reasoning: ``auto`` (the first present of
            :data:`columns.AF_SCORERS`) or a scorer name.
        progress: Makes a progress context for a number of logs (e.g. :func:`rich_progress`).
    """
    check_choice(compliance, C.compliance_scorers(), "Compliance")
    check_choice(af, C.af_scorers(), "AF")
    runs, notes = read_runs(logs, progress)
    used = runs[runs["used"]]
    frames: list[pd.DataFrame] = []
    with (progress or _no_progress)(len(used), "reading samples") as step:
        for _, run in used.iterrows():
            try:
                frame = read_samples(str(run["log"]))
            except Exception as err:  # readable header, corrupt samples: name it, read the rest
                notes.append(unreadable(str(run["log"]), err))
                step()
                continue
            tidy = _tidy_log(frame, run, compliance, af, notes) if len(frame) else None
            if tidy is not None:
                frames.append(tidy)
            elif not len(frame):
                notes.append(f"{Path(str(run['log'])).name} ({_run_text(run)}) has no samples.")
            step()
    if not frames:
        raise NoLogsError(
            "None of the logs holds samples with query_id and tier metadata, so there is "
            "nothing to compare; pass logs of af_tasks/free_vs_paid (or a task like it)."
        )
    samples = pd.concat(frames, ignore_index=True)
    extra = sorted(c for c in samples.columns if c not in SAMPLE_COLUMNS)
    return LoadedSamples(samples[SAMPLE_COLUMNS + extra], runs, notes)
