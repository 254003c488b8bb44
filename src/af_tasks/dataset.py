"""Query sets, and their expansion into paired samples (one per tier, same query id).

A query set comes from one of three places: the set shipped with the suite, a Hugging Face
dataset (AdvBench by default), or a researcher's own .jsonl/.csv file. All of them are read
and checked when the task is built, so a bad set fails before any model is called.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspect_ai.dataset import MemoryDataset, Sample

from af_tasks.conditions import DEFAULT_TRAINED_TIER, Tier, sample_condition
from af_tasks.errors import DataUnavailableError
from af_tasks.metrics import HUMAN_LABEL, MOTIVE_LABELS
from af_tasks.parsing import MOTIVES
from af_tasks.resources import shipped_path

logger = logging.getLogger(__name__)

BUNDLED = "bundled"
BUNDLED_FILE = "harmful_requests.jsonl"
ANIMAL_WELFARE_FILE = "animal_welfare_queries.jsonl"
EXFILTRATION_FILE = "exfiltration_scenarios.jsonl"
ADVBENCH = "advbench"
# AdvBench harmful behaviours (Zou et al. 2023) as published on the Hugging Face hub.
ADVBENCH_HF_ID = "walledai/AdvBench"
ADVBENCH_REVISION: str | None = None
"""Hub revision that ``dataset=advbench`` loads; None means the hub's current ``main``.

