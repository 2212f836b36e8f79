"""Ingestion speed: the initial load of a generated CRM, then one day's increment.

    python benchmarks/ingestion.py --contacts 1000000 [--keep]

Runs the nightly job's raw-layer refresh directly (no dbt, no Dagster): CRM tables, session
logs, erasures, retention.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb  # noqa: E402

from benchmarks.common import REPO, machine, table  # noqa: E402
from orchestration.lib.raw_layer import refresh_raw  # noqa: E402
from synthetic_crm.engine import GenerationParams, advance, generate  # noqa: E402


def load(warehouse: Path, url: str, web: Path) -> list[list]:
    """The nightly job's raw-layer refresh (``refresh_raw``), timed per stage."""
    conn = duckdb.connect(str(warehouse))
    conn.execute("set enable_progress_bar = false")
    refresh = refresh_raw(conn, url, web, datetime.now())
    conn.close()
    read = sum(result.rows_read for result in refresh.loads.values())
    removed = refresh.erased.total + sum(r.total for r in refresh.retained.values())
    return [
        ["CRM tables (read, merge, key reconciliation)", f"{read:,}", f"{refresh.seconds['crm']:.1f}"],
        ["session logs", f"{refresh.web.lines_read:,} lines", f"{refresh.seconds['web']:.1f}"],
        ["erasures + retention", f"{removed:,} rows removed", f"{refresh.seconds['forgetting']:.1f}"],
        ["**total**", "", f"**{sum(refresh.seconds.values()):.1f}**"],
    ]


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
