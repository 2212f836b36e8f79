"""Ingestion speed: the initial load of a generated CRM, then one day's increment.

    python benchmarks/ingestion.py --contacts 1000000 [--keep]

Uses the loader directly (no dbt, no Dagster): CRM tables, session logs, erasures, retention.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb  # noqa: E402

from benchmarks.common import REPO, machine, table  # noqa: E402
from orchestration.lib.contract import crm_tables  # noqa: E402
from orchestration.lib.crm_loader import ensure_state, load_table, open_reader  # noqa: E402
from orchestration.lib.forgetting import apply_erasures  # noqa: E402
from orchestration.lib.retention import apply_retention, cutoff  # noqa: E402
from orchestration.lib.web_sessions import load_web_sessions  # noqa: E402
from synthetic_crm.engine import GenerationParams, advance, generate  # noqa: E402


def load(warehouse: Path, url: str, web: Path) -> list[list]:
    rows = []
    now = datetime.now()
    conn = duckdb.connect(str(warehouse))
    conn.execute("set enable_progress_bar = false")
    ensure_state(conn)
    reader = open_reader(url)
    started = time.perf_counter()
    read = 0
    for spec in crm_tables().values():
        result = load_table(conn, reader, spec)
        read += result.rows_read
    reader.close()
    rows.append(["CRM tables (read, merge, key reconciliation)", f"{read:,}", f"{time.perf_counter() - started:.1f}"])
    t = time.perf_counter()
    web_result = load_web_sessions(conn, web, keep_from=cutoff(now, 13).date())
    rows.append(["session logs", f"{web_result.lines_read:,} lines", f"{time.perf_counter() - t:.1f}"])
    t = time.perf_counter()
    erased = apply_erasures(conn)
    retained = apply_retention(conn, now)
    removed = erased.total + sum(r.total for r in retained.values())
    rows.append(["erasures + retention", f"{removed:,} rows removed", f"{time.perf_counter() - t:.1f}"])
    conn.close()
    rows.append(["**total**", "", f"**{time.perf_counter() - started:.1f}**"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="reuse the source of an earlier run")
    args = parser.parse_args()
    root = REPO / "data" / "bench" / f"ingestion-{args.contacts}"
    url, web, warehouse = f"sqlite:///{root / 'crm.sqlite'}", root / "web", root / "warehouse.duckdb"
    if not (args.keep and (root / "crm.sqlite").exists()):
        shutil.rmtree(root, ignore_errors=True)
        generate(GenerationParams(contacts=args.contacts, seed=1, end=date.today() - timedelta(days=2)), url, web)
    warehouse.unlink(missing_ok=True)
    initial = load(warehouse, url, web)
    advance(url, web, 1)
    increment = load(warehouse, url, web)
    print(f"## Ingestion: {args.contacts:,} contacts\n\nMachine: {machine()}\n")
    print("Initial load:\n")
    print(table(["stage", "rows", "seconds"], initial))
    print("\nOne day's increment:\n")
    print(table(["stage", "rows", "seconds"], increment))


if __name__ == "__main__":
    main()
