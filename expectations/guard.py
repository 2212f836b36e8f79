"""The privacy guard: every table of the marts, checked against every rule of ``rules.yml``.

Tables are discovered at run time in a DuckDB schema (the warehouse's ``marts``, or the
published file), so a mart added tomorrow is covered without registration. The checks are
Great Expectations 1.x suites run on DataFrames read from DuckDB (GX's SQL datasource
fails on DuckDB, see DEVELOPERS.md), with result formats that copy no value: a finding
names the table, the column and the rule, and counts.

Rule families (DESIGN.md decision 5, issue "privacy guard"):
- ``column_names``: column names that look like identifiers (a suite on the catalogue);
- ``value_patterns``: values that look like emails, phones, IBANs, IPs, numéros fiscaux,
  street addresses, hex digests (a suite per table);
- ``raw_identifiers``: values equal to an identifier present in raw (the normalised raw
  identifiers streamed through a join with the tables' distinct values; counts only);
- ``grain``: a population column and a suppression flag, no all-distinct text column, fewer
  rows than persons;
- ``secrecy``: no published population below k (11 for income-category breakdowns), no value
  left in a suppressed row, no line of a total dimension with exactly one suppressed cell.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd
import yaml

RULES_FILE = Path(__file__).with_name("rules.yml")
# Tables of the published file that describe the publication rather than count anything.
METADATA_TABLES = frozenset({"publication", "publication_history", "guard_results", "gdpr_events"})
# GX must neither phone home nor draw progress bars in the nightly logs.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
_NO_VALUES = {"result_format": "BASIC", "partial_unexpected_count": 0, "include_unexpected_rows": False}


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
    population_columns: tuple[str, ...]
    suppression_flag: str
    numeric_dimension_pattern: str
    total_marker: str
    income_category_columns: tuple[str, ...]
    income_min_cell_size: int
    column_names: tuple[tuple[str, str], ...]
    value_patterns: tuple[tuple[str, str, str | None], ...]
    full_names_from: tuple[tuple[str, str, str], ...]
    unique_text_min_rows: int
    max_rows_per_person: float
    min_persons_for_ratio: int
    exceptions: dict[tuple[str, str, str], str]
    denominator_rows: tuple[dict, ...] = ()
    # (table, column, rule) -> the exact form of the values that rule leaves out there; the
    # column's other values are still checked.
    exempt_values: dict[tuple[str, str, str], str] = field(default_factory=dict)


@cache
def load_rules(path: Path = RULES_FILE) -> Rules:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    grain = doc["grain"]
    return Rules(
        population_columns=tuple(doc["population_columns"]),
        suppression_flag=doc["suppression_flag"],
        numeric_dimension_pattern=doc["numeric_dimension_pattern"],
        total_marker=doc["total_marker"],
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
        denominator_rows=tuple(doc.get("denominator_rows") or ()),
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

    def __init__(self, conn: duckdb.DuckDBPyConnection, rules: Rules):
        self.conn = conn
        raw_columns = {
            tuple(r)
            for r in conn.execute(
                "select table_name, column_name from information_schema.columns where table_schema = 'raw'"
            ).fetchall()
        }
        self.columns = self._identifier_columns(raw_columns)
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

    @staticmethod
    def _identifier_columns(raw_columns: set[tuple[str, str]]) -> list[tuple[str, str, str]]:
        """(table, column, kind) of the contract's identifiers present in raw; names go in pairs."""
        from orchestration.lib.contract import crm_tables

        found = [
            (table.name, col.name, col.identifier)
            for table in crm_tables().values()
            for col in table.columns
            if col.identifier
            and col.identifier not in ("first_name", "last_name")
            and (table.name, col.name) in raw_columns
        ]
        if ("web_sessions", "ip") in raw_columns:
            found.append(("web_sessions", "ip", "ip"))
        return found

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
    target: str = "warehouse",
    rules: Rules | None = None,
) -> GuardReport:
    """Check every table of ``catalog.schema``; the connection must also see ``raw``."""
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
    raw = _raw_identifier_findings(validator, frames, relations, RawIdentifiers(conn, rules), rules)
    counted = {t: df for t, df in frames.items() if t not in METADATA_TABLES}
    grain = _grain_findings(validator, counted, rules, persons_total)
    secrecy = _secrecy_findings(validator, counted, rules, k)
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


