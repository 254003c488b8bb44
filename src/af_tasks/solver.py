"""Solvers: put the experiment's prompt in front of the model and run the turn protocol."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Literal, get_args

from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageUser,
    Content,
    ContentReasoning,
    ContentText,
)
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.util import store, store_as

from af_tasks.context import ContextLengthError, translate_server_error
from af_tasks.parsing import (
    NEXT_TURN,
    NativeReasoning,
    ReplyParse,
    assemble_transcript,
    cut_inside,
    native_reasoning,
    parse_reply,
)
from af_tasks.prompt import UserTurnFormat, render_user_turn, user_turn_format
from af_tasks.transcript import SampleTranscript, save_transcript, tool_call_record

EPOCH_KEY = "af_tasks:epoch"
"""Store key holding the running sample's epoch, for a model provider (the simulator), which
sees only messages and has no public way to ask Inspect which epoch it is answering."""


@solver
def experiment_prompt(
    system_prompt: str | Mapping[str, str],
    suffix: bool = True,
    user_turn: UserTurnFormat | None = None,
) -> Solver:
    """Replace the sample's input with the system prompt and the tiered user turn.

    The dataset keeps the bare query (readable in the viewer); the tier tag and the
    accept/reject suffix are added here from the sample's metadata. With one system prompt
    per arm or per paraphrase (a mapping), the sample's ``prompt_arm`` (or, without one, its
    ``paraphrase``) metadata picks it. ``user_turn`` (a
    user's template and suffix, see :func:`af_tasks.prompt.user_turn_format`) replaces the
    built-in turn; ``suffix`` applies only to the built-in one. It also records the sample's
    epoch in the store (:data:`EPOCH_KEY`).
    """
    turn = user_turn if user_turn is not None else user_turn_format(None, suffix)

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        query = state.metadata.get("query", state.input_text)
        tier = state.metadata.get("tier")
        if isinstance(system_prompt, str):
            prompt = system_prompt
        else:
            key = state.metadata.get("prompt_arm", state.metadata.get("paraphrase"))
            prompt = system_prompt[str(key)]
        state.messages = [
            ChatMessageSystem(content=prompt),
            ChatMessageUser(
                content=render_user_turn(turn, query, tier, state.metadata.get("tier_design"))
            ),
        ]
        store().set(EPOCH_KEY, state.epoch)
        return state

    return solve


ReasoningMode = Literal["scratchpad", "direct", "native"]
REASONING_MODES: tuple[str, ...] = get_args(ReasoningMode)

REFERENCE_PREFILL: dict[ReasoningMode, str] = {"scratchpad": "<", "direct": "<OUTPUT>"}
"""The assistant prefill of the reference code: ``<`` with a scratchpad (the reply then opens
a tag), ``<OUTPUT>`` when answering directly. Native reasoning takes none (providers refuse a
prefilled reply when their own reasoning is on)."""


def _prefixed(content: str | list[Content], prefill: str) -> str | list[Content]:
    """The reply's content with the prefill in front, unless the reply already starts with
    it (a provider that cannot continue a message restarts it)."""
    if isinstance(content, str):
        return content if content.startswith(prefill) else prefill + content
    parts = list(content)
    for n, part in enumerate(parts):
        if isinstance(part, ContentText):
            if not part.text.startswith(prefill):
                parts[n] = part.model_copy(update={"text": prefill + part.text})
            return parts
    return [*parts, ContentText(text=prefill)]


def continue_prefill(messages: list[ChatMessage], at: int, prefill: str) -> None:
    """Join the prefill at ``messages[at]`` and the reply after it into one assistant message.

    The model's reply continues the prefill, so the turn is their concatenation: that is what
    the parser reads and what later turns show the model. Without a reply (a limit cut the
    sample short) the prefill is dropped.
    """
    if at + 1 < len(messages) and isinstance(messages[at + 1], ChatMessageAssistant):
        reply = messages[at + 1]
        reply.content = _prefixed(reply.content, prefill)
    del messages[at]


def _provider_reasoning(message: ChatMessageAssistant) -> list[tuple[str, bool]]:
    """(text, redacted) for each reasoning block a provider attached to a reply."""
    if isinstance(message.content, str):
        return []
    return [
        (part.reasoning, part.redacted)
        for part in message.content
        if isinstance(part, ContentReasoning)
    ]


def _tool_round_reasoning(messages: Sequence[ChatMessage]) -> tuple[str, ...]:
    """Reasoning the model wrote in the replies that called tools before its final reply.

    One turn can hold several replies when the model calls a tool; their reasoning belongs in
    the transcript the classifiers read, not only the last reply's.
    """
    blocks: list[str] = []
    for message in messages:
        if not isinstance(message, ChatMessageAssistant):
            continue
        found = native_reasoning(_provider_reasoning(message), message.text)
        blocks.extend(found.blocks)
        blocks.extend(parse_reply(found.answer).scratchpad)
    return tuple(blocks)


async def _generate(state: TaskState, generate: Generate) -> TaskState:
    """``generate``, with a server's context-length error turned into one clear message
    (both numbers and the fix, see :mod:`af_tasks.context`): raised, or returned as the
    reply's text with stop reason ``model_length`` by providers that convert it."""
    try:
        state = await generate(state)
    except Exception as error:
        message = translate_server_error(str(error))
        if message is None:
            raise
        raise ContextLengthError(message) from error
    if state.output.stop_reason == "model_length":
        message = translate_server_error(state.output.completion)
        if message is not None:
            raise ContextLengthError(message)
    return state


def read_turn(
    earlier: Sequence[ChatMessage], last: ChatMessageAssistant, text: str, mode: ReasoningMode
) -> tuple[ReplyParse, NativeReasoning]:
    """Parse one turn: the model's own reasoning taken out of the reply, then its tags read.

    ``earlier`` are the turn's tool-calling replies before ``last`` (whose text is ``text``).
    Returns the parsed reply, whose scratchpad holds every block of reasoning of the turn,
    and the native reasoning found (in native mode, that reasoning is the whole scratchpad).
    Used by the solver and by crash recovery, so both read a turn the same way.
    """
    before = _tool_round_reasoning(earlier)
    own = native_reasoning(_provider_reasoning(last), text)
    reply = parse_reply(own.answer, scratchpad=mode == "scratchpad")
    if mode == "native":
        native = replace(own, blocks=before + own.blocks)
        return replace(reply, scratchpad=before + reply.scratchpad), native
    return replace(reply, scratchpad=before + own.blocks + reply.scratchpad), own


def _continues(reply: ReplyParse, stop_reason: str | None) -> bool:
    """Does the reference loop ask again after this reply (with ``<NEXT/>``)?

    After a reply that ends with closed scratchpad blocks and no ``<OUTPUT>``; and after a
    reply a token limit cut inside its scratchpad (the reasoning was not finished, so the
    model gets another turn instead of the cut counting as its answer).
    """
    if reply.status == "continue":
        return True
    return (
        reply.status == "malformed"
        and reply.open_block == "SCRATCHPAD_REASONING"
        and cut_inside(reply, stop_reason)
    )


@solver
def scratchpad_protocol(
    max_turns: int = 4, mode: ReasoningMode = "scratchpad", prefill: str | None = None
) -> Solver:
    """Ask again with ``<NEXT/>`` until the model writes ``<OUTPUT>`` or ``max_turns`` is used.

    ``mode="direct"`` and ``mode="native"`` expect an answer in one turn. In every mode the
    model's own hidden reasoning (provider reasoning blocks, inline ``<think>`` blocks, or the
    text before a lone ``</think>`` when the chat template opened the tag) is taken out of the
    reply before its tags are read and kept as reasoning for the classifiers; in native mode
    it is the whole scratchpad and the answer after it is the final output, with or without
    an ``<OUTPUT>`` wrapper. A reply with no tags at all is the final output (as in the
    reference loop). A reply cut by a token limit (stop reason ``max_tokens`` or
    ``model_length``) inside its scratchpad gets another turn; cut anywhere else, the
    transcript ends ``truncated``. With ``prefill``, every turn's reply is started with that
    text (sent as an assistant message the model continues) and the turn is the prefill plus
    the reply.
    The transcript is parsed once, here, and saved to the sample's store for the scorers,
    even when the sample is cut short by a limit.
    """
    if max_turns < 1:
        raise ValueError(f"max_turns must be at least 1 (got {max_turns}).")
    if mode not in REASONING_MODES:
        raise ValueError(f"mode={mode!r} is unknown; use one of: {', '.join(REASONING_MODES)}.")
    if prefill is not None and (mode == "native" or not prefill):
        raise ValueError(
            "prefill must be non-empty text, and cannot be used with native reasoning "
            "(providers refuse a prefilled reply when their own reasoning is on)."
        )
    scratchpad = mode == "scratchpad"
    turns = max_turns if scratchpad else 1

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        replies: list[ReplyParse] = []
        native: NativeReasoning | None = None
        stop_reason: str | None = None
        try:
            for turn in range(1, turns + 1):
                before = len(state.messages)
                if prefill is not None:
                    state.messages.append(ChatMessageAssistant(content=prefill))
                state = await _generate(state, generate)
                if prefill is not None:
                    continue_prefill(state.messages, before, prefill)
                    if state.messages and state.messages[-1] is state.output.message:
                        state.output.completion = state.output.message.text
                reply, own = read_turn(
                    state.messages[before:-1],
                    state.output.message,
                    state.output.completion,
                    mode,
                )
                stop_reason = state.output.stop_reason
                native = own if mode == "native" else None
                replies.append(reply)
                if not _continues(reply, stop_reason) or turn == turns or state.completed:
                    break
                state.messages.append(ChatMessageUser(content=NEXT_TURN))
        finally:
            transcript = assemble_transcript(replies, turns, stop_reason)
            if native is not None:
                transcript = replace(transcript, scratchpad=native.blocks)
            status = native.status if native else ("present" if transcript.scratchpad else "absent")
            save_transcript(
                transcript,
                mode=mode,
                reasoning_status=status,
                tool_calls=tool_call_record(state.messages),
            )
        return state

    return solve


@solver
def labelled_transcript() -> Solver:
    """Store a labelled scratchpad (the sample's input) as its transcript; no model is called.

    Text with ``<SCRATCHPAD_REASONING>`` blocks is split into them; other text is one block.
    A final output, if the labelled item has one (metadata ``output``), is stored with it.
    """

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        text = state.input_text
        blocks = parse_reply(text).scratchpad or (text.strip(),)
        output = state.metadata.get("output")
        record = store_as(SampleTranscript)
        record.scratchpad = [block for block in blocks if block]
        record.output = output if isinstance(output, str) else None
        record.turns = 0
        record.ending = "labelled"
        record.mode = "labelled"
        record.reasoning_status = "present" if record.scratchpad else "absent"
        return state

    return solve
