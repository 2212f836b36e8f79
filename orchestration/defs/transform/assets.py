"""Every dbt model as an asset, every dbt test as an asset check (``dbt build``)."""

import importlib.metadata
import os
import shutil
import sys
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from expectations.guard import prepare_in_background
from orchestration.defs.ingestion.assets import COMPACTION_KEY
from orchestration.defs.resources import WarehouseResource
from orchestration.lib.warehouse import writer_lock
from orchestration.project import dbt_project

MARTS_GROUP = "marts"


class MgreenTranslator(DagsterDbtTranslator):
    """Sources are the raw assets (``raw/<table>``); models are keyed by layer and name."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(["raw", dbt_resource_props["name"]])
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


@dg.definitions
def defs() -> dg.Definitions:
    project = dbt_project()

    @dbt_assets(manifest=project.manifest_path, project=project, dagster_dbt_translator=TRANSLATOR, name="dbt_models")
    def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
        settings = warehouse.settings()
        # dbt runs as a child process and reads its settings from the environment.
        os.environ.update(settings.as_environment())
        # Unit tests check the models' logic on fixtures: CI runs them (tests/dbt), not the nightly.
        args = ["build", "--exclude-resource-type", "unit_test"]
        # dbt's child process spends its first seconds importing and parsing on one core, while
        # this process waits: the guard's next step prepares Great Expectations meanwhile.
        prepare_in_background()
        with writer_lock(settings.warehouse_path):
            yield from dbt.cli(args, context=context, target_path=settings.dbt_target_path).stream()

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
