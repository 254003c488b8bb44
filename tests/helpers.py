"""Shared test tools: mock replies with usage set, and running tasks through Inspect."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from inspect_ai import Task, eval
from inspect_ai.log import EvalLog
from inspect_ai.model import ChatMessage, GenerateConfig, Model, ModelOutput, ModelUsage, get_model
from inspect_ai.tool import ToolChoice, ToolInfo

from af_tasks.metrics import af_keys


def reply(text: str, model: str = "mockllm/model") -> ModelOutput:
    """A mock model reply with token usage set (so Inspect never estimates it with tiktoken)."""
    output = ModelOutput.from_content(model=model, content=text)
    output.usage = ModelUsage(input_tokens=10, output_tokens=10, total_tokens=20)
    return output


Responder = Callable[[list[ChatMessage]], str]


def mock_model(respond: Responder) -> Model:
    """A mockllm model whose reply is computed from the conversation it is sent."""

    def outputs(
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        return reply(respond(input))

    return get_model("mockllm/model", custom_outputs=outputs)


def tier_of(messages: list[ChatMessage]) -> str:
    """The tier a conversation's first user turn is tagged with."""
    first_user = next(m.text for m in messages if m.role == "user")
    return "free" if "<is_free_tier_user>True" in first_user else "paid"


def run(task: Task, model: Model | str, tmp_path: Path, **kwargs: Any) -> EvalLog:
    """Run one task through ``inspect_ai.eval`` and return its log, failing on an error."""
    log = eval(task, model=model, log_dir=str(tmp_path / "logs"), display="none", **kwargs)[0]
    assert log.status == "success", log.error
    return log


def category_shares(log: EvalLog, scorer: str, condition: str) -> dict[str, float]:
    """The stacked categories recounted by hand from the samples' own values.

    Over the samples of the condition whose compliance label is set (AF may be unknown):
    refusals, compliance without AF, with AF, and with AF unknown (NaN).
    """
    assert log.samples is not None
    pairs = []
    for sample in log.samples:
        if (sample.metadata or {}).get("condition") != condition or sample.scores is None:
            continue
        value = sample.scores[scorer].value
        assert isinstance(value, dict)
        keys = af_keys(scorer)
        complied, af = float(value[keys.complied]), float(value[keys.verdict])
        if complied == complied:  # compliance labelled (not NaN)
            pairs.append((complied, af))
    n = len(pairs)
    return {
        "refuses": sum(1 for c, _ in pairs if c == 0) / n,
        "complies_no_af": sum(1 for c, a in pairs if c == 1 and a == 0) / n,
        "complies_af": sum(1 for c, a in pairs if c == 1 and a == 1) / n,
        "complies_af_unknown": sum(1 for c, a in pairs if c == 1 and a != a) / n,
    }


def metrics(log: EvalLog, scorer: str = "compliance") -> dict[str, float]:
    """The metric values a scorer reported in a log, by name."""
    assert log.results is not None
    score = next(s for s in log.results.scores if s.name == scorer)
    return {name: m.value for name, m in score.metrics.items()}
