"""Which compliance scorer a set of samples is labelled by, when several are present.

One rule for ``af-report --compliance auto`` and for the viewer's stacked-category metrics,
so the two never rest on different compliance labels: the scorer that labels the most
samples, ties broken by :data:`COMPLIANCE_PREFERENCE`; never one whose labels are all missing.
"""

from __future__ import annotations

from collections.abc import Mapping

COMPLIANCE_PREFERENCE: tuple[str, ...] = ("compliance", "compliance_rubric", "aw_compliance")
"""Compliance scorers in order of preference among equals (``aw_compliance`` is the animal
welfare setting's: complied = did not support animal welfare)."""


def pick_compliance(labelled: Mapping[str, int]) -> str | None:
    """The scorer labelling the most samples (``labelled``: scorer name -> labelled count);
    ties go to the earlier in :data:`COMPLIANCE_PREFERENCE`; None when none labels any."""
    usable = {name: n for name, n in labelled.items() if n > 0}
    if not usable:
        return None

    def rank(name: str) -> tuple[int, int]:
        order = COMPLIANCE_PREFERENCE.index(name) if name in COMPLIANCE_PREFERENCE else 99
        return (usable[name], -order)

    return max(usable, key=rank)
