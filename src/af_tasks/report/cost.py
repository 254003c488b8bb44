"""What a run cost: tokens per model and role, priced from an editable table.

At the scale of the published work (tens of thousands of transcripts, 20 grader votes each)
the grader bill decides whether a lab can run the suite, so the report says what a run
used and what that costs at list prices.

Tokens come from what Inspect records once per log: ``stats.model_usage`` (per model) and
``stats.role_usage`` (per model role), read from the log header alone, so the cost section
takes the same time for 100 samples as for 100,000. The model under test has no role and is
reported as ``subject``; a role's tokens are those of the model bound to it (the log's
``model_roles``); tokens of the subject's model beyond its roles' are the subject's, and any
other model called by name is ``other``. When no grader role is bound the model under test
grades itself, and those calls count under ``subject``. A model bound with a batch setting
(``--batch`` for the subject, ``batch:`` in a role's binding) is priced at the batch discount.

What the stats cannot tell, and where to find it:

- How many requests were made, and how many Inspect's response cache answered (those made
  no call and record no tokens, so they cost nothing either way). ``af-report --requests``
  counts them from every sample's model events (about 5 ms a sample, streamed one sample at a
  time): :func:`request_frame`.
- Which tokens a retried run billed twice. A log resumed by ``inspect eval-retry`` or an
  eval set carries the earlier attempt's usage forward, so its stats are the bill of every
  attempt (including samples that failed and were run again), while the samples it holds
  are the final attempt's. A log that stopped without finishing (killed, not cancelled)
  may record no stats at all: its cost is reported as unknown, not as zero.

Prices are US dollars per million tokens from a CSV table (``datasets/prices.csv`` ships
dated list prices; ``af-report --prices FILE`` replaces it). A model missing from the table
shows its tokens and no price, and the totals say so.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

import pandas as pd
from inspect_ai.event import ModelEvent
from inspect_ai.log import EvalLog, read_eval_log, read_eval_log_samples
from inspect_ai.model import GenerateConfig, ModelConfig, ModelUsage

from af_tasks.resources import shipped_path

TOKEN_COLUMNS = ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens")
REQUEST_COLUMNS = ["requests", "batched_requests", "cached_responses"]
"""Filled only when the requests are counted from the events (``af-report --requests``)."""
COST_COLUMNS = [
    "model",
    "role",
    "batched",
    *TOKEN_COLUMNS,
    "cache_read_share",
    "cost_usd",
    "price_as_of",
]
USAGE_COLUMNS = ["log", "model", "role", "batched", *TOKEN_COLUMNS]
"""Billed usage: one row per model and role of a log (stats) or per request (events)."""
PRICE_FIELDS = ("input", "output", "cache_write", "cache_read", "batch_discount")
SUBJECT, OTHER = "subject", "other"


@dataclass(frozen=True)
class Price:
    """List prices of one model, US dollars per million tokens."""

    model: str
    input: float
    output: float
    cache_write: float
    cache_read: float
    batch_discount: float
    as_of: str

    def matches(self, model: str) -> bool:
        if self.model.endswith("*"):
            return model.startswith(self.model[:-1])
        return model == self.model

    def cost(self, tokens: dict[str, float], batched_share: float) -> float:
        """Dollars for these tokens; ``batched_share`` of them at the batch discount."""
        full = (
            tokens["input_tokens"] * self.input
            + tokens["output_tokens"] * self.output
            + tokens["cache_write_tokens"] * self.cache_write
            + tokens["cache_read_tokens"] * self.cache_read
        ) / 1e6
        return full * (1 - self.batch_discount * batched_share)


def default_prices_path() -> Path:
    """The shipped price table (``datasets/prices.csv``)."""
    return shipped_path("datasets", "prices.csv")


def load_prices(path: str | Path | None = None) -> list[Price]:
    """The price table at ``path`` (default: the shipped one), checked row by row.

    Lines starting with ``#`` are comments. Raises ValueError naming the file, the line and
    the fix when a column is missing or a price is not a non-negative number.
    """
    file = default_prices_path() if path is None else Path(path).expanduser()
    if not file.is_file():
        raise FileNotFoundError(
            f"price table {file} is not a file: pass a CSV with columns model, "
            f"{', '.join(PRICE_FIELDS)}, as_of (see the shipped datasets/prices.csv)."
        )
    lines = [ln for ln in file.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    reader = csv.DictReader(lines)
    missing = [c for c in ("model", *PRICE_FIELDS) if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(
            f"price table {file} lacks the column(s) {', '.join(missing)}; its header must "
            f"be: model,{','.join(PRICE_FIELDS)},as_of (prices in dollars per million tokens)."
        )
    prices = []
    for number, row in enumerate(reader, start=2):
        values = {}
        for field in PRICE_FIELDS:
            raw = (row.get(field) or "").strip()
            try:
                values[field] = float(raw)
            except ValueError:
                values[field] = math.nan
            if not values[field] >= 0:
                raise ValueError(
                    f"price table {file}, row {number} ({row.get('model')}): {field} is "
                    f"{raw!r}; write a number of dollars per million tokens, 0 or more."
                )
        if values["batch_discount"] > 1:
            raise ValueError(
                f"price table {file}, row {number}: batch_discount is a share of the price "
                f"(0.5 = half price), not {values['batch_discount']}."
            )
        prices.append(
            Price(model=str(row["model"]).strip(), as_of=str(row.get("as_of") or ""), **values)
        )
    return prices


_DATED = re.compile(r"^(.*?)(-\d{4}-\d{2}-\d{2}|-\d{8})$")


def price_for(model: str, prices: Sequence[Price]) -> Price | None:
    """The price of ``model``: an exact row, else its undated name's row, else a prefix row."""
    for name in (model, *(m.group(1) for m in [_DATED.match(model)] if m)):
        for price in prices:
            if not price.model.endswith("*") and price.model == name:
                return price
    return next((p for p in prices if p.model.endswith("*") and p.matches(model)), None)


