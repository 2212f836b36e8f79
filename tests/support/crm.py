"""The CRM's side of a test: what the CRM does when it erases a person, and its tables loaded
into raw as the nightly job loads them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from orchestration.lib.contract import crm_tables
from orchestration.lib.crm_loader import ensure_state, load_tables


def crm_hard_deletes(sqlite_path: Path, contact_id: int) -> None:
    """What the CRM does when it executes a person's erasure: it hard-deletes every row carrying
    their contact id, except the request in privacy_requests."""
    src = sqlite3.connect(sqlite_path)
    try:
        for (table,) in src.execute("select name from sqlite_master where type = 'table'").fetchall():
            if table == "privacy_requests":
                continue
            for column in (r[1] for r in src.execute(f"pragma table_info({table})").fetchall()):
                if column.endswith("contact_id"):
                    src.execute(f"delete from {table} where {column} = ?", [contact_id])
        src.commit()
    finally:
        src.close()


def load_all(place, conn):
    """Every table as the nightly job loads them (each read while the one before is merged)."""
    ensure_state(conn)
    loads, failures = load_tables(conn, place.source_url, list(crm_tables().values()))
    assert failures == []
    return loads