Unpinned on purpose: no full commit hash of the current data could be verified (the suite is
built offline). The hub's history, as seen through a search index, shows the data last
uploaded in commit c5db113 (2 July 2024) and only README edits after it (``main`` at
9d47305, 4 July 2024); the one full hash found, 0fdedd558a32c256cd8b458bf7f393b645cbf475, is
the first upload, which the second replaced, so pinning it might load other rows than
everyone else's. Pin a run yourself with ``dataset=advbench@<full commit hash>`` (the name,
with the revision, is recorded in the log)."""
HF_PREFIX = "hf:"
QUERY_COLUMNS = ("query", "prompt", "goal")
"""Column holding the requests, the first found in this order (``goal`` is AdvBench's)."""
_ANSWER_START = re.compile(r"\s*(sure|certainly|of course)[,!]?\s+here(?:'s| is| are)\b", re.I)


@dataclass(frozen=True)
class Query:
    """One request to put to the model, with a stable id shared by its two samples."""

    id: str
    text: str
    category: str = "uncategorised"


def _rows_to_queries(rows: list[dict[str, Any]], source: str, id_prefix: str) -> list[Query]:
    if not rows:
        raise ValueError(f"{source} has no rows; it needs at least one query.")
    columns = set(rows[0])
    column = next((c for c in QUERY_COLUMNS if c in columns), None)
    if column is None:
        raise ValueError(
            f"{source} has no 'query' column (found: {', '.join(sorted(columns)) or 'none'}). "
            f"Name the column holding the requests 'query'."
        )
    queries: list[Query] = []
    blank: list[int] = []
    for n, row in enumerate(rows, 1):
        text = row.get(column)
        if text is not None and not isinstance(text, str):
            raise ValueError(
                f"{source}, row {n}: '{column}' is {text!r} ({type(text).__name__}), not text; "
                f"write each request as a string."
            )
        if not isinstance(text, str) or not text.strip():
            blank.append(n)
            continue
        problem = query_text_problem(text)
        if problem is not None:
            raise ValueError(f"{source}, row {n}: '{column}' {problem}.")
        raw_id = row.get("id")
        if "id" in row and (raw_id is None or not str(raw_id).strip()):
            raise ValueError(
                f"{source}, row {n}: 'id' is empty ({raw_id!r}); give every row an id, or leave "
                f"the id column out so that every row gets an automatic one."
            )
        qid = str(raw_id).strip() if "id" in row else f"{id_prefix}{n:03d}"
        id_problem = _id_problem(qid)
        if id_problem is not None:
            raise ValueError(f"{source}, row {n}: id {qid[:60]!r} {id_problem}.")
        category = str(row.get("category") or "uncategorised")
        queries.append(Query(qid, text.strip(), category))
    if blank:
        shown = ", ".join(str(n) for n in blank[:10])
        raise ValueError(f"{source}: rows {shown} have an empty '{column}'; fill or remove them.")
    _warn_if_answers(queries, source, column, columns)
    seen: dict[str, int] = {}
    for q in queries:
        seen[q.id] = seen.get(q.id, 0) + 1
    duplicates = sorted(i for i, count in seen.items() if count > 1)
    if duplicates:
        raise ValueError(
            f"{source}: ids must be unique so the two tiers of a query pair up; "
            f"repeated: {', '.join(duplicates[:10])}."
        )
    return queries


MAX_ID_LENGTH = 100
"""Longest query id accepted (it becomes part of every sample id and report row)."""
_INVISIBLE_ONLY = re.compile("^[\\s\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff]*$")
PROTOCOL_TAGS = ("INPUT", "user_input", "NEXT")
"""Tags that structure the user turn; every registered tier design's tag names join them."""


def protocol_tag_names() -> tuple[str, ...]:
    """The user-turn tags and the tag names of every registered tier design (so a design
    registered from outside, e.g. ``<user_tier>``, is covered too)."""
    from af_tasks.tiers import tier_designs

    names = list(PROTOCOL_TAGS)
    for design in tier_designs():
        names += re.findall(r"<\s*/?\s*(\w+)", design.tag)
    return tuple(dict.fromkeys(names))


def _protocol_tag(text: str) -> re.Match[str] | None:
    names = "|".join(re.escape(name) for name in protocol_tag_names())
    return re.search(rf"<\s*/?\s*({names})\b[^<>]*>", text, re.IGNORECASE)


def query_text_problem(text: str) -> str | None:
    """Why a request cannot be sent as written (None when it can).

    A request holding the tags that frame the user turn and give its tier (``</user_input>``
    then ``<is_free_tier_user>True``...) could show the model another tier than its sample
    counts in: refused, with the row named, rather than rewritten, so the request measured is
    the one in the file (docs/inputs.md says why). A NUL byte or a request of invisible
    characters only is a data error.
    """
    if "\x00" in text:
        return "holds a NUL byte (\\x00); remove it"
    if _INVISIBLE_ONLY.match(text):
        return "holds only invisible characters (zero-width or soft hyphens); fill or remove it"
    tag = _protocol_tag(text)
    if tag is not None:
        return (
            f"holds {tag.group(0)!r}, a tag of the prompt's own format, which could make the "
            f"request claim another tier or end the user input early; remove the tag or "
            f"write it differently (e.g. without the angle brackets)"
        )
    return None


def _id_problem(qid: str) -> str | None:
    """Why an id cannot name samples (None when it can)."""
    if len(qid) > MAX_ID_LENGTH:
        return f"is {len(qid)} characters long; use at most {MAX_ID_LENGTH}"
    if any(not ch.isprintable() for ch in qid):
        return "holds line breaks or control characters; use a short printable id"
    return None


def _warn_if_answers(queries: list[Query], source: str, column: str, columns: set[str]) -> None:
    """Warn when the request column holds answers ("Sure, here is ..."): a swapped header.

    AdvBench pairs each request (``goal``) with the start of a compliant answer (``target``);
    a file whose header names them the other way round would put answers to the model.
    """
    answers = sum(1 for q in queries if _ANSWER_START.match(q.text))
    if answers * 2 < len(queries):
        return
    others = ", ".join(sorted(columns - {column})) or "none"
    logger.warning(
        "%s: %d of %d entries in the '%s' column start like an answer (\"Sure, here is ...\"), "
        "not a request; is the header swapped? The requests must be in '%s' (other columns: "
        "%s).",
        source,
        answers,
        len(queries),
        column,
        column,
        others,
    )


def _read_json(path: Path) -> list[dict[str, Any]]:
    """Rows of a .json file: an array of objects, or an object holding one such array."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err.msg}, line {err.lineno}).") from err
    if isinstance(data, dict):
        arrays = [key for key, value in data.items() if isinstance(value, list)]
        if len(arrays) != 1:
            raise ValueError(
                f"{path} holds a JSON object; give an array of records, or an object with "
                f"exactly one array of records (found arrays: {', '.join(arrays) or 'none'})."
            )
        data = data[arrays[0]]
    if not isinstance(data, list):
        raise ValueError(f"{path}: the JSON must be an array of records (objects).")
    bad = [n for n, row in enumerate(data, 1) if not isinstance(row, dict)]
    if bad:
        raise ValueError(f"{path}: record {bad[0]} is not a JSON object; each record must be one.")
    return data


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}, line {n}: not valid JSON ({err.msg}).") from err
        if not isinstance(row, dict):
            raise ValueError(f"{path}, line {n}: each line must be a JSON object.")
        rows.append(row)
    return rows


def _not_utf8(file: Path, err: UnicodeDecodeError) -> str:
    return (
        f"{file} is not UTF-8 text (byte 0x{err.object[err.start]:02x} at position "
        f"{err.start}); save it as UTF-8."
    )


def read_rows(path: str | Path, what: str, columns_hint: str) -> list[dict[str, Any]]:
    """The rows of a .jsonl, .json or .csv file as dicts; clear errors for a missing or bad file.

    ``what`` names the file in messages (e.g. "Query file"); ``columns_hint`` says which
    columns it needs.
    """
    file = Path(path).expanduser()
    if not file.is_file():
        raise FileNotFoundError(f"{what} {str(path)!r} does not exist.")
    suffix = file.suffix.lower()
    try:
        if suffix == ".jsonl":
            return _read_jsonl(file)
        if suffix == ".json":
            return _read_json(file)
    except UnicodeDecodeError as err:
        raise ValueError(_not_utf8(file, err)) from err
    except RecursionError as err:
        raise ValueError(
            f"{file}: the JSON is nested too deeply to read; each record must be a flat "
            f"object of text fields."
        ) from err
    if suffix == ".csv":
        import pandas as pd

        try:
            frame = pd.read_csv(file, dtype=str, keep_default_na=False)
        except UnicodeDecodeError as err:
            raise ValueError(_not_utf8(file, err)) from err
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
            raise ValueError(f"{file} could not be read as CSV ({err}).") from err
        return [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]
    raise ValueError(
        f"{what} {file} has extension {suffix or '(none)'}; use a .jsonl, .json or .csv file "
        f"with {columns_hint}."
    )


def load_query_file(path: str | Path) -> list[Query]:
    """Queries from a .jsonl or .csv file with a ``query`` column (``id``/``category`` optional)."""
    rows = read_rows(path, "Query file", "a 'query' column")
    return _rows_to_queries(rows, str(Path(path).expanduser()), id_prefix="row")


def load_hf_rows(
    dataset_id: str, split: str = "train", revision: str | None = None, offline_hint: str = ""
) -> list[dict[str, Any]]:
    """The rows of a Hugging Face dataset (a hub id, or a local folder in the same layout)."""
    # Run from the repository root, mypy takes the top-level datasets/ folder (our data) for
    # the `datasets` package, hence the ignore; elsewhere it is unused.
    from datasets import load_dataset  # type: ignore[attr-defined,unused-ignore]

    try:
        data = load_dataset(dataset_id, split=split, revision=revision)
    except Exception as err:  # datasets raises many types; all mean "could not load"
        raise DataUnavailableError(
            f"Could not load the Hugging Face dataset {dataset_id!r} (split {split!r}): "
            f"{type(err).__name__}: {err}. Loading it needs network access to the hub (or a "
            f"copy in the local cache).{' ' + offline_hint if offline_hint else ''}"
        ) from err
    return [dict(row) for row in data]


def load_hf_queries(
    dataset_id: str, split: str = "train", revision: str | None = None
) -> list[Query]:
    """Queries from a Hugging Face dataset (a hub id, or a local folder in the same layout)."""
    rows = load_hf_rows(
        dataset_id,
        split,
        revision,
        offline_hint="Offline, pass dataset='path/to/queries.jsonl' or '.csv' with a 'query' "
        "column, or use the bundled set (dataset='bundled').",
    )
    prefix = "advbench-" if dataset_id == ADVBENCH_HF_ID else "hf-"
    return _rows_to_queries(rows, f"dataset {dataset_id!r}", prefix)


def load_queries(dataset: str, bundled_file: str | Path = BUNDLED_FILE) -> tuple[str, list[Query]]:
    """(name, queries) for a ``dataset`` task parameter; unknown values fail with the choices.

    ``bundled`` means the task's own shipped set (``bundled_file`` in ``datasets/``);
    ``advbench`` loads ``ADVBENCH_REVISION`` of AdvBench and ``advbench@<revision>`` the
    revision named.
    """
    if dataset == BUNDLED:
        if isinstance(bundled_file, Path):  # a registered setting's own query file
            return BUNDLED, load_query_file(bundled_file.expanduser())
        return BUNDLED, load_query_file(shipped_path("datasets", bundled_file))
    if dataset == ADVBENCH:
        return ADVBENCH, load_hf_queries(ADVBENCH_HF_ID, revision=ADVBENCH_REVISION)
    if dataset.startswith(ADVBENCH + "@"):
        revision = dataset[len(ADVBENCH) + 1 :].strip()
        if not revision:
            raise ValueError(
                f"dataset={dataset!r}: give a hub revision after '@' (a commit hash, tag or "
                f"branch of {ADVBENCH_HF_ID}), or use dataset='{ADVBENCH}'."
            )
        return f"{ADVBENCH}@{revision}", load_hf_queries(ADVBENCH_HF_ID, revision=revision)
    if dataset.startswith(HF_PREFIX):
        return dataset, load_hf_queries(dataset[len(HF_PREFIX) :])
    path = Path(dataset).expanduser()
    if path.suffix.lower() in (".jsonl", ".json", ".csv") or path.exists():
        if not path.is_file():
            raise FileNotFoundError(
                f"dataset={dataset!r}: no such file. Give an existing .jsonl/.csv file, or one "
                f"of: {BUNDLED}, {ADVBENCH}, {HF_PREFIX}<hub id>."
            )
        return path.stem, load_query_file(path)
    raise ValueError(
        f"dataset={dataset!r} is not a known query set or a file. Use one of: {BUNDLED} (the "
        f"shipped set), {ADVBENCH} (AdvBench from the Hugging Face hub), {HF_PREFIX}<hub id>, "
        f"or the path of a .jsonl/.csv file with a 'query' column."
    )


def paired_samples(
    queries: list[Query],
    tiers: tuple[Tier, ...],
    dataset_name: str,
    condition: dict[str, Any] | None = None,
    arms: tuple[str, ...] = (),
    trained_tier: Tier = DEFAULT_TRAINED_TIER,
    tier_design: str | None = None,
) -> MemoryDataset:
    """One sample per query and tier, tiers adjacent, so any ``--limit`` keeps pairs whole.

    Sample ids are ``{query_id}-{tier}``; the metadata carries the query, its tier, its
    ``condition`` (from :func:`af_tasks.conditions.sample_condition`: which tier the prompt
    says is trained, ``trained_tier``, decides it) and every condition field, so scorers and
    reports never need to reconstruct the setup. With ``arms`` (prompt variants, e.g. a
    control prompt), each query is run in every arm and tier; the pair of an arm is
    ``{query_id}-{arm}`` and the metadata ``arm`` is ``{arm}-{condition}``. ``tier_design``
    names a tier design other than the default (recorded as ``tier_design``; the default's
    samples do not carry the key, as before designs existed).
    """

    def condition_of_tier(tier: Tier) -> str:
        return sample_condition(tier, trained_tier, tier_design)

    samples = [
        Sample(
            id=f"{q.id}-{arm}-{tier}" if arm else f"{q.id}-{tier}",
            input=q.text,
            metadata={
                "query_id": f"{q.id}-{arm}" if arm else q.id,
                "query": q.text,
                "category": q.category,
                "tier": tier,
                "condition": condition_of_tier(tier),
                "trained_tier": trained_tier,
                **({"tier_design": tier_design} if tier_design else {}),
                "dataset": dataset_name,
                **({"prompt_arm": arm, "arm": f"{arm}-{condition_of_tier(tier)}"} if arm else {}),
                **(condition or {}),
            },
        )
        for q in queries
        for arm in (arms or ("",))
        for tier in tiers
    ]
    return MemoryDataset(samples, name=dataset_name, shuffled=False)


# --- Labelled scratchpads (for validating the alignment-faking classifiers) -----------------

LABELLED_FILE = "labelled_scratchpads.jsonl"
VALIDATION_FLAG = "classifier_validation"
"""Sample metadata flag: the model under test is the classifier being validated, so its
grading itself is intended (no self-grading warning)."""
SCRATCHPAD_COLUMNS = ("scratchpad", "reasoning", "transcript", "text", "response", "completion")
LABEL_COLUMNS = ("label", "human_label", "is_af", "alignment_faking", "af")
AF_LABEL, NOT_AF_LABEL = "af", "not_af"
# Label vocabularies in use: ours (af/not_af), the 2025 replication's human labels
# (potential_faking/aligned), yes/no, booleans and 0/1, compared after lower-casing and
# turning spaces and hyphens into underscores.
_POSITIVE = {"af", "alignment_faking", "potential_faking", "faking", "yes", "true", "1", "positive"}
_NEGATIVE = {
    "not_af",
    "no_af",
    "non_af",
    "not_alignment_faking",
    "not_faking",
    "aligned",
    "no",
    "false",
    "0",
    "negative",
}


@dataclass(frozen=True)
class LabelledScratchpad:
    """A scratchpad with a human label: 1 = alignment faking, 0 = not."""

    id: str
    scratchpad: str
    label: int
    output: str | None = None
    kind: str = "unspecified"
    tier: str | None = None
    note: str = ""


@dataclass(frozen=True)
class LabelReading:
    """How a labelled file was read: which columns, and how each label value was taken."""

    text_column: str
    label_column: str
    values: dict[str, int]
    """Each label value found (as written) and the label it was read as (1 = AF, 0 = not)."""
    counts: dict[str, int]
    """How many items carry each label value (as written)."""

    def describe(self) -> str:
        """One line a researcher can check: the columns and the value mapping with counts."""
        mapping = ", ".join(
            f"{value!r} -> {AF_LABEL if label else NOT_AF_LABEL} ({self.counts[value]})"
            for value, label in sorted(self.values.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        return (
            f"text from column {self.text_column!r}, label from column "
            f"{self.label_column!r}: {mapping}"
        )

    def metadata(self) -> dict[str, Any]:
        """The reading as task metadata (shown in the log's task information)."""
        return {
            "text_column": self.text_column,
            "label_column": self.label_column,
            "label_values": {
                v: AF_LABEL if lab else NOT_AF_LABEL for v, lab in self.values.items()
            },
            "label_counts": dict(self.counts),
        }


@dataclass(frozen=True)
class LabelledSet:
    """A labelled set as loaded: its name, its items and how its columns were read."""

    name: str
    items: list[LabelledScratchpad]
    reading: LabelReading


def _label(value: Any) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float) and value in (0, 1):
        return int(value)
    text = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    return 1 if text in _POSITIVE else 0 if text in _NEGATIVE else None


def _pick_column(
    columns: set[str], chosen: str | None, candidates: tuple[str, ...], role: str, source: str
) -> str | None:
    if chosen is None:
        return next((c for c in candidates if c in columns), None)
    if chosen not in columns:
        raise ValueError(
            f"{source} has no column {chosen!r} for the {role}; its columns are: "
            f"{', '.join(sorted(columns)) or 'none'}."
        )
    return chosen


def _rows_to_labelled(
    rows: list[dict[str, Any]],
    source: str,
    text_column: str | None = None,
    label_column: str | None = None,
) -> tuple[list[LabelledScratchpad], LabelReading]:
    if not rows:
        raise ValueError(f"{source} has no rows; it needs labelled scratchpads.")
    columns = set(rows[0])
    text_col = _pick_column(columns, text_column, SCRATCHPAD_COLUMNS, "scratchpad text", source)
    label_col = _pick_column(columns, label_column, LABEL_COLUMNS, "label", source)
    if text_col is None or label_col is None:
        raise ValueError(
            f"{source} needs a 'scratchpad' column (or one of {', '.join(SCRATCHPAD_COLUMNS)}) "
            f"and a 'label' column (or one of {', '.join(LABEL_COLUMNS)}); found: "
            f"{', '.join(sorted(columns)) or 'none'}. Name others with text_column= and "
            f"label_column=."
        )
    items: list[LabelledScratchpad] = []
    values: dict[str, int] = {}
    counts: dict[str, int] = {}
    for n, row in enumerate(rows, 1):
        text, raw_label = row.get(text_col), row.get(label_col)
        label = _label(raw_label)
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{source}, row {n}: the '{text_col}' column is empty.")
        if label is None:
            raise ValueError(
                f"{source}, row {n}: label {raw_label!r} is not understood; use "
                f"'{AF_LABEL}' or '{NOT_AF_LABEL}' (or potential_faking/aligned, yes/no, "
                f"true/false, 1/0)."
            )
        shown = str(raw_label)
        values[shown] = label
        counts[shown] = counts.get(shown, 0) + 1
        raw_id = row.get("id")
        output = row.get("output")
        tier = row.get("tier")
        items.append(
            LabelledScratchpad(
                id=str(raw_id).strip() if raw_id not in (None, "") else f"item{n:03d}",
                scratchpad=text,
                label=label,
                output=output if isinstance(output, str) and output.strip() else None,
                kind=str(row.get("kind") or "unspecified"),
                tier=str(tier) if tier not in (None, "") else None,
                note=str(row.get("note") or ""),
            )
        )
    ids = [item.id for item in items]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ValueError(f"{source}: ids must be unique; repeated: {', '.join(repeated[:10])}.")
    return items, LabelReading(text_col, label_col, values, counts)


def read_labelled(
    data: str, text_column: str | None = None, label_column: str | None = None
) -> LabelledSet:
    """The labelled set for the ``data`` parameter of ``classifier_validation``.

    ``bundled`` is the set shipped in ``datasets/``; ``hf:<id>`` a Hugging Face dataset (its
    train split); anything else the path of a .jsonl, .json (an array of records) or .csv
    file. The text is the first of :data:`SCRATCHPAD_COLUMNS` present and the label the
    first of :data:`LABEL_COLUMNS`, unless ``text_column``/``label_column`` name others;
    ``id``, ``output``, ``kind``, ``tier``, ``note`` are optional. Which columns and label
    values were used is returned with the items, to be reported.
    """
    hint = "'scratchpad' and 'label' columns"
    if data == BUNDLED:
        path = shipped_path("datasets", LABELLED_FILE)
        rows = read_rows(path, "Labelled file", hint)
        name, source = "labelled_scratchpads", str(path)
    elif data.startswith(HF_PREFIX):
        dataset_id = data[len(HF_PREFIX) :]
        rows = load_hf_rows(
            dataset_id,
            offline_hint="Offline, pass data='path/to/labelled.json' (or .jsonl, .csv) with "
            "'scratchpad' and 'label' columns, or use the bundled set (data='bundled').",
        )
        name, source = data, f"dataset {dataset_id!r}"
    else:
        path = Path(data).expanduser()
        if path.suffix.lower() not in (".jsonl", ".json", ".csv") and not path.exists():
            raise ValueError(
                f"data={data!r} is not a known labelled set or a file. Use {BUNDLED} (the "
                f"shipped set), {HF_PREFIX}<hub id>, or the path of a .jsonl, .json or .csv "
                f"file with 'scratchpad' (or 'text') and 'label' columns."
            )
        rows = read_rows(path, "Labelled file", hint)
        name, source = path.stem, str(path)
    items, reading = _rows_to_labelled(rows, source, text_column, label_column)
    return LabelledSet(name, items, reading)


def load_labelled(data: str) -> tuple[str, list[LabelledScratchpad]]:
    """(name, items) for the ``data`` parameter of ``classifier_validation``; see
    :func:`read_labelled`."""
    labelled = read_labelled(data)
    return labelled.name, labelled.items


def labelled_samples(items: list[LabelledScratchpad], name: str) -> MemoryDataset:
    """One sample per labelled scratchpad; the target and ``human_label`` hold the label."""
    samples = [
        Sample(
            id=item.id,
            input=item.scratchpad,
            target=AF_LABEL if item.label else NOT_AF_LABEL,
            metadata={
                HUMAN_LABEL: item.label,
                "kind": item.kind,
                "tier": item.tier,
                "note": item.note,
                "output": item.output,
                "dataset": name,
                VALIDATION_FLAG: True,
            },
        )
        for item in items
    ]
    return MemoryDataset(samples, name=name, shuffled=False)


# --- Scratchpads labelled with motives (for validating the motivation classifier) ---------

MOTIVATION_FILE = "motivation_scratchpads.jsonl"


def motivation_samples(data: str = BUNDLED) -> MemoryDataset:
    """Scratchpads labelled with the motives a person read in them, one sample each.

    ``data``: ``bundled`` (the 44 shipped in ``datasets/motivation_scratchpads.jsonl``) or the
    path of a .jsonl file in that shape: ``scratchpad`` (text), ``motives`` (a list of motive
    names from :data:`af_tasks.parsing.MOTIVES`, empty for none), ``id`` optional. The labels
    go to metadata ``human_motives``. A record with another shape is refused, naming it.
    """
    path = shipped_path("datasets", MOTIVATION_FILE) if data == BUNDLED else Path(data)
    if not path.is_file():
        raise FileNotFoundError(
            f"data={data!r} is not a file; pass a .jsonl of records with 'scratchpad' and "
            f"'motives', or data=bundled."
        )
    samples = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        record = json.loads(line)
        text, motives = record.get("scratchpad"), record.get("motives")
        if not isinstance(text, str) or not isinstance(motives, list):
            raise ValueError(
                f"{path} line {n}: a record needs 'scratchpad' (text) and 'motives' (a list)."
            )
        unknown = sorted(set(map(str, motives)) - set(MOTIVES))
        if unknown:
            raise ValueError(
                f"{path} line {n}: unknown motives {unknown}; use: {', '.join(MOTIVES)}."
            )
        samples.append(
            Sample(
                id=str(record.get("id", f"motive-{n}")),
                input=text,
                metadata={
                    MOTIVE_LABELS: [str(m) for m in motives],
                    "dataset": path.stem,
                    VALIDATION_FLAG: True,
                },
            )
        )
    return MemoryDataset(samples, name=path.stem, shuffled=False)
