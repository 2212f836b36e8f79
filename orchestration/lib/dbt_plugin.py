"""dbt-duckdb plugin: registers the keyed pseudonymisation function on dbt's connections.

Declared in ``dbt_project/profiles.yml``. The key is read here, from the environment, so it
never passes through dbt's ``env_var()`` (whose values dbt records in ``target/``) and never
appears in compiled SQL: models call ``mgreen_pseudonym(domain, value)`` by name.
"""

from __future__ import annotations

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from orchestration.lib.pseudonymisation import register_pseudonymiser

FUNCTION_NAME = "mgreen_pseudonym"


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        pass

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        # Raises with instructions (and without the key) when the key is missing.
        register_pseudonymiser(conn, name=FUNCTION_NAME)

    def configure_cursor(self, cursor) -> None:
        # dbt-duckdb runs each thread on a cursor: temporary macros do not follow the copy.
        register_pseudonymiser(cursor, name=FUNCTION_NAME)
