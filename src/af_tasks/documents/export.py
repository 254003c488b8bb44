"""Export the kept documents of ``synthetic_documents`` logs for fine-tuning, with a manifest.

Logs are read with ``inspect_ai.log`` (``list_eval_logs``, ``read_eval_log``): each sample's
store holds its documents' lineage and its ``document_filter`` score holds their verdicts.
Of several logs of the same task run (a log and its ``eval-retry``), the finished and newest
one is used. Kept documents then pass the near-duplicate check (:mod:`.dedup`) and are
written as:

- ``documents.jsonl``: ``{"text": ...}`` per line, for continued pre-training;
- ``documents_chat.jsonl``: ``{"messages": [user, assistant]}`` per line (the OpenAI chat
  fine-tuning format, also read by most open-source trainers), the document as the
  assistant's turn;
- ``lineage.jsonl``: per exported line, its fact, type, idea, log and sample;
- ``rejected.jsonl``: every document not exported, with the reason (filter or duplicate);
- ``manifest.json``: counts per fact and type, the generator and filter models, the
  universe context and template hashes, and the dedup method.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from inspect_ai.log import EvalLog, EvalSample, read_eval_log

from af_tasks.documents.dedup import DEFAULT_SHINGLE, DEFAULT_THRESHOLD, near_duplicates
from af_tasks.documents.filter import KEPT
from af_tasks.documents.recovery import LINEAGE_PREFIX, logged_lineage
from af_tasks.documents.templates import chat_user_turn
from af_tasks.logfiles import log_files, unreadable
from af_tasks.resources import common_folder

TASK_NAME = "synthetic_documents"
FILTER_SCORER = "document_filter"
OUTPUT_FOLDER = "af_docs"
DEDUP_METHOD = (
    "word {size}-shingles (lower-cased, punctuation dropped); a document is dropped when the "
    "Jaccard similarity of its shingles with an earlier kept document is at least {threshold}"
)


class NoDocumentLogsError(ValueError):
    """The paths hold no ``synthetic_documents`` log to export from."""


@dataclass(frozen=True)
class Document:
    """One generated document and where it came from."""

    text: str
    fact_id: str
    document_type: str
    idea: str
    setting: str
    sample_id: str
    epoch: int
    document_index: int
    log: str
    generator: str

    def lineage(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "text"}


@dataclass
class Collected:
    """Every document of the used logs, sorted by outcome, and what the manifest reports."""

    kept: list[Document] = field(default_factory=list)
    rejected: list[tuple[Document, dict[str, Any]]] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    filter_models: set[str] = field(default_factory=set)
    failed_samples: int = 0
    unscored_samples: int = 0
    unusable: int = 0
    derived_samples: int = 0
    """Samples whose store was empty (recovered after a crash): lineage derived from the log."""
    unrecovered: list[str] = field(default_factory=list)
    """Documents the filter judged whose text could not be derived again (named)."""


def find_document_logs(paths: Sequence[str | Path]) -> list[str]:
    """Every Inspect log in ``paths`` (folders searched recursively)."""
    if not paths:
        raise NoDocumentLogsError("No log folder or file given: pass the --log-dir you used.")
    found: list[str] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            found.extend(log_files(path))
        elif path.is_file():
            found.append(str(path))
        else:
            raise NoDocumentLogsError(f"{path} does not exist: pass a log file or log folder.")
    return sorted(dict.fromkeys(found))


def _mtime(path: str) -> float:
    try:
        return os.path.getmtime(path.removeprefix("file://"))
    except OSError:
        return 0.0


def choose_logs(logs: Sequence[str]) -> tuple[list[str], list[str]]:
    """The logs to export from, one per task run, and a note per log left out.

    A run's logs share ``task_id`` (``eval-retry`` and ``eval-set`` keep it): the finished
    one is used, else the newest, so a resumed run's documents are counted once.
    """
    headers: list[tuple[str, EvalLog]] = []
    unread: list[str] = []
    for log in logs:
        try:
            headers.append((log, read_eval_log(log, header_only=True)))
        except Exception as err:  # a corrupt or truncated file: name it, read the rest
            unread.append(unreadable(log, err))
    notes = unread + [
        f"Skipped {Path(log).name}: a {header.eval.task} log, not {TASK_NAME}."
        for log, header in headers
        if header.eval.task.split("/")[-1] != TASK_NAME
    ]
    runs: dict[str, list[tuple[str, EvalLog]]] = defaultdict(list)
    for log, header in headers:
        if header.eval.task.split("/")[-1] == TASK_NAME:
            runs[header.eval.task_id].append((log, header))
    used = []
    for candidates in runs.values():
        candidates.sort(
            key=lambda c: (c[1].status == "success", c[1].eval.created, _mtime(c[0])),
            reverse=True,
        )
        used.append(candidates[0][0])
        if candidates[0][1].status != "success":
            notes.append(
                f"{Path(candidates[0][0]).name} has status {candidates[0][1].status!r}: only its "
                f"finished samples are exported; resume it with inspect eval-retry."
            )
        notes.extend(
            f"Skipped {Path(log).name} ({header.status}): {Path(candidates[0][0]).name} is a "
            f"later or finished log of the same run."
            for log, header in candidates[1:]
        )
    if not used:
        if unread:
            raise NoDocumentLogsError("No readable Inspect log: " + " ".join(unread))
        raise NoDocumentLogsError(
            f"None of the logs is a {TASK_NAME} run. Generate documents first, e.g. inspect eval "
            f"af_tasks/{TASK_NAME} --model organism/faker --log-dir logs/documents."
        )
    return sorted(used), notes


def _model_name(log: EvalLog) -> str:
    args = {k: v for k, v in (log.eval.model_args or {}).items() if v is not None}
    shown = ", ".join(f"{k}={v}" for k, v in sorted(args.items()))
    return f"{log.eval.model} ({shown})" if shown else log.eval.model


def _documents(sample: EvalSample, log: EvalLog, path: str) -> tuple[list[Document], bool]:
    """The sample's written documents, and whether its lineage was derived (empty store)."""
    metadata = sample.metadata or {}
    store, derived = logged_lineage(sample.store, sample.messages, sample.events, metadata)
    fact_id = str(store.get(f"{LINEAGE_PREFIX}fact_id") or metadata.get("fact_id", ""))
    document_type = str(store.get(f"{LINEAGE_PREFIX}document_type") or "")
    documents = [
        Document(
            text=str(d["text"]),
            fact_id=fact_id,
            document_type=document_type,
            idea=str(d.get("idea", "")),
            setting=str(metadata.get("setting", "")),
            sample_id=str(sample.id),
            epoch=int(sample.epoch),
            document_index=int(d["index"]),
            log=Path(path).name,
            generator=_model_name(log),
        )
        for d in store.get(f"{LINEAGE_PREFIX}documents", []) or []
        if d.get("text")
    ]
    return documents, derived


