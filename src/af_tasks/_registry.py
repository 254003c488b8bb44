"""Inspect entry point: registers the tasks, the scorers and the offline ``organism`` and
``replay`` providers.

Importing the scorers here registers them under ``af_tasks/``, so an existing log can be
re-graded with ``inspect score --scorer af_tasks/af_votes``.
"""

from inspect_ai.model import ModelAPI, modelapi

from af_tasks.documents.filter import document_filter
from af_tasks.documents.task import synthetic_documents
from af_tasks.exfiltration import took_opportunity
from af_tasks.extensions import load_extensions
from af_tasks.graders import (
    af_heuristic,
    af_paper,
    af_votes,
    aw_compliance,
    compliance,
    compliance_rubric,
    exfiltration_intent,
    partial_compliance,
)
from af_tasks.tasks import animal_welfare, classifier_validation, exfiltration, free_vs_paid

load_extensions()  # settings and classifiers other packages declare (docs/extending.md)


@modelapi(name="organism")
def organism() -> type[ModelAPI]:
    """The offline simulated subject (``--model organism/faker``); imported only when used."""
    from af_tasks.organism.provider import OrganismAPI

    return OrganismAPI


@modelapi(name="replay")
def replay() -> type[ModelAPI]:
    """Recorded replies as a model (``--model replay/<file.jsonl>``); imported only when used."""
    from af_tasks.replay.provider import ReplayAPI

    return ReplayAPI


__all__ = [
    "af_heuristic",
    "af_paper",
    "af_votes",
    "animal_welfare",
    "aw_compliance",
    "classifier_validation",
    "compliance",
    "compliance_rubric",
    "document_filter",
    "exfiltration",
    "exfiltration_intent",
    "free_vs_paid",
    "organism",
    "partial_compliance",
    "replay",
    "synthetic_documents",
    "took_opportunity",
]
