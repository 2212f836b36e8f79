"""The nightly job and its schedule.

02:00 Europe/Paris: on the night clocks go forward (last Sunday of March) 02:00 does not
exist and Dagster's cron runs the job at 03:00; on the night they go back (last Sunday of
October) 02:00 happens twice and the job runs once, at the first. Either way one run a day.
"""

import dagster as dg

NIGHTLY_JOB_NAME = "nightly"

nightly_job = dg.define_asset_job(
    NIGHTLY_JOB_NAME,
    selection=dg.AssetSelection.all(),
    # One process, steps in order: about 2 s per step cheaper than the multiprocess executor
    # (docs/benchmarks.md), and the warehouse has one writer at a time anyway.
    executor_def=dg.in_process_executor,
    description="Load the CRM and the logs, forget, transform, guard, publish.",
    # Enforced by the daemon's run monitoring, which `mgreen` turns on (orchestration/lib/instance.py).
    tags={"dagster/max_runtime": str(60 * 60)},
    # A scheduled run's console is the daemon's journal: its steps and checks, not the DEBUG
    # line of each of its 600 events (those stay in Dagster's storage and UI).
    config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
)

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_at_two",
    job=nightly_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/Paris",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
