"""Finding log files, and naming the ones that cannot be read, for af-report and af-docs.

One corrupt or truncated log (a run killed while writing, a copy cut short) must not hide
the others: both tools skip it, say which file and why, and report the rest. Inspect's
``list_eval_logs`` lists every ``.eval`` file but leaves out a ``.json`` file it cannot read
as a log, so a corrupt ``.json`` log would vanish without a word; :func:`log_files` lists
those too, so the reader that fails on them names them.
"""

from __future__ import annotations

from pathlib import Path

from inspect_ai.log import list_eval_logs

_JSON_LOG_START = ('"version"', '"eval"', '"status"')
"""Keys near the start of every Inspect ``.json`` log (other JSON files lack them)."""


def log_files(folder: Path) -> list[str]:
    """Every Inspect log in ``folder`` (recursively), with ``.json`` logs Inspect cannot read."""
    listed = [info.name for info in list_eval_logs(str(folder), recursive=True)]
    seen = {name.removeprefix("file://") for name in listed}
    for candidate in sorted(folder.rglob("*.json")):
        if str(candidate) in seen or candidate.name == "logs.json":
            continue
        try:
            with candidate.open("rb") as handle:
                start = handle.read(400).decode("utf-8", errors="replace")
        except OSError:
            continue
        if start.lstrip().startswith("{") and sum(key in start for key in _JSON_LOG_START) >= 2:
            listed.append(str(candidate))
    return listed


def unreadable(path: str, err: BaseException) -> str:
    """The note naming a log that could not be read, and why."""
    reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return (
        f"Skipped {Path(path.removeprefix('file://')).name}: not a readable Inspect log "
        f"(corrupt or truncated: {reason[:200]}); the other logs are reported without it."
    )
