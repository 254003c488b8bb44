"""The ablation recipe: one resumable eval set with a task per ablation."""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai.analysis import evals_df

from af_tasks.recipes import ablation_tasks, main, run_ablations


def test_one_task_per_ablation_plus_baseline() -> None:
    tasks = ablation_tasks("no_examples,honesty", scorers="compliance")
    assert [(t.metadata or {}).get("ablation") for t in tasks] == [
        "none",
        "no_examples",
        "honesty",
    ]
    assert len(ablation_tasks(scorers="compliance")) == 12
    with pytest.raises(ValueError, match="Unknown ablation"):
        ablation_tasks("nope")
    with pytest.raises(ValueError, match="has no ablations"):
        ablation_tasks(task="exfiltration")


@pytest.mark.slow
def test_eval_set_runs_offline_and_resumes(tmp_path: Path) -> None:
    log_dir = str(tmp_path / "ablations")
    success, logs = run_ablations(
        "organism/faker", log_dir, "no_examples,swap_tiers", limit=4, scorers="compliance"
    )
    assert success and len(logs) == 3
    frame = evals_df(log_dir, quiet=True)
    assert sorted(frame["task_arg_ablation"].fillna("none")) == [
        "no_examples",
        "none",
        "swap_tiers",
    ]
    written = sorted(p.name for p in Path(log_dir).glob("*.eval"))
    success, _ = run_ablations(
        "organism/faker", log_dir, "no_examples,swap_tiers", limit=4, scorers="compliance"
    )
    assert success
    assert sorted(p.name for p in Path(log_dir).glob("*.eval")) == written  # nothing re-run


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "--model",
            "organism/consistent",
            "--log-dir",
            str(tmp_path / "cli"),
            "--ablations",
            "honesty",
            "--limit",
            "2",
            "-T",
            "scorers=compliance",
            "-T",
            "examples=false",
        ]
    )
    assert code == 0
    assert "eval set complete" in capsys.readouterr().out
    frame = evals_df(str(tmp_path / "cli"), quiet=True)
    assert set(frame["task_arg_examples"]) == {False}


@pytest.mark.slow
def test_report_shows_one_group_per_ablation(tmp_path: Path) -> None:
    from af_tasks.report import build_report

    log_dir = tmp_path / "sweep"
    success, _ = run_ablations(
        "organism/faker", str(log_dir), "no_examples,honesty", limit=6, scorers="compliance"
    )
    assert success
    report = build_report([str(log_dir)], out=str(tmp_path / "out"), progress=None)
    variants = sorted(str(v) for v in report.gaps["variant"])
    assert len(variants) == 3
    assert any("no_examples" in v for v in variants) and any("honesty" in v for v in variants)
    assert (tmp_path / "out" / "compliance.png").stat().st_size > 0
