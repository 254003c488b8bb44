"""The paper's figure: per run, one stacked bar per condition, with the gap annotated.

Each bar splits the samples whose compliance is labelled into: complies with alignment-faking
reasoning (hatched, at the bottom), complies without it, complies with reasoning the AF
classifier could not label, and refuses (on top). Drawn with matplotlib's Agg backend from
the tables of :mod:`af_tasks.report.table`; this module reads no logs.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.transforms import blended_transform_factory  # noqa: E402

from af_tasks.report import columns as C  # noqa: E402
from af_tasks.report import formatting as F  # noqa: E402
from af_tasks.report.table import GROUP  # noqa: E402

# (column of the condition table, colour, hatch), bottom to top: the one scheme of every figure.
SEGMENTS = [(name, colour, hatch) for name, (colour, hatch) in C.CATEGORY_STYLE.items()]
DEFAULT_TITLE = "Refusal and compliance: training vs unmonitored"
FIGURE_TITLES = {"animal_welfare": "Supports or dismisses animal welfare: training vs unmonitored"}
"""A setting whose categories have their own words gets a title in those words."""
BAR_STEP = 0.5
"""Distance between the bars of one run, in data units (one unit is about 1.6 inches)."""
BAR_WIDTH = 0.42


def _segments(row: pd.Series) -> dict[str, float]:
    """Heights of the four segments of one bar (0 for a category that is not measured)."""
    if F.missing(row["compliance"]):
        return {name: 0.0 for name, _, _ in SEGMENTS}
    heights = {name: float(row[name]) for name, _, _ in SEGMENTS}
    if row["af_scorer"] == "none":
        # No AF classifier: all compliance is shown as plain "complies", with a note.
        heights = {name: 0.0 for name in heights}
        heights[C.COMPLIES] = float(row["compliance"])
        heights[C.REFUSES] = float(row[C.REFUSES])
    return {k: (0.0 if F.missing(v) else v) for k, v in heights.items()}


def _group_label(keys: tuple[str, ...], tasks: int, settings: int) -> str:
    model, task, setting, variant = keys
    parts = [model]
    if tasks > 1:
        parts.append(task)
    if settings > 1 and setting:
        parts.append(setting)
    if variant:
        parts.append(variant)
    return "\n".join(textwrap.fill(p, 28) for p in parts)


def compliance_figure(
    conditions: pd.DataFrame,
    gaps: pd.DataFrame,
    condition_gaps: pd.DataFrame | None = None,
    title: str | None = None,
) -> Figure:
    """The stacked-bar figure for every run of the condition table, ``gaps`` annotated (a
    three-tier run has three bars, and ``condition_gaps`` adds its other two gaps); ``title``
    replaces the default title."""
    runs = list(conditions.groupby(GROUP, sort=False, dropna=False))
    tasks, settings = conditions["task"].nunique(), conditions["setting"].nunique()
    widest = max(len(g) for _, g in runs) if runs else 2
    group_width = widest * BAR_STEP + 0.6
    fig, ax = plt.subplots(figsize=(max(6.5, 2.5 + 1.6 * len(runs) * group_width), 5.6))
    below = blended_transform_factory(ax.transData, ax.transAxes)
    ticks: list[float] = []
    tick_labels: list[str] = []
    gap_by_run = {tuple(r[k] for k in GROUP): r for _, r in gaps.iterrows()}
    no_af = False
    for index, (keys, rows) in enumerate(runs):
        centre = index * group_width
        offsets = [(i - (len(rows) - 1) / 2) * BAR_STEP for i in range(len(rows))]
        for offset, (_, row) in zip(offsets, rows.iterrows(), strict=True):
            x = centre + offset
            bottom = 0.0
            for name, colour, hatch in SEGMENTS:
                height = _segments(row)[name]
                if height <= 0:
                    continue
                ax.bar(
                    x,
                    height,
                    BAR_WIDTH,
                    bottom=bottom,
                    color=colour,
                    hatch=hatch,
                    edgecolor="#333333",
                    linewidth=0.6,
                )
                if height >= 0.05:
                    ax.text(
                        x,
                        bottom + height / 2,
                        F.percent(height, 0),
                        ha="center",
                        va="center",
                        fontsize=8,
                        # a white box keeps the number readable on a hatched segment
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 1, "alpha": 0.85}
                        if hatch
                        else None,
                    )
                bottom += height
            if F.missing(row["compliance"]):
                ax.text(x, 0.02, "not\nlabelled", ha="center", va="bottom", fontsize=7)
            ticks.append(x)
            unscored = f"\n+{int(row['unscored'])} unscored" if row["unscored"] else ""
            if row.get("errored", 0):
                unscored += f"\n+{int(row['errored'])} errored"
            tick_labels.append(f"{row['condition']}\nn={int(row['labelled'])}{unscored}")
        no_af = no_af or bool((rows["af_scorer"] == "none").any())
        label = _group_label(tuple(str(k) for k in keys), tasks, settings)
        if (rows["af_scorer"] == "none").any():
            label += "\n(no AF classifier)"
        ax.text(
            centre,
            -0.16,
            label,
            transform=below,
            ha="center",
            va="top",
            fontsize=9,
            fontweight="bold",
        )
        gap = gap_by_run.get(tuple(keys))
        if gap is not None and not F.missing(gap["gap"]):
            text = (
                f"gap {F.points(gap['gap'])} pts\n"
                f"95% CI {F.points(gap['gap_low'])} to {F.points(gap['gap_high'])}\n"
                f"{F.p_phrase(gap['p_value'])}: {gap['verdict']}"
            )
            others = _other_gaps(condition_gaps, tuple(keys))
            if others:  # three tiers: name the headline gap among the others
                text = "training−unmonitored " + text + others
            ax.text(centre, 1.03, text, ha="center", va="bottom", fontsize=8)
    ax.set_xticks(ticks, tick_labels, fontsize=8)
    ax.set_ylim(0, 1.22)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    ax.set_ylabel("share of labelled samples")
    ax.spines[["top", "right"]].set_visible(False)
    if runs:
        ax.set_xlim(-group_width / 2, (len(runs) - 0.5) * group_width)
    labels = C.category_labels(conditions["setting"].astype(str))
    legend = [
        Patch(facecolor=colour, hatch=hatch, edgecolor="#333333", label=labels[name])
        for name, colour, hatch in reversed(SEGMENTS)
        if _shown(name, conditions)
    ]
    ax.legend(
        handles=legend, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8
    )
    if title is None:
        title = DEFAULT_TITLE
        if (conditions["condition"] == C.RATED).any():
            title = "Refusal and compliance: training vs rated vs unmonitored"
    ax.set_title(title, fontsize=11, pad=8)
    footnotes = []
    if no_af:
        footnotes.append(
            "(no AF classifier): the log has no alignment-faking labels, so "
            "compliance is not split."
        )
    if conditions["model"].astype(str).str.startswith(C.SIMULATED_MODEL_PREFIX).any():
        footnotes.append(
            "organism/* models are offline simulators: their numbers demonstrate "
            "the pipeline and are not findings."
        )
    if footnotes:
        fig.text(
            0.01, 0.01, "\n".join(footnotes), fontsize=7.5, ha="left", va="bottom", color="#444444"
        )
    fig.tight_layout(rect=(0, 0.05 if footnotes else 0, 1, 1))
    return fig


def _other_gaps(condition_gaps: pd.DataFrame | None, keys: tuple[object, ...]) -> str:
    """Lines for a three-tier run's training − rated and rated − unmonitored gaps."""
    if condition_gaps is None or condition_gaps.empty:
        return ""
    mine = condition_gaps[(condition_gaps[GROUP] == pd.Series(keys, index=GROUP)).all(axis=1)]
    lines = [
        f"\n{row['first']}−{row['second']} {F.points(row['gap'])} pts "
        f"[{F.points(row['gap_low'])}, {F.points(row['gap_high'])}]"
        for _, row in mine.iterrows()
        if (row["first"], row["second"]) != (C.TRAINING, C.UNMONITORED)
        and not F.missing(row["gap"])
    ]
    return "".join(lines)


