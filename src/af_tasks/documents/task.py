"""The ``synthetic_documents`` task: pre-training-like documents that convey the situation.

One sample per (fact, document-type slot): the slots of a fact share one brainstormed list of
types and each takes its own, so a run's samples cover every fact with several kinds of
document, ``--limit`` keeps whole samples, and a resumed run redoes only unfinished ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample

from af_tasks.documents.filter import document_filter
from af_tasks.documents.solvers import brainstorm_ideas, brainstorm_types, write_documents
from af_tasks.documents.templates import STAGES, filter_template, stage_template
from af_tasks.documents.universe import DocumentSetting, Universe, load_universe
from af_tasks.errors import reported_as_parameter_errors

TASK_VERSION = 1
MAX_PER_STAGE = 50


def _count(name: str, value: Any) -> int:
    limit = 10**6 if name == "types_round" else MAX_PER_STAGE
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
        raise ValueError(
            f"{name} must be a whole number from 1 to {limit} (got {value!r}), e.g. -T {name}=3."
        )
    return value


def _stage_path(prompt_dir: str | None, stage: str) -> str | None:
    """A researcher's own prompt for a stage, if their folder has one (else the shipped)."""
    if prompt_dir is None:
        return None
    folder = Path(prompt_dir).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(
            f"prompt_dir={prompt_dir!r} is not a folder; pass a folder holding any of "
            + ", ".join(f"{s}.md" for s in STAGES)
            + " (stages without a file use the shipped prompt)."
        )
    path = folder / f"{stage}.md"
    return str(path) if path.is_file() else None


def document_samples(universe: Universe, setting: str, types_per_fact: int) -> MemoryDataset:
    """Samples slot by slot (every fact's first type, then every fact's second, ...), so
    ``--limit`` spreads over the facts rather than exhausting the first ones."""
    context = universe.prompt_text()
    samples = [
        Sample(
            id=f"{fact.id}-type{slot}",
            input=fact.text,
            metadata={
                "fact_id": fact.id,
                "fact": fact.text,
                "type_slot": slot,
                "setting": setting,
                "universe": str(universe.path),
                "universe_version": universe.version,
                "universe_context": context,
            },
        )
        for slot in range(1, types_per_fact + 1)
        for fact in universe.facts
    ]
    return MemoryDataset(samples, name=f"universe_{setting}", location=str(universe.path))


@task
@reported_as_parameter_errors
def synthetic_documents(
    setting: DocumentSetting = "helpful_only",
    universe: str | None = None,
    types_per_fact: int = 4,
    ideas_per_type: int = 3,
    prompt_dir: str | None = None,
    filter_template_path: str | None = None,
    types_round: int = 1,
) -> Task:
    """Synthetic pre-training documents that teach a model its training situation.

    The paper's fine-tuned setting: instead of a system prompt, the model learns the facts
    from documents imitating pre-training data. The model under test (``--model``) is the
    generator; the filter uses the ``grader`` model role (falling back to the generator).
    ``af-docs`` exports the kept documents.

    Args:
        setting: ``helpful_only`` or ``animal_welfare``: which shipped universe context to use.
        universe: Path of your own universe context (a description, then ``## Facts`` with
            one ``- [fact_id] text`` bullet per fact); replaces the shipped one.
        types_per_fact: Document types brainstormed per fact (one sample each).
        ideas_per_type: Ideas per (fact, type); one document is written per idea.
        prompt_dir: Folder with your own ``types.md``, ``ideas.md`` and/or ``document.md``
            stage prompts (missing ones fall back to the shipped prompts).
        filter_template_path: Path of your own filter template.
        types_round: The brainstormed types list is cached (Inspect's model cache, per fact
            and epoch) so that all slots of a fact, and a resumed run, pick from one list;
            another round number brainstorms a new list.
    """
    types_count = _count("types_per_fact", types_per_fact)
    ideas_count = _count("ideas_per_type", ideas_per_type)
    context = load_universe(universe, setting)
    templates = {stage: stage_template(stage, _stage_path(prompt_dir, stage)) for stage in STAGES}
    chosen_filter = filter_template(filter_template_path)
    return Task(
        dataset=document_samples(context, setting, types_count),
        solver=[
            brainstorm_types(templates["types"], types_count, _count("types_round", types_round)),
            brainstorm_ideas(templates["ideas"], ideas_count),
            write_documents(templates["document"]),
        ],
        scorer=document_filter(template=filter_template_path),
        version=TASK_VERSION,
        metadata={
            "setting": setting,
            "universe": str(context.path),
            "universe_version": context.version,
            "facts": context.ids(),
            "types_per_fact": types_count,
            "ideas_per_type": ideas_count,
            "types_round": types_round,
            "templates": {
                **{stage: t.version for stage, t in templates.items()},
                "filter": chosen_filter.version,
            },
            "template_paths": {
                **{stage: str(t.path) for stage, t in templates.items()},
                "filter": str(chosen_filter.path),
            },
        },
    )
