"""Copy the CRM into the warehouse's ``raw`` schema: incremental, idempotent, crash-safe.

Reading goes through Arrow Database Connectivity (ADBC) drivers, SQLite's or PostgreSQL's,
which hand DuckDB Arrow tables without a Python object per value. Every column is read as
text and typed in DuckDB from the contract (``contract.py``): a value the contract's type
cannot hold is counted (never printed) instead of breaking the load or being guessed.

Per table, in one DuckDB transaction: rows changed since the table's cursor (``updated_at``,
minus a look-back window for late commits) replace their earlier version by primary key, and
the cursor moves. A run killed at any instant leaves each table either before or after its
transaction; the next run starts from the stored cursors and converges to the same state.
After the merge, keys that vanished from the CRM (hard deletes, executed erasures) are
removed too, so that raw equals the source key for key. ``load_tables`` reads each table on a
second connection while the one before is merged.

Why not dlt: measured on the 1,000,000-contact CRM, its sql_database source took 50.6 s
for ten tables where this reader took 13.4 s, and its load packages and staging dataset
are copies of identifiers that erasure would have to chase (docs/decisions/0004).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

import duckdb
import pyarrow as pa
from sqlalchemy.engine import make_url
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from orchestration.lib.contract import SourceTable

LOOKBACK = timedelta(hours=6)
STATE_TABLE = "raw._load_state"


class SourceUnavailableError(RuntimeError):
    """The CRM cannot be reached or opened (after retries)."""


class SchemaDriftError(RuntimeError):
    """A CRM table lacks a column the contract expects; its load is stopped."""


class CrmReader(Protocol):
    def columns(self, table: str) -> list[str]: ...
    def read(self, table: str, columns: tuple[str, ...], since: str | None) -> pa.Table: ...
    def keys(self, table: str, key: tuple[str, ...]) -> pa.Table: ...
    def close(self) -> None: ...


class _AdbcReader:
    # How each engine spells the cursor bound (a bind parameter, typed where needed).
    cursor_bound = "?"

    def __init__(self, conn):
        self.conn = conn

    def _query(self, sql: str, params: tuple = ()) -> pa.Table:
        cur = self.conn.cursor()
        try:
            cur.execute(sql, params) if params else cur.execute(sql)
            return cur.fetch_arrow_table()
        finally:
            cur.close()

    def read(self, table: str, columns: tuple[str, ...], since: str | None) -> pa.Table:
        cols = ", ".join(f"cast({c} as text) as {c}" for c in columns)
        if since is None:
            return self._query(f"select {cols} from {table}")
        return self._query(f"select {cols} from {table} where updated_at >= {self.cursor_bound}", (since,))

    def keys(self, table: str, key: tuple[str, ...]) -> pa.Table:
        return self._query(f"select {', '.join(key)} from {table}")

    def close(self) -> None:
        self.conn.close()


class SqliteReader(_AdbcReader):
    def __init__(self, path: Path):
        import adbc_driver_sqlite.dbapi as adbc

        if not path.exists():
            raise SourceUnavailableError(
                f"The CRM file {path} does not exist. Generate one with `mgreen generate --contacts N --seed S` "
                "or point MGREEN_SOURCE_URL at the CRM."
            )
        super().__init__(adbc.connect(f"file:{path}?mode=ro"))

    def columns(self, table: str) -> list[str]:
        return [row["name"] for row in self._query(f"pragma table_info({table})").to_pylist()]


class PostgresReader(_AdbcReader):
    cursor_bound = "$1::timestamp"

    def __init__(self, uri: str):
        import adbc_driver_postgresql.dbapi as adbc

        super().__init__(_connect_with_retries(adbc.connect, uri))

    def columns(self, table: str) -> list[str]:
        rows = self._query(
            "select column_name from information_schema.columns "
            f"where table_schema = current_schema() and table_name = '{table}' order by ordinal_position"
        )
        return rows.column("column_name").to_pylist()


@retry(
    retry=retry_if_exception_type(Exception),
    stop=stop_after_attempt(4),
    wait=wait_exponential(multiplier=0.5, max=8),
    reraise=True,
)
def _connect_attempt(connect, uri):
    return connect(uri)


def _connect_with_retries(connect, uri: str):
    try:
        return _connect_attempt(connect, uri)
    except Exception as exc:
        # The URI holds credentials: say what failed, never what was tried.
        raise SourceUnavailableError(
            f"Cannot connect to the PostgreSQL CRM after 4 attempts ({exc.__class__.__name__}). "
            "Check MGREEN_SOURCE_URL and that the server accepts connections."
        ) from None


def open_reader(url: str) -> CrmReader:
    """A reader for the CRM named by a SQLAlchemy URL (sqlite:/// or postgresql://)."""
    try:
        parsed = make_url(url)
    except Exception:
        raise SourceUnavailableError(
            "MGREEN_SOURCE_URL is not a database URL (sqlite:///… or postgresql://…)."
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database:
            raise SourceUnavailableError("MGREEN_SOURCE_URL names no SQLite file (sqlite:///path/to/crm.sqlite).")
        return SqliteReader(Path(parsed.database).absolute())
    if backend == "postgresql":
        return PostgresReader(parsed.set(drivername="postgresql").render_as_string(hide_password=False))
    raise SourceUnavailableError(f"Unsupported CRM database '{backend}': use sqlite:/// or postgresql://.")


@dataclass
class TableLoad:
    """What one table's load did (Dagster metadata)."""

    table: str
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    unparseable: dict[str, int] = field(default_factory=dict)
    extra_columns: list[str] = field(default_factory=list)
    cursor: str | None = None
    full_refresh: bool = False
    seconds: float = 0.0


def ensure_state(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("create schema if not exists raw")
    conn.execute(
        f"create table if not exists {STATE_TABLE} ("
        "table_name varchar primary key, cursor_value timestamp, loaded_at timestamp, rows_loaded bigint)"
    )


def _cursor_of(conn: duckdb.DuckDBPyConnection, table: str) -> datetime | None:
    row = conn.execute(f"select cursor_value from {STATE_TABLE} where table_name = ?", [table]).fetchone()
    return row[0] if row else None


def _typed_select(spec: SourceTable) -> str:
    return ", ".join(f"try_cast({c.name} as {c.data_type}) as {c.name}" for c in spec.columns)


def _unparseable(conn: duckdb.DuckDBPyConnection, spec: SourceTable) -> dict[str, int]:
    checks = [
        f"count(*) filter (where {c.name} is not null and try_cast({c.name} as {c.data_type}) is null)"
        for c in spec.columns
        if c.data_type != "varchar"
    ]
    names = [c.name for c in spec.columns if c.data_type != "varchar"]
    if not checks:
        return {}
    row = conn.execute(f"select {', '.join(checks)} from _incoming_text").fetchone()
    return {name: int(n) for name, n in zip(names, row) if n}


@dataclass(frozen=True)
class _Plan:
    """What a table's load reads: checked against the contract, from its stored cursor."""

    spec: SourceTable
    cursor: datetime | None
    since: str | None
    extra_columns: list[str]
    full_refresh: bool

    def read(self, reader: CrmReader) -> pa.Table:
        return reader.read(self.spec.name, self.spec.column_names, self.since)


def _plan(conn: duckdb.DuckDBPyConnection, reader: CrmReader, spec: SourceTable, full_refresh: bool) -> _Plan:
    source_columns = reader.columns(spec.name)
    if not source_columns:
        raise SchemaDriftError(f"The CRM has no table '{spec.name}', which the contract expects.")
    missing = [c for c in spec.column_names if c not in source_columns]
    if missing:
        raise SchemaDriftError(
            f"CRM table '{spec.name}' lacks expected column(s) {', '.join(missing)}: its load is stopped "
            "and raw keeps its previous copy. Update the contract (_crm__sources.yml) if the CRM changed on purpose."
        )
    exists = conn.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = ?", [spec.name]
    ).fetchone()[0]
    cursor = None if (full_refresh or not exists) else _cursor_of(conn, spec.name)
    since = (cursor - LOOKBACK).strftime("%Y-%m-%d %H:%M:%S") if cursor else None
    extra = [c for c in source_columns if c not in spec.column_names]
    return _Plan(spec, cursor, since, extra, full_refresh)


def load_table(
    conn: duckdb.DuckDBPyConnection, reader: CrmReader, spec: SourceTable, *, full_refresh: bool = False
) -> TableLoad:
    """Merge one CRM table's changes into ``raw.<table>`` (see module docstring)."""
    started = time.perf_counter()
    plan = _plan(conn, reader, spec, full_refresh)
    return _merge(conn, reader, plan, plan.read(reader), started)


def load_tables(
    conn: duckdb.DuckDBPyConnection, source_url: str, specs: list[SourceTable], *, full_refresh: bool = False
) -> tuple[dict[str, TableLoad], list[str]]:
    """``load_table`` for each table, each table read while the one before is merged.

    Reading is the source database's work (SQLite reads on one core) and merging is DuckDB's,
    so a second connection reads the next table in a thread (the drivers release the GIL) while
    this one merges; at most one table waits in memory. Every table is planned first (contract
    check, cursor): a table that lacks a column is reported in the returned list, not loaded.
    First load at tier L (Intel machine): 22.9 s read then merged, 16.5 s overlapped.
    """
    loads: dict[str, TableLoad] = {}
    failures: list[str] = []
    reader = open_reader(source_url)
    try:
        plans = []
        for spec in specs:
            try:
                plans.append(_plan(conn, reader, spec, full_refresh))
            except SchemaDriftError as exc:
                failures.append(str(exc))
        if not plans:
            return loads, failures
        bulk = open_reader(source_url)
        try:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="crm-read") as pool:
                pending = pool.submit(plans[0].read, bulk)
                for i, plan in enumerate(plans):
                    started = time.perf_counter()
                    incoming = pending.result()
                    if i + 1 < len(plans):
                        pending = pool.submit(plans[i + 1].read, bulk)
                    loads[plan.spec.name] = _merge(conn, reader, plan, incoming, started)
                    del incoming
        finally:
            bulk.close()
    finally:
        reader.close()
    return loads, failures


def _merge(
    conn: duckdb.DuckDBPyConnection, reader: CrmReader, plan: _Plan, incoming: pa.Table, started: float
) -> TableLoad:
    spec, cursor = plan.spec, plan.cursor
    result = TableLoad(spec.name, full_refresh=plan.full_refresh, extra_columns=plan.extra_columns)
    result.rows_read = incoming.num_rows
    typed = _typed_select(spec)

    conn.execute("begin transaction")
    try:
        conn.register("_incoming_text", incoming)
        result.unparseable = _unparseable(conn, spec)
        if cursor is None:
            conn.execute(f"create or replace table raw.{spec.name} as select {typed} from _incoming_text")
            result.inserted = incoming.num_rows
        else:
            conn.execute(f"create or replace temp table _incoming as select {typed} from _incoming_text")
            match = " and ".join(f"r.{k} = i.{k}" for k in spec.primary_key)
            counts = conn.execute(
                f"select count(r.{spec.primary_key[0]}), "
                f"count(*) filter (where r.{spec.primary_key[0]} is not null "
                f"and r.updated_at is not distinct from i.updated_at) "
                f"from _incoming i left join raw.{spec.name} r on {match}"
            ).fetchone()
            existing, same = int(counts[0]), int(counts[1])
            conn.execute(f"delete from raw.{spec.name} r where exists (select 1 from _incoming i where {match})")
            conn.execute(f"insert into raw.{spec.name} select * from _incoming")
            conn.execute("drop table _incoming")
            result.inserted = incoming.num_rows - existing
            result.updated = existing - same
            result.unchanged = same
        new_cursor = conn.execute(f"select max(updated_at) from raw.{spec.name}").fetchone()[0]
        conn.execute(
            f"insert or replace into {STATE_TABLE} values (?, ?, now()::timestamp, "
            f"(select count(*) from raw.{spec.name}))",
            [spec.name, new_cursor],
        )
        conn.unregister("_incoming_text")
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    result.cursor = new_cursor.isoformat(sep=" ") if new_cursor else None
    # A table read whole was replaced by what the CRM held: no key of it can be missing there.
    result.deleted = 0 if cursor is None else reconcile_keys(conn, reader, spec)
    result.seconds = time.perf_counter() - started
    return result


def reconcile_keys(conn: duckdb.DuckDBPyConnection, reader: CrmReader, spec: SourceTable) -> int:
    """Delete from raw the keys the CRM no longer has; returns how many rows went."""
    keys = reader.keys(spec.name, spec.primary_key)
    match = " and ".join(f"k.{k} = r.{k}" for k in spec.primary_key)
    cast = ", ".join(
        f"try_cast({c.name} as {c.data_type}) as {c.name}" for c in spec.columns if c.name in spec.primary_key
    )
    conn.execute("begin transaction")
    try:
        conn.register("_source_keys", keys)
        deleted = conn.execute(
            f"delete from raw.{spec.name} r where not exists "
            f"(select 1 from (select {cast} from _source_keys) k where {match})"
        ).fetchone()[0]
        conn.unregister("_source_keys")
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return int(deleted)
