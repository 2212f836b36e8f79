"""The raw layer: the CRM and the session logs copied into DuckDB, then what must be forgotten.

One step, so that the raw tables dbt reads are always the state after erasures and
retention: load every CRM table (incremental, per-table transactions), load the session
log files, forget the persons whose erasure the CRM executed, apply the retention rules.
Then, before dbt, the warehouse file is compacted when rows were forgotten, or deleted or
replaced by the load (``lib/compaction.py``).
"""

import dagster as dg

from orchestration.defs.resources import WarehouseResource, run_instant
from orchestration.lib.compaction import compact, is_needed, mark_needed, unmark
from orchestration.lib.contract import crm_tables
from orchestration.lib.forgetting import EventLog
from orchestration.lib.pseudonymisation import load_key
from orchestration.lib.publication import ensure_ops_tables
from orchestration.lib.raw_layer import refresh_raw
from orchestration.lib.retention_rules import RULES
from orchestration.lib.warehouse import connect, writer_lock, writing
from orchestration.project import dbt_rebuilt_schemas

RAW_GROUP = "raw"
WEB_SESSIONS_KEY = dg.AssetKey(["raw", "web_sessions"])
COMPACTION_KEY = dg.AssetKey(["ops", "warehouse_compaction"])
# The step's own records, which dbt reads as sources (models/staging/ops): they are the same
# asset keys as dbt's sources, so lineage runs from this step through them to the marts.
GDPR_EVENTS_KEY = dg.AssetKey(["ops", "gdpr_events"])
RETENTION_CUTS_KEY = dg.AssetKey(["ops", "retention_cuts"])


class RawLayerConfig(dg.Config):
    """``full_refresh``: reload every CRM table and every log file from scratch."""

    full_refresh: bool = False


def raw_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", table])


def _raw_specs() -> list[dg.AssetSpec]:
    specs = [
        dg.AssetSpec(
            raw_key(name),
            group_name=RAW_GROUP,
            kinds={"duckdb", "sqlite"},
            description=f"The CRM table {name}, as the CRM holds it (identifiers included; restricted).",
        )
        for name in crm_tables()
    ]
    specs.append(
        dg.AssetSpec(
            WEB_SESSIONS_KEY,
            group_name=RAW_GROUP,
            kinds={"duckdb", "json"},
            description="The website's session logs, one row per session (browsing data; 13 months).",
        )
    )
    specs += [
        dg.AssetSpec(
            GDPR_EVENTS_KEY,
            group_name=RAW_GROUP,
            kinds={"duckdb"},
            description="What erasures and retention removed, per run, rule and table (counts, no person).",
        ),
        dg.AssetSpec(
            RETENTION_CUTS_KEY,
            group_name=RAW_GROUP,
            kinds={"duckdb"},
            description="The periods retention cut into, per table column and range of days: the marts do not "
            "publish a period missing part of its rows.",
        ),
    ]
    return specs


