"""The raw layer's refresh, in order: every CRM table, the session logs, executed erasures,
retention. The Dagster asset ``raw_layer`` and the ingestion benchmark both call it.

Each CRM table loads in its own transactions (``crm_loader``); a table whose columns no longer
match the contract is left as it was and reported in ``failures``, the others still load.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.lib.contract import crm_tables
from orchestration.lib.crm_loader import STATE_TABLE, TableLoad, ensure_state, load_tables
from orchestration.lib.forgetting import ERASURE, ERASURE_RULE, ErasureLinks, EventLog, Forgotten, apply_erasures
from orchestration.lib.retention import apply_retention, record_status
from orchestration.lib.retention_cuts import clear_cuts
from orchestration.lib.retention_rules import RETENTION, RULES, RULES_VERSION, cutoff
from orchestration.lib.web_sessions import WebLoad, load_web_sessions

# The CRM table that says whose erasure the CRM has executed.
REQUESTS = "privacy_requests"
# Log files older than the browsing-data retention are not loaded at all.
BROWSING_MONTHS = next(rule.months for rule in RULES if rule.name == "browsing_data")


@dataclass
class RawRefresh:
    loads: dict[str, TableLoad]
    failures: list[str]
    web: WebLoad
    erased: Forgotten
    retained: dict[str, Forgotten]
    # Seconds per stage: "crm", "web", "forgetting".
    seconds: dict[str, float] = field(default_factory=dict)
    # Everything reloaded: asked for, or a warehouse purged by older retention rules.
    full_refresh: bool = False

    @property
    def events(self) -> list[tuple[str, str, str, int]]:
        """(kind, rule, table, rows) of every removal, for ``ops.gdpr_events``."""
        events = [(ERASURE, ERASURE_RULE, t, n) for t, n in self.erased.rows.items()]
        for rule, result in self.retained.items():
            events += [(RETENTION, rule, t, n) for t, n in result.rows.items()]
        return events

    @property
    def forgotten_rows(self) -> dict[str, int]:
        """Rows removed by erasure and retention, per raw table."""
        rows: dict[str, int] = {}
        for _, _, table, n in self.events:
            rows[table] = rows.get(table, 0) + n
        return rows

    @property
    def replaced(self) -> int:
        """Stored rows the load itself deleted or replaced (CRM deletes and updates, sessions)."""
        return sum(load.deleted + load.updated for load in self.loads.values()) + self.web.rows_replaced


def refresh_raw(
    conn: duckdb.DuckDBPyConnection,
    source_url: str,
    web_dir: Path,
    now: datetime,
    *,
    full_refresh: bool = False,
    log: EventLog | None = None,
) -> RawRefresh:
    """Load the CRM and the logs into ``raw``, then forget what must be forgotten at ``now``;
    ``log`` records every removal in the transaction that makes it (``ops.gdpr_events``)."""
    ensure_state(conn)
    # A warehouse purged by older retention rules (before the cuts were recorded, or with
    # contacts judged one by one) lacks rows the current rules keep, or has cut periods it never
    # marked: everything is reloaded once, and retention purges and records again.
    full_refresh = full_refresh or purged_by_older_rules(conn)
    seconds = {}
    started = time.perf_counter()
    tables = crm_tables()
    # The requests first, and tonight's executed erasures applied at once: the CRM has already
    # deleted those persons, so the other tables' key reconciliation would remove the copied
    # rows through which the rest is found (the phone of their unmatched calls, the sessions
    # of their simulations). Their phones and sessions are kept for the second pass.
    loads, failures = load_tables(conn, source_url, [tables[REQUESTS]], full_refresh=full_refresh)
    seconds["crm"] = time.perf_counter() - started
    started = time.perf_counter()
    links = ErasureLinks()
    erased = apply_erasures(conn, links, log)
    seconds["forgetting"] = time.perf_counter() - started
    started = time.perf_counter()
    others = [spec for name, spec in tables.items() if name != REQUESTS]
    more, more_failures = load_tables(conn, source_url, others, full_refresh=full_refresh)
    loads.update(more)
    failures += more_failures
    seconds["crm"] += time.perf_counter() - started
    started = time.perf_counter()
    web = load_web_sessions(conn, web_dir, keep_from=cutoff(now, BROWSING_MONTHS).date(), full_refresh=full_refresh)
    seconds["web"] = time.perf_counter() - started
    started = time.perf_counter()
    # Again, for what tonight's tables and log files brought of the same persons.
    erased += apply_erasures(conn, links, log)
    if full_refresh:
        # None recorded under older rules stays (a contact they purged may be kept now).
        clear_cuts(conn)
    retained = apply_retention(conn, now, log)
    record_status(conn, now)
    conn.execute("create table if not exists ops.retention_rules (version integer not null, applied_at timestamp)")
    conn.execute("delete from ops.retention_rules")
    conn.execute("insert into ops.retention_rules values (?, ?)", [RULES_VERSION, now])
    seconds["forgetting"] += time.perf_counter() - started
    return RawRefresh(loads, failures, web, erased, retained, seconds, full_refresh)


def purged_by_older_rules(conn: duckdb.DuckDBPyConnection) -> bool:
    """True for a warehouse that has loaded the CRM under retention rules older than these
    (``ops.retention_rules`` absent, or an older version)."""
    if not conn.execute(f"select count(*) from {STATE_TABLE}").fetchone()[0]:
        return False
    if not conn.execute(
        "select count(*) from information_schema.tables where table_schema = 'ops' and table_name = 'retention_rules'"
    ).fetchone()[0]:
        return True
    return conn.execute("select coalesce(max(version), 0) from ops.retention_rules").fetchone()[0] < RULES_VERSION
