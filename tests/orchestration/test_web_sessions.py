"""Session logs: quarantine without content, re-delivery, midnight sessions kept once, retention."""

import json
import os
import time
from datetime import date, datetime

import duckdb
import pytest

from orchestration.lib.web_sessions import load_web_sessions


def session(sid: str, started: str, **extra) -> str:
    record = {
        "session_id": sid,
        "started_at": started,
        "ip": "198.51.100.7",
        "user_agent": "UA",
        "device": "mobile",
        "landing_page": "/",
        "referrer": None,
        "utm_source": "search",
        "utm_medium": "cpc",
        "utm_campaign": "c",
        "pages": [{"path": "/", "at": started}],
        "search_terms": ["pompe"],
        "duration_s": 30,
        "contact_id": None,
        "form": None,
    }
    record.update(extra)
    return json.dumps(record)


@pytest.fixture
def logs(tmp_path):
    folder = tmp_path / "web"
    folder.mkdir()
    return folder


def load(conn, folder, keep_from=date(2026, 1, 1)):
    return load_web_sessions(conn, folder, keep_from=keep_from)


def test_broken_lines_are_quarantined_with_reason_but_never_content(logs):
    secret_ip = "203.0.113.99"
    (logs / "2026-11-20.jsonl").write_text(
        "\n".join(
            [
                session("a", "2026-11-20T10:00:00Z"),
                session("b", "2026-11-20T11:00:00Z", ip=secret_ip)[:40],
                "<html>502</html>",
                json.dumps({"started_at": "2026-11-20T12:00:00Z"}),
                session("c", "2026-11-20T13:00:00Z"),
            ]
        )
        + "\n"
    )
    conn = duckdb.connect()
    result = load(conn, logs)
    assert (result.sessions_loaded, result.quarantined, result.lines_read) == (2, 3, 5)
    rows = conn.execute("select * from raw.web_sessions_quarantine order by line_no").fetchall()
    assert [(r[0], r[1]) for r in rows] == [("2026-11-20.jsonl", 2), ("2026-11-20.jsonl", 3), ("2026-11-20.jsonl", 4)]
    assert rows[2][2] == "missing session_id"
    dump = str(conn.execute("select * from raw.web_sessions_quarantine").fetchall())
    assert secret_ip not in dump and "502" not in dump


def test_every_field_lands_in_its_column_as_the_json_operators_read_it(logs):
    """Each line is parsed once for all its fields: each column still gets its own field, typed
    as ``->>`` and ``->`` would give it (numbers written as text, JSON null kept as JSON)."""
    record = {
        "session_id": "s1",
        "started_at": "2026-11-20T10:00:00Z",
        "ip": "198.51.100.1",
        "user_agent": "agent",
        "device": "desktop",
        "landing_page": "/landing",
        "referrer": "https://ref.example/",
        "utm_source": "src",
        "utm_medium": "med",
        "utm_campaign": "camp",
        "pages": [{"path": "/landing", "at": "2026-11-20T10:00:00Z"}],
        "search_terms": ["terme"],
        "duration_s": 42,
        "contact_id": "7",
        "form": "devis",
    }
    (logs / "2026-11-20.jsonl").write_text(
        "\n".join(
            [
                json.dumps(record),
                json.dumps({"session_id": 12, "started_at": "2026-11-20 11:00:00", "pages": None, "form": {"a": 1}}),
                json.dumps(["not", "an", "object"]),
                json.dumps({"session_id": "s3", "started_at": "hier"}),
            ]
        )
        + "\n"
    )
    conn = duckdb.connect()
    result = load(conn, logs)
    assert (result.sessions_loaded, result.quarantined) == (2, 2)
    columns = [row[0] for row in conn.execute("describe raw.web_sessions").fetchall()]
    read_back = [c for c in columns if c not in ("pages", "search_terms")] + ["pages", "search_terms"]
    first, second = (
        dict(zip(read_back, row))
        for row in conn.execute(
            "select * exclude (pages, search_terms), pages::varchar, search_terms::varchar "
            "from raw.web_sessions order by line_no"
        ).fetchall()
    )
    assert first == {
        **record,
        "started_at": datetime(2026, 11, 20, 10, 0),
        "contact_id": 7,
        "source_file": "2026-11-20.jsonl",
        "line_no": 1,
        "pages": '[{"path":"/landing","at":"2026-11-20T10:00:00Z"}]',
        "search_terms": '["terme"]',
    }
    # A number read as text, a JSON null kept as JSON (not SQL NULL), an object as its JSON text.
    assert (second["session_id"], second["pages"], second["search_terms"], second["form"]) == (
        "12",
        "null",
        None,
        '{"a":1}',
    )
    reasons = conn.execute("select line_no, reason from raw.web_sessions_quarantine order by line_no").fetchall()
    assert reasons == [(3, "not a JSON object"), (4, "missing or invalid started_at")]


def test_a_file_delivered_again_replaces_its_rows(logs):
    path = logs / "2026-11-20.jsonl"
    path.write_text(session("a", "2026-11-20T10:00:00Z") + "\n" + session("b", "2026-11-20T11:00:00Z") + "\n")
    conn = duckdb.connect()
    assert load(conn, logs).rows_replaced == 0
    assert load(conn, logs).files_unchanged == 1
    path.write_text(session("a", "2026-11-20T10:00:00Z", duration_s=99) + "\n")
    again = load(conn, logs)
    assert again.files_loaded == 1
    # Both earlier rows were deleted: the run must compact the file (their bytes stay otherwise).
    assert again.rows_replaced == 2
    assert conn.execute("select session_id, duration_s from raw.web_sessions").fetchall() == [("a", 99)]


