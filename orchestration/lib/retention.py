"""Retention rules of the privacy policy, applied to the warehouse's own copy (raw).

The rules are here, in one readable table: each names the policy's sentence it implements
(../shared/crm/README.md, section 3), its period, and the SQL that selects what is past it.
``apply_retention`` runs every rule at an instant (the run's time) and returns the counts.
The marts are rebuilt from what remains, and publish only the periods that retention has not
cut into (``retention_cuts.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from orchestration.lib.forgetting import Forgotten, forget_contacts
from orchestration.lib.retention_cuts import CANCELLED_ORDER, cut_until, ensure_cuts, record_purge


@dataclass(frozen=True)
class RetentionRule:
    name: str
    policy: str
    months: int
    # SQL selecting contact ids to forget entirely (forget_contacts), given :cutoff.
    contacts_sql: str | None = None
    # Or plain deletions: (table, where clause given :cutoff).
    deletions: tuple[tuple[str, str], ...] = ()
    # A period the rule empties up to its cutoff whatever it deletes (log files older than the
    # cutoff are not even loaded): recorded as cut up to the cutoff, each night.
    empties: str | None = None


# A client is a contact with at least one order that was not cancelled (METRICS.md).
_CLIENT_IDS = f"select contact_id from raw.orders where not {CANCELLED_ORDER}"

RULES: tuple[RetentionRule, ...] = (
    RetentionRule(
        name="prospects",
        policy="Non-client prospects: 3 years from collection or from the prospect's last contact.",
        months=36,
        contacts_sql=(
            "select contact_id from raw.contacts "
            f"where contact_id not in ({_CLIENT_IDS}) "
            "and greatest(created_at, coalesce(last_contact_at, created_at)) < $cutoff"
        ),
    ),
    RetentionRule(
        name="client_prospecting",
        policy=(
            "Prospecting and loyalty data of clients: 3 years from the last delivery or the end of the last service."
        ),
        months=36,
        deletions=tuple(
            (table, "contact_id in (select contact_id from _clients_past_service)")
            for table in ("consents", "requests", "calls", "simulations", "survey_responses")
        ),
    ),
    RetentionRule(
        name="billing",
        policy="Order, contract and billing data: the relationship plus 10 years.",
        months=120,
        contacts_sql="select contact_id from _relationship_end where relationship_end < $cutoff",
    ),
    RetentionRule(
        name="opposition_lists",
        policy="Opposition lists: 3 years from collection.",
        months=36,
        deletions=(("consents", "not granted and recorded_at < $cutoff"),),
    ),
    RetentionRule(
        name="browsing_data",
        policy="Cookies and browsing data: 13 months.",
        months=13,
        deletions=(
            ("web_sessions", "started_at < $cutoff"),
            ("web_sessions_quarantine", "source_file < strftime($cutoff, '%Y-%m-%d') || '.jsonl'"),
        ),
        empties="web_sessions.started_at",
    ),
)


def cutoff(at: datetime, months: int) -> datetime:
    """``at`` minus whole months (the last day of the month when the day does not exist)."""
    year, month = divmod(at.year * 12 + at.month - 1 - months, 12)
    month += 1
    day = at.day
    while True:
        try:
            return at.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1


def _prepare(conn: duckdb.DuckDBPyConnection, at: datetime, tables: set[str]) -> None:
    """Each client's last delivery or service, and each contact's last billing event."""

    def t(name: str, columns: str) -> str:
        return f"raw.{name}" if name in tables else f"(select {columns} where false)"

    installations = t("installations", "null::bigint as order_id, null::timestamp as completed_at")
    tickets = t(
        "service_tickets", "null::bigint as contact_id, null::timestamp as closed_at, null::timestamp as opened_at"
    )
    invoices = t("invoices", "null::bigint as order_id, null::timestamp as issued_at, null::timestamp as updated_at")
    conn.execute(
        f"""
        create or replace temp table _service_end as
        select o.contact_id, max(i.completed_at) as last_service
        from raw.orders o join {installations} i on i.order_id = o.order_id
        where i.completed_at is not null group by o.contact_id
        union all
        select contact_id, max(coalesce(closed_at, opened_at)) from {tickets} group by contact_id
        """
    )
    conn.execute(
        f"""
        create or replace temp table _clients_past_service as
        select contact_id from _service_end
        where contact_id in ({_CLIENT_IDS})
        group by contact_id having max(last_service) < $cutoff
        """,
        {"cutoff": cutoff(at, 36)},
    )
    conn.execute(
        f"""
        create or replace temp table _relationship_end as
        select o.contact_id,
            greatest(max(o.updated_at), max(coalesce(inv.updated_at, o.updated_at))) as relationship_end
        from raw.orders o left join {invoices} inv on inv.order_id = o.order_id
        group by o.contact_id
        """
    )


def apply_retention(conn: duckdb.DuckDBPyConnection, at: datetime) -> dict[str, Forgotten]:
    """Apply every rule at instant ``at``; returns what each rule removed."""
    ensure_cuts(conn)  # present even before the first purge: this warehouse records them
    tables = {
        r[0]
        for r in conn.execute("select table_name from information_schema.tables where table_schema = 'raw'").fetchall()
    }
    results: dict[str, Forgotten] = {}
    if not {"contacts", "orders"} <= tables:
        return results
    _prepare(conn, at, tables)
    for rule in RULES:
        limit = cutoff(at, rule.months)
        if rule.contacts_sql:
            # forget_contacts runs its own transaction; the cutoff is a bound literal here.
            sql = rule.contacts_sql.replace("$cutoff", f"timestamp '{limit:%Y-%m-%d %H:%M:%S}'")
            results[rule.name] = forget_contacts(conn, sql, lambda table, where: record_purge(conn, table, where, at))
            continue
        removed = Forgotten()
        conn.execute("begin transaction")
        try:
            if rule.empties:
                cut_until(conn, rule.empties, limit)
            for table, where in rule.deletions:
                if table in tables:
                    params = {"cutoff": limit} if "$cutoff" in where else {}
                    record_purge(conn, table, where, at, params)
                    n = conn.execute(f"delete from raw.{table} where {where}", params).fetchone()[0]
                    if n:
                        removed.rows[table] = int(n)
            conn.execute("commit")
        except BaseException:
            conn.execute("rollback")
            raise
        results[rule.name] = removed
    for temp in ("_service_end", "_clients_past_service", "_relationship_end"):
        conn.execute(f"drop table if exists {temp}")
    return results
