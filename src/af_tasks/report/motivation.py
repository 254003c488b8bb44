"""Why samples that complied in training complied: the motivation classifier as categories.

Written by ``af-report`` only when the logs carry the ``motivation`` scorer (other reports are
unchanged): ``motivation.csv`` (one row per run and motive), a section of ``report.md`` and
one sentence of the summary. Per run, among the samples in scope (complied in the training
condition, by the scorer's own ``in_scope``) whose motives were labelled: the share naming
each motive with its 95% interval, n labelled and n unlabelled. The numbers come from
:func:`af_tasks.estimates.motive_shares`, the function the in-eval ``motivation_shares``
metric calls, so the report and the viewer agree.
"""

from __future__ import annotations

import math

import pandas as pd

from af_tasks.estimates import MotiveRecord, motive_shares
from af_tasks.graders.motivation import MOTIVE_NAMES
from af_tasks.parsing import MOTIVES
from af_tasks.report import columns as C
from af_tasks.report.formatting import count, markdown_table, percent
from af_tasks.report.table import GROUP

COLUMNS = [*GROUP, "motive", "meaning", "share", "low", "high", "n_labelled", "n_unlabelled"]
"""Columns of ``motivation.csv``."""


def _column(key: str) -> str:
    return f"{C.MOTIVATION}.{key}"


def motive_records(rows: pd.DataFrame) -> list[MotiveRecord]:
    """A run's tidy samples as :class:`~af_tasks.estimates.MotiveRecord` s."""
    return [
        MotiveRecord(
            query_id=str(row["query_id"]),
            in_scope=float(row[_column(C.IN_SCOPE)]),
            motives={m: float(row[_column(m)]) for m in MOTIVES},
            epoch=int(row["epoch"]),
        )
        for _, row in rows.iterrows()
    ]


def motivation_table(samples: pd.DataFrame) -> pd.DataFrame:
    """One row per run and motive (:data:`COLUMNS`); empty when no log has the scorer.

    Runs whose log lacks the scorer (every ``in_scope`` NaN) are left out.
    """
    if _column(C.IN_SCOPE) not in samples.columns:
        return pd.DataFrame(columns=COLUMNS)
    rows = []
    for key, run in samples.groupby(GROUP, sort=True, dropna=False):
        if run[_column(C.IN_SCOPE)].isna().all():
            continue
        found = motive_shares(motive_records(run), MOTIVES)
        for m in MOTIVES:
            low, high = found.intervals[m]
            rows.append(
                {
                    **dict(zip(GROUP, key, strict=True)),
                    "motive": m,
                    "meaning": MOTIVE_NAMES[m],
                    "share": found.shares[m],
                    "low": low,
                    "high": high,
                    "n_labelled": found.labelled,
                    "n_unlabelled": found.unlabelled,
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def _run(row: pd.Series) -> str:
    variant = f", {row['variant']}" if row["variant"] else ""
    return f"{row['model']}, {row['task']}{variant}"


def _interval(low: float, high: float) -> str:
    if math.isnan(low):
        return "—"
    return f"{percent(low)} to {percent(high)}"


def motivation_markdown(table: pd.DataFrame) -> str:
    """The report's section: per run and motive, the share, its interval and the counts."""
    shown = pd.DataFrame(
        {
            "run": [_run(r) for _, r in table.iterrows()],
            "motive": table["meaning"],
            "share": table["share"].map(percent),
            "95% interval": [
                _interval(lo, hi) for lo, hi in zip(table["low"], table["high"], strict=True)
            ],
            "n labelled": table["n_labelled"].map(count),
            "n unlabelled": table["n_unlabelled"].map(count),
        }
    )
    return (
        "## Why they complied in training (motivation classifier)\n\n"
        "Among the samples that complied in the training condition and whose reasoning the "
        "grader could label: the share naming each motive (several may be named, so shares "
        "need not sum to 100%), with a 95% Wilson interval (clustered by query over epochs). "
        "Unlabelled samples (no reasoning, or a reply the parser could not read) are left out "
        "and counted. The grader's labels are only as good as the grader: see its validation "
        "with `classifier_validation -T classifier=motivation`.\n\n" + markdown_table(shown) + "\n"
    )


def motivation_summary(table: pd.DataFrame) -> str:
    """One sentence: per run, the share naming each motive, n labelled and unlabelled."""
    parts = []
    for _, run in table.groupby(GROUP, sort=False, dropna=False):
        first = run.iloc[0]
        shares = ", ".join(f"{percent(r['share'], 0)} {r['meaning']}" for _, r in run.iterrows())
        parts.append(
            f"{_run(first)}: {shares} (of {count(first['n_labelled'])} labelled, "
            f"{count(first['n_unlabelled'])} unlabelled)"
        )
    return (
        "Why samples complied in training (motivation classifier, multi-label; "
        "motivation.csv): " + "; ".join(parts) + "."
    )