def set_mtime(path, ns: int) -> None:
    os.utime(path, ns=(ns, ns))


HOUR_NS = 3600 * 1_000_000_000


def test_a_file_checked_before_is_read_again_only_when_its_size_or_time_changed(logs):
    path = logs / "2026-11-20.jsonl"
    path.write_text(session("a", "2026-11-20T10:00:00Z") + "\n")
    delivered = time.time_ns() - HOUR_NS
    set_mtime(path, delivered)
    conn = duckdb.connect()
    first = load(conn, logs)
    assert (first.files_loaded, first.files_hashed) == (1, 1)
    again = load(conn, logs)
    assert (again.files_loaded, again.files_unchanged, again.files_hashed) == (0, 1, 0)

    # Touched (or copied again) with the same content: hashed, not reloaded, the new time recorded.
    set_mtime(path, delivered + HOUR_NS // 2)
    touched = load(conn, logs)
    assert (touched.files_loaded, touched.files_unchanged, touched.files_hashed) == (0, 1, 1)
    assert load(conn, logs).files_hashed == 0

    # Another size under the recorded time: reloaded.
    path.write_text(session("a", "2026-11-20T10:00:00Z", duration_s=12345) + "\n")
    set_mtime(path, delivered + HOUR_NS // 2)
    changed = load(conn, logs)
    assert (changed.files_loaded, changed.files_hashed) == (1, 1)
    assert conn.execute("select duration_s from raw.web_sessions").fetchall() == [(12345,)]


def test_a_same_size_rewrite_within_the_timestamp_granularity_is_still_reloaded(logs):
    """A file modified around the moment it was checked is hashed again the next time, even with
    the same size and modification time (a coarse file-system clock gives both)."""
    path = logs / "2026-11-20.jsonl"
    path.write_text(session("a", "2026-11-20T10:00:00Z", duration_s=11) + "\n")
    conn = duckdb.connect()
    load(conn, logs)
    recorded = path.stat().st_mtime_ns
    path.write_text(session("a", "2026-11-20T10:00:00Z", duration_s=22) + "\n")
    set_mtime(path, recorded)
    again = load(conn, logs)
    assert (again.files_loaded, again.files_hashed) == (1, 1)
    assert conn.execute("select duration_s from raw.web_sessions").fetchall() == [(22,)]


def test_a_warehouse_from_before_the_size_and_time_check_hashes_its_files_once(logs):
    path = logs / "2026-11-20.jsonl"
    path.write_text(session("a", "2026-11-20T10:00:00Z") + "\n")
    set_mtime(path, time.time_ns() - HOUR_NS)
    conn = duckdb.connect()
    load(conn, logs)
    conn.execute("alter table raw.web_session_files drop column mtime_ns")
    conn.execute("alter table raw.web_session_files drop column checked_ns")
    upgraded = load(conn, logs)
    assert (upgraded.files_loaded, upgraded.files_unchanged, upgraded.files_hashed) == (0, 1, 1)
    assert load(conn, logs).files_hashed == 0


def test_a_session_across_midnight_is_kept_once_from_the_later_file(logs):
    (logs / "2026-11-20.jsonl").write_text(session("night", "2026-11-20T23:55:00Z", duration_s=300) + "\n")
    (logs / "2026-11-21.jsonl").write_text(
        session("night", "2026-11-20T23:55:00Z", duration_s=900) + "\n" + session("z", "2026-11-21T08:00:00Z") + "\n"
    )
    conn = duckdb.connect()
    # The earlier file's partial copy of the midnight session is deleted once the later one is in.
    assert load(conn, logs).rows_replaced == 1
    assert conn.execute("select session_id, duration_s, source_file from raw.web_sessions order by 1").fetchall() == [
        ("night", 900, "2026-11-21.jsonl"),
        ("z", 30, "2026-11-21.jsonl"),
    ]


def test_redelivering_the_later_file_without_the_session_keeps_the_earlier_copy(logs):
    (logs / "2026-11-20.jsonl").write_text(session("night", "2026-11-20T23:55:00Z", duration_s=300) + "\n")
    later = logs / "2026-11-21.jsonl"
    later.write_text(session("night", "2026-11-20T23:55:00Z", duration_s=900) + "\n")
    conn = duckdb.connect()
    load(conn, logs)
    later.write_text(session("z", "2026-11-21T08:00:00Z") + "\n")
    load(conn, logs)
    assert conn.execute("select session_id, source_file from raw.web_sessions order by 1").fetchall() == [
        ("night", "2026-11-20.jsonl"),
        ("z", "2026-11-21.jsonl"),
    ]


def test_files_past_retention_are_not_loaded_and_odd_names_are_reported(logs):
    (logs / "2024-01-01.jsonl").write_text(session("old", "2024-01-01T10:00:00Z") + "\n")
    (logs / "2026-11-20.jsonl").write_text(session("new", "2026-11-20T10:00:00Z") + "\n")
    (logs / "notes.txt").write_text("hello")
    conn = duckdb.connect()
    result = load(conn, logs, keep_from=date(2025, 10, 1))
    assert result.files_skipped_retention == 1 and result.files_ignored == ["notes.txt"]
    assert conn.execute("select session_id from raw.web_sessions").fetchall() == [("new",)]


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="MGREEN_WEB_SESSIONS_DIR"):
        load(duckdb.connect(), tmp_path / "absent")


def test_generated_logs_load_without_duplicates(generated_source):
    conn = duckdb.connect()
    result = load(conn, generated_source.web_dir, keep_from=date(2020, 1, 1))
    assert result.quarantined > 0 and result.sessions_loaded > 0
    dupes = conn.execute("select count(*) - count(distinct session_id) from raw.web_sessions").fetchone()[0]
    assert dupes == 0
