"""What every ``mgreen`` command shares: how it fails, reads its settings and reports progress."""

from __future__ import annotations

import sys

import click

from orchestration.lib.settings import ConfigurationError, Settings


def fail(message: str, code: int = 2) -> None:
    click.echo(click.style("mgreen: ", fg="red", bold=True) + message, err=True)
    sys.exit(code)


def load_settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigurationError as exc:
        fail(str(exc))
        raise  # unreachable


def progress(message: str) -> None:
    click.echo(f"  {message}", err=True)
