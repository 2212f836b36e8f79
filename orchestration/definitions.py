"""The one entry point of the Dagster code location: everything under ``defs/``."""

from __future__ import annotations

import dagster as dg

from orchestration.project import REPO_ROOT


@dg.definitions
def defs() -> dg.Definitions:
    return dg.load_from_defs_folder(path_within_project=REPO_ROOT)
