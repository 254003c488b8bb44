"""Which compliance scorer a set of samples is labelled by, when several are present.

One rule for ``af-report --compliance auto`` and for the viewer's stacked-category metrics,
so the two never rest on different compliance labels: the scorer that labels the most
samples, ties broken by the classifiers' order of preference (the registered compliance
classifiers, :func:`af_tasks.classifier_spec.classifier_names`); never one whose labels are
all missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def pick_compliance(labelled: Mapping[str, int], preference: Sequence[str]) -> str | None:
    """The scorer labelling the most samples (``labelled``: scorer name -> labelled count);
    ties go to the earlier in ``preference``; None when none labels any."""
    usable = {name: n for name, n in labelled.items() if n > 0}
    if not usable:
        return None
    order = list(preference)

    def rank(name: str) -> tuple[int, int]:
        return (usable[name], -(order.index(name) if name in order else len(order)))

    return max(usable, key=rank)
