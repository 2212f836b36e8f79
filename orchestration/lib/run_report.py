"""Why a run failed, in a few lines a person can act on (for `mgreen run` and the logs)."""

from __future__ import annotations

from dagster import DagsterEventType, DagsterInstance


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
