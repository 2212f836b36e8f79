"""The reference tables (staff, products), and the catalogue as arrays the quotes draw from."""

from __future__ import annotations

import numpy as np
from text_unidecode import unidecode

from synthetic_crm import catalogue as cat
from synthetic_crm.draws import stream_rng
from synthetic_crm.frames import Frame
from synthetic_crm.identifiers import join
from synthetic_crm.pools import Pools
from synthetic_crm.timeline import DAY

CATEGORY_INDEX = {c: i for i, c in enumerate(cat.CATEGORIES)}
PRODUCTS_BY_CATEGORY = [np.array([i for i, p in enumerate(cat.PRODUCTS) if p.category == c]) for c in cat.CATEGORIES]
PRODUCT_CODES = np.array([p.code for p in cat.PRODUCTS], dtype=object)
PRODUCT_PRICE = np.array([p.price_excl_tax_eur for p in cat.PRODUCTS])
PRODUCT_VAT = np.array([p.vat_rate for p in cat.PRODUCTS])
PRODUCT_PER_M2 = np.array([p.per_square_metre for p in cat.PRODUCTS])
PRODUCT_CATEGORY = np.array([CATEGORY_INDEX[p.category] for p in cat.PRODUCTS])


def staff_frame(seed: int, pools: Pools, n_reps: int, n_techs: int, hired_from: int) -> Frame:
    rng = stream_rng(seed, (), "staff")
    n = n_reps + n_techs
    female = rng.random(n) < 0.4
    first = np.where(
        female,
        pools.female_first_names[rng.integers(0, len(pools.female_first_names), n)],
        pools.male_first_names[rng.integers(0, len(pools.male_first_names), n)],
    )
    last_idx = rng.integers(0, len(pools.last_names), n)
    # Staff is a few dozen rows: transliterating each name here costs nothing.
    local = np.array(
        [
            f"{unidecode(f).lower().replace(' ', '-')}.{unidecode(name).lower().replace(' ', '-')}"
            for f, name in zip(first, pools.last_names[last_idx])
        ],
        dtype=object,
    )
    hired = hired_from - rng.integers(0, 6 * 365, n) * DAY
    return {
        "staff_id": np.arange(1, n + 1, dtype=np.int64),
        "role": np.array(["charge_affaires"] * n_reps + ["technicien"] * n_techs, dtype=object),
        "first_name": first,
        "last_name": pools.last_names[last_idx],
        "email": join(local, "@mgreen.example"),
        "team": np.array(cat.STAFF_TEAMS, dtype=object)[rng.integers(0, len(cat.STAFF_TEAMS), n)],
        "hired_on": hired,
        "t_updated": hired,
    }


def products_frame(catalogue_since: int) -> Frame:
    n = len(cat.PRODUCTS)
    return {
        "product_code": PRODUCT_CODES.copy(),
        "category": np.array([p.category for p in cat.PRODUCTS], dtype=object),
        "label": np.array([p.label for p in cat.PRODUCTS], dtype=object),
        "list_price_excl_tax_eur": PRODUCT_PRICE.astype(float),
        "vat_rate": PRODUCT_VAT.astype(float),
        "t_updated": np.full(n, catalogue_since, dtype=np.int64),
    }
