"""A Great Expectations expectation for French numéros fiscaux (SPI) hidden in a column.

A numéro fiscal is 13 digits, the first 0 to 3, the last three being the first ten modulo
511. A regular expression finds 13-digit runs; the key check tells a tax number from any
other 13-digit figure.
"""

from __future__ import annotations

import re

import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics import ColumnMapMetricProvider, column_condition_partial

_CANDIDATE = re.compile(r"(?<![0-9])[0-3][0-9]{12}(?![0-9])")


def contains_tax_number(value: object) -> bool:
    """True when the value holds a 13-digit run whose key is valid."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return False
    for match in _CANDIDATE.finditer(str(value)):
        digits = match.group(0)
        if int(digits[:10]) % 511 == int(digits[10:]):
            return True
    return False


class ColumnValuesNotFrenchTaxNumber(ColumnMapMetricProvider):
    condition_metric_name = "column_values.not_french_tax_number"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs) -> pd.Series:  # noqa: N805 - GX's signature
        return ~column.map(contains_tax_number).astype(bool)


class ExpectColumnValuesToNotContainFrenchTaxNumbers(ColumnMapExpectation):
    """Expect no value of the column to contain a numéro fiscal with a valid key."""

    map_metric = "column_values.not_french_tax_number"
    success_keys = ("mostly",)
