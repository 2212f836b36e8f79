"""The privacy guard: every table of the marts, checked against every rule of ``rules.yml``.

Tables are discovered at run time in a DuckDB schema (the warehouse's ``marts``, or the
published file), so a mart added tomorrow is covered without registration. The checks are
Great Expectations 1.x suites run on DataFrames read from DuckDB (GX's SQL datasource
fails on DuckDB), with result formats that copy no value: a finding names the table, the
column and the rule, and counts.

Rule families (docs/privacy-guard.md):
- ``column_names``: column names that look like identifiers (a suite on the catalogue);
- ``value_patterns``: values that look like emails, phones, IBANs, IPs, numéros fiscaux,
  street addresses, hex digests (a suite per table);
- ``raw_identifiers``: values equal to an identifier present in raw (the normalised raw
  identifiers streamed through a join with the tables' distinct values; counts only);
- ``grain``: a disclosure spec declaring every figure and its base, no all-distinct text
  column, fewer rows than persons, no time of day;
- ``secrecy``: no published figure on 1 to k - 1 persons (11 with income categories), no value
  in a secret cell, no ratio of a secret figure, and the audit: the attacker's linear programs
  over every relation of the published marts leave every secret cell a wide enough interval.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from disclosure.spec import SECRET_SUFFIX, TOTAL, SpecError, parse

RULES_FILE = Path(__file__).with_name("rules.yml")
# The table of the marts' disclosure specs, published with them (disclosure/spec.py).
RULES_TABLE = "disclosure_rules"
# Where the marts' cells before disclosure control live in the warehouse (restricted).
AGGREGATES_SCHEMA = "aggregates"
# Tables of the published file that describe the publication rather than count anything.
PERIODS_TABLE = "publication_periods"
PROVISIONAL = "provisoire"
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
# GX must neither phone home nor draw progress bars in the nightly logs.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
_NO_VALUES = {"result_format": "BASIC", "partial_unexpected_count": 0, "include_unexpected_rows": False}
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Finding:
    """The outcome of one rule on one table (and column, where the rule is per column)."""

    table: str
    rule: str
    column: str | None
    passed: bool
    failing: int = 0
    excepted: str | None = None

    @property
    def message(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        if self.excepted:
            return f"{where}: rule '{self.rule}' not applied ({self.excepted})"
        status = "passed" if self.passed else f"FAILED ({self.failing} offending)"
        return f"{where}: rule '{self.rule}' {status}"


@dataclass
class GuardReport:
    target: str
    tables: list[str]
    findings: list[Finding] = field(default_factory=list)

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if not f.passed and not f.excepted]

    @property
    def passed(self) -> bool:
        return not self.failures

    def for_table(self, table: str) -> list[Finding]:
        return [f for f in self.findings if f.table == table]

    def summary(self) -> str:
        if self.passed:
            return f"Privacy guard on {self.target}: {len(self.tables)} tables, {len(self.findings)} checks passed."
        lines = [f"Privacy guard on {self.target}: {len(self.failures)} failed check(s):"]
        lines += [f"  - {f.message}" for f in self.failures]
        return "\n".join(lines)


@dataclass(frozen=True)
class Rules:
    income_category_columns: tuple[str, ...]
    income_min_cell_size: int
    column_names: tuple[tuple[str, str], ...]
    value_patterns: tuple[tuple[str, str, str | None], ...]
    full_names_from: tuple[tuple[str, str, str], ...]
    unique_text_min_rows: int
    max_rows_per_person: float
    min_persons_for_ratio: int
    exceptions: dict[tuple[str, str, str], str]
    # (table, column, rule) -> the exact form of the values that rule leaves out there; the
    # column's other values are still checked.
    exempt_values: dict[tuple[str, str, str], str] = field(default_factory=dict)


@cache
def load_rules(path: Path = RULES_FILE) -> Rules:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    grain = doc["grain"]
    return Rules(
        income_category_columns=tuple(doc["income_category_columns"]),
        income_min_cell_size=int(doc["income_min_cell_size"]),
        column_names=tuple((r["rule"], r["pattern"]) for r in doc["column_names"]),
        value_patterns=tuple((r["rule"], r["pattern"], r.get("check")) for r in doc["value_patterns"]),
        full_names_from=tuple(tuple(x) for x in doc["raw_identifiers"]["full_names_from"]),
        unique_text_min_rows=int(grain["unique_text_min_rows"]),
        max_rows_per_person=float(grain["max_rows_per_person"]),
        min_persons_for_ratio=int(grain["min_persons_for_ratio"]),
        exceptions={
            (e["table"], e["column"], e["rule"]): e["reason"] for e in doc.get("exceptions") or [] if "values" not in e
        },
        exempt_values={
            (e["table"], e["column"], e["rule"]): e["values"] for e in doc.get("exceptions") or [] if "values" in e
        },
    )


# --------------------------------------------------------------------------- GX plumbing


class _Validator:
    """One ephemeral GX context; validates DataFrames against suites without copying values."""

    def __init__(self) -> None:
        import great_expectations as gx

        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        self.gx = gx
        self.context = gx.get_context(mode="ephemeral")
        try:
            self.context.variables.progress_bars = {"globally": False, "metric_calculations": False}
        except Exception:  # progress bars are cosmetic; older configs may refuse the field
            pass
        source = self.context.data_sources.add_pandas(name="privacy_guard")
        # One asset and batch definition for every frame: adding assets rewrites GX's config.
        self.batches = source.add_dataframe_asset(name="frame").add_batch_definition_whole_dataframe(name="whole")
        self._n = 0

    def validate(self, df: pd.DataFrame, expectations: list, result_format: dict | None = None):
        """Validate ``df``; returns GX's result for each expectation, in order."""
        if not expectations:
            return []
        self._n += 1
        batch = self.batches.get_batch(batch_parameters={"dataframe": df})
        for position, expectation in enumerate(expectations):
            expectation.meta = {**(expectation.meta or {}), "position": position}
        suite = self.gx.ExpectationSuite(name=f"privacy_guard_{self._n}", expectations=expectations)
        result = batch.validate(suite, result_format=result_format or _NO_VALUES)
        # GX does not keep the suite's order: put each result back in its expectation's place.
        ordered = [None] * len(expectations)
        for item in result.results:
            ordered[item.expectation_config.meta["position"]] = item
        return ordered