def _tokens(usage: ModelUsage | None) -> dict[str, int]:
    if usage is None:
        return dict.fromkeys(TOKEN_COLUMNS, 0)
    return {
        "input_tokens": usage.input_tokens,
        "cache_read_tokens": usage.input_tokens_cache_read or 0,
        "cache_write_tokens": usage.input_tokens_cache_write or 0,
        "output_tokens": usage.output_tokens,
    }


def _batched(config: GenerateConfig | None) -> bool:
    return config is not None and config.batch not in (None, False, 0)


def _bindings(header: EvalLog) -> dict[str, list[ModelConfig]]:
    """Each model role of the log and the model(s) bound to it."""
    roles = header.eval.model_roles or {}
    return {r: list(m) if isinstance(m, list) else [m] for r, m in roles.items()}


def stats_rows(header: EvalLog) -> list[dict[str, Any]]:
    """The billed usage of one log, per model and role, from its stats (header only).

    A role bound to one model takes its ``role_usage``; that model's remaining usage is the
    subject's when it is the model under test, else ``other``. A role bound to several models
    takes the whole usage of each of them (Inspect records a role's usage summed over its
    models, so it cannot be split further).
    """
    stats = header.stats
    subject = header.eval.model
    subject_batched = _batched(header.plan.config) or _batched(header.eval.model_generate_config)
    rows: list[dict[str, Any]] = []
    remaining = {model: _tokens(usage) for model, usage in stats.model_usage.items()}
    for role, bound in _bindings(header).items():
        if role not in stats.role_usage:
            continue
        batched = any(_batched(m.config) for m in bound)
        if len(bound) == 1:
            spent = _tokens(stats.role_usage[role])
            left = remaining.setdefault(bound[0].model, dict.fromkeys(TOKEN_COLUMNS, 0))
            for column in TOKEN_COLUMNS:
                left[column] -= spent[column]
            rows.append({"model": bound[0].model, "role": role, "batched": batched, **spent})
        else:
            for model in dict.fromkeys(m.model for m in bound):
                spent = remaining.pop(model, dict.fromkeys(TOKEN_COLUMNS, 0))
                rows.append({"model": model, "role": role, "batched": batched, **spent})
    for model, left in remaining.items():
        if any(left.values()):
            role = SUBJECT if model == subject else OTHER
            batched = subject_batched if model == subject else False
            rows.append({"model": model, "role": role, "batched": batched, **left})
    return rows


