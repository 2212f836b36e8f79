"""``mgreen dashboards``: serve the dashboards on the published file."""

from __future__ import annotations

import os
import sys

import click

from orchestration.cli.common import fail, load_settings
from orchestration.project import DASHBOARDS_DIR, DATA_DIR


@click.command()
@click.option("--port", type=int, default=8501, show_default=True)
@click.option("--headless/--no-headless", default=True, show_default=True)
def dashboards(port: int, headless: bool) -> None:
    """Serve the dashboards on the published file (read-only)."""
    settings = load_settings()
    if not settings.published_path.exists():
        fail(f"Nothing published yet at {settings.published_path}: run `mgreen run` first.")
    os.environ.update(settings.as_environment())
    os.environ.setdefault("MGREEN_DASHBOARD_AUTH_FILE", str(DATA_DIR / "dashboards" / "auth.yaml"))
    # Streamlit replaces this process (same pid), so a service manager's SIGTERM reaches the
    # server itself instead of a parent that would leave it holding the port.
    command = streamlit_command(port, headless)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)


def streamlit_command(port: int, headless: bool = True) -> list[str]:
    """The command that serves the dashboards (also used by the browser test)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(DASHBOARDS_DIR / "streamlit_app.py"),
        "--server.port",
        str(port),
        "--server.headless",
        str(headless).lower(),
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
    ]
