"""The nightly job, its schedule, and the sensor that holds it to "success means published".

02:00 Europe/Paris: on the night clocks go forward (last Sunday of March) 02:00 does not
exist and Dagster's cron runs the job at 03:00; on the night they go back (last Sunday of
October) 02:00 happens twice and the job runs once, at the first. Either way one run a day.
"""

from datetime import UTC

import dagster as dg

from orchestration.lib.run_instant import AS_OF_TAG

NIGHTLY_JOB_NAME = "nightly"

nightly_job = dg.define_asset_job(
    NIGHTLY_JOB_NAME,
    selection=dg.AssetSelection.all(),
    # One process, steps in order: about 2 s per step cheaper than the multiprocess executor
    # (docs/performance.md), and the warehouse has one writer at a time anyway.
    executor_def=dg.in_process_executor,
    description="Load the CRM and the logs, forget, transform, guard, publish.",
    # Enforced by the daemon's run monitoring, which `mgreen` turns on (orchestration/lib/instance.py).
    tags={"dagster/max_runtime": str(60 * 60)},
    # A scheduled run's console is the daemon's journal: its steps and checks, not the DEBUG
    # line of each of its 600 events (those stay in Dagster's storage and UI).
    config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
)


@dg.schedule(
    name="nightly_at_two",
    job=nightly_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/Paris",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def nightly_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """One run a night, computed as of its scheduled instant (the run's one instant,
    orchestration/lib/run_instant.py), however long it waited in the queue."""
    tags = {}
    if context.scheduled_execution_time is not None:
        tags[AS_OF_TAG] = context.scheduled_execution_time.astimezone(UTC).isoformat()
    return dg.RunRequest(tags=tags)


@dg.run_status_sensor(
    name="nightly_success_means_published",
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[nightly_job],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Marks a nightly run failed when it ended in success without publishing (a step skipped, "
    "an asset or a check without a result).",
)
def nightly_success_means_published(context: dg.RunStatusSensorContext):
    """Dagster ends a run in success when steps were skipped because an upstream output never
    came: for the nightly, success must mean a new publication. `mgreen run` applies the same
    verdict (orchestration/cli/run.py); for the runs the daemon launches, this sensor turns such a
    run's status into a failure, with the reasons, where the UI and any run-failure alert see it."""
    from orchestration.defs.publication.assets import PUBLISHED_KEY
    from orchestration.lib.run_report import explain_unpublished, unpublished_reasons

    run = context.dagster_run
    reasons = unpublished_reasons(context.instance, run.run_id, PUBLISHED_KEY)
    if not reasons:
        return dg.SkipReason(f"Run {run.run_id} published.")
    context.instance.report_run_failed(run, message=explain_unpublished(reasons))
    return dg.SkipReason(f"Run {run.run_id} did not publish: marked failed.")
