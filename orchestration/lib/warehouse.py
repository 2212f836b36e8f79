"""Opening the warehouse file: one writer at a time, across processes.

DuckDB allows one read-write process or several read-only ones. Writers take an exclusive
file lock beside the warehouse first, so a second run waits a little, then fails with a clear
message instead of a DuckDB lock error in the middle of a load.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from filelock import FileLock, Timeout

LOCK_TIMEOUT_S = 30


class WarehouseBusyError(RuntimeError):
    """Another process is writing the warehouse."""


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


@contextmanager
def writer_lock(warehouse: Path, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the warehouse's writer lock (re-entrant within a process)."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_path(warehouse)), timeout=timeout)
    try:
        with lock:
            yield
    except Timeout:
        raise WarehouseBusyError(
            f"Another process is writing {warehouse} (lock held for more than {timeout:.0f} s). "
            "Wait for the other run to finish; `mgreen run` never runs twice at once."
        ) from None


def connect(warehouse: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the settings every step uses."""
    if read_only and not warehouse.exists():
        raise FileNotFoundError(f"The warehouse {warehouse} does not exist yet: run `mgreen run` first.")
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(warehouse), read_only=read_only)
    conn.execute("set enable_progress_bar = false")
    return conn


@contextmanager
def writing(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Lock, connect read-write, and always close (DuckDB checkpoints on close)."""
    with writer_lock(warehouse):
        conn = connect(warehouse)
        try:
            yield conn
        finally:
            conn.close()


def drop_orphan_relations(
    conn: duckdb.DuckDBPyConnection, schemas: tuple[str, ...], known: set[tuple[str, str]]
) -> list[str]:
    """Drop the tables and views of ``schemas`` that are not in ``known`` (schema, name) pairs;
    returns what was dropped, as ``schema.name``.

    dbt never drops the relation of a model removed from the project: left alone, a removed
    mart would still be published, and a removed staging model would keep its rows."""
    if not schemas:
        return []
    marks = ", ".join("?" for _ in schemas)
    found = conn.execute(
        f"select table_schema, table_name, table_type from information_schema.tables "
        f"where table_catalog = current_database() and table_schema in ({marks}) order by 1, 2",
        list(schemas),
    ).fetchall()
    dropped = []
    for schema, name, kind in found:
        if (schema, name) not in known:
            conn.execute(f'drop {"view" if kind == "VIEW" else "table"} "{schema}"."{name}"')
            dropped.append(f"{schema}.{name}")
    return dropped
