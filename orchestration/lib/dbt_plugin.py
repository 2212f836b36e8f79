"""dbt-duckdb plugin: registers the keyed pseudonymisation function on dbt's connections, and
hands them the nightly run's instant.

Declared in ``dbt_project/profiles.yml``. The key is read here, from the environment, so it
never passes through dbt's ``env_var()`` (whose values dbt records in ``target/``) and never
appears in compiled SQL: models call ``mgreen_pseudonym(domain, value)`` by name. The run's
instant (``MGREEN_RUN_AS_OF``, set by the nightly's dbt step) becomes the DuckDB variable
``mgreen_run_as_of`` that the ``run_as_of`` macro reads.
"""

from __future__ import annotations

import os
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from orchestration.lib.pseudonymisation import register_pseudonymiser
from orchestration.lib.run_instant import AS_OF_ENV, as_text, parse_instant

FUNCTION_NAME = "mgreen_pseudonym"
AS_OF_VARIABLE = "mgreen_run_as_of"


def set_run_instant(conn) -> None:
    """Set ``mgreen_run_as_of`` on a connection from the environment, when the run gave one."""
    text = os.environ.get(AS_OF_ENV, "").strip()
    if text:
        # Parsed and written back: only a well-formed instant reaches the SQL text.
        conn.execute(f"set variable {AS_OF_VARIABLE} = timestamp '{as_text(parse_instant(text))}'")


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        pass

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        # Raises with instructions (and without the key) when the key is missing.
        register_pseudonymiser(conn, name=FUNCTION_NAME)
        set_run_instant(conn)

    def configure_cursor(self, cursor) -> None:
        # dbt-duckdb runs each thread on a cursor: temporary macros and variables do not follow
        # the copy.
        register_pseudonymiser(cursor, name=FUNCTION_NAME)
        set_run_instant(cursor)
