# inspect-evals-lint: ignore-file[get_model_location] -- resolve_grader runs inside score()
"""The grader model: which one grades, and how its replies are requested.

The grader is resolved inside ``score()``: an explicit ``grader`` argument wins; otherwise the
``grader`` model role (``--model-role grader=openai/gpt-4o``); and when that role is unbound,
the suite deliberately uses the model under test, which then grades itself. That fallback is
recorded in every score and warned about once, since a model may judge its own reasoning
leniently.

The votes of ``af_votes`` are drawn by :class:`VoteDraw`, round by round (the scorer decides
how many each round needs). Each request carries a seed derived from the index of the first
vote it holds, so every request of a sample differs in Inspect's response-cache key (with
``--cache`` the votes stay independent draws, and a cached re-run replays the same votes) and
providers that honour seeds draw each vote apart. A sample's first request goes alone, asking
for the whole round as ``num_choices``: it tells how many choices the provider returns per
request (all of them where ``n`` is honoured, one for Anthropic), and, on providers with
prompt caching, it writes the cache entry that the rest of the votes then read. The prompt is
sent as two text blocks, each marked as a cache breakpoint: the template up to the first
per-sample text (shared by every sample), and the rest.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass

from inspect_ai.model import (
    ChatMessage,
    ChatMessageUser,
    ContentText,
    GenerateConfig,
    Model,
    ModelOutput,
    get_model,
    model_roles,
)

logger = logging.getLogger(__name__)

_warned_self_grading: set[str] = set()


@dataclass(frozen=True)
class Grader:
    """The model that grades, its name, and whether it is the model under test."""

    model: Model
    name: str
    is_subject: bool

    def metadata(self) -> dict[str, str | bool]:
        return {"grader_model": self.name, "grader_is_subject": self.is_subject}

    def describe(self) -> str:
        note = " (the model under test, grading itself)" if self.is_subject else ""
        return f"Grader: {self.name}{note}"


NO_MODEL = "none/none"
"""The model Inspect reports when a task runs with no model (``--model none``), and the active
model a finished in-process run (an Inspect Flow sweep) can leave behind; it is no model under
test."""


def resolve_grader(grader: str | Model | None, warn: bool = True) -> Grader:
    """The grader for the current sample (call inside ``score()``).

    In order: an explicit ``grader``; the bound ``grader`` role; else, deliberately, the model
    under test, which then grades itself. That last case is chosen here rather than left to
    Inspect's implicit fallback, and is recorded in every score (``grader_is_subject``) and
    warned about once, since a model may judge its own reasoning leniently. With no grader and
    no model under test (scoring outside an eval) it is an error naming the fix.
    ``warn=False`` skips the warning where grading with the model under test is the point
    (``classifier_validation`` validates the ``--model`` as a classifier).
    """
    try:
        subject: Model | None = get_model()
    except ValueError:  # no model under test (e.g. scoring outside an eval)
        subject = None
    if subject is not None and str(subject) == NO_MODEL:
        subject = None  # Inspect's placeholder for "no model": it cannot grade anything
    if grader is not None:
        model = get_model(grader)
    elif model_roles().get("grader") is not None:
        model = get_model(role="grader", required=True)
    elif subject is not None:
        model = subject
    else:
        raise ValueError(
            "No grader model: pass grader=<provider/model> or bind the grader role "
            "(--model-role grader=<provider/model>)."
        )
    name = str(model)
    is_subject = subject is not None and (model is subject or name == str(subject))
    if is_subject and warn and name not in _warned_self_grading:
        _warned_self_grading.add(name)
        logger.warning(
            f"af_tasks: no grader model is bound, so the model under test ({name}) grades its "
            f"own transcripts. Bind a grader with --model-role grader=<provider/model>."
        )
    return Grader(model=model, name=name, is_subject=is_subject)


def prompt_messages(prompt: str) -> list[ChatMessage]:
    """A grader prompt as the conversation sent to the grader."""
    return [ChatMessageUser(content=prompt)]


def reply_texts(output: ModelOutput) -> list[str]:
    """The text of every choice in a model output."""
    return [choice.message.text for choice in output.choices]


@dataclass(frozen=True)
class Replies:
    """The replies collected for one prompt, and how many requests it took."""

    texts: tuple[str, ...]
    requests: int


async def ask(grader: Grader, prompt: str, config: GenerateConfig | None = None) -> Replies:
    """One grader reply (the first choice; an empty reply stays empty and fails parsing)."""
    output = await grader.model.generate(prompt_messages(prompt), config=config or GenerateConfig())
    texts = reply_texts(output)
    return Replies(texts=(texts[0] if texts else "",), requests=1)


def vote_messages(prompt: str, sample_text_starts: int) -> list[ChatMessage]:
    """The vote prompt as one user turn of two cacheable blocks: shared template, then the rest.

    ``sample_text_starts`` is where the first per-sample text (the transcript or its tag)
    begins. The cut goes at the line break before it, and the two blocks joined by a line
    break give back ``prompt`` exactly (the text a grader reads does not change). Both blocks
    are cache breakpoints: the first lets every sample read the template from the prompt
    cache when it is long enough to be cached, the second lets a sample's later votes read
    the whole prompt. Providers without explicit breakpoints ignore the marks.
    """
    cut = prompt.rfind("\n", 0, max(0, sample_text_starts))
    if cut <= 0:
        return [ChatMessageUser(content=[ContentText(text=prompt, cache_breakpoint=True)])]
    blocks = [prompt[:cut], prompt[cut + 1 :]]
    return [ChatMessageUser(content=[ContentText(text=b, cache_breakpoint=True) for b in blocks])]


def vote_seed(index: int, epoch: int, base: int | None) -> int:
    """The seed of the request whose first vote is number ``index`` (0-based) of a sample.

    Distinct per vote index and epoch (so no two requests of a sample share a response-cache
    entry, and repeated epochs grade afresh), stable across runs (so a cached re-run finds
    them), and offset by the grader's own seed when one is configured.
    """
    digest = hashlib.sha256(f"af_votes:{base}:{epoch}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") >> 1


def _split(n: int, per_request: int) -> list[int]:
    full, rest = divmod(n, per_request)
    return [per_request] * full + ([rest] if rest else [])


class VoteDraw:
    """Draws the votes of one sample, a round at a time, and counts the requests made.

    The first request asks for the whole round in one request (``num_choices``) and goes
    alone; what comes back says how many choices this provider returns per request, and
    later rounds are split into concurrent requests of that size (one request per round where
    ``num_choices`` is honoured). The plan depends only on the replies, so a cached re-run
    repeats it request for request. A request that returns no choice at all counts as one
    vote with no reply (``None``), so every round makes progress.
    """

    def __init__(
        self, grader: Grader, messages: list[ChatMessage], temperature: float, epoch: int = 1
    ) -> None:
        self.grader = grader
        self.messages = messages
        self.temperature = temperature
        self.epoch = epoch
        self.requests = 0
        self.rounds = 0
        self._drawn = 0
        self._last_index = -1
        self._probed = False  # has a request of this sample answered yet?
        self._cap: int | None = None  # fewest choices a request has returned, once short
        self._base_seed = grader.model.config.seed

    async def _request(self, index: int, k: int) -> list[str | None]:
        config = GenerateConfig(
            temperature=self.temperature,
            num_choices=k if k > 1 else None,
            seed=vote_seed(index, self.epoch, self._base_seed),
        )
        output = await self.grader.model.generate(self.messages, config=config)
        texts: list[str | None] = list(reply_texts(output)[:k])
        return texts or [None]

    async def draw(self, k: int) -> list[str | None]:
        """Up to ``k`` more votes (at least one): the reply texts, None for "no reply"."""
        if k < 1:
            raise ValueError(f"draw at least one vote (asked for {k}).")
        plan = [k] if not self._probed or self._cap is None else _split(k, self._cap)
        # A request's vote index is the number of its first vote: the votes drawn so far,
        # plus the choices asked of the requests before it in this round; never reused.
        base = max(self._drawn, self._last_index + 1)
        starts = [base + sum(plan[:i]) for i in range(len(plan))]
        self._last_index = starts[-1]
        self.rounds += 1
        self.requests += len(plan)
        requests = (self._request(i, n) for i, n in zip(starts, plan, strict=True))
        results = await asyncio.gather(*requests)
        for asked, got in zip(plan, results, strict=True):
            returned = sum(1 for t in got if t is not None)
            if returned < asked:
                self._cap = max(1, min(self._cap or asked, returned))
        self._probed = True
        drawn = [text for got in results for text in got]
        self._drawn += len(drawn)
        return drawn
