"""``raw_identifiers``: no published value equal to an identifier present in raw, after
normalisation (the normalised raw identifiers streamed through a join with the tables' distinct
values; counts only).

The normalisation here is the guard's own, looser than dbt's ``normalise_email`` and
``normalise_phone``: any spelling of a value that would identify someone, compared on its
letters and digits, or on a phone's last nine digits.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pandas as pd

from expectations.gx_validator import Validator, integer_columns, text_columns
from expectations.report import Finding
from expectations.rules import Rules, excepted

_GENERAL_NORM = "lower(regexp_replace({v}, '[^0-9A-Za-z@.]', '', 'g'))"
_PHONE_NORM = (
    "case when length(regexp_replace({v}, '[^0-9]', '', 'g')) between 9 and 13 "
    "and regexp_matches({v}, '^[0-9 +.()/-]+$') "
    "then right(regexp_replace({v}, '[^0-9]', '', 'g'), 9) end"
)


class RawIdentifiers:
    """Which values equal an identifier present in raw, after normalisation (counts only).

    One query per pass: the distinct values of every checked column (the candidates, a few
    thousand) are normalised both ways (general, phone), and the normalised raw identifiers are
    streamed through a join with them. DuckDB builds its hash table on the candidates, so the raw
    identifiers are neither copied, nor hashed, nor kept; the query returns counts.
    """

    def __init__(self, conn: duckdb.DuckDBPyConnection, rules: Rules, identifiers: Iterable[tuple[str, str, str]]):
        """``identifiers``: (table, column, kind) of the raw columns that hold identifiers, kind
        'phone' or another (the CRM contract says which: ``orchestration.lib.contract``); first
        and last names are checked in pairs (``rules.full_names_from``)."""
        self.conn = conn
        raw_columns = {
            tuple(r)
            for r in conn.execute(
                "select table_name, column_name from information_schema.columns where table_schema = 'raw'"
            ).fetchall()
        }
        self.columns = [
            (table, column, kind)
            for table, column, kind in identifiers
            if kind not in ("first_name", "last_name") and (table, column) in raw_columns
        ]
        self.names = [
            (table, first, last)
            for table, first, last in rules.full_names_from
            if {(table, first), (table, last)} <= raw_columns
        ]

    def _raw_normalised(self) -> str:
        """Every raw identifier, normalised and tagged like the candidates (one query)."""
        selects = []
        for table, column, kind in self.columns:
            norm = _PHONE_NORM.format(v=column) if kind == "phone" else _GENERAL_NORM.format(v=column)
            tag = "p:" if kind == "phone" else "g:"
            selects.append(f"select '{tag}' || {norm} as v from raw.{table} where {column} is not null")
        for table, first, last in self.names:
            for a, b in ((first, last), (last, first)):
                expr = _GENERAL_NORM.format(v=f"{a} || {b}")
                selects.append(f"select 'g:' || {expr} from raw.{table} where {a} is not null and {b} is not null")
        return " union all ".join(selects) if selects else "select null::varchar as v where false"

    def matches(self, columns: dict[str, tuple[str, list[str]]]) -> dict[str, dict[str, int]]:
        """Per table and column, how many distinct values equal a raw identifier.

        ``columns``: table -> (relation, its columns to check). Normalised values of four
        characters or fewer are not compared (a tag and one or two characters match by chance).
        """
        counts: dict[tuple[str, str], int] = {}
        values = " union all ".join(
            f"select '{table}' as table_name, '{c}' as column_name, cast(\"{c}\" as varchar) as value "
            f'from {relation} where "{c}" is not null'
            for table, (relation, cols) in columns.items()
            for c in cols
        )
        if values:
            general = "'g:' || " + _GENERAL_NORM.format(v="value")
            phone = "'p:' || " + _PHONE_NORM.format(v="value")
            rows = self.conn.execute(
                f"""
                with candidates as (select distinct table_name, column_name, value from ({values})),
                probes as (
                    select * from (
                        select table_name, column_name, value, {general} as v from candidates
                        union all
                        select table_name, column_name, value, {phone} as v from candidates
                    ) where v is not null and length(v) > 4
                ),
                equal as (
                    select distinct v from ({self._raw_normalised()}) where v in (select v from probes)
                )
                select table_name, column_name, count(distinct value) from probes
                where v in (select v from equal) group by all
                """
            ).fetchall()
            counts = {(t, c): int(n) for t, c, n in rows}
        return {table: {c: counts.get((table, c), 0) for c in cols} for table, (_, cols) in columns.items()}


def raw_identifier_findings(
    validator: Validator,
    frames: dict[str, pd.DataFrame],
    relations: dict[str, str],
    identifiers: RawIdentifiers,
    rules: Rules,
) -> dict[str, list[Finding]]:
    gx = validator.gx
    checked = {
        table: [
            c for c in text_columns(df) + integer_columns(df) if not excepted(rules, table, c, "raw_identifier_values")
        ]
        for table, df in frames.items()
    }
    counts = identifiers.matches({table: (relations[table], columns) for table, columns in checked.items()})
    facts = pd.DataFrame(
        [(table, c, counts[table][c]) for table, columns in checked.items() for c in columns],
        columns=["table_name", "column_name", "matches"],
    )
    failing = set()
    if len(facts):
        result = validator.validate(
            facts,
            [gx.expectations.ExpectColumnValuesToBeBetween(column="matches", max_value=0)],
            {"result_format": "COMPLETE", "unexpected_index_column_names": ["table_name", "column_name"]},
        )[0]
        failing = {(row["table_name"], row["column_name"]) for row in result.result.get("unexpected_index_list") or []}
    return {
        table: [
            Finding(table, "raw_identifier_values", c, passed=(table, c) not in failing, failing=counts[table][c])
            for c in columns
        ]
        for table, columns in checked.items()
    }
