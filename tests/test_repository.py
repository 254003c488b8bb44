"""The repository itself: a half-finished merge must never reach main unnoticed.

A README with conflict markers once landed (it ran, but read as two versions of itself); this
test reads every text file of the checkout so that CI catches the next one.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIPPED = {".git", ".venv", "logs", "build", "dist", ".mypy_cache", ".ruff_cache", "__pycache__"}
TEXT = {".md", ".py", ".toml", ".yaml", ".yml", ".json", ".jsonl", ".csv", ".txt", ".cfg"}


def _text_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        if parts & SKIPPED or not path.is_file():
            continue
        if path.suffix in TEXT or path.name in ("Makefile", "run"):
            files.append(path)
    return files


def test_no_file_holds_merge_conflict_markers() -> None:
    files = _text_files()
    assert any(p.name == "README.md" for p in files)  # the walk does reach the files
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in files
        for number, line in enumerate(
            path.read_text(encoding="utf-8", errors="replace").splitlines(), 1
        )
        if line.startswith(("<<<<<<< ", ">>>>>>> "))
    ]
    assert found == [], f"merge conflict markers left in: {', '.join(found)}"
