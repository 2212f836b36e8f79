"""The privacy guard as blocking asset checks on every mart (no registration: the marts are
found in dbt's manifest, and the guard itself discovers the tables of the marts schema)."""

import dagster as dg

from expectations.guard import GuardReport, run_guard
from orchestration.defs.resources import WarehouseResource, run_instant
from orchestration.lib.contract import raw_identifiers
from orchestration.lib.guard_results import persons_total, record
from orchestration.lib.warehouse import connect, writer_lock
from orchestration.project import dbt_manifest

CHECK_NAME = "privacy_guard"


def mart_keys() -> list[dg.AssetKey]:
    manifest = dbt_manifest()
    return [
        dg.AssetKey(["marts", node["name"]])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]
    ]


def check_results(report: GuardReport, keys: list[dg.AssetKey]) -> list[dg.AssetCheckResult]:
    """One result per mart asset: passed when none of its findings failed."""
    results = []
    for key in keys:
        table = key.path[-1]
        findings = report.for_table(table)
        failures = [f for f in findings if not f.passed and not f.excepted]
        results.append(
            dg.AssetCheckResult(
                asset_key=key,
                check_name=CHECK_NAME,
                passed=bool(findings) and not failures,
                severity=dg.AssetCheckSeverity.ERROR,
                description=(
                    "All privacy rules passed."
                    if findings and not failures
                    else (
                        "The guard did not find this table in the marts schema."
                        if not findings
                        else "\n".join(f.message for f in failures)
                    )
                ),
                metadata={
                    "rules_checked": len(findings),
                    "failed": len(failures),
                    "failures": dg.MetadataValue.json([f.message for f in failures]),
                },
            )
        )
    return results


@dg.definitions
def defs() -> dg.Definitions:
    keys = mart_keys()

    @dg.multi_asset_check(
        specs=[dg.AssetCheckSpec(CHECK_NAME, asset=key, blocking=True) for key in keys],
        name="privacy_guard",
        description="Column names, identifier-like values, raw identifiers, grain and statistical secrecy.",
    )
    def privacy_guard(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        settings = warehouse.settings()
        now = run_instant(context)
        with writer_lock(settings.warehouse_path):
            conn = connect(settings.warehouse_path)
            try:
                report = run_guard(
                    conn,
                    catalog=conn.execute("select current_database()").fetchone()[0],
                    schema="marts",
                    k=settings.min_cell_size,
                    persons_total=persons_total(conn),
                    identifiers=raw_identifiers(),
                    target="warehouse",
                )
                record(conn, context.run.run_id, now, report)
            finally:
                conn.close()
        unregistered = sorted(set(report.tables) - {k.path[-1] for k in keys})
        if unregistered:
            context.log.warning(
                f"Tables in the marts schema that dbt does not manage (checked at publication): {unregistered}"
            )
        context.log.info(report.summary())
        yield from check_results(report, keys)

    return dg.Definitions(asset_checks=[privacy_guard])
