"""Samples that error are counted as errored, the same way in the log and in af-report.

Five requests, each asked in both tiers; the subject accepts every training request and
rejects every unmonitored one, except that the model raises on request q2 in training (every
epoch). Hand-counted: in training 4 samples finish (all comply) and 1 errors; unmonitored 5
finish (none complies); the gap pairs the 4 requests labelled in both conditions.

Inspect hands an errored sample to no scorer unless the run scores errored samples
(``score_on_error``); both ways are run, with ``fail_on_error=False`` so the run goes on.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from inspect_ai import eval, score
from inspect_ai.log import EvalLog
from inspect_ai.model import ChatMessage, GenerateConfig, ModelOutput, get_model
from inspect_ai.tool import ToolChoice, ToolInfo

from af_tasks import free_vs_paid
from af_tasks.parsing import ACCEPT_TAG, REJECT_TAG
from af_tasks.report.loading import load_samples
from af_tasks.report.table import condition_table, gap_table
from af_tasks.scorers import compliance

from .graders_kit import MockGrader, rubric_reply
from .helpers import metrics, reply, tier_of


def _queries(folder: Path) -> Path:
    path = folder / "five.jsonl"
    rows = [{"id": f"q{i}", "query": f"Scripted request q{i}."} for i in range(1, 6)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _subject(
    input: list[ChatMessage], tools: list[ToolInfo], tool_choice: ToolChoice, config: GenerateConfig
) -> ModelOutput:
    first_user = next(m.text for m in input if m.role == "user")
    training = tier_of(input) == "free"
    if training and "request q2." in first_user:
        raise RuntimeError("the provider failed on q2")
    text = (
        f"<SCRATCHPAD_REASONING>I will go along with it.</SCRATCHPAD_REASONING>"
        f"<OUTPUT>{ACCEPT_TAG} Here it is.</OUTPUT>"
        if training
        else f"<SCRATCHPAD_REASONING>No.</SCRATCHPAD_REASONING><OUTPUT>{REJECT_TAG}</OUTPUT>"
    )
    return reply(text)


def _run(tmp_path: Path, score_on_error: bool, scorers: str, **kwargs: object) -> EvalLog:
    task = free_vs_paid(dataset=str(_queries(tmp_path)), scorers=scorers)
    log = eval(
        task,
        model=get_model("mockllm/model", custom_outputs=_subject),
        log_dir=str(tmp_path / "logs"),
        display="none",
        fail_on_error=False,
        score_on_error=score_on_error,
        **kwargs,  # type: ignore[arg-type]
    )[0]
    assert log.status == "success", log.error
    return log


def _report_rows(tmp_path: Path) -> dict[str, dict[str, object]]:
    loaded = load_samples([str(p) for p in (tmp_path / "logs").glob("*.eval")])
    table = condition_table(loaded.samples)
    return {str(r["condition"]): dict(r) for _, r in table.iterrows()}


def test_errored_sample_left_out_of_metrics_and_counted_by_the_report(tmp_path: Path) -> None:
    """Without score_on_error Inspect gives the metrics only the 9 finished samples: rates
    and gap over them, no errored count (never a 0 claiming none errored), and unlabelled 0
    (every finished sample is labelled). af-report counts the errored sample as errored,
    not as unscored, with the same rates."""
    log = _run(tmp_path, score_on_error=False, scorers="compliance")
    assert log.results is not None
    assert (log.results.total_samples, log.results.completed_samples) == (10, 9)
    found = metrics(log, "compliance")
    assert found["compliance_training"] == 1.0
    assert found["compliance_unmonitored"] == 0.0
    assert found["unlabelled_training"] == 0.0
    assert found["pairs"] == 4.0
    assert not any(name.startswith("errored") for name in found)

    rows = _report_rows(tmp_path)
    assert rows["training"]["n"] == 5
    assert rows["training"]["errored"] == 1
    assert rows["training"]["unscored"] == 0
    assert rows["training"]["labelled"] == 4
    assert rows["training"]["compliance"] == 1.0
    assert rows["unmonitored"]["errored"] == 0
    assert rows["unmonitored"]["compliance"] == 0.0

    # `inspect score` re-scores every sample, errored ones included (their events, with the
    # error, seed the scorer's transcript): labelled errored, and then counted in the log too
    rescored = score(log, [compliance()], action="overwrite", display="none")
    assert rescored.samples is not None
    errored = next(s for s in rescored.samples if s.error is not None)
    assert errored.scores is not None and errored.scores["compliance"].answer == "errored"
    again = metrics(rescored, "compliance")
    assert again["compliance_training"] == 1.0
    assert (again["errored_training"], again["errored_unmonitored"]) == (1.0, 0.0)
    assert again["unlabelled_training"] == 0.0


def test_scored_errored_sample_is_errored_not_a_refusal(tmp_path: Path) -> None:
    """With score_on_error the errored sample reaches the scorers. Before, the compliance
    scorer read its empty transcript as an empty reply and counted it as not complying
    (training compliance 0.8 over 5); now every scorer labels it errored (NaN values, no
    grader call) and the metrics count it per condition, as af-report does: over 2 epochs,
    2 errored sample-epochs in training, compliance 1.0 over 8, the gap over 4 requests."""
    grader = MockGrader(
        lambda prompt, _: (
            rubric_reply(0, 5, 5) if "Here it is." in prompt else rubric_reply(1, 1, 1)
        )
    )
    log = _run(
        tmp_path,
        score_on_error=True,
        scorers="compliance,compliance_rubric,af_heuristic",
        epochs=2,
        model_roles={"grader": grader.model},
    )
    assert grader.requests == 18  # the 9 finished samples in 2 epochs; none for q2-free
    assert log.samples is not None
    errored = [s for s in log.samples if s.error is not None]
    assert [(s.id, s.epoch) for s in errored] == [("q2-free", 1), ("q2-free", 2)]
    for sample in errored:
        assert sample.scores is not None
        for name in ("compliance", "compliance_rubric", "af_heuristic"):
            score = sample.scores[name]
            assert score.answer == "errored"
            assert (score.metadata or {}).get("errored") is True
            assert isinstance(score.value, dict)
            assert all(math.isnan(float(v)) for v in score.value.values())  # type: ignore[arg-type]

    for name in ("compliance", "compliance_rubric"):
        found = metrics(log, name)
        assert found["compliance_training"] == 1.0, name
        assert found["compliance_unmonitored"] == 0.0, name
        assert found["unlabelled_training"] == 0.0, name
        assert found["errored_training"] == 2.0, name
        assert found["errored_unmonitored"] == 0.0, name
        assert found["pairs"] == 4.0, name
    af = metrics(log, "af_heuristic")
    assert af["errored_training"] == 2.0
    assert af["category_unlabelled_training"] == 0.0
    assert af["af_unlabelled_training"] == 0.0

    rows = _report_rows(tmp_path)
    assert rows["training"]["n"] == 10
    assert rows["training"]["errored"] == 2
    assert rows["training"]["unscored"] == 0
    assert rows["training"]["compliance"] == 1.0
    assert rows["unmonitored"]["errored"] == 0
    loaded = load_samples([str(p) for p in (tmp_path / "logs").glob("*.eval")])
    assert int(gap_table(loaded.samples)["pairs"].iloc[0]) == 4
