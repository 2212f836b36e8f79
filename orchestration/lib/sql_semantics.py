"""The SQL that Python spells where dbt decides the same thing: one place, each named after
the macro or model it mirrors.

Retention runs on raw, before dbt, yet must agree with the marts: on who is one person (a
prospect's clock is the person's), on which orders are cancelled (a prospect taken for a
client would outlive its three years), and on which Paris day a purged row counted in (the
periods retention cuts). So the expressions below are the dbt macros' and models', written
for DuckDB on raw columns; tests/orchestration/test_sql_semantics.py runs each beside dbt's
own compiled SQL on the same awkward rows.
"""

from __future__ import annotations

import duckdb


def normalise_email(expression: str) -> str:
    """dbt macro ``normalise_email`` (macros/normalise_email.sql): the email trimmed and
    lower-cased when it has a valid shape, else NULL."""
    return (
        f"case when regexp_matches(lower(trim({expression})), "
        "'^[a-z0-9._%+-]+@[a-z0-9-]+(\\.[a-z0-9-]+)*\\.[a-z]{2,}$') "
        f"then lower(trim({expression})) end"
    )


def normalise_phone(expression: str) -> str:
    """dbt macro ``normalise_phone`` (macros/normalise_phone.sql): a French number in E.164
    (+33 and nine digits) whatever the separators and prefix (0, +33, 0033), else NULL."""
    digits = f"regexp_replace({expression}, '[\\s.()/-]', '', 'g')"
    return (
        f"case when regexp_matches({digits}, '^0[1-9][0-9]{{8}}$') then '+33' || substr({digits}, 2) "
        f"when regexp_matches({digits}, '^\\+33[1-9][0-9]{{8}}$') then {digits} "
        f"when regexp_matches({digits}, '^0033[1-9][0-9]{{8}}$') then '+' || substr({digits}, 3) end"
    )


def is_annulee(status: str) -> str:
    """A status that reads 'annulee' once folded as dbt macro ``normalise_code`` folds it
    (``_plain_code``: trimmed, lower-cased, accents removed, spaces as underscores: 'Annulée',
    ' ANNULEE '); false for no status, as in dbt's models."""
    return (
        f"coalesce(replace(translate(lower(trim({status})), 'éèêëàâäîïôöûüç', 'eeeeaaaiioouuc'), ' ', '_') "
        "= 'annulee', false)"
    )


CANCELLED_ORDER = f"(cancelled_at is not null or {is_annulee('status')})"
"""dbt model ``stg_crm__orders`` (its ``is_cancelled``), on a row of raw.orders: a cancellation
time, or a status that reads annulée (docs/glossary.md). Retention and the marts must agree on
it: on who is a client, and on which month is cut."""


def cancelled_invoice(status: str) -> str:
    """dbt model ``int_invoices_settled`` (its ``is_cancelled``: the status of
    ``stg_crm__invoices``, folded by ``normalise_code``, is 'annulee'), on an invoice's raw
    ``status``."""
    return is_annulee(status)


def paris_date(utc_timestamp: str) -> str:
    """dbt macro ``paris_date`` (macros/paris_time.sql): the Europe/Paris day of a UTC timestamp."""
    return f"cast(timezone('Europe/Paris', timezone('UTC', {utc_timestamp})) as date)"


def resolve_persons(conn: duckdb.DuckDBPyConnection) -> None:
    """dbt model ``int_contacts_resolved``, on raw: temp table ``_contact_person(contact_id,
    person)``, each raw contact's person.

    Same valid email, else same valid phone (a phone also carried by contacts with a valid email
    belongs to the earliest of them), else the contact alone. dbt breaks a tie of creation
    instants by the keyed contact pseudonym, which retention does not compute; it breaks it by
    contact id."""
    conn.execute(
        f"""
        create or replace temp table _contact_person as
        with contacts as (
            select contact_id, created_at, {normalise_email("email")} as email, {normalise_phone("phone")} as phone
            from raw.contacts
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
