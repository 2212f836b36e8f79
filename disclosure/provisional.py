"""What an open period publishes: its headline row, rounded (docs/privacy-guard.md).

An open period (the running month, and those within their grace period) is published again
every night while its data still move, so an attacker holding two files subtracts them: the
difference is one day's activity, often one or two persons. Open periods therefore publish:

- one row per period, every dimension at 'Tous' (a fixed dimension keeps its values): which
  rows exist tells nothing, and no breakdown can be differenced;
- counts rounded to the nearest multiple of ``COUNT_ROUNDING`` × the mart's protection (10 for
  k = 5): two nights differ by 0 or by a multiple of it, and the value a night rounds leaves an
  interval wider than the protection, so neither a night nor the frozen value published when the
  period closes pins a difference of fewer than k persons;
- amounts rounded to the nearest ``AMOUNT_ROUNDING_EUR`` €, and only where they pass the primary
  rules (base at least the protection, p % rule): a one-order difference is known within
  ± 10,000 €, far wider than 10 % of an order of the sizes sold;
- no ratio and no median (they are not rounded figures; the frozen period has them).

The dbt macro ``published_mart`` applies these rules, with the values of the dbt project's vars
``provisional_count_rounding`` and ``provisional_amount_rounding_eur`` (tests check they are
these); the guard checks every open row against them.
"""

from __future__ import annotations

import pandas as pd

from disclosure.spec import TOTAL, MartSpec

COUNT_ROUNDING = 2
AMOUNT_ROUNDING_EUR = 10_000


def headline(spec: MartSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``frame`` an open period publishes: every non-fixed dimension at 'Tous'."""
    keep = pd.Series(True, index=frame.index)
    for dimension, kind in spec.dimensions:
        if kind != "fixed":
            keep &= frame[dimension].astype(str) == TOTAL
    return frame[keep]


def count_rounding(spec: MartSpec, k: int, income_k: int) -> int:
    return COUNT_ROUNDING * spec.protection(k, income_k)
