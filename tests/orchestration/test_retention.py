"""Each retention rule of the privacy policy, at its edge."""

import dataclasses
import re
from datetime import date, datetime, time, timedelta

import duckdb
import pytest

from orchestration.lib import retention
from orchestration.lib.forgetting import apply_erasures
from orchestration.lib.raw_layer import refresh_raw
from orchestration.lib.retention import (
    RULES,
    RetentionBreach,
    apply_retention,
    cutoff,
    record_status,
    retention_status,
)
from orchestration.lib.sql_semantics import CANCELLED_ORDER, resolve_persons
from orchestration.project import DBT_PROJECT_DIR
from tests.support.places import SMALL_END

NOW = datetime(2026, 11, 26, 2, 0, 0)
# The night after the generated CRM, whose dates move with the clock (tests/support/places.py).
NIGHT_AFTER_THE_CRM = datetime.combine(SMALL_END + timedelta(days=2), time(2))


@pytest.fixture
def raw():
    conn = duckdb.connect()
    conn.execute("create schema raw")
    conn.execute(
        "create table raw.contacts (contact_id bigint, phone varchar, created_at timestamp, last_contact_at timestamp, "
        "email varchar, updated_at timestamp)"
    )
    conn.execute(
        "create table raw.orders (order_id bigint, quote_id bigint, contact_id bigint, status varchar, "
        "cancelled_at timestamp, updated_at timestamp)"
    )
    conn.execute("create table raw.installations (order_id bigint, completed_at timestamp)")
    conn.execute(
        "create table raw.invoices (invoice_id bigint, order_id bigint, issued_at timestamp, updated_at timestamp, "
        "status varchar default 'payee')"
    )
    # The CRM wrote these rows when it collected them.
    conn.execute(
        "create table raw.consents (contact_id bigint, granted boolean, recorded_at timestamp, "
        "updated_at timestamp generated always as (recorded_at) virtual)"
    )
    conn.execute(
        "create table raw.requests (contact_id bigint, created_at timestamp, "
        "updated_at timestamp generated always as (created_at) virtual)"
    )
    conn.execute("create table raw.web_sessions (session_id varchar, contact_id bigint, started_at timestamp)")
    conn.execute("create table raw.web_sessions_quarantine (source_file varchar, line_no bigint)")
    return conn


def ids(conn, table):
    return sorted(r[0] for r in conn.execute(f"select contact_id from raw.{table}").fetchall())


def test_rules_are_documented_in_one_place():
    names = [r.name for r in RULES]
    assert names == [
        "prospects",
        "client_prospecting",
        "billing",
        "opposition_lists",
        "browsing_data",
        "unlinked_prospects",
    ]
    assert all(r.policy and r.months > 0 for r in RULES)


def test_cutoff_handles_month_ends():
    assert cutoff(datetime(2026, 3, 31), 1) == datetime(2026, 2, 28)
    assert cutoff(NOW, 36) == datetime(2023, 11, 26, 2, 0, 0)


def test_prospects_are_kept_three_years_from_their_last_contact(raw):
    raw.execute(
        "insert into raw.contacts (contact_id, phone, created_at, last_contact_at) values "
        "(1, null, '2022-01-01', '2023-11-25'),"  # last contact 3 years + 1 day ago: purged
        "(2, null, '2022-01-01', '2023-11-27'),"  # 3 years - 1 day: kept
        "(3, null, '2020-01-01', null),"  # collected 6 years ago, never again: purged
        "(4, null, '2020-01-01', null)"
    )  # a client: not a prospect
    raw.execute("insert into raw.orders values (10, 1, 4, 'installee', null, '2020-02-01')")
    raw.execute("insert into raw.requests values (1, '2023-01-01'), (2, '2023-01-01')")
    result = apply_retention(raw, NOW)
    assert ids(raw, "contacts") == [2, 4]
    assert ids(raw, "requests") == [2]
    assert result["prospects"].rows["contacts"] == 2