_VALIDATOR: _Validator | None = None
_VALIDATOR_LOCK = threading.Lock()


def _validator() -> _Validator:
    """One GX context per process: creating it costs more than most validations."""
    global _VALIDATOR
    with _VALIDATOR_LOCK:
        if _VALIDATOR is None:
            _VALIDATOR = _Validator()
        return _VALIDATOR


def prepare_in_background() -> threading.Thread:
    """Import Great Expectations and create the guard's context in a background thread (about
    3 s, single-threaded), for a caller that is about to wait on something else; the guard
    then finds them ready. An error there is left for the guard's own call to raise."""

    def prepare() -> None:
        try:
            _validator()
        except Exception:  # the guard creates the context again and raises it there
            pass

    thread = threading.Thread(target=prepare, name="guard-preparation", daemon=True)
    thread.start()
    return thread


def _text_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if pd.api.types.is_string_dtype(df[c]) or df[c].dtype == object]


def _integer_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if pd.api.types.is_integer_dtype(df[c])]


# --------------------------------------------------------------------------- raw identifiers


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


# --------------------------------------------------------------------------- the guard


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
    validator = _validator()
    frames = {t: conn.execute(f'select * from "{catalog}"."{schema}"."{t}"').df() for t in tables}
    relations = {t: f'"{catalog}"."{schema}"."{t}"' for t in tables}
    report.findings += _column_name_findings(validator, frames, rules)
    # Each rule family is one validation over every table (GX's cost is per expectation and
    # per validation, not per value); the findings stay per table, column and rule.
    values = _value_findings(validator, frames, rules)
    raw = _raw_identifier_findings(validator, frames, relations, RawIdentifiers(conn, rules, identifiers), rules)
    counted = {t: df for t, df in frames.items() if t not in METADATA_TABLES}
    specs, broken = _specs(frames.get(RULES_TABLE), counted)
    for why in broken.values():
        log.error("disclosure spec refused: %s", why)
    grain = _grain_findings(validator, counted, rules, persons_total, specs, broken)
    secrecy = _secrecy_findings(validator, conn, counted, rules, k, specs, frames.get(PERIODS_TABLE))
    for table in frames:
        report.findings += values[table] + raw[table]
        if table in counted:
            report.findings += grain[table] + secrecy[table]
    return report


