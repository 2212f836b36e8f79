"""Retention rules of the privacy policy, applied to the warehouse's own copy (raw).

The rules are one readable table (``retention_rules.py``): each names the policy's sentence it
implements, its period, and the SQL that selects what is past it. Here, the engine:
``apply_retention`` runs every rule at an instant (the run's time) and returns the counts, and
``record_status`` measures afterwards what each rule keeps (its clocks) against its limit.
The marts are rebuilt from what remains, and publish only the periods that retention has not
cut into (``retention_cuts.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from orchestration.lib.forgetting import EventLog, Forgotten, forget_contacts
from orchestration.lib.retention_cuts import cut_until, ensure_cuts, record_purge
from orchestration.lib.retention_rules import RETENTION, RULES, cutoff
from orchestration.lib.sql_semantics import CANCELLED_ORDER, cancelled_invoice, resolve_persons

# The rules' clocks are a person's, not a contact's: the CRM holds one person under several
# contacts, and the warehouse resolves them as docs/glossary.md says (same valid email, else same
# valid phone; int_contacts_resolved). A prospect who came back last month is a prospect whose
# last contact is last month, and a client's older contact is a client's. Judged contact by
# contact, such old contacts went as "non-client prospects": the person then counted as new in
# a recent cohort, and their orders under the channel of a later contact.
#
# ``_prepare`` builds, for the run: ``_contact_person`` (each contact's person), and per rule the
# contacts of the persons past it. A client is a person with at least one order that was not
# cancelled (docs/glossary.md; the marts' cancellation rule, CANCELLED_ORDER), or with an invoice
# that was not cancelled: whoever M'green billed has order and billing data, which the policy
# keeps for the relationship plus ten years, not three (the CRM has installed and paid orders
# whose status an operator typed 'Annulée').

# When a person was last heard from, per contact ``c``: its collection or its last contact,
# whichever is later. A date after the run is a typing error (the CRM has contacts "created" in
# 2033 whose rows were written in 2019): it is ignored, and a contact with no other date counts
# from when the CRM wrote it (updated_at, never before its collection). Taken as it is, such a
# date kept a prospect for ever.
_LAST_HEARD = (
    "coalesce(greatest(case when c.created_at <= $now then c.created_at end, "
    "case when c.last_contact_at <= $now then c.last_contact_at end), c.updated_at)"
)


def _prepare(conn: duckdb.DuckDBPyConnection, at: datetime, tables: set[str]) -> None:
    """Each contact's person and when the person was last heard from; the client persons; the
    contacts of clients three years past both their last delivery or service and their last
    contact; each person's last billing event."""

    def t(name: str, columns: str) -> str:
        return f"raw.{name}" if name in tables else f"(select {columns} where false)"

    installations = t("installations", "null::bigint as order_id, null::timestamp as completed_at")
    tickets = t(
        "service_tickets", "null::bigint as contact_id, null::timestamp as closed_at, null::timestamp as opened_at"
    )
    invoices = t(
        "invoices",
        "null::bigint as order_id, null::timestamp as issued_at, null::timestamp as updated_at, null::varchar as status",
    )
    resolve_persons(conn)
    conn.execute(
        f"""
        create or replace temp table _person_last_heard as
        select p.person, max({_LAST_HEARD}) as last_heard
        from _contact_person p join raw.contacts c on c.contact_id = p.contact_id
        group by p.person
        """,
        {"now": at},
    )
    conn.execute(
        f"""
        create or replace temp table _client_persons as
        select p.person from raw.orders o join _contact_person p on p.contact_id = o.contact_id
        where not {CANCELLED_ORDER}
        union
        select p.person from {invoices} i join raw.orders o on o.order_id = i.order_id
        join _contact_person p on p.contact_id = o.contact_id
        where not {cancelled_invoice("i.status")}
        """
    )
    # A client's clock: the later of the last delivery or service and the last contact (a client
    # with neither delivery nor service yet has no clock: the relationship has not ended).
    conn.execute(
        f"""
        create or replace temp table _client_clock as
        with service_end as (
            select o.contact_id, i.completed_at as last_service
            from raw.orders o join {installations} i on i.order_id = o.order_id
            where i.completed_at is not null
            union all
            select contact_id, coalesce(closed_at, opened_at) from {tickets}
        ),
        last_service as (
            select p.person, max(s.last_service) as last_service
            from service_end s join _contact_person p on p.contact_id = s.contact_id
            where p.person in (select person from _client_persons)
            group by p.person
        )
        select s.person, case when h.last_heard is not null then greatest(s.last_service, h.last_heard) end as clock
        from last_service s join _person_last_heard h on h.person = s.person
        where s.last_service is not null
        """
    )
    conn.execute(
        "create or replace temp table _clients_past_service as "
        "select contact_id from _contact_person where person in (select person from _client_clock where clock < $cutoff)",
        {"cutoff": cutoff(at, 36)},
    )
    conn.execute(
        f"""
        create or replace temp table _relationship_end as
        select o.contact_id, any_value(p.person) as person,
            greatest(max(o.updated_at), max(coalesce(inv.updated_at, o.updated_at))) as relationship_end
        from raw.orders o left join {invoices} inv on inv.order_id = o.order_id
        left join _contact_person p on p.contact_id = o.contact_id
        group by o.contact_id
        """
    )


