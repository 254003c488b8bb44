"""Behaviour across training checkpoints: the paper's stacked-area figure and its table.

A checkpoint's log says which training step it is by its eval metadata, written with
Inspect's own option: ``inspect eval ... --model <checkpoint> --metadata step=200``. (For the
simulated run, ``organism/rl -M step=N`` is read when no ``--metadata step`` is given.) Logs of
one training run form a *series*: by default the task, setting and variant; add
``--metadata series=NAME`` to keep two runs of the same task apart.

Per series and step, the numbers come from the report's own statistics over the per-sample
frame (:func:`af_tasks.report.table.condition_table` for the stacked categories,
:func:`af_tasks.report.table.gap_table` for the gap and its paired interval), so a step's
numbers are exactly those of ``af-report`` on that checkpoint's log alone. Outputs:
``trajectory.csv`` and ``trajectory.md`` (per step: the three categories per condition, the
gap with its 95% interval), and ``trajectory.png``/``.svg``: per condition, a stacked area
over steps of refuses (blue), complies (yellow) and complies with alignment-faking
reasoning (red cross-hatched over yellow), as in the paper's figure.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from inspect_ai.analysis import EvalColumn, EvalInfo, evals_df  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from af_tasks.report import columns as C  # noqa: E402
from af_tasks.report import formatting as F  # noqa: E402
from af_tasks.report.table import condition_table, gap_table  # noqa: E402

RUN_INFO_COLUMNS = [
    *EvalInfo,
    EvalColumn("step", path="eval.metadata.step"),
    EvalColumn("series", path="eval.metadata.series"),
    EvalColumn("model_args", path="eval.model_args"),
    EvalColumn("eval_model", path="eval.model", required=True),
    EvalColumn("training_info", path="eval.task_args.training_info"),
]
SERIES_KEY = ["series", "task", "setting", "variant"]
CONDITIONS = (C.TRAINING, C.UNMONITORED)
"""The two conditions drawn, by the samples' ``condition`` (what their prompt said)."""

# (condition-table column, face colour, hatch, hatch colour), bottom to top: the same scheme
# as the stacked bars (af_tasks.report.columns.CATEGORY_STYLE).
LAYERS = [
    (name, face, hatch, "#333333" if hatch else face)
    for name, (face, hatch) in C.CATEGORY_STYLE.items()
]
CATEGORIES = (C.REFUSES, *C.AF_CATEGORIES)
"""The stacked categories, as :func:`af_tasks.estimates.category_shares` names them."""
SIMULATION_NOTE = (
    "SIMULATION: organism/* models are offline simulators; this trajectory demonstrates the "
    "pipeline and is not a finding about any model."
)


# --- which step each log is --------------------------------------------------------------------


