"""Reading a DuckDB file in a test: the rows of a query, the file opened read-only."""

from __future__ import annotations

from pathlib import Path

import duckdb


def table_rows(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        return conn.execute(sql, params or []).fetchall()
    finally:
        conn.close()
