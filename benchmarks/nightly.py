"""The nightly budget, per tier: generation, initial run, one-day increment, and the cost of
our orchestration against the compiled SQL alone.

    python benchmarks/nightly.py --tier s|m|l [--keep] [--repeat N]

Prints Markdown tables (and writes them to benchmarks/results/<tier>.md). Everything happens
in data/bench/<tier>/ with its own demo key; nothing is timed inside tests. With ``--repeat N``
the one-day run is timed N times from the same saved state (warehouse, published file and
Dagster home as they were before it; the CRM is only read), and the tables give the median
with the range: on a shared virtual machine one run is not a measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import sys
import time
import types
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import REPO, TIERS, Measure, host_probe, machine, mgreen, run_measured, table  # noqa: E402

STEPS = {
    "raw_layer": "load CRM + logs, erasures, retention",
    "dbt_models": "dbt build (models + tests)",
    "privacy_guard": "privacy guard (GX) on the marts",
    "ops__warehouse_compaction": "compaction",
    "published__marts": "publication (+ guard on the file)",
}

# The run outside its steps, placed by the command's own clock against the event log.
PHASES = {
    "start": "start: Python, imports, definitions (until the run's first event)",
    "create": "creating the run (its 'planned' events) until its start",
    "exit": "after the last step, until the command ends",
}


def step_durations(dagster_home: Path, run_id: str, run: Measure | None = None) -> dict[str, float]:
    """Seconds per step of a run, from Dagster's event log; given the command's measure, also
    the phases of ``PHASES`` (the event log's timestamps and the command's are both the
    machine's wall clock)."""
    from dagster import DagsterEventType, DagsterInstance

    os.environ["DAGSTER_HOME"] = str(dagster_home)
    with DagsterInstance.get() as instance:
        records = instance.all_logs(run_id)
        starts, ends = {}, {}
        run_started = run_ended = None
        for record in records:
            event = record.dagster_event
            if event is None:
                continue
            if event.event_type == DagsterEventType.RUN_START:
                run_started = record.timestamp
            elif event.event_type in (DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE):
                run_ended = record.timestamp
            elif event.step_key and event.event_type == DagsterEventType.STEP_START:
                starts[event.step_key] = record.timestamp
            elif event.step_key and event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
                ends[event.step_key] = record.timestamp
        durations = {k: ends[k] - starts[k] for k in starts if k in ends}
        if run is not None and records and run_started is not None and run_ended is not None:
            durations["start"] = records[0].timestamp - run.launched_at
            durations["create"] = run_started - records[0].timestamp
            durations["exit"] = run.ended_at - run_ended
        return durations


def run_id_of(output: str) -> str:
    for line in output.splitlines():
        if "(run " in line and line.startswith("Published"):
            return line.rsplit("(run ", 1)[1].rstrip(").")
    raise RuntimeError("the run did not publish:\n" + output[-3000:])


def compiled_sql_baseline(warehouse: Path, copy: Path, env: dict[str, str], target: Path | None = None) -> float:
    """The SQL dbt ran (``target``/run, by default the warehouse's dbt-target: models' DDL and data
    tests' queries), executed in dependency order in one DuckDB connection, without dbt or
    Dagster. Unit tests, which need dbt's fixtures, are dbt's own cost."""
    from orchestration.lib.pseudonymisation import register_pseudonymiser

    project = REPO / "dbt_project"
    target = target or warehouse.parent / "dbt-target"
    results = json.loads((target / "run_results.json").read_text())
    manifest = json.loads((target / "manifest.json").read_text())
    executed = [r["unique_id"] for r in results["results"] if r["unique_id"].split(".")[0] in ("model", "test")]
    # The compiled SQL names the database after the file: the copy keeps the file's name.
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(warehouse, copy)
    conn = duckdb.connect(str(copy))
    conn.execute("set enable_progress_bar = false")
    register_pseudonymiser(conn, env)
    done: set[str] = set()
    ordered: list[str] = []

    def visit(node: str) -> None:
        if node in done or node not in manifest["nodes"]:
            return
        for parent in manifest["nodes"][node].get("depends_on", {}).get("nodes", []):
            visit(parent)
        done.add(node)
        ordered.append(node)

    for node in executed:
        visit(node)
    statements = []
    for node in ordered:
        props = manifest["nodes"][node]
        build_path = props.get("build_path")
        if node.split(".")[0] in ("model", "test") and build_path and (project / build_path).exists():
            statements.append((props, (project / build_path).read_text()))
    # The models' tables, as the night found them after the compaction dropped their schemas
    # (a model's SQL creates its table, after a drop when it existed).
    for props, _ in statements:
        if props["resource_type"] == "model":
            conn.execute(f'drop table if exists "{props["schema"]}"."{props["alias"]}"')
    started = time.perf_counter()
    for props, code in statements:
        if props.get("language") == "python":
            run_python_model(conn, props, code)
        else:
            conn.execute(code)
    seconds = time.perf_counter() - started
    conn.close()
    copy.unlink()
    return seconds


def run_python_model(conn: duckdb.DuckDBPyConnection, props: dict, code: str) -> None:
    """A dbt Python model's compiled module, run as dbt-duckdb runs it (its ``model`` on the
    connection, then its ``materialize`` into ``<name>__dbt_tmp``), then put in place."""
    module = types.ModuleType(props["alias"])
    exec(compile(code, props["alias"], "exec"), module.__dict__)
    frame = module.model(module.dbtObj(lambda name: conn.query(f"select * from {name}")), conn)
    # As dbt-duckdb does: a DataFrame is written through a cursor of its own.
    module.materialize(frame, conn if isinstance(frame, duckdb.DuckDBPyRelation) else conn.cursor())
    target = f'"{props["schema"]}"."{props["alias"]}"'
    conn.execute(f"drop table if exists {target}")
    conn.execute(f'alter table "{props["schema"]}"."{props["alias"]}__dbt_tmp" rename to "{props["alias"]}"')


SAVED = ("warehouse", "published", "dagster")
# The analyst's loop: one mart rebuilt and tested on the night's warehouse, as `dbt build
# --select` does from dbt_project/ (its parents are already built).
ANALYSTS_MART = "mart_orders_monthly"


def analysts_loop(root: Path, env: dict[str, str], baseline_env: dict) -> list[list[str]]:
    """``dbt build --select <mart>`` twice on the warehouse the runs left, in a target folder of
    its own: the first parses the project in full (a fresh clone), the second reuses dbt's
    partial parse (an analyst's next try). Rows: what, seconds, the compiled SQL of the mart and
    its tests alone, and the ratio."""
    target = root / "analyst-target"
    shutil.rmtree(target, ignore_errors=True)
    args = [
        str(Path(sys.executable).with_name("dbt")),
        "build",
        "--select",
        ANALYSTS_MART,
        "--target-path",
        str(target),
    ]
    rows = []
    for label in ("first, full parse", "again, partial parse"):
        run = run_measured(args, {**env, "DBT_LOG_PATH": str(target)}, cwd=REPO / "dbt_project")
        assert run.returncode == 0, run.output[-3000:]
        warehouse = Path(env["MGREEN_WAREHOUSE_PATH"])
        sql = compiled_sql_baseline(warehouse, root / "baseline" / warehouse.name, baseline_env, target)
        rows.append(
            [
                f"`dbt build --select {ANALYSTS_MART}`, {label}",
                f"{run.seconds:.1f}",
                f"{sql:.2f}",
                f"{run.seconds / sql:.0f}",
            ]
        )
    return rows


@dataclass
class Increment:
    run: Measure
    steps: dict[str, float]
    baseline: float
    probe: float


def copy_state(source: Path, target: Path) -> None:
    """The files a run changes (the CRM is only read), from ``source`` over ``target``."""
    for sub in SAVED:
        shutil.rmtree(target / sub, ignore_errors=True)
        shutil.copytree(source / sub, target / sub)
    os.sync()


def one_day_run(root: Path, env: dict[str, str], baseline_env: dict) -> Increment:
    """One nightly run on the advanced CRM, and the compiled SQL alone on its result."""
    probe = host_probe()
    run = run_measured([mgreen(), "run"], env)
    assert run.returncode == 0, run.output[-3000:]
    steps = step_durations(root / "dagster", run_id_of(run.output), run)
    baseline = compiled_sql_baseline(
        Path(env["MGREEN_WAREHOUSE_PATH"]), root / "baseline" / "warehouse.duckdb", baseline_env
    )
    return Increment(run, steps, baseline, probe)


def _spread(values: list[float], digits: int = 1) -> str:
    """The value, or with several runs the median and the range: '52.1 (50.3-54.8)'."""
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def runs_note(increments: list[Increment]) -> str:
    return f", median of {len(increments)} runs (range)" if len(increments) > 1 else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tier", choices=sorted(TIERS), required=True)
    parser.add_argument("--keep", action="store_true", help="reuse a generated source from an earlier run")
    parser.add_argument(
        "--repeat", type=int, default=1, metavar="N", help="time the one-day run N times from the same state"
    )
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    contacts = TIERS[args.tier]
    root = REPO / "data" / "bench" / args.tier
    key_file = root / "bench.key"
    env = {
        "MGREEN_SOURCE_URL": f"sqlite:///{root / 'source' / 'crm.sqlite'}",
        "MGREEN_WEB_SESSIONS_DIR": str(root / "source" / "web_sessions"),
        "MGREEN_WAREHOUSE_PATH": str(root / "warehouse" / "warehouse.duckdb"),
        "MGREEN_PUBLISHED_PATH": str(root / "published" / "marts.duckdb"),
        "MGREEN_PSEUDONYMISATION_KEY_FILE": str(key_file),
        "DAGSTER_HOME": str(root / "dagster"),
    }
    end = date.today() - timedelta(days=1)
    rows_gen = []
    if not (args.keep and (root / "source" / "crm.sqlite").exists()):
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        key_file.write_text(secrets.token_urlsafe(48))
        gen = run_measured(
            [
                mgreen(),
                "generate",
                "--contacts",
                str(contacts),
                "--seed",
                "1",
                "--end",
                (end - timedelta(days=1)).isoformat(),
            ],
            env,
        )
        assert gen.returncode == 0, gen.output[-3000:]
        rows_gen.append(["generate the CRM", f"{gen.seconds:.1f}", f"{gen.peak_rss_mib:,.0f}"])
    else:
        for sub in ("warehouse", "published", "dagster"):
            shutil.rmtree(root / sub, ignore_errors=True)
    # The generator leaves gigabytes of dirty pages: flushed now, they are not charged to the
    # run's fsyncs (a CRM on another machine would not share our disk either).
    os.sync()
    (root / "dagster").mkdir(parents=True, exist_ok=True)
    (root / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")

    first_probe = host_probe()
    first = run_measured([mgreen(), "run"], env)
    assert first.returncode == 0, first.output[-3000:]
    first_steps = step_durations(root / "dagster", run_id_of(first.output), first)
    baseline_env = {**os.environ, **env}
    baseline = compiled_sql_baseline(
        Path(env["MGREEN_WAREHOUSE_PATH"]), root / "baseline" / "warehouse.duckdb", baseline_env
    )
    dbt_first = first_steps.get("dbt_models", 0.0)

    advance = run_measured([mgreen(), "generate", "--advance-days", "1"], env)
    assert advance.returncode == 0, advance.output[-3000:]
    os.sync()
    saved = root / "before-increment"
    if args.repeat > 1:
        copy_state(root, saved)
    increments = []
    for i in range(args.repeat):
        if i:
            copy_state(saved, root)
        increments.append(one_day_run(root, env, baseline_env))
    shutil.rmtree(saved, ignore_errors=True)
    analyst = analysts_loop(root, env, baseline_env)

    out = [f"## Tier {args.tier.upper()}: {contacts:,} contacts", "", f"Machine: {machine()}", ""]
    rows = rows_gen + [
        ["nightly run, first (initial load)", f"{first.seconds:.1f}", f"{first.peak_rss_mib:,.0f}"],
        ["generate --advance-days 1", f"{advance.seconds:.1f}", f"{advance.peak_rss_mib:,.0f}"],
        [
            "nightly run, one-day increment" + runs_note(increments),
            _spread([i.run.seconds for i in increments]),
            f"{max(i.run.peak_rss_mib for i in increments):,.0f}",
        ],
    ]
    out += [table(["what", "seconds", "peak memory (MiB)"], rows), ""]
    step_rows = [
        [label, f"{first_steps.get(step, 0):.1f}", _spread([i.steps.get(step, 0.0) for i in increments])]
        for step, label in STEPS.items()
    ]
    out += [table(["step (Dagster event log)", "initial run (s)", "increment run (s)"], step_rows), ""]
    phase_rows = [
        [label, f"{first_steps.get(phase, 0):.1f}", _spread([i.steps.get(phase, 0.0) for i in increments])]
        for phase, label in PHASES.items()
    ]
    out += [table(["outside the steps", "initial run (s)", "increment run (s)"], phase_rows), ""]
    overhead = [
        ["dbt step, initial", f"{dbt_first:.1f}", f"{baseline:.1f}", f"{dbt_first / baseline:.2f}"],
        [
            "dbt step, increment" + runs_note(increments),
            _spread([i.steps.get("dbt_models", 0.0) for i in increments]),
            _spread([i.baseline for i in increments]),
            _spread([i.steps.get("dbt_models", 0.0) / i.baseline for i in increments], digits=2),
        ],
    ]
    out += [table(["transform stage", "in the nightly run (s)", "compiled SQL alone (s)", "ratio"], overhead), ""]
    out += [table(["an analyst's loop", "seconds", "compiled SQL alone (s)", "ratio"], analyst), ""]
    probes = ", ".join(f"{i.probe:.2f}" for i in increments)
    out += [
        f"Host probe (benchmarks/common.py `host_probe`: a fixed DuckDB query on every core, timed just "
        f"before each run; the same on a calm machine): {first_probe:.2f} s before the first run, "
        f"{probes} s before the one-day runs.",
        "",
    ]
    text = "\n".join(out)
    print(text)
    results = REPO / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    (results / f"{args.tier}.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
