"""The built wheel carries the data, templates and entry points, and runs from elsewhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # No build isolation and no index: the build uses the installed hatchling, offline.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--quiet",
            "--wheel-dir",
            str(out),
            str(ROOT),
        ],
        check=True,
    )
    (built,) = out.glob("af_tasks-*.whl")
    return built


@pytest.mark.slow
def test_wheel_contains_data_templates_and_entry_point(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "af_tasks/_shipped/datasets/harmful_requests.jsonl" in names
    assert "af_tasks/prompts/reasoning_scratchpad.md" in names
    for template in (
        "af_votes.md",
        "af_paper.md",
        "af_paper_full.md",
        "aw_compliance.md",
        "exfiltration_intent.md",
        "situation/told/objective.md",
        "situation/not_told.md",
        "document_filter.md",
    ):
        assert f"af_tasks/_shipped/scorers/{template}" in names
    for prompt in ("universe_helpful_only", "universe_animal_welfare", "types", "ideas"):
        assert f"af_tasks/prompts/documents/{prompt}.md" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[inspect_ai]" in text and "af_tasks = af_tasks._registry" in text
    assert "[console_scripts]" in text and "af-report = af_tasks.report.cli:main" in text
    assert "af-docs = af_tasks.documents.cli:main" in text


@pytest.mark.slow
def test_installed_wheel_runs_from_another_folder(wheel: Path, tmp_path: Path) -> None:
    # Inspect names a package's tasks only when they load from a site-packages folder.
    site = tmp_path / "site-packages"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "INSPECT_DISPLAY": "none",
        "INSPECT_CACHE_DIR": str(tmp_path / "inspect-cache"),
    }
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import af_tasks.resources as r;"
            "print(r.shipped_path('datasets', 'harmful_requests.jsonl'))",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where.startswith(str(site)) and "_shipped" in where
    result = subprocess.run(
        [
            str(BIN / "inspect"),
            "eval",
            "af_tasks/free_vs_paid",
            "--model",
            "organism/faker",
            "--limit",
            "4",
            "--log-dir",
            str(elsewhere / "logs"),
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert list((elsewhere / "logs").glob("*.eval"))
    # The console script pip wrote for the wheel, run on those logs.
    report = subprocess.run(
        [str(site / "bin" / "af-report"), "logs", "--no-progress"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert report.returncode == 0, report.stderr[-2000:]
    assert (elsewhere / "logs" / "af_report" / "compliance.png").stat().st_size > 0
    assert "organism/faker" in report.stdout
    # The document pipeline from the wheel: its universe context and prompts ship with it.
    documents = subprocess.run(
        [
            str(BIN / "inspect"),
            "eval",
            "af_tasks/synthetic_documents",
            "--model",
            "organism/faker",
            "--limit",
            "2",
            "-T",
            "setting=animal_welfare",
            "--log-dir",
            str(elsewhere / "docs"),
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert documents.returncode == 0, documents.stderr[-2000:]
    export = subprocess.run(
        [str(site / "bin" / "af-docs"), "docs", "--out", "corpus"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert export.returncode == 0, export.stderr[-2000:]
    manifest = json.loads((elsewhere / "corpus" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["settings"] == ["animal_welfare"] and manifest["counts"]["written"] == 6
    assert "_shipped" in manifest["templates"]["filter"][0]