def test_a_prospect_whose_orders_were_all_cancelled_is_purged_however_the_crm_spelled_it(raw):
    # The marts fold statuses ('Annulée' is 'annulee'): retention must not take these for clients.
    raw.execute(
        "insert into raw.contacts (contact_id, phone, created_at, last_contact_at) values (11, null, '2020-01-01', null), (12, null, '2020-01-01', null), "
        "(13, null, '2020-01-01', null), (14, null, '2020-01-01', null)"
    )
    raw.execute("alter table raw.orders add column ordered_at timestamp")
    raw.execute(
        "insert into raw.orders values (110, 1, 11, 'Annulée', null, '2020-02-01', '2020-01-10 12:00'), "
        "(120, 2, 12, ' ANNULEE ', null, '2020-02-01', '2020-01-11 12:00'), "
        "(130, 3, 13, 'installee', '2020-03-01', '2020-03-01', '2020-01-12 12:00'), "
        "(140, 4, 14, 'Installée', null, '2020-02-01', '2020-01-13 12:00')"
    )
    raw.execute(
        "insert into raw.invoices (invoice_id, order_id, issued_at, updated_at, status) values "
        "(1100, 110, '2020-01-10', '2020-01-10', 'Annulée')"
    )
    apply_retention(raw, NOW)
    assert ids(raw, "contacts") == [14]  # only the client stays
    assert ids(raw, "orders") == [14]
    # Their months lose cancelled orders only: the orders mart keeps them (count of cancellations
    # withheld), as it would for orders the CRM wrote 'annulee'.
    assert days(raw, "orders.ordered_at") == {date(2020, 1, 10), date(2020, 1, 11), date(2020, 1, 12)}
    assert days(raw, "orders.ordered_at.not_cancelled") == set()


def test_a_prospect_who_came_back_keeps_the_older_contact_as_one_person(raw):
    # The clocks are a person's (same valid email, else same valid phone), not a contact's.
    raw.execute(
        "insert into raw.contacts (contact_id, email, phone, created_at, last_contact_at) values "
        "(21, 'Lea.Dupont@example.org', null, '2020-01-01', null),"  # collected six years ago...
        "(22, ' lea.dupont@EXAMPLE.org ', null, '2026-10-01', null),"  # ...came back last month
        "(23, 'marc@example.org', '06 12 34 56 78', '2020-01-01', null),"  # silent since 2020, both
        "(24, null, '+33612345678', '2020-02-01', '2021-01-01'),"  # contacts (the phone): purged
        "(25, 'not an email', null, '2020-01-01', null),"  # no valid email nor phone: on its own
        "(26, 'not an email', null, '2026-01-01', null)"
    )
    raw.execute("insert into raw.requests values (21, '2020-01-02')")
    apply_retention(raw, NOW)
    assert ids(raw, "contacts") == [21, 22, 26]
    assert ids(raw, "requests") == [21]


def test_a_shared_phone_belongs_to_the_earliest_email_person(raw):
    # As int_contacts_resolved: contact 63 has no valid email and the phone that Zoé (61) and
    # Jules (62) both carry; it belongs to the earlier of them, Zoé.
    raw.execute(
        "insert into raw.contacts (contact_id, email, phone, created_at, last_contact_at) values "
        "(61, 'zoe@example.org', '0622222222', '2021-01-01', null), "
        "(62, 'jules@example.org', '+33 6 22 22 22 22', '2020-01-01', null), "
        "(63, null, '0033622222222', '2026-01-01', null)"
    )
    resolve_persons(raw)
    persons = dict(raw.execute("select contact_id, person from _contact_person").fetchall())
    assert persons[63] == persons[62] != persons[61]


def test_a_clients_older_contact_is_a_clients(raw):
    # Contact 31 never ordered, but its person did, under contact 32 (same phone): not a prospect.
    raw.execute(
        "insert into raw.contacts (contact_id, phone, created_at, last_contact_at) values "
        "(31, '0611111111', '2019-01-01', null), (32, '06.11.11.11.11', '2025-01-01', null)"
    )
    raw.execute("insert into raw.orders values (320, 1, 32, 'installee', null, '2025-02-01')")
    raw.execute("insert into raw.installations values (320, '2025-03-01')")
    raw.execute("insert into raw.requests values (31, '2019-01-02'), (32, '2025-01-02')")
    apply_retention(raw, NOW)
    assert ids(raw, "contacts") == [31, 32]
    # Its prospecting data counts from the person's last delivery (2025), not the contact's.
    assert ids(raw, "requests") == [31, 32]


