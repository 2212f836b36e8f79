"""Writing the synthetic CRM into its database: SQLite by default, PostgreSQL when asked.

The DDL is the operational system's own (``schema.sql``, unchanged). Bulk writes go through
each engine's fast path: one ``executemany`` per table in one transaction for SQLite,
``COPY`` for PostgreSQL. A small ``synthetic_generator_state`` table records how the source
was generated, so that ``--advance-days`` can continue it; the warehouse never reads it.
"""

from __future__ import annotations

import io
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy.engine import make_url

STATE_TABLE = "synthetic_generator_state"


class SourceError(RuntimeError):
    """The source database cannot be written as asked (message written for people)."""


def schema_statements() -> list[str]:
    ddl = resources.files("synthetic_crm").joinpath("schema.sql").read_text(encoding="utf-8")
    lines = [line.split("--", 1)[0] for line in ddl.splitlines()]
    return [stmt.strip() for stmt in "\n".join(lines).split(";") if stmt.strip()]


def table_names() -> list[str]:
    return [stmt.split()[2] for stmt in schema_statements()]


def _as_text_columns(table: pa.Table) -> pa.Table:
    """Timestamps and dates as ISO 8601 text, the CRM's convention."""
    cols = []
    for col in table.columns:
        if pa.types.is_timestamp(col.type):
            col = pc.strftime(col, format="%Y-%m-%d %H:%M:%S")
        elif pa.types.is_date(col.type):
            col = pc.strftime(col, format="%Y-%m-%d")
        cols.append(col)
    return pa.Table.from_arrays(cols, names=table.column_names)


class SqliteSource:
    def __init__(self, path: Path):
        import sqlite3

        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, isolation_level=None)

    def exists(self) -> bool:
        row = self.conn.execute("select count(*) from sqlite_master where type = 'table'").fetchone()
        return row[0] > 0

    def create_schema(self, overwrite: bool) -> None:
        if self.exists():
            if not overwrite:
                raise SourceError(
                    f"The source {self.path} already holds a CRM. Use --advance-days to continue it, "
                    "or --overwrite to replace it."
                )
            self.conn.close()
            self.path.unlink()
            import sqlite3

            self.conn = sqlite3.connect(self.path, isolation_level=None)
        self.conn.execute("pragma synchronous = off")
        self.conn.execute("begin")
        for stmt in schema_statements():
            self.conn.execute(stmt)
        self.conn.execute(f"create table {STATE_TABLE} (key text primary key, value text not null)")
        self.conn.execute("commit")

    def begin(self) -> None:
        self.conn.execute("begin")

    def commit(self) -> None:
        self.conn.execute("commit")

    def insert(self, name: str, table: pa.Table, replace: bool = False) -> None:
        verb = "insert or replace" if replace else "insert"
        marks = ", ".join("?" * table.num_columns)
        cols = ", ".join(table.column_names)
        sql = f"{verb} into {name} ({cols}) values ({marks})"
        # By batches: Python tuples of a whole multi-million-row table would not fit in memory.
        for batch in _as_text_columns(table).to_batches(max_chunksize=100_000):
            self.conn.executemany(sql, zip(*(col.to_pylist() for col in batch.columns)))

    def upsert(self, name: str, table: pa.Table, key: tuple[str, ...]) -> None:
        self.insert(name, table, replace=True)

    def delete(self, name: str, key: tuple[str, ...], values: list[tuple]) -> None:
        where = " and ".join(f"{k} = ?" for k in key)
        self.conn.executemany(f"delete from {name} where {where}", values)

    def read_state(self) -> dict[str, Any] | None:
        try:
            rows = self.conn.execute(f"select key, value from {STATE_TABLE}").fetchall()
        except Exception:
            return None
        return {k: json.loads(v) for k, v in rows} or None

    def write_state(self, state: dict[str, Any]) -> None:
        self.conn.executemany(
            f"insert or replace into {STATE_TABLE} (key, value) values (?, ?)",
            [(k, json.dumps(v)) for k, v in sorted(state.items())],
        )

    def close(self) -> None:
        self.conn.close()


