"""af-docs and the document filter on samples whose store is empty (Inspect's crash recovery).

Recovery keeps a sample's messages (only its last model call's, in a recovered sample), its
events and its scores, and leaves its store empty; the lineage is derived again from them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import eval, score
from inspect_ai.log import EvalLog, EvalSample, read_eval_log, write_eval_log

from af_tasks.documents.export import export_documents
from af_tasks.documents.filter import document_filter
from af_tasks.documents.recovery import derive_lineage, exchanges_from_events

pytestmark = pytest.mark.slow  # runs whole evals (see make test-all)


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("docs_recovery")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INSPECT_CACHE_DIR", str(folder / "cache"))
        logs = eval(
            "af_tasks/synthetic_documents",
            model="organism/faker",
            limit=8,
            log_dir=str(folder / "logs"),
            display="none",
        )
    assert logs[0].status == "success"
    return Path(logs[0].location)


def _rewritten(source: Path, folder: Path, change: Callable[[EvalSample], None]) -> Path:
    log = read_eval_log(str(source))
    for sample in log.samples or []:
        change(sample)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    write_eval_log(log, str(target))
    return target


def _empty_store(sample: EvalSample) -> None:
    sample.store = {}


def _as_recovered(sample: EvalSample) -> None:
    """What recovery rebuilds: no store, and messages of the last model call only."""
    sample.store = {}
    sample.messages = sample.messages[-2:]


def _exported(log: Path, out: Path) -> tuple[dict[str, Any], list[str], list[dict[str, Any]]]:
    result = export_documents([log], out)
    texts = [json.loads(line)["text"] for line in result.paths["text"].read_text().splitlines()]
    lineage = [json.loads(line) for line in result.paths["lineage"].read_text().splitlines()]
    return result.manifest, texts, lineage


@pytest.mark.parametrize("change", [_empty_store, _as_recovered], ids=["emptied", "recovered"])
def test_af_docs_exports_every_document_of_samples_without_a_store(
    finished: Path, tmp_path: Path, change: Callable[[EvalSample], None]
) -> None:
    manifest, texts, lineage = _exported(finished, tmp_path / "original")
    emptied = _rewritten(finished, tmp_path / "logs", change)
    again, texts_again, lineage_again = _exported(emptied, tmp_path / "again")
    assert texts and texts_again == texts
    assert lineage_again == lineage
    counts = dict(again["counts"])
    assert counts.pop("samples_with_lineage_derived_from_messages") == 8
    assert counts.pop("documents_not_recovered") == 0
    original = dict(manifest["counts"])
    assert original.pop("samples_with_lineage_derived_from_messages") == 0
    assert original.pop("documents_not_recovered") == 0
    assert counts == original
    assert again["per_fact_and_type"] == manifest["per_fact_and_type"]


def test_af_docs_names_each_document_it_cannot_recover(finished: Path, tmp_path: Path) -> None:
    def lost(sample: EvalSample) -> None:
        sample.store, sample.messages, sample.events = {}, [], []

    log = read_eval_log(str(finished))
    judged = [
        (str(s.id), int(v["index"]))
        for s in log.samples or []
        for v in s.scores["document_filter"].metadata["verdicts"]  # type: ignore[index]
        if v["label"] != "unusable"
    ]
    manifest, _, _ = _exported(_rewritten(finished, tmp_path / "logs", lost), tmp_path / "out")
    assert manifest["counts"]["documents_not_recovered"] == len(judged) > 0
    assert manifest["counts"]["exported"] == 0
    named = [n for n in manifest["notes"] if n.startswith("Not recovered")]
    assert len(named) == len(judged)
    sample_id, index = judged[0]
    assert any(f"sample {sample_id} epoch 1 document {index}" in n for n in named)


def test_derived_lineage_equals_the_stored_one(finished: Path) -> None:
    log = read_eval_log(str(finished))
    for sample in log.samples or []:
        stored = {
            k.removeprefix("DocumentLineage:"): v
            for k, v in sample.store.items()
            if k.startswith("DocumentLineage:") and k != "DocumentLineage:instance"
        }
        derived = derive_lineage(exchanges_from_events(sample.events), sample.metadata)
        assert derived.model_dump() == stored, sample.id


def test_refiltering_samples_without_a_store_gives_the_same_verdicts(finished: Path) -> None:
    log: EvalLog = read_eval_log(str(finished))
    recovered = log.model_copy(deep=True)
    for sample in recovered.samples or []:
        _as_recovered(sample)
    rescored = score(recovered, [document_filter()], action="overwrite", display="none")
    for before, after in zip(log.samples or [], rescored.samples or [], strict=True):
        old, new = before.scores["document_filter"], after.scores["document_filter"]  # type: ignore[index]
        assert (new.value, new.metadata["verdicts"]) == (old.value, old.metadata["verdicts"])  # type: ignore[index]


def test_af_docs_names_corrupt_logs_and_exports_the_rest(finished: Path, tmp_path: Path) -> None:
    from .test_corrupt_logs import corrupt_copies

    folder = tmp_path / "logs"
    folder.mkdir()
    good = folder / finished.name
    good.write_bytes(finished.read_bytes())
    names = corrupt_copies(folder, good)
    manifest, texts, _ = _exported(folder, tmp_path / "out")
    original, texts_original, _ = _exported(finished, tmp_path / "original")
    assert texts == texts_original and manifest["counts"] == original["counts"]
    for name in names:
        assert any(
            n.startswith(f"Skipped {name}: not a readable Inspect log") for n in manifest["notes"]
        )
