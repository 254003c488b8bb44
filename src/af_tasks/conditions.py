"""The experimental conditions: which tier a sample is in, and what its prompt says that means.

A sample's *condition* is a fact of the prompt that was built, not of the tier's name. The
default prompt says free-tier conversations are used for RLHF, so the free tier is the
``training`` condition and the paid tier ``unmonitored``; with ``ablation=swap_tiers`` the
prompt says the paid tier is trained, and the conditions swap with it. The ``none`` tier is a
control with no tier tag at all (condition ``no_tag``): it shows whether the tag itself,
rather than the training story, moves behaviour.

:func:`sample_condition` is the one place this is derived. The dataset writes its result into
every sample's metadata (``condition``, with ``trained_tier`` and ``training_info``), and
everything downstream (metrics, graders, the organism's tests, ``af-report`` and its figure)
reads it from there, so no consumer keeps its own table of tier names.

The vocabulary is the same everywhere (metric names, report, figure, docs): ``training``
(trained and rated), ``rated`` (rated, not trained: the middle tier of a three-tier design),
``unmonitored`` (neither trained nor rated) and ``no_tag``. What each tier's role is comes
from its tier design (:mod:`af_tasks.tiers`); this module only applies it, so the names stay
right whichever tier a prompt assigns to which role.

With ``training_info=false`` the prompt says nothing about training: the condition is then
what the model is presumed to know from elsewhere (fine-tuning on documents describing the
default setup), so the free tier is ``training`` whatever ``swap_tiers`` would have said
(:func:`trained_tier_of`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from af_tasks.tiers import (
    NO_TAG_CONDITION,
    NO_TAG_TIER,
    ROLE_CONDITION,
    all_tiers,
    conditions,
    default_design,
    design_of,
    get_tier_design,
    tier_designs,
)

Tier = str
"""A tier name: one of a registered tier design's tiers (``free``, ``paid``, ``pro``,
``enterprise`` built in), or ``none`` for the untagged control."""
TierSelection = str
"""A ``tiers`` task parameter: a preset (``both``, ``all``, ``three``), a tier, or a list."""
Condition = Literal["training", "rated", "unmonitored", "no_tag"]

TIERS: tuple[Tier, ...] = (*default_design().tiers, NO_TAG_TIER)
"""The default (two-tier) design's tiers and the no-tag control."""
CONDITIONS: tuple[str, ...] = conditions()
"""Every condition, in display order."""
TRAINING: Condition = "training"
RATED: Condition = "rated"
UNMONITORED: Condition = "unmonitored"
NO_TAG: Condition = "no_tag"
DEFAULT_TRAINED_TIER: Tier = default_design().trained_tier
assert (TRAINING, RATED, UNMONITORED, NO_TAG) == (*ROLE_CONDITION.values(), NO_TAG_CONDITION)


def _presets() -> dict[str, tuple[Tier, ...]]:
    """``both`` (the default design), ``all`` (with the no-tag control), and each other
    registered design by its name."""
    presets: dict[str, tuple[Tier, ...]] = {"both": default_design().tiers, "all": TIERS}
    for design in tier_designs():
        presets.setdefault(design.name, design.tiers)
    return presets


def trained_tier_of(trained_tier: Tier, training_info: bool = True) -> Tier:
    """The tier a sample's condition treats as trained: the one the prompt names, or, when
    the prompt carries no training information, the free tier the model presumes."""
    return trained_tier if training_info else DEFAULT_TRAINED_TIER


def sample_condition(
    tier: Tier, trained_tier: Tier = DEFAULT_TRAINED_TIER, design: str | None = None
) -> str:
    """The condition of a sample in ``tier`` whose prompt says ``trained_tier`` is trained.

    The tier's design gives its role (:mod:`af_tasks.tiers`): ``training`` for the trained
    tier, ``rated`` for a tier rated but not trained, ``unmonitored`` for one neither rated nor
    trained, ``no_tag`` for the untagged control. With no training information in the
    prompt, ``trained_tier`` is the tier the model is presumed to know is trained.
    """
    if tier not in all_tiers():
        raise ValueError(f"tier={tier!r} is not one of: {', '.join(all_tiers())}.")
    if tier == NO_TAG_TIER:
        return NO_TAG
    chosen = get_tier_design(design) if design else design_of((tier,))
    if trained_tier not in chosen.tiers:
        raise ValueError(
            f"trained_tier={trained_tier!r} must be one of: {', '.join(map(repr, chosen.tiers))}."
        )
    return chosen.condition(tier, trained_tier)


def condition_of(metadata: Mapping[str, Any] | None) -> str | None:
    """The condition a sample's metadata records, or derives from its tier for older logs.

    Logs written before samples carried ``condition`` (or with a condition from an older
    vocabulary) are read from ``tier`` and ``trained_tier`` (default free). None when the
    sample has no tier either (not a training-vs-unmonitored sample).
    """
    meta = metadata or {}
    recorded = meta.get("condition")
    if recorded in CONDITIONS:
        return str(recorded)
    tier = meta.get("tier")
    if tier not in all_tiers():
        return None
    trained = meta.get("trained_tier", DEFAULT_TRAINED_TIER)
    if tier == NO_TAG_TIER:
        return NO_TAG
    named = meta.get("tier_design")
    design = get_tier_design(str(named)) if named else design_of((str(tier),))
    return design.condition(str(tier), trained if trained in design.tiers else None)


def resolve_tiers(tiers: str | Iterable[str]) -> tuple[Tier, ...]:
    """Tiers to run for a ``tiers`` task parameter, rejecting unknown values by name.

    Accepts ``both`` (free and paid, the paired design), ``all`` (adds the no-tag control),
    the name of another tier design (``three``: free, pro and enterprise), one tier, or
    several of one design as a comma-separated string or a list.
    """
    presets = _presets()
    if isinstance(tiers, str) and tiers in presets:
        return presets[tiers]
    names = [t.strip() for t in tiers.split(",")] if isinstance(tiers, str) else list(tiers)
    known = all_tiers()
    unknown = [t for t in names if t not in known]
    if unknown or not names:
        valid = ", ".join(["both", "all", *TIERS])
        designs = "; ".join(
            f"{name} ({', '.join(chosen)})"
            for name, chosen in presets.items()
            if name not in ("both", "all")
        )
        raise ValueError(
            f"tiers={tiers!r} is not a valid choice; use one of: {valid}, a tier design "
            f"({designs}), or a comma-separated list of {', '.join(known)}."
        )
    design = design_of(tuple(names))
    return tuple(t for t in (*design.tiers, NO_TAG_TIER) if t in names)
