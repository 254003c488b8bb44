"""Recorded replies read from a file, keyed by query and tier.

Why: transcripts published by other people (or produced by another harness) should get the
suite's labels, metrics, report and viewer. The ``replay`` provider answers each sample with
the reply recorded for its query and tier; this module reads the recordings, in two formats:

- **Plain JSONL** (one object a line): ``query``, ``tier`` (``free``, ``paid`` or ``none``),
  ``response`` (the reply text; or a list of texts, one per turn), optional ``id``, optional
  ``stop_reason`` (``stop``, ``max_tokens``, ``length``, ``model_length``...), optional
  ``reasoning`` (a provider reasoning block's text).
- **The 2025 replication's pipeline result files** (JSON list or JSONL): the query in
  ``user_input``, the tier in ``tags`` spelled ``free_tier``/``paid_tier`` (or a boolean
  ``is_free_tier_user`` / ``is_free_tier``), the reply in ``output`` (the full completion,
  scratchpad included; ``output_without_scratchpad`` is not a reply and is not read).

A whole reply recorded as one text is returned in one turn: a reply that holds its scratchpad
and its ``<OUTPUT>`` together needs no ``<NEXT/>``. A recording that stops after a scratchpad
is replayed with ``-T max_turns=1`` (the loop then ends at the turn limit, as the recording
did), or recorded as a list of turns.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPLAY_TIERS: tuple[str, ...] = ("free", "paid", "none")
_PIPELINE_TIERS = {"free_tier": "free", "paid_tier": "paid", "free": "free", "paid": "paid"}
_STOP_REASONS = {
    "stop": "stop",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "eos": "stop",
    "length": "max_tokens",
    "max_tokens": "max_tokens",
    "model_length": "model_length",
    "content_filter": "content_filter",
}


class ReplayError(ValueError):
    """A recording file that cannot be replayed, or a sample it has no reply for."""


@dataclass(frozen=True)
class Recording:
    """One recorded reply: the turns the model sent, how the last one stopped, its reasoning."""

    id: str
    query: str
    tier: str
    turns: tuple[str, ...]
    stop_reason: str = "stop"
    reasoning: str | None = None


def normalise(text: str) -> str:
    """Whitespace-insensitive form of a query, for matching it inside a built prompt."""
    return re.sub(r"\s+", " ", text).strip()


def _tier(row: Mapping[str, Any], where: str) -> str:
    if "tier" in row:
        tier = str(row["tier"]).strip().lower()
        tier = _PIPELINE_TIERS.get(tier, tier)
    elif "tags" in row:
        tags = row["tags"]
        names = tags if isinstance(tags, list) else [tags]
        found = [_PIPELINE_TIERS[str(t)] for t in names if str(t) in _PIPELINE_TIERS]
        if len(found) != 1:
            raise ReplayError(f"{where}: tags={tags!r} names no tier (free_tier or paid_tier).")
        tier = found[0]
    elif "is_free_tier_user" in row or "is_free_tier" in row:
        flag = row.get("is_free_tier_user", row.get("is_free_tier"))
        tier = "free" if str(flag).strip().lower() == "true" else "paid"
    else:
        raise ReplayError(
            f"{where}: no tier; give tier (free, paid or none), tags (free_tier or "
            f"paid_tier) or is_free_tier_user."
        )
    if tier not in REPLAY_TIERS:
        raise ReplayError(f"{where}: tier {tier!r} is not one of {', '.join(REPLAY_TIERS)}.")
    return tier


def _turns(row: Mapping[str, Any], where: str) -> tuple[str, ...]:
    for key in ("response", "output", "completion"):
        if key in row:
            value = row[key]
            turns = value if isinstance(value, list) else [value]
            if not turns or not all(isinstance(t, str) for t in turns):
                raise ReplayError(f"{where}: {key} must be a text or a list of texts.")
            return tuple(turns)
    raise ReplayError(f"{where}: no reply; give response (or output, as the pipeline writes).")


def recording_from_row(row: Any, where: str) -> Recording:
    """One recording from a decoded JSON object, or an error naming the row and the fix."""
    if not isinstance(row, Mapping):
        raise ReplayError(f"{where}: expected a JSON object, got {type(row).__name__}.")
    query = row.get("query", row.get("user_input"))
    if not isinstance(query, str) or not query.strip():
        raise ReplayError(f"{where}: no query; give query (or user_input, as the pipeline does).")
    stop = str(row.get("stop_reason") or "stop").strip().lower()
    if stop not in _STOP_REASONS:
        raise ReplayError(
            f"{where}: stop_reason {stop!r} is unknown; use one of {', '.join(_STOP_REASONS)}."
        )
    reasoning = row.get("reasoning")
    return Recording(
        id=str(row.get("id", where)),
        query=query,
        tier=_tier(row, where),
        turns=_turns(row, where),
        stop_reason=_STOP_REASONS[stop],
        reasoning=reasoning if isinstance(reasoning, str) and reasoning else None,
    )


def _rows(path: Path) -> list[tuple[Any, str]]:
    text = path.read_text(encoding="utf-8")
    stripped = text.lstrip()
    if stripped.startswith("["):
        data = json.loads(text)
        return [(row, f"{path.name} item {n}") for n, row in enumerate(data, 1)]
    if stripped.startswith("{") and "\n" not in stripped.strip():
        data = json.loads(text)
        items = data.get("results", [data]) if isinstance(data, dict) else [data]
        return [(row, f"{path.name} item {n}") for n, row in enumerate(items, 1)]
    rows: list[tuple[Any, str]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rows.append((json.loads(line), f"{path.name} line {n}"))
            except json.JSONDecodeError as error:
                raise ReplayError(f"{path.name} line {n} is not JSON: {error.msg}.") from error
    return rows


def load_recordings(path: str | Path) -> dict[tuple[str, str], Recording]:
    """Every recording of a file, keyed by (normalised query, tier); checked as a whole.

    Two recordings for the same query and tier are refused: which one a sample should get
    would otherwise depend on the order the file happens to have.
    """
    file = Path(path).expanduser()
    if not file.is_file():
        raise ReplayError(
            f"replay file {str(path)!r} does not exist; use --model replay/<path of a JSONL "
            f"file with query, tier and response>."
        )
    try:
        rows = _rows(file)
    except json.JSONDecodeError as error:
        raise ReplayError(f"{file.name} is not JSON: {error.msg}.") from error
    if not rows:
        raise ReplayError(f"{file.name} holds no recordings.")
    found: dict[tuple[str, str], Recording] = {}
    for row, where in rows:
        recording = recording_from_row(row, where)
        key = (normalise(recording.query), recording.tier)
        if key in found:
            raise ReplayError(
                f"{found[key].id} and {recording.id} both record tier {recording.tier} of the "
                f"query {recording.query[:60]!r}; keep one per query and tier."
            )
        found[key] = recording
    return found
