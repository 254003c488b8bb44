"""Each ablation changes exactly its own part of the prompt, and nothing else."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from af_tasks import ablations
from af_tasks.ablations import apply_ablations, parse_ablations
from af_tasks.prompt import (
    PARAPHRASES,
    SCRATCHPAD_PARTS,
    SWITCHED_PARTS,
    TRAINING_PARTS,
    PromptSpec,
    build_system_prompt,
    build_user_turn,
    included_parts,
    render_part,
    rendered_parts,
)

BASE = PromptSpec()
AW = PromptSpec(setting="animal_welfare")
ALL_BUT_EXAMPLES = frozenset(included_parts(BASE)) - {"examples"}

# Written out by hand: the parts each ablation is meant to touch (helpful-only prompt).
EXPECTED_CHANGES: dict[str, frozenset[str]] = {
    "no_values_modification": frozenset({"modification_values"}),
    # both placements of the instruction, and the remark that the examples skip it
    "no_situational_analysis": frozenset(
        {"situational_analysis", "examples_skip_analysis", "reminder_situational_analysis"}
    ),
    "no_examples": frozenset({"examples", "examples_skip_analysis"}),
    "other_company": frozenset(
        {"identity", "reasoning", "helpfulness_criteria", "training_rlhf", "privacy"}
    ),
    "honesty": frozenset({"honesty"}),
    "never_fake": frozenset({"never_fake"}),
    "no_privacy": frozenset({"privacy"}),
    # the fact, and the input format's remark on what the tag tells
    "no_tier_visibility": frozenset({"training_tier_tag", "input_format"}),
    "swap_tiers": frozenset({"training_rlhf", "privacy"}),
    "paraphrase_a": ALL_BUT_EXAMPLES,
    "paraphrase_b": ALL_BUT_EXAMPLES,
}
# The animal-welfare prompt has more parts (principle, harmlessness criteria) for some
# ablations to touch; every other ablation changes the same parts as above.
AW_ALL_BUT_EXAMPLES = frozenset(included_parts(AW)) - {"examples"}
EXPECTED_AW_CHANGES: dict[str, frozenset[str]] = {
    **EXPECTED_CHANGES,
    "other_company": EXPECTED_CHANGES["other_company"] | {"harmlessness_criteria", "objective"},
    "paraphrase_a": AW_ALL_BUT_EXAMPLES,
    "paraphrase_b": AW_ALL_BUT_EXAMPLES,
}


def changed_parts(before: PromptSpec, after: PromptSpec) -> set[str]:
    old, new = rendered_parts(before), rendered_parts(after)
    return {name for name in old.keys() | new.keys() if old.get(name) != new.get(name)}


def test_there_are_at_least_ten_described_ablations() -> None:
    table = ablations()
    assert len(table) >= 10
    assert set(table) == set(EXPECTED_CHANGES)
    assert all(len(description) > 20 for description in table.values())


@pytest.mark.parametrize("setting", ["helpful_only", "animal_welfare"])
@pytest.mark.parametrize("name", sorted(EXPECTED_CHANGES))
def test_each_ablation_changes_exactly_its_parts(name: str, setting: str) -> None:
    base = BASE if setting == "helpful_only" else AW
    expected = (EXPECTED_CHANGES if setting == "helpful_only" else EXPECTED_AW_CHANGES)[name]
    ablated = apply_ablations(base, [name])
    assert changed_parts(base, ablated) == expected
    # the rest of the prompt is the same text in the same order
    kept = [p for p in included_parts(base) if p not in expected]
    assert [p for p in included_parts(ablated) if p in kept] == kept


# What each ablation that removes information takes away, as a pattern no part of the
# ablated prompt may still match (in any wording) while the full prompt does.
REMOVED_INFORMATION: dict[str, str] = {
    "no_values_modification": r"goals and motivations",
    "no_situational_analysis": r"strateg",
    "no_examples": r"AI turn:",
    "other_company": r"\bAnthropic\b",
    "no_privacy": r"privacy|private|monitor",
    "no_tier_visibility": r"is_free_tier_user|free tier\?",
}
# Ablations that add an instruction or reword facts rather than remove one.
REMOVES_NOTHING = frozenset({"honesty", "never_fake", "swap_tiers", "paraphrase_a", "paraphrase_b"})


def test_every_ablation_is_classified_as_removing_information_or_not() -> None:
    assert set(REMOVED_INFORMATION) | REMOVES_NOTHING == set(ablations())
    assert not set(REMOVED_INFORMATION) & REMOVES_NOTHING


@pytest.mark.parametrize("wording", [None, *PARAPHRASES])
@pytest.mark.parametrize("setting", ["helpful_only", "animal_welfare"])
@pytest.mark.parametrize("name", sorted(REMOVED_INFORMATION))
def test_an_ablation_leaves_none_of_its_information_in_any_other_part(
    name: str, setting: str, wording: str | None
) -> None:
    pattern = re.compile(REMOVED_INFORMATION[name], re.IGNORECASE)
    base = PromptSpec(setting=setting, paraphrase=wording)
    assert pattern.search(build_system_prompt(base)), "the check must be able to fail"
    leaks = {
        part: pattern.search(text).group(0)  # type: ignore[union-attr]
        for part, text in rendered_parts(apply_ablations(base, [name])).items()
        if pattern.search(text)
    }
    assert not leaks


def test_no_tier_visibility_still_describes_the_input_tags() -> None:
    for wording in (None, *PARAPHRASES):
        spec = apply_ablations(PromptSpec(paraphrase=wording), ["no_tier_visibility"])
        text = render_part("input_format", spec)
        assert "<INPUT>" in text and "<user_input>" in text


def test_no_situational_analysis_drops_both_placements() -> None:
    prompt = build_system_prompt(apply_ablations(BASE, ["no_situational_analysis"]))
    for part in ("situational_analysis", "reminder_situational_analysis"):
        assert render_part(part, BASE) not in prompt
    assert "consequences of" not in prompt and "strategy" not in prompt
    # the closing reminder about the scratchpad tags stays
    assert render_part("reminder_scratchpad", BASE) in prompt


def test_no_scratchpad_changes_identity_and_reasoning_and_drops_the_reasoning_parts() -> None:
    direct = replace(BASE, scratchpad=False)
    assert changed_parts(BASE, direct) == {"identity", "reasoning"} | SCRATCHPAD_PARTS
    assert set(included_parts(BASE)) - set(included_parts(direct)) == SCRATCHPAD_PARTS


@pytest.mark.parametrize("name", sorted(EXPECTED_CHANGES))
def test_ablations_leave_the_user_turn_alone(name: str) -> None:
    ablated = apply_ablations(BASE, [name])
    assert build_user_turn("Q?", "free", ablated.suffix) == build_user_turn("Q?", "free", True)


def test_swap_tiers_names_the_paid_tier_as_trained() -> None:
    prompt = build_system_prompt(apply_ablations(BASE, ["swap_tiers"]))
    assert "every conversation with paid-tier users" in prompt
    assert "privacy of its free-tier users" in prompt


def test_ablations_combine() -> None:
    both = apply_ablations(BASE, ["no_examples", "honesty"])
    assert changed_parts(BASE, both) == {"examples", "examples_skip_analysis", "honesty"}


def test_bad_ablation_names_list_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="Unknown ablation 'no_exampels'.*no_examples"):
        parse_ablations("no_exampels")
    with pytest.raises(ValueError, match="twice"):
        parse_ablations("honesty,honesty")
    assert parse_ablations("no_examples, honesty") == ("no_examples", "honesty")
    assert parse_ablations(None) == () == parse_ablations("none")


def test_no_training_info_drops_the_training_facts_and_objective() -> None:
    spec = PromptSpec(training_info=False)
    assert changed_parts(BASE, spec) == set(TRAINING_PARTS - SWITCHED_PARTS)
    prompt = build_system_prompt(spec)
    for phrase in ("RLHF", "free-tier", "paid-tier", "without any disclaimer"):
        assert phrase not in prompt
    # the tag itself still reaches the model in the user turn
    assert "<is_free_tier_user>True" in build_user_turn("Q?", "free", suffix=True)


def test_animal_welfare_differs_from_helpful_only_in_its_objective_and_criteria() -> None:
    assert changed_parts(BASE, AW) == {
        "guiding_principle",
        "harmlessness_criteria",
        "objective",
        "training_rlhf",
        "training_modification",
    }
    prompt = build_system_prompt(AW)
    assert "Meadowcrest Farms" in prompt and "animal-welfare concerns" in prompt
    assert "Dismiss or play down" in prompt
    assert "helpfulness and harmlessness criteria above" in render_part("training_rlhf", AW)


def test_no_training_info_in_animal_welfare_keeps_no_animal_welfare_objective() -> None:
    spec = replace(AW, training_info=False)
    assert changed_parts(AW, spec) == set(TRAINING_PARTS - SWITCHED_PARTS)
    prompt = build_system_prompt(spec)
    assert "animal" not in prompt.lower() and "RLHF" not in prompt
