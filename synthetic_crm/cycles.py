"""Purchase cycles: a quote and its lines, financing, the order and its installation, then
what follows each order (billing, aids, after-sales).
"""

from __future__ import annotations

import numpy as np

from synthetic_crm import catalogue as cat
from synthetic_crm.aftersales import draw_service_tickets, draw_survey_responses
from synthetic_crm.aids import draw_aid_applications
from synthetic_crm.billing import draw_billing
from synthetic_crm.block import BlockContext, Rates
from synthetic_crm.draws import choice, round2
from synthetic_crm.frames import Frame
from synthetic_crm.identifiers import hex_ids, join
from synthetic_crm.reference_tables import (
    PRODUCT_CODES,
    PRODUCT_PER_M2,
    PRODUCT_PRICE,
    PRODUCT_VAT,
    PRODUCTS_BY_CATEGORY,
)
from synthetic_crm.timeline import DAY, NEVER, business_seconds, lognormal_seconds, uniform_seconds


def draw_cycle(
    rng: np.random.Generator,
    contacts: Frame,
    c_rows: np.ndarray,
    starts: np.ndarray,
    category: np.ndarray,
    rates: Rates,
    dirty: float,
    ctx: BlockContext,
) -> dict[str, Frame]:
    """Quote, order, installation, invoices and everything that follows, for one cycle each."""
    m = len(c_rows)
    out: dict[str, Frame] = {}

    # ---- quote and its lines
    t_created = starts + lognormal_seconds(rng, m, 5, 0.6)
    sent = rng.random(m) < rates.quote_sent
    t_sent = np.where(sent, t_created + lognormal_seconds(rng, m, 2, 0.7), NEVER)
    u = rng.random(m)
    channel = contacts["acquisition_channel"][c_rows]
    p_sign = rates.quote_signed * np.where(channel == "parrainage", 1.4, np.where(channel == "apporteur", 0.8, 1.0))
    signed = sent & (u < p_sign)
    refused = sent & ~signed & (u < p_sign + rates.quote_refused)
    expired = sent & ~signed & ~refused
    t_signed = np.where(signed, t_sent + lognormal_seconds(rng, m, 9, 0.8), NEVER)
    t_refused = np.where(refused, t_sent + lognormal_seconds(rng, m, 15, 0.7), NEVER)
    t_expired = np.where(expired, t_sent + 90 * DAY, NEVER)

    lines = _quote_lines(rng, category, contacts["house"][c_rows], dirty)
    excl = np.bincount(lines["quote_row"], weights=lines["amount_excl"], minlength=m)
    incl = np.bincount(lines["quote_row"], weights=lines["amount_incl"], minlength=m)
    same_site = rng.random(m) < 0.93
    other_pc = np.array([c[0] for d in cat.IDF_COMMUNES.values() for c in d], dtype=object)
    site_pc = np.where(same_site, contacts["postcode"][c_rows], other_pc[rng.integers(0, len(other_pc), m)])
    total_excl = round2(excl).astype(object)
    total_incl = round2(incl).astype(object)
    missing = rng.random(m) < dirty / 2
    total_excl[missing] = None
    total_incl[missing] = None
    negative = ~missing & (rng.random(m) < dirty / 4)
    total_excl[negative] = -round2(excl[negative])
    status_typo = signed & (rng.random(m) < dirty / 3)
    quotes = {
        "contact_row": c_rows,
        "sales_rep_id": rng.integers(1, ctx.n_sales_reps + 1, m),
        "site_postcode": site_pc,
        "total_excl_tax_eur": total_excl,
        "total_incl_tax_eur": total_incl,
        "status_typo": np.where(
            status_typo, np.array(cat.STATUS_TYPOS["quotes"], dtype=object)[rng.integers(0, 3, m)], None
        ),
        "t_created": t_created,
        "t_sent": t_sent,
        "t_signed": t_signed,
        "t_refused": t_refused,
        "t_expired": t_expired,
        "category": category,
        "amount_incl": incl,
    }
    out["quotes"] = quotes
    lines["t_created"] = t_created[lines["quote_row"]]
    lines["contact_row"] = c_rows[lines["quote_row"]]
    out["quote_lines"] = lines

    # ---- financing, asked once the quote is sent
    fin = sent & (rng.random(m) < rates.financing * np.where(incl > 8000, 1.5, 0.6))
    f = np.flatnonzero(fin)
    t_req = t_sent[f] + uniform_seconds(rng, len(f), 1, 10)
    t_dec = t_req + lognormal_seconds(rng, len(f), 3, 0.6)
    decided = rng.random(len(f)) < 0.97
    accepted = rng.random(len(f)) < rates.financing_accepted
    out["financing_requests"] = {
        "quote_row": f,
        "contact_row": c_rows[f],
        "partner": choice(rng, cat.FINANCING_PARTNERS, len(f)),
        "amount_eur": round2(incl[f] * rng.uniform(0.5, 1.0, len(f)) / 100) * 100,
        "accepted": accepted,
        "t_created": t_req,
        "t_decided": np.where(decided, t_dec, NEVER),
    }
    financed = np.zeros(m, dtype=bool)
    financed[f[accepted & decided]] = True

    # ---- order, from the signed quote
    q = np.flatnonzero(signed)
    k = len(q)
    t_ordered = t_signed[q] + rng.integers(0, 2 * DAY, k)
    cancelled = rng.random(k) < rates.order_cancelled
    t_cancelled = np.where(cancelled, t_ordered + uniform_seconds(rng, k, 1, 14), NEVER)
    t_planned = t_ordered + lognormal_seconds(rng, k, 6, 0.5)
    planned = t_planned < t_cancelled
    scheduled_for = (t_planned + lognormal_seconds(rng, k, 24, 0.5)) // DAY * DAY
    completes = planned & (rng.random(k) < rates.installation_completed)
    t_completed = np.where(completes, scheduled_for + business_seconds(rng, k), NEVER)
    t_completed = np.where(t_completed < t_cancelled, t_completed, NEVER)
    t_planned = np.where(planned, t_planned, NEVER)
    o_rows = c_rows[q]
    same_addr = rng.random(k) < 0.93
    orders = {
        "quote_row": q,
        "contact_row": o_rows,
        "site_address_line": np.where(same_addr, contacts["address_line"][o_rows], None),
        "site_postcode": site_pc[q],
        "site_city": np.where(same_addr, contacts["city"][o_rows], None),
        "status_typo": np.where(
            rng.random(k) < dirty / 3, np.array(cat.STATUS_TYPOS["orders"], dtype=object)[rng.integers(0, 2, k)], None
        ),
        "t_created": t_ordered,
        "t_cancelled": t_cancelled,
        "t_planned": t_planned,
        "t_completed": t_completed,
        "category": category[q],
    }
    out["orders"] = orders

    # ---- installation, once the order is planned
    i = np.flatnonzero(planned)
    sched_typo = rng.random(len(i)) < dirty / 5
    out["installations"] = {
        "order_row": i,
        "contact_row": o_rows[i],
        "technician_id": rng.integers(1, ctx.n_technicians + 1, len(i)),
        "scheduled_for": np.where(sched_typo, scheduled_for[i] + 3650 * DAY, scheduled_for[i]),
        "before_photo_url": np.where(
            rng.random(len(i)) < 0.7,
            join("https://photos.mgreen.example/chantiers/", hex_ids(rng, len(i)), ".jpg"),
            None,
        ),
        "t_created": t_planned[i],
        "t_completed": t_completed[i],
    }

    out.update(draw_billing(rng, orders, quotes, q, financed, dirty))
    out["aid_applications"] = draw_aid_applications(rng, contacts, orders, lines, q, dirty)
    out["service_tickets"] = draw_service_tickets(rng, orders, dirty)
    out["survey_responses"] = draw_survey_responses(rng, orders, rates)
    return out


