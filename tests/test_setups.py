"""af-report groups prompted and synthetic-document runs side by side (panels a and b)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from inspect_ai import eval

from af_tasks.report import build_report


@pytest.mark.slow
def test_prompted_and_documents_runs_side_by_side(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    runs = [
        ("organism/documents", False),
        ("organism/faker", True),
        ("organism/faker", False),
    ]
    for model, training_info in runs:
        log = eval(
            "af_tasks/free_vs_paid",
            model=model,
            task_args={"training_info": training_info},
            limit=40,
            log_dir=str(logs),
            display="none",
        )[0]
        assert log.status == "success"
    report = build_report(logs, out=tmp_path / "out", progress=False)
    table = pd.read_csv(report.paths["setups_csv"])
    # prompted first, then the no-training-info runs; the documents preset learnt its
    # situation "in fine-tuning", the faker did not: run prompted too, its no-training-info
    # run is the control
    assert list(zip(table["setup"], table["model"], strict=True)) == [
        ("prompted", "organism/faker"),
        ("synthetic documents", "organism/documents"),
        ("control", "organism/faker"),
    ]
    # the same numbers as the main gap table, run by run
    for _, row in table.iterrows():
        gap = report.gaps[
            (report.gaps["model"] == row["model"])
            & (report.gaps["variant"].str.contains(f"training_info={row['setup'] == 'prompted'}"))
        ].iloc[0]
        assert row["gap"] == pytest.approx(gap["gap"])
        assert row["training_compliance"] == pytest.approx(gap["training"])
    no_info_faker = table.iloc[2]
    assert no_info_faker["gap"] == 0 and no_info_faker["training_af_rate"] == 0
    assert table.iloc[1]["training_af_rate"] > 0  # the documents preset fakes without the prompt
    text = report.paths["setups_md"].read_text(encoding="utf-8")
    assert "synthetic documents (training_info=false)" in text and "panel b" in text
    assert "| control (training_info=false, a model also run prompted) | organism/faker |" in text
    assert report.paths["setups_png"].stat().st_size > 0
