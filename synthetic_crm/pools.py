"""Pools of French values drawn once from Faker, then sampled vectorially.

One Faker call per pool entry, never per generated row: a pool of a few thousand street
names or first names, indexed by numpy, gives a million contacts in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from faker import Faker
from text_unidecode import unidecode


@dataclass(frozen=True)
class Pools:
    """Immutable arrays of candidate values (numpy object arrays)."""

    female_first_names: np.ndarray
    male_first_names: np.ndarray
    last_names: np.ndarray
    street_names: np.ndarray
    email_domains: np.ndarray
    user_agents: np.ndarray
    # ASCII, lower-case spellings used to build email local parts.
    female_first_ascii: np.ndarray
    male_first_ascii: np.ndarray
    last_ascii: np.ndarray


def _ascii_slug(values: np.ndarray) -> np.ndarray:
    out = []
    for value in values:
        slug = unidecode(value).lower()
        slug = "".join(ch for ch in slug if ch.isalnum() or ch == "-")
        out.append(slug or "x")
    return np.array(out, dtype=object)


def _unique(draw, count: int, attempts: int) -> np.ndarray:
    values: dict[str, None] = {}
    for _ in range(attempts):
        values.setdefault(draw(), None)
        if len(values) >= count:
            break
    return np.array(sorted(values), dtype=object)


def build_pools(seed: int) -> Pools:
    """Draw the pools with a Faker seeded from ``seed`` (same seed, same pools)."""
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    female = _unique(fake.first_name_female, 400, 20_000)
    male = _unique(fake.first_name_male, 400, 20_000)
    last = _unique(fake.last_name, 1_500, 40_000)
    streets = _unique(fake.street_name, 6_000, 30_000)
    domains = _unique(fake.free_email_domain, 20, 2_000)
    agents = _unique(fake.user_agent, 400, 4_000)
    return Pools(
        female_first_names=female,
        male_first_names=male,
        last_names=last,
        street_names=streets,
        email_domains=domains,
        user_agents=agents,
        female_first_ascii=_ascii_slug(female),
        male_first_ascii=_ascii_slug(male),
        last_ascii=_ascii_slug(last),
    )
