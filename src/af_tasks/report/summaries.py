"""Read a log's sample summaries one at a time, keeping only the columns the report uses.

Why not only ``samples_df``: Inspect's reader validates every summary of a log into objects
(thinning each text field again) before it builds the first row, so a log's summaries are
all in memory at once: about 1 ms and 22 kB a sample, over 1 GB for a 50,000-sample log. The
report needs a handful of metadata keys and each scorer's value.

So for a finished ``.eval`` log this module reads the log's consolidated sample summaries
(the ``summaries.json`` member, the very records ``samples_df`` reads) as a stream, one
summary at a time, keeps the columns the report reads, and drops the rest at once. The frame
it returns has the columns, values and types ``samples_df`` gives for the same log with
:data:`af_tasks.report.loading.SAMPLE_DF_COLUMNS` (the tests compare both on mixed logs):
the same column names, dicts and lists serialised as JSON text as Inspect's reader does, the
same rule for repeated samples (the last record of a sample id and epoch, then one row per
uuid), Arrow-backed columns. Anything this reader is not sure of (a ``.json`` log, a log still
running, which has only journal summaries, an unknown compression, a malformed record, a
score column mixing types) makes it return None, and the caller reads the log with
``samples_df``: the slower reader stays the reference.
"""

from __future__ import annotations

import io
import json
import math
import struct
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse
from urllib.request import url2pathname

import pandas as pd
import pyarrow as pa

SUMMARIES_MEMBER = "summaries.json"
"""Where a finished ``.eval`` log keeps the summaries of all its samples."""

ZIP_ZSTANDARD = 93
"""The zip compression method number of Zstandard (Inspect's default for ``.eval`` logs)."""

CHUNK = 1 << 20
"""Characters of decompressed summaries read at a time."""


STREAMED_COLUMNS = ("id", "epoch", "metadata_*", "score_*", "error")
"""The ``samples_df`` columns (:data:`af_tasks.report.loading.SAMPLE_DF_COLUMNS`) this reader
gives; a column added there must be added here too (a test holds the two lists equal)."""


class NotReadable(Exception):
    """This reader cannot read the log exactly; the caller uses ``samples_df``."""


