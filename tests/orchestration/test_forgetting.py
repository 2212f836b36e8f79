"""Erasure: every raw row derived from an erased contact goes, and only those."""

import sqlite3
from datetime import date, datetime, time, timedelta

import duckdb

from orchestration.lib.forgetting import apply_erasures, forget_contacts
from orchestration.lib.raw_layer import refresh_raw
from orchestration.lib.web_sessions import load_web_sessions
from tests.support.crm import crm_hard_deletes, load_all
from tests.support.places import SMALL_END


def _counts(conn, contact_id):
    tables = {
        "contacts": "contact_id = ?",
        "consents": "contact_id = ?",
        "requests": "contact_id = ?",
        "quotes": "contact_id = ?",
        "orders": "contact_id = ?",
        "web_sessions": "contact_id = ?",
        "aid_applications": "contact_id = ?",
        "survey_responses": "contact_id = ?",
    }
    return {
        t: conn.execute(f"select count(*) from raw.{t} where {w}", [contact_id]).fetchone()[0]
        for t, w in tables.items()
    }


def _a_client_with_a_web_session(conn):
    return conn.execute("""
        select o.contact_id from raw.orders o
        join raw.invoices i using (order_id) join raw.payments p using (invoice_id)
        join raw.web_sessions w on w.contact_id = o.contact_id
        join raw.contacts c on c.contact_id = o.contact_id
        where c.phone is not null
        limit 1""").fetchone()[0]


