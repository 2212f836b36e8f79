"""Publication of the marts for the dashboards."""

import time

import dagster as dg

from expectations.guard import run_guard
from orchestration.defs.guard.checks import mart_keys
from orchestration.defs.resources import WarehouseResource
from orchestration.lib.guard_results import persons_total, record
from orchestration.lib.publication import (
    PublicationError,
    add_own_check_results,
    candidate_path,
    install,
    now_utc,
    verify_candidate,
    write_candidate,
)
from orchestration.lib.warehouse import connect, writer_lock

PUBLISHED_KEY = dg.AssetKey(["published", "marts"])


@dg.definitions
def defs() -> dg.Definitions:
    marts = mart_keys()

    @dg.asset(
        key=PUBLISHED_KEY,
        deps=marts,
        group_name="publication",
        kinds={"duckdb"},
        description="The marts file the dashboards read: written beside, verified, then renamed into place.",
    )
    def published_marts(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        settings = warehouse.settings()
        started = time.perf_counter()
        published_at = now_utc()
        candidate = candidate_path(settings.published_path, context.run_id)
        with writer_lock(settings.warehouse_path):
            conn = connect(settings.warehouse_path)
            try:
                rows = write_candidate(
                    conn, candidate, run_id=context.run_id, k=settings.min_cell_size, published_at=published_at
                )
                persons = persons_total(conn)

                def guard(catalog: str, schema: str):
                    report = run_guard(
                        conn,
                        catalog=catalog,
                        schema=schema,
                        k=settings.min_cell_size,
                        persons_total=persons,
                        target="published file",
                    )
                    record(conn, context.run_id, report)
                    return report

                try:
                    report = verify_candidate(conn, candidate, rows, guard)
                    add_own_check_results(conn, candidate, context.run_id)
                except PublicationError:
                    candidate.unlink(missing_ok=True)
                    conn.execute("delete from ops.publications where run_id = ?", [context.run_id])
                    raise
            finally:
                conn.close()
            install(candidate, settings.published_path, published_at=published_at, run_id=context.run_id)
        context.log.info(report.summary())
        return dg.MaterializeResult(
            metadata={
                "path": str(settings.published_path),
                "tables": len(rows),
                "rows": sum(rows.values()),
                "rows_per_mart": dg.MetadataValue.json(rows),
                "seconds": round(time.perf_counter() - started, 2),
            }
        )

    return dg.Definitions(assets=[published_marts])
