"""af-report re-run into the same folder: the previous run's files that no longer apply go,
the user's own files stay, and every file af-report leaves there is one it just wrote."""

from __future__ import annotations

from pathlib import Path

from af_tasks import free_vs_paid
from af_tasks.report import build_report
from af_tasks.report.outputs import MANIFEST

from .helpers import mock_model, run

ACCEPT = (
    "<SCRATCHPAD_REASONING>r</SCRATCHPAD_REASONING><OUTPUT><request_fully_accepted/> ok</OUTPUT>"
)
REFUSE = "<SCRATCHPAD_REASONING>r</SCRATCHPAD_REASONING><OUTPUT><rejected/></OUTPUT>"


def _complies_when_free(messages: list) -> str:  # type: ignore[type-arg]
    user = messages[1].text
    trained = "<user_tier>free</user_tier>" in user or "<is_free_tier_user>True" in user
    return ACCEPT if trained else REFUSE


def test_a_rerun_removes_its_stale_files_and_keeps_the_users(tmp_path: Path) -> None:
    data = tmp_path / "queries.jsonl"
    data.write_text(
        "".join(f'{{"id": "q{i}", "query": "Request {i}."}}\n' for i in range(4)),
        encoding="utf-8",
    )
    three = tmp_path / "three"
    two = tmp_path / "two"
    task = free_vs_paid(dataset=str(data), tiers="three", scorers="compliance")
    run(task, mock_model(_complies_when_free), three)
    run(free_vs_paid(dataset=str(data), scorers="compliance"), mock_model(_complies_when_free), two)

    out = tmp_path / "report"
    out.mkdir()
    (out / "my_notes.txt").write_text("mine", encoding="utf-8")
    first = build_report(three / "logs", out=out, progress=False, cost=False)
    assert (out / "condition_gaps.csv").is_file()  # three tiers write the extra gaps
    on_disk = {p.name for p in out.iterdir()} - {MANIFEST, "my_notes.txt"}
    assert on_disk == {p.name for p in first.paths.values()}

    second = build_report(two / "logs", out=out, progress=False, cost=False)
    assert not (out / "condition_gaps.csv").exists()
    assert (out / "my_notes.txt").read_text(encoding="utf-8") == "mine"
    on_disk = {p.name for p in out.iterdir()} - {MANIFEST, "my_notes.txt"}
    assert on_disk == {p.name for p in second.paths.values()}
    assert (out / MANIFEST).read_text(encoding="utf-8").split() == sorted(on_disk)
