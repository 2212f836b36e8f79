"""Billing of an order: invoices (deposit and balance), the payments made, and the
collection cases of invoices left unpaid.
"""

from __future__ import annotations

import numpy as np

from synthetic_crm import catalogue as cat
from synthetic_crm.draws import choice, round2
from synthetic_crm.frames import Frame
from synthetic_crm.identifiers import ibans, zfill
from synthetic_crm.timeline import DAY, NEVER, lognormal_seconds, uniform_seconds


def draw_billing(
    rng: np.random.Generator, orders: Frame, quotes: Frame, q: np.ndarray, financed: np.ndarray, dirty: float
) -> dict[str, Frame]:
    k = len(q)
    amount = quotes["amount_incl"][q]
    # A deposit (acompte) at order for some; the balance when the installation is complete.
    dep = np.flatnonzero(rng.random(k) < 0.35)
    fin = np.flatnonzero(orders["t_completed"] < NEVER)
    inv_order = np.concatenate([dep, fin])
    is_deposit = np.concatenate([np.ones(len(dep), bool), np.zeros(len(fin), bool)])
    has_deposit = np.zeros(k, dtype=bool)
    has_deposit[dep] = True
    issued = np.concatenate(
        [
            orders["t_created"][dep] + uniform_seconds(rng, len(dep), 0.2, 2),
            orders["t_completed"][fin] + uniform_seconds(rng, len(fin), 0.1, 3),
        ]
    )
    amt = np.concatenate([amount[dep] * 0.3, amount[fin] * np.where(has_deposit[fin], 0.7, 1.0)])
    amt = round2(amt)
    due_days = np.where(is_deposit, 15, 30)
    due = (issued // DAY + due_days) * DAY
    n = len(inv_order)
    cancelled = np.where(is_deposit, orders["t_cancelled"][inv_order], NEVER)
    behaviour = rng.choice(4, n, p=[0.83, 0.10, 0.03, 0.04])  # on time, late, partial, unpaid
    behaviour[cancelled < NEVER] = 0
    t_paid = np.select(
        [behaviour == 0, behaviour == 1],
        [issued + uniform_seconds(rng, n, 1, 28), due + lognormal_seconds(rng, n, 25, 0.8)],
        NEVER,
    )
    t_paid = np.where(cancelled < NEVER, NEVER, t_paid)
    partial_share = rng.uniform(0.3, 0.8, n)
    t_partial = np.where(behaviour == 2, issued + uniform_seconds(rng, n, 5, 30), NEVER)
    t_balance = np.where((behaviour == 2) & (rng.random(n) < 0.5), due + lognormal_seconds(rng, n, 60, 0.6), NEVER)
    t_recovered = np.where((behaviour == 3) & (rng.random(n) < 0.4), due + uniform_seconds(rng, n, 60, 200), NEVER)
    financed_inv = ~is_deposit & financed[orders["quote_row"][inv_order]]
    amount_out = amt.astype(object)
    neg = rng.random(n) < dirty / 4
    amount_out[neg] = -amt[neg]
    far_due = rng.random(n) < dirty / 10
    invoices = {
        "order_row": inv_order,
        "contact_row": orders["contact_row"][inv_order],
        "amount": amt,
        "amount_incl_tax_eur": amount_out,
        "is_deposit": is_deposit,
        "due_on": np.where(far_due, due + 365 * 70 * DAY, due),
        "status_typo": np.where(
            rng.random(n) < dirty / 3, np.array(cat.STATUS_TYPOS["invoices"], dtype=object)[rng.integers(0, 2, n)], None
        ),
        "t_created": issued,
        "t_due": due + DAY,
        "t_paid": t_paid,
        "t_partial": t_partial,
        "t_balance": t_balance,
        "t_recovered": t_recovered,
        "t_cancelled": cancelled,
    }

    # Payments: one per payment event.
    pay_rows, pay_t, pay_amt = [], [], []
    for t_ev, share in ((t_paid, 1.0), (t_partial, partial_share), (t_balance, 1 - partial_share), (t_recovered, 1.0)):
        sel = np.flatnonzero(t_ev < NEVER)
        pay_rows.append(sel)
        pay_t.append(t_ev[sel])
        pay_amt.append(round2(amt[sel] * (share[sel] if isinstance(share, np.ndarray) else share)))
    p_rows = np.concatenate(pay_rows)
    p_n = len(p_rows)
    method = choice(rng, {"virement": 0.40, "carte": 0.30, "cheque": 0.15, "prime": 0.15}, p_n)
    method = np.where(financed_inv[p_rows], "financement", method).astype(object)
    iban = np.where(method == "virement", ibans(rng, p_n), None)
    card = np.where(method == "carte", zfill(rng.integers(0, 10000, p_n), 4), None)
    payments = {
        "invoice_row": p_rows,
        "contact_row": invoices["contact_row"][p_rows],
        "amount_eur": np.concatenate(pay_amt),
        "method": method,
        "iban": iban,
        "card_last4": card,
        "t_created": np.concatenate(pay_t),
    }

    # Collection cases: invoices still unpaid 15 days after their due date.
    first_pay = np.minimum(np.minimum(t_paid, t_partial), t_recovered)
    overdue = (behaviour >= 1) & (first_pay > due + 15 * DAY) & (cancelled == NEVER)
    c = np.flatnonzero(overdue)
    opened = due[c] + 15 * DAY + rng.integers(8 * 3600, 18 * 3600, len(c))
    settle = np.minimum(np.minimum(t_paid[c], t_balance[c]), t_recovered[c])
    give_up = rng.random(len(c)) < 0.5
    closed = np.where(settle < NEVER, settle, np.where(give_up, opened + 365 * DAY, NEVER))
    recovered = np.where(settle < NEVER, amt[c], 0.0)
    cases = {
        "invoice_row": c,
        "contact_row": invoices["contact_row"][c],
        "recovered": round2(recovered),
        "t_created": opened,
        "t_demeure": opened + 30 * DAY,
        "t_external": opened + 75 * DAY,
        "t_closed": closed,
    }
    return {"invoices": invoices, "payments": payments, "collection_cases": cases}
