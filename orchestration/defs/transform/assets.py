"""Every dbt model as an asset, every dbt test as an asset check (``dbt build``)."""

import importlib.metadata
import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from expectations.guard import prepare_in_background
from orchestration.defs.ingestion.assets import COMPACTION_KEY
from orchestration.defs.resources import WarehouseResource, run_instant
from orchestration.lib.dbt_manifest import manifest_fingerprint, project_fingerprint
from orchestration.lib.run_instant import AS_OF_ENV, as_text
from orchestration.lib.warehouse import connect, drop_orphan_relations, writer_lock
from orchestration.project import dbt_manifest, dbt_project, dbt_rebuilt_schemas, dbt_relations

MARTS_GROUP = "marts"


class MgreenTranslator(DagsterDbtTranslator):
    """Sources are the raw assets (``raw/<table>``), and the warehouse's own records
    (``ops/<table>``, written by the raw layer's steps before compaction); models are keyed by
    layer and name."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            schema = "ops" if dbt_resource_props.get("source_name") == "ops" else "raw"
            return dg.AssetKey([schema, dbt_resource_props["name"]])
        layer = dbt_resource_props.get("config", {}).get("schema") or "main"
        return dg.AssetKey([layer, dbt_resource_props["name"]])

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project) -> dg.AssetSpec:
        """Models that read the raw layer also wait for the compaction, which may drop and
        rebuild the file they are written into."""
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        parents = props.get("depends_on", {}).get("nodes", [])
        if props["resource_type"] == "model" and any(p.startswith("source.") for p in parents):
            return spec.merge_attributes(deps=[COMPACTION_KEY])
        return spec

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props.get("config", {}).get("schema") or "reference"


class MgreenDbtCli(DbtCliResource):
    """dagster-dbt's resource without two start-up costs this job does not need (measured at
    tier L: about 4 s of a 29 s dbt step). dagster-dbt asks the executable for its version in
    a subprocess (``dbt --version``, 2.5 s): dbt-core is installed in this very environment, so
    its package metadata answers. And it builds an in-process dbt adapter (1.6 s) that only
    serves row-count and column-metadata fetching, which the job does not use. Both are
    private hooks of dagster-dbt (pinned in requirements.lock); tests/orchestration check that
    the overrides still apply and the end-to-end tests run the job through them."""

    @cached_property
    def _cli_version(self):
        from packaging import version

        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None


TRANSLATOR = MgreenTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
# How many missing names an error lists before it says "and N more".
_LISTED = 10


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for a child process started inside the block, then restore."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _listed(names: list[str]) -> str:
    shown = ", ".join(sorted(names)[:_LISTED])
    return shown + (f" and {len(names) - _LISTED} more" if len(names) > _LISTED else "")


def project_changed_message(project_dir: Path) -> str:
    return (
        f"The dbt project {project_dir} changed after this run's definitions were loaded (a model added, "
        "removed, renamed or edited since): the job's plan no longer matches what dbt would build, so "
        "nothing was built or published. The next run loads the project as it is now (a deployed daemon "
        "reloads it within a minute); start one again."
    )


def missing_results_message(models: list[str], tests: list[str]) -> str:
    lines = ["dbt finished without a result for part of what this run planned, so nothing was published:"]
    if models:
        lines.append(f"- models never built: {_listed(models)}")
    if tests:
        lines.append(f"- tests never run: {_listed(tests)}")
    lines.append(
        "dbt's own project no longer has them, or dbt skipped them. Check the dbt log of this step; when a "
        "model was removed or renamed on purpose, the next run plans without it."
    )
    return "\n".join(lines)


@dg.definitions
def defs() -> dg.Definitions:
    project = dbt_project()

    project_dir = Path(project.project_dir)
    # The project these definitions were built from (lib/dbt_manifest.py).
    loaded_fingerprint = manifest_fingerprint(project_dir)

    # The manifest as read now (orchestration/project.py reads it again when the file changes):
    # dagster-dbt would cache a path's manifest for the life of the process, so definitions
    # loaded again in one process after the project changed would mix two manifests.
    @dbt_assets(manifest=dbt_manifest(), project=project, dagster_dbt_translator=TRANSLATOR, name="dbt_models")
    def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
        settings = warehouse.settings()
        if project_fingerprint(project_dir) != loaded_fingerprint:
            raise dg.Failure(description=project_changed_message(project_dir))
        # dbt runs as a child process and reads its settings from the environment; the run's
        # instant reaches the models through the plugin (run_as_of macro), not dbt's --vars.
        os.environ.update(settings.as_environment())
        # Unit tests check the models' logic on fixtures: CI runs them (tests/dbt), not the nightly.
        args = ["build", "--exclude-resource-type", "unit_test"]
        # dbt's child process spends its first seconds importing and parsing on one core, while
        # this process waits: the guard's next step prepares Great Expectations meanwhile.
        prepare_in_background()
        keys = context.assets_def.keys_by_output_name
        planned_assets = set(context.selected_asset_keys)
        planned_checks = set(context.selected_asset_check_keys)
        with writer_lock(settings.warehouse_path):
            conn = connect(settings.warehouse_path)
            try:
                dropped = drop_orphan_relations(conn, dbt_rebuilt_schemas(), dbt_relations())
            finally:
                conn.close()
            if dropped:
                context.log.info(f"Dropped relations of models no longer in the dbt project: {', '.join(dropped)}.")
            with _environment({AS_OF_ENV: as_text(run_instant(context))}):
                invocation = dbt.cli(args, context=context, target_path=settings.dbt_target_path)
            for event in invocation.stream():
                if isinstance(event, dg.Output) and event.output_name in keys:
                    planned_assets.discard(keys[event.output_name])
                elif isinstance(event, dg.AssetCheckResult):
                    planned_checks.discard(dg.AssetCheckKey(event.asset_key, event.check_name))
                yield event
        # Dagster would skip every step after a model without a result, and call the run a
        # success: a run that did not build what it planned fails instead.
        if planned_assets or planned_checks:
            models = ["/".join(key.path) for key in planned_assets]
            raise dg.Failure(
                description=missing_results_message(models, [key.name for key in planned_checks]),
                metadata={"models_missing": len(models), "tests_missing": len(planned_checks)},
            )

    return dg.Definitions(
        assets=[dbt_models],
        resources={
            "dbt": MgreenDbtCli(
                project_dir=project,
                profiles_dir=str(project.project_dir),
                # The dbt of this environment, even when its bin/ is not on PATH (cron, systemd).
                dbt_executable=shutil.which("dbt") or str(Path(sys.executable).with_name("dbt")),
            )
        },
    )
