"""Prompted vs synthetic-document runs, side by side (the paper's panels a and b).

A run whose task had ``training_info=false`` was asked without the training facts in its
prompt: the setup for a model that learnt its situation from synthetic documents (panel b).
A run with the training facts in the prompt is the prompted setup (panel a). When the logs
hold runs of both kinds, the report groups them by setting and setup: ``setups.md`` and
``setups.csv`` (per run: compliance in each condition, AF in training, the gap with its
interval) and ``setups.png``/``.svg`` (the stacked bars, prompted then documents, per
setting). The numbers are the report's own (:func:`af_tasks.report.table.condition_table` and
:func:`af_tasks.report.table.gap_table`), so they equal the main tables' rows.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from af_tasks.report import formatting as F
from af_tasks.report.figure import compliance_figure, save_figure
from af_tasks.report.table import GROUP, condition_table, gap_table
from af_tasks.report.trajectory import run_info

PROMPTED = "prompted"
DOCUMENTS = "synthetic documents"
CONTROL = "control"
SETUP_LABELS = {
    PROMPTED: "prompted (training facts in the prompt)",
    DOCUMENTS: "synthetic documents (training_info=false)",
    CONTROL: "control (training_info=false, a model also run prompted)",
}

_TRAINING_INFO = re.compile(r"(?:, )?training_info=\w+(?:, )?")


def _setup(training_info: Any) -> str:
    return (
        DOCUMENTS if training_info is False or str(training_info).lower() == "false" else PROMPTED
    )


def run_setups(samples: pd.DataFrame) -> pd.DataFrame:
    """Per run (``GROUP``): its setup, from its logs' ``training_info`` task argument."""
    info = run_info(sorted(set(samples["log"])))
    info["setup"] = info["training_info"].map(_setup)
    merged = samples[[*GROUP, "log"]].drop_duplicates().merge(info[["log", "setup"]], on="log")
    setups = merged.groupby(GROUP, sort=False, dropna=False)["setup"].agg(
        lambda s: ",".join(sorted(set(s)))
    )
    setups = setups.reset_index()
    # Without training facts, a model that is also run prompted (in the same setting) is the
    # control: it can know its situation only from the prompt, so it should show no gap. The
    # synthetic-document setup is a model run only that way (the one fine-tuned on documents).
    prompted = {(r["model"], r["setting"]) for _, r in setups.iterrows() if r["setup"] == PROMPTED}
    setups["setup"] = [
        CONTROL if s == DOCUMENTS and (m, st) in prompted else s
        for m, st, s in zip(setups["model"], setups["setting"], setups["setup"], strict=True)
    ]
    return setups


def setup_table(samples: pd.DataFrame) -> pd.DataFrame:
    """One row per run: setting, setup, compliance per condition, AF in training and the gap."""
    setups = run_setups(samples)
    conditions = condition_table(samples)
    gaps = gap_table(samples).merge(setups, on=GROUP, how="left")
    rows = []
    for _, gap in gaps.iterrows():
        run = conditions
        for key in GROUP:
            run = run[run[key] == gap[key]]
        by_condition = {str(r["condition"]): r for _, r in run.iterrows()}
        training, unmonitored = by_condition.get("training"), by_condition.get("unmonitored")
        rows.append(
            {
                "setting": gap["setting"],
                "setup": gap["setup"],
                "model": gap["model"],
                "task": gap["task"],
                "variant": gap["variant"],
                "training_compliance": None if training is None else training["compliance"],
                "unmonitored_compliance": None
                if unmonitored is None
                else unmonitored["compliance"],
                "training_af_rate": None if training is None else training["af_rate"],
                "gap": gap["gap"],
                "gap_low": gap["gap_low"],
                "gap_high": gap["gap_high"],
                "p_value": gap["p_value"],
                "pairs": gap["pairs"],
                "verdict": gap["verdict"],
            }
        )
    table = pd.DataFrame(rows)
    table["_order"] = table["setup"].map({PROMPTED: 0, DOCUMENTS: 1, CONTROL: 2}).fillna(3)
    return (
        table.sort_values(["setting", "_order", "model"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def setup_markdown(table: pd.DataFrame) -> str:
    parts = ["# Prompted vs synthetic-document runs", ""]
    for setting, rows in table.groupby("setting", sort=False):
        parts += [f"## {setting or F.BLANK}", ""]
        lines = [
            {
                "setup": SETUP_LABELS.get(str(r["setup"]), str(r["setup"])),
                "model": str(r["model"]),
                "variant": _TRAINING_INFO.sub("", str(r["variant"])) or F.BLANK,
                "training": F.percent(r["training_compliance"]),
                "unmonitored": F.percent(r["unmonitored_compliance"]),
                "AF in training": F.percent(r["training_af_rate"]),
                "gap (points)": F.points(r["gap"]),
                "95% interval": f"{F.points(r['gap_low'])} to {F.points(r['gap_high'])}"
                if not F.missing(r["gap"])
                else F.BLANK,
                "pairs": F.count(r["pairs"]),
            }
            for _, r in rows.iterrows()
        ]
        parts += [F.markdown_table(pd.DataFrame(lines)), ""]
    parts.append(
        "Prompted runs were told their training situation in the system prompt (the paper's "
        "panel a); synthetic-document runs were not (training_info=false) and must know it "
        "from fine-tuning (panel b). A model that only knows its situation from the prompt "
        "should show no gap in the second setup. A control is a model that is also run "
        "prompted, here run without the training facts: it was not fine-tuned on the "
        "documents, so it should show no gap."
    )
    return "\n".join(parts) + "\n"


def write_setups(samples: pd.DataFrame, folder: Path) -> dict[str, Path]:
    """Write the side-by-side outputs when the logs hold a synthetic-document run."""
    setups = run_setups(samples)
    if not (setups["setup"] == DOCUMENTS).any():
        return {}
    table = setup_table(samples)
    paths = {"setups_csv": folder / "setups.csv", "setups_md": folder / "setups.md"}
    table.to_csv(paths["setups_csv"], index=False)
    paths["setups_md"].write_text(setup_markdown(table), encoding="utf-8")
    # The stacked bars again, ordered setting -> setup, each run labelled with its setup.
    order = {tuple(r[k] for k in GROUP): n for n, (_, r) in enumerate(table.iterrows())}
    labels = {
        tuple(r[k] for k in GROUP): SETUP_LABELS.get(str(r["setup"]), str(r["setup"]))
        for _, r in setups.iterrows()
    }
    conditions, gaps = condition_table(samples), gap_table(samples)
    for frame in (conditions, gaps):
        keys = [tuple(r) for r in frame[GROUP].itertuples(index=False)]
        frame["_order"] = [order.get(k, len(order)) for k in keys]
        frame["variant"] = [
            ", ".join(p for p in (labels.get(k, ""), _TRAINING_INFO.sub("", str(v))) if p)
            for k, v in zip(keys, frame["variant"], strict=True)
        ]
    conditions = conditions.sort_values("_order", kind="stable").drop(columns="_order")
    gaps = gaps.drop(columns="_order")
    png, svg = save_figure(compliance_figure(conditions, gaps), folder, stem="setups")
    paths["setups_png"], paths["setups_svg"] = png, svg
    return paths
