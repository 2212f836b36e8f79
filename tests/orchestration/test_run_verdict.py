"""Success means published: a run Dagster calls a success is judged by what it materialised."""

import dagster as dg

from orchestration.defs.nightly.schedules import nightly_success_means_published
from orchestration.lib.run_report import explain_unpublished, unpublished_reasons

PUBLISHED = dg.AssetKey(["published", "marts"])


@dg.multi_asset(
    specs=[dg.AssetSpec("mart_kept", skippable=True), dg.AssetSpec("mart_gone", skippable=True)], can_subset=True
)
def models(context: dg.AssetExecutionContext):
    # What dbt does for a model its project no longer has: no output for it.
    yield dg.MaterializeResult(asset_key="mart_kept")


@dg.asset(key=PUBLISHED, deps=["mart_kept", "mart_gone"])
def published():
    return None


def run_with_a_missing_model(instance):
    job = dg.Definitions(assets=[models, published], jobs=[dg.define_asset_job("nightly")]).resolve_job_def("nightly")
    return job.execute_in_process(instance=instance, raise_on_error=False)


def test_a_skipped_publication_is_not_a_success():
    with dg.DagsterInstance.ephemeral() as instance:
        result = run_with_a_missing_model(instance)
        # What Dagster itself says: the old `mgreen run` printed "Published" here.
        assert result.success
        reasons = unpublished_reasons(instance, result.run_id, PUBLISHED)
    assert "step published__marts was skipped" in reasons
    assert "asset mart_gone was planned but not materialised" in reasons
    assert any("nothing new was published" in r for r in reasons)
    assert "previous publication stays" in explain_unpublished(reasons)


def test_a_run_that_published_has_no_reason():
    with dg.DagsterInstance.ephemeral() as instance:
        job = dg.Definitions(
            assets=[dg.asset(name="mart_kept")(lambda: 1), dg.asset(key=PUBLISHED, deps=["mart_kept"])(lambda: None)],
            jobs=[dg.define_asset_job("nightly")],
        ).resolve_job_def("nightly")
        result = job.execute_in_process(instance=instance)
        assert unpublished_reasons(instance, result.run_id, PUBLISHED) == []


def test_the_sensor_turns_a_success_without_publication_into_a_failure():
    """For the runs the daemon launches: the run's status, what the UI and alerts read."""
    from orchestration.definitions import defs

    assert defs().resolve_sensor_def(nightly_success_means_published.name).default_status.value == "RUNNING"
    with dg.DagsterInstance.ephemeral() as instance:
        result = run_with_a_missing_model(instance)
        run = instance.get_run_by_id(result.run_id)
        assert run.status == dg.DagsterRunStatus.SUCCESS
        context = dg.build_run_status_sensor_context(
            sensor_name=nightly_success_means_published.name,
            dagster_instance=instance,
            dagster_run=run,
            dagster_event=next(
                e.dagster_event for e in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_SUCCESS)
            ),
        )
        nightly_success_means_published(context)
        after = instance.get_run_by_id(result.run_id)
        assert after.status == dg.DagsterRunStatus.FAILURE
        failure = next(iter(instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)))
        assert "step published__marts was skipped" in failure.dagster_event.message
