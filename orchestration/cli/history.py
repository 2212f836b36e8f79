"""``mgreen revise`` and ``mgreen history``: recomputing frozen periods, and what is frozen and revised."""

from __future__ import annotations

from datetime import UTC, date, datetime

import click

from orchestration.cli.common import fail, load_settings


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


@click.command()
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
        fail("give either a PERIOD or --all (every frozen period of the marts chosen with --mart).")
    when = None if every else parse_period(period)
    settings = load_settings()
    if not settings.warehouse_path.exists():
        fail(f"The warehouse {settings.warehouse_path} does not exist yet: nothing is frozen.")
    with writing(settings.warehouse_path) as conn:
        specs = from_rules_table(conn.execute("select mart, rules from marts.disclosure_rules").fetchall())
        try:
            asked = request_revision(
                conn, specs, reason, datetime.now(UTC).replace(tzinfo=None), period=when, marts=list(marts) or None
            )
        except HistoryError as exc:
            fail(str(exc))
    for mart, periods in asked.items():
        shown = ", ".join(p.isoformat() for p in periods[:6]) + (" …" if len(periods) > 6 else "")
        click.echo(f"{mart}: {len(periods)} period(s) to recompute: {shown}")
    click.echo("The next `mgreen run` recomputes them and records the revision.")


@click.command(name="history")
def history_command() -> None:
    """List the frozen periods per mart, and the revisions asked and done."""
    from orchestration.lib.warehouse import connect

    settings = load_settings()
    if not settings.warehouse_path.exists():
        fail(f"The warehouse {settings.warehouse_path} does not exist yet: nothing is frozen.")
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
