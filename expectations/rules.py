"""The guard's rules, read from ``rules.yml`` (the rules and their exceptions, as data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

RULES_FILE = Path(__file__).with_name("rules.yml")


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


def excepted(rules: Rules, table: str, column: str | None, rule: str) -> str | None:
    return rules.exceptions.get((table, column or "", rule))