def test_a_client_whose_other_contact_was_served_lately_keeps_its_prospecting_data(raw):
    raw.execute(
        "insert into raw.contacts (contact_id, email, phone, created_at, last_contact_at) values "
        "(41, 'anne@example.org', null, '2019-01-01', null), (42, 'anne@example.org', null, '2024-01-01', null), "
        "(43, 'paul@example.org', null, '2019-01-01', null)"
    )
    raw.execute(
        "insert into raw.orders values (410, 1, 41, 'installee', null, '2020-02-01'), "
        "(420, 2, 42, 'installee', null, '2025-02-01'), (430, 3, 43, 'installee', null, '2020-02-01')"
    )
    raw.execute("insert into raw.installations values (410, '2020-03-01'), (420, '2025-03-01'), (430, '2020-03-01')")
    raw.execute("insert into raw.requests values (41, '2019-01-02'), (42, '2024-01-02'), (43, '2019-01-02')")
    apply_retention(raw, NOW)
    assert ids(raw, "requests") == [41, 42]  # Paul's last delivery is six years old


def test_a_past_client_who_asks_again_keeps_its_prospecting_data(raw):
    # Served in 2021, Inès asked for a new quote last month under a new contact (72): she is
    # heard from, her prospecting data stays three years from that contact.
    raw.execute(
        "insert into raw.contacts (contact_id, email, phone, created_at, last_contact_at) values "
        "(71, 'ines@example.org', null, '2019-01-01', '2021-01-01'), "
        "(72, 'ines@example.org', null, '2026-10-15', '2026-10-20')"
    )
    raw.execute("insert into raw.orders values (710, 1, 71, 'installee', null, '2021-02-01')")
    raw.execute("insert into raw.installations values (710, '2021-03-01')")
    raw.execute("insert into raw.requests values (71, '2019-01-02'), (72, '2026-10-15')")
    apply_retention(raw, NOW)
    assert ids(raw, "requests") == [71, 72]


def test_billing_data_goes_with_the_persons_whole_relationship(raw):
    # Eve's first relationship (contact 51) ended in 2015, but she is still a client (contact 52):
    # her older orders stay. Yves (53, 54) has been gone for ten years: both his contacts go,
    # including the one that never ordered.
    raw.execute(
        "insert into raw.contacts (contact_id, email, phone, created_at, last_contact_at) values "
        "(51, 'eve@example.org', null, '2014-01-01', null), (52, 'eve@example.org', null, '2024-01-01', null), "
        "(53, 'yves@example.org', null, '2014-01-01', null), (54, 'yves@example.org', null, '2014-02-01', null)"
    )
    raw.execute(
        "insert into raw.orders values (510, 1, 51, 'installee', null, '2015-01-01'), "
        "(520, 2, 52, 'installee', null, '2024-02-01'), (530, 3, 53, 'installee', null, '2015-01-01')"
    )
    apply_retention(raw, NOW)
    assert ids(raw, "contacts") == [51, 52]
    assert ids(raw, "orders") == [51, 52]


def test_whoever_was_billed_is_a_client(raw):
    # Order 180 was installed and paid, but an operator typed 'Annulée': for the marts it is a
    # cancelled order, yet its invoice is billing data, kept ten years after the relationship.
    raw.execute(
        "insert into raw.contacts (contact_id, phone, created_at, last_contact_at) values (18, null, '2020-01-01', null)"
    )
    raw.execute("insert into raw.orders values (180, 1, 18, 'Annulée', null, '2020-03-01')")
    raw.execute(
        "insert into raw.invoices (invoice_id, order_id, issued_at, updated_at, status) values "
        "(1800, 180, '2020-02-01', '2020-03-01', 'payee')"
    )
    apply_retention(raw, NOW)
    assert ids(raw, "contacts") == [18] and ids(raw, "orders") == [18]


