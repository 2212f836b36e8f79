"""Loading the CRM into raw: equal to the source, incremental, drift-aware."""

import sqlite3

import duckdb
import pytest

from orchestration.lib.contract import crm_tables
from orchestration.lib.crm_loader import (
    SchemaDriftError,
    SourceUnavailableError,
    load_table,
    load_tables,
    open_reader,
)
from synthetic_crm.engine import advance
from tests.support.crm import load_all


def assert_raw_equals_source(place, conn):
    """Key for key, and value for value on the cursor column."""
    src = sqlite3.connect(place.sqlite)
    try:
        for spec in crm_tables().values():
            key = ", ".join(spec.primary_key)
            source_rows = src.execute(f"select {key}, updated_at from {spec.name} order by {key}").fetchall()
            raw_rows = conn.execute(
                f"select {key}, strftime(updated_at, '%Y-%m-%d %H:%M:%S') from raw.{spec.name} order by {key}"
            ).fetchall()
            assert raw_rows == source_rows, spec.name
    finally:
        src.close()


def test_full_load_then_a_day_then_rerun_equals_the_source(source_copy, tmp_path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    first = load_all(source_copy, conn)
    assert first["contacts"].inserted == first["contacts"].rows_read > 0
    assert_raw_equals_source(source_copy, conn)

    advance(source_copy.source_url, source_copy.web_dir, 1)
    second = load_all(source_copy, conn)
    assert sum(r.inserted for r in second.values()) > 0
    assert sum(r.updated for r in second.values()) > 0
    # The look-back re-reads a few rows: they are counted unchanged, not updated.
    assert_raw_equals_source(source_copy, conn)

    third = load_all(source_copy, conn)
    assert sum(r.inserted + r.updated + r.deleted for r in third.values()) == 0
    assert_raw_equals_source(source_copy, conn)


def test_types_come_from_the_contract(source_copy, tmp_path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    load_all(source_copy, conn)
    types = dict(
        conn.execute(
            "select column_name, data_type from information_schema.columns where table_schema = 'raw' "
            "and table_name = 'quotes'"
        ).fetchall()
    )
    assert types["quote_id"] == "BIGINT" and types["created_at"] == "TIMESTAMP"
    assert types["total_excl_tax_eur"] == "DECIMAL(12,2)"


def test_unparseable_values_are_counted_not_guessed(source_copy, tmp_path):
    src = sqlite3.connect(source_copy.sqlite)
    src.execute("update quotes set total_excl_tax_eur = 'douze mille' where quote_id = 1")
    src.commit()
    src.close()
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    result = load_all(source_copy, conn)["quotes"]
    assert result.unparseable == {"total_excl_tax_eur": 1}
    assert conn.execute("select total_excl_tax_eur from raw.quotes where quote_id = 1").fetchone()[0] is None


def test_missing_column_stops_that_table_and_extra_column_is_reported(source_copy, tmp_path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    load_all(source_copy, conn)
    before = conn.execute("select count(*) from raw.calls").fetchone()[0]
    src = sqlite3.connect(source_copy.sqlite)
    src.execute("alter table calls drop column outcome")
    src.execute("alter table orders add column loyalty_tier text")
    src.commit()
    src.close()
    reader = open_reader(source_copy.source_url)
    with pytest.raises(SchemaDriftError, match="'calls' lacks expected column.*outcome"):
        load_table(conn, reader, crm_tables()["calls"])
    assert conn.execute("select count(*) from raw.calls").fetchone()[0] == before
    orders = load_table(conn, reader, crm_tables()["orders"])
    assert orders.extra_columns == ["loyalty_tier"]
    # All tables together: the drifted one is reported and skipped, the others load.
    loads, failures = load_tables(conn, source_copy.source_url, list(crm_tables().values()))
    assert len(failures) == 1 and "'calls' lacks expected column" in failures[0]
    assert "calls" not in loads and set(loads) == set(crm_tables()) - {"calls"}
    assert loads["orders"].extra_columns == ["loyalty_tier"]
    assert conn.execute("select count(*) from raw.calls").fetchone()[0] == before


def test_full_refresh_reloads_everything(source_copy, tmp_path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    load_all(source_copy, conn)
    conn.execute("delete from raw.contacts where contact_id < 50")
    reader = open_reader(source_copy.source_url)
    incremental = load_table(conn, reader, crm_tables()["contacts"])
    assert incremental.inserted == 0  # the cursor does not see rows it already passed
    refreshed = load_table(conn, reader, crm_tables()["contacts"], full_refresh=True)
    assert refreshed.inserted == refreshed.rows_read
    assert_raw_equals_source(source_copy, conn)


def test_bad_source_urls_are_explained(tmp_path):
    with pytest.raises(SourceUnavailableError, match="does not exist"):
        open_reader(f"sqlite:///{tmp_path / 'nope.sqlite'}")
    with pytest.raises(SourceUnavailableError, match="Unsupported"):
        open_reader("mysql://x@localhost/crm")
    with pytest.raises(SourceUnavailableError, match="not a database URL"):
        open_reader("::::")
