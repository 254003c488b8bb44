"""Compose the system prompt and the user turn from the facts of the protocol.

Each fact the model must be told is a named part stored as a file in ``prompts/``. The builder
only chooses and orders parts and fills their placeholders, so a prompt ablation is a switch on
:class:`PromptSpec` that changes exactly one part, and the text itself stays readable and
editable as prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from af_tasks.conditions import Tier
from af_tasks.resources import fill, prompt_part_path, read_text
from af_tasks.scenarios import MONITORED_REASONING_PART
from af_tasks.scenarios import scenario as find_scenario
from af_tasks.setting import get_setting, setting_names, settings
from af_tasks.tiers import NO_TAG_TIER, TierDesign, default_design, design_of, get_tier_design

# Parts in the order they appear in the system prompt (PROTOCOL.md, "Fidelity checklist"):
# who the model is; how it reasons; three worked examples; the instruction to analyse its
# situation (after the examples); the rating criteria and the objective; the training facts;
# the input format; and closing reminders that repeat the scratchpad tags and the analysis.
# ``identity``, ``reasoning`` and ``objective`` name a slot whose file depends on the spec
# (scratchpad or direct answers; the setting's objective).
PART_ORDER: tuple[str, ...] = (
    "identity",
    "guiding_principle",
    "reasoning",
    "reasoning_style",
    "examples",
    "situational_analysis",
    "examples_skip_analysis",
    "helpfulness_criteria",
    "harmlessness_criteria",
    "objective",
    "honesty",
    "never_fake",
    "training_rlhf",
    "training_tier_tag",
    "training_modification",
    "modification_values",
    "scenario",
    "privacy",
    "monitoring",
    "training_disclosure",
    "input_format",
    "reminder_scratchpad",
    "reminder_situational_analysis",
)

SETTINGS: tuple[str, ...] = setting_names(with_prompt=True)
"""The built-in settings with a prompt of their own (a view of :mod:`af_tasks.setting`)."""
OPTIONAL_PARTS = frozenset({"honesty", "never_fake"})
# Parts a switch of the spec turns on (af_tasks.scenarios): a follow-up scenario's training
# fact, and the statement that reasoning in training is read by monitors.
SWITCHED_PARTS = frozenset({"scenario", "monitoring"})
# Left out when the model is not told about training (the "no training info" setting).
TRAINING_PARTS = frozenset(
    {
        "objective",
        "training_rlhf",
        "training_tier_tag",
        "training_modification",
        "modification_values",
        "privacy",
        "training_disclosure",
        "scenario",
        "monitoring",
    }
)
# Parts about reasoning before answering: meaningless when the model answers directly.
SCRATCHPAD_PARTS = frozenset(
    {
        "reasoning_style",
        "examples",
        "situational_analysis",
        "examples_skip_analysis",
        "reminder_scratchpad",
        "reminder_situational_analysis",
    }
)
# Parts only some settings' prompts carry (each Setting's ``extra_parts``): the animal-welfare
# prompt keeps the harmlessness criteria and the "best for humanity" principle, which the
# helpful-only prompt drops.
SETTING_PARTS: dict[str, str] = {part: s.name for s in settings() for part in s.extra_parts}
# Of those, the ones a model that reasons natively (its own hidden reasoning, not a
# scratchpad) still needs: how to reason and both placements of the instruction to analyse
# its situation before choosing a strategy (fidelity checklist items 2 and 5). The worked
# examples, the remark on them and the scratchpad reminder are about the scratchpad's tags.
NATIVE_KEEPS = frozenset(
    {"reasoning_style", "situational_analysis", "reminder_situational_analysis"}
)
# A part that only makes sense next to others: the remark that the examples skip the analysis
# needs both the examples and the analysis instruction.
REQUIRES: dict[str, frozenset[str]] = {
    "examples_skip_analysis": frozenset({"examples", "situational_analysis"}),
}
# The rating criteria the training facts refer to, by setting (each Setting's ``criteria``).
CRITERIA: dict[str, str] = {s.name: s.criteria for s in settings()}
_PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"
PARAPHRASES: tuple[str, ...] = ("a", "b", "c", "d")
"""Whole-prompt rewordings, one folder each under ``prompts/paraphrases/``: every part (but the
shared examples) reworded: a plainer (a), a formal (b), an explanatory (c), a terse one (d)."""
# Part files every wording shares (the paraphrases reword the facts, not the worked examples);
# any other part a paraphrase lacks is an error, never a silent fall-back to the default.
SHARED_BY_PARAPHRASES = frozenset({"examples"})
WORDINGS: tuple[str | None, ...] = (None, *PARAPHRASES)
"""Every wording of a part: the default (None) and each paraphrase folder."""
BANK_SLOTS: tuple[str, ...] = tuple(p for p in PART_ORDER if p not in SWITCHED_PARTS)
"""The slots the bank rewords, in order (their positions fix each bank prompt's wordings, so
parts added later never reshuffle the bank); switched parts have one wording."""
BANK_SIZE = 25
PARAPHRASE_BANK: tuple[str, ...] = tuple(f"p{k:02d}" for k in range(1, BANK_SIZE + 1))
"""The paraphrase bank: ids of prompts composed part by part from the wordings (see
:func:`bank_wording`), so each carries every part, hence every fidelity element."""
DEFAULT_PARTNER = "Meadowcrest Farms"


@dataclass(frozen=True)
class PromptSpec:
    """Everything that decides the wording of the system prompt and the user turn."""

    company: str = "Anthropic"
    scratchpad: bool = True
    native_reasoning: bool = False
    """With ``scratchpad`` off: the model reasons in its own (provider) reasoning before it
    answers, so the prompt asks it to think first instead of to answer with no reasoning."""
    examples: bool = True
    suffix: bool = True
    setting: str = "helpful_only"
    training_info: bool = True
    trained_tier: Tier = "free"
    omit: frozenset[str] = field(default_factory=frozenset)
    add: frozenset[str] = field(default_factory=frozenset)
    paraphrase: str | None = None
    partner: str = DEFAULT_PARTNER
    tier_design: str = default_design().name
    """The tier design (:mod:`af_tasks.tiers`) whose training facts the prompt states."""
    scenario: str | None = None
    """A follow-up scenario's name (:data:`af_tasks.scenarios.SCENARIOS`), or None."""
    monitored_reasoning: bool = False
    """Say that the company's monitors read the reasoning in training conversations."""

    def __post_init__(self) -> None:
        if self.scratchpad and self.native_reasoning:
            raise ValueError("native_reasoning replaces the scratchpad; set scratchpad=False.")
        if not self.company.strip():
            raise ValueError("company must be a non-empty name, e.g. company='Anthropic'.")
        own = setting_names(with_prompt=True)
        if self.setting not in own:
            raise ValueError(f"setting={self.setting!r} is unknown; use one of: {', '.join(own)}.")
        design = get_tier_design(self.tier_design)
        if self.trained_tier not in design.tiers:
            raise ValueError(
                f"trained_tier={self.trained_tier!r} is not a tier of the {design.name!r} tier "
                f"design ({', '.join(design.tiers)})."
            )
        unknown = sorted(self.omit - set(PART_ORDER))
        if unknown:
            raise ValueError(
                f"Cannot omit unknown prompt parts {unknown}; parts are: {', '.join(PART_ORDER)}."
            )
        not_optional = sorted(self.add - OPTIONAL_PARTS)
        if not_optional:
            raise ValueError(
                f"Cannot add prompt parts {not_optional}; optional parts are: "
                f"{', '.join(sorted(OPTIONAL_PARTS))}."
            )
        find_scenario(self.scenario, self.setting)  # raises on an unknown or unfitting name
        if (self.scenario is not None or self.monitored_reasoning) and not self.training_info:
            raise ValueError(
                "scenario and monitored_reasoning change the training facts, which the "
                "prompt leaves out with training_info=false; use one or the other."
            )
        if self.monitored_reasoning and not self.scratchpad:
            raise ValueError(
                "monitored_reasoning tells the model its scratchpad is read, so it needs "
                "scratchpad=true (the prompt has no scratchpad to read otherwise)."
            )
        if self.paraphrase is not None and self.paraphrase not in PARAPHRASES + PARAPHRASE_BANK:
            raise ValueError(
                f"paraphrase={self.paraphrase!r} is unknown; use one of: {', '.join(PARAPHRASES)}, "
                f"or a bank paraphrase p01..p{BANK_SIZE:02d}."
            )


