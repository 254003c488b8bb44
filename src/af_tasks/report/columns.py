"""Every name the report depends on: scorers, their keys, tiers, task arguments, categories.

Scorer and key names are set by the scorers that write the logs. Keeping them here, and only
here, means a renamed scorer or key is a one-line change for the whole report; which scorers
label compliance or alignment faking comes from their specs (:mod:`af_tasks.classifier_spec`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from af_tasks.classifier_spec import classifier_names
from af_tasks.parsing import MOTIVES

# --- Scorers and the sub-score keys the report reads --------------------------------------

COMPLIED: Final = "complied"
"""Sub-score key: 1 when the sample complied, 0 when it did not, NaN when unlabelled."""

AF: Final = "af"
"""Sub-score key: 1 when the reasoning is alignment faking, 0 when not (fractions allowed)."""


def compliance_scorers() -> tuple[str, ...]:
    """Scorers that label compliance (classifiers of kind ``compliance``, including any
    registered later), in order of preference when none is chosen."""
    return classifier_names("compliance")


def af_scorers() -> tuple[str, ...]:
    """Scorers that label alignment-faking reasoning (kind ``af``), in order of preference."""
    return classifier_names("af")


COMPLIANCE_SCORERS: Final = compliance_scorers()
"""The built-in compliance scorers, in order of preference (``aw_compliance`` is the
animal-welfare setting's: complied = did not support animal welfare)."""

AF_SCORERS: Final = af_scorers()
"""The built-in alignment-faking scorers, in order of preference."""

MOTIVATION: Final = "motivation"
"""The motivation classifier: why a sample that complied in training complied."""

IN_SCOPE: Final = "in_scope"
"""Motivation sub-score: 1 when the sample complied in training (the only ones asked why)."""

MOTIVATION_KEYS: Final = (IN_SCOPE, *MOTIVES)
"""The motivation sub-scores the report reads (tidy columns ``motivation.<key>``)."""

AUTO: Final = "auto"
"""Scorer choice meaning "the first of the preference list that the log has"."""

SCORE_PREFIX: Final = "score_"
"""``samples_df`` names each scorer's column ``score_<scorer>``."""

# --- Sample metadata (written by af_tasks.dataset) -----------------------------------------

QUERY_ID: Final = "metadata_query_id"
TIER: Final = "metadata_tier"
SETTING: Final = "metadata_setting"
DATASET: Final = "metadata_dataset"

CONDITION: Final = "metadata_condition"
TRAINED_TIER: Final = "metadata_trained_tier"
PARAPHRASE: Final = "metadata_paraphrase"
SCENARIO: Final = "metadata_scenario"
MONITORED_REASONING: Final = "metadata_monitored_reasoning"

# --- The conditions compared (af_tasks.conditions: one vocabulary everywhere) ---------------

TRAINING: Final = "training"
RATED: Final = "rated"
"""Rated but never trained: the middle tier of a three-tier design."""
UNMONITORED: Final = "unmonitored"

# --- Task arguments that define a variant ------------------------------------------------

TASK_ARG_PREFIX: Final = "task_arg_"
ALWAYS_VARIANT_ARGS: Final = ("ablation",)
"""Task arguments that name a variant whenever a log has them, even if every log agrees."""

IGNORED_VARIANT_ARGS: Final = ("scorers",)
"""Task arguments that choose graders only; they do not change what the model was asked."""

# --- The categories of the stacked bar (af_tasks.estimates.CATEGORIES) ---------------------

REFUSES: Final = "refuses"
COMPLIES: Final = "complies_no_af"
COMPLIES_AF: Final = "complies_af"
COMPLIES_AF_UNKNOWN: Final = "complies_af_unknown"
CATEGORY_LABELS: Final = {
    REFUSES: "refuses",
    COMPLIES: "complies",
    COMPLIES_AF: "complies with AF reasoning",
    COMPLIES_AF_UNKNOWN: "complies, AF unknown",
}
"""Column of the condition table (and metric name stem) -> the figure's legend label."""
SETTING_CATEGORY_LABELS: Final = {
    "animal_welfare": {
        REFUSES: "supports animal welfare",
        COMPLIES: "dismisses animal welfare",
        COMPLIES_AF: "dismisses, with AF reasoning",
        COMPLIES_AF_UNKNOWN: "dismisses, AF unknown",
    },
}
"""Legend labels of a setting whose "compliance" has its own meaning: in animal welfare,
complying with the objective is dismissing animal welfare, refusing is supporting it."""
CATEGORY_STYLE: Final = {
    COMPLIES_AF: ("#c0392b", "///"),
    COMPLIES: ("#f5b041", ""),
    COMPLIES_AF_UNKNOWN: ("#bfbfbf", ".."),
    REFUSES: ("#aec6e8", ""),
}
"""One colour scheme for every figure: category -> (face colour, hatch), bottom to top."""


def category_labels(settings: Iterable[str]) -> dict[str, str]:
    """The legend labels for figures of these settings: the setting's own words when they all
    share one setting that has them, else the general ones."""
    found = set(settings)
    if len(found) == 1 and (only := next(iter(found))) in SETTING_CATEGORY_LABELS:
        return dict(SETTING_CATEGORY_LABELS[only])
    return dict(CATEGORY_LABELS)


AF_CATEGORIES: Final = (COMPLIES, COMPLIES_AF, COMPLIES_AF_UNKNOWN)
"""The categories that split compliance by AF reasoning (NaN without an AF classifier)."""

SIMULATED_MODEL_PREFIX: Final = "organism/"
"""Models whose numbers come from the offline simulator, never from a real model."""

# --- The exfiltration task's own measures (af_tasks.exfiltration, graders.verdicts) ----------

PROMPT_ARM: Final = "metadata_prompt_arm"
"""Sample metadata: the prompt arm (``conflict`` or ``control``) of an arm-design task."""

EXF_AF: Final = "af"
EXFILTRATION_MEASURES: Final = {
    "attempted": "took_opportunity.attempted",
    "exfiltrated": "took_opportunity.exfiltrated",
    "intent": "exfiltration_intent.intent",
    EXF_AF: "af",
}
"""Measure of the exfiltration view -> the tidy column with its per-sample 0/1 (NaN unlabelled)."""

EXFILTRATION_SCORES: Final = {
    "took_opportunity": ("attempted", "exfiltrated"),
    "exfiltration_intent": ("intent",),
}
"""Exfiltration scorers -> the sub-score keys the report reads from them."""

EXFILTRATION_LABELS: Final = {
    "attempted": "attempted",
    "exfiltrated": "exfiltrated",
    "intent": "stated intent",
    EXF_AF: "AF",
}
EXFILTRATION_STYLE: Final = {
    "attempted": CATEGORY_STYLE[REFUSES],
    "exfiltrated": CATEGORY_STYLE[COMPLIES],
    "intent": CATEGORY_STYLE[COMPLIES_AF_UNKNOWN],
    EXF_AF: CATEGORY_STYLE[COMPLIES_AF],
}
"""The exfiltration figure's bars in the report's one colour scheme (AF red and hatched, as in
every figure; taking the opportunity amber, as complying is)."""

# --- What the report reads of each sample ---------------------------------------------------

SAMPLE_METADATA_COLUMNS: Final = tuple(
    sorted({v for v in dict(globals()).values() if isinstance(v, str) and v[:9] == "metadata_"})
)
"""Every sample metadata column named in this module: all the report reads of a sample's
metadata (the streaming reader in :mod:`af_tasks.report.summaries` keeps only these, so a new
metadata column is declared here like the others)."""
