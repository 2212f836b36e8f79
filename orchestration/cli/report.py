"""``mgreen report``: the Monday report now, sent or written to a file."""

from __future__ import annotations

import os
from pathlib import Path

import click


@click.command(name="report")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Also write the e-mail (.eml) here.")
@click.option("--send/--no-send", default=True, show_default=True, help="Send it through MGREEN_SMTP_URL.")
def report(output: Path | None, send: bool) -> None:
    """Build the Monday report from the published file, and send it (MGREEN_SMTP_URL, MGREEN_REPORT_TO)."""
    from dashboards.report import monday_report
    from dashboards.report.smtp import ReportConfigurationError
    from orchestration.lib.settings import ConfigurationError, Settings

    if not send and output is None:
        raise click.UsageError("--no-send needs --output: the report would go nowhere.")
    try:
        published = Settings.from_env(os.environ).published_path
        message = monday_report(published, output=output, send=send)
    except (ReportConfigurationError, ConfigurationError) as exc:
        click.echo(click.style("mgreen: ", fg="red", bold=True) + str(exc), err=True)
        raise SystemExit(2) from None
    except (FileNotFoundError, RuntimeError) as exc:
        click.echo(click.style("mgreen: ", fg="red", bold=True) + str(exc), err=True)
        raise SystemExit(1) from None
    if output is not None:
        click.echo(f"Report written to {output}.")
    if send:
        click.echo(f"Report '{message['Subject']}' sent to {message['To']}.")
