"""The privacy guard: every table of the marts, checked against every rule of ``rules.yml``.

Tables are discovered at run time in a DuckDB schema (the warehouse's ``marts``, or the
published file), so a mart added tomorrow is covered without registration. The checks are
Great Expectations 1.x suites run on DataFrames read from DuckDB (GX's SQL datasource
fails on DuckDB), with result formats that copy no value: a finding names the table, the
column and the rule, and counts.

Rule families (docs/privacy-guard.md), a module each:
- ``column_names``: column names that look like identifiers (a suite on the catalogue);
- ``value_patterns`` (``values.py``): values that look like emails, phones, IBANs, IPs, numéros
  fiscaux, street addresses, hex digests (a suite per table);
- ``raw_identifiers``: values equal to an identifier present in raw (the normalised raw
  identifiers streamed through a join with the tables' distinct values; counts only);
- ``grain``: a disclosure spec declaring every figure and its base, no all-distinct text
  column, fewer rows than persons, no time of day;
- ``secrecy``: no published figure on 1 to k - 1 persons (11 with income categories), no value
  in a secret cell, no ratio of a secret figure, and the audit: the attacker's linear programs
  over every relation of the published marts leave every secret cell a wide enough interval.
The rules are read by ``rules.py``, the findings reported by ``report.py``, and GX's context
is ``gx_validator.py``'s. This module runs them all and is what callers import.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import duckdb

from expectations.column_names import column_name_findings
from expectations.grain import grain_findings, published_specs
from expectations.gx_validator import prepare_in_background, shared_validator
from expectations.raw_identifiers import RawIdentifiers, raw_identifier_findings
from expectations.report import Finding, GuardReport
from expectations.rules import RULES_FILE, Rules, load_rules
from expectations.secrecy import secrecy_findings
from expectations.values import value_findings

__all__ = [
    "RULES_FILE",
    "Finding",
    "GuardReport",
    "RawIdentifiers",
    "Rules",
    "discover_tables",
    "load_rules",
    "prepare_in_background",
    "run_guard",
]

# The table of the marts' disclosure specs, published with them (disclosure/spec.py).
RULES_TABLE = "disclosure_rules"
# Tables of the published file that describe the publication rather than count anything.
PERIODS_TABLE = "publication_periods"
METADATA_TABLES = frozenset(
    {
        "publication",
        "publication_history",
        "publication_revisions",
        "guard_results",
        "retention_status",
        RULES_TABLE,
        PERIODS_TABLE,
    }
)
log = logging.getLogger(__name__)


def discover_tables(conn: duckdb.DuckDBPyConnection, catalog: str, schema: str) -> list[str]:
    rows = conn.execute(
        "select table_name from information_schema.tables where table_catalog = ? and table_schema = ? order by 1",
        [catalog, schema],
    ).fetchall()
    return [r[0] for r in rows]


def run_guard(
    conn: duckdb.DuckDBPyConnection,
    *,
    catalog: str,
    schema: str,
    k: int,
    persons_total: int | None = None,
    identifiers: Iterable[tuple[str, str, str]],
    target: str = "warehouse",
    rules: Rules | None = None,
) -> GuardReport:
    """Check every table of ``catalog.schema``; the connection must also see ``raw``, whose
    ``identifiers`` (``RawIdentifiers``) no published value may equal."""
    rules = rules or load_rules()
    tables = discover_tables(conn, catalog, schema)
    report = GuardReport(target=target, tables=tables)
    if not tables:
        return report
    validator = shared_validator()
    frames = {t: conn.execute(f'select * from "{catalog}"."{schema}"."{t}"').df() for t in tables}
    relations = {t: f'"{catalog}"."{schema}"."{t}"' for t in tables}
    report.findings += column_name_findings(validator, frames, rules)
    # Each rule family is one validation over every table (GX's cost is per expectation and
    # per validation, not per value); the findings stay per table, column and rule.
    values = value_findings(validator, frames, rules)
    raw = raw_identifier_findings(validator, frames, relations, RawIdentifiers(conn, rules, identifiers), rules)
    counted = {t: df for t, df in frames.items() if t not in METADATA_TABLES}
    specs, broken = published_specs(frames.get(RULES_TABLE), counted)
    for why in broken.values():
        log.error("disclosure spec refused: %s", why)
    grain = grain_findings(validator, counted, rules, persons_total, specs, broken)
    secrecy = secrecy_findings(validator, conn, counted, rules, k, specs, frames.get(PERIODS_TABLE))
    for table in frames:
        report.findings += values[table] + raw[table]
        if table in counted:
            report.findings += grain[table] + secrecy[table]
    return report
