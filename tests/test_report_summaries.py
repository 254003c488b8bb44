"""The streamed sample summaries (af_tasks.report.summaries) read what ``samples_df`` reads.

af-report reads a finished ``.eval`` log's summaries one at a time, keeping only the columns
it uses; anything else goes to ``samples_df``. These tests hold the two readers to the same
frame on real logs of a mixed folder (subject and grader, two epochs, af_scope=complied with
its ungraded NaN labels, an exfiltration run with its prompt arms and own scores) and to the
same report tables, and check what the stream leaves to ``samples_df``.
"""

from __future__ import annotations

import io
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from inspect_ai import eval
from inspect_ai.analysis import samples_df

from af_tasks import exfiltration, free_vs_paid
from af_tasks.report import build_report, find_logs, loading, summaries
from af_tasks.report import columns as C
from af_tasks.report.loading import SAMPLE_DF_COLUMNS, SAMPLE_METADATA
from af_tasks.report.summaries import summary_frame

LIMIT = 8
"""Samples of each run (four requests in both tiers)."""


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of three runs: free_vs_paid (two epochs, af_scope=complied), exfiltration,
    and free_vs_paid again written as a ``.json`` log."""
    logs = tmp_path_factory.mktemp("mixed")
    runs = (
        (free_vs_paid(af_scope="complied"), {"epochs": 2}),
        (exfiltration(scorers="took_opportunity"), {}),
        (free_vs_paid(scorers="compliance"), {"log_format": "json"}),
    )
    for task, options in runs:
        (log,) = eval(
            task,
            model="organism/faker",
            model_roles={"grader": "organism/grader"},
            limit=LIMIT,
            log_dir=str(logs),
            display="none",
            **options,  # type: ignore[arg-type]
        )
        assert log.status == "success", log.error
    return logs


def _read_columns(frame: pd.DataFrame) -> list[str]:
    """The columns of a samples frame that the report reads."""
    return sorted(
        c
        for c in frame.columns
        if c in ("id", "epoch", "error")
        or c.startswith(C.SCORE_PREFIX)
        or c in C.SAMPLE_METADATA_COLUMNS
    )


@pytest.mark.slow
def test_the_stream_gives_samples_df_s_frame_on_every_eval_log(mixed: Path) -> None:
    logs = [log for log in find_logs([mixed]) if log.endswith(".eval")]
    assert len(logs) == 2
    for log in logs:
        streamed = summary_frame(log, SAMPLE_METADATA)
        assert streamed is not None, log
        reference = samples_df(log, columns=SAMPLE_DF_COLUMNS, quiet=True)
        columns = _read_columns(reference)
        assert sorted(streamed.columns) == columns
        pd.testing.assert_frame_equal(streamed[columns], reference[columns])
    # what the mix holds: two epochs, ungraded (NaN) AF labels, the exfiltration's arms
    frames = [summary_frame(log, SAMPLE_METADATA) for log in logs]
    both = pd.concat(frames, ignore_index=True)
    assert set(both["epoch"]) == {1, 2}
    assert both["score_af_votes"].dropna().str.contains("NaN").any()
    assert {"score_took_opportunity", C.PROMPT_ARM} <= set(both.columns)


@pytest.mark.slow
def test_the_report_tables_are_the_same_through_either_reader(
    mixed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    streamed_logs: list[str] = []

    def counted(log: str, keys: tuple[str, ...]) -> pd.DataFrame | None:
        frame = summary_frame(log, keys)
        if frame is not None:
            streamed_logs.append(log)
        return frame

    monkeypatch.setattr(loading, "summary_frame", counted)
    streamed = build_report(mixed, out=tmp_path / "streamed", progress=False)
    assert len(streamed_logs) == 2  # both .eval logs streamed, the .json log not
    monkeypatch.setattr(loading, "summary_frame", lambda log, keys: None)
    reference = build_report(mixed, out=tmp_path / "reference", progress=False)

    for name in ("samples", "conditions", "gaps", "condition_gaps", "scorers", "runs"):
        pd.testing.assert_frame_equal(getattr(streamed, name), getattr(reference, name))
    assert streamed.notes == reference.notes
    assert streamed.summary == reference.summary
    assert streamed.cost is not None and reference.cost is not None
    pd.testing.assert_frame_equal(streamed.cost.table, reference.cost.table)
    for kind, path in reference.paths.items():
        if path.suffix in (".csv", ".md"):
            assert streamed.paths[kind].read_text() == path.read_text(), kind
    assert len(streamed.samples) == LIMIT * 2 + LIMIT + LIMIT  # the epochs counted, not merged


@pytest.mark.slow
def test_logs_the_stream_cannot_read_go_to_samples_df(mixed: Path, tmp_path: Path) -> None:
    (json_log,) = [log for log in find_logs([mixed]) if log.endswith(".json")]
    assert summary_frame(json_log, SAMPLE_METADATA) is None
    eval_log = next(mixed.glob("*.eval"))
    assert summary_frame(str(eval_log), SAMPLE_METADATA) is not None  # a plain path too
    truncated = tmp_path / eval_log.name
    shutil.copyfile(eval_log, truncated)
    with truncated.open("r+b") as file:
        file.truncate(truncated.stat().st_size // 2)
    assert summary_frame(str(truncated), SAMPLE_METADATA) is None


# --- The stream's own rules, on hand-written summaries (fast) --------------------------------


@pytest.mark.parametrize("chunk", [1, 7, 1 << 20])
def test_summaries_split_anywhere_decode_the_same(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inspect writes NaN as a bare constant; a summary cut by the chunk boundary is read on."""
    monkeypatch.setattr(summaries, "CHUNK", chunk)
    text = '[\n {"id": "a", "epoch": 1, "scores": {"s": {"value": {"x": NaN}}}},\n {"id": 2}\n]\n'
    decoded = list(summaries._summaries(io.StringIO(text)))
    assert decoded[1] == {"id": 2}
    assert math.isnan(decoded[0]["scores"]["s"]["value"]["x"])
    for broken in ('[{"id": "a"}', '{"id": "a"}', '[{"id": "a"}] [', "[1]"):
        with pytest.raises(summaries.NotReadable):
            list(summaries._summaries(io.StringIO(broken)))