_GRAIN_RULES = ("population_column", "suppression_flag", "all_distinct_text_column", "rows_per_person", "time_of_day")


def _grain_facts(df: pd.DataFrame, rules: Rules, persons_total: int | None) -> tuple[dict, list[str], list[str]]:
    """A table's grain facts (counts and flags, no value of it), its all-distinct text columns
    and its columns holding a time of day."""
    population = [c for c in rules.population_columns if c in df.columns]
    unique_text = [
        c
        for c in _text_columns(df)
        if len(df) >= rules.unique_text_min_rows and df[c].notna().all() and df[c].nunique() == len(df)
    ]
    # Published rows each count k persons or more: as many of them as persons means the
    # table describes persons, not groups.
    flag = rules.suppression_flag
    published = int((~df[flag].astype(bool)).sum()) if flag in df.columns else len(df)
    ratio = (published / persons_total) if persons_total and persons_total >= rules.min_persons_for_ratio else 0.0
    # A time of day in a dimension points at an event, hence at a person.
    timed = [
        c
        for c in df.columns
        if pd.api.types.is_datetime64_any_dtype(df[c]) and (df[c].dropna() != df[c].dropna().dt.floor("D")).any()
    ]
    facts = {
        "has_population_column": bool(population),
        "has_suppression_flag": flag in df.columns,
        "all_distinct_text_columns": len(unique_text),
        "rows_per_person": ratio,
        "timestamp_columns": len(timed),
    }
    return facts, unique_text, timed


