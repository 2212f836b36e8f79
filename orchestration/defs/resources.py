"""The resource every step shares: the run's settings (README.md, "Configuration")."""

import os
from datetime import datetime

import dagster as dg

from orchestration.lib.run_instant import RunInstantError
from orchestration.lib.run_instant import run_instant as instant_of
from orchestration.lib.settings import Settings


class WarehouseResource(dg.ConfigurableResource):
    """Where the CRM, the logs, the warehouse and the published file are, and k.

    Fields left unset are read from the ``MGREEN_*`` environment variables when the step
    runs (never at import), with the documented defaults (README.md, "Configuration"):
    ``dg.EnvVar`` cannot carry a default, and the contract gives every variable one. The
    pseudonymisation key is never a field: Dagster would store it with the run's configuration.
    """

    source_url: str | None = None
    web_sessions_dir: str | None = None
    warehouse_path: str | None = None
    published_path: str | None = None
    min_cell_size: int | None = None

    def settings(self) -> Settings:
        overrides = {
            "MGREEN_SOURCE_URL": self.source_url,
            "MGREEN_WEB_SESSIONS_DIR": self.web_sessions_dir,
            "MGREEN_WAREHOUSE_PATH": self.warehouse_path,
            "MGREEN_PUBLISHED_PATH": self.published_path,
            "MGREEN_MIN_CELL_SIZE": None if self.min_cell_size is None else str(self.min_cell_size),
        }
        env = dict(os.environ)
        env.update({k: v for k, v in overrides.items() if v is not None})
        return Settings.from_env(env)


def run_instant(context: dg.OpExecutionContext | dg.AssetCheckExecutionContext) -> datetime:
    """This run's one instant (naive UTC), the same in every step (``lib/run_instant.py``)."""
    run = context.run
    record = context.instance.get_run_record_by_id(run.run_id)
    try:
        return instant_of(run.tags, record.create_timestamp)
    except RunInstantError as exc:
        raise dg.Failure(description=str(exc)) from None


defs = dg.Definitions(resources={"warehouse": WarehouseResource()})
