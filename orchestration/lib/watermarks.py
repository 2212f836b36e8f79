"""How far back retention has cut into each kind of period: the marts stop publishing there.

Retention removes rows by a clock of its own (a prospect's last contact, a client's last
service), not by the month a mart counts them in. Rebuilt from what remains, a mart's older
periods would quietly change meaning: a cohort of four years ago without its prospects who
never bought converts at 97 %, a month of surveys without the clients' answers that were
purged has no NPS worth reading. So, before each retention delete, the latest period date of
the rows about to go is recorded in ``ops.retention_watermarks`` (a name such as
``orders.ordered_at`` and a timestamp: no identifier). A mart publishes only the periods after
its watermarks (dbt macro ``retained_from``). Erasures are not recorded: they remove one
person, whose figures the privacy policy wants gone, and mark no period.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

# Per raw table, the period dates the marts count its rows by: (watermark name, SQL of one
# value over the rows about to be deleted, {where} being their condition, the columns it
# reads as "table.column"). Requests count in the funnel under their owner's cohort. A date
# after the run ($now: the CRM has a few) belongs to no published period, and is left out.
_CANCELLED = "(cancelled_at is not null or status = 'annulee')"


def _latest(table: str, column: str) -> tuple[str, str, tuple[str, ...]]:
    return (
        f"{table}.{column}",
        f"select max({column}) from raw.{table} where ({{where}}) and {column} <= $now",
        (f"{table}.{column}",),
    )


PERIODS: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    "contacts": (_latest("contacts", "created_at"),),
    "requests": (
        (
            "contacts.created_at",
            "select max(created_at) from raw.contacts where created_at <= $now and contact_id in "
            "(select contact_id from raw.requests where {where})",
            ("requests.contact_id", "contacts.contact_id", "contacts.created_at"),
        ),
    ),
    "orders": (
        _latest("orders", "ordered_at"),
        (
            "orders.ordered_at.not_cancelled",
            f"select max(ordered_at) from raw.orders where ({{where}}) and not {_CANCELLED} and ordered_at <= $now",
            ("orders.ordered_at", "orders.cancelled_at", "orders.status"),
        ),
    ),
    "financing_requests": (_latest("financing_requests", "requested_at"),),
    "aid_applications": (_latest("aid_applications", "submitted_at"),),
    "survey_responses": (_latest("survey_responses", "sent_at"), _latest("survey_responses", "answered_at")),
    "service_tickets": (_latest("service_tickets", "opened_at"), _latest("service_tickets", "closed_at")),
    "web_sessions": (_latest("web_sessions", "started_at"),),
}


def ensure_watermarks(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("create schema if not exists ops")
    conn.execute(
        "create table if not exists ops.retention_watermarks "
        "(name varchar not null, purged_through timestamp not null, recorded_at timestamp not null)"
    )


def raise_watermark(conn: duckdb.DuckDBPyConnection, name: str, purged_through: datetime | None) -> None:
    """Record that rows dated up to ``purged_through`` may be missing; one row per name, moved
    forward only."""
    if purged_through is None:
        return
    ensure_watermarks(conn)
    current = conn.execute(
        "select max(purged_through) from ops.retention_watermarks where name = ?", [name]
    ).fetchone()[0]
    if current is not None and current >= purged_through:
        return
    conn.execute("delete from ops.retention_watermarks where name = ?", [name])
    conn.execute("insert into ops.retention_watermarks values (?, ?, now()::timestamp)", [name, purged_through])


def record_purge(
    conn: duckdb.DuckDBPyConnection, table: str, where: str, now: datetime, params: dict | None = None
) -> None:
    """Before ``delete from raw.<table> where <where>`` at ``now``: raise the watermarks of the
    periods it cuts into."""
    for name, sql, needs in PERIODS.get(table, ()):
        if all(_has_column(conn, *need.split(".")) for need in needs):
            value = conn.execute(sql.format(where=where), {**(params or {}), "now": now}).fetchone()[0]
            raise_watermark(conn, name, value)


def _has_column(conn: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    return bool(
        conn.execute(
            "select count(*) from information_schema.columns "
            "where table_schema = 'raw' and table_name = ? and column_name = ?",
            [table, column],
        ).fetchone()[0]
    )
