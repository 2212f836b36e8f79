"""dbt-duckdb plugin: registers the keyed pseudonymisation function on dbt's connections.

Declared in ``dbt_project/profiles.yml``. The key is read here, from the environment, so it
never passes through dbt's ``env_var()`` (whose values dbt records in ``target/``) and never
appears in compiled SQL: models call ``mgreen_pseudonym(domain, value)`` by name.
"""

from __future__ import annotations

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from orchestration.lib.pseudonymisation import pseudonymiser

FUNCTION_NAME = "mgreen_pseudonym"


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self._udf = None

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        if self._udf is None:
            # Raises with instructions (and without the key) when the key is missing.
            self._udf = pseudonymiser()
        conn.create_function(
            FUNCTION_NAME,
            self._udf,
            ["VARCHAR", "VARCHAR"],
            "VARCHAR",
            type="arrow",
            null_handling="special",
            side_effects=False,
        )


__all__ = ["Plugin", "FUNCTION_NAME"]