def _excepted(rules: Rules, table: str, column: str | None, rule: str) -> str | None:
    return rules.exceptions.get((table, column or "", rule))


def _column_name_findings(validator: _Validator, frames: dict[str, pd.DataFrame], rules: Rules) -> list[Finding]:
    gx = validator.gx
    catalogue = pd.DataFrame(
        [(t, c.lower()) for t, df in frames.items() for c in df.columns], columns=["table_name", "column_name"]
    )
    expectations = [
        gx.expectations.ExpectColumnValuesToNotMatchRegex(column="column_name", regex=pattern, meta={"rule": rule})
        for rule, pattern in rules.column_names
    ]
    # Column names are not personal data: GX may list the failing ones.
    fmt = {"result_format": "COMPLETE", "unexpected_index_column_names": ["table_name", "column_name"]}
    findings = []
    for (rule, _), result in zip(rules.column_names, validator.validate(catalogue, expectations, fmt)):
        failing = {(row["table_name"], row["column_name"]) for row in result.result.get("unexpected_index_list") or []}
        for table, column in failing:
            reason = _excepted(rules, table, column, rule)
            findings.append(Finding(table, rule, column, passed=False, failing=1, excepted=reason))
        for table in frames:
            if not any(t == table for t, _ in failing):
                findings.append(Finding(table, rule, None, passed=True))
    return findings


def _value_checks(table: str, df: pd.DataFrame, rules: Rules) -> tuple[list[tuple[str, str, str]], pd.DataFrame]:
    """The (column, rule, column of ``checked`` the rule reads) of a table, and ``checked``: the
    table, plus a copy of each column with exempt values without them."""
    checks: list[tuple[str, str, str]] = []
    checked = df
    text = _text_columns(df)
    for column in text + _integer_columns(df):
        for rule, _, check in rules.value_patterns:
            if column not in text and check != "french_tax_number":
                continue
            if _excepted(rules, table, column, rule):
                continue
            target = column
            exempt = rules.exempt_values.get((table, column, rule))
            if exempt:
                # The rule reads a copy of the column without the values of the exempt form.
                target = f"{column} without exempt values for {rule}"
                if checked is df:
                    checked = df.copy()
                values = df[column].astype("string")
                checked[target] = values.mask(values.str.fullmatch(exempt).fillna(False).astype(bool))
            checks.append((column, rule, target))
    return checks, checked


def _value_expectation(gx, rule: str, rules: Rules, column: str):
    from expectations.tax_numbers import ExpectColumnValuesToNotContainFrenchTaxNumbers

    pattern, check = next((p, c) for r, p, c in rules.value_patterns if r == rule)
    if check == "french_tax_number":
        return ExpectColumnValuesToNotContainFrenchTaxNumbers(column=column)
    return gx.expectations.ExpectColumnValuesToNotMatchRegex(column=column, regex=pattern)


def _value_findings(validator: _Validator, frames: dict[str, pd.DataFrame], rules: Rules) -> dict[str, list[Finding]]:
    """Patterns are checked on distinct values (marts repeat their dimension labels): counts are
    of distinct offending values. Each rule is validated once on the distinct values of every
    column it reads in every table, and column by column only where that fails (``_pooled``)."""
    plans = {table: _value_checks(table, df, rules) for table, df in frames.items()}
    parts: dict[str, dict[tuple[str, str], pd.Series]] = {}
    for table, (checks, checked) in plans.items():
        for column, rule, target in checks:
            parts.setdefault(rule, {})[table, column] = pd.Series(checked[target].dropna().unique(), dtype=object)
    outcome = {
        (table, column, rule): result
        for rule, columns in parts.items()
        for (table, column), result in _pooled(
            validator, columns, lambda c, rule=rule: _value_expectation(validator.gx, rule, rules, c)
        ).items()
    }
    return {
        table: [Finding(table, rule, column, *outcome[table, column, rule]) for column, rule, _ in checks]
        + [
            Finding(table, rule, column, passed=True, excepted=reason)
            for (t, column, rule), reason in rules.exceptions.items()
            if t == table
        ]
        for table, (checks, _) in plans.items()
    }


