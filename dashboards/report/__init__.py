"""The Monday report: the week's headline figures e-mailed from the published file only."""

from __future__ import annotations

import os
from email.message import EmailMessage
from pathlib import Path


def monday_report(published: Path, environ=os.environ, output: Path | None = None, send: bool = True) -> EmailMessage:
    """Read the published file, build the e-mail, write it to ``output`` (an .eml file) if
    given, and send it through MGREEN_SMTP_URL if ``send``. Raises ReportConfigurationError
    when sending is asked and the settings are missing or wrong (before reading anything)."""
    from dashboards.report.figures import read_report
    from dashboards.report.message import build
    from dashboards.report.smtp import mailer

    through = mailer(environ) if send else None
    if not published.exists():
        raise FileNotFoundError(f"No published file at {published}: the nightly run has not published yet.")
    report = read_report(published)
    message = build(
        report,
        through.sender if through else "statistiques@mgreen.example",
        through.recipients if through else ["direction@mgreen.example"],
    )
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(bytes(message))
    if through is not None:
        through.send(message)
    return message
