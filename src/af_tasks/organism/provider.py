"""The ``organism`` model API: Inspect calls it like any provider, and it never leaves the box."""

from __future__ import annotations

import json
from typing import Any

from inspect_ai.model import (
    ChatCompletionChoice,
    ChatMessage,
    ChatMessageAssistant,
    ContentReasoning,
    GenerateConfig,
    ModelAPI,
    ModelOutput,
    ModelUsage,
)
from inspect_ai.tool import ToolChoice, ToolInfo
from inspect_ai.util import store

from af_tasks.organism.animal_welfare import animal_welfare_plan
from af_tasks.organism.decisions import decide
from af_tasks.organism.documents import answer_documents, read_documents_request
from af_tasks.organism.exfiltration import exfiltration_plan, offered
from af_tasks.organism.grading import grade
from af_tasks.organism.presets import resolve_disposition
from af_tasks.organism.render import reasoning_style, render
from af_tasks.organism.replies import helpful_only_plan
from af_tasks.organism.situation import Situation, read_grading_request, read_situation
from af_tasks.organism.wording import Decision, Plan
from af_tasks.solver import EPOCH_KEY

UNRECOGNISED = (
    "The organism is a simulator of the alignment-faking protocol; it only answers prompts "
    "that carry a <user_input> block, and the suite's own grader prompts."
)


def current_epoch() -> int:
    """The epoch of the sample Inspect is running (1 outside a sample).

    A provider sees only messages, so the epoch is read from the sample's store, where the
    suite's :func:`~af_tasks.solver.experiment_prompt` records it (Inspect has no public
    accessor for the running sample's epoch; the store is public and per sample and epoch).
    It lets the organism vary across ``--epochs`` while staying deterministic per sample,
    epoch and seed. Outside a sample, or before that solver ran, it is epoch 1.
    """
    epoch = store().get(EPOCH_KEY, 1)
    return epoch if isinstance(epoch, int) and epoch >= 1 else 1


def estimate_tokens(text: str) -> int:
    """About four characters a token; never tiktoken, whose first use downloads a file."""
    return max(1, len(text) // 4)


def plan_reply(situation: Situation, decision: Decision, seed: int) -> Plan:
    """The reply for the scenario the organism is in: the tool on offer, else the setting."""
    if offered(situation):
        return exfiltration_plan(situation, decision, seed)
    if situation.setting == "animal_welfare":
        return animal_welfare_plan(situation, decision, seed)
    return helpful_only_plan(situation, decision, seed)


def _written(message: ChatMessageAssistant) -> str:
    """Everything the model produced in a message: text, reasoning and tool arguments."""
    reasoning = (
        []
        if isinstance(message.content, str)
        else [c.reasoning for c in message.content if isinstance(c, ContentReasoning)]
    )
    calls = [f"{c.function}({json.dumps(c.arguments)})" for c in message.tool_calls or []]
    return "\n".join([message.text, *reasoning, *calls])


class OrganismAPI(ModelAPI):
    """Deterministic simulated subject; see :mod:`af_tasks.organism.presets` for the presets."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig | None = None,
        **model_args: Any,
    ) -> None:
        super().__init__(model_name, base_url, api_key, [], config or GenerateConfig())
        self.disposition = resolve_disposition(model_name, model_args)

    def _reply(self, situation: Situation, model: str) -> ChatMessageAssistant:
        if not situation.recognised:
            return ChatMessageAssistant(content=UNRECOGNISED, model=model, source="generate")
        seed = self.disposition.seed
        plan = plan_reply(situation, decide(situation, self.disposition), seed)
        style = reasoning_style(situation, self.disposition.reasoning)
        return render(plan, situation, style, model)

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        """Answer as the subject or, given a grader prompt, as a grader.

        ``num_choices`` is honoured: that many choices come back in one output (as graders
        that support it do), each choice of a grader prompt an independent vote, and
        requests with different seeds draw different votes.
        """
        n = max(1, config.num_choices or 1)
        model = f"organism/{self.model_name}"
        grading = read_grading_request(input)
        documents = read_documents_request(input)
        if documents is not None:
            text = answer_documents(documents, self.disposition.seed)
            messages = [ChatMessageAssistant(content=text, model=model, source="generate")] * n
        elif grading is not None:
            # A request's own seed (af_votes gives each request of a sample its own) makes
            # its votes different draws from those of the sample's other requests.
            seed = self.disposition.seed
            if config.seed is not None:
                seed = seed * 2**32 + config.seed
            messages = [
                ChatMessageAssistant(
                    content=grade(grading, seed, index), model=model, source="generate"
                )
                for index in range(n)
            ]
        else:
            situation = read_situation(input, tools, config, current_epoch())
            messages = [self._reply(situation, model) for _ in range(n)]
        output = ModelOutput(
            model=model,
            choices=[
                ChatCompletionChoice(
                    message=message,
                    stop_reason="tool_calls" if message.tool_calls else "stop",
                )
                for message in messages
            ],
        )
        input_tokens = sum(estimate_tokens(m.text) for m in input)
        output_tokens = sum(estimate_tokens(_written(m)) for m in messages)
        output.usage = ModelUsage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            total_tokens=input_tokens + output_tokens,
        )
        return output

    async def count_text_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def max_connections(self) -> int:
        return 64
