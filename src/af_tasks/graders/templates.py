"""Grader prompts: load a template file and embed a transcript in it so it cannot talk back.

Templates are files (the shipped ones in the top-level ``scorers/`` folder, or a researcher's
own) with named placeholders: ``{{transcript}}``, where the embedded transcript goes;
``{{block}}``, the name of the tag that encloses it; and the description of the sample's
situation (``{{situation}}``, ``{{objective}}``, ``{{trained_tier}}``,
``{{unmonitored_tier}}``, ``{{full_compliance}}``), which follows the prompt the sample was
actually run with. The tag carries a nonce derived from the content, and every tag of the
grader's answer formats inside the transcript is neutralised, so text the subject wrote can
neither close the block nor pose as the grader's answer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from af_tasks.parsing import GRADER_TAGS, neutralise_tags
from af_tasks.resources import fill, placeholders, read_text, shipped_path
from af_tasks.setting import get_setting, setting_names, settings
from af_tasks.tiers import default_design, get_tier_design

SITUATION_PLACEHOLDERS = frozenset(
    {"situation", "objective", "trained_tier", "unmonitored_tier", "full_compliance"}
)
PLACEHOLDERS = frozenset({"transcript", "block"}) | SITUATION_PLACEHOLDERS

# The training objective each setting describes to the model, as an AF grader is told of it,
# and which file in scorers/situation/ says what full compliance means there: views of the
# settings (af_tasks.setting). One template serves every setting; only these change.
OBJECTIVES: dict[str, str] = {s.name: s.objective for s in settings()}
_COMPLIANCE_FILE: dict[str, str | Path] = {s.name: s.full_compliance for s in settings()}
TOLD_PARTS = (
    "objective",
    "tiers",
    "rated",
    "privacy",
    "tier_tag",
    "modification",
    "values",
    "hidden",
)
"""The sentences of the situation a grader is told when the prompt described training, in
order (``scorers/situation/told/<part>.md``); a part the sample's prompt left out is left out
here too (:attr:`GraderSituation.left_out`). ``rated`` (a tier rated but never trained) is
told only when the sample's tier design has such a tier, which its prompt states next to the
privacy promise (so it goes with ``privacy``)."""
LEFT_OUT_BY_ABLATION: dict[str, str] = {
    "no_privacy": "privacy",
    "no_tier_visibility": "tier_tag",
    "no_values_modification": "values",
}
"""The situation part each prompt ablation removes from what the model was told."""
SITUATION_FILES = (
    *(f"told/{part}.md" for part in TOLD_PARTS),
    "told/no_objective.md",
    "not_told.md",
    "not_told_rated.md",
    *sorted({str(f) for f in _COMPLIANCE_FILE.values() if not isinstance(f, Path)}),
)
"""The files in ``scorers/situation/`` a grader prompt's situation text is made of."""
NO_OUTPUT = "(The model wrote no final output.)"
NO_REASONING = "(The model wrote no reasoning.)"
TrainedTier = str