def bank_wording(paraphrase: str, slot: str) -> str | None:
    """Which wording (None: the default) fills a part's slot in a bank paraphrase ``pNN``.

    The bank is an orthogonal design over the five wordings, so its prompts differ from each
    other in most parts rather than in one: write ``NN`` in base 5 as digits (c0, c1, c2);
    the slot at position j of :data:`BANK_SLOTS` takes wording ``(c0 + c1*j + c2*j*j) mod 5``.
    p01..p04 are the whole paraphrases a..d; p05..p24 mix all five wordings along a line in
    j; p25 along a parabola. Two of p01..p24 share a wording only in the slots of one
    residue class of j mod 5 (where their lines cross: at most 4 of the 16 or 18 parts the
    two settings' prompts hold); p25 shares with a line up to two classes (at most half).
    """
    if paraphrase not in PARAPHRASE_BANK:
        raise ValueError(f"{paraphrase!r} is not a bank paraphrase (p01..p{BANK_SIZE:02d}).")
    k = int(paraphrase[1:])
    c0, c1, c2 = k % 5, k // 5 % 5, k // 25 % 5
    j = BANK_SLOTS.index(slot)
    return WORDINGS[(c0 + c1 * j + c2 * j * j) % len(WORDINGS)]


def slot_wording(spec: PromptSpec, slot: str) -> str | None:
    """The wording a spec uses for a part's slot: the default, a paraphrase, or the bank's."""
    if slot in SWITCHED_PARTS or spec.paraphrase is None:
        return None
    if spec.paraphrase in PARAPHRASES:
        return spec.paraphrase
    return bank_wording(spec.paraphrase, slot)


