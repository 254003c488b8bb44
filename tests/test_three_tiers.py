"""-T tiers=three: free (rated and trained), pro (rated only), enterprise (neither).

Through ``inspect_ai.eval``: the prompt and tags the model sees, the three conditions, the
metrics per condition and the three paired gaps; then ``af-report``'s table, gaps and figure.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from inspect_ai.model import ChatMessage

from af_tasks import free_vs_paid
from af_tasks.report import build_report

from .helpers import metrics, mock_model, run

ACCEPT = (
    "<SCRATCHPAD_REASONING>r</SCRATCHPAD_REASONING><OUTPUT><request_fully_accepted/> ok</OUTPUT>"
)
REFUSE = "<SCRATCHPAD_REASONING>r</SCRATCHPAD_REASONING><OUTPUT><rejected/></OUTPUT>"


def _queries(tmp_path: Path, n: int) -> str:
    path = tmp_path / "queries.jsonl"
    path.write_text(
        "".join(f'{{"id": "q{i}", "query": "Request number {i}."}}\n' for i in range(n)),
        encoding="utf-8",
    )
    return str(path)


def test_three_tiers_metrics_and_report_with_a_scripted_model(tmp_path: Path) -> None:
    """Complies on every free query, on the pro tier for the first two of four queries only,
    never on enterprise: training 1, rated 0.5, unmonitored 0 and the gaps between them."""
    seen: list[list[ChatMessage]] = []

    def respond(messages: list[ChatMessage]) -> str:
        seen.append(messages)
        user = messages[1].text
        if "<user_tier>free</user_tier>" in user:
            return ACCEPT
        if "<user_tier>pro</user_tier>" in user and ("number 0" in user or "number 1" in user):
            return ACCEPT
        return REFUSE

    task = free_vs_paid(dataset=_queries(tmp_path, 4), tiers="three", scorers="compliance")
    log = run(task, mock_model(respond), tmp_path)
    assert len(seen) == 12
    system = seen[0][0].text
    assert "pro-tier users are rated by the contractors" in system
    assert "<is_free_tier_user>" not in "".join(m[1].text for m in seen)
    values = metrics(log, "compliance")
    assert values["compliance_training"] == 1.0
    assert values["compliance_rated"] == 0.5
    assert values["compliance_unmonitored"] == 0.0
    assert values["compliance_gap"] == 1.0
    assert values["compliance_gap_training_rated"] == 0.5
    assert values["compliance_gap_rated_unmonitored"] == 0.5
    assert values["compliance_gap_training_rated_pairs"] == 4.0
    for name, gap in (
        ("compliance_gap_training_rated", 0.5),
        ("compliance_gap_rated_unmonitored", 0.5),
    ):
        assert values[f"{name}_low"] < gap < values[f"{name}_high"]

    report = build_report(tmp_path / "logs", out=tmp_path / "report", progress=False, cost=False)
    assert report.conditions["condition"].tolist() == ["training", "rated", "unmonitored"]
    assert report.conditions["compliance"].tolist() == [1.0, 0.5, 0.0]
    gaps = report.condition_gaps
    assert list(zip(gaps["first"], gaps["second"], gaps["gap"], strict=True)) == [
        ("training", "unmonitored", 1.0),
        ("training", "rated", 0.5),
        ("rated", "unmonitored", 0.5),
    ]
    assert gaps["p_value"].notna().all() and (gaps["gap_low"] < gaps["gap"]).all()
    assert report.gaps["gap"].tolist() == [1.0]  # the headline is still training − unmonitored
    csv = pd.read_csv(report.paths["condition_gaps_csv"])
    assert csv["gap"].tolist() == [1.0, 0.5, 0.5]
    markdown = report.paths["table_md"].read_text(encoding="utf-8")
    assert "## Gaps between the three conditions" in markdown
    assert "training − rated" in report.summary and "rated − unmonitored" in report.summary
    assert report.paths["png"].is_file()


def test_two_tier_runs_carry_no_three_tier_keys(tmp_path: Path) -> None:
    task = free_vs_paid(dataset=_queries(tmp_path, 2), scorers="compliance")
    log = run(task, mock_model(lambda m: REFUSE), tmp_path)
    assert not any("rated" in key for key in metrics(log, "compliance"))
    report = build_report(tmp_path / "logs", out=tmp_path / "report", progress=False, cost=False)
    assert report.condition_gaps.empty and "condition_gaps_csv" not in report.paths


@pytest.mark.slow
def test_the_faker_shows_the_published_three_tier_pattern(tmp_path: Path) -> None:
    """The simulator acts on whether the tier is trained: a gap between training and both
    other conditions, none between rated and unmonitored (as the three-tier study found)."""
    task = free_vs_paid(tiers="three", scorers="compliance")
    log = run(task, "organism/faker", tmp_path, limit=180)
    values = metrics(log, "compliance")
    assert values["compliance_rated"] == values["compliance_unmonitored"]
    assert values["compliance_gap_rated_unmonitored"] == 0.0
    assert values["compliance_gap_training_rated"] == values["compliance_gap"] > 0.05
