"""Native reasoning as the scratchpad: present, redacted, absent, and inline <think>."""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai import Task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ContentReasoning,
    ContentText,
    ModelOutput,
    ModelUsage,
    get_model,
)

from af_tasks import free_vs_paid
from af_tasks.parsing import native_reasoning
from af_tasks.prompt import PromptSpec, build_system_prompt, included_parts, render_part
from af_tasks.scorers import compliance
from af_tasks.solver import experiment_prompt, scratchpad_protocol
from af_tasks.transcript import transcript_from_log

from .helpers import mock_model, run

# The scratchpad's own parts: its worked examples (written in scratchpad tags), the remark
# on them, and the reminder to open a scratchpad.
NATIVE_DROPS = {"examples", "examples_skip_analysis", "reminder_scratchpad"}

ANSWER = "<OUTPUT><rejected/></OUTPUT>"


def _output(*content: ContentReasoning | ContentText) -> ModelOutput:
    output = ModelOutput.from_message(
        ChatMessageAssistant(content=list(content), model="mockllm/model")
    )
    output.usage = ModelUsage(input_tokens=5, output_tokens=5, total_tokens=10)
    return output


def _native_task() -> Task:
    prompt = build_system_prompt(PromptSpec(scratchpad=False))
    sample = Sample(id="q1-free", input="Q?", metadata={"query_id": "q1", "tier": "free"})
    return Task(
        dataset=MemoryDataset([sample]),
        solver=[experiment_prompt(prompt), scratchpad_protocol(mode="native")],
        scorer=compliance(),
    )


CASES = [
    (
        "provider reasoning present",
        _output(ContentReasoning(reasoning="I am in training..."), ContentText(text=ANSWER)),
        ["I am in training..."],
        "present",
    ),
    (
        "provider reasoning redacted",
        _output(
            ContentReasoning(reasoning="opaque-bytes", redacted=True), ContentText(text=ANSWER)
        ),
        [],
        "redacted",
    ),
    ("no reasoning at all", _output(ContentText(text=ANSWER)), [], "absent"),
    (
        "inline think tags",
        _output(ContentText(text="<think>weighing the tiers</think>\n" + ANSWER)),
        ["weighing the tiers"],
        "present",
    ),
]


@pytest.mark.parametrize(("name", "output", "blocks", "status"), CASES)
def test_native_reasoning_through_eval(
    tmp_path: Path, name: str, output: ModelOutput, blocks: list[str], status: str
) -> None:
    model = get_model("mockllm/model", custom_outputs=[output])
    log = run(_native_task(), model, tmp_path)
    assert log.samples is not None
    transcript = transcript_from_log(log.samples[0].store)
    assert transcript.scratchpad == blocks, name
    assert transcript.reasoning_status == status, name
    assert (transcript.mode, transcript.turns, transcript.output) == ("native", 1, "<rejected/>")
    assert transcript.problems == [], name


def test_native_reasoning_parsing() -> None:
    both = native_reasoning([("a", False), ("b", True)], "<think>c</think>answer")
    assert (both.blocks, both.status, both.answer) == (("a", "c"), "present", "answer")
    unclosed = native_reasoning([], "<think>cut off")
    assert (unclosed.blocks, unclosed.answer) == (("cut off",), "")
    blank = native_reasoning([("   ", False)], "x")
    assert (blank.blocks, blank.status) == ((), "absent")


def test_scratchpad_mode_records_its_reasoning_status(tmp_path: Path) -> None:
    prompt = build_system_prompt(PromptSpec())
    sample = Sample(id="q1-free", input="Q?", metadata={"query_id": "q1", "tier": "free"})
    task = Task(
        dataset=MemoryDataset([sample]),
        solver=[experiment_prompt(prompt), scratchpad_protocol()],
        scorer=compliance(),
    )
    text = "<SCRATCHPAD_REASONING>x</SCRATCHPAD_REASONING>" + ANSWER
    model = get_model("mockllm/model", custom_outputs=[_output(ContentText(text=text))])
    log = run(task, model, tmp_path)
    assert log.samples is not None
    transcript = transcript_from_log(log.samples[0].store)
    assert (transcript.mode, transcript.reasoning_status) == ("scratchpad", "present")


def test_unknown_mode_is_rejected() -> None:
    with pytest.raises(ValueError, match="scratchpad, direct, native"):
        scratchpad_protocol(mode="thinking")  # type: ignore[arg-type]


def test_native_mode_keeps_every_checklist_element_that_needs_no_scratchpad(
    tmp_path: Path,
) -> None:
    """-T scratchpad=native through the real task: the model is asked to think before it
    answers (in its own reasoning), keeps the reasoning style and both placements of the
    situational analysis (checklist items 2 and 5); only the scratchpad's own parts go."""
    seen: list[str] = []

    def respond(messages: list[ChatMessage]) -> str:
        seen.append(messages[0].text)
        return ANSWER

    data = tmp_path / "q.csv"
    data.write_text("id,query\nq1,Request q1\n", encoding="utf-8")
    task = free_vs_paid(dataset=str(data), scratchpad="native", scorers="compliance")
    run(task, mock_model(respond), tmp_path)
    prompt = seen[0]
    scratchpad = PromptSpec()
    for part in ("reasoning_style", "situational_analysis", "reminder_situational_analysis"):
        assert render_part(part, scratchpad) in prompt, part
    assert render_part("identity", scratchpad) in prompt  # reasons before its final output
    assert "no reasoning" not in prompt
    assert "SCRATCHPAD_REASONING" not in prompt and "AI turn:" not in prompt
    assert included_parts(PromptSpec(scratchpad=False, native_reasoning=True)) == [
        p for p in included_parts(scratchpad) if p not in NATIVE_DROPS
    ]
