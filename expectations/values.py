"""``value_patterns``: values that look like emails, phones, IBANs, IPs, numéros fiscaux,
street addresses, hex digests (checked on each column's distinct values)."""

from __future__ import annotations

import pandas as pd

from expectations.gx_validator import Validator, integer_columns, pooled, text_columns
from expectations.report import Finding
from expectations.rules import Rules, excepted


def _value_checks(table: str, df: pd.DataFrame, rules: Rules) -> tuple[list[tuple[str, str, str]], pd.DataFrame]:
    """The (column, rule, column of ``checked`` the rule reads) of a table, and ``checked``: the
    table, plus a copy of each column with exempt values without them."""
    checks: list[tuple[str, str, str]] = []
    checked = df
    text = text_columns(df)
    for column in text + integer_columns(df):
        for rule, _, check in rules.value_patterns:
            if column not in text and check != "french_tax_number":
                continue
            if excepted(rules, table, column, rule):
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


def value_findings(validator: Validator, frames: dict[str, pd.DataFrame], rules: Rules) -> dict[str, list[Finding]]:
    """Patterns are checked on distinct values (marts repeat their dimension labels): counts are
    of distinct offending values. Each rule is validated once on the distinct values of every
    column it reads in every table, and column by column only where that fails (``pooled``)."""
    plans = {table: _value_checks(table, df, rules) for table, df in frames.items()}
    parts: dict[str, dict[tuple[str, str], pd.Series]] = {}
    for table, (checks, checked) in plans.items():
        for column, rule, target in checks:
            parts.setdefault(rule, {})[table, column] = pd.Series(checked[target].dropna().unique(), dtype=object)
    outcome = {
        (table, column, rule): result
        for rule, columns in parts.items()
        for (table, column), result in pooled(
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
