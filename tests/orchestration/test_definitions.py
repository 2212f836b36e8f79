"""Definition tier: everything loads, every mart is guarded, the schedule is what we say."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
from dagster import build_schedule_context

from orchestration.definitions import defs
from orchestration.defs.guard.checks import CHECK_NAME, mart_keys
from orchestration.defs.nightly.schedules import nightly_schedule
from orchestration.lib.run_instant import AS_OF_TAG, parse_instant
from orchestration.project import DBT_PROJECT_DIR


def test_definitions_load():
    dg.Definitions.validate_loadable(defs())


def test_every_mart_of_the_dbt_project_has_a_blocking_privacy_check():
    definitions = defs()
    graph = definitions.resolve_asset_graph()
    marts = mart_keys()
    # Every model the project keeps under models/marts, found from its files, not from the manifest.
    assert {key.path[-1] for key in marts} == {p.stem for p in Path(DBT_PROJECT_DIR, "models", "marts").rglob("*.sql")}
    for key in marts:
        check = dg.AssetCheckKey(key, CHECK_NAME)
        assert check in graph.asset_check_keys, key
        assert graph.get_check_spec(check).blocking, key


def test_publication_waits_for_every_mart():
    graph = defs().resolve_asset_graph()
    parents = graph.get(dg.AssetKey(["published", "marts"])).parent_keys
    assert set(mart_keys()) <= parents


def test_compaction_runs_after_the_raw_layer_and_before_dbt():
    graph = defs().resolve_asset_graph()
    compaction = dg.AssetKey(["ops", "warehouse_compaction"])
    assert {dg.AssetKey(["raw", "contacts"]), dg.AssetKey(["raw", "web_sessions"])} <= graph.get(compaction).parent_keys
    for model in ("stg_crm__contacts", "stg_web__sessions", "stg_crm__privacy_requests"):
        assert compaction in graph.get(dg.AssetKey(["staging", model])).parent_keys, model


def test_raw_tables_feed_dbt_sources():
    graph = defs().resolve_asset_graph()
    staging = graph.get(dg.AssetKey(["staging", "stg_crm__contacts"]))
    assert dg.AssetKey(["raw", "contacts"]) in staging.parent_keys


def test_the_records_of_forgetting_are_the_raw_steps_outputs_and_the_marts_inputs():
    # The periods retention cut into decide which months a mart publishes: the step that writes
    # them produces the asset, and every aggregate that filters on them reads it (dbt's source).
    graph = defs().resolve_asset_graph()
    cuts, events = dg.AssetKey(["ops", "retention_cuts"]), dg.AssetKey(["ops", "gdpr_events"])
    raw_step = graph.get(dg.AssetKey(["raw", "contacts"]))
    for key in (cuts, events):
        assert graph.get(key).is_materializable
        assert graph.get(key).assets_def is raw_step.assets_def
    readers = {key.path[-1] for key in graph.get(cuts).child_keys}
    filtered = {
        path.stem
        for path in Path(DBT_PROJECT_DIR, "models").rglob("agg_*.sql")
        if "is_retained(" in path.read_text(encoding="utf-8")
    }
    assert filtered and filtered <= readers
    assert "mart_compliance_monthly" in {
        key.path[-1] for child in graph.get(events).child_keys for key in [child, *graph.get(child).child_keys]
    }


def test_schedule_runs_the_nightly_job_at_two_in_paris():
    assert nightly_schedule.cron_schedule == "0 2 * * *"
    assert nightly_schedule.execution_timezone == "Europe/Paris"
    assert nightly_schedule.job_name == "nightly"
    at = datetime(2026, 12, 31, 2, 0, tzinfo=ZoneInfo("Europe/Paris"))
    context = build_schedule_context(scheduled_execution_time=at)
    requests = list(nightly_schedule.evaluate_tick(context).run_requests or [])
    assert len(requests) == 1
    # The night is computed as of its scheduled instant, however long it waits in the queue.
    assert parse_instant(requests[0].tags[AS_OF_TAG]) == datetime(2026, 12, 31, 1, 0)


def test_nightly_job_uses_the_in_process_executor_and_selects_everything():
    job = defs().resolve_job_def("nightly")
    assert job.executor_def.name == "in_process"
    selected = job.asset_layer.selected_asset_keys
    assert dg.AssetKey(["published", "marts"]) in selected
    assert dg.AssetKey(["raw", "contacts"]) in selected


def test_dbt_resource_skips_dagster_dbts_start_up_probes(monkeypatch):
    import importlib.metadata

    import dagster_dbt.core.resource as dbt_resource
    from dagster_dbt import DbtCliResource

    # The hooks we override must still exist upstream, or the overrides would silently not apply.
    assert hasattr(DbtCliResource, "_cli_version") and hasattr(DbtCliResource, "_initialize_dbt_core_adapter")

    def no_subprocess(*args, **kwargs):
        raise AssertionError("dbt --version was called")

    monkeypatch.setattr(dbt_resource, "check_output", no_subprocess)
    dbt = defs().resources["dbt"]
    assert str(dbt._cli_version) == importlib.metadata.version("dbt-core")
    assert dbt._initialize_dbt_core_adapter(["build"]) is None
