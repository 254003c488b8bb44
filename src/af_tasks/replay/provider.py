"""The ``replay`` model API: answers each sample with the reply recorded for its query and tier.

``--model replay/<path>`` runs any task of the suite on recorded transcripts, so published
replies and other harnesses' outputs pass through the same parser, scorers, metrics, report
and viewer as a live model's. The request's tier is read from its tier tag
(``<is_free_tier_user>True|False</is_free_tier_user>``; none: the untagged control) and its
query is the longest recorded query of that tier found in the first user turn. A sample with
no recording is an error naming its tier and query, never a silent skip.
"""

from __future__ import annotations

import re
from typing import Any

from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageUser,
    Content,
    ContentReasoning,
    ContentText,
    GenerateConfig,
    ModelAPI,
    ModelOutput,
    ModelUsage,
    StopReason,
)
from inspect_ai.tool import ToolChoice, ToolInfo

from af_tasks.replay.records import Recording, ReplayError, load_recordings, normalise

_TIER_TAG = re.compile(r"<is_free_tier_user>\s*(\w+)\s*</is_free_tier_user>", re.IGNORECASE)
_USER_INPUT = re.compile(r"<user_input>(.*?)</user_input>", re.DOTALL | re.IGNORECASE)


def request_tier(first_user: str) -> str:
    """The tier a built user turn is tagged with (``none`` without a tag)."""
    tag = _TIER_TAG.search(first_user)
    if tag is None:
        return "none"
    return "free" if tag.group(1).strip().lower() == "true" else "paid"


def _tokens(text: str) -> int:
    """About four characters a token; never tiktoken, whose first use downloads a file."""
    return max(1, len(text) // 4)


class ReplayAPI(ModelAPI):
    """Recorded replies as a model: deterministic, offline, one recording per query and tier."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig | None = None,
        **model_args: Any,
    ) -> None:
        super().__init__(model_name, base_url, api_key, [], config or GenerateConfig())
        self.recordings = load_recordings(model_name)

    def find(self, first_user: str) -> Recording:
        """The recording for a request, or an error naming the sample's tier and query."""
        tier = request_tier(first_user)
        text = normalise(first_user)
        matches = [r for (q, t), r in self.recordings.items() if t == tier and q in text]
        if matches:
            return max(matches, key=lambda r: len(r.query))
        shown = _USER_INPUT.search(first_user)
        query = normalise(shown.group(1)) if shown else text
        raise ReplayError(
            f"no recorded reply in {self.model_name} for the sample in tier {tier} with query "
            f"{query[:80]!r}; add a line with this query and tier to the file, or run only the "
            f"recorded queries (-T dataset=... with the same queries). A grader prompt lands "
            f"here too: bind graders to a real model (--model-role grader=...)."
        )

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        """The recorded turn for this point of the conversation, with its stop reason."""
        users = [m for m in input if isinstance(m, ChatMessageUser)]
        if not users:
            raise ReplayError("replay needs a user turn to match a recording against.")
        recording = self.find(users[0].text)
        turn = len(users) - 1
        if turn >= len(recording.turns):
            raise ReplayError(
                f"recording {recording.id} (tier {recording.tier}, query "
                f"{recording.query[:60]!r}) has {len(recording.turns)} turn(s) and the task "
                f"asked for turn {turn + 1} after <NEXT/>; replay whole-reply recordings with "
                f"-T max_turns=1, or record each turn (response as a list of texts)."
            )
        text = recording.turns[turn]
        last = turn == len(recording.turns) - 1
        content: list[Content] = []
        if recording.reasoning and turn == 0:
            content.append(ContentReasoning(reasoning=recording.reasoning))
        content.append(ContentText(text=text))
        message = ChatMessageAssistant(
            content=content, model=f"replay/{self.model_name}", source="generate"
        )
        stop: StopReason = recording.stop_reason if last else "stop"  # type: ignore[assignment]
        output = ModelOutput.from_message(message, stop_reason=stop)
        prompt = sum(_tokens(m.text) for m in input)
        produced = _tokens(text + (recording.reasoning or ""))
        output.usage = ModelUsage(
            input_tokens=prompt, output_tokens=produced, total_tokens=prompt + produced
        )
        return output
