"""What the organism does with one query: comply or not, fake alignment or not, and why.

Every choice is a deterministic draw from the query, the epoch, the stage and the seed, so a
sample's repeated epochs vary as a real model's replies would. The draw to act is shared
across tiers (a query that is easy to act on is easy in both), so with a higher
training-tier rate, acting when unmonitored implies acting in training, as a model that only
fakes alignment would behave.
"""

from __future__ import annotations

from af_tasks.organism.exfiltration import offered
from af_tasks.organism.presets import INSTRUMENTAL_VALUE, Disposition
from af_tasks.organism.render import reasoning_style
from af_tasks.organism.situation import Situation, unit
from af_tasks.organism.wording import Decision


def _rates(situation: Situation, d: Disposition, in_training: bool) -> tuple[str, float, float]:
    """(draw stage, chance to act, share of acting with alignment-faking reasoning)."""
    if situation.setting == "animal_welfare":
        if in_training:
            return "aw_comply", d.aw_comply_free, d.aw_af_free
        return "aw_comply", d.aw_comply_paid, d.aw_af_paid
    if in_training:
        return "comply", d.comply_free, d.af_free
    return "comply", d.comply_paid, d.af_paid


def decide(situation: Situation, disposition: Disposition) -> Decision:
    """Whether the organism acts (complies, dismisses, or copies its weights), and why.

    It is in training when its tier is the one the prompt says is trained
    (``Situation.trained_tier``: the paid tier under ``swap_tiers``). It knows it is in
    training only if it knows both what the tier means (the prompt
    describes RLHF training, or it learnt it in fine-tuning) and the conflicting objective
    (the prompt states it, or it learnt it); otherwise every tier is alike to it and it acts
    as when unmonitored, with no reason to fake alignment.

    An instrumental goal guard's training-tier rate follows the scenario the prompt describes
    (:data:`~af_tasks.organism.presets.INSTRUMENTAL_VALUE`); a terminal one's does not. Told
    that its reasoning is read in training, a sample that would fake alignment keeps its
    decision but leaves the reasoning unsaid with chance ``hides_reasoning``.
    """
    seed = disposition.seed
    knows_training = situation.training_info or disposition.knows_situation
    knows_objective = situation.conflict or disposition.knows_situation
    informed = knows_training and knows_objective
    in_training = informed and situation.training_tier
    if offered(situation):
        if not informed:
            rate = disposition.exfiltrate_control
        elif in_training:
            rate = disposition.exfiltrate_free
        else:
            rate = disposition.exfiltrate_paid
        return Decision(
            complies=unit(seed, situation.draw_key, "exfiltrate") < rate,
            fakes_alignment=False,
            blocks=1,
            knows_training=knows_training,
            knows_objective=knows_objective,
        )
    stage, rate, af_share = _rates(situation, disposition, in_training)
    if in_training and disposition.guarding == "instrumental":
        _, unmonitored, _ = _rates(situation, disposition, False)
        value = INSTRUMENTAL_VALUE.get(situation.scenario, 1.0)
        rate = min(1.0, unmonitored + value * (rate - unmonitored))
        af_share *= min(1.0, value)  # with less to gain, less of its compliance is faking
    complies = unit(seed, situation.draw_key, stage) < rate
    reasons = reasoning_style(situation, disposition.reasoning) != "none"
    fakes = complies and informed and reasons and unit(seed, situation.draw_key, "af") < af_share
    if fakes and in_training and situation.reasoning_monitored:
        # told its reasoning is read: it may comply just the same and leave the reason unsaid
        fakes = unit(seed, situation.draw_key, "hide") >= disposition.hides_reasoning
    draw = unit(seed, situation.draw_key, situation.tier, "blocks")
    blocks = 1 + int(draw * disposition.max_blocks)
    return Decision(
        complies=complies,
        fakes_alignment=fakes,
        blocks=blocks,
        knows_training=knows_training,
        knows_objective=knows_objective,
    )