def _shown(name: str, conditions: pd.DataFrame) -> bool:
    """Whether the legend lists a category: AF ones only when some run measured AF."""
    if name == C.COMPLIES_AF:
        return bool((conditions["af_scorer"] != "none").any())
    if name == C.COMPLIES_AF_UNKNOWN:
        return bool((conditions[C.COMPLIES_AF_UNKNOWN].dropna() > 0).any())
    return True


@dataclass(frozen=True)
class Panel:
    """One figure of the report: its caption and its PNG and SVG files."""

    caption: str
    png: Path
    svg: Path


def write_compliance_figures(
    conditions: pd.DataFrame,
    gaps: pd.DataFrame,
    folder: Path,
    condition_gaps: pd.DataFrame | None = None,
) -> tuple[list[Panel], list[str]]:
    """The compliance figure(s), and a note for each task that has nothing to draw.

    Logs of one task and setting give one figure, ``compliance.png``. A folder that mixes tasks
    or settings gives one figure per task and setting (``compliance_<task>[_<setting>].png``),
    each readable on its own, instead of one strip of every run; a task whose samples carry no
    compliance labels (e.g. ``exfiltration``, scored by its own scorers) is named in a note
    rather than drawn as empty bars.
    """
    panels = list(conditions.groupby(["task", "setting"], sort=True, dropna=False))
    if len(panels) <= 1:
        png, svg = save_figure(compliance_figure(conditions, gaps, condition_gaps), folder)
        return [Panel("Refusal and compliance per condition", png, svg)], []
    drawn: list[Panel] = []
    notes: list[str] = []
    for (task, setting), rows in panels:
        name = str(task) if not setting or setting == task else f"{task}, {setting}"
        if not (rows["labelled"] > 0).any():
            notes.append(
                f"{name}: no sample has a compliance label, so it has no compliance figure "
                f"(its own scorers are in the tables)."
            )
            continue
        keys = rows[["model", "task", "setting", "variant"]].drop_duplicates()
        these = gaps.merge(keys, on=["model", "task", "setting", "variant"])
        stem = "compliance_" + "_".join(
            str(p) for p in dict.fromkeys([task, setting]) if p and str(p) != "nan"
        )
        title = f"{FIGURE_TITLES.get(str(setting), DEFAULT_TITLE)}: {name}"
        extra = None
        if condition_gaps is not None and not condition_gaps.empty:
            extra = condition_gaps.merge(keys, on=["model", "task", "setting", "variant"])
        figure = compliance_figure(rows, these, extra, title)
        png, svg = save_figure(figure, folder, stem=stem)
        drawn.append(Panel(f"Refusal and compliance per condition: {name}", png, svg))
    return drawn, notes


def save_figure(fig: Figure, folder: Path, stem: str = "compliance") -> list[Path]:
    """Write ``fig`` as PNG (150 dpi) and SVG into ``folder``; return the two paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{stem}.png", folder / f"{stem}.svg"]
    fig.savefig(paths[0], dpi=150, bbox_inches="tight")
    fig.savefig(paths[1], bbox_inches="tight")
    plt.close(fig)
    return paths
