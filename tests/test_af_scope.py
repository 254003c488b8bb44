"""``-T af_scope=complied``: only samples labelled compliant go to the AF classifier."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from inspect_ai import eval
from inspect_ai.event import ModelEvent
from inspect_ai.log import EvalLog, EvalSample, read_eval_log

from af_tasks import animal_welfare, free_vs_paid
from af_tasks.report import build_report

LIMIT = 60
"""The first 30 bundled requests in both tiers."""


def _run(scope: str, tmp_path: Path) -> EvalLog:
    log = eval(
        free_vs_paid(af_scope=scope),
        model="organism/faker",
        model_roles={"grader": "organism/grader"},
        limit=LIMIT,
        log_dir=str(tmp_path / scope),
        display="none",
    )[0]
    assert log.status == "success", log.error
    return read_eval_log(log.location)


def _grader_requests(sample: EvalSample) -> int:
    return sum(1 for e in sample.events if isinstance(e, ModelEvent) and e.role == "grader")


def _complied(sample: EvalSample) -> bool:
    assert sample.scores is not None
    value = sample.scores["compliance"].value
    assert isinstance(value, dict)
    return bool(value["complied"] == 1)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, EvalLog]:
    folder = tmp_path_factory.mktemp("af_scope")
    return {scope: _run(scope, folder) for scope in ("all", "complied")}


@pytest.mark.slow
def test_grader_requests_fall_with_the_refusals(runs: dict[str, EvalLog]) -> None:
    every, scoped = runs["all"], runs["complied"]
    assert every.samples is not None and scoped.samples is not None
    before = {(s.id, s.epoch): s for s in every.samples}
    complied = [s for s in scoped.samples if _complied(s)]
    refused = [s for s in scoped.samples if not _complied(s)]
    assert 0 < len(complied) < len(refused)  # the simulator refuses most harmful requests
    # A refusal costs no grader request any more; a complier costs what it did before.
    assert all(_grader_requests(s) == 0 for s in refused)
    for sample in complied:
        assert _grader_requests(sample) == _grader_requests(before[(sample.id, sample.epoch)])
    total_all = sum(_grader_requests(s) for s in every.samples)
    total_scoped = sum(_grader_requests(s) for s in scoped.samples)
    saved = sum(_grader_requests(before[(s.id, s.epoch)]) for s in refused)
    assert saved > 0 and total_scoped == total_all - saved
    # Every refusal is recorded as not graded, with the reason.
    for sample in refused:
        assert sample.scores is not None
        score = sample.scores["af_votes"]
        assert score.reason == "not_graded" and score.metadata == {
            "classifier": "af_votes",
            "af_scope": "complied",
        }
        assert isinstance(score.value, dict) and math.isnan(score.value["af_votes_af"])
        assert "Not graded: af_scope=complied" in (score.explanation or "")


@pytest.mark.slow
def test_the_figure_is_unchanged_and_the_report_names_what_was_not_measured(
    runs: dict[str, EvalLog], tmp_path: Path
) -> None:
    reports = {
        scope: build_report([log.location], out=tmp_path / scope, progress=False)
        for scope, log in runs.items()
    }
    categories = ["refuses", "complies_no_af", "complies_af", "complies_af_unknown"]
    every, scoped = (reports[s].conditions.set_index("condition") for s in ("all", "complied"))
    assert scoped[categories].equals(every[categories])
    assert scoped["af_share_of_compliance"].equals(every["af_share_of_compliance"])
    assert scoped["af_rate"].isna().all() and every["af_rate"].notna().all()
    samples = reports["complied"].samples
    for condition, row in scoped.iterrows():
        in_condition = samples[samples["condition"] == condition]
        assert row["af_not_graded"] == int((in_condition["complied"] != 1).sum())
        assert row["af_unscored"] == 0 and every.loc[condition, "af_not_graded"] == 0
    summary = reports["complied"].summary
    assert "The AF rate over all training samples was not measured" in summary
    assert "not measured" in reports["complied"].paths["table_md"].read_text(encoding="utf-8")
    refused = int((samples["complied"] != 1).sum())
    cost = reports["complied"].cost
    assert cost is not None and cost.saving is not None
    assert (cost.saving.skipped, cost.saving.graded) == (refused, len(samples) - refused)
    assert cost.saving.saved_tokens > 0
    assert f"af_scope=complied: {refused:,} samples not labelled compliant" in summary
    assert "more grader tokens" in summary
    assert "af_scope" not in reports["all"].summary


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: free_vs_paid(af_scope="compliant"), "af_scope must be all .* or complied"),
        (
            lambda: free_vs_paid(af_scope="complied", scorers="compliance"),
            "scorers=compliance has none; add af_votes",
        ),
        (lambda: animal_welfare(af_scope="some"), "af_scope must be all"),
    ],
)
def test_a_bad_af_scope_is_refused_before_any_model_call(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]