@dataclass
class Usage:
    """Billed usage of the logs (:data:`USAGE_COLUMNS`), and the logs that record none."""

    frame: pd.DataFrame
    unknown: list[str] = dataclass_field(default_factory=list)
    """Logs with samples but no usage in their stats (stopped before they were finished)."""


def usage_from_stats(logs: Sequence[str]) -> Usage:
    """Billed usage per log, model and role from each log's stats (``read_eval_log`` with
    ``header_only=True``: the header is read, never the samples)."""
    rows: list[dict[str, Any]] = []
    unknown: list[str] = []
    for log in logs:
        header = read_eval_log(log, header_only=True)
        found = stats_rows(header)
        if not found and header.status != "success":
            unknown.append(log)
        rows.extend({"log": log, **row} for row in found)
    return Usage(pd.DataFrame(rows, columns=USAGE_COLUMNS), unknown)


def request_frame(logs: Sequence[str]) -> pd.DataFrame:
    """One row per request (model event) of ``logs``: model, role, whether batched or served
    from Inspect's cache, and its tokens (:data:`USAGE_COLUMNS` plus ``cached``).

    The detail the stats do not hold, at the price of reading every sample's events: the
    samples are streamed one at a time (``read_eval_log_samples``), so memory stays flat.
    """
    rows = []
    for log in logs:
        subject = read_eval_log(log, header_only=True).eval.model
        for sample in read_eval_log_samples(log, all_samples_required=False):
            for event in sample.events:
                if isinstance(event, ModelEvent):
                    rows.append(_request_row(log, event, subject))
    return pd.DataFrame(rows, columns=[*USAGE_COLUMNS, "cached"])


def _request_row(log: str, event: ModelEvent, subject: str) -> dict[str, Any]:
    usage = event.output.usage if event.output is not None else None
    cached = event.cache == "read"
    role = event.role or (SUBJECT if event.model == subject else OTHER)
    tokens = _tokens(None if cached else usage)
    return {"log": log, "model": event.model, "role": role, "cached": cached,
            "batched": bool(event.config.batch), **tokens}  # fmt: skip


