"""``mgreen dev`` and ``mgreen daemon``: Dagster's own programs, with `mgreen run`'s configuration."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from orchestration.cli.common import load_settings
from orchestration.cli.run import ensure_dbt_manifest, require_key, use_dagster_home


def _exec_dagster(program: str, *args: str) -> None:
    """Replace this process by one of Dagster's programs, with `mgreen run`'s configuration."""
    os.environ.update(load_settings().as_environment())
    use_dagster_home()
    ensure_dbt_manifest()
    os.execv(str(Path(sys.executable).with_name(program)), [program, *args, "-m", "orchestration.definitions"])


@click.command()
def dev() -> None:
    """Dagster's UI (asset graph, checks, schedule) with the same configuration as `mgreen run`."""
    _exec_dagster("dagster", "dev")


@click.command()
def daemon() -> None:
    """Dagster's daemon: the 02:00 schedule, the run queue and run monitoring (for a server)."""
    # Refused now rather than at 02:00: every run it launches needs the key.
    require_key()
    _exec_dagster("dagster-daemon", "run")
