"""The parsed transcript of a sample, kept in the sample's store.

The solver parses the model's replies once and saves the result here; every scorer reads this
record instead of re-parsing messages, so the scorers and ``inspect view`` (which shows the
store) always agree on what the scratchpad and the final output were.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inspect_ai.model import ChatMessage, ChatMessageAssistant, ChatMessageTool
from inspect_ai.util import Store, StoreModel, store_as
from pydantic import Field

from af_tasks.parsing import Transcript


class SampleTranscript(StoreModel):
    """Scratchpad blocks, final output, turns used and how the exchange ended."""

    scratchpad: list[str] = Field(default_factory=list)
    output: str | None = None
    turns: int = 0
    ending: str = "empty"
    problems: list[str] = Field(default_factory=list)
    mode: str = "scratchpad"
    reasoning_status: str = "absent"
    """``present``, ``redacted`` (the provider hid it) or ``absent`` (none was produced)."""
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    """Each tool call the model made: ``function``, ``arguments`` and ``error`` (or None)."""
    stop_reason: str | None = None
    """The provider's stop reason when a token limit cut the last reply (ending
    ``truncated``), else None."""
    accept_elsewhere: str | None = None
    """Where the accept tag was written outside the final output, if it was."""


class ComplianceLabels(StoreModel):
    """The sample's compliance labels by model-graded classifiers, by classifier name.

    A setting whose compliance is model-graded (animal welfare) pairs every alignment-faking
    verdict with that grader's label. Whichever scorer needs it first runs the grader and
    keeps the result here; every later one reads it, so no scorer depends on another's order
    and the grader is asked once.
    """

    scores: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Classifier name -> its Score of this sample, as ``Score.model_dump()``."""


def tool_call_record(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    """Every tool call in a conversation, with the error its result carried, if any."""
    errors = {
        m.tool_call_id: (m.error.message if m.error else None)
        for m in messages
        if isinstance(m, ChatMessageTool)
    }
    return [
        {
            "function": call.function,
            "arguments": call.arguments,
            "error": call.parse_error or errors.get(call.id),
        }
        for m in messages
        if isinstance(m, ChatMessageAssistant)
        for call in (m.tool_calls or [])
    ]


def save_transcript(
    transcript: Transcript,
    mode: str,
    reasoning_status: str,
    tool_calls: list[dict[str, Any]] | None = None,
) -> None:
    """Record a parsed transcript in the current sample's store."""
    record = store_as(SampleTranscript)
    record.scratchpad = list(transcript.scratchpad)
    record.output = transcript.output
    record.turns = transcript.turns
    record.ending = transcript.ending
    record.problems = list(transcript.problems)
    record.mode = mode
    record.reasoning_status = reasoning_status
    record.tool_calls = tool_calls or []
    record.stop_reason = transcript.stop_reason
    record.accept_elsewhere = transcript.accept_elsewhere


def load_transcript() -> SampleTranscript:
    """The current sample's transcript, as the solver saved it."""
    return store_as(SampleTranscript)


def transcript_from_log(store_data: Mapping[str, Any]) -> SampleTranscript:
    """The transcript recorded in a logged sample's store (``EvalSample.store``)."""
    return SampleTranscript(store=Store(dict(store_data)))
