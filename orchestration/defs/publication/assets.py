"""Publication of the marts for the dashboards."""

import contextlib
import time

import dagster as dg
import duckdb

from expectations.guard import run_guard
from orchestration.defs.guard.checks import mart_keys
from orchestration.defs.resources import WarehouseResource, run_instant
from orchestration.lib import history
from orchestration.lib.contract import raw_identifiers
from orchestration.lib.guard_results import persons_total, record
from orchestration.lib.publication import (
    PublicationError,
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
        now = run_instant(context)
        candidate = candidate_path(settings.published_path, context.run.run_id)
        with writer_lock(settings.warehouse_path):
            conn = connect(settings.warehouse_path)
            try:
                try:
                    rows = write_candidate(
                        conn,
                        candidate,
                        run_id=context.run.run_id,
                        k=settings.min_cell_size,
                        published_at=now_utc(),
                        data_as_of=now,
                    )
                    persons = persons_total(conn)

                    def guard(catalog: str, schema: str):
                        changed = history.served_as_frozen(conn, catalog)
                        if changed:
                            raise PublicationError(
                                "The candidate does not serve the frozen periods as kept:\n" + "\n".join(changed)
                            )
                        report = run_guard(
                            conn,
                            catalog=catalog,
                            schema=schema,
                            k=settings.min_cell_size,
                            persons_total=persons,
                            identifiers=raw_identifiers(),
                            target="published file",
                        )
                        record(conn, context.run.run_id, now, report)
                        return report

                    # Verification is the last thing that touches the candidate (read-only);
                    # the rename is the next step.
                    report = verify_candidate(conn, candidate, rows, guard)
                    # The periods closed tonight are frozen as this file publishes them, and
                    # committed before the rename: a rename that then fails leaves them frozen as
                    # verified, and the next night publishes them so; a rename without its freeze
                    # would let the next night recompute a period already published as final.
                    conn.execute("begin transaction")
                    try:
                        freezing = history.freeze(conn, now, context.run.run_id, settings.min_cell_size)
                    except BaseException:
                        conn.execute("rollback")
                        raise
                    conn.execute("commit")
                    install(candidate, settings.published_path)
                except BaseException:
                    # Whatever failed (verification, a full disk, the rename), the previous
                    # publication and its kept files stay as they were.
                    candidate.unlink(missing_ok=True)
                    with contextlib.suppress(duckdb.Error):
                        conn.execute("delete from ops.publications where run_id = ?", [context.run.run_id])
                    raise
            finally:
                conn.close()
        context.log.info(report.summary())
        context.log.info(freezing.summary())
        return dg.MaterializeResult(
            metadata={
                "path": str(settings.published_path),
                "data_as_of": now.isoformat(sep=" "),
                "tables": len(rows),
                "rows": sum(rows.values()),
                "rows_per_mart": dg.MetadataValue.json(rows),
                "periods_frozen": dg.MetadataValue.json(
                    {m: [p.isoformat() for p in v] for m, v in freezing.frozen.items()}
                ),
                "periods_revised": dg.MetadataValue.json(
                    {m: [p.isoformat() for p in v] for m, v in freezing.revised.items()}
                ),
                "closed_periods_lost": dg.MetadataValue.json(
                    {m: [p.isoformat() for p in v] for m, v in freezing.lost.items()}
                ),
                "seconds": round(time.perf_counter() - started, 2),
            }
        )

    return dg.Definitions(assets=[published_marts])
