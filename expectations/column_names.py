"""``column_names``: column names that look like identifiers (a suite on the catalogue of
every table's columns)."""

from __future__ import annotations

import pandas as pd

from expectations.gx_validator import Validator
from expectations.report import Finding
from expectations.rules import Rules, excepted


def column_name_findings(validator: Validator, frames: dict[str, pd.DataFrame], rules: Rules) -> list[Finding]:
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
            reason = excepted(rules, table, column, rule)
            findings.append(Finding(table, rule, column, passed=False, failing=1, excepted=reason))
        for table in frames:
            if not any(t == table for t, _ in failing):
                findings.append(Finding(table, rule, None, passed=True))
    return findings