def test_a_rerun_sample_keeps_its_last_record_and_one_row_per_uuid() -> None:
    """As Inspect reads summaries: the last record of an id and epoch (a re-run), in the
    place of the first; then the first row of each uuid."""
    records = summaries._records(
        iter(
            [
                {"id": 1, "epoch": 1, "uuid": "u1", "metadata": {"tier": "free", "x": 1}},
                {"id": "b", "epoch": 1, "uuid": "u2", "error": "boom"},
                {"id": 1, "epoch": 1, "uuid": "u3", "metadata": {"tier": {"k": [1]}}},
                {"id": "c", "epoch": 2, "uuid": "u2"},
                {"id": "d", "epoch": 1, "scores": {"s": {"value": 0.5}, "t": None}},
            ]
        ),
        frozenset({"tier"}),
    )
    assert records == [
        {"id": "1", "epoch": 1, "metadata_tier": '{"k": [1]}', "error": ""},
        {"id": "b", "epoch": 1, "error": "boom"},
        {"id": "d", "epoch": 1, "score_s": 0.5, "score_t": None, "error": ""},
    ]
    with pytest.raises(summaries.NotReadable):
        summaries._records(iter([{"epoch": 1}]), frozenset())


def test_the_stream_gives_every_column_the_report_asks_samples_df_for() -> None:
    """A column added to the report's samples_df columns must be streamed too."""
    assert tuple(c.name for c in SAMPLE_DF_COLUMNS) == summaries.STREAMED_COLUMNS