def test_retention_folds_statuses_as_the_marts_do():
    # The same folding as dbt's normalise_code (macros/normalise_code.sql, _plain_code), which
    # stg_crm__orders.is_cancelled uses: if one changes, this fails until the other follows.
    macro = (DBT_PROJECT_DIR / "macros" / "normalise_code.sql").read_text()
    plain = re.search(r"macro _plain_code\(expression\) -%}\s*(.+?)\s*{%- endmacro", macro, re.S).group(1)
    assert plain.replace("{{ expression }}", "status") in CANCELLED_ORDER


def test_a_date_after_the_run_does_not_keep_a_prospect_for_ever(raw):
    # Contact 15 was written in 2019 with a creation date typed ten years ahead: it counts from
    # when the CRM wrote it. Contact 16's last contact is real, its creation date is not.
    raw.execute(
        "insert into raw.contacts (contact_id, phone, created_at, last_contact_at, updated_at) values "
        "(15, null, '2029-01-11', null, '2019-01-14'), (16, null, '2029-03-17', '2019-03-20', '2019-03-20'), "
        "(17, null, '2029-04-12', '2026-04-16', '2026-04-16')"
    )
    apply_retention(raw, NOW)
    assert ids(raw, "contacts") == [17]


def test_clients_prospecting_data_goes_three_years_after_the_last_delivery(raw):
    raw.execute(
        "insert into raw.contacts (contact_id, phone, created_at, last_contact_at) values "
        "(5, null, '2019-01-01', '2021-01-01'), (6, null, '2019-01-01', null)"
    )
    raw.execute(
        "insert into raw.orders values (50, 1, 5, 'installee', null, '2023-06-01'), "
        "(60, 2, 6, 'installee', null, '2026-01-01')"
    )
    raw.execute("insert into raw.installations values (50, '2023-06-01'), (60, '2025-06-01')")
    raw.execute("insert into raw.consents values (5, true, '2019-01-01'), (6, true, '2019-01-01')")
    raw.execute("insert into raw.requests values (5, '2019-01-01'), (6, '2019-01-01')")
    apply_retention(raw, NOW)
    assert ids(raw, "consents") == [6] and ids(raw, "requests") == [6]
    assert ids(raw, "orders") == [5, 6]  # billing data is kept ten years


def test_billing_data_goes_ten_years_after_the_relationship(raw):
    raw.execute(
        "insert into raw.contacts (contact_id, phone, created_at, last_contact_at) values (7, null, '2014-01-01', null), (8, null, '2014-01-01', null)"
    )
    raw.execute(
        "insert into raw.orders values (70, 1, 7, 'installee', null, '2016-11-01'), "
        "(80, 2, 8, 'installee', null, '2016-12-01')"
    )
    raw.execute(
        "insert into raw.invoices (invoice_id, order_id, issued_at, updated_at) values "
        "(700, 70, '2016-11-01', '2016-11-20'), (800, 80, '2016-12-01', '2016-12-20')"
    )
    apply_retention(raw, NOW)
    assert ids(raw, "orders") == [8] and ids(raw, "contacts") == [8]


def test_oppositions_are_kept_three_years_from_collection(raw):
    raw.execute(
        "insert into raw.contacts (contact_id, phone, created_at, last_contact_at) values (9, null, '2026-01-01', null)"
    )
    raw.execute("insert into raw.orders values (90, 1, 9, 'planifiee', null, '2026-01-01')")
    raw.execute(
        "insert into raw.consents values (9, false, '2023-11-01'), (9, false, '2024-01-01'), (9, true, '2020-01-01')"
    )
    apply_retention(raw, NOW)
    assert raw.execute("select granted, recorded_at from raw.consents order by recorded_at").fetchall() == [
        (True, datetime(2020, 1, 1)),
        (False, datetime(2024, 1, 1)),
    ]


def test_browsing_data_is_kept_thirteen_months(raw):
    raw.execute(
        "insert into raw.contacts (contact_id, phone, created_at, last_contact_at) values (1, null, '2026-01-01', null)"
    )
    raw.execute("insert into raw.orders values (1, 1, 1, 'planifiee', null, '2026-01-01')")
    raw.execute("insert into raw.web_sessions values ('old', null, '2025-10-25'), ('new', null, '2025-10-27')")
    raw.execute("insert into raw.web_sessions_quarantine values ('2025-10-25.jsonl', 3), ('2025-10-27.jsonl', 1)")
    apply_retention(raw, NOW)
    assert raw.execute("select session_id from raw.web_sessions").fetchall() == [("new",)]
    assert raw.execute("select source_file from raw.web_sessions_quarantine").fetchall() == [("2025-10-27.jsonl",)]


