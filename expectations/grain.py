"""``grain``: a disclosure spec declaring every figure and its base, no all-distinct text
column, fewer rows than persons, no time of day."""

from __future__ import annotations

import json

import pandas as pd

from disclosure.spec import SpecError, parse
from expectations.gx_validator import Validator, text_columns
from expectations.report import Finding
from expectations.rules import Rules

_GRAIN_RULES = ("disclosure_spec", "figure_declared", "all_distinct_text_column", "rows_per_person", "time_of_day")


def published_specs(rules_frame: pd.DataFrame | None, frames: dict[str, pd.DataFrame]) -> tuple[dict, dict[str, str]]:
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
        for c in text_columns(df)
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


def grain_findings(
    validator: Validator,
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
