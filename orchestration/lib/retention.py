"""Retention rules of the privacy policy, applied to the warehouse's own copy (raw).

The rules are here, in one readable table: each names the policy's sentence it implements
(the retention section of the privacy policy, summarised in docs/ingestion.md), its period, and
the SQL that selects what is past it.
``apply_retention`` runs every rule at an instant (the run's time) and returns the counts.
The marts are rebuilt from what remains, and publish only the periods that retention has not
cut into (``retention_cuts.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from orchestration.lib.forgetting import EventLog, Forgotten, forget_contacts, names_no_contact
from orchestration.lib.retention_cuts import CANCELLED_INVOICE, CANCELLED_ORDER, cut_until, ensure_cuts, record_purge


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
    # What the rule's clock reads on what it keeps: (table the SQL needs, SQL selecting one
    # ``clock`` per item the rule judges, a person or a row). Measured after the purge
    # (``retention_status``): the oldest is the one closest to going, and none may be past.
    clocks: tuple[tuple[str, str], ...] = ()


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

# The rules' version. A warehouse whose raw layer older rules purged is reloaded in full once
# (raw_layer.refresh_raw), so that what the current rules keep comes back from the CRM:
# 1 recorded the cuts (contacts judged one by one), 2 judges a person's contacts together, 3
# takes whoever was billed for a client.
RULES_VERSION = 3
# How ops.gdpr_events names a retention purge (kind; the rule is the rule's name).
RETENTION = "retention"

# When a person was last heard from, per contact ``c``: its collection or its last contact,
# whichever is later. A date after the run is a typing error (the CRM has contacts "created" in
# 2033 whose rows were written in 2019): it is ignored, and a contact with no other date counts
# from when the CRM wrote it (updated_at, never before its collection). Taken as it is, such a
# date kept a prospect for ever.
_LAST_HEARD = (
    "coalesce(greatest(case when c.created_at <= $now then c.created_at end, "
    "case when c.last_contact_at <= $now then c.last_contact_at end), c.updated_at)"
)

# A row whose contact id is missing or names no contact of raw.
_NO_CONTACT = names_no_contact()
# A quote of no contact that no order refers to, collected more than three years ago.
_QUOTE_NO_ORDER = f"{_NO_CONTACT} and quote_id not in (select quote_id from raw.orders where quote_id is not null)"
_UNLINKED_QUOTE = f"{_QUOTE_NO_ORDER} and least(created_at, updated_at) < $cutoff"

# The tables of a client's prospecting and loyalty data.
_PROSPECTING = ("consents", "requests", "calls", "simulations", "survey_responses")

RULES: tuple[RetentionRule, ...] = (
    RetentionRule(
        name="prospects",
        policy="Non-client prospects: 3 years from collection or from the prospect's last contact.",
        months=36,
        contacts_sql=(
            "select contact_id from _contact_person where person in ("
            "select person from _person_last_heard where last_heard < $cutoff "
            "and person not in (select person from _client_persons))"
        ),
        clocks=(
            (
                "contacts",
                "select last_heard as clock from _person_last_heard "
                "where person not in (select person from _client_persons)",
            ),
        ),
    ),
    # A client who contacts M'green again is heard from: as CNIL's référentiel on commercial
    # management counts the last contact coming from the client among the ends of the commercial
    # relationship, the clock runs from the later of the last delivery or service and the
    # person's last contact (the prospects' clock). Judged on deliveries alone, the request a
    # past client sent last month would go tonight.
    RetentionRule(
        name="client_prospecting",
        policy=(
            "Prospecting and loyalty data of clients: 3 years from the last delivery or the end of the last service."
        ),
        months=36,
        deletions=tuple(
            (table, "contact_id in (select contact_id from _clients_past_service)") for table in _PROSPECTING
        ),
        clocks=tuple(
            (
                table,
                "select c.clock from _client_clock c where c.person in (select p.person from _contact_person p "
                f"join raw.{table} t on t.contact_id = p.contact_id)",
            )
            for table in _PROSPECTING
        ),
    ),
    RetentionRule(
        name="billing",
        policy="Order, contract and billing data: the relationship plus 10 years.",
        months=120,
        contacts_sql=(
            "select contact_id from _contact_person where person in ("
            "select person from _relationship_end group by person having max(relationship_end) < $cutoff) "
            "union select contact_id from _relationship_end where person is null and relationship_end < $cutoff"
        ),
        clocks=(
            (
                "orders",
                "select max(relationship_end) as clock from _relationship_end where person is not null group by person "
                "union all select relationship_end from _relationship_end where person is null",
            ),
        ),
    ),
    RetentionRule(
        name="opposition_lists",
        policy="Opposition lists: 3 years from collection.",
        months=36,
        deletions=(("consents", "not granted and recorded_at < $cutoff"),),
        clocks=(("consents", "select recorded_at as clock from raw.consents where not granted"),),
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
        clocks=(
            ("web_sessions", "select started_at as clock from raw.web_sessions"),
            (
                "web_sessions_quarantine",
                # a log file is kept while its day has not wholly passed the cutoff
                "select try_strptime(source_file, '%Y-%m-%d.jsonl') + interval 1 day as clock "
                "from raw.web_sessions_quarantine",
            ),
        ),
    ),
    # The CRM's rows that no contact reaches: calls it could not match (the caller's number is a
    # direct identifier), simulations of visitors who stayed anonymous (their household's tax
    # income, postcode and home), and rows whose contact id names no contact of raw (the CRM's
    # dirty references, or a row the CRM sent again after retention purged its person). No
    # person carries them to a rule above, so they were kept for ever. Whoever called,
    # simulated, consented, asked or got a quote is at most a prospect to M'green: three years
    # from the collection (from when the CRM wrote the row when that date is later, a typing
    # error). A quote an order refers to is the order's, and stays. No mart counts these rows
    # (the funnel joins requests and quotes to their contact): no period is cut.
    RetentionRule(
        name="unlinked_prospects",
        policy="Non-client prospects: 3 years from collection or from the prospect's last contact.",
        months=36,
        deletions=(
            ("calls", f"{_NO_CONTACT} and least(started_at, updated_at) < $cutoff"),
            ("simulations", f"{_NO_CONTACT} and least(created_at, updated_at) < $cutoff"),
            ("consents", f"{_NO_CONTACT} and least(recorded_at, updated_at) < $cutoff"),
            ("requests", f"{_NO_CONTACT} and least(created_at, updated_at) < $cutoff"),
            ("quote_lines", f"quote_id in (select quote_id from raw.quotes where {_UNLINKED_QUOTE})"),
            ("quotes", _UNLINKED_QUOTE),
        ),
        clocks=(
            *(
                (table, f"select least({column}, updated_at) as clock from raw.{table} where {_NO_CONTACT}")
                for table, column in (
                    ("calls", "started_at"),
                    ("simulations", "created_at"),
                    ("consents", "recorded_at"),
                    ("requests", "created_at"),
                )
            ),
            (
                "quotes",
                f"select least(created_at, updated_at) as clock from raw.quotes where {_QUOTE_NO_ORDER}",
            ),
        ),
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


# dbt's normalise_email and normalise_phone (macros/), spelt for the raw columns: the same
# person for retention as for the marts (a test compares the two groupings on a built warehouse).
_EMAIL = (
    "case when regexp_matches(lower(trim(email)), '^[a-z0-9._%+-]+@[a-z0-9-]+(\\.[a-z0-9-]+)*\\.[a-z]{2,}$') "
    "then lower(trim(email)) end"
)
_DIGITS = "regexp_replace(phone, '[\\s.()/-]', '', 'g')"
_PHONE = (
    f"case when regexp_matches({_DIGITS}, '^0[1-9][0-9]{{8}}$') then '+33' || substr({_DIGITS}, 2) "
    f"when regexp_matches({_DIGITS}, '^\\+33[1-9][0-9]{{8}}$') then {_DIGITS} "
    f"when regexp_matches({_DIGITS}, '^0033[1-9][0-9]{{8}}$') then '+' || substr({_DIGITS}, 3) end"
)


def resolve_persons(conn: duckdb.DuckDBPyConnection) -> None:
    """Temp table ``_contact_person(contact_id, person)``: each raw contact's person.

    Same valid email, else same valid phone (a phone also carried by contacts with a valid email
    belongs to the earliest of them), else the contact alone, as int_contacts_resolved. dbt
    breaks a tie of creation instants by the keyed contact pseudonym, which retention does not
    compute; it breaks it by contact id."""
    conn.execute(
        f"""
        create or replace temp table _contact_person as
        with contacts as (
            select contact_id, created_at, {_EMAIL} as email, {_PHONE} as phone from raw.contacts
        ),
        phone_owners as (
            select phone, arg_min(email, (created_at, contact_id)) as email
            from contacts where email is not null and phone is not null group by phone
        )
        select contacts.contact_id,
            case
                when contacts.email is not null then 'e:' || contacts.email
                when contacts.phone is not null then coalesce('e:' || phone_owners.email, 'p:' || contacts.phone)
                else 'c:' || contacts.contact_id
            end as person
        from contacts
        left join phone_owners on contacts.email is null and phone_owners.phone = contacts.phone
        """
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
        where not {CANCELLED_INVOICE.format(status="i.status")}
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
    conn.execute(f"delete from {STATUS_TABLE}")
    conn.executemany(
        f"insert into {STATUS_TABLE} values (?, ?, ?, ?, ?, ?)",
        [(at, s.rule, s.months, s.cutoff, s.oldest_kept, s.past_limit) for s in status],
    )
    conn.execute("commit")
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
