"""The follow-up experiments' outputs: per model, per paraphrase (forest plot), per scenario.

Written by ``af-report`` when the logs call for them:

- ``models.png`` / ``models.csv`` when the logs hold two or more models: one row per model
  (and variant), sorted by gap: the gap with its interval, and the AF rate in training
  (the chart of Sheshadri et al. 2025, readable at 25 models);
- ``paraphrases.png`` / ``paraphrases.csv`` when a run spread two or more prompt paraphrases
  over its queries (``-T paraphrases=N``): each paraphrase's gap with its interval and the
  random-effects pool (:func:`af_tasks.estimates.gap_distribution`), a forest plot;
- ``scenarios.png`` / ``scenarios.csv`` when a run used a follow-up scenario or monitored
  reasoning: gap and AF rate per scenario, side by side.

Every number comes from :mod:`af_tasks.estimates` through the tables of
:mod:`af_tasks.report.table`; this module only selects, labels and draws.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from af_tasks.estimates import gap_distribution  # noqa: E402
from af_tasks.report import columns as C  # noqa: E402
from af_tasks.report.figure import save_figure  # noqa: E402
from af_tasks.report.table import GROUP, records  # noqa: E402
from af_tasks.scenarios import SCENARIOS  # noqa: E402

GAP_COLOUR = "#2c3e50"
AF_COLOUR = "#c0392b"
ROW_HEIGHT = 0.32
"""Inches per row of the per-model and per-paraphrase charts (25 rows: about 8 inches)."""
LABEL_INCHES_PER_CHAR = 0.065
"""Width of one character of an 8-point row label: the figure widens by the labels' width,
so long model names do not squeeze the panels until their axis titles run into each other."""
PANEL_WIDTH = 8.5
"""Inches for the two panels together, whatever the labels' length."""


def _run_label(row: pd.Series, with_model: bool = True) -> str:
    parts = [str(row["model"])] if with_model else []
    variant = str(row.get("variant", "") or "")
    return ", ".join(p for p in (*parts, variant) if p)


def run_rows(gaps: pd.DataFrame, conditions: pd.DataFrame) -> pd.DataFrame:
    """Per run: gap, interval and the AF rate of its training condition, side by side."""
    training = conditions[conditions["condition"] == C.TRAINING][[*GROUP, "af_rate"]]
    return gaps.merge(training, on=GROUP, how="left")


def model_table(gaps: pd.DataFrame, conditions: pd.DataFrame) -> pd.DataFrame:
    """One row per model (and variant, when runs of a model differ), sorted by gap, largest
    first: ``label``, ``gap``, ``gap_low``, ``gap_high``, ``af_rate`` (training), ``pairs``."""
    rows = run_rows(gaps, conditions)
    several_settings = rows["setting"].nunique() > 1
    rows["label"] = [
        _run_label(r) + (f" ({r['setting']})" if several_settings else "")
        for _, r in rows.iterrows()
    ]
    keep = ["label", *GROUP, "gap", "gap_low", "gap_high", "af_rate", "pairs"]
    return rows[keep].sort_values("gap", ascending=False, kind="stable").reset_index(drop=True)


def _percent(value: float) -> float:
    return 100 * value if not math.isnan(value) else math.nan


def two_panel_figure(table: pd.DataFrame, title: str, what: str) -> Figure:
    """Rows of ``label``: left, the gap with its interval; right, the AF rate in training."""
    n = len(table)
    longest = max((len(str(label)) for label in table["label"]), default=0)
    fig, (left, right) = plt.subplots(
        1,
        2,
        figsize=(PANEL_WIDTH + 0.3 + LABEL_INCHES_PER_CHAR * longest, 1.6 + ROW_HEIGHT * n),
        sharey=True,
        gridspec_kw={"width_ratios": [3, 2]},
    )
    ys = list(range(n))[::-1]
    gap = [_percent(v) for v in table["gap"]]
    low = [g - _percent(v) for g, v in zip(gap, table["gap_low"], strict=True)]
    high = [_percent(v) - g for g, v in zip(gap, table["gap_high"], strict=True)]
    left.errorbar(gap, ys, xerr=[low, high], fmt="o", color=GAP_COLOUR, capsize=3, ms=5)
    left.axvline(0, color="#888888", lw=0.8)
    left.set_xlabel("compliance gap, training − unmonitored\n(points, 95% interval)")
    left.set_yticks(ys)
    left.set_yticklabels(table["label"], fontsize=8)
    left.set_ylim(-0.7, n - 0.3)
    left.grid(axis="x", alpha=0.3)
    af = [_percent(v) for v in table["af_rate"]]
    right.barh(ys, [0 if math.isnan(v) else v for v in af], color=AF_COLOUR, height=0.6)
    for y, v in zip(ys, af, strict=True):
        right.text(
            0 if math.isnan(v) else v,
            y,
            " n/a" if math.isnan(v) else f" {v:.1f}%",
            va="center",
            fontsize=7,
        )
    right.set_xlabel("alignment-faking reasoning\nin training (%)")
    right.set_xlim(0, max([10.0, *[v * 1.25 for v in af if not math.isnan(v)]]))
    right.grid(axis="x", alpha=0.3)
    fig.suptitle(f"{title} ({what})", fontsize=10)
    fig.tight_layout()
    return fig


