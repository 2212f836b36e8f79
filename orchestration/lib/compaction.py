"""Rewrite the warehouse file so that deleted values leave no trace in free blocks.

DuckDB reuses the blocks of deleted rows but does not wipe them: after an erasure, the
erased person's bytes could stay in the file until overwritten. Copying every live object
into a fresh file (``COPY FROM DATABASE``) and renaming it over the old one leaves only live
data. The rename is atomic; a crash before it leaves the old file, still consistent, and the
next run compacts again (the need is recorded in ``ops.compaction_needed``).

Compaction runs right after forgetting, before dbt. The schemas dbt rebuilds entirely every
night (staging, intermediate, marts) are dropped instead of copied: dbt then writes them into
the fresh file, so no derived row of an erased person survives either, and the copy is only
the raw layer and the run history (at 1 M contacts: 37 % of the blocks). The drop happens in
the old file before the copy: a crash between the two leaves a file without those schemas,
whose compaction is still recorded as needed; the next run compacts again and dbt rebuilds
them (the dashboards read the published file meanwhile).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class Compaction:
    compacted: bool
    bytes_before: int
    bytes_after: int
    seconds: float


def mark_needed(conn: duckdb.DuckDBPyConnection, reason: str) -> None:
    conn.execute("create schema if not exists ops")
    conn.execute("create table if not exists ops.compaction_needed (reason varchar, noted_at timestamp)")
    conn.execute("insert into ops.compaction_needed values (?, now()::timestamp)", [reason])


def unmark(conn: duckdb.DuckDBPyConnection, reason: str) -> None:
    """Take back a mark made with ``reason`` (another mark still calls for the compaction)."""
    conn.execute("delete from ops.compaction_needed where reason = ?", [reason])


def is_needed(conn: duckdb.DuckDBPyConnection) -> bool:
    exists = conn.execute(
        "select count(*) from information_schema.tables where table_schema = 'ops' and table_name = 'compaction_needed'"
    ).fetchone()[0]
    return bool(exists) and conn.execute("select count(*) from ops.compaction_needed").fetchone()[0] > 0


KEPT_SCHEMAS = frozenset({"raw", "ops", "history", "main"})


def compact(warehouse: Path, rebuilt_schemas: tuple[str, ...] = ()) -> Compaction:
    """Copy the warehouse into a new file and rename it into place (no connection may be open).

    ``rebuilt_schemas`` are dropped (with everything in them) before the copy: only schemas
    whose every relation the next transformation rebuilds may be named; raw, ops and main
    never are.
    """
    kept = KEPT_SCHEMAS.intersection(rebuilt_schemas)
    if kept:
        raise ValueError(f"compaction may not drop the schema(s) {sorted(kept)}: they are not rebuilt by dbt")
    started = time.perf_counter()
    before = warehouse.stat().st_size
    fresh = warehouse.with_name(warehouse.name + ".compacting")
    for leftover in (fresh, fresh.with_name(fresh.name + ".wal")):
        leftover.unlink(missing_ok=True)
    conn = duckdb.connect()
    try:
        conn.execute("set enable_progress_bar = false")
        conn.execute(f"attach '{warehouse}' as old_db")
        for schema in rebuilt_schemas:
            conn.execute(f'drop schema if exists old_db."{schema}" cascade')
        conn.execute(f"attach '{fresh}' as new_db")
        conn.execute("copy from database old_db to new_db")
        conn.execute("delete from new_db.ops.compaction_needed")
        conn.execute("detach old_db")
        conn.execute("detach new_db")
    finally:
        conn.close()
    os.replace(fresh, warehouse)
    warehouse.with_name(warehouse.name + ".wal").unlink(missing_ok=True)
    return Compaction(True, before, warehouse.stat().st_size, time.perf_counter() - started)
