"""The ``mgreen`` command (DESIGN.md, "The contract the outside world relies on")."""

from __future__ import annotations

import atexit
import gc
import os
import secrets
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click

from orchestration.cli_report import report
from orchestration.cli_users import users
from orchestration.lib.settings import ConfigurationError, Settings
from orchestration.project import DASHBOARDS_DIR, DATA_DIR, dbt_project_dir

DEMO_KEY_FILE = DATA_DIR / "demo.key"
DEMO_CONTACTS = 20_000
DEMO_SEED = 2026


def _fail(message: str, code: int = 2) -> None:
    click.echo(click.style("mgreen: ", fg="red", bold=True) + message, err=True)
    sys.exit(code)


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigurationError as exc:
        _fail(str(exc))
        raise  # unreachable


def _progress(message: str) -> None:
    click.echo(f"  {message}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """M'green statistics warehouse: generate a CRM, run the nightly job, serve the dashboards."""
    atexit.register(_leave_objects_to_the_os)


main.add_command(users)
main.add_command(report)


def _leave_objects_to_the_os() -> None:
    """At exit, after the commands have closed what they opened (the warehouse, Dagster's
    instance): the interpreter's last garbage collections would walk the millions of objects a
    run leaves (dbt's manifest, Dagster's definitions, Great Expectations) for 1 to 2 s,
    only for the process to end. Frozen objects are skipped by those collections and their
    memory goes back with the process; exit handlers and reference-counted finalisers still
    run (docs/benchmarks.md, sixth round)."""
    gc.freeze()


@main.command()
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

    settings = _settings()
    if (contacts is None) == (advance_days is None):
        _fail("give either --contacts N (a new CRM) or --advance-days D (continue the existing one).")
    try:
        if advance_days:
            summary = advance(settings.source_url, settings.web_sessions_dir, advance_days, progress=_progress)
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
            params, settings.source_url, settings.web_sessions_dir, overwrite=overwrite, progress=_progress
        )
    except (SourceError, ValueError) as exc:
        _fail(str(exc))
    click.echo(
        f"CRM generated as of {summary.as_of}: {sum(summary.rows.values()):,} rows in {len(summary.rows)} tables, "
        f"{summary.web_files} session log files ({summary.seconds:.1f} s)."
    )


def ensure_dbt_manifest() -> None:
    """dagster-dbt reads dbt's manifest when the definitions load: parse the project if its files
    changed since the last parse (lib/dbt_manifest.py). A project dbt cannot parse fails the run."""
    from orchestration.lib.dbt_manifest import ManifestError, ensure_manifest

    try:
        ensure_manifest(dbt_project_dir())
    except ManifestError as exc:
        _fail(f"{exc}\nNothing was run or published.", code=1)


def _dagster_home() -> None:
    from orchestration.lib.instance import InstanceConfigError, prepare_dagster_home

    home = Path(os.environ.setdefault("DAGSTER_HOME", str(DATA_DIR / "dagster")))
    try:
        added = prepare_dagster_home(home)
    except InstanceConfigError as exc:
        _fail(str(exc))
    if added:
        _progress(f"Dagster instance settings added to {home / 'dagster.yaml'}: {', '.join(added)}.")


def _require_key() -> None:
    from orchestration.lib.pseudonymisation import PseudonymisationKeyError, load_key

    try:
        load_key()
    except PseudonymisationKeyError as exc:
        _fail(str(exc))


def run_nightly(full_refresh: bool = False, as_of: datetime | None = None) -> int:
    """Run the nightly job once, in process; returns the exit code (0 published, 1 failed).

    ``as_of`` (aware) replays a night as of an earlier instant (tests); by default the run's
    one instant is when it was asked for, before the seconds of start-up, so that a run started
    at 23:59:59 on the last day of a month computes that month (lib/run_instant.py)."""
    asked_at = as_of or datetime.now(UTC)
    settings = _settings()
    _require_key()
    os.environ.update(settings.as_environment())
    _dagster_home()
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


@main.command()
@click.option("--full-refresh", is_flag=True, help="Reload every CRM table and log file from scratch.")
def run(full_refresh: bool) -> None:
    """Run the nightly job once, now (the job the 02:00 schedule launches)."""
    sys.exit(run_nightly(full_refresh))


@main.command()
@click.option("--port", type=int, default=8501, show_default=True)
@click.option("--headless/--no-headless", default=True, show_default=True)
def dashboards(port: int, headless: bool) -> None:
    """Serve the dashboards on the published file (read-only)."""
    settings = _settings()
    if not settings.published_path.exists():
        _fail(f"Nothing published yet at {settings.published_path}: run `mgreen run` first.")
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