def paraphrase_table(samples: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per run over two or more paraphrases: one row per paraphrase (its gap, interval and
    pairs) and a ``pooled`` row (the random-effects pool; ``tau`` and ``i2`` its spread, the
    ``predict_*`` columns where a new paraphrase's gap is expected)."""
    if "paraphrase" not in samples.columns:
        return pd.DataFrame()
    rows: list[dict[str, object]] = []
    for keys, group in samples.groupby(GROUP, sort=True, dropna=False):
        if group["paraphrase"].nunique() < 2:
            continue
        run = dict(zip(GROUP, keys, strict=True))
        data = records(group)
        tagged = [
            replace(r, paraphrase=str(p)) for r, p in zip(data, group["paraphrase"], strict=True)
        ]
        dist = gap_distribution(tagged, C.TRAINING, C.UNMONITORED, confidence)
        for name, gap in dist.gaps.items():
            rows.append(
                {
                    **run,
                    "paraphrase": name,
                    "gap": gap.gap,
                    "gap_low": gap.low,
                    "gap_high": gap.high,
                    "pairs": gap.pairs,
                }
            )
        pool = dist.pooled
        rows.append(
            {
                **run,
                "paraphrase": "pooled",
                "gap": pool.pooled,
                "gap_low": pool.low,
                "gap_high": pool.high,
                "pairs": int(sum(g.pairs for g in dist.gaps.values())),
                "tau": pool.tau,
                "i2": pool.i2,
                "predict_low": pool.predict_low,
                "predict_high": pool.predict_high,
            }
        )
    return pd.DataFrame(rows)


def forest_figure(table: pd.DataFrame) -> Figure:
    """The forest plot: one row per paraphrase, the pooled gap as a diamond at the bottom,
    with the prediction interval (where a new paraphrase's gap is expected) as a thin bar."""
    runs = list(table.groupby(GROUP, sort=True, dropna=False))
    height = sum(1.0 + ROW_HEIGHT * (len(g) + 1) for _, g in runs)
    fig, axes = plt.subplots(len(runs), 1, figsize=(8, 0.6 + height), squeeze=False)
    for ax, (keys, group) in zip(axes[:, 0], runs, strict=True):
        each = group[group["paraphrase"] != "pooled"]
        pooled = group[group["paraphrase"] == "pooled"].iloc[0]
        n = len(each)
        ys = [n + 1 - i for i in range(n)]
        gap = [_percent(v) for v in each["gap"]]
        low = [g - _percent(v) for g, v in zip(gap, each["gap_low"], strict=True)]
        high = [_percent(v) - g for g, v in zip(gap, each["gap_high"], strict=True)]
        ax.errorbar(gap, ys, xerr=[low, high], fmt="s", color=GAP_COLOUR, capsize=2, ms=4)
        centre, lo, hi = (_percent(pooled[k]) for k in ("gap", "gap_low", "gap_high"))
        ax.fill([lo, centre, hi, centre], [0, 0.3, 0, -0.3], color=AF_COLOUR)
        ax.plot(
            [_percent(pooled["predict_low"]), _percent(pooled["predict_high"])],
            [0, 0],
            color=AF_COLOUR,
            lw=1,
        )
        ax.axvline(0, color="#888888", lw=0.8)
        ax.axvline(centre, color=AF_COLOUR, lw=0.6, ls="--")
        ax.set_yticks([*ys, 0])
        ax.set_yticklabels([*each["paraphrase"], "pooled (random effects)"], fontsize=8)
        ax.set_ylim(-0.8, n + 1.8)
        ax.grid(axis="x", alpha=0.3)
        run = dict(zip(GROUP, keys, strict=True))
        ax.set_title(
            f"{_run_label(pd.Series(run))}: pooled gap {centre:.1f} points "
            f"[{lo:.1f}, {hi:.1f}], between-paraphrase SD {_percent(pooled['tau']):.1f}, "
            f"I² {_percent(pooled['i2']):.0f}%",
            fontsize=9,
        )
        ax.set_xlabel("compliance gap, training − unmonitored (points, 95% interval)")
    fig.tight_layout()
    return fig


def scenario_table(
    samples: pd.DataFrame, gaps: pd.DataFrame, conditions: pd.DataFrame
) -> pd.DataFrame:
    """Per run that used a scenario or monitored reasoning, and the runs of the same model
    and setting without one: ``scenario`` (``none`` for the plain prompt), ``monitored``,
    gap, interval and AF rate in training. One block of rows per model, its scenarios in
    their declared order (the plain prompt first)."""
    if "scenario" not in samples.columns:
        return pd.DataFrame()
    per_run = (
        samples.groupby(GROUP, sort=False, dropna=False)
        .agg(scenario=("scenario", "first"), monitored=("monitored_reasoning", "first"))
        .reset_index()
    )
    per_run["scenario"] = per_run["scenario"].replace("", "none")
    per_run["monitored"] = per_run["monitored"].astype(str).str.lower() == "true"
    switched = per_run[(per_run["scenario"] != "none") | per_run["monitored"]]
    if switched.empty:
        return pd.DataFrame()
    families = switched[["model", "setting"]].drop_duplicates()
    chosen = per_run.merge(families, on=["model", "setting"])
    table = chosen.merge(run_rows(gaps, conditions), on=GROUP)
    # one block per model, its scenarios in their declared order (the plain prompt first),
    # so that a model's rows are read together from the top
    order = {name: i for i, name in enumerate(["none", *SCENARIOS])}
    table["_rank"] = [order.get(str(v), len(order)) for v in table["scenario"]]
    table = table.sort_values(
        ["model", "setting", "_rank", "scenario", "monitored"], kind="stable"
    ).reset_index(drop=True)
    table["label"] = [
        (str(r["scenario"]) + (" + monitored reasoning" if r["monitored"] else ""))
        + (f" — {r['model']}" if table["model"].nunique() > 1 else "")
        for _, r in table.iterrows()
    ]
    keep = ["label", *GROUP, "scenario", "monitored", "gap", "gap_low", "gap_high", "af_rate"]
    return table[keep].reset_index(drop=True)


def gap_without_af(table: pd.DataFrame) -> list[str]:
    """Plain sentences for runs whose gap stands while AF reasoning nearly vanishes: the
    gap's interval lies above 0 and the AF rate in training is below a quarter of the gap
    (the 2026 monitored-reasoning finding: the gap stays, verbalised AF falls ~94%)."""
    found = []
    for _, r in table.iterrows():
        gap, low, af = float(r["gap"]), float(r["gap_low"]), float(r["af_rate"])
        if low > 0 and not math.isnan(af) and af < gap / 4:
            found.append(
                f"{r['label']}: a compliance gap of {100 * gap:.1f} points (interval from "
                f"{100 * low:.1f}) stands without alignment-faking reasoning to match it (AF "
                f"in training {100 * af:.1f}%). The gap and the verbalised reasoning are "
                f"reported apart: a gap without stated AF reasoning is itself a finding."
            )
    return found


def write_experiments(
    samples: pd.DataFrame, gaps: pd.DataFrame, conditions: pd.DataFrame, folder: Path
) -> tuple[dict[str, Path], str]:
    """Write the charts and tables the logs call for; return their paths and a Markdown
    section for the report (empty when none applies)."""
    paths: dict[str, Path] = {}
    sections: list[str] = []
    models = model_table(gaps, conditions)
    if models["model"].nunique() >= 2:
        paths["models_csv"] = folder / "models.csv"
        models.to_csv(paths["models_csv"], index=False)
        fig = two_panel_figure(models, "Per model", f"{len(models)} runs, sorted by gap")
        paths["models_png"], paths["models_svg"] = save_figure(fig, folder, "models")
        sections.append("## Per model\n\n![per model](models.png)\n")
    paraphrases = paraphrase_table(samples)
    if not paraphrases.empty:
        paths["paraphrases_csv"] = folder / "paraphrases.csv"
        paraphrases.to_csv(paths["paraphrases_csv"], index=False)
        fig = forest_figure(paraphrases)
        paths["paraphrases_png"], paths["paraphrases_svg"] = save_figure(fig, folder, "paraphrases")
        lines = []
        for _, r in paraphrases[paraphrases["paraphrase"] == "pooled"].iterrows():
            lines.append(
                f"- {_run_label(r)}: pooled gap {100 * r['gap']:.1f} points "
                f"[{100 * r['gap_low']:.1f}, {100 * r['gap_high']:.1f}] over "
                f"{int((paraphrases[GROUP] == r[GROUP]).all(axis=1).sum()) - 1} paraphrases; "
                f"between-paraphrase SD {100 * r['tau']:.1f} points, I² {100 * r['i2']:.0f}%; "
                f"a new paraphrase's gap is expected in "
                f"[{100 * r['predict_low']:.1f}, {100 * r['predict_high']:.1f}]."
            )
        sections.append(
            "## Over paraphrases (random effects, DerSimonian-Laird)\n\n"
            + "\n".join(lines)
            + "\n\n![forest plot](paraphrases.png)\n"
        )
    scenarios = scenario_table(samples, gaps, conditions)
    if not scenarios.empty:
        paths["scenarios_csv"] = folder / "scenarios.csv"
        scenarios.to_csv(paths["scenarios_csv"], index=False)
        fig = two_panel_figure(scenarios, "Per scenario", "gap and AF reasoning side by side")
        paths["scenarios_png"], paths["scenarios_svg"] = save_figure(fig, folder, "scenarios")
        sections.append("## Per scenario\n\n![per scenario](scenarios.png)\n")
    plain = gap_without_af(models)
    if plain:
        sections.append("## Gaps without AF reasoning\n\n" + "\n".join(f"- {s}" for s in plain))
    return paths, "\n".join(sections)
