"""The SQL Python spells where dbt decides the same thing (orchestration/lib/sql_semantics.py),
run beside dbt's own on the same awkward rows.

dbt's side is its compiled SQL: the macros by ``dbt compile --inline``, and the models that
decide cancellation and persons by ``dbt compile --select``, run on a DuckDB whose raw tables
(the models' sources) hold the rows below.
"""

import os
import secrets
from collections import defaultdict
from datetime import date, datetime

import duckdb
import pytest

from orchestration.lib.pseudonymisation import KEY_ENV, register_pseudonymiser
from orchestration.lib.sql_semantics import (
    CANCELLED_ORDER,
    cancelled_invoice,
    normalise_email,
    normalise_phone,
    paris_date,
    resolve_persons,
)
from orchestration.project import DBT_PROJECT_DIR
from tests.support.dbt_cli import run_dbt

# The macros, on one column of text (emails and phones both, each macro reading every value)
# and one of UTC instants.
MACROS = (
    "select id, {{ normalise_email('value') }} as email, {{ normalise_phone('value') }} as phone, "
    "{{ paris_date('instant') }} as paris_date from samples order by id"
)
MODELS = ("stg_crm__contacts", "int_contacts_resolved", "stg_crm__orders", "stg_crm__invoices", "int_invoices_settled")

VALUES = [
    "Ana.Martin@Example.org",
    "  ana.martin@example.org ",
    "ANA@EXAMPLE.FR\t",
    "ana martin@example.org",
    "ana@example",
    "ana@@example.org",
    "@example.org",
    "ana@example.c",
    "ana+news@sub.example.co.uk",
    "",
    "06 12 34 56 78",
    "06.12.34.56.78",
    "06-12-34-56-78",
    "(06) 12 34 56 78",
    "0612345678",
    "+33 6 12 34 56 78",
    "+33612345678",
    "0033 6 12 34 56 78",
    "0033612345678",
    "+33 06 12 34 56 78",
    "00 33 6 12 34 56 78",
    "6 12 34 56 78",
    "06 12 34 56 7",
    "06 12 34 56 789",
    "00 12 34 56 78",
    "+44 20 7946 0958",
    "06 12 34 56 78 ",
    " 06 12 34 56 78",
    "06\u00a012\u00a034\u00a056\u00a078",
    "06_12_34_56_78",
    "n/a",
    None,
]
# UTC instants around Paris midnights: winter, summer, both clock changes of 2024 (31 March,
# 27 October), a month's and a year's end.
INSTANTS = [
    datetime(2024, 1, 15, 22, 59, 59),
    datetime(2024, 1, 15, 23, 0, 0),
    datetime(2024, 7, 15, 21, 59, 59),
    datetime(2024, 7, 15, 22, 0, 0),
    datetime(2024, 3, 30, 22, 59, 59),
    datetime(2024, 3, 30, 23, 0, 0),
    datetime(2024, 3, 31, 0, 59, 59),
    datetime(2024, 3, 31, 1, 0, 0),
    datetime(2024, 3, 31, 21, 59, 59),
    datetime(2024, 3, 31, 22, 0, 0),
    datetime(2024, 10, 26, 21, 59, 59),
    datetime(2024, 10, 26, 22, 0, 0),
    datetime(2024, 10, 27, 0, 59, 59),
    datetime(2024, 10, 27, 1, 0, 0),
    datetime(2024, 10, 27, 22, 59, 59),
    datetime(2024, 10, 27, 23, 0, 0),
    datetime(2024, 1, 31, 23, 0, 0),
    datetime(2023, 12, 31, 22, 59, 59),
    datetime(2023, 12, 31, 23, 0, 0),
    None,
]
STATUSES = [
    "annulee",
    "Annulée",
    "annulée",
    " ANNULÉE ",
    "ANNULEE",
    "annulée ",
    "Annule",
    "annulee_x",
    "an nulee",
    "installee",
    "Installée",
    "payee",
    "Payée",
    "en retard",
    "EN_RETARD",
    "",
]
# Contacts: (id, email, phone, created_at). Same valid email, else same valid phone (the person
# of the earliest contact with a valid email carrying it), else the contact alone. No two share
# a creation instant (dbt breaks such ties by the contact's pseudonym, retention by its id).
CONTACTS = [
    (1, "Ana.Martin@Example.org ", "06 12 34 56 78", datetime(2020, 1, 1)),
    (2, "ana.martin@example.org", None, datetime(2020, 2, 1)),
    (3, None, "+33 6 12 34 56 78", datetime(2020, 3, 1)),
    (4, "ana@@example.org", "0033612345678", datetime(2020, 4, 1)),
    (5, "bob@example.org", "07.00.00.00.01", datetime(2021, 1, 1)),
    (6, "carol@example.org", "0700000001", datetime(2019, 1, 1)),
    (7, None, "07 00 00 00 01", datetime(2022, 1, 1)),
    (8, "", "01 23 45 67 89", datetime(2022, 2, 1)),
    (9, None, "(01) 23-45-67-89", datetime(2022, 3, 1)),
    (10, None, "n/a", datetime(2022, 4, 1)),
    (11, None, None, datetime(2022, 5, 1)),
    (12, "dave@example.org", "0612345678", datetime(2022, 6, 1)),
    (13, "DAVE@example.org", None, None),
]


