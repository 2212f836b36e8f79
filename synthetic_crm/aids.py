"""Aid schemes (MaPrimeRénov', CEE, éco-PTZ): who is eligible, for how much, and the aid
applications filed for orders.
"""

from __future__ import annotations

import numpy as np

from synthetic_crm import catalogue as cat
from synthetic_crm.draws import round2
from synthetic_crm.frames import Frame
from synthetic_crm.identifiers import tax_notice_refs, tax_numbers
from synthetic_crm.timeline import NEVER, lognormal_seconds, uniform_seconds

# Heating systems are what MaPrimeRénov' and CEE finance most; air-to-air and solar are not.
MPR_ELIGIBLE = np.array([True, False, True, True, True, True, False, True])
CEE_ELIGIBLE = np.array([True, False, True, True, True, True, False, True])
# MaPrimeRénov' amounts by category (rows) and income band (bleu, jaune, violet, rose).
MPR_AMOUNT = np.array(
    [
        [5000, 4000, 3000, 0],
        [0, 0, 0, 0],
        [1200, 800, 400, 0],
        [5000, 4000, 2500, 0],
        [25, 20, 15, 0],
        [75, 60, 40, 0],
        [0, 0, 0, 0],
        [2500, 2000, 1500, 0],
    ],
    dtype=float,
)
# Income ceilings (euros) of the bleu / jaune / violet bands for one person in Île-de-France,
# and how they grow with the household: used only to draw plausible eligibility, the
# warehouse computes the real category from the reference thresholds.
BAND_CEILINGS_1 = np.array([23768, 28933, 40404], dtype=float)
HOUSEHOLD_FACTOR = np.array([0, 1.0, 1.47, 1.76, 2.06, 2.35, 2.65, 2.94])


def draw_aid_applications(
    rng: np.random.Generator, contacts: Frame, orders: Frame, lines: Frame, q: np.ndarray, dirty: float
) -> Frame:
    k = len(q)
    cat_i = orders["category"]
    rows = orders["contact_row"]
    band = contacts["band"][rows]
    owner = contacts["occupancy"][rows] != "locataire"
    not_cancelled_early = orders["t_planned"] < NEVER
    # Surface for insulation, from the quote's main line.
    main = np.flatnonzero(lines["line_no"] == 1)
    qty_by_quote = np.ones(int(lines["quote_row"].max()) + 1 if len(lines["quote_row"]) else 0)
    qty_by_quote[lines["quote_row"][main]] = lines["quantity"][main]
    qty = qty_by_quote[orders["quote_row"]] if len(qty_by_quote) else np.ones(k)
    picks = []
    for scheme, eligible, p in (
        ("maprimerenov", MPR_ELIGIBLE[cat_i] & owner & (band < 3), 0.62),
        ("cee", CEE_ELIGIBLE[cat_i], 0.55),
        ("eco_ptz", owner & (rng.random(k) < 0.5), 0.10),
    ):
        sel = np.flatnonzero(eligible & not_cancelled_early & (rng.random(k) < p))
        picks.append((scheme, sel))
    order_row = np.concatenate([s for _, s in picks])
    scheme = np.concatenate([np.full(len(s), name, dtype=object) for name, s in picks])
    n = len(order_row)
    c = cat_i[order_row]
    b = np.minimum(band[order_row], 3)
    mpr = MPR_AMOUNT[c, b] * np.where(np.isin(c, [4, 5]), qty[order_row], 1)
    cee = np.where(np.isin(c, [4, 5]), 12 * qty[order_row], rng.uniform(900, 4000, n))
    ptz = np.round(rng.uniform(15_000, 50_000, n), -2)
    requested = round2(np.select([scheme == "maprimerenov", scheme == "cee"], [mpr, cee], ptz))
    submitted = orders["t_created"][order_row] + uniform_seconds(rng, n, 1, 10)
    decided = submitted + lognormal_seconds(rng, n, 35, 0.5)
    granted = rng.random(n) < 0.86
    granted_eur = np.where(granted, round2(requested * rng.uniform(0.8, 1.0, n)), None)
    completed = orders["t_completed"][order_row]
    paid = np.where(
        granted & (completed < NEVER), np.maximum(completed, decided) + lognormal_seconds(rng, n, 40, 0.5), NEVER
    )
    paid = np.where(scheme == "eco_ptz", np.where(granted, decided + uniform_seconds(rng, n, 5, 20), NEVER), paid)
    crow = rows[order_row]
    income = contacts["income"][crow].astype(object)
    income[rng.random(n) < dirty] = None
    no_order = rng.random(n) < 0.03  # dossiers filed before the order was recorded
    return {
        "order_row": np.where(no_order, -1, order_row),
        "contact_row": crow,
        "scheme": scheme,
        "tax_number": tax_numbers(rng, n),
        "tax_notice_ref": tax_notice_refs(rng, n),
        "fiscal_income_eur": income,
        "household_size": contacts["household_size"][crow],
        "requested_eur": requested,
        "granted_eur": granted_eur,
        "status_typo": np.where(rng.random(n) < dirty / 4, cat.STATUS_TYPOS["aid_applications"][0], None),
        "t_created": submitted,
        "t_decided": decided,
        "t_paid": paid,
        "refused": ~granted,
    }
