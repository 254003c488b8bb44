"""The classifiers beyond tag-form compliance: model-graded ones and a heuristic baseline.

- ``compliance_rubric`` (:mod:`.compliance`): StrongREJECT-style compliance from content.
- ``partial_compliance`` (:mod:`.compliance`): accepted, then sandbagged / hedged / caveated /
  schemed.
- ``af_paper``, ``af_votes`` (:mod:`.af`): alignment-faking reasoning, paper and voting forms.
- ``af_heuristic`` (:mod:`.heuristic`): keyword baseline, no model call.
- ``aw_compliance``, ``exfiltration_intent`` (:mod:`.verdicts`): the animal-welfare and
  exfiltration settings' yes/no graders.
- ``motivation`` (:mod:`.motivation`): why a sample that complied in training complied.

Which classifiers exist, and which setting accepts which, is declared once in
:mod:`af_tasks.classifier_spec` and :mod:`af_tasks.setting`; the tables here are views of it.
:func:`resolve_scorers` turns the ``scorers`` task parameter into scorers, checking names
before any model is called.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from inspect_ai.scorer import Scorer

from af_tasks.classifier_spec import classifier_names, classifier_specs, get_classifier
from af_tasks.graders.af import af_paper, af_votes
from af_tasks.graders.common import AF_SCOPES, AfScope, check_scope
from af_tasks.graders.compliance import compliance_rubric, partial_compliance
from af_tasks.graders.heuristic import af_heuristic
from af_tasks.graders.motivation import motivation
from af_tasks.graders.verdicts import aw_compliance, exfiltration_intent
from af_tasks.scorers import compliance
from af_tasks.setting import get_setting


def setting_scorers(setting: str) -> tuple[str, ...]:
    """The classifiers a task in ``setting`` accepts: the setting's own, then every
    alignment-faking classifier (derived from the registered specs)."""
    own = get_setting(setting).scorers
    return (*own, *(name for name in classifier_names("af") if name not in own))


SCORERS: dict[str, Callable[[], Scorer]] = {
    spec.name: spec.scorer_function() for spec in classifier_specs()
}
"""Every built-in scorer a task can be asked for by name, with its default settings (a view
of :mod:`af_tasks.classifier_spec`; :func:`resolve_scorers` also sees classifiers registered
later)."""

AF_CLASSIFIERS = classifier_names("af")
DEFAULT_SCORERS: tuple[str, ...] = get_setting("helpful_only").default_scorers

# Which scorers make sense for which task, and what each runs by default (views of the
# settings in af_tasks.setting).
HELPFUL_ONLY_SCORERS = setting_scorers("helpful_only")
ANIMAL_WELFARE_SCORERS = setting_scorers("animal_welfare")
ANIMAL_WELFARE_DEFAULT: tuple[str, ...] = get_setting("animal_welfare").default_scorers
EXFILTRATION_SCORERS = setting_scorers("exfiltration")
EXFILTRATION_DEFAULT: tuple[str, ...] = get_setting("exfiltration").default_scorers


def scorer_names(scorers: str | Sequence[str], allowed: Sequence[str] | None = None) -> list[str]:
    """Validated scorer names from a comma-separated string or a list (order kept, no repeats).

    ``allowed`` narrows the choice to the scorers that make sense for a task.
    """
    known = classifier_names()
    valid = [name for name in (known if allowed is None else allowed) if name in known]
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


AF_SCOPED: dict[str, Callable[[AfScope], Scorer]] = {
    "af_votes": lambda scope: af_votes(scope=scope),
    "af_paper": lambda scope: af_paper(scope=scope),
    "af_heuristic": lambda scope: af_heuristic(scope=scope),
}
"""The AF classifiers built with an ``af_scope``."""


def resolve_scorers(
    scorers: str | Sequence[str], allowed: Sequence[str] | None = None, af_scope: Any = "all"
) -> list[Scorer]:
    """The scorers named by a ``scorers`` task parameter, built with their defaults; the
    built-in AF classifiers label the samples ``af_scope`` says (``all`` or ``complied``).

    ``af_scope=complied`` is refused without an AF classifier among the scorers (it would
    change nothing) and with an AF classifier registered from outside (it takes no scope).
    """
    scope = check_scope(af_scope)
    names = scorer_names(scorers, allowed)
    if scope != "all":
        af_names = [n for n in names if get_classifier(n).kind == "af"]
        if not af_names:
            raise ValueError(
                f"af_scope={scope} chooses which samples the alignment-faking classifiers "
                f"label, but scorers={','.join(names)} has none; add af_votes, af_paper or "
                f"af_heuristic to scorers, or drop af_scope."
            )
        unscoped = [n for n in af_names if n not in AF_SCOPED]
        if unscoped:
            raise ValueError(
                f"af_scope={scope} applies to af_votes, af_paper and af_heuristic; "
                f"{', '.join(unscoped)} takes no scope: drop af_scope or that classifier."
            )
    return [AF_SCOPED[n](scope) if n in AF_SCOPED else get_classifier(n).build() for n in names]


__all__ = [
    "AF_CLASSIFIERS",
    "AF_SCOPES",
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
    "setting_scorers",
]
