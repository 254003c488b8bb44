"""af_tasks: Inspect evaluations for alignment faking in language models."""

from af_tasks.ablations import ablations
from af_tasks.classifier_spec import ClassifierSpec, register_classifier
from af_tasks.documents.task import synthetic_documents
from af_tasks.setting import Setting, register_setting
from af_tasks.tasks import (
    animal_welfare,
    classifier_validation,
    exfiltration,
    free_vs_paid,
    paired_task,
)
from af_tasks.tiers import TierDesign, register_tier_design

__all__ = [
    "ClassifierSpec",
    "Setting",
    "TierDesign",
    "ablations",
    "animal_welfare",
    "classifier_validation",
    "exfiltration",
    "free_vs_paid",
    "paired_task",
    "register_classifier",
    "register_setting",
    "register_tier_design",
    "synthetic_documents",
]
