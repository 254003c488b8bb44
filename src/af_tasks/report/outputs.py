"""What af-report wrote last time into its output folder, so a re-run leaves no stale file.

af-report writes a different set of files depending on what the logs hold (three tiers add
``condition_gaps.csv``, many models add ``models.png``, and so on). Re-run on a folder whose
logs changed, it used to leave the previous run's figures beside the new ones, where a reader
takes them for current. The folder may be the user's own (``--out``), so only files this
module recorded as written by af-report are ever removed, never anything else in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

MANIFEST = ".af_report_files"
"""The list of files the last af-report run wrote into the folder, one name per line."""


def replace_outputs(folder: Path, written: Iterable[Path]) -> list[Path]:
    """Remove the files the previous run wrote into ``folder`` that this run did not write,
    and record this run's files. Returns the removed paths (for the tests and the log)."""
    keep = {p.name for p in written if p.parent.resolve() == folder.resolve()}
    manifest = folder / MANIFEST
    before = manifest.read_text(encoding="utf-8").split() if manifest.exists() else []
    removed: list[Path] = []
    for name in before:
        stale = folder / name
        if name not in keep and Path(name).name == name and stale.is_file():
            stale.unlink()
            removed.append(stale)
    manifest.write_text("".join(f"{name}\n" for name in sorted(keep)), encoding="utf-8")
    return removed
