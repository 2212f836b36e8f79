"""Why a run failed, in a few lines a person can act on (for `mgreen run` and the logs)."""

from __future__ import annotations

from dagster import AssetKey, DagsterEventType, DagsterInstance


def _root_message(error) -> str:
    """The innermost meaningful message of a Dagster error (user code's own words)."""
    messages = []
    while error is not None:
        text = (error.message or "").strip()
        if text:
            messages.append(text)
        error = error.cause
    # Dagster wraps user errors ("Error occurred while executing op ..."): the last is the user's.
    for text in reversed(messages):
        if "Error occurred while executing" not in text:
            return text
    return messages[-1] if messages else "unknown error"


def explain_failure(instance: DagsterInstance, run_id: str) -> str:
    lines = ["The nightly run failed:"]
    for record in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = record.dagster_event.event_specific_data
        if not evaluation.passed:
            key = "/".join(evaluation.asset_key.path)
            description = (evaluation.description or "").strip()
            lines.append(f"- check '{evaluation.check_name}' failed on {key}:")
            lines += [f"    {line}" for line in description.splitlines()[:20]]
    for record in instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE):
        event = record.dagster_event
        lines.append(f"- step {event.step_key}: {_root_message(event.step_failure_data.error)}")
    for record in instance.all_logs(run_id, of_type=DagsterEventType.RUN_FAILURE):
        if len(lines) == 1:
            lines.append(f"- {record.dagster_event.message}")
    return "\n".join(lines)


def unpublished_reasons(instance: DagsterInstance, run_id: str, publication: AssetKey) -> list[str]:
    """Why a run that Dagster may call a success did not publish, in lines a person can act
    on; empty when it materialised ``publication`` and left nothing planned without a result.

    Dagster skips a step whose upstream output never came (a model dbt did not build) and still
    ends the run in success; a blocking check that emits no result does not gate what follows.
    """
    logs = instance.all_logs(
        run_id,
        of_type={
            DagsterEventType.STEP_SKIPPED,
            DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
            DagsterEventType.ASSET_MATERIALIZATION,
            DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED,
            DagsterEventType.ASSET_CHECK_EVALUATION,
        },
    )
    skipped, planned, materialised, checks_planned, checks_done = [], set(), set(), set(), set()
    for record in logs:
        event = record.dagster_event
        if event.event_type == DagsterEventType.STEP_SKIPPED:
            skipped.append(event.step_key)
        elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION_PLANNED:
            planned.add(event.asset_key)
        elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            materialised.add(event.asset_key)
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED:
            spec = event.event_specific_data
            checks_planned.add((spec.asset_key, spec.check_name))
        else:
            evaluation = event.event_specific_data
            checks_done.add((evaluation.asset_key, evaluation.check_name))
    reasons = [f"step {key} was skipped" for key in skipped]
    reasons += [
        f"asset {'/'.join(key.path)} was planned but not materialised" for key in sorted(planned - materialised)
    ]
    reasons += [
        f"check {name} on {'/'.join(key.path)} was planned but gave no result"
        for key, name in sorted(checks_planned - checks_done)
    ]
    if publication not in materialised:
        reasons.append(f"{'/'.join(publication.path)} was not materialised by this run: nothing new was published")
    return reasons


def explain_unpublished(reasons: list[str]) -> str:
    """The operator's message for a run that ended without publishing."""
    shown = reasons[:20] + ([f"... and {len(reasons) - 20} more"] if len(reasons) > 20 else [])
    return "\n".join(
        [
            "The nightly run ended without a new publication:",
            *(f"- {line}" for line in shown),
            "The previous publication stays in place. Look at the first skipped step in the run's log "
            "(Dagster's UI, or the lines above); fix its cause and run again.",
        ]
    )
