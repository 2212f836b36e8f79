"""The CRM contract: tables, columns, types, keys and PII classes, read from dbt's sources.

``dbt_project/models/staging/crm/_crm__sources.yml`` is the one declaration of what the
warehouse expects from the CRM. The loader uses it to type raw tables and detect schema
drift, dbt to document and test the sources, the privacy guard to know which raw columns
hold direct identifiers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from orchestration.project import DBT_PROJECT_DIR

# The contract is the repository's, even when dbt runs from a sandbox copy of the project.
CRM_SOURCES_FILE = DBT_PROJECT_DIR / "models" / "staging" / "crm" / "_crm__sources.yml"


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    pii: tuple[str, ...] = ()
    identifier: str | None = None


@dataclass(frozen=True)
class SourceTable:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    cursor: str = "updated_at"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@cache
def crm_tables(path: Path = CRM_SOURCES_FILE) -> dict[str, SourceTable]:
    """Every CRM table the warehouse loads, in the contract's order."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    source = next(s for s in doc["sources"] if s["name"] == "crm")
    tables = {}
    for t in source["tables"]:
        cols = tuple(
            Column(
                name=c["name"],
                data_type=c["data_type"],
                pii=tuple((c.get("meta") or {}).get("pii", ())),
                identifier=(c.get("meta") or {}).get("identifier"),
            )
            for c in t["columns"]
        )
        tables[t["name"]] = SourceTable(t["name"], cols, tuple(t["meta"]["primary_key"]))
    return tables


# Identifiers of the session logs, which the CRM contract does not declare.
WEB_IDENTIFIERS = (("web_sessions", "ip", "ip"),)


def raw_identifiers() -> list[tuple[str, str, str]]:
    """(table, column, kind) of every raw column that holds an identifier: the contract's, and
    the session logs' IP address. The privacy guard refuses any published value equal to one."""
    declared = [
        (table.name, col.name, col.identifier)
        for table in crm_tables().values()
        for col in table.columns
        if col.identifier
    ]
    return declared + list(WEB_IDENTIFIERS)