@main.command()
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
    settings = _settings()
    if not settings.source_url.startswith("sqlite:///") or not Path(settings.source_url[len("sqlite:///") :]).exists():
        click.echo(f"Generating a demo CRM of {contacts:,} contacts...")
        generate_crm(
            GenerationParams(contacts=contacts, seed=DEMO_SEED, end=date.today() - timedelta(days=1)),
            settings.source_url,
            settings.web_sessions_dir,
            progress=_progress,
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


def _exec_dagster(program: str, *args: str) -> None:
    """Replace this process by one of Dagster's programs, with `mgreen run`'s configuration."""
    os.environ.update(_settings().as_environment())
    _dagster_home()
    ensure_dbt_manifest()
    os.execv(str(Path(sys.executable).with_name(program)), [program, *args, "-m", "orchestration.definitions"])


@main.command()
def dev() -> None:
    """Dagster's UI (asset graph, checks, schedule) with the same configuration as `mgreen run`."""
    _exec_dagster("dagster", "dev")


@main.command()
def daemon() -> None:
    """Dagster's daemon: the 02:00 schedule, the run queue and run monitoring (for a server)."""
    # Refused now rather than at 02:00: every run it launches needs the key.
    _require_key()
    _exec_dagster("dagster-daemon", "run")


@main.command()
def publications() -> None:
    """List the current publication and those kept for rollback."""
    from orchestration.lib.publication import list_publications

    settings = _settings()
    items = list_publications(settings.published_path)
    if not items:
        click.echo("Nothing published yet.")
        return
    for item in items:
        mark = "*" if item.current else " "
        click.echo(f"{mark} {item.run_id}  données au {item.data_as_of}  publié le {item.published_at}  {item.path}")


@main.command()
@click.argument("run_id")
def rollback(run_id: str) -> None:
    """Put back a kept publication (by its run id, see `mgreen publications`)."""
    from orchestration.lib.publication import PublicationError
    from orchestration.lib.publication import rollback as do_rollback

    settings = _settings()
    try:
        item = do_rollback(settings.published_path, run_id)
    except PublicationError as exc:
        _fail(str(exc))
    click.echo(f"Restored the publication of run {item.run_id} (data as of {item.data_as_of}).")


def parse_period(text: str) -> date:
    """A period as an operator writes it: 2026-10 (a month), 2026-10-15 (a day), 2026-Q4."""
    import re

    text = text.strip()
    if m := re.fullmatch(r"(\d{4})-[Qq]([1-4])", text):
        return date(int(m[1]), 3 * int(m[2]) - 2, 1)
    for layout in ("%Y-%m", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, layout).date()
        except ValueError:
            continue
    raise click.BadParameter(f"{text!r}: write a month (2026-10), a day (2026-10-15) or a quarter (2026-Q4).")


@main.command()
@click.argument("period", required=False)
@click.option("--reason", required=True, help="Why (shown on the compliance page: no personal data).")
@click.option("--mart", "marts", multiple=True, help="Only this mart (repeatable); default every mart.")
@click.option("--all", "every", is_flag=True, help="Every frozen period of the marts: a change of definition.")
def revise(period: str | None, reason: str, marts: tuple[str, ...], every: bool) -> None:
    """Ask the next nightly run to recompute frozen periods (docs/operations.md, "Revisions").

    PERIOD is a month (2026-10), a day or a quarter (2026-Q4); every period frozen with it (its
    days, the quarter a month rolls up into) is recomputed with it, under the same rules."""
    from disclosure.spec import from_rules_table
    from orchestration.lib.history import HistoryError, request_revision
    from orchestration.lib.warehouse import writing

    if (period is None) != every:
        _fail("give either a PERIOD or --all (every frozen period of the marts chosen with --mart).")
    when = None if every else parse_period(period)
    settings = _settings()
    if not settings.warehouse_path.exists():
        _fail(f"The warehouse {settings.warehouse_path} does not exist yet: nothing is frozen.")
    with writing(settings.warehouse_path) as conn:
        specs = from_rules_table(conn.execute("select mart, rules from marts.disclosure_rules").fetchall())
        try:
            asked = request_revision(
                conn, specs, reason, datetime.now(UTC).replace(tzinfo=None), period=when, marts=list(marts) or None
            )
        except HistoryError as exc:
            _fail(str(exc))
    for mart, periods in asked.items():
        shown = ", ".join(p.isoformat() for p in periods[:6]) + (" …" if len(periods) > 6 else "")
        click.echo(f"{mart}: {len(periods)} period(s) to recompute: {shown}")
    click.echo("The next `mgreen run` recomputes them and records the revision.")


@main.command(name="history")
def history_command() -> None:
    """List the frozen periods per mart, and the revisions asked and done."""
    from orchestration.lib.warehouse import connect

    settings = _settings()
    if not settings.warehouse_path.exists():
        _fail(f"The warehouse {settings.warehouse_path} does not exist yet: nothing is frozen.")
    conn = connect(settings.warehouse_path, read_only=True)
    try:
        has = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'history' and table_name = 'revisions'"
        ).fetchall()[0][0]
        if not has:
            click.echo("Nothing frozen yet.")
            return
        for mart, n, first, last, revised in conn.execute(
            "select mart, count(*), min(period), max(period), count(*) filter (where revision > 0) "
            "from history.periods group by 1 order by 1"
        ).fetchall():
            click.echo(f"{mart}: {n} frozen period(s), {first} to {last}, {revised} revised")
        for mart, period, reason, done_at, outcome in conn.execute(
            "select mart, period, reason, done_at, outcome from history.revisions order by requested_at, mart, period"
        ).fetchall():
            state = f"{outcome} on {done_at:%Y-%m-%d}" if done_at else "pending (next run)"
            click.echo(f"revision {mart} {period}: {state} — {reason}")
    finally:
        conn.close()


if __name__ == "__main__":
    main()