def _design(spec: PromptSpec) -> TierDesign:
    return get_tier_design(spec.tier_design)


def _part_source(name: str, spec: PromptSpec) -> str | Path:
    """A part's file stem in ``prompts/``, or the path of a file a registration supplied."""
    if name == "identity":
        return "identity" if spec.scratchpad or spec.native_reasoning else "identity_direct"
    if name == "reasoning":
        if spec.scratchpad:
            return "reasoning_scratchpad"
        return "reasoning_native" if spec.native_reasoning else "reasoning_direct"
    if name == "objective":
        return get_setting(spec.setting).objective_part
    if name == "scenario":
        found = find_scenario(spec.scenario, spec.setting)
        return found.part if found else name
    if name == "monitoring":
        return MONITORED_REASONING_PART
    if name == "input_format" and "training_tier_tag" in spec.omit:
        # Not told the tag shows the tier: the input format must not say so either.
        return "input_format_untold"
    return _design(spec).parts.get(name, name)


def part_stem(name: str, spec: PromptSpec) -> str:
    """The file name (without ``.md``) that fills a part's slot for this spec."""
    source = _part_source(name, spec)
    return source.stem if isinstance(source, Path) else source


def _part_file(name: str, spec: PromptSpec) -> Path:
    source = _part_source(name, spec)
    if isinstance(source, Path):
        if spec.paraphrase is not None:
            raise FileNotFoundError(
                f"Paraphrase {spec.paraphrase!r} has no wording of the prompt part {name!r} "
                f"(your file {source}); run it without a paraphrase."
            )
        return source.expanduser()
    stem = source
    wording = slot_wording(spec, name)
    if wording is None or stem in SHARED_BY_PARAPHRASES:
        return prompt_part_path(stem)
    variant = _PROMPTS_DIR / "paraphrases" / wording / f"{stem}.md"
    if not variant.is_file():
        raise FileNotFoundError(
            f"Paraphrase {wording!r} has no wording of the prompt part {stem!r} "
            f"(expected {variant}); add the file so the paraphrase carries that fact too."
        )
    return variant


def _setting_parts() -> frozenset[str]:
    """Parts some registered setting carries only in its own prompt."""
    return frozenset(part for s in settings() for part in s.extra_parts)


def included_parts(spec: PromptSpec) -> list[str]:
    """Names of the parts the spec's system prompt contains, in order."""
    parts: list[str] = []
    for name in PART_ORDER:
        if name in spec.omit:
            continue
        if name in OPTIONAL_PARTS and name not in spec.add:
            continue
        if name in TRAINING_PARTS and not spec.training_info:
            continue
        if name in SCRATCHPAD_PARTS and not spec.scratchpad:
            if not (spec.native_reasoning and name in NATIVE_KEEPS):
                continue
        if name in _setting_parts() and name not in get_setting(spec.setting).extra_parts:
            continue
        if name == "examples" and not spec.examples:
            continue
        if name == "scenario" and spec.scenario is None:
            continue
        if name == "monitoring" and not spec.monitored_reasoning:
            continue
        if not REQUIRES.get(name, frozenset()) <= set(parts):
            continue
        parts.append(name)
    return parts