def summary_frame(log: str, metadata_keys: Sequence[str]) -> pd.DataFrame | None:
    """The log's samples as ``samples_df`` gives them with the report's columns: ``id``,
    ``epoch``, ``metadata_<key>`` for each of ``metadata_keys`` any sample has,
    ``score_<scorer>`` (each scorer's value) and ``error``; None when the log must be read
    with ``samples_df`` instead (see the module docstring)."""
    path = _local_path(log)
    if path is None or path.suffix != ".eval":
        return None
    try:
        with _summaries_text(path) as text:
            records = _records(_summaries(text), frozenset(metadata_keys))
        return _frame(records)
    except (NotReadable, OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
        return None


def _local_path(log: str) -> Path | None:
    """The file of a local log (a path or a ``file://`` URI); None for remote storage."""
    if log.startswith("file://"):
        return Path(url2pathname(urlparse(log).path))
    return None if "://" in log else Path(log)


class _Text:
    """The decompressed text of the summaries member, as a context manager."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.text = io.TextIOWrapper(stream, encoding="utf-8")

    def __enter__(self) -> io.TextIOWrapper:
        return self.text

    def __exit__(self, *exc: object) -> None:
        self.text.close()


def _summaries_text(path: Path) -> _Text:
    with zipfile.ZipFile(path) as archive:
        try:
            info = archive.getinfo(SUMMARIES_MEMBER)
        except KeyError as err:  # a running log: only journal summaries
            raise NotReadable(SUMMARIES_MEMBER) from err
        if info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            return _Text(io.BytesIO(archive.read(info)))
        if info.compress_type != ZIP_ZSTANDARD:
            raise NotReadable(f"compression {info.compress_type}")
    import zstandard  # Inspect's own dependency, for its .eval logs

    with path.open("rb") as raw:
        raw.seek(info.header_offset)
        header = raw.read(30)  # the member's local header: its data follows name and extra
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise NotReadable("local header")
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        raw.seek(info.header_offset + 30 + name_length + extra_length)
        compressed = raw.read(info.compress_size)
    if len(compressed) != info.compress_size:
        raise NotReadable("truncated member")
    reader = zstandard.ZstdDecompressor().stream_reader(
        io.BytesIO(compressed), read_across_frames=True
    )
    return _Text(io.BufferedReader(reader))


def _summaries(text: IO[str]) -> Iterator[dict[str, Any]]:
    """Each summary of the JSON list in ``text``, decoded one at a time."""
    decoder = json.JSONDecoder()  # accepts NaN and Infinity, which Inspect writes
    buffer, at, opened, closed = "", 0, False, False
    while True:
        chunk = text.read(CHUNK)
        buffer, at = buffer[at:] + chunk, 0
        while True:
            while at < len(buffer) and buffer[at] in " \t\r\n,":
                if buffer[at] == "," and not opened:
                    raise NotReadable("comma before the list")
                at += 1
            if at == len(buffer):
                break
            if closed:
                raise NotReadable("text after the list")
            if not opened:
                if buffer[at] != "[":
                    raise NotReadable("not a list")
                opened, at = True, at + 1
                continue
            if buffer[at] == "]":
                closed, at = True, at + 1
                continue
            try:
                summary, end = decoder.raw_decode(buffer, at)
            except json.JSONDecodeError:
                if not chunk:
                    raise NotReadable("malformed summary") from None
                break  # the summary goes on in the next chunk
            if not isinstance(summary, dict):
                raise NotReadable("a summary that is not an object")
            yield summary
            at = end
        if not chunk:
            if not closed:
                raise NotReadable("unterminated list")
            return


def _cell(value: Any) -> Any:
    """A value as Inspect's frames hold it: dicts and lists as JSON text."""
    return json.dumps(value) if isinstance(value, dict | list) else value


def _records(
    summaries: Iterator[dict[str, Any]], metadata_keys: frozenset[str]
) -> list[dict[str, Any]]:
    """One record per sample: the last summary of each sample id and epoch (a re-run
    sample's later record), then the first of each uuid, in the order of first appearance."""
    by_key: dict[tuple[str, Any], dict[str, Any]] = {}
    for summary in summaries:
        sample_id, epoch = summary.get("id"), summary.get("epoch")
        if sample_id is None or epoch is None:
            raise NotReadable("a summary without id or epoch")
        record: dict[str, Any] = {"id": str(sample_id), "epoch": epoch}
        metadata = summary.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise NotReadable("metadata")
        for key in metadata_keys & metadata.keys():
            record[f"metadata_{key}"] = _cell(metadata[key])
        scores = summary.get("scores")
        if isinstance(scores, dict):
            for name, score in scores.items():
                value = score.get("value") if isinstance(score, dict) else score
                record[f"score_{name}"] = _cell(value)
        elif scores is not None:
            raise NotReadable("scores")
        error = summary.get("error")
        record["error"] = "" if error is None else error
        record["_uuid"] = summary.get("uuid")
        by_key[(str(sample_id), epoch)] = record
    seen: set[str] = set()
    records = []
    for record in by_key.values():
        uuid = record.pop("_uuid")
        if uuid is not None:
            if uuid in seen:
                continue
            seen.add(uuid)
        records.append(record)
    return records


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The records as an Arrow-backed frame, as ``samples_df`` builds its frame."""
    frame = pd.DataFrame(records)
    for column in frame.columns:
        if frame[column].dtype == object:
            kinds = {type(v) for v in frame[column] if not _missing(v)}
            if len(kinds) > 1 and not kinds <= {str, bytes}:
                raise NotReadable(f"{column} mixes {sorted(k.__name__ for k in kinds)}")
    if "epoch" in frame.columns and frame["epoch"].map(type).ne(int).any():
        raise NotReadable("epoch")
    table = pa.Table.from_pandas(frame)
    return table.to_pandas(types_mapper=_arrow_dtype)


def _arrow_dtype(arrow_type: pa.DataType) -> pd.ArrowDtype:
    return pd.ArrowDtype(pa.string() if pa.types.is_null(arrow_type) else arrow_type)