def _raw_identifier_findings(
    validator: _Validator,
    frames: dict[str, pd.DataFrame],
    relations: dict[str, str],
    identifiers: RawIdentifiers,
    rules: Rules,
) -> dict[str, list[Finding]]:
    gx = validator.gx
    checked = {
        table: [
            c
            for c in _text_columns(df) + _integer_columns(df)
            if not _excepted(rules, table, c, "raw_identifier_values")
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


_GRAIN_RULES = ("disclosure_spec", "figure_declared", "all_distinct_text_column", "rows_per_person", "time_of_day")


def _specs(rules_frame: pd.DataFrame | None, frames: dict[str, pd.DataFrame]) -> tuple[dict, dict[str, str]]:
    """The marts' disclosure specs published with them, and the marts whose spec is unusable
    (with why: a mart declares each figure's base, or the guard refuses it; a spec naming
    columns its table lacks describes another table, and is refused, not audited)."""
    specs, broken = {}, {}
    if rules_frame is None:
        return specs, broken
    for mart, text in zip(rules_frame["mart"], rules_frame["rules"]):
        try:
            spec = parse(mart, json.loads(text))
        except (SpecError, ValueError, KeyError, TypeError) as exc:
            broken[mart] = str(exc)
            continue
        missing = [c for c in spec.columns if mart in frames and c not in frames[mart].columns]
        if missing:
            broken[mart] = f"{mart}: no column {', '.join(missing)} named by its disclosure spec."
        else:
            specs[mart] = spec
    return specs, broken


def _undeclared(df: pd.DataFrame, spec) -> list[str]:
    """Columns that are neither a key of the spec, nor a figure it declares (with its base),
    nor that figure's secret flag: a measure without a base."""
    allowed = set(spec.columns)
    return [c for c in df.columns if c not in allowed]


def _grain_facts(
    df: pd.DataFrame, rules: Rules, persons_total: int | None, spec, broken: bool
) -> tuple[dict, list[str], list[str], list[str]]:
    """A table's grain facts (counts and flags, no value of it), its all-distinct text columns,
    its columns holding a time of day and its undeclared columns."""
    unique_text = [
        c
        for c in _text_columns(df)
        if len(df) >= rules.unique_text_min_rows and df[c].notna().all() and df[c].nunique() == len(df)
    ]
    # Rows showing something (a figure published and not zero) each rest on k persons or more:
    # as many of them as persons means the table describes persons, not groups. Rows of zeros
    # (complete grids) and of secrets show nothing.
    figures = [f.name for f in spec.published if f.name in df.columns] if spec is not None else []
    if figures:
        shown = df[figures].apply(pd.to_numeric, errors="coerce").fillna(0).ne(0).any(axis=1)
        rows = int(shown.sum())
    else:
        rows = len(df)
    ratio = (rows / persons_total) if persons_total and persons_total >= rules.min_persons_for_ratio else 0.0
    # A time of day in a dimension points at an event, hence at a person.
    timed = [
        c
        for c in df.columns
        if pd.api.types.is_datetime64_any_dtype(df[c]) and (df[c].dropna() != df[c].dropna().dt.floor("D")).any()
    ]
    undeclared = _undeclared(df, spec) if spec is not None else list(df.columns)
    income = [c for c in rules.income_category_columns if c in df.columns]
    facts = {
        # A mart declares its figures, their bases and relations (and an income-category
        # breakdown as such, for its k of 11).
        "has_disclosure_spec": spec is not None and not broken and (not income or spec.income_breakdown),
        "undeclared_columns": len(undeclared) if spec is not None else 0,
        "all_distinct_text_columns": len(unique_text),
        "rows_per_person": ratio,
        "timestamp_columns": len(timed),
    }
    return facts, unique_text, timed, undeclared


def _grain_findings(
    validator: _Validator,
    frames: dict[str, pd.DataFrame],
    rules: Rules,
    persons_total: int | None,
    specs: dict,
    broken: dict[str, str],
) -> dict[str, list[Finding]]:
    """One row of grain facts per table, validated together; GX names the failing tables."""
    if not frames:
        return {}
    gx = validator.gx
    found = {
        table: _grain_facts(df, rules, persons_total, specs.get(table), table in broken) for table, df in frames.items()
    }
    facts = pd.DataFrame([{"table_name": table, **f} for table, (f, _, _, _) in found.items()])
    expectations = [
        gx.expectations.ExpectColumnValuesToBeInSet(column="has_disclosure_spec", value_set=[True]),
        gx.expectations.ExpectColumnValuesToBeBetween(column="undeclared_columns", max_value=0),
        gx.expectations.ExpectColumnValuesToBeBetween(column="all_distinct_text_columns", max_value=0),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="rows_per_person", max_value=rules.max_rows_per_person, strict_max=True
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(column="timestamp_columns", max_value=0),
    ]
    # The facts are counts and flags of whole tables: GX may list the failing tables' names.
    fmt = {"result_format": "COMPLETE", "unexpected_index_column_names": ["table_name"]}
    failing = [
        {row["table_name"] for row in r.result.get("unexpected_index_list") or []}
        for r in validator.validate(facts, expectations, fmt)
    ]
    findings = {}
    for table, (_, unique_text, timed, undeclared) in found.items():
        columns = [None, ", ".join(undeclared) or None, ", ".join(unique_text) or None, None, ", ".join(timed) or None]
        findings[table] = [
            Finding(table, f"grain_{name}", column, passed=table not in bad, failing=int(table in bad))
            for name, column, bad in zip(_GRAIN_RULES, columns, failing)
        ]
    return findings


def _pooled(validator: _Validator, parts: dict, expectation) -> dict:
    """Each part (a column's values, or some of them) checked by ``expectation(column)``, as
    (passed, failing values): all parts validated at once as one column, and each part alone
    only when that fails."""
    if not parts:
        return {}
    everything = pd.concat(list(parts.values()), ignore_index=True).to_frame("values")
    if validator.validate(everything, [expectation("values")])[0].success:
        return {key: (True, 0) for key in parts}
    outcome = {}
    for key, values in parts.items():
        result = validator.validate(values.to_frame("values"), [expectation("values")])[0]
        outcome[key] = (bool(result.success), int(result.result.get("unexpected_count") or 0))
    return outcome


def _aggregates(conn: duckdb.DuckDBPyConnection, specs: dict) -> dict[str, pd.DataFrame]:
    """The marts' aggregates (their true cells), where the connection sees the warehouse's."""
    present = {
        r[0]
        for r in conn.execute(
            "select table_name from information_schema.tables where table_catalog = current_database() "
            "and table_schema = ?",
            [AGGREGATES_SCHEMA],
        ).fetchall()
    }
    return {
        spec.aggregate: conn.execute(f'select * from {AGGREGATES_SCHEMA}."{spec.aggregate}"').df()
        for spec in specs.values()
        if spec.aggregate in present
    }


def _provisional_rows(frames: dict[str, pd.DataFrame], specs: dict, periods: pd.DataFrame | None) -> dict:
    """Per mart, the mask of its rows in provisional periods (``publication_periods``)."""
    if periods is None or not len(periods):
        return {}
    out = {}
    for table, spec in specs.items():
        if table not in frames or spec.period not in frames[table].columns:
            continue
        mine = periods[(periods["mart"] == table) & (periods["status"] == PROVISIONAL)]
        if not len(mine):
            continue
        wanted = set(pd.to_datetime(mine["period"]).dt.date)
        out[table] = pd.to_datetime(frames[table][spec.period]).dt.date.isin(wanted).to_numpy()
    return out


def _provisional_facts(table: str, spec, rows: pd.DataFrame, k: int, income_k: int) -> list[tuple]:
    """Provisional rows: the headline only, counts and amounts rounded, nothing else published."""
    from disclosure.provisional import AMOUNT_ROUNDING_EUR, count_rounding

    broken_down = pd.Series(False, index=rows.index)
    for dimension, how in spec.dimensions:
        if how != "fixed" and dimension in rows.columns:
            broken_down |= rows[dimension].astype(str) != TOTAL
    facts = [(table, "provisional_headline_only", None, int(broken_down.sum()))]
    for figure in spec.published:
        if figure.name not in rows.columns:
            continue
        values = pd.to_numeric(rows[figure.name], errors="coerce")
        if figure.kind == "count":
            step = count_rounding(spec, k, income_k)
        elif figure.kind == "amount":
            step = AMOUNT_ROUNDING_EUR
        else:
            facts.append((table, "provisional_rounded", figure.name, int(values.notna().sum())))
            continue
        off = values.notna() & ((values / step).round() * step - values).abs().gt(1e-6)
        facts.append((table, "provisional_rounded", figure.name, int(off.sum())))
    return facts


def _computed_tonight(
    conn: duckdb.DuckDBPyConnection,
    specs: dict,
    frames: dict[str, pd.DataFrame],
    aggregates: dict[str, pd.DataFrame],
    provisional: dict,
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame], dict]:
    """The marts, their aggregates (one per mart) and their specs, on the periods computed in
    full tonight: the warehouse's ``period_status`` says which (frozen periods were audited the
    night they closed and are served as kept, which the publication checks; provisional ones
    are rounded headlines). Without it, the provisional rows are left out."""
    exists = conn.execute(
        "select count(*) from information_schema.tables where table_catalog = current_database() "
        "and table_schema = ? and table_name = 'period_status'",
        [AGGREGATES_SCHEMA],
    ).fetchone()[0]
    closing: dict[str, set] = {}
    if exists:
        for mart, period in conn.execute(
            f"select mart, period from {AGGREGATES_SCHEMA}.period_status where status = 'closing'"
        ).fetchall():
            closing.setdefault(mart, set()).add(period)
    frames, cells, audited = dict(frames), {}, {}
    for table, spec in specs.items():
        aggregate = aggregates[spec.aggregate]
        if exists:
            wanted = closing.get(table, set())
            frames[table] = _periods_in(frames[table], spec.period, wanted)
            aggregate = _periods_in(aggregate, spec.period, wanted)
        elif table in provisional:
            frames[table] = frames[table].loc[~provisional[table]].reset_index(drop=True)
            aggregate = _periods_in(aggregate, spec.period, set(pd.to_datetime(frames[table][spec.period]).dt.date))
        # Each mart its own cells: two marts of one aggregate may publish different periods.
        key = f"{spec.aggregate}@{table}"
        cells[key] = aggregate
        audited[table] = replace(spec, aggregate=key)
    return frames, cells, audited


def _periods_in(df: pd.DataFrame, period: str, wanted: set) -> pd.DataFrame:
    return df[pd.to_datetime(df[period]).dt.date.isin(wanted)].reset_index(drop=True)


def _secrecy_findings(
    validator: _Validator,
    conn: duckdb.DuckDBPyConnection,
    frames: dict[str, pd.DataFrame],
    rules: Rules,
    k: int,
    specs: dict,
    periods: pd.DataFrame | None = None,
) -> dict[str, list[Finding]]:
    """Statistical secrecy of every mart with a spec (docs/privacy-guard.md):

    - ``value_in_secret_cell``: a figure flagged secret shows no value;
    - ``count_below_k``: no published count between 1 and k - 1 (11 with income categories);
    - ``ratio_of_secret_figure``: no ratio published where a figure it is computed of is secret;
    - with the warehouse's aggregates at hand: ``base_below_k`` (no published figure resting on
      1 to k - 1 persons), ``published_value_matches`` (a published figure is its cell's), and
      ``audit_interval``: the attacker's linear programs leave every secret cell, and every small
      implied count, an interval as wide as its protection (disclosure/audit.py); these on the
      periods computed in full tonight only;
    - on provisional periods (``publication_periods``): ``provisional_headline_only`` (one row,
      every non-fixed dimension at 'Tous') and ``provisional_rounded`` (counts and amounts
      rounded, no median or ratio; disclosure/provisional.py).
    Value rules are pooled into one validation per rule, column by column where that fails."""
    from disclosure.audit import audit_published

    gx = validator.gx
    income_k = max(k, rules.income_min_cell_size)
    checks: list[tuple[str, str, str]] = []
    left: dict[tuple[str, str], pd.Series] = {}  # a figure's values where it is flagged secret
    small: dict[tuple[str, str], pd.Series] = {}  # published counts, less 1, where below the table's k
    facts: list[tuple[str, str, str | None, int]] = []  # (table, rule, column, offending cells)
    for table, df in frames.items():
        spec = specs.get(table)
        if spec is None:
            continue
        protection = spec.protection(k, income_k)
        for figure in spec.published:
            flag = figure.name + SECRET_SUFFIX
            if figure.name not in df.columns or flag not in df.columns:
                continue
            secret = df[flag].fillna(False).astype(bool)
            checks.append((table, "value_in_secret_cell", figure.name))
            left[table, figure.name] = df.loc[secret, figure.name]
            if figure.kind == "count":
                values = pd.to_numeric(df[figure.name], errors="coerce")
                checks.append((table, "count_below_k", figure.name))
                small[table, figure.name] = values[(values > 0) & (values < protection)]
            if figure.kind == "ratio":
                inputs = [f + SECRET_SUFFIX for f in figure.of if f + SECRET_SUFFIX in df.columns]
                hidden = (
                    df[inputs].fillna(False).astype(bool).any(axis=1) if inputs else pd.Series(False, index=df.index)
                )
                facts.append(
                    (table, "ratio_of_secret_figure", figure.name, int((hidden & df[figure.name].notna()).sum()))
                )
    provisional = _provisional_rows(frames, specs, periods)
    for table, rows in provisional.items():
        facts += _provisional_facts(table, specs[table], frames[table].loc[rows], k, income_k)
    aggregates = _aggregates(conn, specs)
    if aggregates:
        audited = {t: s for t, s in specs.items() if t in frames and s.aggregate in aggregates}
        frames, aggregates, audited = _computed_tonight(conn, audited, frames, aggregates, provisional)
        report = audit_published(audited, {t: frames[t] for t in audited}, aggregates, k, income_k)
        for table, spec in audited.items():
            aggregate = aggregates[spec.aggregate]
            protection = spec.protection(k, income_k)
            shown = frames[table]
            keyed = shown.assign(**{key: shown[key].astype(str) for key in spec.keys}).merge(
                aggregate.assign(**{key: aggregate[key].astype(str) for key in spec.keys}),
                on=spec.keys,
                how="left",
                suffixes=("", "__cell"),
            )
            for figure in spec.published:
                if figure.base and figure.base in keyed.columns and figure.name in shown.columns:
                    base = pd.to_numeric(keyed[figure.base], errors="coerce")
                    published = keyed[figure.name].notna()
                    facts.append(
                        (table, "base_below_k", figure.name, int((published & (base > 0) & (base < protection)).sum()))
                    )
                if figure.kind in ("count", "amount"):
                    facts.append(
                        (table, "published_value_matches", figure.name, report.mismatched.get((table, figure.name), 0))
                    )
                    pinned = report.pinned.get((table, figure.name), [])
                    facts.append((table, "audit_interval", figure.name, len(pinned)))
                    for cell in pinned[:20]:
                        log.error("audit: %s is pinned more closely than its protection allows", cell)
            rows = report.mismatched.get((table, "*rows*"), 0)
            facts.append((table, "published_value_matches", None, rows))
    found = {
        **{
            (table, "value_in_secret_cell", column): outcome
            for (table, column), outcome in _pooled(
                validator, left, lambda c: gx.expectations.ExpectColumnValuesToBeNull(column=c)
            ).items()
        },
        **{
            (table, "count_below_k", column): outcome
            for (table, column), outcome in _pooled(
                validator,
                {key: pd.Series(values.to_numpy(dtype=float), dtype=float) for key, values in small.items()},
                # Any value left here is a published count below k.
                lambda c: gx.expectations.ExpectColumnValuesToBeNull(column=c),
            ).items()
        },
    }
    findings: dict[str, list[Finding]] = {t: [] for t in frames}
    for table, rule, column in checks:
        findings[table].append(Finding(table, rule, column, *found[table, rule, column]))
    # A whole-table fact has no column: named "" here, so that GX's index lists it like the others.
    counted = pd.DataFrame(
        [(t, r, c or "", n) for t, r, c, n in facts], columns=["table_name", "rule", "column_name", "n"]
    )
    failing = set()
    if len(counted):
        # Counts of cells and the names of tables, rules and figures: no value of a cell.
        result = validator.validate(
            counted,
            [gx.expectations.ExpectColumnValuesToBeBetween(column="n", max_value=0)],
            {"result_format": "COMPLETE", "unexpected_index_column_names": ["table_name", "rule", "column_name"]},
        )[0]
        failing = {
            (row["table_name"], row["rule"], row["column_name"])
            for row in result.result.get("unexpected_index_list") or []
        }
    for table, rule, column, n in facts:
        findings[table].append(
            Finding(table, rule, column, passed=(table, rule, column or "") not in failing, failing=n)
        )
    return findings
