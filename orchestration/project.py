"""Where things are: the repository root and the dbt project. Nobody else counts ``..``."""

from __future__ import annotations

import os
from functools import cache
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