def test_an_executed_erasure_removes_every_derived_row(source_copy, tmp_path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    load_all(source_copy, conn)
    load_web_sessions(conn, source_copy.web_dir, keep_from=date(2020, 1, 1))
    target = _a_client_with_a_web_session(conn)
    phone = conn.execute("select phone from raw.contacts where contact_id = ?", [target]).fetchone()[0]
    digits = "".join(ch for ch in phone if ch.isdigit())[-9:]
    # An unmatched call from the same number: the CRM could not link it, the warehouse must forget it too.
    conn.execute(
        "insert into raw.calls (call_id, contact_id, caller_number, started_at, updated_at) "
        "values (987654321, null, ?, now(), now())",
        ["+33" + digits],
    )
    orders = [r[0] for r in conn.execute("select order_id from raw.orders where contact_id = ?", [target]).fetchall()]
    invoices = [
        r[0]
        for r in conn.execute(
            f"select invoice_id from raw.invoices where order_id in ({','.join(map(str, orders))})"
        ).fetchall()
    ]
    assert all(n > 0 for t, n in _counts(conn, target).items() if t in ("contacts", "orders", "web_sessions"))
    total_before = conn.execute("select count(*) from raw.contacts").fetchone()[0]

    # The CRM executes the erasure request.
    src = sqlite3.connect(source_copy.sqlite)
    # Dated after the CRM's last day, as the CRM dates what it writes: the loader's cursor reads it.
    done = f"{SMALL_END + timedelta(days=1)} 10:00:00"
    src.execute(
        "insert into privacy_requests values (99999, ?, 'effacement', ?, ?, ?)",
        [target, f"{SMALL_END - timedelta(days=20)} 10:00:00", done, done],
    )
    src.commit()
    src.close()
    load_all(source_copy, conn)  # privacy_requests comes in; the contact is still in the source copy
    result = apply_erasures(conn)
    assert result.rows["contacts"] >= 1
    assert set(_counts(conn, target).values()) == {0}
    assert (
        conn.execute(
            f"select count(*) from raw.invoices where invoice_id in ({','.join(map(str, invoices))})"
        ).fetchone()[0]
        == 0
    )
    assert (
        conn.execute(
            f"select count(*) from raw.payments where invoice_id in ({','.join(map(str, invoices))})"
        ).fetchone()[0]
        == 0
    )
    assert conn.execute("select count(*) from raw.calls where call_id = 987654321").fetchone()[0] == 0
    assert conn.execute("select count(*) from raw.contacts").fetchone()[0] == total_before - 1
    # The request itself stays, as the CRM keeps it: the legal proof.
    assert conn.execute("select count(*) from raw.privacy_requests where contact_id = ?", [target]).fetchone()[0] == 1
    # Idempotent: nothing more to forget.
    assert apply_erasures(conn).total == 0


def test_a_quote_of_no_contact_that_only_a_forgotten_persons_orders_name_goes_with_them():
    conn = duckdb.connect()
    conn.execute("create schema raw")
    conn.execute("create table raw.contacts (contact_id bigint, phone varchar)")
    conn.execute("create table raw.quotes (quote_id bigint, contact_id bigint, site_postcode varchar)")
    conn.execute("create table raw.quote_lines (quote_id bigint, line_no integer)")
    conn.execute("create table raw.orders (order_id bigint, quote_id bigint, contact_id bigint)")
    conn.execute("insert into raw.contacts values (1, null), (2, null)")
    # Quote 10 names a contact the CRM never had (a dirty reference), and only the person's order
    # names it. Quote 30 names no contact either, but another person's order names it too.
    conn.execute("insert into raw.quotes values (10, 900000001, '75011'), (20, 2, '93100'), (30, 900000003, '94200')")
    conn.execute("insert into raw.quote_lines values (10, 1), (20, 1), (30, 1)")
    conn.execute("insert into raw.orders values (100, 10, 1), (200, 20, 2), (300, 30, 1), (301, 30, 2)")
    result = forget_contacts(conn, "select 1 as contact_id")
    assert conn.execute("select quote_id from raw.quotes order by 1").fetchall() == [(20,), (30,)]
    assert conn.execute("select quote_id from raw.quote_lines order by 1").fetchall() == [(20,), (30,)]
    assert conn.execute("select order_id from raw.orders order by 1").fetchall() == [(200,), (301,)]
    assert result.rows == {"quote_lines": 1, "orders": 2, "quotes": 1, "contacts": 1}


def test_forgetting_nobody_changes_nothing(source_copy, tmp_path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    load_all(source_copy, conn)
    before = conn.execute("select count(*) from raw.quotes").fetchone()[0]
    assert forget_contacts(conn, "select 0 as contact_id where false").total == 0
    assert conn.execute("select count(*) from raw.quotes").fetchone()[0] == before


def _crm_erases(sqlite_path, contact_id, completed_at):
    """The CRM executes an erasure: it hard-deletes the person and keeps the request."""
    crm_hard_deletes(sqlite_path, contact_id)
    src = sqlite3.connect(sqlite_path)
    try:
        src.execute(
            "insert into privacy_requests values ((select max(privacy_request_id) + 1 from privacy_requests), "
            "?, 'effacement', ?, ?, ?)",
            [contact_id, completed_at, completed_at, completed_at],
        )
        src.commit()
    finally:
        src.close()


def test_a_person_the_crm_deleted_before_the_night_is_forgotten_by_their_number_and_simulations(source_copy, tmp_path):
    """The CRM deletes the person before the warehouse loads: the night still finds what only
    the person's copied rows linked to them (an unmatched call from their number, a session
    named only by their simulation)."""
    night = datetime.combine(SMALL_END + timedelta(days=2), time(2))
    changed_at = f"{SMALL_END + timedelta(days=1)} 09:00:00"
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    refresh_raw(conn, source_copy.source_url, source_copy.web_dir, night)
    # A person kept by retention, with a phone and a simulation, who never asked for a quote.
    target, phone, simulation = conn.execute("""
        select c.contact_id, c.phone, min(s.simulation_id)
        from raw.contacts c join raw.simulations s using (contact_id)
        where length(regexp_replace(c.phone, '[^0-9]', '', 'g')) >= 9
          and c.contact_id not in (select contact_id from raw.quotes)
        group by all order by c.contact_id limit 1""").fetchone()
    session, log_file = conn.execute(
        "select session_id, source_file from raw.web_sessions where contact_id is null "
        "and session_id not in (select web_session_id from raw.simulations where web_session_id is not null) "
        "order by session_id limit 1"
    ).fetchone()
    digits = "".join(ch for ch in phone if ch.isdigit())[-9:]
    src = sqlite3.connect(source_copy.sqlite)
    # A call the CRM could not match to anyone, from the person's number...
    src.execute(
        "insert into calls (call_id, contact_id, caller_number, started_at, updated_at) "
        "values ((select max(call_id) + 1 from calls), null, ?, ?, ?)",
        ["0" + digits, changed_at, changed_at],
    )
    call = src.execute("select max(call_id) from calls").fetchone()[0]
    # ...and their simulation made during a session the website logged anonymously.
    src.execute(
        "update simulations set web_session_id = ?, updated_at = ? where simulation_id = ?",
        [session, changed_at, simulation],
    )
    src.commit()
    src.close()
    refresh_raw(conn, source_copy.source_url, source_copy.web_dir, night)
    assert conn.execute("select count(*) from raw.calls where call_id = ?", [call]).fetchone()[0] == 1
    assert conn.execute("select count(*) from raw.web_sessions where session_id = ?", [session]).fetchone()[0] == 1

    # The day of the erasure, another unmatched call from that number reaches the CRM: the
    # night loads it after its first pass, and finds it by the number that pass kept.
    src = sqlite3.connect(source_copy.sqlite)
    src.execute(
        "insert into calls (call_id, contact_id, caller_number, started_at, updated_at) "
        "values ((select max(call_id) + 1 from calls), null, ?, ?, ?)",
        ["+33 " + digits, changed_at, f"{SMALL_END + timedelta(days=1)} 11:00:00"],
    )
    late_call = src.execute("select max(call_id) from calls").fetchone()[0]
    src.commit()
    src.close()
    _crm_erases(source_copy.sqlite, target, f"{SMALL_END + timedelta(days=1)} 10:00:00")
    night_after = refresh_raw(conn, source_copy.source_url, source_copy.web_dir, night)

    assert conn.execute("select count(*) from raw.contacts where contact_id = ?", [target]).fetchone()[0] == 0
    assert conn.execute("select count(*) from raw.calls where call_id in (?, ?)", [call, late_call]).fetchone()[0] == 0
    assert conn.execute("select count(*) from raw.web_sessions where session_id = ?", [session]).fetchone()[0] == 0
    # Counted as the erasure's (the DPO's page), not as rows the load replaced.
    assert night_after.erased.rows["calls"] >= 1 and night_after.erased.rows["web_sessions"] >= 1
    # The next night reads the calls of the last hours again (the loader's look-back): what
    # was forgotten stays forgotten, though the person's rows are long gone from raw.
    refresh_raw(conn, source_copy.source_url, source_copy.web_dir, night)
    assert conn.execute("select count(*) from raw.calls where call_id in (?, ?)", [call, late_call]).fetchone()[0] == 0
    assert conn.execute("select count(*) from raw.web_sessions where session_id = ?", [session]).fetchone()[0] == 0
    # The website delivers that day's log again (one more line): its sessions are reloaded,
    # the person's among them, and forgotten again.
    with (source_copy.web_dir / log_file).open("a", encoding="utf-8") as log:
        log.write("{not json\n")
    assert refresh_raw(conn, source_copy.source_url, source_copy.web_dir, night).web.files_loaded >= 1
    assert conn.execute("select count(*) from raw.web_sessions where session_id = ?", [session]).fetchone()[0] == 0
