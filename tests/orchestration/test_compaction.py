"""Compaction: forgotten values leave the file; rebuilt layers are dropped, the rest is kept."""

import secrets

import duckdb
import pytest

from orchestration.lib.compaction import compact, is_needed, mark_needed


def _marker(tag: str) -> str:
    # Long and random: DuckDB stores it as is (no dictionary to share), so its bytes can be sought.
    return f"{tag}-{secrets.token_hex(24)}@exemple.test"


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    erased, derived, kept = _marker("erased"), _marker("derived"), _marker("kept")
    conn = duckdb.connect(str(path))
    conn.execute("create schema raw")
    conn.execute("create table raw.contacts (contact_id integer primary key, email varchar)")
    conn.execute("insert into raw.contacts values (1, ?), (2, ?)", [erased, kept])
    conn.execute("create schema staging")
    conn.execute("create table staging.stg (v varchar)")
    conn.execute("insert into staging.stg values (?)", [derived])
    conn.execute("create view staging.stg_view as select * from staging.stg")
    conn.execute("checkpoint")
    conn.execute("delete from raw.contacts where contact_id = 1")
    mark_needed(conn, "test")
    conn.close()
    return path, erased, derived, kept


def test_compaction_removes_forgotten_bytes_and_drops_the_rebuilt_layers(warehouse):
    path, erased, derived, kept = warehouse
    before = path.read_bytes()
    assert erased.encode() in before and derived.encode() in before

    result = compact(path, rebuilt_schemas=("staging",))

    after = path.read_bytes()
    assert result.compacted
    assert erased.encode() not in after
    assert derived.encode() not in after
    conn = duckdb.connect(str(path))
    try:
        assert conn.execute("select contact_id, email from raw.contacts").fetchall() == [(2, kept)]
        schemas = {r[0] for r in conn.execute("select schema_name from information_schema.schemata").fetchall()}
        assert "staging" not in schemas and {"raw", "ops"} <= schemas
        assert not is_needed(conn)
        # The primary key survives the copy: the loader's merge by key relies on it.
        with pytest.raises(duckdb.ConstraintException):
            conn.execute("insert into raw.contacts values (2, 'x')")
    finally:
        conn.close()


def test_compaction_refuses_to_drop_the_raw_layer_or_the_run_history(warehouse):
    path = warehouse[0]
    for schema in ("raw", "ops", "main"):
        with pytest.raises(ValueError, match=schema):
            compact(path, rebuilt_schemas=(schema,))
    conn = duckdb.connect(str(path), read_only=True)
    try:
        assert conn.execute("select count(*) from raw.contacts").fetchone()[0] == 1
    finally:
        conn.close()