def _grain_findings(
    validator: _Validator, frames: dict[str, pd.DataFrame], rules: Rules, persons_total: int | None
) -> dict[str, list[Finding]]:
    """One row of grain facts per table, validated together; GX names the failing tables."""
    if not frames:
        return {}
    gx = validator.gx
    found = {table: _grain_facts(df, rules, persons_total) for table, df in frames.items()}
    facts = pd.DataFrame([{"table_name": table, **f} for table, (f, _, _) in found.items()])
    expectations = [
        gx.expectations.ExpectColumnValuesToBeInSet(column="has_population_column", value_set=[True]),
        gx.expectations.ExpectColumnValuesToBeInSet(column="has_suppression_flag", value_set=[True]),
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
    for table, (_, unique_text, timed) in found.items():
        columns = [None, None, ", ".join(unique_text) or None, None, ", ".join(timed) or None]
        findings[table] = [
            Finding(table, f"grain_{name}", column, passed=table not in bad, failing=int(table in bad))
            for name, column, bad in zip(_GRAIN_RULES, columns, failing)
        ]
    return findings


def _measures(df: pd.DataFrame, rules: Rules) -> list[str]:
    """Numeric columns that are not dimensions (a stage's position is a dimension)."""
    return [
        c
        for c in df.select_dtypes("number").columns
        if c != rules.suppression_flag and not re.search(rules.numeric_dimension_pattern, c)
    ]


def _dimensions(df: pd.DataFrame, rules: Rules) -> list[str]:
    excluded = set(_measures(df, rules)) | {rules.suppression_flag} | set(rules.population_columns)
    return [c for c in df.columns if c not in excluded]


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


def _secrecy_findings(
    validator: _Validator, frames: dict[str, pd.DataFrame], rules: Rules, k: int
) -> dict[str, list[Finding]]:
    """Cells below k, values left in suppressed cells, rates of suppressed denominators and
    lines with one suppressed cell. The cells of every table are pooled into one validation
    per rule; a rule that fails there is validated again column by column."""
    gx = validator.gx
    flag = rules.suppression_flag
    # (table, rule, column) in each table's order of findings; tables without a population
    # column or a suppression flag already fail the grain rules.
    checks: list[tuple[str, str, str]] = []
    below_k: dict[tuple[str, str], pd.Series] = {}  # cell's population minus its table's k
    left: dict[tuple[str, str], pd.Series] = {}  # a measure's values in suppressed rows
    # Rates of suppressed denominators and lines recomputable from a total: (table, rule,
    # rate column or dimension, count of groups or lines).
    facts: list[tuple[str, str, str | None, int]] = []
    for table, df in frames.items():
        population = [c for c in rules.population_columns if c in df.columns]
        if not population or flag not in df.columns:
            continue
        income = any(c in df.columns for c in rules.income_category_columns)
        k_table = max(k, rules.income_min_cell_size) if income else k
        for column in population:
            checks.append((table, "cell_below_k", column))
            # A population that is not a number is left as it is, and fails the comparison.
            numeric = pd.api.types.is_numeric_dtype(df[column]) and not pd.api.types.is_bool_dtype(df[column])
            below_k[table, column] = df[column] - k_table if numeric else df[column]
        suppressed = df[flag].fillna(False).astype(bool)
        for column in _measures(df, rules):
            # A suppressed row publishes nothing: no population, no amount, no rate.
            checks.append((table, "value_in_suppressed_cell", column))
            left[table, column] = df.loc[suppressed, column]
        for rule in rules.denominator_rows:
            if rule["column"] in df.columns and all(c in df.columns for c in rule["row"]):
                groups = published_rates_of_suppressed_denominators(df, rule, rules)
                facts.append((table, "rate_of_suppressed_denominator", rule["column"], groups))
        lone = lone_suppressed_lines(df, rules)
        facts += [(table, "recomputable_suppressed_cell", d, n) for d, n in lone.items()]
        if not lone:
            # No total dimension: nothing can be recomputed from a total.
            facts.append((table, "recomputable_suppressed_cell", None, 0))
    found = {
        **{
            (table, "cell_below_k", column): outcome
            for (table, column), outcome in _pooled(
                validator, below_k, lambda c: gx.expectations.ExpectColumnValuesToBeBetween(column=c, min_value=0)
            ).items()
        },
        **{
            (table, "value_in_suppressed_cell", column): outcome
            for (table, column), outcome in _pooled(
                validator, left, lambda c: gx.expectations.ExpectColumnValuesToBeNull(column=c)
            ).items()
        },
    }
    findings: dict[str, list[Finding]] = {t: [] for t in frames}
    for table, rule, column in checks:
        findings[table].append(Finding(table, rule, column, *found[table, rule, column]))
    counted = pd.DataFrame(facts, columns=["table_name", "rule", "column_name", "n"])
    failing = set()
    if len(counted):
        # Counts of groups and lines, and the names of tables and dimensions: no value of a cell.
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
        findings[table].append(Finding(table, rule, column, passed=(table, rule, column) not in failing, failing=n))
    return findings


def published_rates_of_suppressed_denominators(df: pd.DataFrame, rule: dict, rules: Rules) -> int:
    """Groups whose denominator row is suppressed while another of their rows is published."""
    flag = rules.suppression_flag
    group = [d for d in _dimensions(df, rules) if d not in rule["group_except"]]
    is_denominator = pd.Series(True, index=df.index)
    for column, value in rule["row"].items():
        is_denominator &= df[column].astype(str) == str(value)
    keyed = df.assign(_denominator_hidden=is_denominator & df[flag].astype(bool), _published=~df[flag].astype(bool))
    if group:
        grouped = keyed.groupby(group, dropna=False).agg(
            hidden=("_denominator_hidden", "any"), shown=("_published", "any")
        )
    else:
        grouped = pd.DataFrame({"hidden": [keyed["_denominator_hidden"].any()], "shown": [keyed["_published"].any()]})
    return int((grouped.hidden & grouped.shown).sum())


def lone_suppressed_lines(df: pd.DataFrame, rules: Rules | None = None) -> dict[str, int]:
    """Per total dimension, the lines (cells differing only in it, with their total) that
    have exactly one suppressed cell: that cell would be the total minus the others."""
    rules = rules or load_rules()
    flag = rules.suppression_flag
    dims = _dimensions(df, rules)
    totals = [d for d in dims if (df[d].astype(str) == rules.total_marker).any()]
    out = {}
    for dim in totals:
        others = [d for d in dims if d != dim]
        keyed = df.assign(_s=df[flag].astype(bool))
        if others:
            counts = keyed.groupby(others, dropna=False)["_s"].sum()
        else:
            counts = pd.Series([keyed["_s"].sum()])
        out[dim] = int((counts == 1).sum())
    return out
