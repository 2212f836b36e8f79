"""Publication: the marts copied into a new DuckDB file, verified, then renamed into place.

The dashboards open only the published file, read-only. A new file is written beside the
old one, checked (every mart present with its row count, and the privacy guard run again
on the file itself), then renamed over ``MGREEN_PUBLISHED_PATH``: a reader sees the old file
or the new one, never a partial one. The replaced file is kept in ``history/`` (the last
``KEEP`` publications) for rollback.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.lib import history
from orchestration.lib.retention import ensure_status_table

KEEP = 7
# Operational tables of the warehouse copied into the published file (no persons). What the
# privacy processes removed is published as mart_compliance_monthly, under disclosure control.
OPS_TABLES = {
    "guard_results": "ops.guard_results",
    "publication_history": "ops.publications",
    # Where each retention rule stands tonight: its limit, and the month of the oldest item it
    # keeps (a month, not the instant of one person's last contact).
    "retention_status": (
        "(select checked_at, rule, months, cutoff, date_trunc('month', oldest_kept)::date as oldest_kept_month, "
        "past_limit from ops.retention_status)"
    ),
}


class PublicationError(RuntimeError):
    """The candidate file failed verification; the previous publication stays in place."""


@dataclass(frozen=True)
class Publication:
    run_id: str
    data_as_of: datetime | None
    published_at: datetime
    tables: dict[str, int]
    checks_passed: bool
    path: Path
    seconds: float = 0.0


def ensure_ops_tables(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("create schema if not exists ops")
    history.ensure(conn)
    conn.execute(
        "create table if not exists ops.guard_results (run_id varchar, checked_at timestamp, target varchar, "
        "table_name varchar, rule varchar, column_name varchar, passed boolean, failing bigint, excepted varchar)"
    )
    conn.execute(
        "create table if not exists ops.gdpr_events (run_id varchar, recorded_at timestamp, kind varchar, "
        "rule varchar, table_name varchar, rows_removed bigint)"
    )
    ensure_status_table(conn)
    conn.execute(
        "create table if not exists ops.publications (run_id varchar, data_as_of timestamp, published_at timestamp, "
        "tables integer, rows_published bigint, checks_passed boolean, min_cell_size integer)"
    )


def _mart_tables(conn: duckdb.DuckDBPyConnection) -> list[str]:
    rows = conn.execute(
        "select table_name from information_schema.tables where table_catalog = current_database() "
        "and table_schema = 'marts' order by 1"
    ).fetchall()
    return [r[0] for r in rows]


def candidate_path(published: Path, run_id: str) -> Path:
    return published.with_name(f".{published.stem}-{run_id}.candidate{published.suffix}")


def write_candidate(
    conn: duckdb.DuckDBPyConnection,
    candidate: Path,
    *,
    run_id: str,
    k: int,
    published_at: datetime,
    data_as_of: datetime,
) -> dict[str, int]:
    """Copy the marts and the operational history into ``candidate``; returns rows per mart.

    ``data_as_of`` is the run's instant (``lib/run_instant.py``): the moment every figure of the
    file is computed at. ``published_at`` is when the file was made."""
    candidate.parent.mkdir(parents=True, exist_ok=True)
    candidate.unlink(missing_ok=True)
    ensure_ops_tables(conn)
    marts = _mart_tables(conn)
    if not marts:
        raise PublicationError("The warehouse has no mart to publish: the transformation did not run.")
    as_of = data_as_of
    rows = {t: conn.execute(f'select count(*) from marts."{t}"').fetchone()[0] for t in marts}
    conn.execute(
        "insert into ops.publications values (?, ?, ?, ?, ?, true, ?)",
        [run_id, as_of, published_at.replace(tzinfo=None), len(marts), sum(rows.values()), k],
    )
    tonight = history.revision_outcomes(conn)
    conn.execute(f"attach '{candidate}' as candidate")
    try:
        for table in marts:
            conn.execute(f'create table candidate.main."{table}" as select * from marts."{table}"')
        for published_name, source in OPS_TABLES.items():
            conn.execute(f"create table candidate.main.{published_name} as select * from {source}")
        # The revisions asked, those tonight does as it will have done them (the freeze that
        # records them commits with the rename): what, why, when, and how many rows changed.
        conn.execute(
            "create table candidate.main.publication_revisions (mart varchar, period date, reason varchar, "
            "requested_at timestamp, done_at timestamp, outcome varchar, rows_changed bigint)"
        )
        conn.execute(
            "insert into candidate.main.publication_revisions select mart, period, reason, requested_at, done_at, "
            f"outcome, rows_changed from {history.REVISIONS} where done_at is not null"
        )
        for mart, period, outcome, changed in tonight:
            conn.execute(
                "insert into candidate.main.publication_revisions select r.mart, r.period, r.reason, r.requested_at, "
                f"?::timestamp, ?, ? from {history.REVISIONS} r where r.done_at is null and r.mart = ? and r.period = ?",
                [as_of, outcome, changed, mart, period],
            )
        conn.execute(
            "create table candidate.main.publication as select ? as run_id, ?::timestamp as data_as_of, "
            "?::timestamp as published_at, true as checks_passed, ? as min_cell_size, ? as tables",
            [run_id, as_of, published_at.replace(tzinfo=None), k, len(marts)],
        )
    finally:
        conn.execute("detach candidate")
    return rows


def verify_candidate(
    conn: duckdb.DuckDBPyConnection,
    candidate: Path,
    expected_rows: dict[str, int],
    guard: Callable[[str, str], object],
) -> object:
    """Re-open the candidate read-only: every mart with its rows, and the guard on the file.

    ``guard(catalog, schema)`` returns a report with ``passed`` and ``summary()``.
    """
    conn.execute(f"attach '{candidate}' as candidate (read_only)")
    try:
        for table, rows in expected_rows.items():
            try:
                got = conn.execute(f'select count(*) from candidate.main."{table}"').fetchone()[0]
            except duckdb.Error:
                raise PublicationError(f"The candidate file lacks the mart {table}.") from None
            if got != rows:
                raise PublicationError(f"The candidate's {table} has {got} rows instead of {rows}.")
        report = guard("candidate", "main")
    finally:
        conn.execute("detach candidate")
    if not report.passed:
        raise PublicationError("The published file itself fails the privacy guard:\n" + report.summary())
    return report


def history_dir(published: Path) -> Path:
    return published.parent / "history"


def install(candidate: Path, published: Path, *, keep: int = KEEP) -> None:
    """Rename the candidate over the published file, keeping the replaced one in history.

    All or nothing: when the rename fails, the history is as it was (the link made for the
    replaced file is removed) and the published file is untouched."""
    kept_dir = history_dir(published)
    made: list[Path] = []
    if published.exists():
        if not kept_dir.exists():
            kept_dir.mkdir(parents=True)
            made.append(kept_dir)
        # The current file goes to history under a new name (a hard link: no copy, no window
        # where the published path is missing).
        previous = (
            kept_dir / f"{published.stem}-{int(published.stat().st_mtime)}-{published.stat().st_ino}{published.suffix}"
        )
        if not previous.exists():
            os.link(published, previous)
            made.insert(0, previous)
    try:
        os.replace(candidate, published)
    except BaseException:
        for path in made:
            path.rmdir() if path.is_dir() else path.unlink(missing_ok=True)
        raise
    if kept_dir.exists():
        _prune(kept_dir, keep)


def _prune(history: Path, keep: int) -> None:
    """Remove kept files beyond the newest ``keep`` (housekeeping: a file that cannot be removed
    now is left for the next publication)."""
    files = sorted(history.glob("*.duckdb"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[keep:]:
        with contextlib.suppress(OSError):
            old.unlink(missing_ok=True)


@dataclass(frozen=True)
class PublishedFile:
    path: Path
    run_id: str | None
    data_as_of: datetime | None
    published_at: datetime | None
    current: bool


def read_publication(path: Path) -> tuple[str | None, datetime | None, datetime | None]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        row = conn.execute("select run_id, data_as_of, published_at from publication").fetchone()
    finally:
        conn.close()
    return row if row else (None, None, None)


def list_publications(published: Path) -> list[PublishedFile]:
    """The current publication, then the kept ones, newest first."""
    out = []
    if published.exists():
        out.append(PublishedFile(published, *read_publication(published), current=True))
    kept_dir = history_dir(published)
    if kept_dir.exists():
        kept = [PublishedFile(p, *read_publication(p), current=False) for p in kept_dir.glob("*.duckdb")]
        out += sorted(kept, key=lambda p: p.published_at or datetime.min, reverse=True)
    return out


def rollback(published: Path, run_id: str) -> PublishedFile:
    """Put back the kept publication of ``run_id`` (the current one goes to history)."""
    for item in list_publications(published):
        if item.run_id == run_id and not item.current:
            candidate = candidate_path(published, f"rollback-{run_id}")
            shutil.copyfile(item.path, candidate)
            install(candidate, published)
            return item
    raise PublicationError(
        f"No kept publication has the run id {run_id}: `mgreen publications` lists those that can be restored."
    )


def now_utc() -> datetime:
    """When a file is made (``published_at``): the record of an act, not an input of any figure."""
    return datetime.now(UTC)