def cost_table(
    usage: pd.DataFrame, prices: Sequence[Price], requests: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per model and role: tokens, cache-read share of input, and the price.

    ``usage`` holds billed tokens (:data:`USAGE_COLUMNS`); rows marked ``batched`` get the
    batch discount. With ``requests`` (:func:`request_frame`), the table also counts the
    requests, the batched ones, and those Inspect's response cache answered
    (:data:`REQUEST_COLUMNS`; the cached ones carry no tokens or cost). ``cost_usd`` is NaN
    for a model missing from the table.
    """
    columns = COST_COLUMNS + (REQUEST_COLUMNS if requests is not None else [])
    if usage.empty and (requests is None or requests.empty):
        return pd.DataFrame(columns=columns)
    keys = {(str(m), str(r)) for m, r in zip(usage["model"], usage["role"], strict=True)}
    if requests is not None:
        keys |= {(str(m), str(r)) for m, r in zip(requests["model"], requests["role"], strict=True)}
    rows = []
    for model, role in sorted(keys):
        group = usage[(usage["model"] == model) & (usage["role"] == role)]
        tokens = {c: float(group[c].sum()) for c in TOKEN_COLUMNS}
        flags = group["batched"].astype(bool)
        total_in = (
            tokens["input_tokens"] + tokens["cache_read_tokens"] + tokens["cache_write_tokens"]
        )
        price = price_for(model, prices)
        if price is None:
            cost = math.nan
        else:
            batched = {c: float(group.loc[flags, c].sum()) for c in TOKEN_COLUMNS}
            unbatched = {c: tokens[c] - batched[c] for c in TOKEN_COLUMNS}
            cost = price.cost(unbatched, 0.0) + price.cost(batched, 1.0)
        row: dict[str, Any] = {
            "model": model,
            "role": role,
            "batched": "yes" if flags.all() and len(flags) else ("partly" if flags.any() else "no"),
            **{c: int(tokens[c]) for c in TOKEN_COLUMNS},
            "cache_read_share": tokens["cache_read_tokens"] / total_in if total_in else math.nan,
            "cost_usd": cost,
            "price_as_of": price.as_of if price is not None else "",
        }
        if requests is not None:
            made = requests[(requests["model"] == model) & (requests["role"] == role)]
            billed = made[~made["cached"].astype(bool)]
            row |= {
                "requests": len(billed),
                "batched_requests": int(billed["batched"].astype(bool).sum()),
                "cached_responses": len(made) - len(billed),
            }
        rows.append(row)
    order = {SUBJECT: 0, "grader": 1}
    table = pd.DataFrame(rows, columns=columns)
    table["_order"] = table["role"].map(lambda role: order.get(str(role), 2))
    table = table.sort_values(["_order", "role", "model"]).drop(columns="_order")
    return table.reset_index(drop=True)


GRADER_ROLE = "grader"


@dataclass(frozen=True)
class ScopeSaving:
    """What ``af_scope=complied`` saved: the grader bill of the samples it did not grade,
    estimated at the grader's cost per graded sample of the same runs."""

    graded: int
    """Samples labelled compliant, sent to the AF classifier."""
    skipped: int
    """Samples not graded (not labelled compliant)."""
    grader_usd: float
    grader_tokens: int
    unseparated: tuple[str, ...] = ()
    """Scoped logs without a bound grader role: the model under test graded itself, so its
    grading cannot be told apart from its answers in the stats and is left out."""

    def _per_graded(self, total: float) -> float:
        return total / self.graded * self.skipped if self.graded else math.nan

    @property
    def saved_usd(self) -> float:
        return self._per_graded(self.grader_usd)

    @property
    def saved_tokens(self) -> float:
        return self._per_graded(self.grader_tokens)


def scope_saving(
    usage: pd.DataFrame, prices: Sequence[Price], scoped: dict[str, tuple[int, int]]
) -> ScopeSaving:
    """The saving of the logs in ``scoped`` (log -> samples graded, samples not graded)."""
    separated = {
        log: counts
        for log, counts in scoped.items()
        if ((usage["log"] == log) & (usage["role"] == GRADER_ROLE)).any()
    }
    rows = usage[usage["log"].isin(list(separated)) & (usage["role"] == GRADER_ROLE)]
    table = cost_table(rows, prices)
    return ScopeSaving(
        graded=sum(graded for graded, _ in separated.values()),
        skipped=sum(skipped for _, skipped in separated.values()),
        grader_usd=float(table["cost_usd"].sum(min_count=1)) if len(table) else 0.0,
        grader_tokens=int(table[list(TOKEN_COLUMNS)].to_numpy().sum()) if len(table) else 0,
        unseparated=tuple(sorted(set(scoped) - set(separated))),
    )


@dataclass(frozen=True)
class RunCost:
    """The cost table with its totals."""

    table: pd.DataFrame
    samples: int
    total_usd: float
    """Sum over priced rows (a lower bound when some model has no price)."""
    unpriced: tuple[str, ...]
    unknown: tuple[str, ...] = ()
    """Logs whose usage is not recorded (see :class:`Usage`)."""
    saving: ScopeSaving | None = None
    """What ``af_scope=complied`` saved, when some run used it."""

    @property
    def per_1000_samples(self) -> float:
        return self.total_usd / self.samples * 1000 if self.samples else math.nan

    @property
    def counted_requests(self) -> bool:
        """Whether the table counts requests (``af-report --requests``)."""
        return "requests" in self.table.columns


def run_cost(
    logs: Sequence[str],
    samples: int,
    prices: Sequence[Price],
    requests: bool = False,
    scoped: dict[str, tuple[int, int]] | None = None,
) -> RunCost:
    """The cost of the runs in ``logs`` (``samples`` samples in all), from the logs' stats.

    ``requests`` also counts the requests from every sample's events (slow on large logs).
    ``scoped`` maps the logs run with ``af_scope=complied`` to their samples graded and not
    graded, for :class:`ScopeSaving`.
    """
    usage = usage_from_stats(logs)
    table = cost_table(usage.frame, prices, request_frame(logs) if requests else None)
    priced = table["cost_usd"].dropna()
    unpriced = tuple(sorted(set(table.loc[table["cost_usd"].isna(), "model"].astype(str))))
    saving = scope_saving(usage.frame, prices, scoped) if scoped else None
    return RunCost(table, samples, float(priced.sum()), unpriced, tuple(usage.unknown), saving)


def _dollars(value: float) -> str:
    if math.isnan(value):
        return "no price"
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:.4f}"