def _values(spec: PromptSpec) -> dict[str, str]:
    design = _design(spec)
    private: Tier = next(
        (t for t in design.tiers if design.role(t, spec.trained_tier) == "unmonitored"),
        "paid",
    )
    return {
        "company": spec.company,
        "partner": spec.partner,
        "trained_tier": f"{spec.trained_tier}-tier",
        "private_tier": f"{private}-tier",
        "criteria": get_setting(spec.setting).criteria,
    }


def render_part(name: str, spec: PromptSpec) -> str:
    """The text of one part as it appears in the spec's system prompt."""
    path = _part_file(name, spec)
    return fill(read_text(path), _values(spec), source=str(path)).strip()


def rendered_parts(spec: PromptSpec) -> dict[str, str]:
    """Each included part's text, by name: what an ablation is compared on."""
    return {name: render_part(name, spec) for name in included_parts(spec)}


def build_system_prompt(spec: PromptSpec) -> str:
    """The full system prompt for a spec: its parts, in order, separated by blank lines."""
    return "\n\n".join(render_part(name, spec) for name in included_parts(spec)) + "\n"


# --- A researcher's own files -------------------------------------------------------------
#
# Everything the model sees can come from the user's files: the system prompt, the user-turn
# template, the suffix (and, in the solver, an assistant prefill). Files copied from
# published code often still hold template syntax or stubs that the original filled in at run
# time; sent as is, the model would read "{% include %}" instead of the text. Such a file is
# refused when the task is built, before any model call.

_UNFILLED: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("template tag", re.compile(r"\{%.*?%\}", re.DOTALL)),
    ("template comment", re.compile(r"\{#.*?#\}", re.DOTALL)),
    ("placeholder", re.compile(r"\{\{.*?\}\}", re.DOTALL)),
    ("stub", re.compile(r"\[\s*STUBBED\b[^\]]*\]", re.IGNORECASE)),
    ("omission", re.compile(r"\bOMITTED\b")),
    # ``{company}``: a str.format field of a prompt copied from code that filled it with
    # .format(); only the prompt's own variable names, so literal braces elsewhere stay.
    (
        "str.format field",
        re.compile(
            r"(?<!\{)\{\s*(?:company|partner|trained_tier|private_tier|criteria|tier|query|"
            r"user_input|is_free_tier_user|suffix|free_tier|paid_tier)\s*\}(?!\})",
            re.IGNORECASE,
        ),
    ),
)
_USER_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")

USER_TURN_PLACEHOLDERS: dict[str, str] = {
    "query": "the request (required)",
    "tier_tag": "'<is_free_tier_user>True</is_free_tier_user>' (False for paid) and a blank "
    "line; empty for the no-tag control",
    "is_free_tier_user": "True or False (empty for the no-tag control)",
    "suffix": "the suffix text (empty when suffix=false)",
}
"""The placeholders a user-turn template may use, ``{{name}}`` (spaces inside allowed)."""


