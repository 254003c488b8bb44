"""af-ablations: a thin front that runs the ablation matrix with Inspect Flow.

Inspect Flow is the optional extra ``flow`` (also in ``dev``): the tests that run it skip
without it; without it, af-ablations names the install command before any model is called.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from inspect_ai.analysis import evals_df

from af_tasks.recipes import (
    FLOW_INSTALL,
    FlowNotInstalled,
    ablation_spec,
    ablation_tasks,
    main,
    require_flow,
    run_ablations,
)


@pytest.fixture
def flow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip without Inspect Flow; keep Flow's store and data under the test's folder."""
    pytest.importorskip(
        "inspect_flow", reason=f"Inspect Flow is the optional extra: {FLOW_INSTALL}"
    )
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


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


def test_the_spec_is_models_times_baseline_and_ablations(flow: None) -> None:
    spec = ablation_spec(
        ["organism/faker", "organism/consistent"],
        "logs/x",
        "no_examples,honesty",
        limit=4,
        store=None,
        scorers="compliance",
    )
    cells = [(t.name, t.model, t.args) for t in spec.tasks]
    args = [
        {"scorers": "compliance"},
        {"scorers": "compliance", "ablation": "no_examples"},
        {"scorers": "compliance", "ablation": "honesty"},
    ]
    models = ["organism/faker", "organism/consistent"]
    assert cells == [("af_tasks/free_vs_paid", m, a) for m in models for a in args]
    assert (spec.log_dir, spec.options.limit, spec.store) == ("logs/x", 4, None)
    assert spec.execution_type == "inproc"
    # a typo stops before Flow is asked to run anything
    with pytest.raises(ValueError, match="Unknown ablation"):
        ablation_spec("organism/faker", "logs/x", "nope")


def test_without_flow_it_names_the_install_and_runs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "inspect_flow", None)  # as if not installed
    log_dir = tmp_path / "none"
    code = main(["--model", "organism/faker", "--log-dir", str(log_dir), "--limit", "2"])
    assert code == 2
    assert f"optional extra: {FLOW_INSTALL}" in capsys.readouterr().err
    assert not log_dir.exists()


def test_uv_is_found_beside_python_when_not_on_the_path(
    flow: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("uv", reason=f"uv comes with the optional extra: {FLOW_INSTALL}")
    monkeypatch.setenv("PATH", "")
    require_flow()
    assert shutil.which("uv") is not None
    monkeypatch.setenv("PATH", "")
    monkeypatch.setitem(sys.modules, "uv", None)
    with pytest.raises(FlowNotInstalled, match="calls uv"):
        require_flow()


@pytest.mark.slow
def test_the_sweep_runs_offline_and_resumes(flow: None, tmp_path: Path) -> None:
    log_dir = str(tmp_path / "ablations")
    success, logs = run_ablations(
        "organism/faker",
        log_dir,
        "no_examples,swap_tiers",
        limit=4,
        store=None,
        scorers="compliance",
    )
    assert success and len(logs) == 3
    assert (tmp_path / "ablations" / "flow.yaml").is_file()  # run by Flow, spec recorded
    frame = evals_df(log_dir, quiet=True)
    assert sorted(frame["task_arg_ablation"].fillna("none")) == [
        "no_examples",
        "none",
        "swap_tiers",
    ]
    written = sorted(p.name for p in Path(log_dir).glob("*.eval"))
    success, _ = run_ablations(
        "organism/faker",
        log_dir,
        "no_examples,swap_tiers",
        limit=4,
        store=None,
        scorers="compliance",
    )
    assert success
    assert sorted(p.name for p in Path(log_dir).glob("*.eval")) == written  # nothing re-run


@pytest.mark.slow  # a whole run through Flow (about 12 s of CPU)
def test_command_line(flow: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
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
            "--no-store",
            "-T",
            "scorers=compliance",
            "-T",
            "examples=false",
        ]
    )
    assert code == 0
    assert "eval set complete" in capsys.readouterr().out
    assert (tmp_path / "cli" / "flow.yaml").is_file()
    frame = evals_df(str(tmp_path / "cli"), quiet=True)
    assert len(frame) == 2
    assert set(frame["task_arg_examples"]) == {False}
    assert sorted(frame["task_arg_ablation"].fillna("none")) == ["honesty", "none"]
    assert not (tmp_path / "xdg" / "inspect_flow" / "store").exists()  # --no-store


@pytest.mark.slow
def test_report_shows_one_group_per_ablation(flow: None, tmp_path: Path) -> None:
    from af_tasks.report import build_report

    log_dir = tmp_path / "sweep"
    success, _ = run_ablations(
        "organism/faker",
        str(log_dir),
        "no_examples,honesty",
        limit=6,
        store=None,
        scorers="compliance",
    )
    assert success
    report = build_report([str(log_dir)], out=str(tmp_path / "out"), progress=None)
    variants = sorted(str(v) for v in report.gaps["variant"])
    assert len(variants) == 3
    assert any("no_examples" in v for v in variants) and any("honesty" in v for v in variants)
    assert (tmp_path / "out" / "compliance.png").stat().st_size > 0