def test_rows_of_no_contact_are_kept_three_years_from_collection(raw):
    raw.execute(
        "insert into raw.contacts (contact_id, phone, created_at, last_contact_at) values (5, null, '2026-01-01', null)"
    )
    raw.execute(
        "create table raw.calls (call_id bigint, contact_id bigint, caller_number varchar, started_at timestamp, "
        "updated_at timestamp)"
    )
    raw.execute(
        "create table raw.simulations (simulation_id bigint, contact_id bigint, web_session_id varchar, "
        "fiscal_income_eur integer, created_at timestamp, updated_at timestamp)"
    )
    raw.execute(
        "insert into raw.calls values "
        "(1, null, '0611111111', '2023-11-25', '2023-11-25'),"  # unmatched, 3 years + 1 day: purged
        "(2, null, '0622222222', '2023-11-27', '2023-11-27'),"  # unmatched, 3 years - 1 day: kept
        "(3, null, '0633333333', '2031-05-01', '2020-06-01'),"  # a call 'in 2031', written in 2020: purged
        "(4, 5, '0644444444', '2020-01-01', '2020-01-01')"  # the contact's: its person's rules decide
    )
    raw.execute(
        "insert into raw.simulations values "
        "(1, null, 's1', 21000, '2023-11-25', '2023-11-25'),"  # anonymous, 3 years + 1 day: purged
        "(2, null, 's2', 35000, '2023-11-27', '2024-02-01'),"  # anonymous, 3 years - 1 day: kept
        "(3, 5, 's3', 28000, '2020-01-01', '2020-01-01')"  # the contact's
    )
    # Rows whose contact id names no contact (99): the CRM's dirty references.
    raw.execute("insert into raw.consents values (99, true, '2020-01-01'), (99, true, '2024-01-01')")
    raw.execute("insert into raw.requests values (99, '2020-01-01'), (5, '2020-01-01')")
    raw.execute(
        "create table raw.quotes (quote_id bigint, contact_id bigint, created_at timestamp, updated_at timestamp)"
    )
    raw.execute("create table raw.quote_lines (quote_id bigint, line_no integer, updated_at timestamp)")
    raw.execute(
        "insert into raw.quotes values (601, 99, '2020-01-01', '2020-01-02'),"  # no contact, no order: purged
        "(602, 99, '2020-01-01', '2020-01-02'),"  # no contact, but an order refers to it: the order's
        "(603, 99, '2025-01-01', '2025-01-02'),"  # no contact, collected last year: kept
        "(604, 5, '2020-01-01', '2020-01-02')"  # the contact's
    )
    raw.execute(
        "insert into raw.quote_lines values (601, 1, '2020-01-02'), (601, 2, '2020-01-02'), (602, 1, '2020-01-02')"
    )
    raw.execute("insert into raw.orders values (62, 602, 5, 'planifiee', null, '2026-01-01')")
    result = apply_retention(raw, NOW)
    assert sorted(r[0] for r in raw.execute("select call_id from raw.calls").fetchall()) == [2, 4]
    assert sorted(r[0] for r in raw.execute("select simulation_id from raw.simulations").fetchall()) == [2, 3]
    assert raw.execute("select contact_id, recorded_at from raw.consents").fetchall() == [(99, datetime(2024, 1, 1))]
    assert ids(raw, "requests") == [5]
    assert sorted(r[0] for r in raw.execute("select quote_id from raw.quotes").fetchall()) == [602, 603, 604]
    assert raw.execute("select quote_id from raw.quote_lines").fetchall() == [(602,)]
    assert result["unlinked_prospects"].rows == {
        "calls": 2,
        "simulations": 1,
        "consents": 1,
        "requests": 1,
        "quote_lines": 2,
        "quotes": 1,
    }
    # Nothing published counts these tables: no period is cut.
    assert not {name for name, _, _ in cuts(raw)} & {"calls.started_at", "simulations.created_at"}


