"""Shared helpers of the benchmark scripts: the machine, peak memory, Markdown tables."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import psutil

REPO = Path(__file__).resolve().parent.parent
TIERS = {"s": 5_000, "m": 100_000, "l": 1_000_000}


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = psutil.virtual_memory().total / 2**30
    return (
        f"{cpu}, {psutil.cpu_count()} cores, {memory:.0f} GiB RAM; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}"
    )


def host_probe() -> float:
    """Seconds for a fixed DuckDB query on every core: the same number on a calm machine, so a
    run timed beside a slow probe met a slow period of the host, not a slower code."""
    conn = duckdb.connect()
    try:
        conn.execute("set enable_progress_bar = false")
        started = time.perf_counter()
        conn.execute("select sum(hash(i)) from range(400000000) t(i)").fetchall()
        return time.perf_counter() - started
    finally:
        conn.close()


@dataclass
class Measure:
    seconds: float
    peak_rss_mib: float
    returncode: int = 0
    output: str = ""
    # Wall-clock bounds of the command (epoch seconds), to place its own events (Dagster's
    # event log) on the same clock.
    launched_at: float = 0.0
    ended_at: float = 0.0


def run_measured(args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> Measure:
    """Run a command; wall time and the peak resident memory of its whole process tree."""
    launched_at = time.time()
    started = time.perf_counter()
    proc = subprocess.Popen(
        args, env={**os.environ, **(env or {})}, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in procs if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = proc.communicate()[0]
    done.set()
    sampler.join()
    return Measure(time.perf_counter() - started, peak / 2**20, proc.returncode, output, launched_at, time.time())


def table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def mgreen() -> str:
    return str(Path(sys.executable).with_name("mgreen"))
