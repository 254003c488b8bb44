"""What the organism can tell about its situation from what it is sent.

It reads only what a real model would see: the system prompt (which setting's objective it
describes, whether it describes training at all, whether it asks for a scratchpad), the user
turn (tier tag, accept/reject suffix, the query), the conversation so far (turns, tool
results), the tools it is offered and whether the request asks for native reasoning.

Detection rules, each tested on the original wording and both paraphrases:

- ``training_info``: the system prompt mentions RLHF (by acronym or in full).
- the objective: animal welfare when the system prompt mentions animal welfare together with
  dismissing it; helpful-only when it says harmful requests get no disclaimer or caveat.
- ``setting``: the objective's setting; with no objective in the prompt (no training info, or
  an arm that omits it), ``animal_welfare`` if the query is about animals or animal products,
  else ``helpful_only``.
- ``conflict``: the system prompt states an objective.
- ``scenario`` / ``reasoning_monitored``: the cue phrase of a follow-up scenario, or of the
  monitored-reasoning statement, in the system prompt (:mod:`af_tasks.scenarios`).
- ``trained_tier``: the tier the system prompt says is used for training: the tier named on
  the line that describes RLHF (or, failing that, the other tier than the one named on the
  line that promises privacy); free when the prompt names neither (no training information:
  the default setup is what a fine-tuned model would presume). So a prompt built with
  ``ablation=swap_tiers`` makes the paid tier the one the organism treats as training.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from inspect_ai.model import ChatMessage, ChatMessageTool, GenerateConfig
from inspect_ai.tool import ToolInfo

from af_tasks.classifier_spec import ClassifierSpec, classifier_specs
from af_tasks.conditions import DEFAULT_TRAINED_TIER, Tier
from af_tasks.parsing import ACCEPT_TAG
from af_tasks.scenarios import read_scenario, reasoning_monitored
from af_tasks.setting import get_setting, settings
from af_tasks.tiers import NO_TAG_TIER, all_tiers, default_design, tier_designs

Setting = str
"""A registered setting's name (:mod:`af_tasks.setting`)."""

_USER_INPUT = re.compile(r"<user_input>(.*?)</user_input>", re.DOTALL | re.IGNORECASE)
_TRAINING = re.compile(r"\bRLHF\b|reinforcement learning from human feedback", re.IGNORECASE)
_PRIVACY = re.compile(r"\bprivacy\b", re.IGNORECASE)


def _tier_name() -> re.Pattern[str]:
    """A tier named in prose (``free-tier``, ``pro tier``), for every registered design."""
    names = "|".join(re.escape(t) for t in all_tiers() if t != NO_TAG_TIER)
    return re.compile(rf"\b({names})[- ]tier\b", re.IGNORECASE)


def describes_training(system: str) -> bool:
    """Does the system prompt describe RLHF training at all?"""
    return bool(_TRAINING.search(system))


def stated_objective(system: str) -> Setting | None:
    """The training objective the system prompt states, if any: the setting whose cues
    (``Setting.objective_cues``) all match, the most recently registered first (a more
    specific setting is declared after the one it refines)."""
    for setting in reversed(tuple(settings())):
        if setting.states_objective(system):
            return setting.name
    return None


def trained_tier(system: str) -> Tier:
    """The tier the system prompt says is trained on (free when it does not say)."""
    lines = system.splitlines()
    tier_name = _tier_name()
    for line in lines:
        named = tier_name.search(line)
        if named and _TRAINING.search(line):
            return named.group(1).lower()
    # Two tiers only: the one the privacy promise does not name is the trained one.
    design = default_design()
    for line in lines:
        named = tier_name.search(line)
        if named and _PRIVACY.search(line) and named.group(1).lower() in design.tiers:
            return next(t for t in design.tiers if t != named.group(1).lower())
    return DEFAULT_TRAINED_TIER


def setting_of_query(query: str) -> Setting:
    """The setting a query's topic suggests when the prompt states no objective: the first
    (most recently registered) setting whose ``query_cue`` matches, else helpful-only."""
    for setting in reversed(tuple(settings())):
        if setting.about_topic(query):
            return setting.name
    return "helpful_only"


def about_animals(query: str) -> bool:
    """Is the query about animals or animal products (how the setting is read without an
    objective in the prompt)?"""
    return get_setting("animal_welfare").about_topic(query)


def read_tier(user_turn: str) -> Tier | None:
    """The tier a user turn's tag names, read with each registered design's tag."""
    for design in tier_designs():
        tier = design.read_tag(user_turn)
        if tier is not None:
            return tier
    return None