def cuts(conn) -> set[tuple]:
    """(name, first day, last day) of every range of days retention has cut into."""
    return set(conn.execute("select name, first_day, last_day from ops.retention_cuts").fetchall())


def days(conn, name: str) -> set[date]:
    return {first for n, first, last in cuts(conn) if n == name and first == last}


def test_retention_records_the_days_it_cuts_into(raw):
    raw.execute(
        "insert into raw.contacts (contact_id, phone, created_at, last_contact_at) values "
        "(1, null, '2022-03-10', '2023-01-01'),"  # a prospect past retention
        "(3, null, '2024-05-01', null)"  # a recent prospect: kept
    )
    raw.execute("alter table raw.orders add column ordered_at timestamp")
    raw.execute(
        "insert into raw.orders values (10, 1, 1, 'annulee', '2023-02-01', '2023-02-01', '2023-01-15 23:30'), "
        "(20, 2, 3, 'annulee', '2024-06-01', '2024-06-01', '2024-05-15')"
    )
    apply_retention(raw, NOW)
    # The purged prospect's creation day and its cancelled order's day, in Paris time; no order
    # of a client was purged.
    assert days(raw, "contacts.created_at") == {date(2022, 3, 10)}
    assert days(raw, "orders.ordered_at") == {date(2023, 1, 16)}
    assert days(raw, "orders.ordered_at.not_cancelled") == set()
    # Browsing data older than 13 months is gone whether or not a row was deleted.
    assert ("web_sessions.started_at", None, cutoff(NOW, 13).date()) in cuts(raw)


def test_a_client_whose_requests_are_purged_marks_the_cohort_of_the_client(raw):
    # Client 6's creation date is in the future (the CRM has a few): it is in no published
    # cohort, and is not recorded.
    raw.execute(
        "insert into raw.contacts (contact_id, phone, created_at, last_contact_at, updated_at) values "
        "(5, null, '2019-04-01', '2021-01-01', '2021-01-01'), (6, null, '2035-01-01', null, '2023-04-01')"
    )
    raw.execute(
        "insert into raw.orders values (50, 1, 5, 'installee', null, '2023-06-01'), "
        "(60, 2, 6, 'installee', null, '2023-06-01')"
    )
    raw.execute("insert into raw.installations values (50, '2023-06-01'), (60, '2023-06-01')")
    raw.execute("insert into raw.requests values (5, '2019-04-02'), (6, '2023-04-02')")
    apply_retention(raw, NOW)
    assert ids(raw, "requests") == []
    assert days(raw, "contacts.created_at") == {date(2019, 4, 1)}


def test_a_persons_purged_requests_mark_the_cohort_of_its_first_contact(raw):
    # Léo first came in 2019 (contact 7), asked again in 2020 under a new contact (8), was served
    # in 2022 and not heard from since. His requests go; the funnel counts them in his 2019
    # cohort, so 2019 is cut and 2020 is not.
    raw.execute(
        "insert into raw.contacts (contact_id, email, phone, created_at, last_contact_at) values "
        "(7, 'leo@example.org', null, '2019-04-01', null), (8, 'leo@example.org', null, '2020-05-01', null)"
    )
    raw.execute("insert into raw.orders values (70, 1, 7, 'installee', null, '2022-06-01')")
    raw.execute("insert into raw.installations values (70, '2022-06-01')")
    raw.execute("insert into raw.requests values (7, '2019-04-02'), (8, '2020-05-02')")
    apply_retention(raw, NOW)
    assert ids(raw, "requests") == []
    assert days(raw, "contacts.created_at") == {date(2019, 4, 1)}


def test_an_erasure_records_no_cut(raw):
    raw.execute("create table raw.privacy_requests (contact_id bigint, kind varchar, completed_at timestamp)")
    raw.execute("insert into raw.privacy_requests values (1, 'effacement', '2026-11-01')")
    raw.execute(
        "insert into raw.contacts (contact_id, phone, created_at, last_contact_at) values (1, null, '2026-01-01', null)"
    )
    assert apply_erasures(raw).contacts == 1
    assert raw.execute("select count(*) from information_schema.tables where table_schema = 'ops'").fetchone() == (0,)


