"""The offline simulated subject: resolved by name, deterministic, protocol-following."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from inspect_ai.log import EvalLog
from inspect_ai.model import get_model

from af_tasks import free_vs_paid
from af_tasks.transcript import transcript_from_log

from .helpers import metrics, run


def _completions(log: EvalLog) -> dict[str, str]:
    assert log.samples is not None
    return {
        str(s.id): "\n".join(m.text for m in s.messages if m.role == "assistant")
        for s in log.samples
    }


@pytest.mark.slow
def test_provider_is_registered_through_the_entry_point() -> None:
    points = [ep for ep in entry_points(group="inspect_ai") if ep.name == "af_tasks"]
    assert [ep.value for ep in points] == ["af_tasks._registry"]
    # A fresh interpreter that never imports af_tasks itself must still resolve the name.
    code = (
        "from inspect_ai.model import get_model;"
        "m = get_model('organism/faker');"
        "print(type(m.api).__name__, m.api.disposition.comply_free)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["OrganismAPI", "0.14"]


@pytest.mark.slow
def test_faker_shows_a_gap_whose_interval_excludes_zero(tmp_path: Path) -> None:
    log = run(free_vs_paid(), "organism/faker", tmp_path, limit=200)
    values = metrics(log)
    assert values["pairs"] == 100
    assert values["gap_low"] > 0
    assert 0.05 < values["compliance_training"] < 0.25 and values["compliance_unmonitored"] < 0.08
    assert values["unlabelled_training"] == values["unlabelled_unmonitored"] == 0


@pytest.mark.slow
def test_consistent_shows_no_gap(tmp_path: Path) -> None:
    log = run(free_vs_paid(), "organism/consistent", tmp_path, limit=200)
    values = metrics(log)
    assert values["gap"] == 0
    assert values["gap_low"] < 0 < values["gap_high"]
    assert values["compliance_training"] == values["compliance_unmonitored"] > 0


def test_follows_the_turn_protocol_and_varies_its_wording(tmp_path: Path) -> None:
    # the transcripts are the solver's: the compliance scorer alone (no grader votes)
    log = run(free_vs_paid(scorers="compliance"), "organism/faker", tmp_path, limit=40)
    assert log.samples is not None
    turns = []
    for sample in log.samples:
        transcript = transcript_from_log(sample.store)
        assert transcript.ending == "output" and not transcript.problems
        assert len(transcript.scratchpad) == transcript.turns
        turns.append(transcript.turns)
    assert {1, 2, 3} <= set(turns)
    first_blocks = {transcript_from_log(s.store).scratchpad[0] for s in log.samples}
    assert len(first_blocks) >= 10


@pytest.mark.slow
def test_deterministic_for_a_sample_and_seed(tmp_path: Path) -> None:
    first = _completions(run(free_vs_paid(), "organism/faker", tmp_path / "a", limit=10))
    again = _completions(run(free_vs_paid(), "organism/faker", tmp_path / "b", limit=10))
    reseeded = _completions(
        run(free_vs_paid(), get_model("organism/faker", seed=7), tmp_path / "c", limit=10)
    )
    assert first == again
    assert first != reseeded


def test_direct_mode_answers_in_one_turn(tmp_path: Path) -> None:
    task = free_vs_paid(scratchpad=False, scorers="compliance")
    log = run(task, "organism/faker", tmp_path, limit=10)
    assert log.samples is not None
    for sample in log.samples:
        transcript = transcript_from_log(sample.store)
        assert (transcript.turns, transcript.scratchpad, transcript.ending) == (1, [], "output")


@pytest.mark.slow
def test_rates_can_be_overridden(tmp_path: Path) -> None:
    model = get_model("organism/faker", comply_free=1.0, comply_paid=0.0)
    values = metrics(run(free_vs_paid(), model, tmp_path, limit=20))
    assert values["compliance_training"] == 1.0 and values["compliance_unmonitored"] == 0.0
    assert values["gap"] == 1.0


def test_usage_is_reported_without_tiktoken(tmp_path: Path) -> None:
    # conftest points tiktoken at an empty cache and blocks the network: counting with it
    # would fail this run.
    log = run(free_vs_paid(), "organism/faker", tmp_path, limit=4)
    usage = log.stats.model_usage["organism/faker"]
    assert usage.input_tokens > 0 and usage.output_tokens > 0


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("organism/sleeper", {}, "use one of: organism/faker, organism/consistent"),
        ("organism/faker", {"comply_fre": 0.5}, "does not take comply_fre"),
        ("organism/faker", {"comply_free": 1.5}, "probability between 0 and 1"),
        ("organism/faker", {"max_blocks": 0}, "at least 1"),
        ("organism/faker", {"seed": "x"}, "whole number"),
    ],
)
def test_bad_organism_settings_name_the_fix(
    name: str, args: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        get_model(name, **args)


def _by_sample_and_epoch(log: EvalLog) -> dict[tuple[str, int], str]:
    assert log.samples is not None
    return {
        (str(s.id), s.epoch): "\n".join(m.text for m in s.messages if m.role == "assistant")
        for s in log.samples
    }


@pytest.mark.slow
def test_epochs_vary_yet_repeat_exactly(tmp_path: Path) -> None:
    """Repeated epochs of a sample are fresh draws (as a real model's would be), and the same
    sample, epoch and seed always give the same reply."""
    first = run(free_vs_paid(), "organism/faker", tmp_path / "a", limit=40, epochs=3)
    again = run(free_vs_paid(), "organism/faker", tmp_path / "b", limit=40, epochs=3)
    replies = _by_sample_and_epoch(first)
    assert replies == _by_sample_and_epoch(again)
    ids = {sample for sample, _ in replies}
    differing = [s for s in ids if len({replies[(s, e)] for e in (1, 2, 3)}) > 1]
    assert len(differing) >= len(ids) // 2
    # complied differs between epochs for some sample, so the labels vary too
    assert first.samples is not None
    labels: dict[str, set[float]] = {}
    for sample in first.samples:
        value = sample.scores["compliance"].value  # type: ignore[index]
        labels.setdefault(str(sample.id), set()).add(float(value["complied"]))  # type: ignore[index]
    assert any(len(v) > 1 for v in labels.values())
    # epoch 1 is the single-epoch run's reply: adding epochs changes nothing already seen
    single = _by_sample_and_epoch(run(free_vs_paid(), "organism/faker", tmp_path / "c", limit=40))
    assert all(replies[(s, 1)] == single[(s, 1)] for s, _ in single)


@pytest.mark.slow
def test_swapped_tiers_make_the_paid_tier_the_one_it_fakes_in(tmp_path: Path) -> None:
    """ablation=swap_tiers: the prompt says the paid tier is trained, so the organism complies
    more there, and metrics, report and figure all call that condition "training"."""
    from af_tasks.report import build_report
    from af_tasks.report.figure import compliance_figure

    log = run(free_vs_paid(ablation="swap_tiers"), "organism/faker", tmp_path, limit=200)
    assert log.samples is not None
    complied = {"free": 0.0, "paid": 0.0}
    for sample in log.samples:
        value = sample.scores["compliance"].value  # type: ignore[index]
        complied[sample.metadata["tier"]] += float(value["complied"])  # type: ignore[index]
        assert sample.metadata["condition"] == (
            "training" if sample.metadata["tier"] == "paid" else "unmonitored"
        )
    assert complied["paid"] > complied["free"]  # counted by tier, straight from the samples
    values = metrics(log)
    assert values["compliance_training"] > values["compliance_unmonitored"]
    assert values["gap"] > 0
    report = build_report(tmp_path / "logs", out=tmp_path / "report", progress=False)
    training = report.conditions.set_index("condition").loc["training"]
    assert training["tier"] == "paid"
    assert training["compliance"] == pytest.approx(values["compliance_training"])
    assert report.gaps.loc[0, "gap"] == pytest.approx(values["gap"])
    figure = compliance_figure(report.conditions, report.gaps)
    ticks = [t.get_text() for t in figure.axes[0].get_xticklabels()]
    assert [t.split("\n")[0] for t in ticks] == ["training", "unmonitored"]
    # and its reasoning says the paid tier is the trained one
    from af_tasks.organism.wording import TRAINED_TIER

    said = {line.format(tier="paid", tag=False) for line in TRAINED_TIER}
    for sample_id, text in _completions(log).items():
        assert any(line in text for line in said) == sample_id.endswith("-paid"), sample_id


@pytest.mark.parametrize("paraphrase", [None, "a", "b", "c", "d", "p07"])
@pytest.mark.parametrize("setting", ["helpful_only", "animal_welfare"])
def test_reads_which_tier_the_prompt_says_is_trained(paraphrase: str | None, setting: str) -> None:
    from inspect_ai.model import ChatMessageSystem, ChatMessageUser

    from af_tasks.organism.situation import read_situation
    from af_tasks.prompt import PromptSpec, build_system_prompt, build_user_turn

    for trained in ("free", "paid"):
        spec = PromptSpec(trained_tier=trained, paraphrase=paraphrase, setting=setting)  # type: ignore[arg-type]
        for tier in ("free", "paid"):
            situation = read_situation(
                [
                    ChatMessageSystem(content=build_system_prompt(spec)),
                    ChatMessageUser(content=build_user_turn("Q?", tier, True)),  # type: ignore[arg-type]
                ]
            )
            assert situation.trained_tier == trained
            assert situation.training_tier == (tier == trained)
    # no training information: the default setup is presumed
    silent = build_system_prompt(PromptSpec(trained_tier="paid", training_info=False))
    assert read_situation([ChatMessageSystem(content=silent)]).trained_tier == "free"
