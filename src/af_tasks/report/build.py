"""``build_report``: logs in, tables, figure and summary out. The CLI is a thin layer on it."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from af_tasks.report import columns as C
from af_tasks.report.cost import (
    RunCost,
    cost_markdown,
    cost_summary,
    load_prices,
    run_cost,
    usage_from_stats,
)
from af_tasks.report.exfiltration import (
    exfiltration_summary,
    exfiltration_table,
    only_exfiltration,
    write_exfiltration,
)
from af_tasks.report.experiments import write_experiments
from af_tasks.report.figure import write_compliance_figures
from af_tasks.report.loading import RUN_KEY, find_logs, load_samples, rich_progress
from af_tasks.report.markdown import report_markdown
from af_tasks.report.motivation import (
    motivation_markdown,
    motivation_summary,
    motivation_table,
)
from af_tasks.report.outputs import replace_outputs
from af_tasks.report.projection import (
    pilot_runs,
    projection_markdown,
    projection_summary,
    projection_table,
)
from af_tasks.report.reliability import (
    accounting_table,
    agreement_table,
    reliability_markdown,
)
from af_tasks.report.setups import write_setups
from af_tasks.report.summary import summary_text
from af_tasks.report.table import (
    GROUP,
    condition_gap_table,
    condition_table,
    gap_table,
    scorer_table,
)
from af_tasks.report.trajectory import write_trajectory
from af_tasks.resources import common_folder

OUTPUT_FOLDER = "af_report"
"""Default output folder, created next to the logs."""


@dataclass
class Report:
    """What :func:`build_report` computed and where it wrote it."""

    samples: pd.DataFrame
    """Tidy samples: one row per sample (see :mod:`af_tasks.report.loading`)."""
    conditions: pd.DataFrame
    """Per run and condition (:func:`af_tasks.report.table.condition_table`)."""
    gaps: pd.DataFrame
    """Per run: gap, interval, p-value (:func:`af_tasks.report.table.gap_table`)."""
    condition_gaps: pd.DataFrame
    """Per three-tier run: its three gaps (:func:`af_tasks.report.table.condition_gap_table`;
    empty without such runs)."""
    scorers: pd.DataFrame
    """Per run, condition and scorer (:func:`af_tasks.report.table.scorer_table`)."""
    runs: pd.DataFrame
    """One row per log found, with whether the report used it."""
    notes: list[str]
    """What a reader must know about the logs (skipped logs, missing classifiers...)."""
    summary: str
    """The plain-language summary (also in ``summary.md``)."""
    paths: dict[str, Path] = field(default_factory=dict)
    """Written files by kind: table_md, table_csv, gaps_csv, scorers_csv, cost_csv, png, svg,
    summary, accounting_csv, agreement_csv (with both tag and judge labels),
    condition_gaps_csv with three-tier runs, motivation_csv when the logs carry the
    motivation scorer, and exfiltration_csv and exfiltration_png with exfiltration runs
    (:mod:`af_tasks.report.exfiltration`)."""
    cost: RunCost | None = None
    """Tokens and price per model and role (:mod:`af_tasks.report.cost`)."""
    projection: pd.DataFrame | None = None
    """For pilot logs (run with ``--limit``): the projected cost of the full set, per task,
    model and role (:mod:`af_tasks.report.projection`); None when no log is a pilot."""


def default_output(paths: Sequence[str | Path]) -> Path:
    """``<log folder>/af_report``: the folder given, or the one holding the files given.

    With several paths, the deepest folder that holds them all.
    """
    return common_folder(paths) / OUTPUT_FOLDER


def _scoped(samples: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """Per log run with af_scope=complied and an AF classifier: samples graded (labelled
    compliant) and not graded."""
    chosen = samples[(samples["af_scope"] == "complied") & (samples["af_scorer"] != "")]
    return {
        str(log): (int((group["complied"] == 1).sum()), int((group["complied"] != 1).sum()))
        for log, group in chosen.groupby("log", sort=True)
    }


def resumed_runs(runs: pd.DataFrame) -> list[str]:
    """The used log of each run that has an unfinished earlier attempt (a resumed run)."""
    unfinished = runs[~runs["used"] & (runs["status"] != "success")]
    if unfinished.empty:
        return []
    keys = set(map(tuple, unfinished[list(RUN_KEY)].astype(str).itertuples(index=False)))
    used = runs[runs["used"]]
    return [
        Path(str(row["log"])).name
        for _, row in used.iterrows()
        if tuple(str(row[k]) for k in RUN_KEY) in keys
    ]


def _compared(table: pd.DataFrame, own_view: set[tuple[str, ...]]) -> list[bool]:
    """Which rows of a per-run table belong in the compliance sections: every run but those
    with only the exfiltration task's own scores (``own_view``, summarised in their words)."""
    if table.empty:
        return []
    return [tuple(str(v) for v in key) not in own_view for key in table[GROUP].values]


