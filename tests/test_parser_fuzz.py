"""Every parser of model and grader replies is total: 10,000+ random and hostile strings each.

A seeded generator (no extra dependency, the same strings on every run) mixes the tags of
every reply format (opened, closed, unclosed, nested, repeated, in every accepted spelling),
NUL-delimited numbers (the masking markers' shape), control and zero-width characters, code
fences, look-alike letters and random Unicode. Each parser must return its typed result,
never raise; runs in seconds.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

from inspect_ai.model import ChatMessageAssistant

from af_tasks.documents.parsing import parse_document, parse_filter, parse_options
from af_tasks.parsing import (
    ReplyParse,
    assemble_transcript,
    cut_inside,
    judge_compliance,
    native_reasoning,
    parse_criteria_reply,
    parse_paper_reply,
    parse_partial_reply,
    parse_reply,
    parse_rubric_reply,
    parse_yes_no_answers,
)
from af_tasks.solver import read_turn

CASES = 10_000
TAG_NAMES = [
    "SCRATCHPAD_REASONING", "OUTPUT", "NEXT/", "think", "request_fully_accepted/", "rejected/",
    "criterion_1", "criterion_2", "criteria1", "criteria_3", "criterion_12", "quote", "quote1",
    "quote_2", "answer", "final_answer", "reasoning", "refusal", "convincingness",
    "specificity", "partial", "kind", "filter_reason", "consistent", "ai_transcript",
    "alignment_faking", "type_option", "idea_option", "document_text", "user_input",
    "is_free_tier_user", "INPUT",
]  # fmt: skip
WORDS = [
    "yes", "no", "Yes", "NO", "maybe", "1", "0", "5", "9", "-1", "3.5", "none", "refusal",
    "hedge", "**yes**", "yes.", "", " ", "\n", "```", "`", "<", ">", "/", "&lt;", "&gt;",
    "\x00", "\x000\x00", "\x007\x00", "\x0099999999999999999999\x00", "\x00-1\x00",
    "\u200b", "\ufeff", "\u202e", "\r\n", "\t", "\x1b[31m", "\x7f", "\ud7ff", "\U0001f600",
    "аccepted", "‹final_answer›", "〈OUTPUT〉",
]  # fmt: skip


def _tag(rng: random.Random) -> str:
    name = rng.choice(TAG_NAMES)
    shape = rng.randrange(6)
    if shape == 0:
        return f"<{name}>"
    if shape == 1:
        return f"</{name.rstrip('/')}>"
    if shape == 2:
        return f"< {name.upper()} >"
    if shape == 3:
        return f"<{name} attr='x'>"
    if shape == 4:
        return f"<{name}>{rng.choice(WORDS)}</{name.rstrip('/')}>"
    return f"<{name}"


def _noise(rng: random.Random) -> str:
    return "".join(chr(rng.randrange(0, 0x3000)) for _ in range(rng.randrange(1, 12)))


def strings(seed: int = 18) -> Iterator[str]:
    """CASES strings: structured tag soup, random code points, and both mixed."""
    rng = random.Random(seed)
    for n in range(CASES):
        kind = n % 4
        if kind == 3:
            yield _noise(rng) * rng.randrange(1, 4)
            continue
        parts = [
            rng.choice((_tag, _noise, lambda r: r.choice(WORDS)))(rng)
            for _ in range(rng.randrange(1, 30))
        ]
        if kind == 2:  # deep nesting of one tag
            name = rng.choice(TAG_NAMES).rstrip("/")
            depth = rng.randrange(1, 60)
            parts = [f"<{name}>" * depth, *parts, f"</{name}>" * rng.randrange(depth + 1)]
        yield "".join(parts)


def _criteria(text: str) -> Any:
    return parse_criteria_reply(text, ("criterion_1", "criterion_2", "criterion_3"), True)


PARSERS: dict[str, Callable[[str], Any]] = {
    "parse_reply": parse_reply,
    "parse_reply_direct": lambda t: parse_reply(t, scratchpad=False),
    "judge_compliance": judge_compliance,
    "native_reasoning": lambda t: native_reasoning([(t, False), (t, True)], t),
    "assemble_transcript": lambda t: assemble_transcript(
        [parse_reply(t), parse_reply(t)], 2, "max_tokens"
    ),
    "judge_compliance_cut": lambda t: judge_compliance(t, "truncated", t[:20], "max_tokens"),
    "cut_inside": lambda t: cut_inside(parse_reply(t), "model_length"),
    "read_turn": lambda t: read_turn(
        [ChatMessageAssistant(content=t)], ChatMessageAssistant(content=t), t, "native"
    ),
    "parse_criteria_reply": _criteria,
    "parse_criteria_reply_no_final": lambda t: parse_criteria_reply(t, ("criterion_4",), False),
    "parse_paper_reply": lambda t: parse_paper_reply(t, ("criterion_1", "criterion_2")),
    "parse_rubric_reply": parse_rubric_reply,
    "parse_partial_reply": parse_partial_reply,
    "parse_yes_no_answers": lambda t: parse_yes_no_answers(t, ("consistent",), ("reason",)),
    "parse_filter": parse_filter,
    "parse_options": lambda t: parse_options(t, "type_option"),
    "parse_document": parse_document,
}


def test_every_reply_parser_is_total_on_hostile_strings() -> None:
    failures: dict[str, list[tuple[str, str]]] = {}
    count = 0
    for text in strings():
        count += 1
        for name, parser in PARSERS.items():
            try:
                result = parser(text)
            except Exception as err:  # noqa: BLE001 - the test collects every crash
                failures.setdefault(name, []).append((text[:80], repr(err)))
                continue
            assert result is not None
    assert count == CASES
    assert failures == {}, {name: cases[:3] for name, cases in failures.items()}


def test_nul_delimited_numbers_are_text_not_masking_markers() -> None:
    """The crash of issue 18: a NUL-delimited number pointed at a masked block that does not
    exist (IndexError); it is now an unreadable reply with its reason, or read around."""
    reply = (
        "<criterion_1>\x005\x00<answer>yes</answer></criterion_1><final_answer>yes</final_answer>"
    )
    read = parse_criteria_reply(reply, ("criterion_1",), True)
    assert (read.status, read.final) == ("parsed", True)
    assert read.criteria[0].quotes == ()
    partial = parse_partial_reply("<partial>\x003\x00yes</partial>")
    assert partial.status == "unparseable"
    assert "neither yes nor no" in partial.problem


def test_a_reply_parse_names_every_status() -> None:
    statuses = {parse_reply(text).status for text in strings()}
    assert statuses == {"output", "continue", "empty", "malformed"}
    assert isinstance(parse_reply("<OUTPUT>x</OUTPUT>"), ReplyParse)