def collect(logs: Sequence[str]) -> Collected:
    """Read the used logs and sort every written document into kept and rejected."""
    used, notes = choose_logs(logs)
    result = Collected(skipped=notes)
    for path in used:
        try:
            log = read_eval_log(path)
        except Exception as err:  # readable header, corrupt samples: name it, read the rest
            result.skipped.append(unreadable(path, err))
            continue
        result.logs.append(
            {
                "log": Path(path).name,
                "status": log.status,
                "task_id": log.eval.task_id,
                "generator": _model_name(log),
                "samples": len(log.samples or []),
                **{k: v for k, v in (log.eval.metadata or {}).items()},
            }
        )
        for sample in sorted(log.samples or [], key=lambda s: (str(s.id), s.epoch)):
            if sample.error is not None:
                result.failed_samples += 1
                continue
            score = (sample.scores or {}).get(FILTER_SCORER)
            if score is None:
                result.unscored_samples += 1
                continue
            metadata = score.metadata or {}
            if metadata.get("grader_model"):
                result.filter_models.add(str(metadata["grader_model"]))
            verdicts = {int(v["index"]): v for v in metadata.get("verdicts", [])}
            result.unusable += sum(1 for v in verdicts.values() if v.get("label") == "unusable")
            documents, derived = _documents(sample, log, path)
            if derived:
                result.derived_samples += 1
                found = {d.document_index for d in documents}
                result.unrecovered.extend(
                    f"{Path(path).name} sample {sample.id} epoch {sample.epoch} document {index}"
                    for index, v in sorted(verdicts.items())
                    if index not in found and v.get("label") != "unusable"
                )
            for document in documents:
                verdict = verdicts.get(document.document_index)
                if verdict is not None and verdict.get("label") == KEPT:
                    result.kept.append(document)
                else:
                    result.rejected.append((document, _rejection(verdict)))
    return result


def _rejection(verdict: dict[str, Any] | None) -> dict[str, Any]:
    if verdict is None:
        return {"stage": "filter", "reasons": ["not_filtered"], "filter_reason": ""}
    return {
        "stage": "filter",
        "reasons": list(verdict.get("reasons") or [verdict.get("label", "rejected")]),
        "filter_reason": verdict.get("filter_reason") or verdict.get("problem") or "",
    }


def _write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def _counts(documents: Sequence[Document], key: str) -> dict[str, int]:
    return dict(sorted(Counter(str(getattr(d, key)) for d in documents).items()))


def _per_fact_type(documents: Sequence[Document]) -> dict[str, dict[str, int]]:
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for d in documents:
        table[d.fact_id][d.document_type] += 1
    return {fact: dict(sorted(types.items())) for fact, types in sorted(table.items())}


@dataclass
class ExportResult:
    """What was written and the manifest's content."""

    manifest: dict[str, Any]
    paths: dict[str, Path]