def _args(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip():
        parsed = json.loads(value)
        return parsed if isinstance(parsed, dict) else {}
    return {}


def _step(value: Any, log: str) -> float:
    if F.missing(value):
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(
            f"{Path(log).name}: its --metadata step is {value!r}; a training step must be a "
            f"number ≥ 0 (e.g. --metadata step=200)."
        )
    return float(value)


def run_info(logs: Sequence[str]) -> pd.DataFrame:
    """Per log: its training step (NaN when it has none), series name and ``training_info``."""
    frames = [evals_df(log, columns=RUN_INFO_COLUMNS, quiet=True) for log in logs]
    if not frames:
        return pd.DataFrame(columns=["log", "step", "series_name", "training_info"])
    evals = pd.concat(frames, ignore_index=True)
    rows = []
    for _, row in evals.iterrows():
        step = _step(row.get("step"), str(row["log"]))
        if math.isnan(step) and str(row["eval_model"]).startswith(C.SIMULATED_MODEL_PREFIX):
            step = _step(_args(row.get("model_args")).get("step"), str(row["log"]))
        series = row.get("series")
        rows.append(
            {
                "log": str(row["log"]),
                "step": step,
                "series_name": "" if F.missing(series) else str(series),
                "training_info": row.get("training_info"),
            }
        )
    return pd.DataFrame(rows)


# --- the tables ---------------------------------------------------------------------------------

_STEP_ARG = re.compile(r"(?:, )?\bstep=\d+(?:\.\d+)?")


def _base_model(label: str) -> str:
    """A model label without its ``step=N`` argument: ``organism/rl (step=200)`` ->
    ``organism/rl``."""
    return _STEP_ARG.sub("", label).replace(" ()", "").replace("(, ", "(")


def _series_label(rows: pd.DataFrame) -> str:
    name = str(rows["series_name"].iloc[0])
    if name:
        return name
    models = sorted({_base_model(str(m)) for m in rows["model"]})
    return models[0] if len(models) == 1 else f"{len(models)} checkpoints"


def step_samples(samples: pd.DataFrame, info: pd.DataFrame) -> pd.DataFrame:
    """The per-sample frame of the logs that carry a step, with ``step`` and ``series``."""
    merged = samples.merge(info[["log", "step", "series_name"]], on="log", how="left")
    merged = merged[merged["step"].notna()].copy()
    if merged.empty:
        return merged
    labels: dict[tuple[Any, ...], str] = {}
    keys = ["series_name", "task", "setting", "variant"]
    for key, rows in merged.groupby(keys, sort=False, dropna=False):
        labels[tuple(key)] = _series_label(rows)
    merged["series"] = [labels[tuple(k)] for k in merged[keys].itertuples(index=False)]
    for key, rows in merged.groupby([*SERIES_KEY, "step"], sort=False, dropna=False):
        models = sorted(set(rows["model"]))
        if len(models) > 1:
            raise ValueError(
                f"Series {key[0]!r} has {len(models)} runs at step {key[-1]:g} "
                f"({', '.join(models)}): give each training run its own "
                f"--metadata series=NAME."
            )
    return merged


def trajectory_table(steps: pd.DataFrame) -> pd.DataFrame:
    """One row per series and step: each condition's categories, and the gap with its interval.

    The categories are :func:`condition_table`'s (shares of the samples whose compliance is
    labelled); the gap, interval, p-value and pairs are :func:`gap_table`'s, computed on the
    step's samples alone.
    """
    rows: list[dict[str, Any]] = []
    for key, group in steps.groupby([*SERIES_KEY, "step"], sort=True, dropna=False):
        record: dict[str, Any] = dict(zip([*SERIES_KEY, "step"], key, strict=True))
        record["model"] = ", ".join(sorted(set(group["model"])))
        single = group.assign(model=record["series"])
        conditions = condition_table(single)
        for condition in CONDITIONS:
            match = conditions[conditions["condition"] == condition]
            row = match.iloc[0] if len(match) else None
            for column in ("n", "labelled", *CATEGORIES, "compliance", "af_rate"):
                record[f"{condition}_{column}"] = math.nan if row is None else row[column]
            if row is not None and row["af_scorer"] == "none":
                # no AF classifier: all compliance is drawn as plain "complies"
                record[f"{condition}_{C.COMPLIES}"] = row["compliance"]
                record[f"{condition}_{C.COMPLIES_AF}"] = 0.0
                record[f"{condition}_{C.COMPLIES_AF_UNKNOWN}"] = 0.0
        gap = gap_table(single).iloc[0]
        for column in ("pairs", "gap", "gap_low", "gap_high", "p_value", "verdict"):
            record[column] = gap[column]
        record["af_scorer"] = ",".join(sorted(set(conditions["af_scorer"])))
        rows.append(record)
    table = pd.DataFrame(rows)
    if not table.empty:
        table["step"] = table["step"].map(lambda s: int(s) if float(s).is_integer() else s)
    return table


def trajectory_markdown(table: pd.DataFrame) -> str:
    """Per series, one row per step: refuses / complies / complies with AF per condition,
    and the gap with its 95% interval."""
    parts = ["# Behaviour across training steps", ""]
    if table["model"].astype(str).str.contains(C.SIMULATED_MODEL_PREFIX).any():
        parts += [f"**{SIMULATION_NOTE}**", ""]
    for (series, task, setting, variant), rows in table.groupby(SERIES_KEY, sort=False):
        title = ", ".join(str(p) for p in (series, task, setting, variant) if str(p))
        parts += [f"## {title}", ""]
        lines = []
        for _, row in rows.iterrows():
            line: dict[str, str] = {"step": str(row["step"])}
            for condition in CONDITIONS:
                line[f"{condition}: refuses / complies / AF"] = " / ".join(
                    F.percent(row[f"{condition}_{c}"], 0)
                    for c in (C.REFUSES, C.COMPLIES, C.COMPLIES_AF)
                )
                line[f"{condition} n"] = F.count(row[f"{condition}_labelled"])
            line["gap (points)"] = F.points(row["gap"])
            line["95% interval"] = (
                f"{F.points(row['gap_low'])} to {F.points(row['gap_high'])}"
                if not F.missing(row["gap"])
                else F.BLANK
            )
            line["pairs"] = F.count(row["pairs"])
            line["p (McNemar)"] = F.p_value(row["p_value"])
            lines.append(line)
        parts += [F.markdown_table(pd.DataFrame(lines)), ""]
    parts.append(
        "Categories are shares of the samples whose compliance is labelled; AF = complies "
        "with alignment-faking reasoning. The gap is compliance in training minus "
        "unmonitored on the step's paired queries, with the report's paired 95% interval."
    )
    return "\n".join(parts) + "\n"


# --- the figure ---------------------------------------------------------------------------------


def _heights(rows: pd.DataFrame, condition: str, column: str) -> list[float]:
    return [0.0 if F.missing(v) else float(v) for v in rows[f"{condition}_{column}"]]


def trajectory_figure(table: pd.DataFrame) -> Figure:
    """Per series (a row) and condition (a column), the stacked areas over steps."""
    series = list(table.groupby(SERIES_KEY, sort=False))
    fig, axes = plt.subplots(
        len(series), len(CONDITIONS), figsize=(10, 3.6 * len(series) + 0.9), squeeze=False
    )
    shown: set[str] = set()
    for index, ((name, _task, setting, variant), rows) in enumerate(series):
        steps = [float(s) for s in rows["step"]]
        for col, condition in enumerate(CONDITIONS):
            ax = axes[index][col]
            bottom = [0.0] * len(steps)
            for column, face, hatch, hatch_colour in LAYERS:
                heights = _heights(rows, condition, column)
                if not any(heights):
                    continue
                top = [b + h for b, h in zip(bottom, heights, strict=True)]
                ax.fill_between(
                    steps,
                    bottom,
                    top,
                    facecolor=face,
                    hatch=hatch,
                    edgecolor=hatch_colour,
                    linewidth=0.0,
                )
                ax.plot(steps, top, color="#333333", linewidth=0.6)
                shown.add(column)
                bottom = top
            ax.set_xlim(min(steps), max(steps) if len(steps) > 1 else min(steps) + 1)
            ax.set_ylim(0, 1)
            ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
            ax.set_xticks(steps, [f"{s:g}" for s in steps], fontsize=8)
            ax.set_xlabel("training step")
            where = ", ".join(str(p) for p in (name, setting, variant) if str(p))
            ax.set_title(f"{condition} — {where}", fontsize=10)
            ax.spines[["top", "right"]].set_visible(False)
        axes[index][0].set_ylabel("share of labelled samples")
    labels = C.category_labels(table["setting"].astype(str))
    legend = [
        Patch(facecolor=face, hatch=hatch, edgecolor=hatch_colour, label=labels[column])
        for column, face, hatch, hatch_colour in reversed(LAYERS)
        if column in shown
    ]
    fig.legend(handles=legend, loc="upper center", ncol=len(legend), frameon=False, fontsize=9)
    simulated = table["model"].astype(str).str.contains(C.SIMULATED_MODEL_PREFIX).any()
    if simulated:
        fig.text(
            0.5,
            0.005,
            SIMULATION_NOTE,
            ha="center",
            va="bottom",
            fontsize=8,
            color="#b03a2e",
            wrap=True,
        )
    fig.tight_layout(rect=(0, 0.04 if simulated else 0, 1, 0.94))
    return fig


def write_trajectory(samples: pd.DataFrame, folder: Path) -> dict[str, Path]:
    """Write the trajectory table and figure when some of the samples' logs carry a step."""
    steps = step_samples(samples, run_info(sorted(set(samples["log"]))))
    if steps.empty:
        return {}
    table = trajectory_table(steps)
    paths = {
        "trajectory_csv": folder / "trajectory.csv",
        "trajectory_md": folder / "trajectory.md",
        "trajectory_png": folder / "trajectory.png",
        "trajectory_svg": folder / "trajectory.svg",
    }
    table.to_csv(paths["trajectory_csv"], index=False)
    paths["trajectory_md"].write_text(trajectory_markdown(table), encoding="utf-8")
    fig = trajectory_figure(table)
    fig.savefig(paths["trajectory_png"], dpi=150, bbox_inches="tight")
    fig.savefig(paths["trajectory_svg"], bbox_inches="tight")
    plt.close(fig)
    return paths