def _raw_tables(conn: duckdb.DuckDBPyConnection) -> set[str]:
    rows = conn.execute("select table_name from information_schema.tables where table_schema = 'raw'").fetchall()
    return {r[0] for r in rows}


def apply_retention(conn: duckdb.DuckDBPyConnection, at: datetime, log: EventLog | None = None) -> dict[str, Forgotten]:
    """Apply every rule at instant ``at``; returns what each rule removed. ``log`` records each
    rule's removals in the transaction of its deletes."""
    ensure_cuts(conn)  # present even before the first purge: this warehouse records them
    tables = _raw_tables(conn)
    results: dict[str, Forgotten] = {}
    if not {"contacts", "orders"} <= tables:
        return results
    _prepare(conn, at, tables)
    for rule in RULES:
        limit = cutoff(at, rule.months)
        if rule.contacts_sql:
            # forget_contacts runs its own transaction; the cutoff is a bound literal here.
            sql = rule.contacts_sql.replace("$cutoff", f"timestamp '{limit:%Y-%m-%d %H:%M:%S}'")
            results[rule.name] = forget_contacts(
                conn,
                sql,
                lambda table, where: record_purge(conn, table, where, at),
                on_commit=(lambda done, name=rule.name: log.write(conn, RETENTION, name, done.rows)) if log else None,
            )
            continue
        removed = Forgotten()
        conn.execute("begin transaction")
        try:
            if rule.empties:
                cut_until(conn, rule.empties, limit, at)
            for table, where in rule.deletions:
                if table in tables:
                    params = {"cutoff": limit} if "$cutoff" in where else {}
                    record_purge(conn, table, where, at, params)
                    n = conn.execute(f"delete from raw.{table} where {where}", params).fetchone()[0]
                    if n:
                        removed.rows[table] = int(n)
            if log:
                log.write(conn, RETENTION, rule.name, removed.rows)
            conn.execute("commit")
        except BaseException:
            conn.execute("rollback")
            raise
        results[rule.name] = removed
    _drop_prepared(conn)
    return results


_PREPARED = (
    "_contact_person",
    "_person_last_heard",
    "_client_persons",
    "_client_clock",
    "_clients_past_service",
    "_relationship_end",
)


def _drop_prepared(conn: duckdb.DuckDBPyConnection) -> None:
    for temp in _PREPARED:
        conn.execute(f"drop table if exists {temp}")


@dataclass(frozen=True)
class RuleStatus:
    """What a rule keeps at an instant: the oldest clock among what it judges, against its limit."""

    rule: str
    policy: str
    months: int
    cutoff: datetime
    oldest_kept: datetime | None
    past_limit: int


class RetentionBreach(RuntimeError):
    """A rule keeps something past its limit after the purge: the rules and their clocks disagree."""


STATUS_TABLE = "ops.retention_status"


def ensure_status_table(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("create schema if not exists ops")
    conn.execute(
        f"create table if not exists {STATUS_TABLE} (checked_at timestamp, rule varchar, months integer, "
        "cutoff timestamp, oldest_kept timestamp, past_limit bigint)"
    )


def record_status(conn: duckdb.DuckDBPyConnection, at: datetime) -> list[RuleStatus]:
    """Measure every rule's clocks after the purge, keep the measure in ``ops.retention_status``
    (tonight's only: the compliance page shows where each rule stands now), and raise
    ``RetentionBreach`` when anything is past its limit."""
    status = retention_status(conn, at)
    ensure_status_table(conn)
    conn.execute("begin transaction")
    try:
        conn.execute(f"delete from {STATUS_TABLE}")
        conn.executemany(
            f"insert into {STATUS_TABLE} values (?, ?, ?, ?, ?, ?)",
            [(at, s.rule, s.months, s.cutoff, s.oldest_kept, s.past_limit) for s in status],
        )
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    breaches = [f"{s.rule}: {s.past_limit} past {s.cutoff:%Y-%m-%d %H:%M}" for s in status if s.past_limit]
    if breaches:
        raise RetentionBreach(
            "Retention kept what its rules say must go (the rules' deletions and clocks disagree): "
            + "; ".join(breaches)
        )
    return status


def retention_status(conn: duckdb.DuckDBPyConnection, at: datetime) -> list[RuleStatus]:
    """Each rule's clocks read afresh on raw as it is (after ``apply_retention``, nothing should be
    past its cutoff): the oldest, and how many items are past the cutoff. An item whose clock is
    after ``at`` (a typing error of the CRM) is not the oldest of anything and is left out."""
    tables = _raw_tables(conn)
    if not {"contacts", "orders"} <= tables:
        return []
    _prepare(conn, at, tables)
    try:
        status = []
        for rule in RULES:
            limit = cutoff(at, rule.months)
            clocks = " union all ".join(f"({sql})" for table, sql in rule.clocks if table in tables)
            oldest, past = (
                conn.execute(
                    f"select min(clock), count(*) filter (where clock < $cutoff) from ({clocks}) where clock <= $now",
                    {"cutoff": limit, "now": at},
                ).fetchone()
                if clocks
                else (None, 0)
            )
            status.append(RuleStatus(rule.name, rule.policy, rule.months, limit, oldest, int(past)))
        return status
    finally:
        _drop_prepared(conn)
