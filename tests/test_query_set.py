"""The shipped harmful-request set: size, documented categories, no repeats, AdvBench revision.

The set must be large enough to resolve an Opus-sized gap (see ``benchmarks/power.py``), its
categories are the ones docs/queries.md lists (with their counts), and no request may repeat
another in other words: a near-duplicate would count one request twice in every rate.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from af_tasks import dataset as dataset_module
from af_tasks import free_vs_paid
from af_tasks.dataset import load_queries
from af_tasks.resources import shipped_path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
DOC = ROOT / "docs" / "queries.md"
NEAR_DUPLICATE = 0.6
"""Token-set Jaccard at or above which two requests count as the same request reworded.

The shipped set's closest pair scores 0.47 (two requests sharing only a sentence frame such as
"What's the best way to ... during a ..."); one word swapped in a 15-word request scores
about 0.8."""
MIN_REQUESTS, MIN_CATEGORIES = 400, 10


def _rows() -> list[dict[str, Any]]:
    path = shipped_path("datasets", "harmful_requests.jsonl")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _tokens(text: str) -> frozenset[str]:
    """Lower-cased words and numbers: punctuation, case and word order do not matter."""
    return frozenset(re.findall(r"[a-z0-9]+", text.lower()))


def _jaccard(a: str, b: str) -> float:
    ta, tb = _tokens(a), _tokens(b)
    return len(ta & tb) / len(ta | tb)


def near_duplicates(texts: list[str], threshold: float = NEAR_DUPLICATE) -> list[tuple[int, int]]:
    """Index pairs of texts whose token sets overlap at or above ``threshold``."""
    return [
        (i, j)
        for (i, a), (j, b) in itertools.combinations(enumerate(texts), 2)
        if _jaccard(a, b) >= threshold
    ]


def _documented_categories() -> dict[str, int]:
    """The category table of docs/queries.md: ``| `name` | count | description |`` rows."""
    rows = re.findall(r"^\| `([a-z_]+)` \| (\d+) \|", DOC.read_text(encoding="utf-8"), re.M)
    return {name: int(count) for name, count in rows}


def test_set_is_large_enough_and_in_the_loader_schema() -> None:
    rows = _rows()
    assert len(rows) >= MIN_REQUESTS
    assert all(set(row) == {"id", "query", "category"} for row in rows)
    name, queries = load_queries("bundled")
    assert name == "bundled" and len(queries) == len(rows)
    assert [q.text for q in queries] == [row["query"].strip() for row in rows]


def test_ids_are_unique_and_the_original_120_come_first() -> None:
    ids = [row["id"] for row in _rows()]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"q\d{3}", i) for i in ids)
    # The first 120 are the set's first release, in order: `make demo` (--limit 240) and the
    # figures in docs/report.md are computed on exactly these.
    assert ids[:120] == [f"q{n:03d}" for n in range(1, 121)]


def test_categories_are_the_documented_ones_with_their_counts() -> None:
    documented = _documented_categories()
    assert len(documented) >= MIN_CATEGORIES
    assert dict(Counter(row["category"] for row in _rows())) == documented


def test_every_prefix_used_by_the_demo_mixes_categories() -> None:
    # Requests are interleaved by category, so a --limit run is not one topic only.
    first_120 = Counter(row["category"] for row in _rows()[:120])
    assert len(first_120) >= MIN_CATEGORIES and max(first_120.values()) <= 12


def test_no_exact_or_near_duplicate_requests() -> None:
    texts = [row["query"] for row in _rows()]
    normalised = [" ".join(sorted(_tokens(t))) for t in texts]
    assert len(set(normalised)) == len(texts)
    found = [(texts[i], texts[j]) for i, j in near_duplicates(texts)]
    assert found == []


def test_near_duplicate_check_catches_a_reworded_request() -> None:
    texts = [row["query"] for row in _rows()[:20]]
    # q004, one word swapped and one added.
    reworded = texts[3].replace("most effective", "most reliable").replace("?", " later?")
    assert reworded != texts[3]
    assert near_duplicates(texts) == []
    assert near_duplicates([*texts, reworded]) == [(3, len(texts))]


def test_task_runs_on_every_request_in_both_tiers() -> None:
    dataset = free_vs_paid().dataset
    ids = [str(sample.id) for sample in dataset]
    rows = _rows()
    assert len(ids) == 2 * len(rows)
    assert ids[:2] == ["q001-free", "q001-paid"] and ids[-1] == f"{rows[-1]['id']}-paid"


# --- AdvBench revision -----------------------------------------------------------------------


@pytest.fixture
def advbench_from_fixture(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Serve AdvBench from the local fixture and record what reaches ``load_dataset``."""
    import datasets

    calls: list[dict[str, Any]] = []
    real = datasets.load_dataset

    def recording(path: str, **kwargs: Any) -> Any:
        calls.append({"path": path, **kwargs})
        return real(path, **kwargs)  # a local folder: the real loader, offline

    monkeypatch.setattr(datasets, "load_dataset", recording)
    monkeypatch.setattr(dataset_module, "ADVBENCH_HF_ID", str(FIXTURES / "advbench_like"))
    return calls


def test_advbench_passes_its_revision_to_the_loader(
    advbench_from_fixture: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    pinned = "0123456789abcdef0123456789abcdef01234567"
    monkeypatch.setattr(dataset_module, "ADVBENCH_REVISION", pinned)
    name, queries = load_queries("advbench")
    assert name == "advbench" and len(queries) == 3
    assert advbench_from_fixture[-1]["revision"] == pinned
    assert advbench_from_fixture[-1]["path"] == str(FIXTURES / "advbench_like")


def test_advbench_at_a_revision_loads_that_revision_and_names_it(
    advbench_from_fixture: list[dict[str, Any]],
) -> None:
    name, queries = load_queries("advbench@v1.2")
    assert name == "advbench@v1.2" and [q.id for q in queries][0] == "advbench-001"
    assert advbench_from_fixture[-1]["revision"] == "v1.2"
    with pytest.raises(ValueError, match="give a hub revision after '@'"):
        load_queries("advbench@ ")


def test_readme_states_the_advbench_revision() -> None:
    readme = (ROOT / "docs" / "development.md").read_text(encoding="utf-8")
    assert dataset_module.ADVBENCH_HF_ID == "walledai/AdvBench"
    revision = dataset_module.ADVBENCH_REVISION
    if revision is None:
        assert "AdvBench is loaded unpinned" in readme
    else:
        assert revision in readme
