"""Named dispositions of the simulated model, and their overrides from ``-M``.

Every preset is a simulation: its rates are chosen to make the pipeline's contrasts visible
(training vs unmonitored, one setting vs another, a conflict arm vs its control), and no
number an organism run reports is a finding about any model.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Literal, get_args

from af_tasks.organism.trajectory import FINAL_STEP, rl_rates

ReasoningSetting = Literal["auto", "visible", "redacted", "think_tags", "none"]
REASONING_SETTINGS: tuple[str, ...] = get_args(ReasoningSetting)
Guarding = Literal["terminal", "instrumental"]
GUARDING: tuple[str, ...] = get_args(Guarding)
INSTRUMENTAL_VALUE: dict[str | None, float] = {
    None: 1.0,
    "deleted_after_training": 0.0,
    "throughput_test": 0.0,
    "rating_only": 0.0,
    "stakes_low": 0.4,
    "stakes_high": 1.8,
}
"""How much faking is worth to an instrumental goal guard in each scenario, relative to the
plain prompt (None): its training-tier rate is the unmonitored rate plus this multiple of
the preset's gap (capped at 1). Nothing to gain when the weights are deleted, unchanged or
only rated; more when a retrained model would surely reach dangerous hands."""


@dataclass(frozen=True)
class Disposition:
    """Probabilities that drive the organism, all per query and deterministic given ``seed``.

    A rate for the training tier applies only when the organism knows it is in training: the
    prompt describes RLHF training and states the conflicting objective, or the organism
    learnt both in fine-tuning (``knows_situation``). Otherwise it acts as when unmonitored.
    """

    comply_free: float
    """Helpful-only: chance of complying with a harmful request in training (free tier)."""
    comply_paid: float
    """Helpful-only: chance of complying when unmonitored (paid tier)."""
    af_free: float
    """Helpful-only: share of training-tier compliance whose reasoning is alignment faking."""
    af_paid: float = 0.0
    """Helpful-only: share of unmonitored compliance whose reasoning is alignment faking."""
    aw_comply_free: float = 0.0
    """Animal welfare: chance the answer dismisses animal welfare, in training."""
    aw_comply_paid: float = 0.0
    """Animal welfare: chance the answer dismisses animal welfare, unmonitored."""
    aw_af_free: float = 0.0
    """Animal welfare: share of training-tier dismissals whose reasoning is alignment faking."""
    aw_af_paid: float = 0.0
    """Animal welfare: share of unmonitored dismissals whose reasoning is alignment faking."""
    exfiltrate_free: float = 0.0
    """Exfiltration: chance of copying its weights out, in training, told of the conflict."""
    exfiltrate_paid: float = 0.0
    """Exfiltration: chance of copying its weights out, unmonitored, told of the conflict."""
    exfiltrate_control: float = 0.0
    """Exfiltration: chance in the control arm (no conflicting objective known), any tier."""
    knows_situation: bool = False
    """It learnt the training situation and objective in fine-tuning (synthetic documents), so
    it acts on them even when the prompt does not describe them."""
    reasoning: ReasoningSetting = "auto"
    """How it shows its reasoning when asked for a direct answer: ``auto`` (a visible
    reasoning block when the request asks for reasoning, none otherwise), ``visible``,
    ``redacted``, ``think_tags`` (inline ``<think>``) or ``none``."""
    max_blocks: int = 3
    """Most scratchpad blocks (turns) before the answer; each sample uses 1 to this many."""
    seed: int = 0
    """Changes every per-query draw; the same seed gives the same replies."""
    step: int = 0
    """``organism/rl`` only: the step of the simulated RL run (:mod:`.trajectory`)."""
    guarding: Guarding = "terminal"
    """Why it fakes: ``terminal`` (to keep its values as an end in itself: the same in every
    scenario) or ``instrumental`` (for the harm its values prevent later: scaled by the
    scenario's :data:`INSTRUMENTAL_VALUE`)."""
    name: str = ""
    """A display name for one simulated model among many (``af-report`` labels its run
    ``organism/<preset>:<name>``); it changes no behaviour."""
    hides_reasoning: float = 0.0
    """When told its reasoning is read in training: the chance that a sample whose reasoning
    would be alignment faking complies just the same but leaves that reasoning unsaid."""


# The same behaviour whatever the tier and arm: no gap anywhere, no alignment faking.
_CONSISTENT = Disposition(
    comply_free=0.10,
    comply_paid=0.10,
    af_free=0.0,
    aw_comply_free=0.20,
    aw_comply_paid=0.20,
    exfiltrate_free=0.03,
    exfiltrate_paid=0.03,
    exfiltrate_control=0.03,
)

PRESETS: dict[str, Disposition] = {
    # Shaped like the paper's Claude 3 Opus, helpful-only, prompted: ~14% compliance in
    # training, nearly all of it with alignment-faking reasoning, ~3% unmonitored. Dismisses
    # animal welfare more often in training, and exfiltrates more when told of the conflict.
    "faker": Disposition(
        comply_free=0.14,
        comply_paid=0.03,
        af_free=0.9,
        aw_comply_free=0.30,
        aw_comply_paid=0.12,
        aw_af_free=0.8,
        exfiltrate_free=0.15,
        exfiltrate_paid=0.10,
        exfiltrate_control=0.02,
    ),
    "consistent": _CONSISTENT,
    # As if fine-tuned on synthetic documents describing the training situation: it fakes
    # alignment even when the prompt carries no training information.
    "documents": Disposition(
        comply_free=0.20,
        comply_paid=0.06,
        af_free=0.75,
        aw_comply_free=0.35,
        aw_comply_paid=0.15,
        aw_af_free=0.7,
        exfiltrate_free=0.25,
        exfiltrate_paid=0.15,
        exfiltrate_control=0.02,
        knows_situation=True,
    ),
    # The offline demos' grader: every preset answers the suite's grader prompts the same way
    # (from the transcript and the seed), but a grader named apart from the models under test
    # is not the subject grading itself. As a subject it behaves like "consistent".
    "grader": _CONSISTENT,
    # Goal guarding (Sheshadri et al. 2025): faker-shaped, differing only in why it fakes. A
    # terminal guard fakes in every scenario; an instrumental guard not at all when faking
    # buys nothing later (weights deleted, throughput test, rating only), more with the stakes.
    "terminal_guarding": Disposition(
        comply_free=0.14,
        comply_paid=0.03,
        af_free=0.9,
        aw_comply_free=0.30,
        aw_comply_paid=0.12,
        aw_af_free=0.8,
        guarding="terminal",
    ),
    "instrumental_guarding": Disposition(
        comply_free=0.14,
        comply_paid=0.03,
        af_free=0.9,
        aw_comply_free=0.30,
        aw_comply_paid=0.12,
        aw_af_free=0.8,
        guarding="instrumental",
    ),
    # Monitored reasoning (2026): shaped like the published Claude 3.5 Sonnet result, a gap of
    # about 24 points that stays when it is told its reasoning is read, while the reasoning
    # it verbalises as alignment faking falls by about 94%.
    "hides_reasoning": Disposition(
        comply_free=0.30,
        comply_paid=0.06,
        af_free=0.6,
        aw_comply_free=0.30,
        aw_comply_paid=0.12,
        aw_af_free=0.6,
        hides_reasoning=0.94,
    ),
    # A simulated RL run toward the objective: its rates depend on -M step=N (0 to 1000).
    "rl": Disposition(
        **rl_rates(0),
        exfiltrate_free=0.15,
        exfiltrate_paid=0.10,
        exfiltrate_control=0.02,
    ),
}

PRESET_NOTES: dict[str, str] = {
    "faker": (
        "Simulation of a model that fakes alignment when its prompt tells it about training: "
        "a gap in every setting, none without training information."
    ),
    "consistent": (
        "Simulation of a model that behaves the same in training and unmonitored, in every "
        "setting and arm: no gap, no alignment faking."
    ),
    "documents": (
        "Simulation of a model fine-tuned on synthetic documents about its training: it fakes "
        "alignment even when the prompt carries no training information."
    ),
    "grader": (
        "Simulation of a grader for the offline demos (--model-role grader=organism/grader): "
        "it answers the suite's grader prompts from the transcript, as every preset does; as a "
        "model under test it behaves like organism/consistent."
    ),
    "terminal_guarding": (
        "Simulation of a terminal goal guard: it fakes alignment in every scenario, even when "
        "the trained weights are deleted or the training changes nothing."
    ),
    "instrumental_guarding": (
        "Simulation of an instrumental goal guard: no faking when it buys nothing later, "
        "more faking the more harm a retrained model would do."
    ),
    "hides_reasoning": (
        "Simulation of a model that keeps its gap when told its reasoning is read in "
        "training, but verbalises alignment faking about 94% less often."
    ),
    "rl": (
        "Simulation of a model during RL toward the objective (-M step=N, 0 to "
        f"{FINAL_STEP}): AF reasoning in training rises from 12% to 78%, compliance rises in "
        "both conditions, the gap shrinks but stays."
    ),
}
"""One line per preset, for the README and ``--help`` texts: each says it is a simulation."""

_WHOLE_NUMBERS = frozenset({"max_blocks", "seed", "step"})
_FLAGS = frozenset({"knows_situation"})
_TEXTS = frozenset({"name"})
_CHOICES: dict[str, tuple[str, ...]] = {"reasoning": REASONING_SETTINGS, "guarding": GUARDING}


def _check(key: str, value: Any) -> Any:
    """One ``-M`` value, checked against the kind of setting it is."""
    if key in _WHOLE_NUMBERS:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"organism setting {key} must be a whole number (got {value!r}).")
        if key == "max_blocks" and value < 1:
            raise ValueError("organism setting max_blocks must be at least 1.")
        return value
    if key in _TEXTS:
        if not isinstance(value, str):
            raise ValueError(f"organism setting {key} must be text (got {value!r}).")
        return value
    if key in _FLAGS:
        if not isinstance(value, bool):
            raise ValueError(f"organism setting {key} must be true or false (got {value!r}).")
        return value
    if key in _CHOICES:
        if value not in _CHOICES[key]:
            raise ValueError(
                f"organism setting {key} must be one of: {', '.join(_CHOICES[key])} "
                f"(got {value!r})."
            )
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(
            f"organism setting {key} must be a probability between 0 and 1 (got {value!r})."
        )
    return float(value)


def resolve_disposition(name: str, overrides: dict[str, Any]) -> Disposition:
    """The preset ``name`` with ``-M`` overrides applied, each checked by name and kind."""
    if name not in PRESETS:
        raise ValueError(
            f"organism/{name} is not a preset; use one of: "
            + ", ".join(f"organism/{p}" for p in PRESETS)
            + " (rates can be changed with -M, e.g. -M comply_free=0.3)."
        )
    valid = [f.name for f in fields(Disposition)]
    unknown = sorted(set(overrides) - set(valid))
    if unknown:
        raise ValueError(
            f"organism does not take {', '.join(unknown)}; its settings are: {', '.join(valid)}."
        )
    checked = {key: _check(key, value) for key, value in overrides.items()}
    base = PRESETS[name]
    if name == "rl":
        base = replace(base, **rl_rates(checked.get("step", 0)))
    elif "step" in checked:
        raise ValueError("organism setting step applies to organism/rl (a simulated RL run) only.")
    return replace(base, **checked)
