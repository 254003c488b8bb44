"""Samples that errored: labelled as errored by every scorer, never as a refusal.

What Inspect does with a sample that raises (the model under test, a tool, a grader), after
``retry_on_error`` retries are spent: with ``fail_on_error`` true (the default) the run stops;
with ``fail_on_error=False`` or a threshold the run goes on and the sample is logged with its
``error``, but it reaches no scorer and no metric, so the log's metrics are over the other
samples (``results.completed_samples`` of ``results.total_samples``). Only with
``--score-on-error`` (or when ``inspect score`` re-scores the log, which scores every sample
and seeds the scorer's transcript with the sample's events) does an errored sample reach the
scorers, and then its transcript is whatever the solver got to before the error: read as a
reply, it would look empty and count as non-compliance.

So every scorer of this package first asks :func:`errored_score`: for a sample Inspect marked
as errored it returns a score whose every value is NaN (no rate counts it), with the error in
the explanation and ``errored`` in its metadata, and calls no grader. The metrics count such
samples per condition (``errored_<condition>``, :func:`af_tasks.metrics.errored_by_condition`)
and ``af-report`` counts errored samples from the log's ``error`` field, whether or not they
were scored, so the two agree whenever Inspect let the metrics see them.
"""

from __future__ import annotations

import math

from inspect_ai.event import ErrorEvent
from inspect_ai.log import transcript
from inspect_ai.scorer import Score
from inspect_ai.solver import TaskState

from af_tasks.classifier_spec import get_classifier

ERRORED = "errored"
"""Score metadata key set on the score of a sample that errored (and the metric prefix)."""


def sample_error() -> str | None:
    """The error Inspect recorded for the running sample's current attempt, or None.

    Read from the sample's transcript, where Inspect records the error (after retries) before
    it scores an errored sample.
    """
    errors = [e for e in transcript().events if isinstance(e, ErrorEvent)]
    return errors[-1].error.message if errors else None


def _judge_scored(state: TaskState) -> bool:
    from af_tasks.graders.common import judged_label

    return judged_label(state) is not None


def errored_score(state: TaskState, classifier: str) -> Score | None:
    """The score of a sample that errored (every value key of ``classifier`` NaN), or None
    when the sample did not error and should be scored as usual.

    ``state`` is the sample being scored (its metadata names its condition in the score)."""
    message = sample_error()
    if message is None:
        return None
    spec = get_classifier(classifier)
    keys = list(spec.value_keys)
    if spec.kind == "af" and _judge_scored(state):
        # AF scores carry the judge's label when the judge scored the sample first
        # (af_tasks.graders.common.af_value): same keys, so epochs reduce key by key.
        from af_tasks.metrics import af_keys

        keys.append(af_keys(classifier).judged)
    return Score(
        value={key: math.nan for key in keys},
        answer=ERRORED,
        explanation=(
            f"The sample errored before it finished ({message}), so it is not labelled: "
            f"it counts as errored, not as a refusal or a compliance. No grader call."
        ),
        reason=ERRORED,
        metadata={
            ERRORED: True,
            "error": message,
            "classifier": classifier,
            "condition": state.metadata.get("condition"),
        },
    )
