"""Load the website's daily session logs (``YYYY-MM-DD.jsonl``) into ``raw.web_sessions``.

By batches of files, each batch in one DuckDB transaction:
- a file is (re)loaded when its content hash differs from the one recorded: a file delivered
  again replaces that file's rows. A file whose size and modification time are those recorded,
  and whose modification time is more than ``RACY_SECONDS`` before the time it was checked, is
  not read again (hashing the 13 months of logs took 2 to 4 s a night at tier L); any other file
  is hashed, as git does for its index;
- a session present in two consecutive files (it crossed midnight) is kept once, from the
  later file, which holds it complete; when a file is re-delivered, the day before is
  reloaded with it so that no session is lost between the two;
- a line that is not JSON, or lacks a session id or a start time, goes to
  ``raw.web_sessions_quarantine`` with the file name, the line number and the reason, never
  its content; the load goes on;
- files older than the retention period of browsing data are not loaded at all.

Parsing happens inside DuckDB (``read_text`` + ``json_valid``), not line by line in Python, and
each line is parsed once for all its fields.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

FILE_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})\.jsonl$")
FILES_TABLE = "raw.web_session_files"
SESSIONS_TABLE = "raw.web_sessions"
QUARANTINE_TABLE = "raw.web_sessions_quarantine"

_DDL = (
    f"""create table if not exists {SESSIONS_TABLE} (
        session_id varchar, started_at timestamp, ip varchar, user_agent varchar, device varchar,
        landing_page varchar, referrer varchar, utm_source varchar, utm_medium varchar,
        utm_campaign varchar, pages json, search_terms json, duration_s bigint, contact_id bigint,
        form varchar, source_file varchar, line_no bigint)""",
    f"""create table if not exists {QUARANTINE_TABLE} (
        source_file varchar, line_no bigint, reason varchar, quarantined_at timestamp)""",
    f"""create table if not exists {FILES_TABLE} (
        source_file varchar primary key, file_day date, sha256 varchar, size_bytes bigint,
        lines bigint, sessions bigint, quarantined bigint, loaded_at timestamp,
        mtime_ns bigint, checked_ns bigint)""",
    # Warehouses loaded before the size-and-time check: their files are hashed once more.
    f"alter table {FILES_TABLE} add column if not exists mtime_ns bigint",
    f"alter table {FILES_TABLE} add column if not exists checked_ns bigint",
)
# A file modified this close to (or after) the moment it was checked may have changed again
# within the file system's timestamp granularity: it is hashed again.
RACY_SECONDS = 2


@dataclass
class WebLoad:
    files_seen: int = 0
    files_loaded: int = 0
    files_unchanged: int = 0
    # Files read to compute their hash (the others were judged by size and modification time).
    files_hashed: int = 0
    files_skipped_retention: int = 0
    files_ignored: list[str] = field(default_factory=list)
    lines_read: int = 0
    sessions_loaded: int = 0
    quarantined: int = 0
    # Stored sessions deleted by this load (a re-delivered file's earlier rows, the partial copy
    # of a session crossing midnight): their bytes stay in free blocks until compaction.
    rows_replaced: int = 0
    seconds: float = 0.0


def ensure_tables(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("create schema if not exists raw")
    for ddl in _DDL:
        conn.execute(ddl)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class _Seen:
    """A file as checked: its hash, size and modification time, and when it was checked (a
    row of ``raw.web_session_files``, or the file now)."""

    sha256: str
    size_bytes: int | None
    mtime_ns: int | None
    checked_ns: int | None

    @classmethod
    def of(cls, path: Path) -> _Seen:
        checked_ns = time.time_ns()
        stat = path.stat()
        return cls(_sha256(path), stat.st_size, stat.st_mtime_ns, checked_ns)

    def still_describes(self, path: Path) -> bool:
        """Size and modification time as recorded, and not modified around the check that
        recorded them (rows from before the size-and-time check have neither)."""
        if self.size_bytes is None or self.mtime_ns is None or self.checked_ns is None:
            return False
        stat = path.stat()
        return (
            stat.st_size == self.size_bytes
            and stat.st_mtime_ns == self.mtime_ns
            and self.mtime_ns < self.checked_ns - RACY_SECONDS * 1_000_000_000
        )


BATCH_FILES = 64

# A session line's fields: each line is parsed once per list (``json_extract_string`` and
# ``json_extract`` with a list of paths), not once per field as ``->>`` and ``->`` each do, and
# gets the same values as those operators would give (a JSON null document stays JSON null).
_TEXT_FIELDS = (
    "session_id", "started_at", "ip", "user_agent", "device", "landing_page", "referrer",
    "utm_source", "utm_medium", "utm_campaign", "duration_s", "contact_id", "form",
)  # fmt: skip
_JSON_FIELDS = ("pages", "search_terms")


def _field(name: str) -> str:
    """The SQL reading one field of a parsed line (``fields`` and ``documents`` of ``_checked``)."""
    if name in _JSON_FIELDS:
        return f"documents[{_JSON_FIELDS.index(name) + 1}]"
    return f"fields[{_TEXT_FIELDS.index(name) + 1}]"


def _load_files(conn: duckdb.DuckDBPyConnection, batch: list[tuple[Path, date, _Seen]]) -> tuple[int, int, int]:
    """Replace these files' rows (inside the caller's transaction); returns lines read,
    quarantined, and stored sessions deleted."""
    conn.execute(
        "create or replace temp table _batch_files (source_file varchar, file_day date, sha256 varchar, "
        "size_bytes bigint, mtime_ns bigint, checked_ns bigint)"
    )
    conn.executemany(
        "insert into _batch_files values (?, ?, ?, ?, ?, ?)",
        [(path.name, day, seen.sha256, seen.size_bytes, seen.mtime_ns, seen.checked_ns) for path, day, seen in batch],
    )
    replaced = conn.execute(
        f"delete from {SESSIONS_TABLE} where source_file in (select source_file from _batch_files)"
    ).fetchone()[0]
    conn.execute(f"delete from {QUARANTINE_TABLE} where source_file in (select source_file from _batch_files)")
    conn.execute(
        """
        create or replace temp table _lines as
        with files as (
            select parse_filename(filename) as source_file, string_split(content, chr(10)) as parts
            from read_text(?)
        )
        select source_file, unnest(generate_series(1, len(parts))) as line_no, unnest(parts) as line
        from files
        """,
        [[str(path) for path, _, _ in batch]],
    )
    # The final newline leaves an empty last element: not a line.
    conn.execute(
        "delete from _lines l where line = '' and line_no = "
        "(select max(line_no) from _lines m where m.source_file = l.source_file)"
    )
    conn.execute(
        f"""
        create or replace temp table _checked as
        with typed as (
            select source_file, line_no, line, case when json_valid(line) then json_type(line) end as kind
            from _lines
        ),
        parsed as (
            select source_file, line_no, kind,
                case when kind = 'OBJECT' then json_extract_string(line, {list(_TEXT_FIELDS)}) end as fields,
                case when kind = 'OBJECT' then json_extract(line, {list(_JSON_FIELDS)}) end as documents
            from typed
        )
        select source_file, line_no, fields, documents, started_at,
            case
                when kind is null then 'not valid JSON (truncated or garbage line)'
                when kind <> 'OBJECT' then 'not a JSON object'
                when {_field("session_id")} is null then 'missing session_id'
                when started_at is null then 'missing or invalid started_at'
            end as reason
        from (
            select *, try_cast(replace(replace({_field("started_at")}, 'T', ' '), 'Z', '') as timestamp) as started_at
            from parsed
        )
        """
    )
    conn.execute(
        f"insert into {QUARANTINE_TABLE} "
        "select source_file, line_no, reason, now()::timestamp from _checked where reason is not null"
    )
    conn.execute(
        f"""
        insert into {SESSIONS_TABLE}
        select
            {_field("session_id")}, started_at, {_field("ip")}, {_field("user_agent")}, {_field("device")},
            {_field("landing_page")}, {_field("referrer")}, {_field("utm_source")}, {_field("utm_medium")},
            {_field("utm_campaign")}, {_field("pages")}, {_field("search_terms")},
            try_cast({_field("duration_s")} as bigint), try_cast({_field("contact_id")} as bigint),
            {_field("form")}, source_file, line_no
        from _checked where reason is null
        qualify row_number() over (partition by source_file, {_field("session_id")} order by line_no desc) = 1
        """
    )
    # A session in two consecutive files is kept once: the later file's copy is the complete one.
    replaced += conn.execute(
        f"""
        delete from {SESSIONS_TABLE} s
        using (
            select session_id, max(source_file) as kept_file
            from {SESSIONS_TABLE}
            where session_id in (
                select {_field("session_id")} from _checked where reason is null
            )
            group by session_id
            having count(*) > 1
        ) as duplicates
        where s.session_id = duplicates.session_id and s.source_file <> duplicates.kept_file
        """
    ).fetchone()[0]
    conn.execute(
        f"""
        insert or replace into {FILES_TABLE}
        select f.source_file, f.file_day, f.sha256, f.size_bytes,
            (select count(*) from _checked c where c.source_file = f.source_file),
            (select count(*) from {SESSIONS_TABLE} s where s.source_file = f.source_file),
            (select count(*) from _checked c where c.source_file = f.source_file and c.reason is not null),
            now()::timestamp, f.mtime_ns, f.checked_ns
        from _batch_files f
        """
    )
    lines, bad = conn.execute("select count(*), count(reason) from _checked").fetchone()
    for table in ("_lines", "_checked", "_batch_files"):
        conn.execute(f"drop table {table}")
    return int(lines), int(bad), int(replaced)


def load_web_sessions(
    conn: duckdb.DuckDBPyConnection, folder: Path, *, keep_from: date, full_refresh: bool = False
) -> WebLoad:
    """Load new and re-delivered files of ``folder``; files before ``keep_from`` are past retention."""
    started = time.perf_counter()
    result = WebLoad()
    ensure_tables(conn)
    if full_refresh:
        for table in (SESSIONS_TABLE, QUARANTINE_TABLE, FILES_TABLE):
            conn.execute(f"delete from {table}")
    if not folder.is_dir():
        raise FileNotFoundError(
            f"The session logs folder {folder} does not exist: set MGREEN_WEB_SESSIONS_DIR "
            "or generate a source with `mgreen generate`."
        )
    known = {
        row[0]: _Seen(*row[1:])
        for row in conn.execute(
            f"select source_file, sha256, size_bytes, mtime_ns, checked_ns from {FILES_TABLE}"
        ).fetchall()
    }
    files: dict[str, tuple[Path, date]] = {}
    for path in sorted(folder.iterdir()):
        match = FILE_NAME.match(path.name)
        if not match:
            if path.is_file() and not path.name.endswith(".part"):
                result.files_ignored.append(path.name)
            continue
        try:
            day = date.fromisoformat(match.group(1))
        except ValueError:
            result.files_ignored.append(path.name)
            continue
        result.files_seen += 1
        if day < keep_from:
            result.files_skipped_retention += 1
            continue
        files[path.name] = (path, day)

    hashed: dict[str, _Seen] = {}

    def check(name: str) -> _Seen:
        if name not in hashed:
            result.files_hashed += 1
            hashed[name] = _Seen.of(files[name][0])
        return hashed[name]

    to_load: dict[str, _Seen] = {}
    for name, (path, day) in files.items():
        recorded = known.get(name)
        if recorded is not None and (recorded.still_describes(path) or recorded.sha256 == check(name).sha256):
            result.files_unchanged += 1
            continue
        to_load[name] = check(name)
        previous = f"{(day - timedelta(days=1)).isoformat()}.jsonl"
        if name in known and previous in files and previous not in to_load:
            # Re-delivery: reload the day before too, whose sessions may cross into this one.
            to_load[previous] = check(previous)
    # Hashed and not reloaded: the same content under a new size and time (touched, copied again).
    restat = [(name, seen) for name, seen in hashed.items() if name not in to_load]
    if restat:
        conn.executemany(
            f"update {FILES_TABLE} set size_bytes = ?, mtime_ns = ?, checked_ns = ? where source_file = ?",
            [(seen.size_bytes, seen.mtime_ns, seen.checked_ns, name) for name, seen in restat],
        )
    # Files by batches, each batch in one transaction: a crash leaves whole batches loaded or not.
    ordered = sorted(to_load)
    for i in range(0, len(ordered), BATCH_FILES):
        batch = [(files[name][0], files[name][1], to_load[name]) for name in ordered[i : i + BATCH_FILES]]
        conn.execute("begin transaction")
        try:
            lines, bad, replaced = _load_files(conn, batch)
            conn.execute("commit")
        except BaseException:
            conn.execute("rollback")
            raise
        result.files_loaded += len(batch)
        result.lines_read += lines
        result.quarantined += bad
        result.rows_replaced += replaced
    if ordered:
        # Counted once all batches are in: a later batch may take over a session crossing midnight.
        marks = ", ".join("?" * len(ordered))
        result.sessions_loaded = conn.execute(
            f"select count(*) from {SESSIONS_TABLE} where source_file in ({marks})", ordered
        ).fetchone()[0]
    result.seconds = time.perf_counter() - started
    return result
