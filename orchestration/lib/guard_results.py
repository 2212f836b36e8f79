"""Keeping the guard's results (counts and names only) for the compliance page."""

from __future__ import annotations

from datetime import datetime

import duckdb

from orchestration.lib.publication import ensure_ops_tables


def persons_total(conn: duckdb.DuckDBPyConnection) -> int | None:
    """Distinct persons in the warehouse (the guard's grain rule compares table sizes to it)."""
    exists = conn.execute(
        "select count(*) from information_schema.tables where table_schema = 'intermediate' "
        "and table_name = 'int_persons_resolved'"
    ).fetchone()[0]
    if not exists:
        return None
    return conn.execute("select count(*) from intermediate.int_persons_resolved").fetchone()[0]


def record(conn: duckdb.DuckDBPyConnection, run_id: str, checked_at: datetime, report) -> None:
    """Keep a guard pass's findings under the run and its instant."""
    ensure_ops_tables(conn)
    conn.executemany(
        "insert into ops.guard_results values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (run_id, checked_at, report.target, f.table, f.rule, f.column, f.passed, f.failing, f.excepted)
            for f in report.findings
        ],
    )
