"""Against a real PostgreSQL CRM: generation, loading, a day of activity, reloading, a full run."""

import duckdb
import psycopg
import pytest

from orchestration.lib.contract import crm_tables
from orchestration.lib.crm_loader import SourceUnavailableError, ensure_state, load_table, open_reader
from synthetic_crm.engine import GenerationParams, advance, generate
from tests.support.nightly import run_nightly
from tests.support.places import SMALL, TEST_KEY, make_place
from tests.support.postgres_server import postgres_server
from tests.support.tables import table_rows

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_url():
    with postgres_server() as url:
        yield url


def load_all(url, conn):
    ensure_state(conn)
    reader = open_reader(url)
    try:
        return {spec.name: load_table(conn, reader, spec) for spec in crm_tables().values()}
    finally:
        reader.close()


def assert_raw_equals_source(url, conn):
    with psycopg.connect(url) as src:
        for spec in crm_tables().values():
            key = ", ".join(spec.primary_key)
            source = src.execute(
                f"select {key}, to_char(updated_at, 'YYYY-MM-DD HH24:MI:SS') from {spec.name} order by {key}"
            ).fetchall()
            raw = conn.execute(
                f"select {key}, strftime(updated_at, '%Y-%m-%d %H:%M:%S') from raw.{spec.name} order by {key}"
            ).fetchall()
            assert [tuple(r) for r in raw] == [tuple(r) for r in source], spec.name


def test_generate_load_advance_reload(pg_url, tmp_path):
    place = make_place(tmp_path / "pg")
    params = GenerationParams(**{**SMALL.to_state(), "start": SMALL.start, "end": SMALL.end, "contacts": 800})
    generate(params, pg_url, place.web_dir, overwrite=True)
    with psycopg.connect(pg_url) as src:
        assert src.execute("select count(*) from contacts").fetchone()[0] > 700
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    load_all(pg_url, conn)
    assert_raw_equals_source(pg_url, conn)
    advance(pg_url, place.web_dir, 5)
    second = load_all(pg_url, conn)
    assert sum(r.inserted + r.updated for r in second.values()) > 0
    assert_raw_equals_source(pg_url, conn)


def test_nightly_run_on_a_postgresql_crm(pg_url, tmp_path, environ):
    place = make_place(tmp_path / "run")
    generate(
        GenerationParams(contacts=1200, seed=4, start=SMALL.start, end=SMALL.end, web_log_days=30),
        pg_url,
        place.web_dir,
        overwrite=True,
    )
    place = place.__class__(**{**place.__dict__, "source_url": pg_url})
    environ(place)
    result, reason = run_nightly(place)
    assert result.success, reason
    assert table_rows(place.published, "select count(*) from mart_orders_monthly")[0][0] > 0
    assert TEST_KEY.encode() not in place.published.read_bytes()


def test_an_unreachable_server_is_retried_then_explained_without_the_password():
    with pytest.raises(SourceUnavailableError) as exc:
        open_reader("postgresql://mgreen:s3cret-password@127.0.0.1:9/crm")
    assert "4 attempts" in str(exc.value) and "s3cret-password" not in str(exc.value)
