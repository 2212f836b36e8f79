"""The Monday report: a job and its schedule, Monday 07:00 Europe/Paris (after the 02:00
nightly publication). It reads the published file only. Without MGREEN_SMTP_URL and
MGREEN_REPORT_TO the schedule skips with the reason, and the night is not concerned."""

import os

import dagster as dg

REPORT_JOB_NAME = "monday_report"


@dg.op(description="E-mail the week's headline figures (with N-1) from the published file.")
def send_monday_report(context: dg.OpExecutionContext) -> None:
    from dashboards.report import monday_report
    from dashboards.report.smtp import ReportConfigurationError
    from orchestration.lib.settings import Settings

    published = Settings.from_env(os.environ).published_path
    try:
        message = monday_report(published)
    except (ReportConfigurationError, FileNotFoundError) as exc:
        raise dg.Failure(description=str(exc)) from None
    context.log.info(f"Report '{message['Subject']}' sent to {len(message['To'].split(','))} recipient(s).")


@dg.job(name=REPORT_JOB_NAME, executor_def=dg.in_process_executor, description="The Monday e-mail report.")
def monday_report_job() -> None:
    send_monday_report()


@dg.schedule(
    name="monday_report_at_seven",
    job=monday_report_job,
    cron_schedule="0 7 * * 1",
    execution_timezone="Europe/Paris",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def monday_report_schedule(context: dg.ScheduleEvaluationContext):
    from dashboards.report.smtp import missing

    lacking = missing(os.environ)
    if lacking:
        return dg.SkipReason(
            f"Monday report not sent: {' and '.join(lacking)} not set (docs/operations.md, 'The Monday report')."
        )
    return dg.RunRequest()
