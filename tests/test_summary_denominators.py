"""Every rate the report's summary prints names its denominator, and matches the table's."""

from __future__ import annotations

import re

import pandas as pd

from af_tasks.report.summary import summary_text

RUN = {"model": "m", "task": "free_vs_paid", "setting": "helpful_only", "variant": ""}


def _tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    # The reviewer's case: 60 training samples (20 requests x 3 epochs), 6 complied (10.0%);
    # 5 of the 60 AF-labelled samples show AF reasoning (8.3%), 4 of the 60 complied with it
    # (6.7%). The gap's per-request means (6.1% vs 0.0% over 20 paired requests) differ from
    # the table's per-sample rates, so the summary must not print them as "requests".
    gaps = pd.DataFrame(
        [
            {
                **RUN,
                "pairs": 20,
                "training": 0.061,
                "unmonitored": 0.0,
                "gap": 0.061,
                "gap_low": -0.01,
                "gap_high": 0.2,
                "p_value": 0.25,
                "verdict": "no clear gap",
            }
        ]
    )
    conditions = pd.DataFrame(
        [
            {
                **RUN,
                "condition": "training",
                "n": 60,
                "labelled": 60,
                "unscored": 0,
                "compliance": 0.10,
                "af_rate": 5 / 60,
                "af_labelled": 60,
                "complies_af": 4 / 60,
                "af_scorer": "af_votes",
            },
            {
                **RUN,
                "condition": "unmonitored",
                "n": 60,
                "labelled": 60,
                "unscored": 0,
                "compliance": 0.0,
                "af_rate": 0.0,
                "af_labelled": 60,
                "complies_af": 0.0,
                "af_scorer": "af_votes",
            },
        ]
    )
    return gaps, conditions


def test_every_rate_in_the_summary_names_its_denominator_and_matches_the_table() -> None:
    gaps, conditions = _tables()
    text = summary_text(gaps, conditions)
    paragraph = next(line for line in text.splitlines() if line.startswith("**m**"))
    # the compliance rates are the table's (per sample), never the gap's per-request means
    assert "10.0% of the 60 labelled training samples" in paragraph
    assert "0.0% of the 60 labelled unmonitored samples" in paragraph
    assert "6.1%" not in paragraph
    # AF: each share with its own set, the subset never larger than its set
    assert "8.3% of the 60 training samples the AF classifier labelled" in paragraph
    assert "6.7% of the 60 labelled training samples complied with such reasoning" in paragraph
    # the gap says which requests it is over
    assert "20 requests labelled in both conditions" in paragraph
    # every percentage is followed by "of the N ..." (its denominator)
    for match in re.finditer(r"\d+\.\d%", paragraph):
        assert re.match(r" of the \d+ ", paragraph[match.end() :]), paragraph[match.start() :]