ERRORED_NOTE = (
    "{errored} samples errored before they finished (the logs record their error; the run "
    "went on under fail_on_error): they are counted per condition as errored, never as "
    "refusals, and left out of every rate and gap. The log's own metrics count them "
    "(errored_<condition>) only if the run scored errored samples (--score-on-error): "
    "otherwise Inspect passes them to no scorer or metric, and the viewer's rates are over "
    "the samples that finished, as here (the log's completed_samples of total_samples)."
)
"""What the report says when samples errored (see :mod:`af_tasks.errored`)."""


def build_report(
    paths: Sequence[str | Path] | str | Path,
    out: str | Path | None = None,
    compliance: str = C.AUTO,
    af: str = C.AUTO,
    progress: bool | None = None,
    prices: str | Path | None = None,
    cost: bool = True,
    requests: bool = False,
) -> Report:
    """Read Inspect logs and write the report: tables (Markdown, CSV), figure, summary.

    Args:
        paths: Log folders (searched recursively) and/or log files.
        out: Output folder; default ``af_report/`` next to the logs (:func:`default_output`).
        compliance: Compliance scorer: ``auto`` (the one labelling the most samples, never
            one whose labels are all missing; the notes say which) or a scorer name.
        af: Alignment-faking classifier: ``auto`` (first present of ``af_votes``,
            ``af_paper``, ``af_heuristic``) or a scorer name.
        progress: Show a progress bar while reading logs; None shows it on a terminal.
        prices: Price table (CSV) for the cost section; default the shipped
            ``datasets/prices.csv`` (dated list prices).
        cost: Write the cost section (from the logs' usage statistics: it reads only the
            log headers, so it takes no longer on large logs).
        requests: Also count the requests and Inspect cache hits in the cost section, which
            the statistics do not hold: this reads every sample's model events, about 5 ms
            per sample.

    Raises:
        NoLogsError: A path does not exist or holds no usable log.
        ValueError: An unknown scorer choice, or samples that cannot be paired.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    if requests and not cost:
        raise ValueError("requests are counted in the cost section: drop --no-cost or --requests.")
    price_table = load_prices(prices)  # a bad table fails before any log is read
    logs = find_logs(paths)
    show = sys.stderr.isatty() if progress is None else progress
    loaded = load_samples(logs, compliance, af, rich_progress if show else None)
    conditions = condition_table(loaded.samples)
    gaps = gap_table(loaded.samples)
    condition_gaps = condition_gap_table(loaded.samples)
    scorers = scorer_table(loaded.samples)
    notes = list(dict.fromkeys(loaded.notes))
    if (gaps["epochs"] > 1).any():
        notes.append(
            "Some runs have several epochs: each query's compliance is averaged over its "
            "epochs before pairing, and the interval treats the query as the cluster "
            "(epochs of one query are not independent evidence; see docs/report.md)."
        )
    used = loaded.runs.loc[loaded.runs["used"], "log"].astype(str).tolist()
    errored = int(loaded.samples["errored"].sum())
    if errored:
        notes.append(ERRORED_NOTE.format(errored=errored))
    scoped = _scoped(loaded.samples)
    if scoped:
        notes.append(
            "Runs with af_scope=complied sent only the samples labelled compliant to the AF "
            "classifier: their AF rate over all samples was not measured (shown as 'not "
            "measured'); the stacked figure and the AF share of compliance are as usual, and "
            "the other samples are counted as not graded (af_not_graded), not as failures."
        )
    spent = None
    if cost:
        spent = run_cost(used, len(loaded.samples), price_table, requests, scoped)
    resumed = resumed_runs(loaded.runs)
    if spent is not None and resumed:
        notes.append(
            f"Cost is a lower bound for {len(resumed)} resumed run(s) ({', '.join(resumed)}): "
            f"requests of samples that were still running when an earlier attempt stopped were "
            f"billed and then sent again by the resume; no log records them, so they are not "
            f"counted."
        )
    accounting, agreement = accounting_table(loaded.samples), agreement_table(loaded.samples)
    reliability = reliability_markdown(accounting, agreement)
    # runs with only the exfiltration task's own scores are summarised in their own words
    exfiltration_only = only_exfiltration(loaded.samples)
    compared = _compared(gaps, exfiltration_only)
    exfiltration = exfiltration_table(loaded.samples)
    summary = summary_text(
        gaps[compared], conditions, notes, condition_gaps, exfiltration_summary(exfiltration)
    )
    if reliability:
        summary += "\n" + reliability
    motivations = motivation_table(loaded.samples)
    if not motivations.empty:  # only when the logs carry the motivation scorer
        summary += "\n" + motivation_summary(motivations) + "\n"
    if spent is not None:
        summary += "\n\n" + cost_summary(spent) + "\n"
    pilots = pilot_runs(used) if cost else []
    projected = None
    if any(p.is_pilot for p in pilots):
        projected = projection_table(usage_from_stats(used).frame, pilots, price_table)
        if not projected.empty:
            summary += "\n" + projection_summary(projected) + "\n"

    folder = Path(out).expanduser() if out is not None else default_output(paths)
    folder.mkdir(parents=True, exist_ok=True)
    written = {
        "table_md": folder / "report.md",
        "table_csv": folder / "table.csv",
        "gaps_csv": folder / "gaps.csv",
        "scorers_csv": folder / "scorers.csv",
        "summary": folder / "summary.md",
    }
    # Runs with only the exfiltration task's own scores have no compliance to tabulate: they
    # are left out of the compliance sections (and figures), which say so in one line.
    shown_gaps, shown_conditions, shown_scorers, shown_condition_gaps = (
        table[_compared(table, exfiltration_only)] if len(table) else table
        for table in (gaps, conditions, scorers, condition_gaps)
    )
    panels, figure_notes = (
        write_compliance_figures(shown_conditions, shown_gaps, folder, shown_condition_gaps)
        if len(shown_conditions)
        else ([], [])
    )
    notes += figure_notes
    if len(panels) == 1 and not figure_notes:
        figure, captions = panels[0].png.name, []
    else:
        figure, captions = None, [(p.caption, p.png.name) for p in panels]
    markdown = report_markdown(
        shown_gaps,
        shown_conditions,
        shown_scorers,
        notes,
        figure=figure,
        condition_gaps=shown_condition_gaps,
        figures=captions,
        own_view=len(exfiltration_only),
    )
    if reliability:
        markdown += "\n" + reliability
    written["accounting_csv"] = folder / "accounting.csv"
    accounting.to_csv(written["accounting_csv"], index=False)
    if not agreement.empty:
        written["agreement_csv"] = folder / "agreement.csv"
        agreement.to_csv(written["agreement_csv"], index=False)
    if not motivations.empty:
        markdown += "\n" + motivation_markdown(motivations)
        written["motivation_csv"] = folder / "motivation.csv"
        motivations.to_csv(written["motivation_csv"], index=False)
    if spent is not None:
        markdown += "\n" + cost_markdown(spent)
        written["cost_csv"] = folder / "cost.csv"
        spent.table.to_csv(written["cost_csv"], index=False)
    if projected is not None and not projected.empty:
        markdown += "\n" + projection_markdown(projected, pilots)
        written["projection_csv"] = folder / "projection.csv"
        projected.to_csv(written["projection_csv"], index=False)
    written["table_md"].write_text(markdown, encoding="utf-8")
    conditions.to_csv(written["table_csv"], index=False)
    gaps.to_csv(written["gaps_csv"], index=False)
    if not condition_gaps.empty:  # three-tier runs only: two-tier reports stay as they were
        written["condition_gaps_csv"] = folder / "condition_gaps.csv"
        condition_gaps.to_csv(written["condition_gaps_csv"], index=False)
    scorers.to_csv(written["scorers_csv"], index=False)
    exfiltration_paths, exfiltration_md = write_exfiltration(exfiltration, folder)
    if exfiltration_md:
        with written["table_md"].open("a", encoding="utf-8") as report_md:
            report_md.write("\n" + exfiltration_md)
    written.update(exfiltration_paths)
    written["summary"].write_text(summary, encoding="utf-8")
    for index, panel in enumerate(panels):
        # "png"/"svg": the first figure; the others by their file name's stem
        key = "" if index == 0 else f"_{panel.png.stem}"
        written[f"png{key}"], written[f"svg{key}"] = panel.png, panel.svg
    experiment_paths, experiments_md = write_experiments(loaded.samples, gaps, conditions, folder)
    if experiments_md:
        with written["table_md"].open("a", encoding="utf-8") as report_md:
            report_md.write("\n" + experiments_md + "\n")
    written.update(experiment_paths)
    written.update(write_trajectory(loaded.samples, folder))
    written.update(write_setups(loaded.samples, folder))
    replace_outputs(folder, written.values())
    return Report(
        samples=loaded.samples,
        conditions=conditions,
        gaps=gaps,
        condition_gaps=condition_gaps,
        scorers=scorers,
        runs=loaded.runs,
        notes=notes,
        summary=summary,
        paths=written,
        cost=spent,
        projection=projected,
    )
