"""Forgetting persons in the warehouse's raw copy: executed erasures and retention purges.

The CRM hard-deletes an erased person's rows; its ``privacy_requests`` table keeps the
request with the old contact id, and that is how the warehouse learns it must forget someone
it already copied. ``forget_contacts`` removes every raw row derived from a set of contact
ids: the contact, its consents, requests, simulations, calls (by contact or by the caller's
number), quotes and their lines, orders and what hangs from them (installations, invoices,
payments, collection cases, aid dossiers, tickets, surveys), financing requests, referrals
either way, and its website sessions. The same function serves retention when a prospect's
period is over. Deleting here is idempotent: running it every night on every executed
erasure costs a few semi-joins.

After this step the warehouse file is compacted (``compaction.py``) so that deleted values
do not linger in free blocks, and dbt rebuilds the staging, intermediate and mart tables
from what remains.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

# (table, how its rows are found, from the temporary sets built below), in deletion order.
_DERIVED_ROWS: tuple[tuple[str, str], ...] = (
    ("quote_lines", "quote_id in (select quote_id from _forget_quotes)"),
    ("installations", "order_id in (select order_id from _forget_orders)"),
    ("payments", "invoice_id in (select invoice_id from _forget_invoices)"),
    ("collection_cases", "invoice_id in (select invoice_id from _forget_invoices)"),
    ("invoices", "invoice_id in (select invoice_id from _forget_invoices)"),
    (
        "aid_applications",
        "contact_id in (select contact_id from _forget_contacts) or order_id in (select order_id from _forget_orders)",
    ),
    (
        "service_tickets",
        "contact_id in (select contact_id from _forget_contacts) or order_id in (select order_id from _forget_orders)",
    ),
    (
        "survey_responses",
        "contact_id in (select contact_id from _forget_contacts) or order_id in (select order_id from _forget_orders)",
    ),
    (
        "financing_requests",
        "contact_id in (select contact_id from _forget_contacts) or quote_id in (select quote_id from _forget_quotes)",
    ),
    ("orders", "order_id in (select order_id from _forget_orders)"),
    ("quotes", "quote_id in (select quote_id from _forget_quotes)"),
    ("consents", "contact_id in (select contact_id from _forget_contacts)"),
    ("requests", "contact_id in (select contact_id from _forget_contacts)"),
    (
        "simulations",
        "contact_id in (select contact_id from _forget_contacts) "
        "or web_session_id in (select session_id from _forget_sessions)",
    ),
    (
        "calls",
        "contact_id in (select contact_id from _forget_contacts) "
        "or right(regexp_replace(caller_number, '[^0-9]', '', 'g'), 9) in (select phone_digits from _forget_phones)",
    ),
    (
        "referrals",
        "referrer_contact_id in (select contact_id from _forget_contacts) "
        "or referee_contact_id in (select contact_id from _forget_contacts)",
    ),
    ("web_sessions", "session_id in (select session_id from _forget_sessions)"),
    ("contacts", "contact_id in (select contact_id from _forget_contacts)"),
)


@dataclass
class ErasureLinks:
    """What ties erased persons to rows that do not carry their contact id: the last nine
    digits of their phone numbers (unmatched calls) and the sessions of their simulations
    (sessions the website logged anonymously). Read from raw while the person's rows are
    still there, and kept from one pass of the night to the next: the CRM deletes the person
    before the warehouse loads, and the load's key reconciliation then removes the very rows
    these values were read from. Identifiers: never printed (no repr)."""

    phone_digits: set[str] = field(default_factory=set, repr=False)
    session_ids: set[str] = field(default_factory=set, repr=False)


@dataclass
class Forgotten:
    """Rows removed per raw table (counts only: the DPO's page shows them, nothing else)."""

    contacts: int = 0
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def __add__(self, other: Forgotten) -> Forgotten:
        """Two passes over the same requests: the persons once, the rows of both."""
        rows = dict(self.rows)
        for table, n in other.rows.items():
            rows[table] = rows.get(table, 0) + n
        return Forgotten(max(self.contacts, other.contacts), rows)


@dataclass(frozen=True)
class EventLog:
    """Where removals are recorded (``ops.gdpr_events``: run, instant, kind, rule, table, rows),
    inside the transaction of the delete itself: a night that fails after a purge has committed
    still leaves its record, and a record never names rows that are still there."""

    run_id: str
    at: datetime

    def write(self, conn: duckdb.DuckDBPyConnection, kind: str, rule: str, rows: dict[str, int]) -> None:
        if rows:
            conn.executemany(
                "insert into ops.gdpr_events values (?, ?, ?, ?, ?, ?)",
                [(self.run_id, self.at, kind, rule, table, n) for table, n in sorted(rows.items())],
            )


def names_no_contact(column: str = "contact_id", contacts: str = "raw.contacts") -> str:
    """SQL: the row's contact id is missing or names none of the contacts in ``contacts``
    (``raw.contacts``: one of the CRM's dirty references; ``_forget_contacts``: nobody forgotten)."""
    return f"({column} is null or {column} not in (select contact_id from {contacts} where contact_id is not null))"


def _existing_tables(conn: duckdb.DuckDBPyConnection) -> set[str]:
    rows = conn.execute("select table_name from information_schema.tables where table_schema = 'raw'").fetchall()
    return {r[0] for r in rows}


def forget_contacts(
    conn: duckdb.DuckDBPyConnection,
    contact_ids_sql: str,
    before_delete: Callable[[str, str], None] | None = None,
    links: ErasureLinks | None = None,
    on_commit: Callable[[Forgotten], None] | None = None,
) -> Forgotten:
    """Delete every raw row derived from the contact ids that ``contact_ids_sql`` selects.

    Runs in one transaction: either all of a person's rows go, or none. ``before_delete`` is
    called with each table and the condition of its delete, just before it runs (retention
    records what periods it cuts into). ``links``, when given, adds the phone numbers and
    sessions of an earlier pass to those found now, and receives them all. ``on_commit`` gets
    the result inside the transaction, just before it commits (the record of the removal).
    """
    tables = _existing_tables(conn)
    result = Forgotten()
    conn.execute("begin transaction")
    try:
        conn.execute(
            f"create or replace temp table _forget_contacts as select distinct contact_id from ({contact_ids_sql})"
        )
        result.contacts = conn.execute("select count(*) from _forget_contacts").fetchone()[0]
        if result.contacts:
            _collect(conn, tables)
            if links is not None:
                _carry(conn, links)
            for table, where in _DERIVED_ROWS:
                if table in tables:
                    if before_delete:
                        before_delete(table, where)
                    deleted = conn.execute(f"delete from raw.{table} where {where}").fetchone()[0]
                    if deleted:
                        result.rows[table] = int(deleted)
        for temp in ("contacts", "quotes", "orders", "invoices", "phones", "sessions"):
            conn.execute(f"drop table if exists _forget_{temp}")
        if on_commit:
            on_commit(result)
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return result


def _collect(conn: duckdb.DuckDBPyConnection, tables: set[str]) -> None:
    """The rows hanging from the contacts, found before anything is deleted."""

    def table_or_empty(name: str, columns: str) -> str:
        return f"raw.{name}" if name in tables else f"(select {columns} where false)"

    quotes = table_or_empty("quotes", "null::bigint as quote_id, null::bigint as contact_id")
    orders = table_or_empty("orders", "null::bigint as order_id, null::bigint as quote_id, null::bigint as contact_id")
    invoices = table_or_empty("invoices", "null::bigint as invoice_id, null::bigint as order_id")
    contacts = table_or_empty("contacts", "null::bigint as contact_id, null::varchar as phone")
    sessions = table_or_empty("web_sessions", "null::varchar as session_id, null::bigint as contact_id")
    simulations = table_or_empty("simulations", "null::varchar as web_session_id, null::bigint as contact_id")
    # A quote is the person's when it names them, or when it names no contact (one of the CRM's
    # dirty references) and only their orders name it.
    conn.execute(
        f"""
        create or replace temp table _forget_quotes as
        select quote_id from {quotes} q
        where contact_id in (select contact_id from _forget_contacts)
        or (
            {names_no_contact("q.contact_id", contacts)}
            and q.quote_id in (select quote_id from {orders} where contact_id in (select contact_id from _forget_contacts))
            and not exists (
                select 1 from {orders} o where o.quote_id = q.quote_id
                and {names_no_contact("o.contact_id", "_forget_contacts")}
            )
        )
        """
    )
    conn.execute(
        f"create or replace temp table _forget_orders as select order_id from {orders} "
        "where contact_id in (select contact_id from _forget_contacts) "
        "or quote_id in (select quote_id from _forget_quotes)"
    )
    conn.execute(
        f"create or replace temp table _forget_invoices as select invoice_id from {invoices} "
        "where order_id in (select order_id from _forget_orders)"
    )
    # Calls the CRM could not match still carry the person's number: compare the last nine digits.
    conn.execute(
        "create or replace temp table _forget_phones as "
        "select distinct right(regexp_replace(phone, '[^0-9]', '', 'g'), 9) as phone_digits "
        f"from {contacts} where contact_id in (select contact_id from _forget_contacts) "
        "and length(regexp_replace(phone, '[^0-9]', '', 'g')) >= 9"
    )
    conn.execute(
        "create or replace temp table _forget_sessions as "
        f"select session_id from {sessions} where contact_id in (select contact_id from _forget_contacts) "
        f"union select web_session_id from {simulations} "
        "where contact_id in (select contact_id from _forget_contacts) and web_session_id is not null"
    )


def _carry(conn: duckdb.DuckDBPyConnection, links: ErasureLinks) -> None:
    """Add an earlier pass's phone numbers and sessions to this pass's, and keep them all."""
    conn.execute("insert into _forget_phones select unnest(?::varchar[])", [sorted(links.phone_digits)])
    conn.execute("insert into _forget_sessions select unnest(?::varchar[])", [sorted(links.session_ids)])
    links.phone_digits = {r[0] for r in conn.execute("select distinct phone_digits from _forget_phones").fetchall()}
    links.session_ids = {r[0] for r in conn.execute("select distinct session_id from _forget_sessions").fetchall()}


# Rows an erasure finds through the person's phone number or simulations, not their contact
# id: the CRM keeps them (it cannot tell they are the person's), so the loader may copy them
# again (its look-back window, a full reload, a log file delivered again) once the person's
# own rows, through which they were found, are gone. Their source keys are kept in raw, with
# the identifiers, and every erasure pass forgets those rows again.
ERASED_KEYS_TABLE = "raw._erased_source_keys"
_SOURCE_KEYS = {"calls": "call_id", "web_sessions": "session_id"}


def _remember_keys(conn: duckdb.DuckDBPyConnection, table: str, where: str) -> None:
    """Before an erasure's delete: keep the source keys of the rows it finds by a link other
    than an erased contact id."""
    key = _SOURCE_KEYS.get(table)
    if key:
        conn.execute(
            f"insert into {ERASED_KEYS_TABLE} "
            f"select distinct '{table}', {key}::varchar, now()::timestamp from raw.{table} "
            f"where ({where}) "
            f"and {names_no_contact(contacts='_forget_contacts')} "
            f"and {key}::varchar not in (select source_key from {ERASED_KEYS_TABLE} where table_name = '{table}')"
        )


def _forget_erased_keys(
    conn: duckdb.DuckDBPyConnection, tables: set[str], log: EventLog | None = None
) -> dict[str, int]:
    """Delete the rows an earlier erasure found by their link, copied again since."""
    deleted = {}
    conn.execute("begin transaction")
    try:
        for table, key in _SOURCE_KEYS.items():
            if table in tables:
                n = conn.execute(
                    f"delete from raw.{table} where {key}::varchar in "
                    f"(select source_key from {ERASED_KEYS_TABLE} where table_name = ?)",
                    [table],
                ).fetchone()[0]
                if n:
                    deleted[table] = int(n)
        if log:
            log.write(conn, ERASURE, ERASURE_RULE, deleted)
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return deleted


# How ops.gdpr_events names an erasure (kind, rule).
ERASURE, ERASURE_RULE = "erasure", "effacement"
EXECUTED_ERASURES_SQL = (
    "select contact_id from raw.privacy_requests where kind = 'effacement' and completed_at is not null"
)


def apply_erasures(
    conn: duckdb.DuckDBPyConnection, links: ErasureLinks | None = None, log: EventLog | None = None
) -> Forgotten:
    """Forget every person whose erasure the CRM has executed (idempotent). The night runs it
    twice with the same ``links`` (``raw_layer.refresh_raw``): once as soon as the requests are
    loaded, while raw still holds the persons' phone numbers and simulations, and once after
    the other tables and the logs, for what tonight's files bring. ``log`` records the rows
    removed, in the same transactions."""
    tables = _existing_tables(conn)
    if "privacy_requests" not in tables:
        return Forgotten()
    conn.execute(
        f"create table if not exists {ERASED_KEYS_TABLE} "
        "(table_name varchar not null, source_key varchar not null, noted_at timestamp)"
    )
    result = forget_contacts(
        conn,
        EXECUTED_ERASURES_SQL,
        before_delete=lambda table, where: _remember_keys(conn, table, where),
        links=links,
        on_commit=(lambda done: log.write(conn, ERASURE, ERASURE_RULE, done.rows)) if log else None,
    )
    return result + Forgotten(result.contacts, _forget_erased_keys(conn, tables, log))