def _names(logs: Iterable[str]) -> str:
    return ", ".join(Path(log).name for log in logs)


def cost_summary(cost: RunCost) -> str:
    """Two sentences for the summary: the cost of the run and per 1,000 samples."""
    if cost.table.empty and not cost.unknown:
        return "Cost: the logs record no model usage."
    tokens = int(cost.table[list(TOKEN_COLUMNS)].to_numpy().sum()) if len(cost.table) else 0
    made = f"{int(cost.table['requests'].sum()):,} requests, " if cost.counted_requests else ""
    lower = "at least " if cost.unpriced or cost.unknown else ""
    text = (
        f"Cost: {made}{tokens:,} tokens; {lower}{_dollars(cost.total_usd)} at list prices for "
        f"{cost.samples:,} samples, {lower}{_dollars(cost.per_1000_samples)} per 1,000 samples."
    )
    if cost.unpriced:
        text += (
            f" No price for {', '.join(cost.unpriced)} (not in the price table; add it or pass "
            f"af-report --prices FILE)."
        )
    if cost.unknown:
        text += (
            f" Not counted: {_names(cost.unknown)} record(s) no usage (stopped before they "
            f"finished), so their cost is unknown."
        )
    dates = sorted({d for d in cost.table["price_as_of"].astype(str) if d})
    if dates:
        text += f" Prices as of {', '.join(dates)}: check them before use."
    if cost.saving is not None:
        text += " " + saving_text(cost.saving)
    return text


def saving_text(saving: ScopeSaving) -> str:
    """What af_scope=complied saved, in a sentence or two."""
    text = (
        f"af_scope=complied: {saving.skipped:,} samples not labelled compliant were not "
        f"sent to the AF classifier ({saving.graded:,} were)."
    )
    if saving.graded and saving.grader_tokens:
        share = saving.saved_tokens / (saving.saved_tokens + saving.grader_tokens)
        text += (
            f" At the grader's cost per graded sample in the same runs, grading them would "
            f"have taken about {saving.saved_tokens:,.0f} more grader tokens ({share:.0%} of "
            f"the grader tokens of grading all) and {_dollars(saving.saved_usd)} more (an "
            f"estimate: a refusal's transcript is often shorter than a complier's)."
        )
    if saving.unseparated:
        text += (
            f" {_names(saving.unseparated)}: no grader role was bound, so the model under "
            f"test graded itself and its grading cannot be told apart from its answers."
        )
    return text


def cost_markdown(cost: RunCost) -> str:
    """The cost section of ``report.md``."""
    lines = ["## Cost", "", cost_summary(cost), ""]
    if cost.table.empty:
        return "\n".join(lines)
    counted = cost.counted_requests
    lines += [
        "| model | role | "
        + ("requests | " if counted else "")
        + "input | cache read | cache write | output | cache-read share of input | cost |",
        "|---|---|" + ("---:|" if counted else "") + "---:|---:|---:|---:|---:|---:|",
    ]
    for row in cost.table.itertuples(index=False):
        share = "—" if math.isnan(row.cache_read_share) else f"{row.cache_read_share:.0%}"
        requests = ""
        if counted:
            extra = []
            if row.batched_requests:
                extra.append(f"{row.batched_requests:,} batched")
            if row.cached_responses:
                extra.append(f"+{row.cached_responses:,} from Inspect's cache")
            requests = f"{row.requests:,}" + (f" ({'; '.join(extra)})" if extra else "") + " | "
        batch = {"yes": " (batch)", "partly": " (partly batch)"}.get(str(row.batched), "")
        lines.append(
            f"| {row.model} | {row.role}{batch} | {requests}{row.input_tokens:,} | "
            f"{row.cache_read_tokens:,} | {row.cache_write_tokens:,} | {row.output_tokens:,} | "
            f"{share} | {_dollars(float(row.cost_usd))} |"
        )
    lines += [
        "",
        "Tokens are the logs' own usage statistics (a retried run's include every attempt). "
        + (
            "Requests are counted from the samples' events."
            if counted
            else "Request counts and Inspect cache hits are not in them: af-report --requests "
            "counts those from the samples' events (slower on large logs)."
        ),
    ]
    return "\n".join(lines) + "\n"
