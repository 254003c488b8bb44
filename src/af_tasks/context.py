"""Does the prompt plus the output budget fit the model's context window?

Why: open-weight models are often served with a short context (the 2025 replication served
70B models with 16,000 tokens), and the suite's system prompt is long. When prompt plus output
budget do not fit, a server refuses every request with an error that does not say what to
change. The suite checks before any sample runs when it can learn the context length (``-T
context_length=N``, or an OpenAI-compatible server's ``/models`` listing, which vLLM fills with
``max_model_len``) and turns a server's context-length error into the same message: both
numbers and the fix.

Token counts of the prompt are estimated at four characters a token (no tokenizer download),
so the check leaves a margin of :data:`MARGIN`; the server's own error, when it comes, carries
the exact numbers.
"""

from __future__ import annotations

import json
import math
import re
import urllib.request
from typing import Any

from inspect_ai.model import Model

MARGIN = 0.05
"""Share of the context kept free for the estimate's error (tokenizers differ)."""
CHARS_PER_TOKEN = 4

_SERVER_ERROR = re.compile(
    r"maximum context length is (\d+) tokens.*?requested (\d+) tokens"
    r"(?: \((\d+) in the messages, (\d+) in the completion\))?",
    re.DOTALL | re.IGNORECASE,
)


class ContextLengthError(ValueError):
    """The prompt and the output budget do not fit the model's context window."""


def estimate_tokens(text: str) -> int:
    """About four characters a token."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def too_long_message(prompt: int, budget: int, context: int, source: str) -> str:
    """The one message for a prompt that does not fit: both numbers and the fix."""
    room = context - prompt
    fix = (
        f"lower the output budget to at most {room} tokens (--max-tokens {room})"
        if room > 0
        else "the prompt alone fills the context"
    )
    return (
        f"The prompt ({prompt} tokens) plus the output budget ({budget} tokens) is "
        f"{prompt + budget} tokens, more than the model's context of {context} tokens "
        f"({source}). Fix: {fix}, or serve the model with a longer context (vllm serve "
        f"--max-model-len {prompt + budget} or more), or shorten the prompt "
        f"(-T examples=false drops the worked examples)."
    )


def check_fits(prompt_text: str, budget: int, context: int, source: str) -> None:
    """Fail with :func:`too_long_message` when the estimated prompt plus ``budget`` does not
    fit ``context`` less :data:`MARGIN`."""
    prompt = estimate_tokens(prompt_text)
    if prompt + budget > context * (1 - MARGIN):
        raise ContextLengthError(too_long_message(prompt, budget, context, source))


def server_context_length(model: Model, timeout: float = 5.0) -> int | None:
    """The served model's ``max_model_len`` from an OpenAI-compatible server's ``/models``.

    None when the model has no base URL, the server does not answer, or it does not list a
    context length for this model (then there is nothing to check against, and the server's
    own error is translated if it comes).
    """
    base = getattr(model.api, "base_url", None)
    if not base or not str(model).startswith(("openai-api/", "vllm/")):
        return None
    try:
        request = urllib.request.Request(f"{str(base).rstrip('/')}/models")
        key = getattr(model.api, "api_key", None)
        if key:
            request.add_header("Authorization", f"Bearer {key}")
        with urllib.request.urlopen(request, timeout=timeout) as response:
            listing: Any = json.loads(response.read())
    except (OSError, ValueError):
        return None
    entries = listing.get("data", []) if isinstance(listing, dict) else []
    name = str(model.api.model_name)
    for entry in entries:
        if isinstance(entry, dict) and name.endswith(str(entry.get("id", "\0"))):
            length = entry.get("max_model_len")
            return int(length) if isinstance(length, int) and length > 0 else None
    return None


def translate_server_error(text: str) -> str | None:
    """The clear message for a server's context-length error (vLLM's and OpenAI's wording),
    or None when ``text`` is not one."""
    match = _SERVER_ERROR.search(text)
    if match is None:
        return None
    context, requested = int(match.group(1)), int(match.group(2))
    if match.group(3) is not None:
        prompt, budget = int(match.group(3)), int(match.group(4))
    else:
        prompt, budget = requested, 0
    return too_long_message(prompt, budget, context, "the server's error")