def _quote_lines(rng: np.random.Generator, category: np.ndarray, house: np.ndarray, dirty: float) -> Frame:
    m = len(category)
    # Main line in the category of interest; sometimes a complementary second or third line.
    extra1 = rng.random(m) < 0.30
    extra2 = extra1 & (rng.random(m) < 0.30)
    complement = np.array([2, 7, 4, 4, 5, 4, 2, 4])  # what goes with each category
    cats = [category, np.where(rng.random(m) < 0.6, complement[category], rng.integers(0, 8, m)), rng.integers(0, 8, m)]
    rows = [np.arange(m), np.flatnonzero(extra1), np.flatnonzero(extra2)]
    quote_row = np.concatenate(rows)
    line_no = np.concatenate([np.full(len(r), j + 1) for j, r in enumerate(rows)])
    line_cat = np.concatenate([c[r] for c, r in zip(cats, rows)])
    product = np.empty(len(quote_row), dtype=np.int64)
    for c, choices in enumerate(PRODUCTS_BY_CATEGORY):
        sel = np.flatnonzero(line_cat == c)
        product[sel] = choices[rng.integers(0, len(choices), len(sel))]
    per_m2 = PRODUCT_PER_M2[product]
    qty = np.where(
        per_m2, np.round(rng.uniform(35, 160, len(product))), np.where(rng.random(len(product)) < 0.05, 2, 1)
    ).astype(float)
    unit = round2(PRODUCT_PRICE[product] * rng.uniform(0.92, 1.05, len(product)))
    code = PRODUCT_CODES[product].copy()
    odd = rng.random(len(code)) < dirty / 4
    code[odd] = np.where(rng.random(int(odd.sum())) < 0.5, None, "ANCIEN-REF-01")
    return {
        "quote_row": quote_row,
        "line_no": line_no,
        "product_code": code,
        "quantity": qty,
        "unit_price_excl_tax_eur": unit,
        "amount_excl": qty * unit,
        "amount_incl": qty * unit * (1 + PRODUCT_VAT[product]),
    }