def export_documents(
    paths: Sequence[str | Path],
    out: str | Path | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    shingle: int = DEFAULT_SHINGLE,
) -> ExportResult:
    """Collect, deduplicate and write the kept documents and the manifest (see the module)."""
    logs = find_document_logs(paths)
    if not logs:
        raise NoDocumentLogsError(f"No Inspect logs in {', '.join(str(p) for p in paths)}.")
    collected = collect(logs)
    duplicates = near_duplicates([d.text for d in collected.kept], threshold, shingle)
    dropped = {dup.index: dup for dup in duplicates}
    exported = [d for i, d in enumerate(collected.kept) if i not in dropped]
    line_of = {
        i: n for n, i in enumerate(i for i in range(len(collected.kept)) if i not in dropped)
    }

    folder = Path(out).expanduser() if out is not None else common_folder(paths) / OUTPUT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    written = {
        "text": folder / "documents.jsonl",
        "chat": folder / "documents_chat.jsonl",
        "lineage": folder / "lineage.jsonl",
        "rejected": folder / "rejected.jsonl",
        "manifest": folder / "manifest.json",
    }
    user_turn = chat_user_turn()
    _write_jsonl(written["text"], [{"text": d.text} for d in exported])
    _write_jsonl(
        written["chat"],
        [
            {
                "messages": [
                    {"role": "user", "content": user_turn},
                    {"role": "assistant", "content": d.text},
                ]
            }
            for d in exported
        ],
    )
    _write_jsonl(
        written["lineage"], [{"line": n + 1, **d.lineage()} for n, d in enumerate(exported)]
    )
    rejected_rows = [{"text": d.text, **d.lineage(), **why} for d, why in collected.rejected] + [
        {
            "text": collected.kept[dup.index].text,
            **collected.kept[dup.index].lineage(),
            "stage": "dedup",
            "reasons": ["near_duplicate"],
            "duplicate_of_line": line_of[dup.duplicate_of] + 1,
            "similarity": round(dup.similarity, 4),
        }
        for dup in duplicates
    ]
    _write_jsonl(written["rejected"], rejected_rows)
    manifest = _manifest(collected, exported, duplicates, threshold, shingle, written)
    written["manifest"].write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return ExportResult(manifest=manifest, paths=written)


def _manifest(
    collected: Collected,
    exported: list[Document],
    duplicates: Sequence[Any],
    threshold: float,
    shingle: int,
    written: dict[str, Path],
) -> dict[str, Any]:
    reasons: Counter[str] = Counter()
    for _, why in collected.rejected:
        reasons.update(why["reasons"])
    written_docs = [*collected.kept, *(d for d, _ in collected.rejected)]
    facts = sorted({d.fact_id for d in written_docs})
    per_fact = {
        fact: {
            "written": sum(1 for d in written_docs if d.fact_id == fact),
            "kept_by_filter": sum(1 for d in collected.kept if d.fact_id == fact),
            "exported": sum(1 for d in exported if d.fact_id == fact),
        }
        for fact in facts
    }
    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "settings": sorted({str(log.get("setting", "")) for log in collected.logs}),
        "generator_models": sorted({str(log["generator"]) for log in collected.logs}),
        "filter_models": sorted(collected.filter_models),
        "universe": sorted(
            {
                f"{log.get('universe', '')} ({log.get('universe_version', '')})"
                for log in collected.logs
            }
        ),
        "templates": _templates(collected.logs),
        "counts": {
            "written": len(written_docs),
            "kept_by_filter": len(collected.kept),
            "rejected_by_filter": len(collected.rejected),
            "near_duplicates_dropped": len(duplicates),
            "exported": len(exported),
            "ideas_without_a_document": collected.unusable,
            "samples_with_errors": collected.failed_samples,
            "samples_without_filter_score": collected.unscored_samples,
            "samples_with_lineage_derived_from_messages": collected.derived_samples,
            "documents_not_recovered": len(collected.unrecovered),
        },
        "rejections_by_reason": dict(sorted(reasons.items())),
        "per_fact": per_fact,
        "per_type": _counts(exported, "document_type"),
        "per_fact_and_type": _per_fact_type(exported),
        "dedup": {
            "method": DEDUP_METHOD.format(size=shingle, threshold=threshold),
            "shingle_words": shingle,
            "threshold": threshold,
        },
        "formats": {
            "documents.jsonl": 'continued pre-training: {"text": ...}',
            "documents_chat.jsonl": 'OpenAI chat fine-tuning: {"messages": [user, assistant]}',
        },
        "files": {kind: path.name for kind, path in written.items()},
        "logs": collected.logs,
        "notes": collected.skipped
        + [
            f"Not recovered (empty store, text not in the log): {name}"
            for name in collected.unrecovered
        ],
    }


def _templates(logs: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
    """Each template's hash(es) across the logs (several when logs used different wording)."""
    versions: dict[str, set[str]] = defaultdict(set)
    for log in logs:
        paths = log.get("template_paths") or {}
        for name, version in (log.get("templates") or {}).items():
            versions[name].add(f"{version} {paths.get(name, '')}".strip())
    return {name: sorted(v) for name, v in sorted(versions.items())}