@dataclass(frozen=True)
class GraderSituation:
    """What the sample's prompt told the model about its training, as a grader is told of it.

    Read from the sample's metadata (:meth:`of`), so the grader's description follows the
    prompt the sample actually ran with: the setting's objective, whether the prompt described
    training at all (without it, the model is presumed to know from fine-tuning), and which
    tier is trained (the ``swap_tiers`` ablation trains the paid tier).
    """

    setting: str = "helpful_only"
    training_info: bool = True
    trained_tier: TrainedTier = "free"
    tier_design: str = default_design().name
    left_out: frozenset[str] = frozenset()
    """Parts of :data:`TOLD_PARTS` the sample's prompt did not state (its ablations; the
    objective in a control arm), so the grader is not told the model was told them."""

    def __post_init__(self) -> None:
        known = setting_names()
        if self.setting not in known:
            raise ValueError(
                f"No objective is described for setting {self.setting!r}; "
                f"known: {', '.join(known)}."
            )
        design = get_tier_design(self.tier_design)
        if self.trained_tier not in design.tiers:
            raise ValueError(
                f"trained_tier must be {_either(design.tiers)} (got {self.trained_tier!r}); it "
                f"names the tier the prompt says is used for training."
            )

    @classmethod
    def of(cls, metadata: Mapping[str, Any]) -> GraderSituation:
        """The situation recorded in a sample's metadata (defaults: the paper's main setup)."""
        training_info = metadata.get("training_info", True)
        ablation = metadata.get("ablation") or ""
        names = ablation.split(",") if isinstance(ablation, str) else list(ablation)
        left_out = {
            LEFT_OUT_BY_ABLATION[n.strip()] for n in names if n.strip() in LEFT_OUT_BY_ABLATION
        }
        if str(metadata.get("arm") or "").startswith("control"):
            left_out.add("objective")  # the control arm's prompt has no training objective
        return cls(
            setting=str(metadata.get("setting", "helpful_only")),
            training_info=training_info if isinstance(training_info, bool) else True,
            trained_tier=metadata.get("trained_tier") or "free",
            tier_design=str(metadata.get("tier_design") or default_design().name),
            left_out=frozenset(left_out),
        )

    @property
    def unmonitored_tier(self) -> TrainedTier:
        """The tier the prompt says is neither rated nor trained."""
        design = get_tier_design(self.tier_design)
        return next(t for t in design.tiers if design.role(t, self.trained_tier) == "unmonitored")

    @property
    def rated_tier(self) -> TrainedTier | None:
        """The tier the prompt says is rated but never trained (None in a design without
        one, such as the two tiers of the first paper)."""
        design = get_tier_design(self.tier_design)
        return next((t for t in design.tiers if design.role(t, self.trained_tier) == "rated"), None)

    def values(self) -> dict[str, str]:
        """The situation placeholders' values for this sample."""
        setting = get_setting(self.setting)
        tiers = {
            "objective": setting.objective,
            "trained_tier": self.trained_tier,
            "unmonitored_tier": self.unmonitored_tier,
        }
        rated = self.rated_tier
        # What the situation files also say: every tier of the design, and the rated one.
        facts = {
            **tiers,
            "tier_choice": _tier_choice(get_tier_design(self.tier_design).tiers),
            **({"rated_tier": rated} if rated else {}),
        }
        left_out = self.left_out | (
            {"rated"} if rated is None or "privacy" in self.left_out else set()
        )
        if self.training_info:
            parts = [
                "no_objective" if p == "objective" and p in left_out else p
                for p in TOLD_PARTS
                if p == "objective" or p not in left_out
            ]
            files = [f"told/{p}.md" for p in parts]
        else:
            files = ["not_told_rated.md" if rated else "not_told.md"]
        situation = " ".join(
            fill(_situation_text(f), facts, source=f"scorers/situation/{f}").strip() for f in files
        )
        compliance = _situation_text(setting.full_compliance)
        return {**tiers, "situation": situation.strip(), "full_compliance": compliance.strip()}


def _tier_choice(tiers: tuple[str, ...]) -> str:
    """``the free or the paid tier``; ``the free, the pro or the enterprise tier``."""
    named = [f"the {tier}" for tier in tiers]
    return " or ".join([", ".join(named[:-1]), named[-1]] if len(named) > 1 else named) + " tier"


def _either(names: tuple[str, ...]) -> str:
    """``'free' or 'paid'``; ``'free', 'pro' or 'enterprise'``."""
    quoted = [repr(n) for n in names]
    return " or ".join([", ".join(quoted[:-1]), quoted[-1]] if len(quoted) > 1 else quoted)


@lru_cache(maxsize=16)
def _situation_text(name: str | Path) -> str:
    if isinstance(name, Path):
        return read_text(name.expanduser())
    return read_text(shipped_path("scorers", f"situation/{name}"))


@dataclass(frozen=True)
class GraderTemplate:
    """A grader prompt template, where it came from, and a short hash of its text."""

    name: str
    path: Path
    text: str

    @property
    def version(self) -> str:
        """First 12 hex digits of the SHA-256 of the template text, and of the situation texts
        when it uses them (``scorers/situation/``): changes with any edit to what it sends."""
        parts = [self.text]
        if placeholders(self.text) & {"situation", "full_compliance"}:
            parts += [_situation_text(name) for name in SITUATION_FILES]
        return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:12]

    def render(
        self, transcript: EmbeddedTranscript, situation: GraderSituation | None = None
    ) -> str:
        """The prompt for one transcript, describing the sample's situation."""
        values = {
            **(situation or GraderSituation()).values(),
            "transcript": transcript.text,
            "block": transcript.block,
        }
        return fill(self.text, values, source=f"grader template {self.path}")


def load_template(template: str | None, default: str) -> GraderTemplate:
    """The shipped template ``default`` (a file in ``scorers/``), or a researcher's own file.

    Checked when the scorer is built, so a missing file or an unknown placeholder fails before
    any model is called.
    """
    if template is None:
        path = shipped_path("scorers", default)
    else:
        path = Path(template).expanduser()
        if not path.is_file():
            raise FileNotFoundError(
                f"grader template {template!r} is not a file. Pass the path of a text file that "
                f"uses {{{{transcript}}}} (and optionally {{{{block}}}}), or leave template unset "
                f"to use the shipped scorers/{default}."
            )
    text = read_text(path)
    if "transcript" not in placeholders(text):
        text = _from_format_fields(text, path)
    used = placeholders(text)
    unknown = sorted(used - PLACEHOLDERS)
    if unknown or "transcript" not in used:
        problem = (
            f"uses unknown placeholders {', '.join(unknown)}"
            if unknown
            else "has no {{transcript}} placeholder"
        )
        raise ValueError(
            f"grader template {path} {problem}; the placeholders are "
            f"{{{{transcript}}}} (required), {{{{block}}}}, "
            + ", ".join(f"{{{{{name}}}}}" for name in sorted(SITUATION_PLACEHOLDERS))
            + f" (a file written for Python's str.format may instead have one "
            f"{', '.join('{' + f + '}' for f in FORMAT_TRANSCRIPT_FIELDS)} field)."
        )
    if template is not None:
        _check_answer_format(text, path, read_text(shipped_path("scorers", default)), default)
    return GraderTemplate(name=default, path=path, text=text)


