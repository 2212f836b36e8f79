"""Generator speed: rows per second per table, whole time and peak memory.

python benchmarks/generator.py --contacts 1000000
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import REPO, machine, mgreen, run_measured, table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    args = parser.parse_args()
    root = REPO / "data" / "bench" / "generator"
    shutil.rmtree(root, ignore_errors=True)
    env = {"MGREEN_SOURCE_URL": f"sqlite:///{root / 'crm.sqlite'}", "MGREEN_WEB_SESSIONS_DIR": str(root / "web")}
    end = (date.today() - timedelta(days=1)).isoformat()
    run = run_measured([mgreen(), "generate", "--contacts", str(args.contacts), "--seed", "1", "--end", end], env)
    assert run.returncode == 0, run.output[-3000:]
    rows = []
    for line in run.output.splitlines():
        m = re.match(r"\s+(\w+): ([\d,]+) rows in ([\d.]+) s", line)
        if m:
            n, s = int(m.group(2).replace(",", "")), float(m.group(3))
            rows.append([m.group(1), f"{n:,}", f"{s:.1f}", f"{n / s:,.0f}" if s else "-"])
        m = re.match(r"\s+population of ([\d,]+) contacts drawn in ([\d.]+) s", line)
        if m:
            rows.insert(0, ["(lifecycles drawn, all tables)", m.group(1), m.group(2), "-"])
        m = re.match(r"\s+web session logs: (\d+) files in ([\d.]+) s", line)
        if m:
            size = sum(p.stat().st_size for p in (root / "web").glob("*.jsonl")) / 2**20
            rows.append([f"web session logs ({size:,.0f} MiB)", f"{m.group(1)} files", m.group(2), "-"])
    print(f"## Generator: {args.contacts:,} contacts\n\nMachine: {machine()}\n")
    print(table(["table", "rows", "seconds", "rows/s"], rows))
    print(
        f"\nWhole generation: {run.seconds:.1f} s, peak memory {run.peak_rss_mib:,.0f} MiB, "
        f"SQLite file {(root / 'crm.sqlite').stat().st_size / 2**20:,.0f} MiB."
    )


if __name__ == "__main__":
    main()
