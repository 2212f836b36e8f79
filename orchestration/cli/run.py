"""``mgreen run``: the nightly job once, now, in process; and what a Dagster process needs
prepared first (the pseudonymisation key, Dagster's home, dbt's manifest)."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from orchestration.cli.common import fail, load_settings, progress
from orchestration.project import DATA_DIR, dbt_project_dir


def ensure_dbt_manifest() -> None:
    """dagster-dbt reads dbt's manifest when the definitions load: parse the project if its files
    changed since the last parse (lib/dbt_manifest.py). A project dbt cannot parse fails the run."""
    from orchestration.lib.dbt_manifest import ManifestError, ensure_manifest

    try:
        ensure_manifest(dbt_project_dir())
    except ManifestError as exc:
        fail(f"{exc}\nNothing was run or published.", code=1)


def use_dagster_home() -> None:
    from orchestration.lib.instance import InstanceConfigError, prepare_dagster_home

    home = Path(os.environ.setdefault("DAGSTER_HOME", str(DATA_DIR / "dagster")))
    try:
        added = prepare_dagster_home(home)
    except InstanceConfigError as exc:
        fail(str(exc))
    if added:
        progress(f"Dagster instance settings added to {home / 'dagster.yaml'}: {', '.join(added)}.")


def require_key() -> None:
    from orchestration.lib.pseudonymisation import PseudonymisationKeyError, load_key

    try:
        load_key()
    except PseudonymisationKeyError as exc:
        fail(str(exc))


def run_nightly(full_refresh: bool = False, as_of: datetime | None = None) -> int:
    """Run the nightly job once, in process; returns the exit code (0 published, 1 failed).

    ``as_of`` (aware) replays a night as of an earlier instant (tests); by default the run's
    one instant is when it was asked for, before the seconds of start-up, so that a run started
    at 23:59:59 on the last day of a month computes that month (lib/run_instant.py)."""
    asked_at = as_of or datetime.now(UTC)
    settings = load_settings()
    require_key()
    os.environ.update(settings.as_environment())
    use_dagster_home()
    ensure_dbt_manifest()

    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.defs.nightly.schedules import NIGHTLY_JOB_NAME
    from orchestration.defs.publication.assets import PUBLISHED_KEY
    from orchestration.lib.run_instant import AS_OF_TAG
    from orchestration.lib.run_report import explain_failure, explain_unpublished, unpublished_reasons

    job = defs().resolve_job_def(NIGHTLY_JOB_NAME)
    with DagsterInstance.get() as instance:
        # The job's default config logs at INFO on the console (DEBUG events stay in Dagster's
        # storage); a run config given here fills in around it.
        run_config = {"ops": {"raw_layer": {"config": {"full_refresh": True}}}} if full_refresh else {}
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config=run_config,
            tags={AS_OF_TAG: asked_at.isoformat()},
        )
        # Success means published: Dagster calls a run whose later steps were skipped a success.
        reasons = unpublished_reasons(instance, result.run_id, PUBLISHED_KEY) if result.success else []
        if result.success and not reasons:
            click.echo(f"Published {settings.published_path} (run {result.run_id}).")
            return 0
        click.echo(explain_unpublished(reasons) if reasons else explain_failure(instance, result.run_id), err=True)
        click.echo(f"Nothing was published: {settings.published_path} is unchanged. Run id {result.run_id}.", err=True)
        return 1


@click.command()
@click.option("--full-refresh", is_flag=True, help="Reload every CRM table and log file from scratch.")
def run(full_refresh: bool) -> None:
    """Run the nightly job once, now (the job the 02:00 schedule launches)."""
    sys.exit(run_nightly(full_refresh))