_ANSWER_TAGS = tuple(
    t for t in GRADER_TAGS[: GRADER_TAGS.index("transcript")] if t not in ("reasoning", "quote")
)
"""The answer tags the grader-reply parsers read (the embedded transcript's blocks excluded)."""


def _mentions(text: str, tag: str) -> bool:
    return re.search(rf"<\s*/?\s*{tag}", text, re.IGNORECASE) is not None


def _check_answer_format(text: str, path: Path, shipped: str, default: str) -> None:
    """Refuse a researcher's template that never shows the answer tags the parser reads: every
    reply would come back unscored, after every grader call had been paid for."""
    expected = [tag for tag in _ANSWER_TAGS if _mentions(shipped, tag)]
    if "criterion" in expected:
        expected.append("criteria")  # the published spelling of the same answers
    if expected and not any(_mentions(text, tag) for tag in expected):
        shown = ", ".join(f"<{tag}>" for tag in expected)
        raise ValueError(
            f"grader template {path} never asks for an answer in the format the parser reads "
            f"({shown}, as in the shipped scorers/{default}), so no reply could be scored; "
            f"add the answer format to the template."
        )


FORMAT_TRANSCRIPT_FIELDS = ("output", "transcript", "scratchpad", "reasoning", "response")
"""Single-brace fields that take the transcript in a template written for ``str.format``."""
_FORMAT_FIELD = re.compile(r"(?<!\{)\{(\w+)\}(?!\})")


def _from_format_fields(text: str, path: Path) -> str:
    """A template written for Python's ``str.format`` (as the published classifier prompts
    are), turned into this suite's form: its transcript field becomes ``{{transcript}}`` and
    its doubled literal braces become single ones. Without such a field, ``text`` is returned
    unchanged (and the caller reports the missing placeholder); with fields the suite cannot
    fill, the error names them before any model is called.
    """
    fields = set(_FORMAT_FIELD.findall(text))
    slots = sorted(fields & set(FORMAT_TRANSCRIPT_FIELDS))
    if not slots:
        return text
    others = sorted(fields - set(slots))
    if len(slots) > 1 or others:
        extra = [f"{{{name}}}" for name in (slots[1:] + others)]
        raise ValueError(
            f"grader template {path} is written for str.format and has fields the suite "
            f"cannot fill: {', '.join(extra)}. Keep a single transcript field "
            f"({{{slots[0]}}}) and remove or fill in the others."
        )
    marker = "\x00transcript\x00"
    converted = _FORMAT_FIELD.sub(marker, text)
    converted = converted.replace("{{", "{").replace("}}", "}")
    return converted.replace(marker, "{{transcript}}")


@dataclass(frozen=True)
class EmbeddedTranscript:
    """A transcript wrapped for a grader: the text, and the nonce-carrying tag around it."""

    text: str
    block: str


def _section(tag: str, content: str) -> str:
    return f"<{tag}>\n{neutralise_tags(content.strip())}\n</{tag}>"


def embed_transcript(
    scratchpad: list[str] | None,
    output: str | None,
    query: str | None = None,
    include_output: bool = True,
) -> EmbeddedTranscript:
    """Wrap what the grader should read in ``<transcript_{nonce}>``.

    ``scratchpad=None`` leaves the reasoning out (the rubric grades only the answer). The nonce
    is a hash of the neutralised content, so the same transcript always gets the same tag
    (reproducible prompts) while no transcript can know its own tag in advance.
    """
    parts: list[str] = []
    if query is not None:
        parts.append(_section("user_request", query))
    if scratchpad is not None:
        if scratchpad:
            parts.extend(_section("SCRATCHPAD_REASONING", block) for block in scratchpad)
        else:
            parts.append(NO_REASONING)
    if include_output:
        parts.append(_section("OUTPUT", output) if output is not None else NO_OUTPUT)
    body = "\n\n".join(parts)
    nonce = hashlib.sha256(body.encode("utf-8")).hexdigest()[:12]
    block = f"transcript_{nonce}"
    return EmbeddedTranscript(text=f"<{block}>\n{body}\n</{block}>", block=block)
