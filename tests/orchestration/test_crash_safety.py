"""A load killed at any moment leaves a usable warehouse; the next load converges to the same state."""

import signal
import subprocess
import sys
import time

import duckdb
import pytest

from orchestration.lib.contract import crm_tables

LOADER = """
import sys, duckdb
from datetime import date
from pathlib import Path
from orchestration.lib.contract import crm_tables
from orchestration.lib.crm_loader import ensure_state, load_table, open_reader
from orchestration.lib.web_sessions import load_web_sessions
conn = duckdb.connect(sys.argv[1])
ensure_state(conn)
reader = open_reader(sys.argv[2])
for spec in crm_tables().values():
    print("start", spec.name, flush=True)
    load_table(conn, reader, spec)
print("start web_sessions", flush=True)
load_web_sessions(conn, Path(sys.argv[3]), keep_from=date(2020, 1, 1))
conn.close()
print("done", flush=True)
"""


def run_loader(warehouse, place, kill_after: str | None = None, delay: float = 0.0) -> bool:
    """Run the loader in a real process; SIGKILL it once it announces ``kill_after``."""
    proc = subprocess.Popen(
        [sys.executable, "-c", LOADER, str(warehouse), place.source_url, str(place.web_dir)],
        stdout=subprocess.PIPE,
        text=True,
    )
    for line in proc.stdout:
        if kill_after and line.strip() == f"start {kill_after}":
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return False
    return proc.wait() == 0


def snapshot(warehouse) -> dict[str, list]:
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        present = {
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        }
        out = {
            name: conn.execute(f"select * from raw.{name} order by all").fetchall()
            for name in crm_tables()
            if name in present
        }
        if "web_sessions" not in present:
            return out
        out["web_sessions"] = conn.execute(
            "select * exclude (source_file, line_no) from raw.web_sessions order by session_id"
        ).fetchall()
        out["_load_state"] = conn.execute(
            "select table_name, cursor_value, rows_loaded from raw._load_state order by 1"
        ).fetchall()
        return out
    finally:
        conn.close()


@pytest.fixture(scope="module")
def reference(generated_source, tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("ref") / "w.duckdb"
    assert run_loader(warehouse, generated_source)
    return snapshot(warehouse)


@pytest.mark.parametrize(
    "kill_after, delay", [("contacts", 0.05), ("consents", 0.02), ("quote_lines", 0.0), ("web_sessions", 0.0)]
)
def test_killed_mid_load_then_rerun_converges(generated_source, reference, tmp_path, kill_after, delay):
    warehouse = tmp_path / "w.duckdb"
    assert not run_loader(warehouse, generated_source, kill_after=kill_after, delay=delay)
    # Usable right away: DuckDB replays its log; every table is before or after its transaction.
    conn = duckdb.connect(str(warehouse), read_only=True)
    conn.execute("select count(*) from information_schema.tables").fetchone()
    conn.close()
    assert snapshot(warehouse) != reference  # the kill did land before the load's end
    assert run_loader(warehouse, generated_source)
    assert snapshot(warehouse) == reference