class PostgresSource:
    def __init__(self, conninfo: str):
        import psycopg

        try:
            self.conn = psycopg.connect(conninfo, autocommit=True)
        except psycopg.OperationalError as exc:
            raise SourceError(f"Cannot connect to the PostgreSQL source: {exc.__class__.__name__}.") from None

    def exists(self) -> bool:
        row = self.conn.execute(
            "select count(*) from information_schema.tables where table_schema = current_schema() "
            "and table_name = 'contacts'"
        ).fetchone()
        return row[0] > 0

    def create_schema(self, overwrite: bool) -> None:
        if self.exists() and not overwrite:
            raise SourceError(
                "The PostgreSQL source already holds a CRM. Use --advance-days to continue it, "
                "or --overwrite to replace it."
            )
        with self.conn.transaction():
            for name in [*table_names(), STATE_TABLE]:
                self.conn.execute(f"drop table if exists {name}")
            for stmt in schema_statements():
                self.conn.execute(stmt)
            self.conn.execute(f"create table {STATE_TABLE} (key text primary key, value text not null)")

    def begin(self) -> None:
        self._tx = self.conn.transaction()
        self._tx.__enter__()

    def commit(self) -> None:
        self._tx.__exit__(None, None, None)

    def _copy(self, name: str, table: pa.Table) -> None:
        buf = io.BytesIO()
        pacsv.write_csv(_as_text_columns(table), buf, pacsv.WriteOptions(include_header=False))
        cols = ", ".join(table.column_names)
        with self.conn.cursor().copy(f"copy {name} ({cols}) from stdin (format csv)") as copy:
            copy.write(buf.getvalue())

    def insert(self, name: str, table: pa.Table) -> None:
        self._copy(name, table)

    def upsert(self, name: str, table: pa.Table, key: tuple[str, ...]) -> None:
        staging = f"_stage_{name}"
        self.conn.execute(f"create temp table {staging} (like {name}) on commit drop")
        self._copy(staging, table)
        cols = table.column_names
        updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c not in key)
        self.conn.execute(
            f"insert into {name} ({', '.join(cols)}) select {', '.join(cols)} from {staging} "
            f"on conflict ({', '.join(key)}) do update set {updates}"
        )

    def delete(self, name: str, key: tuple[str, ...], values: list[tuple]) -> None:
        where = " and ".join(f"{k} = %s" for k in key)
        with self.conn.cursor() as cur:
            cur.executemany(f"delete from {name} where {where}", values)

    def read_state(self) -> dict[str, Any] | None:
        try:
            rows = self.conn.execute(f"select key, value from {STATE_TABLE}").fetchall()
        except Exception:
            self.conn.rollback() if not self.conn.autocommit else None
            return None
        return {k: json.loads(v) for k, v in rows} or None

    def write_state(self, state: dict[str, Any]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(
                f"insert into {STATE_TABLE} (key, value) values (%s, %s) "
                "on conflict (key) do update set value = excluded.value",
                [(k, json.dumps(v)) for k, v in sorted(state.items())],
            )

    def close(self) -> None:
        self.conn.close()


def open_source(url: str, base_dir: Path | None = None) -> SqliteSource | PostgresSource:
    """Open the CRM database named by a SQLAlchemy URL (relative SQLite paths from ``base_dir``)."""
    try:
        parsed = make_url(url)
    except Exception:
        # The URL may hold a password: say what is wrong, never what was given.
        raise SourceError(
            "MGREEN_SOURCE_URL is not a database URL (expected sqlite:///path/to/crm.sqlite or postgresql://…)."
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database:
            raise SourceError("MGREEN_SOURCE_URL names no SQLite file (expected sqlite:///path/to/crm.sqlite).")
        path = Path(parsed.database)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        return SqliteSource(path)
    if backend == "postgresql":
        plain = parsed.set(drivername="postgresql")
        return PostgresSource(plain.render_as_string(hide_password=False))
    raise SourceError(f"Unsupported source database '{backend}': use sqlite:/// or postgresql://.")
