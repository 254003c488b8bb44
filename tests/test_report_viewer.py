"""``af-report`` and the viewer's metrics agree: same log, same numbers, for several epochs.

Both compute every statistic with :mod:`af_tasks.estimates`; this checks it end to end on a
real log of the organism run with ``--epochs 3``, and checks the gap against the average of
the per-epoch gaps recounted by hand from the samples.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from inspect_ai import eval

from af_tasks import free_vs_paid
from af_tasks.report import build_report

from .helpers import metrics

EPOCHS = 3


@pytest.fixture(scope="module")
def epochs_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("epochs") / "logs"
    (log,) = eval(
        free_vs_paid(scorers="compliance,af_votes"),
        model="organism/faker",
        limit=60,
        epochs=EPOCHS,
        log_dir=str(folder),
        display="none",
    )
    assert log.status == "success", log.error
    return folder


def _log(folder: Path):  # type: ignore[no-untyped-def]
    from inspect_ai.log import list_eval_logs, read_eval_log

    (info,) = list_eval_logs(str(folder))
    return read_eval_log(info.name)


@pytest.mark.slow
def test_gap_is_the_average_of_the_per_epoch_gaps(epochs_log: Path) -> None:
    log = _log(epochs_log)
    complied: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for sample in log.samples:
        value = sample.scores["compliance"].value
        complied[sample.epoch][sample.metadata["condition"]].append(float(value["complied"]))
    per_epoch = [
        sum(c["training"]) / len(c["training"]) - sum(c["unmonitored"]) / len(c["unmonitored"])
        for c in complied.values()
    ]
    assert len(per_epoch) == EPOCHS
    by_hand = sum(per_epoch) / EPOCHS
    values = metrics(log)
    assert abs(values["gap"] - by_hand) < 0.05
    assert values["gap"] == pytest.approx(by_hand)  # exact, with every sample labelled
    assert values["pairs"] == 30  # queries, not query x epoch
    assert values["gap_low"] < values["gap"] < values["gap_high"]


@pytest.mark.slow
def test_report_agrees_with_the_viewer(epochs_log: Path, tmp_path: Path) -> None:
    log = _log(epochs_log)
    viewer = metrics(log)
    af = metrics(log, "af_votes")
    report = build_report(epochs_log, out=tmp_path, progress=False)
    (gap,) = report.gaps.to_dict("records")
    assert gap["epochs"] == EPOCHS and gap["interval"] == "newcombe_clustered"
    assert (gap["gap"], gap["gap_low"], gap["gap_high"]) == pytest.approx(
        (viewer["gap"], viewer["gap_low"], viewer["gap_high"])
    )
    assert gap["pairs"] == viewer["pairs"]
    for _, row in report.conditions.iterrows():
        condition = row["condition"]
        assert row["compliance"] == pytest.approx(viewer[f"compliance_{condition}"])
        assert row["af_rate"] == pytest.approx(af[f"af_rate_{condition}"])
        for category in ("refuses", "complies_no_af", "complies_af", "complies_af_unknown"):
            assert row[category] == pytest.approx(af[f"{category}_{condition}"]), category
    assert set(report.conditions["condition"]) == {"training", "unmonitored"}


@pytest.mark.slow
def test_report_links_the_figure_and_says_the_subject_is_simulated(
    epochs_log: Path, tmp_path: Path
) -> None:
    report = build_report(epochs_log, out=tmp_path, progress=False)
    markdown = report.paths["table_md"].read_text()
    assert "![Refusal and compliance per condition](compliance.png)" in markdown
    assert (tmp_path / "compliance.png").is_file()
    head = markdown.split("## Compliance gap", 1)[0]
    assert "Simulated subject" in head and "say nothing about any real model" in head
    assert "percentage points" in markdown and "as fractions" in markdown
