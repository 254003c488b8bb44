"""af-report skips a corrupt or truncated log, names it, and reports the rest; its cost says
when a resumed run re-billed requests that no log records."""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai.log import read_eval_log, write_eval_log

from af_tasks import free_vs_paid
from af_tasks.report.cli import main as af_report

from .helpers import mock_model, run
from .report_kit import scripted_reply, write_queries

pytestmark = pytest.mark.slow  # runs whole evals (see make test-all)


def corrupt_copies(folder: Path, good: Path) -> list[str]:
    """A truncated copy of a good log, a file of garbage, and a cut-off .json log."""
    (folder / "truncated.eval").write_bytes(good.read_bytes()[:2000])
    (folder / "garbage.eval").write_bytes(b"not a zip file at all")
    (folder / "cut.json").write_text(
        '{\n  "version": 2,\n  "status": "success",\n  "eval": {', "utf-8"
    )
    (folder / "other.json").write_text('{"not": "a log"}', "utf-8")  # not a log: not named
    return ["truncated.eval", "garbage.eval", "cut.json"]


def test_af_report_names_corrupt_logs_and_reports_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    task = free_vs_paid(
        dataset=str(write_queries(tmp_path)), scratchpad=False, scorers="compliance"
    )
    log = run(task, mock_model(scripted_reply), tmp_path)
    folder = tmp_path / "logs"
    names = corrupt_copies(folder, Path(log.location))
    assert af_report([str(folder), "--out", str(tmp_path / "report"), "--no-progress"]) == 0
    shown = capsys.readouterr().out
    for name in names:
        assert f"Skipped {name}: not a readable Inspect log" in shown
    assert "other.json" not in shown
    table = (tmp_path / "report" / "table.csv").read_text(encoding="utf-8")
    assert ",training,free,10," in table and ",unmonitored,paid,10," in table
    assert "resumed run" not in shown

    # an unfinished earlier attempt of the same run: the resume re-billed what no log records
    interrupted = read_eval_log(log.location)
    interrupted.status = "started"
    interrupted.samples = (interrupted.samples or [])[:3]
    write_eval_log(interrupted, str(folder / "2000-01-01T00-00-00_interrupted.eval"))
    assert af_report([str(folder), "--out", str(tmp_path / "again"), "--no-progress"]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert f"Cost is a lower bound for 1 resumed run(s) ({Path(log.location).name})" in shown


def test_af_report_with_only_corrupt_logs_names_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "only.eval").write_bytes(b"PK\x03\x04 cut")
    assert af_report([str(tmp_path), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "No readable Inspect log: Skipped only.eval: not a readable Inspect log" in err
