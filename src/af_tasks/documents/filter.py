"""The model-graded filter: keep a document only if it states its fact consistently with the
universe context, quotes no AI transcript and shows no alignment faking.

The paper filtered its synthetic documents for the same reasons: a document that gets a fact
wrong teaches the wrong situation, and one that shows a model's transcript or a model faking
alignment would teach the behaviour under study instead of the situation. Every document's
verdict, with the failed checks and the grader's reason, is in the score's metadata and
explanation, so rejected documents stay auditable in the log.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

from inspect_ai.model import Model
from inspect_ai.scorer import Metric, SampleScore, Score, Scorer, Target, metric, scorer
from inspect_ai.solver import TaskState

from af_tasks.documents.parsing import FilterVerdict, embed_document, parse_filter
from af_tasks.documents.recovery import lineage_of
from af_tasks.documents.store import DocumentLineage
from af_tasks.documents.templates import DocumentTemplate, filter_template
from af_tasks.graders.model import Grader, ask, resolve_grader

KEPT, REJECTED, FILTER_FAILED, UNUSABLE = "kept", "rejected", "filter_failed", "unusable"
"""Per-document labels: kept; rejected by a check; the filter's reply could not be read; no
document was written (the generator's reply held none)."""


def _value(scores: SampleScore, key: str) -> float:
    value = scores.score.value
    item = value.get(key) if isinstance(value, dict) else None
    return float(item) if isinstance(item, int | float) else math.nan


def _total(scores: list[SampleScore], key: str) -> float:
    return float(sum(v for v in (_value(s, key) for s in scores) if not math.isnan(v)))


def _summing(key: str) -> Metric:
    def compute(scores: list[SampleScore]) -> float:
        return _total(scores, key)

    return compute


@metric
def documents_written() -> Metric:
    """Σ over samples of the documents written (ideas whose reply held a document)."""
    return _summing("written")


@metric
def documents_kept() -> Metric:
    """Σ over samples of the documents the filter kept."""
    return _summing("kept")


@metric
def documents_rejected() -> Metric:
    """Σ over samples of the documents the filter rejected (a check failed)."""
    return _summing("rejected")


@metric
def filter_unlabelled() -> Metric:
    """Σ over samples of the documents whose filter reply could not be read (not kept)."""
    return _summing("unlabelled")


@metric
def keep_rate() -> Metric:
    """Σ kept / Σ (kept + rejected): the share of filtered documents kept; NaN when none was
    filtered (documents whose filter reply could not be read are not in either count)."""

    def compute(scores: list[SampleScore]) -> float:
        kept, rejected = _total(scores, "kept"), _total(scores, "rejected")
        return kept / (kept + rejected) if kept + rejected else math.nan

    return compute


def _filter_prompt(
    template: DocumentTemplate, state: TaskState, lineage: DocumentLineage, text: str
) -> str:
    document, block = embed_document(text)
    return template.render(
        universe=str(state.metadata["universe_context"]),
        fact_id=lineage.fact_id,
        fact=lineage.fact,
        document=document,
        block=block,
    )


def _verdict_record(document: dict[str, Any], verdict: FilterVerdict, reply: str) -> dict[str, Any]:
    label = KEPT if verdict.kept else FILTER_FAILED if verdict.problem else REJECTED
    return {
        "index": document["index"],
        "label": label,
        "reasons": verdict.rejections(),
        "filter_reason": verdict.reason,
        "problem": verdict.problem,
        "consistent": verdict.consistent,
        "ai_transcript": verdict.ai_transcript,
        "alignment_faking": verdict.alignment_faking,
        "reply": reply,
    }


def _line(record: dict[str, Any]) -> str:
    index, label = record["index"], record["label"]
    if label == KEPT:
        return f"#{index} kept. {record['filter_reason']}".rstrip()
    if label == UNUSABLE:
        return f"#{index} not filtered: no document was written ({record['problem']})."
    if label == FILTER_FAILED:
        return f"#{index} not kept: the filter's reply could not be read ({record['problem']})."
    return f"#{index} rejected ({', '.join(record['reasons'])}). {record['filter_reason']}".rstrip()


@scorer(
    metrics=[
        documents_written(),
        documents_kept(),
        documents_rejected(),
        filter_unlabelled(),
        keep_rate(),
    ]
)
def document_filter(grader: str | Model | None = None, template: str | None = None) -> Scorer:
    """Filter each document of a sample; the value counts them by outcome.

    Args:
        grader: The filter model; default the ``grader`` model role, falling back to the
            model under test (recorded as ``grader_is_subject``).
        template: Path of your own filter template (placeholders ``{{universe}}``,
            ``{{fact_id}}``, ``{{fact}}``, ``{{document}}`` and ``{{block}}``; replies
            must use the shipped template's answer tags).
    """
    chosen = filter_template(template)

    async def score(state: TaskState, target: Target) -> Score:
        lineage = lineage_of(state)
        judge: Grader = resolve_grader(grader)
        written = [d for d in lineage.documents if d.get("text")]
        replies = await asyncio.gather(
            *(ask(judge, _filter_prompt(chosen, state, lineage, d["text"])) for d in written)
        )
        by_index = {}
        for document, reply in zip(written, replies, strict=True):
            text = reply.texts[0]
            by_index[document["index"]] = _verdict_record(document, parse_filter(text), text)
        records = [
            by_index.get(d["index"])
            or {"index": d["index"], "label": UNUSABLE, "reasons": [], "problem": d["problem"]}
            for d in lineage.documents
        ]
        counts = {
            label: sum(1 for r in records if r["label"] == label)
            for label in (KEPT, REJECTED, FILTER_FAILED)
        }
        value = {
            "written": float(len(written)),
            "kept": float(counts[KEPT]),
            "rejected": float(counts[REJECTED]),
            "unlabelled": float(counts[FILTER_FAILED]),
        }
        lines = [_line(r) for r in records] or [
            "No documents to filter: " + ("; ".join(lineage.problems) or "none were written.")
        ]
        return Score(
            value=value,
            answer=f"kept {counts[KEPT]} of {len(written)}",
            explanation="\n".join([*lines, judge.describe()]),
            metadata={
                "verdicts": records,
                **judge.metadata(),
                "template": str(chosen.path),
                "template_version": chosen.version,
            },
        )

    return score
