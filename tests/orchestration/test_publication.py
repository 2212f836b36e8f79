"""Publication: write beside, verify, rename; history and rollback; readers never see a partial file."""

from datetime import UTC, datetime
from types import SimpleNamespace

import duckdb
import pytest

from orchestration.lib.publication import (
    PublicationError,
    candidate_path,
    install,
    list_publications,
    rollback,
    verify_candidate,
    write_candidate,
)

PASSING = SimpleNamespace(passed=True, summary=lambda: "ok")
FAILING = SimpleNamespace(passed=False, summary=lambda: "mart_x.email: rule 'email_values' FAILED (1 offending)")


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "w.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute("create schema marts")
    conn.execute(
        "create table marts.mart_a as select range as month, 10 as n_persons, false as is_suppressed from range(3)"
    )
    conn.execute("create schema raw")
    conn.execute("create table raw._load_state (table_name varchar, cursor_value timestamp)")
    conn.execute("insert into raw._load_state values ('contacts', '2026-11-25 22:00:00')")
    yield conn
    conn.close()


AS_OF = datetime(2026, 11, 26, 1, 0)


def publish(conn, published, run_id, value=10, guard=lambda c, s: PASSING):
    conn.execute(f"update marts.mart_a set n_persons = {value}")
    candidate = candidate_path(published, run_id)
    at = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    rows = write_candidate(conn, candidate, run_id=run_id, k=5, published_at=at, data_as_of=AS_OF)
    verify_candidate(conn, candidate, rows, guard)
    install(candidate, published)


def value_of(path):
    conn = duckdb.connect(str(path), read_only=True)
    try:
        return conn.execute("select max(n_persons) from mart_a").fetchone()[0], conn.execute(
            "select run_id, data_as_of from publication"
        ).fetchone()
    finally:
        conn.close()


def test_publication_holds_marts_and_its_stamp(warehouse, tmp_path):
    published = tmp_path / "pub" / "marts.duckdb"
    publish(warehouse, published, "run-1")
    value, (run_id, as_of) = value_of(published)
    # "Data as of" is the run's instant, not anything read from the data or the clock.
    assert value == 10 and run_id == "run-1" and as_of == AS_OF
    conn = duckdb.connect(str(published), read_only=True)
    tables = {r[0] for r in conn.execute("select table_name from information_schema.tables").fetchall()}
    conn.close()
    assert {"mart_a", "publication", "publication_history", "guard_results"} <= tables
    # What the privacy processes removed is published only as mart_compliance_monthly, under
    # disclosure control: the event log itself stays in the warehouse.
    assert "gdpr_events" not in tables


def test_a_failed_verification_keeps_the_previous_file_byte_for_byte(warehouse, tmp_path):
    published = tmp_path / "pub" / "marts.duckdb"
    publish(warehouse, published, "run-1")
    before = published.read_bytes()
    with pytest.raises(PublicationError, match="email_values"):
        publish(warehouse, published, "run-2", value=20, guard=lambda c, s: FAILING)
    assert published.read_bytes() == before


def test_a_reader_open_during_publication_keeps_its_file_and_never_blocks_it(warehouse, tmp_path):
    published = tmp_path / "pub" / "marts.duckdb"
    publish(warehouse, published, "run-1", value=10)
    reader = duckdb.connect(str(published), read_only=True)
    publish(warehouse, published, "run-2", value=20)  # does not wait for the reader
    assert reader.execute("select max(n_persons) from mart_a").fetchone()[0] == 10
    reader.close()
    assert value_of(published)[0] == 20


def test_history_keeps_previous_files_for_rollback(warehouse, tmp_path):
    published = tmp_path / "pub" / "marts.duckdb"
    for i in range(1, 4):
        publish(warehouse, published, f"run-{i}", value=i * 10)
    items = list_publications(published)
    assert items[0].current and items[0].run_id == "run-3"
    assert {i.run_id for i in items if not i.current} == {"run-1", "run-2"}
    rollback(published, "run-1")
    assert value_of(published)[0] == 10
    with pytest.raises(PublicationError, match="No kept publication"):
        rollback(published, "run-404")


def test_nothing_to_publish_is_an_error(tmp_path):
    conn = duckdb.connect(str(tmp_path / "empty.duckdb"))
    conn.execute("create schema marts")
    with pytest.raises(PublicationError, match="no mart"):
        write_candidate(conn, tmp_path / "c.duckdb", run_id="r", k=5, published_at=datetime.now(UTC), data_as_of=AS_OF)


def kept_state(published):
    """The bytes of the published file and of every kept file, by name."""
    folder = published.parent
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_failed_rename_leaves_the_published_file_and_its_history_as_they_were(warehouse, tmp_path, monkeypatch):
    """The rename is the last step: when it fails, the link made to keep the replaced file in
    history is taken back, so the history holds what it held."""
    import orchestration.lib.publication as publication

    published = tmp_path / "pub" / "marts.duckdb"
    publish(warehouse, published, "run-1")
    publish(warehouse, published, "run-2", value=20)
    before = kept_state(published)
    candidate = candidate_path(published, "run-3")
    rows = write_candidate(warehouse, candidate, run_id="run-3", k=5, published_at=datetime.now(UTC), data_as_of=AS_OF)
    verify_candidate(warehouse, candidate, rows, lambda c, s: PASSING)

    def refused(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publication.os, "replace", refused)
    with pytest.raises(OSError):
        install(candidate, published)
    candidate.unlink()
    assert kept_state(published) == before


def test_verification_writes_nothing_into_the_candidate(warehouse, tmp_path):
    """Verify last: the guard reads the candidate read-only, and nothing is added after it."""
    published = tmp_path / "pub" / "marts.duckdb"
    candidate = candidate_path(published, "run-1")
    rows = write_candidate(warehouse, candidate, run_id="run-1", k=5, published_at=datetime.now(UTC), data_as_of=AS_OF)
    written = candidate.read_bytes()

    def guard(catalog, schema):
        with pytest.raises(duckdb.Error, match="read-only"):
            warehouse.execute(f"create table {catalog}.{schema}.sneaked as select 1 as x")
        return PASSING

    verify_candidate(warehouse, candidate, rows, guard)
    assert candidate.read_bytes() == written
