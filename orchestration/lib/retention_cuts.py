"""The days retention has cut into, per kind of period: the marts do not publish them.

Retention removes rows by a clock of its own (a prospect's last contact, a client's last
service), not by the month a mart counts them in. Rebuilt from what remains, a mart's older
periods would quietly change meaning: a cohort of four years ago without its prospects who
never bought converts at 97 %, a month of surveys without the clients' answers that were
purged has no NPS worth reading. So, before each retention delete, the Paris days of the rows
about to go are recorded in ``ops.retention_cuts``: a name such as ``orders.ordered_at`` and a
range of days, no identifier. A rule that empties everything before its cutoff (browsing data,
whose older log files are not even loaded) records one open range up to the cutoff's day. A
mart publishes only the periods no range of its names touches (dbt macro ``is_retained``).
Erasures record nothing: they remove one person, whose figures the privacy policy wants gone.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from orchestration.lib.sql_semantics import CANCELLED_ORDER, paris_date


def _own(table: str, column: str) -> tuple[str, str, tuple[str, ...]]:
    return (
        f"{table}.{column}",
        f"select {column} as at from raw.{table} where ({{where}}) and {column} <= $now",
        (f"{table}.{column}",),
    )


def _cohort(source: str) -> tuple[str, str, tuple[str, ...]]:
    """The funnel's cohort day of the persons owning the rows about to go from raw.<source>: their
    first contact's creation (retention's ``_contact_person`` gives each contact's person)."""
    return (
        "contacts.created_at",
        "select min(c.created_at) as at from raw.contacts c "
        "join _contact_person p on p.contact_id = c.contact_id "
        "where c.created_at <= $now and p.person in (select person from _contact_person where contact_id in "
        f"(select contact_id from raw.{source} where {{where}})) group by p.person",
        (f"{source}.contact_id", "contacts.contact_id", "contacts.created_at"),
    )


# Per raw table, the dates the marts count its rows by: (name, SQL giving those timestamps as
# ``at`` for the rows about to be deleted, {where} being their condition, the columns it reads).
# Contacts and requests count in the funnel under their person's cohort. A date after the run
# ($now: the CRM has a few) is in no published period, and is left out.
PERIODS: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    "contacts": (_cohort("contacts"),),
    "requests": (_cohort("requests"),),
    "orders": (
        _own("orders", "ordered_at"),
        (
            "orders.ordered_at.not_cancelled",
            f"select ordered_at as at from raw.orders where ({{where}}) and not {CANCELLED_ORDER} and ordered_at <= $now",
            ("orders.ordered_at", "orders.cancelled_at", "orders.status"),
        ),
    ),
    "financing_requests": (_own("financing_requests", "requested_at"),),
    "aid_applications": (_own("aid_applications", "submitted_at"),),
    "survey_responses": (_own("survey_responses", "sent_at"), _own("survey_responses", "answered_at")),
    "service_tickets": (_own("service_tickets", "opened_at"), _own("service_tickets", "closed_at")),
    "web_sessions": (_own("web_sessions", "started_at"),),
}


def ensure_cuts(conn: duckdb.DuckDBPyConnection) -> None:
    """Create ``ops.retention_cuts`` (name, first day or NULL for "from the start", last day)."""
    conn.execute("create schema if not exists ops")
    conn.execute(
        "create table if not exists ops.retention_cuts "
        "(name varchar not null, first_day date, last_day date not null, recorded_at timestamp not null)"
    )


def clear_cuts(conn: duckdb.DuckDBPyConnection) -> None:
    """Forget every recorded cut: after a full reload, raw holds every row the CRM has, and the
    night's retention records anew what it removes."""
    ensure_cuts(conn)
    conn.execute("delete from ops.retention_cuts")


def record_purge(
    conn: duckdb.DuckDBPyConnection, table: str, where: str, now: datetime, params: dict | None = None
) -> None:
    """Before ``delete from raw.<table> where <where>`` at ``now``: record the days it cuts into
    (each day once per name). ``ops.retention_cuts`` exists (``ensure_cuts``), and so does
    ``_contact_person`` (``sql_semantics.resolve_persons``)."""
    entries = PERIODS.get(table, ())
    if not entries:
        return
    columns = _raw_columns(conn)
    for name, sql, needs in entries:
        if not set(needs) <= columns:
            continue
        conn.execute(
            f"""
            insert into ops.retention_cuts
            select distinct $name, day, day, $now::timestamp
            from (select {paris_date("t.at")} as day from ({sql.format(where=where)}) as t)
            where day is not null and not exists (
                select 1 from ops.retention_cuts as cut
                where cut.name = $name and day between coalesce(cut.first_day, day) and cut.last_day
            )
            """,
            {**(params or {}), "now": now, "name": name},
        )


def cut_until(conn: duckdb.DuckDBPyConnection, name: str, cutoff: datetime, now: datetime) -> None:
    """Record at ``now`` that nothing before ``cutoff`` is left (one open range per name, moved
    forward). ``ops.retention_cuts`` exists (``ensure_cuts``)."""
    last_day = conn.execute(f"select {paris_date('$at::timestamp')}", {"at": cutoff}).fetchone()[0]
    current = conn.execute(
        "select max(last_day) from ops.retention_cuts where name = ? and first_day is null", [name]
    ).fetchone()[0]
    if current is not None and current >= last_day:
        return
    conn.execute("delete from ops.retention_cuts where name = ? and first_day is null", [name])
    conn.execute("insert into ops.retention_cuts values (?, null, ?, ?)", [name, last_day, now])


def _raw_columns(conn: duckdb.DuckDBPyConnection) -> set[str]:
    """Every column of the raw schema, as "table.column"."""
    rows = conn.execute(
        "select table_name || '.' || column_name from information_schema.columns where table_schema = 'raw'"
    ).fetchall()
    return {r[0] for r in rows}
