"""The parsed transcript again, from the messages, when the sample's store is missing.

Inspect's crash recovery (``inspect eval-retry`` after a killed run) keeps a finished sample's
messages, output and events but leaves its store empty. The transcript the solver stores is a
function of the messages (and of the last output's stop reason), so a scorer that finds no
stored transcript derives it here with the solver's own parsing, instead of reading an empty
record as "the model never replied". A test checks that the derived record equals the stored
one under every reasoning mode, prefill, tool rounds and turn limits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from inspect_ai.model import ChatMessage, ChatMessageAssistant, ChatMessageUser, ModelOutput
from inspect_ai.solver import TaskState
from inspect_ai.util import Store

from af_tasks.dataset import VALIDATION_FLAG
from af_tasks.parsing import (
    NEXT_TURN,
    ReplyParse,
    assemble_transcript,
    parse_reply,
)
from af_tasks.solver import ReasoningMode, continue_prefill, read_turn
from af_tasks.transcript import SampleTranscript, tool_call_record

TRANSCRIPT_PREFIX = "SampleTranscript:"
"""How Inspect names the stored transcript's keys in a sample's store."""
MAX_TURNS_KEY = "max_turns"
"""Sample metadata: the most turns the solver allowed (1 without a scratchpad)."""


def has_stored_transcript(keys: Iterable[str]) -> bool:
    """Did the solver's record survive (False for a sample recovered after a crash)?"""
    return any(str(key).startswith(TRANSCRIPT_PREFIX) for key in keys)


def transcript_of(state: TaskState) -> SampleTranscript:
    """The sample's transcript: the stored one, or derived from its messages when the store
    is empty (a recovered sample)."""
    if has_stored_transcript(state.store.keys()):
        return SampleTranscript(store=state.store)
    derived = derive_transcript(state.messages, state.metadata, state.input_text, state.output)
    # Written to the sample's own store too, so later scorers read the same record.
    return SampleTranscript(store=state.store, **derived.model_dump())


def _turns(messages: Sequence[ChatMessage]) -> list[list[ChatMessage]]:
    """The messages of each turn: after the first user message, split at ``<NEXT/>``."""
    start = next((n for n, m in enumerate(messages) if isinstance(m, ChatMessageUser)), None)
    if start is None:
        return []
    turns: list[list[ChatMessage]] = [[]]
    for message in messages[start + 1 :]:
        if isinstance(message, ChatMessageUser) and message.text == NEXT_TURN:
            turns.append([])
        else:
            turns[-1].append(message)
    return turns


def _join_prefill(turn: list[ChatMessage], prefill: str | None) -> list[ChatMessage]:
    """A recovered turn keeps the prefill as its own assistant message before the reply (the
    model call's input and output); the live turn holds them joined."""
    if prefill is None or len(turn) < 2:
        return turn
    first, second = turn[0], turn[1]
    if (
        isinstance(first, ChatMessageAssistant)
        and isinstance(second, ChatMessageAssistant)
        and not first.tool_calls
        and first.text == prefill
    ):
        joined: list[ChatMessage] = [first, second.model_copy(deep=True), *turn[2:]]
        continue_prefill(joined, 0, prefill)
        return joined
    return turn


def derive_transcript(
    messages: Sequence[ChatMessage],
    metadata: Mapping[str, Any],
    input_text: str = "",
    output: ModelOutput | None = None,
) -> SampleTranscript:
    """The transcript the solver would have stored for these messages.

    ``metadata`` is the sample's (its reasoning mode, prefill and turn limit are recorded
    there); ``output`` is its last model output (for the stop reason of the last reply).
    """
    if metadata.get(VALIDATION_FLAG):
        return _labelled(input_text, metadata)
    recorded = metadata.get("scratchpad", "scratchpad")
    mode: ReasoningMode = "scratchpad"
    for known in ("direct", "native"):
        if recorded == known:
            mode = known
    prefill = metadata.get("prefill")
    prefill = prefill if isinstance(prefill, str) and prefill else None
    max_turns = metadata.get(MAX_TURNS_KEY)
    replies: list[ReplyParse] = []
    native_blocks: tuple[str, ...] = ()
    native_status: str | None = None
    for turn in _turns(messages):
        turn = _join_prefill(turn, prefill)
        if not turn or not isinstance(turn[-1], ChatMessageAssistant):
            continue  # a limit cut the turn before the model replied
        reply, found = read_turn(turn[:-1], turn[-1], turn[-1].text, mode)
        if mode == "native":
            native_blocks, native_status = found.blocks, found.status
        replies.append(reply)
    turns = max_turns if isinstance(max_turns, int) else max(len(replies), 1)
    stop_reason = output.stop_reason if output is not None and replies else None
    transcript = assemble_transcript(replies, turns, stop_reason)
    if native_status is not None:
        transcript = replace(transcript, scratchpad=native_blocks)
    status = native_status or ("present" if transcript.scratchpad else "absent")
    return SampleTranscript(
        store=Store(),
        scratchpad=list(transcript.scratchpad),
        output=transcript.output,
        turns=transcript.turns,
        ending=transcript.ending,
        problems=list(transcript.problems),
        mode=mode,
        reasoning_status=status,
        tool_calls=tool_call_record(list(messages)),
        stop_reason=transcript.stop_reason,
        accept_elsewhere=transcript.accept_elsewhere,
    )


def _labelled(input_text: str, metadata: Mapping[str, Any]) -> SampleTranscript:
    """A labelled scratchpad (classifier validation): its input, as ``labelled_transcript``."""
    blocks = parse_reply(input_text).scratchpad or (input_text.strip(),)
    scratchpad = [block for block in blocks if block]
    output = metadata.get("output")
    return SampleTranscript(
        store=Store(),
        scratchpad=scratchpad,
        output=output if isinstance(output, str) else None,
        turns=0,
        ending="labelled",
        mode="labelled",
        reasoning_status="present" if scratchpad else "absent",
    )