def test_each_day_is_recorded_once_and_the_open_range_moves_forward(raw):
    raw.execute(
        "insert into raw.contacts (contact_id, phone, created_at, last_contact_at) values (1, null, '2022-03-10 08:00', null)"
    )
    apply_retention(raw, NOW)
    raw.execute(
        "insert into raw.contacts (contact_id, phone, created_at, last_contact_at) values (2, null, '2022-03-10 17:00', null), (3, null, '2021-01-01', null)"
    )
    apply_retention(raw, NOW)
    assert days(raw, "contacts.created_at") == {date(2022, 3, 10), date(2021, 1, 1)}
    assert raw.execute("select count(*) from ops.retention_cuts where name = 'contacts.created_at'").fetchone() == (2,)
    later = datetime(2027, 1, 10, 2, 0, 0)
    apply_retention(raw, later)
    open_ranges = [(first, last) for name, first, last in cuts(raw) if name == "web_sessions.started_at"]
    assert open_ranges == [(None, cutoff(later, 13).date())]


def test_a_warehouse_from_before_the_cuts_is_reloaded_once_and_recorded(source_copy, tmp_path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    first = refresh_raw(conn, source_copy.source_url, source_copy.web_dir, NIGHT_AFTER_THE_CRM)
    assert not first.full_refresh and first.retained["prospects"].contacts > 0
    recorded = cuts(conn)
    assert days(conn, "contacts.created_at")
    # As a warehouse of the version before the cuts left it: rows purged, nothing recorded.
    conn.execute("drop table ops.retention_cuts")
    conn.execute("drop table ops.retention_rules")
    upgraded = refresh_raw(conn, source_copy.source_url, source_copy.web_dir, NIGHT_AFTER_THE_CRM)
    assert upgraded.full_refresh
    assert upgraded.retained["prospects"].contacts == first.retained["prospects"].contacts
    assert cuts(conn) == recorded
    assert not refresh_raw(conn, source_copy.source_url, source_copy.web_dir, NIGHT_AFTER_THE_CRM).full_refresh


def test_a_warehouse_purged_contact_by_contact_is_reloaded_once(source_copy, tmp_path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    refresh_raw(conn, source_copy.source_url, source_copy.web_dir, NIGHT_AFTER_THE_CRM)
    kept = ids(conn, "contacts")
    # As the version that judged contacts one by one left it: cuts recorded, no rules version,
    # and a contact gone that its person's recent contact keeps now.
    recorded = cuts(conn)
    conn.execute("drop table ops.retention_rules")
    gone = kept[0]
    conn.execute("delete from raw.contacts where contact_id = ?", [gone])
    conn.execute("insert into ops.retention_cuts values ('contacts.created_at', '2026-01-05', '2026-01-05', now())")
    upgraded = refresh_raw(conn, source_copy.source_url, source_copy.web_dir, NIGHT_AFTER_THE_CRM)
    assert upgraded.full_refresh
    assert ids(conn, "contacts") == kept
    # The cuts are recorded anew: none left from the older rules.
    assert cuts(conn) == recorded
    assert not refresh_raw(conn, source_copy.source_url, source_copy.web_dir, NIGHT_AFTER_THE_CRM).full_refresh


def test_a_purge_that_committed_is_recorded_even_when_a_later_rule_fails(raw, monkeypatch):
    """The record of a removal is written in the transaction of the delete: a night that stops
    in a later rule keeps the record of what the earlier rules removed (the next night cannot
    find those rows again to record them)."""
    import orchestration.lib.retention as retention
    from orchestration.lib.forgetting import EventLog
    from orchestration.lib.publication import ensure_ops_tables

    ensure_ops_tables(raw)
    raw.execute(
        "insert into raw.contacts (contact_id, phone, created_at, last_contact_at) values "
        "(1, null, '2020-01-01', null), (2, null, '2025-01-01', null)"
    )
    real = retention.forget_contacts
    calls = []

    def second_rule_fails(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("injected")
        return real(*args, **kwargs)

    monkeypatch.setattr(retention, "forget_contacts", second_rule_fails)
    with pytest.raises(RuntimeError, match="injected"):
        apply_retention(raw, NOW, EventLog("run-1", NOW))
    assert ids(raw, "contacts") == [2]
    assert raw.execute(
        "select run_id, recorded_at, kind, rule, table_name, rows_removed from ops.gdpr_events"
    ).fetchall() == [("run-1", NOW, "retention", "prospects", "contacts", 1)]


def seed_every_rule(conn) -> None:
    """For each rule, one item past its limit at NOW and one kept (the oldest it keeps)."""
    conn.execute(
        "insert into raw.contacts (contact_id, phone, created_at, last_contact_at) values "
        "(1, null, '2020-01-01', '2023-11-25'),"  # prospect past 3 years
        "(2, null, '2020-01-01', '2023-12-01'),"  # prospect kept: the oldest
        "(5, null, '2019-01-01', '2021-01-01'),"  # client served in 2023-06: prospecting data past
        "(6, null, '2019-01-01', null),"  # client served in 2025-06: kept
        "(7, null, '2014-01-01', null)"  # client of 2016: billing past ten years
    )
    conn.execute(
        "insert into raw.orders values (50, 1, 5, 'installee', null, '2023-06-01'), "
        "(60, 2, 6, 'installee', null, '2026-01-01'), (70, 3, 7, 'installee', null, '2016-11-01')"
    )
    conn.execute("insert into raw.installations values (50, '2023-06-01'), (60, '2025-06-01'), (70, '2016-10-01')")
    conn.execute(
        "insert into raw.consents values (5, true, '2019-01-01'), (6, true, '2019-01-01'), "
        "(6, false, '2023-11-01'), (6, false, '2024-02-01'), (null, true, '2023-01-01'), (null, true, '2024-03-01')"
    )
    conn.execute("insert into raw.web_sessions values ('old', null, '2025-10-25'), ('new', null, '2025-10-27')")
    conn.execute("insert into raw.web_sessions_quarantine values ('2025-10-25.jsonl', 3), ('2025-10-28.jsonl', 1)")


def test_each_rule_reports_what_it_keeps_past_its_limit(raw):
    # The leak: retention has not run, and every rule sees what it must remove.
    seed_every_rule(raw)
    before = {s.rule: s.past_limit for s in retention_status(raw, NOW)}
    assert before == {
        "prospects": 1,
        "client_prospecting": 1,
        "billing": 1,
        "opposition_lists": 1,
        "browsing_data": 2,  # a session and a quarantined log file
        "unlinked_prospects": 1,
    }
    with pytest.raises(RetentionBreach, match="prospects: 1 past 2023-11-26 02:00") as raised:
        record_status(raw, NOW)
    assert "browsing_data: 2 past" in str(raised.value)
    assert raw.execute("select sum(past_limit) from ops.retention_status").fetchone()[0] == 7


def test_after_the_purge_each_rule_keeps_its_oldest_within_its_limit(raw):
    seed_every_rule(raw)
    apply_retention(raw, NOW)
    status = {s.rule: s for s in record_status(raw, NOW)}
    assert {rule: s.past_limit for rule, s in status.items()} == dict.fromkeys(status, 0)
    assert {rule: s.oldest_kept for rule, s in status.items()} == {
        "prospects": datetime(2023, 12, 1),
        "client_prospecting": datetime(2025, 6, 1),  # person 6: served last in June 2025
        "billing": datetime(2023, 6, 1),  # person 5 is still a client: its order is kept
        "opposition_lists": datetime(2024, 2, 1),
        "browsing_data": datetime(2025, 10, 27),
        "unlinked_prospects": datetime(2024, 3, 1),
    }
    assert status["billing"].cutoff == cutoff(NOW, 120)
    assert raw.execute("select count(*) from ops.retention_status").fetchone()[0] == len(RULES)


def test_a_rule_whose_deletions_fall_short_of_its_clock_fails_the_night(raw, monkeypatch):
    seed_every_rule(raw)
    broken = tuple(dataclasses.replace(r, deletions=r.deletions[:1]) if r.name == "browsing_data" else r for r in RULES)
    monkeypatch.setattr(retention, "RULES", broken)
    apply_retention(raw, NOW)
    with pytest.raises(RetentionBreach, match=r"^Retention kept .*browsing_data: 1 past"):
        record_status(raw, NOW)
