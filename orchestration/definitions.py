"""The one entry point of the Dagster code location: everything under ``defs/``."""

from __future__ import annotations

import dagster as dg

from orchestration.lib.dbt_manifest import ensure_manifest
from orchestration.project import REPO_ROOT, dbt_project_dir


@dg.definitions
def defs() -> dg.Definitions:
    # dagster-dbt builds the dbt assets from the manifest: parse the project first if its files
    # changed since (a model added, deleted, renamed; YAML only). Every process that loads the
    # definitions does so: `mgreen run`, a run worker, and the daemon's code server, which the
    # daemon reloads every minute.
    ensure_manifest(dbt_project_dir())
    return dg.load_from_defs_folder(path_within_project=REPO_ROOT)
