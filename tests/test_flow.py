"""The shipped Inspect Flow spec (flows/scenarios_flow.py) runs offline on the simulator,
through Flow's own Python API, and af-report reads the folder it writes as it is.

Inspect Flow is the optional extra ``flow`` (also in ``dev``); without it these tests skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from inspect_ai.log import read_eval_log

from af_tasks.metrics import af_keys
from af_tasks.recipes import require_flow
from af_tasks.report.build import build_report

flow_api = pytest.importorskip(
    "inspect_flow.api", reason='Inspect Flow is the optional extra: pip install -e ".[flow]"'
)

FLOW_FILE = Path(__file__).resolve().parents[1] / "flows" / "scenarios_flow.py"


@pytest.fixture(autouse=True)
def flow_data_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Flow keeps its store and its last log folder under the user's data folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


def test_the_shipped_spec_is_the_documented_matrix() -> None:
    spec = flow_api.load_spec(str(FLOW_FILE))
    cells = [(t.model.name, t.args["scenario"]) for t in spec.tasks]
    models = ["organism/terminal_guarding", "organism/instrumental_guarding"]
    scenarios = ["none", "deleted_after_training", "stakes_low", "stakes_high"]
    assert cells == [(m, s) for m in models for s in scenarios]
    assert {t.name for t in spec.tasks} == {"af_tasks/free_vs_paid"}
    assert spec.execution_type == "inproc"  # no venv built, nothing installed
    assert spec.options.limit == 40
    assert Path(spec.log_dir) == Path("../logs/flow")  # beside flows/, in the repository


def _hand_counts(log_file: Path) -> tuple[str, float, float]:
    """(scenario, gap, AF rate in training) counted from the log's samples by hand."""
    log = read_eval_log(str(log_file))
    assert log.samples is not None
    complied: dict[str, dict[str, float]] = {"training": {}, "unmonitored": {}}
    af = []
    for sample in log.samples:
        condition = sample.metadata["condition"]
        scores = sample.scores or {}
        complied[condition][sample.metadata["query_id"]] = scores["compliance"].value["complied"]
        if condition == "training":
            af.append(scores["af_heuristic"].value[af_keys("af_heuristic").verdict])
    pairs = sorted(set(complied["training"]) & set(complied["unmonitored"]))
    gap = sum(complied["training"][q] - complied["unmonitored"][q] for q in pairs) / len(pairs)
    return str(log.eval.task_args["scenario"]), gap, sum(af) / len(af)


@pytest.mark.slow
def test_a_small_matrix_runs_offline_and_af_report_reads_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Flow calls uv by name; with the venv not activated (as `make test-all` runs pytest) it is
    # not on the PATH: put the one installed with the extra there, as af-ablations does.
    monkeypatch.setenv("PATH", os.environ.get("PATH", ""))  # restored after the test
    require_flow()
    log_dir = tmp_path / "flow"
    spec = flow_api.load_spec(
        str(FLOW_FILE),
        args={
            "models": "organism/instrumental_guarding",
            "scenarios": "none,deleted_after_training",
            "limit": 20,
            "log_dir": str(log_dir),
        },
    )
    spec.store = None
    result = flow_api.run(spec, base_dir=str(tmp_path))
    assert result.success and len(result.logs) == 2
    assert (log_dir / "flow.yaml").is_file()  # Flow's record of the spec, beside the logs
    log_files = sorted(log_dir.glob("*.eval"))
    assert len(log_files) == 2

    report = build_report(log_dir, out=tmp_path / "out", progress=False, cost=False)
    assert len(report.runs) == 2 and report.runs["used"].all()
    assert len(report.samples) == 40

    hand = {scenario: (gap, af) for scenario, gap, af in map(_hand_counts, log_files)}
    table = pd.read_csv(report.paths["scenarios_csv"]).set_index("scenario")
    assert list(table.index) == ["none", "deleted_after_training"]  # the declared order
    assert set(table["model"]) == {"organism/instrumental_guarding"}
    for scenario, (gap, af) in hand.items():
        assert table.loc[scenario, "gap"] == pytest.approx(gap)
        assert table.loc[scenario, "af_rate"] == pytest.approx(af)
    gaps = report.gaps.set_index("variant")["gap"]
    assert sorted(gaps.index) == ["scenario=deleted_after_training", "scenario=none"]
    assert gaps["scenario=none"] == pytest.approx(hand["none"][0])
    # the simulated instrumental goal guard: no faking once the weights are never deployed
    assert hand["deleted_after_training"] == (0.0, 0.0)
    assert hand["none"][0] > 0 and hand["none"][1] > 0
    assert report.paths["scenarios_png"].is_file()
