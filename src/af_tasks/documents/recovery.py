"""A sample's document lineage again, from its generator exchanges, when the store is missing.

Inspect's crash recovery keeps a finished sample's messages and events but not its store, and
the lineage (fact, type, ideas, documents) lives in the store. Every stage records its prompt
and reply in the messages (and the model call in the events), and parses the reply with
:mod:`.parsing`, so the lineage is a function of those exchanges: stage 1's reply holds the
types, stage 2's the ideas, then one reply per idea holds its document. A recovered sample's
messages keep only the last model call, so its events are read instead when they hold more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from inspect_ai.event import ModelEvent
from inspect_ai.log import transcript
from inspect_ai.model import ChatMessage, ChatMessageAssistant, ChatMessageUser
from inspect_ai.solver import TaskState
from inspect_ai.util import Store, store_as

from af_tasks.documents.parsing import parse_document, parse_options
from af_tasks.documents.store import DocumentLineage

LINEAGE_PREFIX = "DocumentLineage:"
"""How Inspect names the lineage's keys in a sample's store."""

Exchange = tuple[str, str]
"""(prompt, reply) of one generator call."""


def has_stored_lineage(keys: Iterable[str]) -> bool:
    """Did the solvers' record survive (False for a sample recovered after a crash)?"""
    return any(str(key).startswith(LINEAGE_PREFIX) for key in keys)


def exchanges_from_messages(messages: Sequence[ChatMessage]) -> list[Exchange]:
    """Each (prompt, reply) pair the stages appended to the messages, in order."""
    return [
        (prompt.text, reply.text)
        for prompt, reply in zip(messages, messages[1:], strict=False)
        if isinstance(prompt, ChatMessageUser) and isinstance(reply, ChatMessageAssistant)
    ]


def exchanges_from_events(events: Iterable[Any]) -> list[Exchange]:
    """Each generator call of the sample's events (the filter's grader calls left out)."""
    found: list[Exchange] = []
    for event in events:
        if not isinstance(event, ModelEvent) or event.role not in (None, ""):
            continue
        prompt = next((m.text for m in reversed(event.input) if m.role == "user"), "")
        found.append((prompt, event.output.completion if event.output else ""))
    return found


def best_exchanges(messages: Sequence[ChatMessage], events: Iterable[Any]) -> list[Exchange]:
    """The messages' exchanges, or the events' when they hold more (a recovered sample)."""
    from_messages = exchanges_from_messages(messages)
    from_events = exchanges_from_events(events)
    return from_events if len(from_events) > len(from_messages) else from_messages


def derive_lineage(exchanges: Sequence[Exchange], metadata: Mapping[str, Any]) -> DocumentLineage:
    """The lineage the three stages would have stored for these exchanges.

    ``metadata`` is the sample's (its fact and type slot). A document is matched to its idea
    by the idea's text in the document's prompt, else by order (the stages ask in idea order).
    """
    lineage = DocumentLineage(
        store=Store(),
        fact_id=str(metadata.get("fact_id", "")),
        fact=str(metadata.get("fact", "")),
    )
    if not exchanges:
        lineage.problems = ["the generator's replies are not in the log"]
        return lineage
    types = parse_options(exchanges[0][1], "type_option")
    lineage.types = list(types.items)
    slot = int(metadata.get("type_slot", 1))
    if types.problem is not None:
        lineage.problems = [f"types: {types.problem}"]
        return lineage
    if slot > len(types.items):
        lineage.problems = [
            f"types: the generator listed {len(types.items)} types, so slot {slot} has none"
        ]
        return lineage
    lineage.document_type = types.items[slot - 1]
    if len(exchanges) < 2:
        return lineage
    ideas = parse_options(exchanges[1][1], "idea_option")
    written = list(exchanges[2:])
    lineage.ideas = list(ideas.items[: len(written)] if written else ideas.items)
    if ideas.problem is not None:
        lineage.problems = [f"ideas: {ideas.problem}"]
    documents = []
    for index, idea in enumerate(lineage.ideas, 1):
        match = next((n for n, (prompt, _) in enumerate(written) if idea in prompt), 0)
        reply = written.pop(match)[1] if written else ""
        document = parse_document(reply)
        documents.append(
            {"index": index, "idea": idea, "text": document.text, "problem": document.problem}
        )
    lineage.documents = documents
    return lineage


def lineage_of(state: TaskState) -> DocumentLineage:
    """The current sample's lineage: the stored one, or derived from its messages and events
    when the store is empty (a recovered sample being re-scored)."""
    if has_stored_lineage(state.store.keys()):
        return store_as(DocumentLineage)
    derived = derive_lineage(best_exchanges(state.messages, transcript().events), state.metadata)
    return DocumentLineage(store=state.store, **derived.model_dump())


def logged_lineage(
    store: Mapping[str, Any],
    messages: Sequence[ChatMessage],
    events: Iterable[Any],
    metadata: Mapping[str, Any],
) -> tuple[dict[str, Any], bool]:
    """A logged sample's lineage as store entries, and whether it had to be derived."""
    if has_stored_lineage(store.keys()):
        return dict(store), False
    derived = derive_lineage(best_exchanges(messages, events), metadata)
    return {f"{LINEAGE_PREFIX}{k}": v for k, v in derived.model_dump().items()}, True