@dg.multi_asset(specs=_raw_specs(), name="raw_layer")
def raw_layer(context: dg.AssetExecutionContext, config: RawLayerConfig, warehouse: WarehouseResource):
    settings = warehouse.settings()
    load_key()  # the run refuses to start without the pseudonymisation key
    now = run_instant(context)
    with writing(settings.warehouse_path) as conn:
        ensure_ops_tables(conn)
        # Until the refresh ends, the file is taken to need compacting: a night that fails after
        # a load or a purge has committed (old values in free blocks) leaves this mark, and the
        # next night compacts even if it removes nothing itself.
        in_progress = f"refresh of run {context.run.run_id} not finished"
        mark_needed(conn, in_progress)
        refresh = refresh_raw(
            conn,
            settings.source_url,
            settings.web_sessions_dir,
            now,
            full_refresh=config.full_refresh,
            log=EventLog(context.run.run_id, now),
        )
        events = refresh.events
        # Rows the CRM deleted (its executed erasures among them: it hard-deletes the person
        # before we load) or changed (a rectified email) leave their old bytes in free blocks
        # just as forgotten rows do.
        if events or refresh.replaced:
            mark_needed(
                conn,
                f"{sum(refresh.forgotten_rows.values())} rows forgotten, {refresh.replaced} deleted or replaced "
                f"by the load (run {context.run.run_id})",
            )
        unmark(conn, in_progress)
        cut_ranges = conn.execute("select count(*) from ops.retention_cuts").fetchone()[0]
    if refresh.full_refresh and not config.full_refresh:
        context.log.info(
            "Reloaded the CRM and the logs in full, once: older retention rules had purged this warehouse "
            "(before it recorded the periods it cuts into, or judging a person's contacts one by one)."
        )
    for failure in refresh.failures:
        context.log.error(failure)
    forgotten_rows, web, erased = refresh.forgotten_rows, refresh.web, refresh.erased
    for name, result in refresh.loads.items():
        yield dg.MaterializeResult(
            asset_key=raw_key(name),
            metadata={
                "rows_read": result.rows_read,
                "inserted": result.inserted,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "deleted_in_source": result.deleted,
                "forgotten (erasure, retention)": forgotten_rows.get(name, 0),
                "unparseable_values": dg.MetadataValue.json(result.unparseable),
                "unexpected_columns": dg.MetadataValue.json(result.extra_columns),
                "cursor": result.cursor or "",
                "seconds": round(result.seconds, 2),
            },
        )
    yield dg.MaterializeResult(
        asset_key=WEB_SESSIONS_KEY,
        metadata={
            "files_loaded": web.files_loaded,
            "files_unchanged": web.files_unchanged,
            "files_hashed": web.files_hashed,
            "files_past_retention": web.files_skipped_retention,
            "files_ignored": dg.MetadataValue.json(web.files_ignored),
            "lines_read": web.lines_read,
            "sessions_loaded": web.sessions_loaded,
            "quarantined": web.quarantined,
            "rows_replaced": web.rows_replaced,
            "forgotten (erasure, retention)": forgotten_rows.get("web_sessions", 0),
            "seconds": round(web.seconds, 2),
        },
    )
    yield dg.MaterializeResult(
        asset_key=GDPR_EVENTS_KEY,
        metadata={
            "erased_rows": erased.total,
            "retained_rows": sum(r.total for r in refresh.retained.values()),
        },
    )
    yield dg.MaterializeResult(asset_key=RETENTION_CUTS_KEY, metadata={"cut_ranges": cut_ranges})
    context.log.info(
        f"Forgotten: {erased.total} rows of {erased.contacts} executed erasures; "
        + ", ".join(f"{rule}: {r.total} rows" for rule, r in refresh.retained.items())
        + f" (rules: {', '.join(r.name for r in RULES)})"
    )
    if refresh.failures:
        raise dg.Failure(
            description="The CRM no longer matches the contract; these tables were not loaded:\n"
            + "\n".join(refresh.failures)
        )


@dg.asset(
    key=COMPACTION_KEY,
    deps=[spec.key for spec in _raw_specs()],
    group_name=RAW_GROUP,
    kinds={"duckdb"},
    description=(
        "Rewrites the warehouse file after rows were forgotten, deleted or replaced, so no deleted value "
        "stays in free blocks; "
        "the layers dbt rebuilds are dropped rather than copied, and rebuilt in the fresh file."
    ),
)
def warehouse_compaction(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    settings = warehouse.settings()
    with writer_lock(settings.warehouse_path):
        conn = connect(settings.warehouse_path)
        try:
            needed = is_needed(conn)
        finally:
            conn.close()
        if not needed:
            return dg.MaterializeResult(metadata={"compacted": False})
        rebuilt = dbt_rebuilt_schemas()
        result = compact(settings.warehouse_path, rebuilt_schemas=rebuilt)
    context.log.info(
        f"Compacted the warehouse: {result.bytes_before:,} -> {result.bytes_after:,} bytes in {result.seconds:.1f} s "
        f"(dropped for dbt to rebuild: {', '.join(rebuilt) or 'nothing'})."
    )
    return dg.MaterializeResult(
        metadata={
            "compacted": True,
            "bytes_before": result.bytes_before,
            "bytes_after": result.bytes_after,
            "dropped_schemas": dg.MetadataValue.json(list(rebuilt)),
            "seconds": round(result.seconds, 2),
        }
    )
