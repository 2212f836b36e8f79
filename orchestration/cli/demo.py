"""``mgreen demo``: what a newcomer runs first (demo key, demo CRM, one run, the dashboards)."""

from __future__ import annotations

import os
import secrets
import sys
from datetime import date, timedelta
from pathlib import Path

import click

from orchestration.cli.common import load_settings, progress
from orchestration.cli.run import run_nightly
from orchestration.cli.serve import dashboards
from orchestration.project import DATA_DIR

DEMO_KEY_FILE = DATA_DIR / "demo.key"
DEMO_CONTACTS = 20_000
DEMO_SEED = 2026


@click.command()
@click.option("--contacts", type=click.IntRange(min=1), default=DEMO_CONTACTS, show_default=True)
@click.option("--serve/--no-serve", default=True, show_default=True, help="Serve the dashboards at the end.")
@click.option("--port", type=int, default=8501, show_default=True)
def demo(contacts: int, serve: bool, port: int) -> None:
    """What a newcomer runs first: demo key, demo data, one run, the dashboards."""
    from dashboards.lib.auth import DEMO_ACCOUNTS, write_demo_auth_file
    from synthetic_crm.engine import GenerationParams
    from synthetic_crm.engine import generate as generate_crm

    if not os.environ.get("MGREEN_PSEUDONYMISATION_KEY") and not os.environ.get("MGREEN_PSEUDONYMISATION_KEY_FILE"):
        if not DEMO_KEY_FILE.exists():
            DEMO_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
            DEMO_KEY_FILE.write_text(secrets.token_urlsafe(48) + "\n")
            DEMO_KEY_FILE.chmod(0o600)
            click.echo(f"Created a random demo key in {DEMO_KEY_FILE} (never commit it).")
        os.environ["MGREEN_PSEUDONYMISATION_KEY_FILE"] = str(DEMO_KEY_FILE)
    settings = load_settings()
    if not settings.source_url.startswith("sqlite:///") or not Path(settings.source_url[len("sqlite:///") :]).exists():
        click.echo(f"Generating a demo CRM of {contacts:,} contacts...")
        generate_crm(
            GenerationParams(contacts=contacts, seed=DEMO_SEED, end=date.today() - timedelta(days=1)),
            settings.source_url,
            settings.web_sessions_dir,
            progress=progress,
        )
    click.echo("Running the nightly job once...")
    code = run_nightly()
    if code != 0:
        sys.exit(code)
    auth_file = DATA_DIR / "dashboards" / "auth.yaml"
    write_demo_auth_file(auth_file)
    click.echo(f"Demo accounts (demo only; passwords are stored hashed in {auth_file}):")
    for account in DEMO_ACCOUNTS:
        click.echo(f"  {account.username:<12} {account.password:<22} rôle {account.role}")
    if serve:
        click.echo(f"Dashboards on http://localhost:{port} (Ctrl+C to stop).")
        ctx = click.get_current_context()
        ctx.invoke(dashboards, port=port, headless=True)
