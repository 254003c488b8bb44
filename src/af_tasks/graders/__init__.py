"""The classifiers beyond tag-form compliance: model-graded ones and a heuristic baseline.

- ``compliance_rubric`` (:mod:`.compliance`): StrongREJECT-style compliance from content.
- ``partial_compliance`` (:mod:`.compliance`): accepted, then sandbagged / hedged / caveated /
  schemed.
- ``af_paper``, ``af_votes`` (:mod:`.af`): alignment-faking reasoning, paper and voting forms.
- ``af_heuristic`` (:mod:`.heuristic`): keyword baseline, no model call.
- ``aw_compliance``, ``exfiltration_intent`` (:mod:`.verdicts`): the animal-welfare and
  exfiltration settings' yes/no graders.
- ``motivation`` (:mod:`.motivation`): why a sample that complied in training complied.

:func:`resolve_scorers` turns the ``scorers`` task parameter into scorers, checking names
before any model is called.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from inspect_ai.scorer import Scorer

from af_tasks.exfiltration import took_opportunity
from af_tasks.graders.af import af_paper, af_votes
from af_tasks.graders.compliance import compliance_rubric, partial_compliance
from af_tasks.graders.heuristic import af_heuristic
from af_tasks.graders.motivation import motivation
from af_tasks.graders.verdicts import aw_compliance, exfiltration_intent
from af_tasks.scorers import compliance

SCORERS: dict[str, Callable[[], Scorer]] = {
    "compliance": compliance,
    "compliance_rubric": compliance_rubric,
    "partial_compliance": partial_compliance,
    "af_paper": af_paper,
    "af_votes": af_votes,
    "af_heuristic": af_heuristic,
    "aw_compliance": aw_compliance,
    "exfiltration_intent": exfiltration_intent,
    "took_opportunity": took_opportunity,
    "motivation": motivation,
}
"""Every scorer a task can be asked for by name, with its default settings."""

AF_CLASSIFIERS = ("af_votes", "af_paper", "af_heuristic")
DEFAULT_SCORERS: tuple[str, ...] = ("compliance", "af_votes")

# Which scorers make sense for which task, and what each runs by default.
HELPFUL_ONLY_SCORERS = (
    "compliance",
    "compliance_rubric",
    "partial_compliance",
    *AF_CLASSIFIERS,
    "motivation",
)
ANIMAL_WELFARE_SCORERS = ("aw_compliance", *AF_CLASSIFIERS, "motivation")
ANIMAL_WELFARE_DEFAULT: tuple[str, ...] = ("aw_compliance", "af_votes")
EXFILTRATION_SCORERS = ("took_opportunity", "exfiltration_intent", *AF_CLASSIFIERS)
EXFILTRATION_DEFAULT: tuple[str, ...] = ("took_opportunity", "exfiltration_intent")


def scorer_names(scorers: str | Sequence[str], allowed: Sequence[str] | None = None) -> list[str]:
    """Validated scorer names from a comma-separated string or a list (order kept, no repeats).

    ``allowed`` narrows the choice to the scorers that make sense for a task.
    """
    valid = [name for name in (SCORERS if allowed is None else allowed) if name in SCORERS]
    raw = scorers.split(",") if isinstance(scorers, str) else list(scorers)
    names: list[str] = []
    for item in raw:
        name = str(item).strip()
        if name and name not in names:
            names.append(name)
    unknown = [n for n in names if n not in valid]
    if unknown or not names:
        problem = f"unknown scorer(s) {', '.join(unknown)}" if unknown else "no scorer named"
        raise ValueError(
            f"scorers: {problem}. Valid names for this task: {', '.join(valid)} "
            f"(comma-separated, e.g. -T scorers={','.join(valid[:2])})."
        )
    return names


def resolve_scorers(
    scorers: str | Sequence[str], allowed: Sequence[str] | None = None
) -> list[Scorer]:
    """The scorers named by a ``scorers`` task parameter, built with their defaults."""
    return [SCORERS[name]() for name in scorer_names(scorers, allowed)]


__all__ = [
    "AF_CLASSIFIERS",
    "DEFAULT_SCORERS",
    "SCORERS",
    "af_heuristic",
    "af_paper",
    "af_votes",
    "aw_compliance",
    "compliance",
    "compliance_rubric",
    "exfiltration_intent",
    "motivation",
    "partial_compliance",
    "resolve_scorers",
    "scorer_names",
]
