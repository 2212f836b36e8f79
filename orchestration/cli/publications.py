"""``mgreen publications`` and ``mgreen rollback``: the publications kept, and putting one back."""

from __future__ import annotations

import click

from orchestration.cli.common import fail, load_settings


@click.command()
def publications() -> None:
    """List the current publication and those kept for rollback."""
    from orchestration.lib.publication import list_publications

    settings = load_settings()
    items = list_publications(settings.published_path)
    if not items:
        click.echo("Nothing published yet.")
        return
    for item in items:
        mark = "*" if item.current else " "
        click.echo(f"{mark} {item.run_id}  données au {item.data_as_of}  publié le {item.published_at}  {item.path}")


@click.command()
@click.argument("run_id")
def rollback(run_id: str) -> None:
    """Put back a kept publication (by its run id, see `mgreen publications`)."""
    from orchestration.lib.publication import PublicationError
    from orchestration.lib.publication import rollback as do_rollback

    settings = load_settings()
    try:
        item = do_rollback(settings.published_path, run_id)
    except PublicationError as exc:
        fail(str(exc))
    click.echo(f"Restored the publication of run {item.run_id} (data as of {item.data_as_of}).")
