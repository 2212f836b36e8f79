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