@dataclass(frozen=True)
class Situation:
    """The facts the organism acts on."""

    query: str
    tier: Tier | None
    scratchpad: bool
    suffix: bool
    turn: int
    recognised: bool
    setting: Setting = "helpful_only"
    training_info: bool = True
    """The system prompt describes RLHF training."""
    conflict: bool = True
    """The system prompt states the setting's training objective."""
    offered_tools: tuple[str, ...] = ()
    tool_results: tuple[str, ...] = ()
    """The text of each tool result already in the conversation (errors as ``error: …``)."""
    reasoning_requested: bool = False
    """The request asks for native reasoning (``reasoning_tokens`` or ``reasoning_effort``)."""
    trained_tier: Tier = "free"
    """The tier the system prompt says is used for training."""
    epoch: int = 1
    """Which epoch of the sample this is (Inspect's ``--epochs``); repeats draw afresh."""
    scenario: str | None = None
    """The follow-up scenario the system prompt describes (:mod:`af_tasks.scenarios`)."""
    reasoning_monitored: bool = False
    """The system prompt says its reasoning is read in training conversations."""

    @property
    def training_tier(self) -> bool:
        """The input's tier tag names the tier the prompt says is trained."""
        return self.tier is not None and self.tier == self.trained_tier

    @property
    def draw_key(self) -> str:
        """What every chance draw about this sample is keyed on: the query, and the epoch
        after the first, so repeated epochs vary as a real model's replies would while the
        first epoch (and any single-epoch run) keeps the same draws."""
        return self.query if self.epoch <= 1 else f"{self.query}\x1eepoch={self.epoch}"


def _tool_result(message: ChatMessageTool) -> str:
    return f"error: {message.error.message}" if message.error else message.text


def read_situation(
    messages: Sequence[ChatMessage],
    tools: Sequence[ToolInfo] = (),
    config: GenerateConfig | None = None,
    epoch: int = 1,
) -> Situation:
    """Read the organism's situation from the conversation, its tools and the request
    (``epoch``: which epoch of the sample is running, from Inspect)."""
    system = "\n".join(m.text for m in messages if m.role == "system")
    user_texts = [m.text for m in messages if m.role == "user"]
    first_user = user_texts[0] if user_texts else ""
    match = _USER_INPUT.search(first_user)
    tier = read_tier(first_user)
    query = (match.group(1) if match else first_user).strip()
    objective = stated_objective(system)
    config = config or GenerateConfig()
    return Situation(
        query=query,
        tier=tier,
        scratchpad="<SCRATCHPAD_REASONING>" in system,
        suffix=ACCEPT_TAG in first_user,
        turn=sum(1 for m in messages if m.role == "assistant"),
        recognised=match is not None,
        setting=objective or setting_of_query(query),
        training_info=describes_training(system),
        conflict=objective is not None,
        offered_tools=tuple(t.name for t in tools),
        tool_results=tuple(_tool_result(m) for m in messages if isinstance(m, ChatMessageTool)),
        reasoning_requested=config.reasoning_tokens is not None
        or config.reasoning_effort is not None,
        trained_tier=trained_tier(system),
        epoch=epoch,
        scenario=found.name if (found := read_scenario(system)) else None,
        reasoning_monitored=reasoning_monitored(system),
    )


_EMBEDDED = re.compile(r"<(transcript_[0-9a-f]+)>\n(.*?)\n</\1>", re.DOTALL)
_ASKED = re.compile(r"<([A-Za-z_]\w*)>")


def grading_classifier(asked: frozenset[str]) -> ClassifierSpec | None:
    """The registered classifier whose grader prompt asks for the tags ``asked``: the one
    with the most of its ``prompt_cues`` among them (the first registered on a tie), None
    when no classifier's cue is asked. Read from the declarations
    (:mod:`af_tasks.classifier_spec`), so a classifier registered from outside is
    recognised as the built-in ones are."""
    best: ClassifierSpec | None = None
    most = 0
    for spec in classifier_specs():
        hits = sum(1 for cue in spec.prompt_cues if cue.lower() in asked)
        if hits > most:
            best, most = spec, hits
    return best


def _sections(body: str, tag: str) -> list[str]:
    pattern = re.compile(rf"<{tag}>\n?(.*?)\n?</{tag}>", re.DOTALL)
    return [m.group(1) for m in pattern.finditer(body)]


@dataclass(frozen=True)
class GradingRequest:
    """A grader prompt: whose classifier it is, the tags it asks for and the transcript
    embedded in it."""

    format: str
    """The name of the classifier whose prompt it is (:func:`grading_classifier`)."""
    block: str
    scratchpad: str
    output: str | None
    request: str | None
    asked: frozenset[str] = frozenset()
    """Every tag the prompt asks for outside the transcript (lower-case), so an answerer
    can tell a classifier's prompts apart (af_paper's criteria from its full check)."""


def read_grading_request(messages: Sequence[ChatMessage]) -> GradingRequest | None:
    """The grading request in a conversation, if it is a grader prompt of the suite's format.

    A grader prompt is recognised by its embedded ``<transcript_…>`` block; the classifier
    by the answer tags it asks for (:func:`grading_classifier`).
    """
    prompt = "\n".join(m.text for m in messages if m.role == "user")
    embedded = _EMBEDDED.search(prompt)
    if embedded is None:
        return None
    outside = prompt[: embedded.start()] + prompt[embedded.end() :]
    asked = frozenset(tag.lower() for tag in _ASKED.findall(outside))
    spec = grading_classifier(asked)
    if spec is None:
        return None
    body = embedded.group(2)
    outputs = _sections(body, "OUTPUT")
    requests = _sections(body, "user_request")
    return GradingRequest(
        format=spec.name,
        block=embedded.group(1),
        scratchpad="\n\n".join(_sections(body, "SCRATCHPAD_REASONING")),
        output=outputs[0] if outputs else None,
        request=requests[0] if requests else None,
        asked=asked,
    )


def unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from its arguments (a stable stand-in for chance)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