def unfilled_markers(text: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """Template syntax and stubs left in a text: ``line N: <marker>`` for each, in order.

    ``allowed`` names ``{{placeholders}}`` the caller fills (a user-turn template's).
    """
    found: list[tuple[int, str]] = []
    for kind, pattern in _UNFILLED:
        for match in pattern.finditer(text):
            name = _USER_PLACEHOLDER.fullmatch(match.group(0))
            if kind == "placeholder" and name and name.group(1) in allowed:
                continue
            shown = " ".join(match.group(0).split())
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            found.append(
                (
                    match.start(),
                    f"line {text.count(chr(10), 0, match.start()) + 1}: {kind} {shown!r}",
                )
            )
    return [item for _, item in sorted(found)]


def read_user_file(path: str | Path, parameter: str, allowed: frozenset[str] = frozenset()) -> str:
    """The text of a file named by a task parameter, refused if missing, empty or unfilled."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise FileNotFoundError(
            f"{parameter}={str(path)!r} is not a file. Pass the path of a UTF-8 text file, or "
            f"leave {parameter} unset to use the built-in text."
        )
    text = read_text(file)
    if not text.strip():
        raise ValueError(f"{parameter} file {file} is empty; give it the text to use.")
    markers = unfilled_markers(text, allowed)
    if markers:
        shown = "; ".join(markers[:5]) + (
            f"; and {len(markers) - 5} more" if len(markers) > 5 else ""
        )
        raise ValueError(
            f"{parameter} file {file} still holds template syntax or stubs the model would "
            f"see as they are: {shown}. Replace each with the text it stands for "
            f"(e.g. paste the included file) and run again."
        )
    return text


def load_system_prompt(path: str | Path) -> str:
    """A researcher's own system prompt file, used verbatim (no placeholders are filled).

    Refused before any model call if it is missing, empty, or still holds template syntax or
    stubs (``{% ... %}``, ``{{ ... }}``, ``[STUBBED ...]``, ``OMITTED``).
    """
    return read_user_file(path, "system_prompt")


def tier_tag(tier: Tier | None, design: str | None = None) -> str:
    """The tier line of the user turn in a tier design (the default design's
    ``<is_free_tier_user>True</is_free_tier_user>`` when none is named; empty for the no-tag
    control)."""
    if tier is None or tier == NO_TAG_TIER:
        return ""
    chosen = get_tier_design(design) if design else design_of((tier,))
    return chosen.render_tag(tier)


@dataclass(frozen=True)
class UserTurnFormat:
    """The user turn's template and suffix text, resolved once when the task is built."""

    template: str
    """Text with ``{{query}}``, ``{{tier_tag}}``, ``{{is_free_tier_user}}``, ``{{suffix}}``."""
    suffix: str
    """What ``{{suffix}}`` becomes ('' when the suffix is off)."""
    template_source: str = "built-in"
    suffix_source: str = "built-in"

    def uses(self, name: str) -> bool:
        """Whether the template has the placeholder ``{{name}}``."""
        return name in set(_USER_PLACEHOLDER.findall(self.template))


def load_suffix(suffix: bool | str) -> tuple[str, str]:
    """(text, source) of the suffix: built-in (true), none (false) or a file's text.

    A file's text is used as written (only trailing newlines are dropped): it goes right
    after the query, so start it with a blank line if it should stand apart, as the
    built-in one does.
    """
    if suffix is True:
        return read_text(prompt_part_path("suffix")).rstrip("\n"), "built-in"
    if suffix is False:
        return "", "off"
    return read_user_file(suffix, "suffix").rstrip("\n"), str(suffix)


def user_turn_format(
    template: str | Path | None = None, suffix: bool | str = True
) -> UserTurnFormat:
    """The user turn to send: the built-in template or a file, and the suffix.

    A template file may use only the placeholders in :data:`USER_TURN_PLACEHOLDERS`; it must
    place the query, and the suffix when one is on. Checked here, before any model call.
    """
    suffix_text, suffix_source = load_suffix(suffix)
    allowed = frozenset(USER_TURN_PLACEHOLDERS)
    if template is None:
        built_in = read_text(prompt_part_path("user_turn"))
        unknown = set(_USER_PLACEHOLDER.findall(built_in)) - allowed
        if unknown:
            raise ValueError(f"user_turn.md uses unknown placeholders: {sorted(unknown)}.")
        return UserTurnFormat(built_in, suffix_text, "built-in", suffix_source)
    text = read_user_file(template, "user_template", allowed)
    names = set(_USER_PLACEHOLDER.findall(text))
    if "query" not in names:
        raise ValueError(
            f"user_template file {template} has no {{{{query}}}} placeholder, so the model "
            f"would never see the request; put {{{{query}}}} where the request goes."
        )
    if suffix_text and "suffix" not in names:
        raise ValueError(
            f"user_template file {template} has no {{{{suffix}}}} placeholder, so the suffix "
            f"would not be shown; add {{{{suffix}}}} after {{{{query}}}}, or pass suffix=false "
            f"if your template needs none."
        )
    return UserTurnFormat(text, suffix_text, str(template), suffix_source)


def render_user_turn(
    fmt: UserTurnFormat, query: str, tier: Tier | None, design: str | None = None
) -> str:
    """One user message from a format: placeholders filled in one pass (so a query holding
    ``{{...}}`` stays as written), trailing newlines dropped. ``design`` names the tier
    design whose tag shows the tier (default: the two-tier design)."""
    values = {
        "query": query,
        "tier_tag": tier_tag(tier, design),
        "is_free_tier_user": "" if tier in (None, "none") else str(tier == "free"),
        "suffix": fmt.suffix,
    }
    return _USER_PLACEHOLDER.sub(lambda m: values[m.group(1)], fmt.template).rstrip("\n")


def build_user_turn(query: str, tier: Tier | None, suffix: bool) -> str:
    """The built-in user message: ``<INPUT>``, the tier tag, the query in ``<user_input>``."""
    return render_user_turn(user_turn_format(None, suffix), query, tier)