@pytest.fixture(scope="module")
def dbt(tmp_path_factory):
    """dbt's SQL: the macros compiled inline, and the compiled models by name."""
    tmp = tmp_path_factory.mktemp("sql_semantics")
    key = secrets.token_urlsafe(48)
    env = {
        **os.environ,
        KEY_ENV: key,
        "MGREEN_WAREHOUSE_PATH": str(tmp / "warehouse.duckdb"),
        "MGREEN_MIN_CELL_SIZE": "5",
    }

    def compile_(*args: str) -> str:
        done = run_dbt("compile", "--quiet", *args, project=DBT_PROJECT_DIR, scratch=tmp, env=env, timeout=300)
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
        return done.stdout

    macros = compile_("--inline", MACROS)
    compile_("--select", *MODELS)
    compiled = {p.stem: p.read_text() for p in (tmp / "target" / "compiled").rglob("*.sql") if p.stem in MODELS}
    assert set(compiled) == set(MODELS)
    return {"macros": macros, "models": compiled, "key": key}


def rows(conn: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return conn.execute(sql).fetchall()


def test_email_phone_and_paris_day_are_dbt_macros(dbt):
    conn = duckdb.connect()
    conn.execute("create table samples (id integer, value varchar, instant timestamp)")
    samples = [(i, v, None) for i, v in enumerate(VALUES)]
    samples += [(len(VALUES) + i, None, at) for i, at in enumerate(INSTANTS)]
    conn.executemany("insert into samples values (?, ?, ?)", samples)
    python = rows(
        conn,
        f"select id, {normalise_email('value')} as email, {normalise_phone('value')} as phone, "
        f"{paris_date('instant')} as paris_date from samples order by id",
    )
    assert python == rows(conn, dbt["macros"])
    # Not equal by being empty: valid emails and phones, and days either side of Paris midnights.
    emails = dict(zip(VALUES, (email for _, email, _, _ in python)))
    phones = dict(zip(VALUES, (phone for _, _, phone, _ in python)))
    days = dict(zip(INSTANTS, (day for _, _, _, day in python[len(VALUES) :])))
    assert emails["  ana.martin@example.org "] == "ana.martin@example.org"
    assert {phones[v] for v in ("06.12.34.56.78", "+33 6 12 34 56 78", "0033612345678")} == {"+33612345678"}
    assert days[datetime(2024, 3, 31, 21, 59, 59)] == date(2024, 3, 31)
    assert days[datetime(2024, 3, 31, 22, 0, 0)] == date(2024, 4, 1)
    assert days[datetime(2024, 10, 27, 22, 59, 59)] == date(2024, 10, 27)


@pytest.fixture
def raw(dbt, tmp_path):
    """A warehouse named as dbt's profile names it, with raw tables of the rows above, dbt's
    staging models as views on them, and what int_invoices_settled reads besides, empty."""
    conn = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    register_pseudonymiser(conn, {KEY_ENV: dbt["key"]})
    for schema in ("raw", "staging", "intermediate"):
        conn.execute(f"create schema {schema}")
    conn.execute(
        "create table raw.contacts (contact_id bigint, email varchar, phone varchar, postcode varchar, "
        "acquisition_channel varchar, lead_provider varchar, created_at timestamp, last_contact_at timestamp, "
        "updated_at timestamp)"
    )
    conn.executemany(
        "insert into raw.contacts (contact_id, email, phone, created_at) values (?, ?, ?, ?)",
        CONTACTS,
    )
    conn.execute(
        "create table raw.orders (order_id bigint, quote_id bigint, contact_id bigint, ordered_at timestamp, "
        "status varchar, site_postcode varchar, cancelled_at timestamp, updated_at timestamp)"
    )
    conn.execute(
        "create table raw.invoices (invoice_id bigint, order_id bigint, issued_at timestamp, due_on date, "
        "amount_incl_tax_eur decimal(12, 2), status varchar, updated_at timestamp)"
    )
    for i, status in enumerate(STATUSES):
        for cancelled_at in (None, datetime(2024, 5, 1)):
            conn.execute(
                "insert into raw.orders (order_id, status, cancelled_at) values (?, ?, ?)",
                [2 * i + (cancelled_at is not None), status, cancelled_at],
            )
        conn.execute("insert into raw.invoices (invoice_id, order_id, status) values (?, ?, ?)", [i, 2 * i, status])
    for model in ("stg_crm__contacts", "stg_crm__orders", "stg_crm__invoices"):
        conn.execute(f"create view staging.{model} as {dbt['models'][model]}")
    conn.execute(
        "create table staging.stg_crm__payments (payment_id bigint, invoice_id bigint, paid_at timestamp, "
        "amount_eur decimal(12, 2))"
    )
    conn.execute(
        "create table intermediate.int_orders_enriched (order_id bigint, person_key varchar, departement varchar)"
    )
    yield conn
    conn.close()


def cancellations(raw: duckdb.DuckDBPyConnection, dbt: dict) -> dict[str, tuple[list, list]]:
    """Per table, (retention's verdict, the model's) on every row: (id, cancelled)."""
    return {
        "orders": (
            rows(raw, f"select order_id, {CANCELLED_ORDER} from raw.orders order by 1"),
            rows(raw, "select order_id, is_cancelled from staging.stg_crm__orders order by 1"),
        ),
        "invoices": (
            rows(raw, f"select invoice_id, {cancelled_invoice('status')} from raw.invoices order by 1"),
            rows(raw, f"select invoice_id, is_cancelled from ({dbt['models']['int_invoices_settled']}) order by 1"),
        ),
    }


def test_cancellation_is_the_models(raw, dbt):
    for table, (python, model) in cancellations(raw, dbt).items():
        assert python == model, table
        # Not equal by being uniform: both verdicts are among the rows.
        assert {cancelled for _, cancelled in python} == {True, False}, table


def test_no_status_is_judged_alike(raw, dbt):
    # Neither side reads a missing status as a cancellation, nor leaves it undecided (NULL).
    raw.execute("insert into raw.orders (order_id, status) values (1000, null)")
    raw.execute("insert into raw.invoices (invoice_id, order_id, status) values (1000, 1000, null)")
    for table, (python, model) in cancellations(raw, dbt).items():
        assert python == model, table


def test_persons_are_int_contacts_resolved(raw, dbt):
    raw.execute(f"create view intermediate.int_contacts_resolved as {dbt['models']['int_contacts_resolved']}")
    resolve_persons(raw)
    retention, marts = defaultdict(set), defaultdict(set)
    for contact_id, person in rows(raw, "select contact_id, person from _contact_person"):
        retention[person].add(contact_id)
    for contact_id, person_key in rows(
        raw,
        "select c.contact_id, r.person_key from raw.contacts c join intermediate.int_contacts_resolved r "
        "on r.contact_key = mgreen_pseudonym('contact', cast(c.contact_id as varchar))",
    ):
        marts[person_key].add(contact_id)
    persons = {frozenset(c) for c in retention.values()}
    assert persons == {frozenset(c) for c in marts.values()}
    # Not equal by being trivial: by email, by a phone its email person carries, by phone alone.
    assert {frozenset({1, 2, 3, 4}), frozenset({6, 7}), frozenset({8, 9}), frozenset({12, 13})} <= persons
