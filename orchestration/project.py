"""Where things are: the repository root and the dbt project. Nobody else counts ``..``."""

from __future__ import annotations

import json
import os
from functools import cache, lru_cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
DASHBOARDS_DIR = REPO_ROOT / "dashboards"


def dbt_project_dir() -> Path:
    """The dbt project; an analyst's sandbox (or a test) may point at a copy of it with
    ``MGREEN_DBT_PROJECT_DIR``. Read when called, never at import."""
    return Path(os.environ.get("MGREEN_DBT_PROJECT_DIR") or DBT_PROJECT_DIR)


def dbt_project():
    """The dagster-dbt view of the dbt project (manifest prepared by ``dbt parse``)."""
    return _dbt_project(dbt_project_dir())


@cache
def _dbt_project(project_dir: Path):
    from dagster_dbt import DbtProject

    return DbtProject(project_dir=project_dir, profiles_dir=project_dir)


def dbt_manifest() -> dict:
    """dbt's manifest of the project (prepared by ``dbt parse``): read once per version of the
    file (the guard's and the publication's definitions, and the compaction, all ask for it).
    Callers must not modify it."""
    path = dbt_project().manifest_path
    return _read_manifest(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=1)
def _read_manifest(path: Path, mtime_ns: int) -> dict:
    return json.loads(path.read_text())


# Materialisations dbt recreates from their inputs on every run.
_REBUILT_MATERIALIZATIONS = frozenset({"table", "view", "ephemeral"})


def dbt_rebuilt_schemas() -> tuple[str, ...]:
    """Schemas holding only dbt models that every run rebuilds (tables and views): what the
    compaction may drop instead of copying. A schema with anything else of dbt's (a seed, an
    incremental model, a snapshot) is kept."""
    manifest = dbt_manifest()
    rebuilt: set[str] = set()
    kept: set[str] = set()
    for node in [*manifest["nodes"].values(), *manifest.get("snapshots", {}).values()]:
        if node["resource_type"] not in ("model", "seed", "snapshot"):
            continue
        materialized = node.get("config", {}).get("materialized")
        if node["resource_type"] == "model" and materialized in _REBUILT_MATERIALIZATIONS:
            rebuilt.add(node["schema"])
        else:
            kept.add(node["schema"])
    return tuple(sorted(rebuilt - kept))


def dbt_relations() -> set[tuple[str, str]]:
    """(schema, name) of every relation the project's models, seeds and snapshots write."""
    manifest = dbt_manifest()
    return {
        (node["schema"], node.get("alias") or node["name"])
        for node in [*manifest["nodes"].values(), *manifest.get("snapshots", {}).values()]
        if node["resource_type"] in ("model", "seed", "snapshot")
    }
