"""Erasure: every raw row derived from an erased contact goes, and only those."""

import sqlite3
from datetime import date, timedelta

import duckdb

from orchestration.lib.forgetting import apply_erasures, forget_contacts
from orchestration.lib.web_sessions import load_web_sessions
from tests.conftest import SMALL_END
from tests.orchestration.test_crm_loader import load_all


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


def test_forgetting_nobody_changes_nothing(source_copy, tmp_path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    load_all(source_copy, conn)
    before = conn.execute("select count(*) from raw.quotes").fetchone()[0]
    assert forget_contacts(conn, "select 0 as contact_id where false").total == 0
    assert conn.execute("select count(*) from raw.quotes").fetchone()[0] == before
