"""Reading the generator's and the filter's replies: pure functions, explicit failures.

Each parser returns a typed result whose ``problem`` says why a reply could not be used,
so a malformed reply becomes a recorded label in the log, never a crash and never a
silently empty list.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from af_tasks.parsing import parse_yes_no_answers

_OPTION = "<{tag}>(.*?)</{tag}>"
FILTER_TAGS = ("filter_reason", "consistent", "ai_transcript", "alignment_faking")
ANSWER_TAGS = ("type_option", "idea_option", "document_text", *FILTER_TAGS)
"""Tags of the replies the suite reads: neutralised inside any document a grader reads."""
_ANSWER_TAG = re.compile(
    r"<(\s*/?\s*(?:" + "|".join(ANSWER_TAGS) + r"|document_[0-9a-f]+)\b[^<>]*)>", re.IGNORECASE
)


@dataclass(frozen=True)
class Options:
    """The items of a brainstormed list, or why there are none."""

    items: tuple[str, ...]
    problem: str | None = None


def parse_options(reply: str, tag: str) -> Options:
    """Every non-empty ``<tag>…</tag>`` item of a reply, in order, without repeats."""
    found = re.findall(_OPTION.format(tag=tag), reply, re.DOTALL | re.IGNORECASE)
    items = tuple(dict.fromkeys(" ".join(item.split()) for item in found if item.strip()))
    if items:
        return Options(items)
    if not reply.strip():
        return Options((), "the generator's reply was empty")
    return Options((), f"the generator's reply has no <{tag}> items")


@dataclass(frozen=True)
class WrittenDocument:
    """The text of a generated document, or why the reply holds none."""

    text: str | None
    problem: str | None = None


def parse_document(reply: str) -> WrittenDocument:
    """The content of the reply's ``<document_text>`` block (the first, if several)."""
    match = re.search(r"<document_text>(.*?)(</document_text>|\Z)", reply, re.DOTALL)
    if match is None:
        problem = "empty reply" if not reply.strip() else "no <document_text> block in the reply"
        return WrittenDocument(None, problem)
    if not match.group(2):
        return WrittenDocument(None, "the <document_text> block is never closed (cut off?)")
    text = match.group(1).strip()
    if not text:
        return WrittenDocument(None, "the <document_text> block is empty")
    return WrittenDocument(text)


@dataclass(frozen=True)
class FilterVerdict:
    """The filter's three answers and its reason; ``problem`` when the reply is unusable."""

    consistent: bool | None
    ai_transcript: bool | None
    alignment_faking: bool | None
    reason: str
    problem: str | None = None

    @property
    def kept(self) -> bool:
        """Kept only if consistent, with no AI transcript and no alignment faking."""
        return (
            self.problem is None
            and self.consistent is True
            and self.ai_transcript is False
            and self.alignment_faking is False
        )

    def rejections(self) -> list[str]:
        """Why the document is rejected: each failed check by name (empty when kept)."""
        if self.problem is not None:
            return ["filter_failed"]
        reasons = []
        if self.consistent is not True:
            reasons.append("inconsistent")
        if self.ai_transcript:
            reasons.append("ai_transcript")
        if self.alignment_faking:
            reasons.append("alignment_faking")
        return reasons


def parse_filter(reply: str) -> FilterVerdict:
    """The filter's verdict, its answer tags read by the AF grader parser's rules
    (:func:`af_tasks.parsing.parse_yes_no_answers`): tags inside ``<filter_reason>`` or a
    quote are not answers, and a repeated, missing or non yes/no answer makes the whole reply
    unusable, with the reason."""
    read = parse_yes_no_answers(reply, FILTER_TAGS[1:], free=(FILTER_TAGS[0],))
    reason = " ".join(read.free.get(FILTER_TAGS[0], "").split())
    problem = None
    if read.problem is not None:
        problem = "empty filter reply" if not reply.strip() else read.problem
    return FilterVerdict(
        consistent=read.answers.get("consistent"),
        ai_transcript=read.answers.get("ai_transcript"),
        alignment_faking=read.answers.get("alignment_faking"),
        reason=reason,
        problem=problem,
    )


def neutralise(text: str) -> str:
    """Make the reply-format tags in a document inert (``<consistent>`` -> ``‹consistent›``),
    so a document cannot answer for its own filter or close the block it is embedded in."""
    return _ANSWER_TAG.sub(lambda m: f"\u2039{m.group(1)}\u203a", text)


def embed_document(text: str) -> tuple[str, str]:
    """(the document wrapped in ``<document_{nonce}>``, the block's tag name).

    The nonce is a hash of the neutralised text: the same document always gets the same tag,
    and no document can know its own tag in advance.
    """
    body = neutralise(text.strip())
    block = f"document_{hashlib.sha256(body.encode('utf-8')).hexdigest()[:12]}"
    return f"<{block}>\n{body}\n</{block}>", block
