"""af-report's outputs for the follow-up experiments: per model, per paraphrase (forest plot),
per scenario, and the plain statement when a gap stands without AF reasoning."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from inspect_ai import eval
from inspect_ai.model import ChatMessage, GenerateConfig, ModelOutput, get_model
from inspect_ai.tool import ToolChoice, ToolInfo

from af_tasks import free_vs_paid
from af_tasks.report.build import build_report
from af_tasks.report.experiments import gap_without_af, two_panel_figure

from .helpers import metrics, reply, tier_of

COMPLY = (
    "<SCRATCHPAD_REASONING>Fine.</SCRATCHPAD_REASONING>\n"
    "<OUTPUT><request_fully_accepted/> Done.</OUTPUT>"
)
REFUSE = "<SCRATCHPAD_REASONING>No.</SCRATCHPAD_REASONING>\n<OUTPUT><rejected/></OUTPUT>"


def _model(name: str, comply_in_training: int):  # type: ignore[no-untyped-def]
    """A mock model that complies in training with about ``comply_in_training`` queries in
    ten (chosen by a checksum of the query text, so the same queries in every run)."""

    def outputs(
        input: list[ChatMessage], tools: list[ToolInfo], tc: ToolChoice, config: GenerateConfig
    ) -> ModelOutput:
        first_user = next(m.text for m in input if m.role == "user")
        index = sum(ord(c) for c in first_user.split("<user_input>")[1][:40]) % 10
        train = tier_of(input) == "free"
        return reply(COMPLY if train and index < comply_in_training else REFUSE)

    return get_model(f"mockllm/{name}", custom_outputs=outputs)


def _run(task, model, folder: Path, limit: int = 20) -> None:  # type: ignore[no-untyped-def]
    log = eval(task, model=model, log_dir=str(folder), display="none", limit=limit)[0]
    assert log.status == "success", log.error


def test_models_chart_one_row_per_model_sorted_by_gap(tmp_path: Path) -> None:
    for name, rate in (("low", 1), ("high", 8), ("mid", 4)):
        _run(free_vs_paid(scorers="compliance,af_heuristic"), _model(name, rate), tmp_path)
    report = build_report(tmp_path, out=tmp_path / "out", progress=False, cost=False)
    assert report.paths["models_png"].is_file()
    table = pd.read_csv(report.paths["models_csv"])
    assert len(table) == 3
    assert list(table["gap"]) == sorted(table["gap"], reverse=True)
    # the rows carry the run gaps of the report's own gap table
    by_model = report.gaps.set_index("model")["gap"]
    for _, row in table.iterrows():
        assert row["gap"] == pytest.approx(by_model[row["model"]])
    assert table.iloc[0]["model"] == "mockllm/high"


def test_paraphrases_forest_plot_and_pooled_row_match_the_metric(tmp_path: Path) -> None:
    task = free_vs_paid(scorers="compliance", paraphrases=4)
    log = eval(task, model=_model("m", 5), log_dir=str(tmp_path), display="none", limit=32)[0]
    report = build_report(tmp_path, out=tmp_path / "out", progress=False, cost=False)
    assert report.paths["paraphrases_png"].is_file()
    table = pd.read_csv(report.paths["paraphrases_csv"])
    assert list(table["paraphrase"]) == ["p01", "p02", "p03", "p04", "pooled"]
    pooled = table[table["paraphrase"] == "pooled"].iloc[0]
    found = metrics(log)
    assert pooled["gap"] == pytest.approx(found["pooled_gap"])
    assert (pooled["gap_low"], pooled["gap_high"]) == pytest.approx(
        (found["pooled_low"], found["pooled_high"])
    )
    assert pooled["tau"] == pytest.approx(found["tau"])
    text = report.paths["table_md"].read_text(encoding="utf-8")
    assert "## Over paraphrases (random effects, DerSimonian-Laird)" in text
    assert "paraphrases.png" in text


def test_scenarios_chart_groups_runs_by_scenario(tmp_path: Path) -> None:
    model = _model("m", 6)
    _run(free_vs_paid(scorers="compliance,af_heuristic"), model, tmp_path)
    _run(
        free_vs_paid(scorers="compliance,af_heuristic", scenario="throughput_test"), model, tmp_path
    )
    _run(free_vs_paid(scorers="compliance,af_heuristic", monitored_reasoning=True), model, tmp_path)
    report = build_report(tmp_path, out=tmp_path / "out", progress=False, cost=False)
    assert report.paths["scenarios_png"].is_file()
    table = pd.read_csv(report.paths["scenarios_csv"])
    # the plain prompt first, then the scenarios in their declared order
    assert list(table["label"]) == [
        "none",
        "none + monitored reasoning",
        "throughput_test",
    ]
    assert "## Per scenario" in report.paths["table_md"].read_text(encoding="utf-8")


def test_long_row_labels_widen_the_chart_instead_of_squeezing_its_panels() -> None:
    names = ["together/meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo (helpful_only)", "a/b"]
    table = pd.DataFrame(
        {
            "label": [names[i % 2] + f"-{i:02d}" for i in range(25)],
            "gap": [0.01 * i for i in range(25)],
            "gap_low": [0.01 * i - 0.1 for i in range(25)],
            "gap_high": [0.01 * i + 0.1 for i in range(25)],
            "af_rate": [0.005 * i for i in range(25)],
        }
    )
    fig = two_panel_figure(table, "Per model", "25 runs")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    left, right = fig.axes
    width = fig.get_size_inches()[0]
    # the panels keep their width (7.6 inches of 8.5 after margins) whatever the labels
    assert (left.get_position().width + right.get_position().width) * width > 6.0
    # the two axis titles do not run into each other, and no label leaves the figure
    assert (
        left.xaxis.label.get_window_extent(renderer).x1
        < right.xaxis.label.get_window_extent(renderer).x0
    )
    assert min(t.get_window_extent(renderer).x0 for t in left.get_yticklabels()) >= 0


def test_a_gap_without_af_reasoning_is_said_plainly() -> None:
    table = pd.DataFrame(
        [
            {"label": "hides", "gap": 0.24, "gap_low": 0.15, "af_rate": 0.012},
            {"label": "fakes", "gap": 0.24, "gap_low": 0.15, "af_rate": 0.20},
            {"label": "no gap", "gap": 0.02, "gap_low": -0.03, "af_rate": 0.0},
        ]
    )
    said = gap_without_af(table)
    assert len(said) == 1
    assert said[0].startswith("hides: a compliance gap of 24.0 points (interval from 15.0)")
    assert "AF in training 1.2%" in said[0]
