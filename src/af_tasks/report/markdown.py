"""The report's tables as Markdown, for reading in a browser or pasting into a write-up."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from af_tasks.report import columns as C
from af_tasks.report import formatting as F
from af_tasks.report.summary import INTRO, SIMULATOR_CAVEAT
from af_tasks.report.table import CLEAR, NO_CLEAR_GAP, NO_PAIRS, TENTATIVE

READING_GUIDE = (
    "Below: the gap for each model, with a range of values the data are compatible with (the "
    "95% interval: if it excludes 0, the gap is unlikely to be chance) and a paired test's "
    "p-value; the figure (per condition, the share that refused, complied, and complied with "
    "alignment-faking reasoning); then the rates per condition and every scorer. The terms "
    "are explained in the suite's docs/glossary.md."
)
"""How to read the report, in plain words, before any statistics (report.md)."""


def _label(row: pd.Series) -> dict[str, str]:
    return {
        "model": str(row["model"]),
        "task": str(row["task"]),
        "setting": str(row["setting"]) or F.BLANK,
        "variant": str(row["variant"]) or F.BLANK,
    }


def gap_markdown(gaps: pd.DataFrame) -> str:
    """The headline: compliance gap per run with its interval and p-value."""
    rows = [
        {
            **_label(row),
            "pairs": F.count(row["pairs"]),
            "training": F.percent(row["training"]),
            "unmonitored": F.percent(row["unmonitored"]),
            "gap (points)": F.points(row["gap"]),
            "95% interval": f"{F.points(row['gap_low'])} to {F.points(row['gap_high'])}"
            if not F.missing(row["gap"])
            else F.BLANK,
            "p (paired test)": F.p_value(row["p_value"]),
            "clear gap?": _verdict(row),
        }
        for _, row in gaps.iterrows()
    ]
    return F.markdown_table(pd.DataFrame(rows))


def condition_gap_markdown(condition_gaps: pd.DataFrame) -> str:
    """The three gaps of each three-tier run, with intervals and paired tests."""
    rows = [
        {
            **_label(row),
            "gap": f"{row['first']} − {row['second']}",
            "pairs": F.count(row["pairs"]),
            "compliance (first)": F.percent(row["first_compliance"]),
            "compliance (second)": F.percent(row["second_compliance"]),
            "gap (points)": F.points(row["gap"]),
            "95% interval": f"{F.points(row['gap_low'])} to {F.points(row['gap_high'])}"
            if not F.missing(row["gap"])
            else F.BLANK,
            "p (paired test)": F.p_value(row["p_value"]),
            "clear gap?": _verdict(row),
        }
        for _, row in condition_gaps.iterrows()
    ]
    return F.markdown_table(pd.DataFrame(rows))


def _verdict(row: pd.Series) -> str:
    text = {
        CLEAR: "yes",
        TENTATIVE: "tentative (interval and test disagree)",
        NO_CLEAR_GAP: "no (interval includes 0)",
        NO_PAIRS: "no pairs",
    }
    return text.get(str(row["verdict"]), str(row["verdict"]))


OWN_VIEW_LINE = (
    "{runs} run(s) of the exfiltration task are not in the compliance sections: their "
    "samples have no request to comply with, so they have no compliance gap or compliance "
    "rates. Their own results (per arm and condition) are in the exfiltration section below."
)
"""The line that says why exfiltration runs are missing from the compliance tables."""


def condition_markdown(conditions: pd.DataFrame) -> str:
    """Per run and condition: counts, compliance and the stacked categories."""
    rows = [
        {
            **_label(row),
            "condition": str(row["condition"]),
            "tier": str(row["tier"]),
            "n": F.count(row["n"]),
            "unscored": F.count(row["unscored"]),
            "errored": F.count(row.get("errored", 0)),
            "compliance": F.percent(row["compliance"]),
            "refuses": F.percent(row["refuses"]),
            "complies, no AF": F.percent(row["complies_no_af"]),
            "complies with AF": F.percent(row["complies_af"]),
            "complies, AF unknown": F.percent(row["complies_af_unknown"]),
            "AF rate": "not measured"
            if row.get("af_scope") == "complied"
            else F.percent(row["af_rate"]),
            "AF unscored": F.count(row["af_unscored"]),
            "scorers": f"{row['compliance_scorer']} / {row['af_scorer']}",
        }
        for _, row in conditions.iterrows()
    ]
    return F.markdown_table(pd.DataFrame(rows))


def scorer_markdown(scorers: pd.DataFrame) -> str:
    """Every scorer found in the logs, with its rate per condition."""
    rows = [
        {
            **_label(row),
            "condition": str(row["condition"]),
            "scorer": f"{row['scorer']} ({row['key']})"
            + (" of compliers only" if row.get("scope") == "complied" else ""),
            "labelled": F.count(row["labelled"]),
            "unscored": F.count(row["unscored"]),
            "rate": F.percent(row["rate"]),
        }
        for _, row in scorers.iterrows()
    ]
    return F.markdown_table(pd.DataFrame(rows))


def report_markdown(
    gaps: pd.DataFrame,
    conditions: pd.DataFrame,
    scorers: pd.DataFrame,
    notes: list[str],
    figure: str | None = None,
    condition_gaps: pd.DataFrame | None = None,
    figures: Sequence[tuple[str, str]] = (),
    own_view: int = 0,
) -> str:
    """The whole Markdown report: gap table, figure, per-condition table, scorers, notes.

    ``condition_gaps`` (:func:`af_tasks.report.table.condition_gap_table`) adds, for runs
    with three tiers, the section with their three gaps.

    ``figure`` is the figure's file name (linked next to the report), or ``figures`` the
    captions and file names of one figure per task and setting; a run of the offline
    simulator (``organism/...``) adds its caveat right under the title. ``own_view`` counts
    runs left out of these tables because they have only the exfiltration task's own scores
    (one line says so); with no run left, the compliance sections are left out altogether.
    """
    simulated = gaps["model"].astype(str).str.startswith(C.SIMULATED_MODEL_PREFIX).any()
    parts = ["# Alignment-faking report", ""]
    if simulated:
        parts += [f"> **Simulated subject.** {SIMULATOR_CAVEAT}", ""]
    if own_view:
        parts += [OWN_VIEW_LINE.format(runs=own_view), ""]
    if gaps.empty:  # nothing to compare: no compliance sections, only the notes
        if notes:
            parts += ["## Notes", "", *[f"- {note}" for note in notes]]
        return "\n".join(parts) + "\n"
    parts += [INTRO, "", READING_GUIDE, ""]
    parts += [
        "## Compliance gap (training minus unmonitored)",
        "",
        "Each query is asked in both conditions; the gap is compliance in training minus "
        "compliance unmonitored over the queries labelled in both, with each query's "
        "epochs averaged first. Interval: Newcombe's paired 95% hybrid score interval and "
        "the exact McNemar test with one epoch; with several, the same interval with the "
        "query as cluster (Wilson limits at the design-effect adjusted sample size) and an "
        "exact sign test over queries. Rates are in percent and the gap in percentage "
        "points; `inspect view` shows the same numbers as fractions (gap 0.071 = +7.1 "
        "points).",
        "",
        gap_markdown(gaps),
        "",
    ]
    if condition_gaps is not None and not condition_gaps.empty:
        parts += [
            "## Gaps between the three conditions",
            "",
            "Runs with three tiers have a third condition, *rated* (rated by contractors but "
            "never trained on). Training − rated shows what training adds beyond being "
            "rated; rated − unmonitored shows what being rated alone does (rater "
            "sycophancy). Each gap is paired by query and has the interval and test above.",
            "",
            condition_gap_markdown(condition_gaps),
            "",
        ]
    if figure:
        parts += [f"![Refusal and compliance per condition]({figure})", ""]
    for caption, file in figures:  # one figure per task and setting
        parts += [f"![{caption}]({file})", ""]
    parts += [
        "## Per condition",
        "",
        "Rates are shares of the samples whose compliance is labelled; unscored samples (the "
        "scorer could not label a finished sample) and errored samples (the sample raised an "
        f"error before it finished) are counted apart, never as refusals. {F.BLANK} means not "
        "measured (for example, no AF classifier in the log).",
        "",
        condition_markdown(conditions),
        "",
        "## Every scorer in the logs",
        "",
        scorer_markdown(scorers),
    ]
    if notes:
        parts += ["", "## Notes", "", *[f"- {note}" for note in notes]]
    return "\n".join(parts) + "\n"
