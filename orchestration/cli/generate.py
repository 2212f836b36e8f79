"""``mgreen generate``: create the synthetic CRM and its session logs, or advance it by some days."""

from __future__ import annotations

from datetime import date, timedelta

import click

from orchestration.cli.common import fail, load_settings, progress


@click.command()
@click.option("--contacts", type=click.IntRange(min=1), help="Contacts to create (a new CRM).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed: same seed, same bytes.")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default="2019-01-01", show_default=True)
@click.option(
    "--end", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day of activity [default: yesterday]."
)
@click.option(
    "--dirty-rate",
    type=click.FloatRange(0, 0.2),
    default=0.02,
    show_default=True,
    help="Share of dirty values (bad emails, orphans, broken log lines...).",
)
@click.option("--advance-days", type=click.IntRange(min=1), help="Add D days of activity to the existing CRM instead.")
@click.option("--overwrite", is_flag=True, help="Replace an existing CRM.")
def generate(contacts, seed, start, end, dirty_rate, advance_days, overwrite) -> None:
    """Create a synthetic CRM and its session logs at the configured source, or advance it."""
    from synthetic_crm.engine import GenerationParams, advance
    from synthetic_crm.engine import generate as generate_crm
    from synthetic_crm.source import SourceError

    settings = load_settings()
    if (contacts is None) == (advance_days is None):
        fail("give either --contacts N (a new CRM) or --advance-days D (continue the existing one).")
    try:
        if advance_days:
            summary = advance(settings.source_url, settings.web_sessions_dir, advance_days, progress=progress)
            click.echo(
                f"CRM advanced to {summary.as_of}: {sum(summary.rows.values()):,} rows written, "
                f"{sum(summary.deleted.values()):,} erased, {summary.web_files} log files ({summary.seconds:.1f} s)."
            )
            return
        params = GenerationParams(
            contacts=contacts,
            seed=seed,
            start=start.date(),
            end=end.date() if end else date.today() - timedelta(days=1),
            dirty_rate=dirty_rate,
        )
        summary = generate_crm(
            params, settings.source_url, settings.web_sessions_dir, overwrite=overwrite, progress=progress
        )
    except (SourceError, ValueError) as exc:
        fail(str(exc))
    click.echo(
        f"CRM generated as of {summary.as_of}: {sum(summary.rows.values()):,} rows in {len(summary.rows)} tables, "
        f"{summary.web_files} session log files ({summary.seconds:.1f} s)."
    )
