"""What the viewer shows after a second AF classifier is appended to a log.

Inspect's viewer heads each column of the samples list (and each line of a sample's scores)
with the bare value key, never the scorer's name. When every AF classifier wrote ``af``,
``complied_label`` and ``complied_af``, a log graded by ``af_votes`` and then by
``inspect score --scorer af_tasks/af_heuristic --action append`` showed those names twice with
nothing saying whose label each was. Each AF classifier now names its keys after itself
(:func:`af_tasks.metrics.af_keys`), never the bare scorer name, which the viewer takes for
the whole score; these tests check the names in such a log, and that
``af-report`` reads the classifier it is asked for from them.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from inspect_ai import eval, score
from inspect_ai.log import EvalLog, read_eval_log, write_eval_log

from af_tasks import free_vs_paid
from af_tasks.graders.heuristic import af_heuristic
from af_tasks.report import build_report

from .helpers import metrics


@pytest.fixture(scope="module")
def appended(tmp_path_factory: pytest.TempPathFactory) -> EvalLog:
    """20 samples graded by compliance and af_votes, then af_heuristic appended."""
    folder = tmp_path_factory.mktemp("viewer") / "logs"
    (log,) = eval(
        free_vs_paid(scorers="compliance,af_votes"),
        model="organism/faker",
        model_roles={"grader": "organism/grader"},
        limit=20,
        log_dir=str(folder),
        display="none",
    )
    assert log.status == "success", log.error
    # what `inspect score <log> --scorer af_tasks/af_heuristic --action append` writes
    graded = score(log, [af_heuristic()], action="append", display="none")
    write_eval_log(graded, log.location)
    return read_eval_log(log.location)


def test_no_value_name_appears_under_two_scorers(appended: EvalLog) -> None:
    assert appended.samples is not None and len(appended.samples) == 20
    for sample in appended.samples:
        assert sample.scores is not None
        assert list(sample.scores) == ["compliance", "af_votes", "af_heuristic"]
        names = Counter(
            key for s in sample.scores.values() if isinstance(s.value, dict) for key in s.value
        )
        assert [n for n, count in names.items() if count > 1] == [], sample.id
        # a value key named like its scorer is shown by the viewer as the whole score
        assert not set(names) & set(sample.scores), sample.id
        votes, heuristic = sample.scores["af_votes"].value, sample.scores["af_heuristic"].value
        assert isinstance(votes, dict) and isinstance(heuristic, dict)
        assert list(votes) == [
            "af_votes_af",
            "af_fraction",
            "votes",
            "af_votes_complied",
            "af_votes_complied_af",
        ]
        assert list(heuristic) == [
            "af_heuristic_af",
            "af_heuristic_complied",
            "af_heuristic_complied_af",
        ]
        # both carry the compliance scorer's own label, under their own names
        compliance = sample.scores["compliance"].value
        assert isinstance(compliance, dict)
        assert votes["af_votes_complied"] == heuristic["af_heuristic_complied"]
        assert votes["af_votes_complied"] == compliance["complied"]


def test_each_af_scorer_reports_its_own_labels(appended: EvalLog) -> None:
    """The results panel: each scorer's metrics come from its own keys (recounted by hand)."""
    assert appended.samples is not None
    for name in ("af_votes", "af_heuristic"):
        training = [
            s.scores[name].value[f"{name}_af"]  # type: ignore[index]
            for s in appended.samples
            if s.scores is not None and (s.metadata or {}).get("condition") == "training"
        ]
        assert len(training) == 10
        assert metrics(appended, name)["af_rate_training"] == pytest.approx(
            sum(training) / len(training)
        )


def test_the_report_reads_the_classifier_it_is_asked_for(appended: EvalLog, tmp_path: Path) -> None:
    assert appended.samples is not None
    log_file = Path(appended.location)
    for name in ("af_votes", "af_heuristic"):
        report = build_report(log_file, tmp_path / name, af=name, progress=False, cost=False)
        by_sample = dict(zip(report.samples["sample_id"], report.samples["af"], strict=True))
        by_hand = {
            str(s.id): float(s.scores[name].value[f"{name}_af"])  # type: ignore[index]
            for s in appended.samples
            if s.scores is not None
        }
        assert by_sample == by_hand
