"""The ``mgreen`` command: its top-level group, and the registration of each command
(README.md, "Commands" and "Configuration"; docs/operations.md).

Each command lives in the module of its subject; their heavy imports stay inside the
functions, so that `mgreen --help` loads none of Dagster, dbt or the warehouse.
"""

from __future__ import annotations

import atexit
import gc

import click

from orchestration.cli import dagster_programs, demo, generate, history, publications, report, run, serve, users


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """M'green statistics warehouse: generate a CRM, run the nightly job, serve the dashboards."""
    atexit.register(_leave_objects_to_the_os)


def _leave_objects_to_the_os() -> None:
    """At exit, after the commands have closed what they opened (the warehouse, Dagster's
    instance): the interpreter's last garbage collections would walk the millions of objects a
    run leaves (dbt's manifest, Dagster's definitions, Great Expectations) for 1 to 2 s,
    only for the process to end. Frozen objects are skipped by those collections and their
    memory goes back with the process; exit handlers and reference-counted finalisers still
    run (docs/performance.md)."""
    gc.freeze()


# The modules stay bound under their own names in this package (not their commands), so that
# `orchestration.cli.run` is always the module, for imports and monkeypatching alike.
for command in (
    users.users,
    report.report,
    generate.generate,
    run.run,
    serve.dashboards,
    demo.demo,
    dagster_programs.dev,
    dagster_programs.daemon,
    publications.publications,
    publications.rollback,
    history.revise,
    history.history_command,
):
    main.add_command(command)
