"""The synthetic business, simulated as whole lifecycles drawn at once.

Every entity (contact, quote, order, invoice, ...) is drawn with all the instants of its
future: when it is created, sent, signed, cancelled, paid, closed. The CRM as it stands at an
instant T is then a pure projection (see ``projection.py``): rows born at or before T, with
the status and ``updated_at`` they have at T. Advancing the source by D days is the
difference between two projections, so a nightly increment changes exactly what the
business did in those days.

A *block* is the population of contacts created over a run of days, drawn from one random
stream: the base block covers ``start..end`` of the first generation; each later day is a
block of its own, so advancing by 3 days or by 1 day three times gives the same source.

Each table is a ``Frame`` (``frames.py``). A block is drawn here, one subject a module:
``contacts``, ``demand``, ``cycles`` (with ``billing``, ``aids`` and ``aftersales``),
``ids`` for ids and references, and ``web_visits``.
"""

from __future__ import annotations

import numpy as np

from synthetic_crm import catalogue as cat
from synthetic_crm.block import BlockContext, BlockSpec, Rates
from synthetic_crm.contacts import draw_consents, draw_contacts, draw_privacy_requests, draw_referrals
from synthetic_crm.cycles import draw_cycle
from synthetic_crm.demand import draw_calls, draw_requests, draw_simulations
from synthetic_crm.draws import choice, maybe, stream_rng
from synthetic_crm.frames import Frame, concat_frames
from synthetic_crm.ids import attach_owners, finalise_ids
from synthetic_crm.pools import Pools
from synthetic_crm.timeline import NEVER, uniform_seconds
from synthetic_crm.web_visits import draw_web_visits

# Row references inside a cycle, and the table they point into.
_ROW_REFS = {"quote_row": "quotes", "order_row": "orders", "invoice_row": "invoices"}


def _concat_cycles(first: dict[str, Frame], second: dict[str, Frame]) -> dict[str, Frame]:
    """Stack two cycles' tables, shifting the second's row references past the first's rows."""
    merged = {}
    for table in first:
        shifted = dict(second[table])
        for col, parent in _ROW_REFS.items():
            if col in shifted and parent in first:
                ref = shifted[col]
                shifted[col] = np.where(ref >= 0, ref + len(first[parent]["contact_row"]), ref)
        merged[table] = concat_frames([first[table], shifted])
    return merged


def simulate_block(
    seed: int, dirty: float, pools: Pools, spec: BlockSpec, ctx: BlockContext, rates: Rates = Rates()
) -> dict[str, Frame]:
    """Draw every lifecycle of one block of contacts; returns a Frame per table."""
    t0 = spec.created
    out: dict[str, Frame] = {}
    r = lambda stream: stream_rng(seed, spec.tag, stream)  # noqa: E731

    contacts = draw_contacts(r("contacts"), pools, t0, dirty, spec.id_offsets["contacts"])
    out["contacts"] = contacts
    cid = contacts["contact_id"]

    out["consents"] = draw_consents(r("consents"), contacts, spec.id_offsets["consents"])
    requests = draw_requests(r("requests"), contacts, rates, dirty, spec.id_offsets["requests"])
    out["requests"] = requests
    sims, visits = draw_simulations(r("simulations"), contacts, requests, rates, dirty, spec)
    out["simulations"] = sims
    out["calls"] = draw_calls(r("calls"), contacts, dirty, spec.id_offsets["calls"])

    # First purchase cycle: from the contact's first request that asks for a quote.
    first_req = requests["seq"] == 0
    kinds = requests["kind"][first_req]
    p_quote = np.select(
        [kinds == "devis", kinds == "rendez_vous"],
        [rates.quote_after_request["devis"], rates.quote_after_request["rendez_vous"]],
        rates.quote_after_request["contact"],
    )
    rq = r("cycle1")
    wants = rq.random(len(kinds)) < p_quote
    c_rows = requests["contact_row"][first_req][wants]
    starts = requests["t_created"][first_req][wants]
    cycle1 = draw_cycle(rq, contacts, c_rows, starts, contacts["interest"][c_rows], rates, dirty, ctx)

    # Repeat clients come back one to three years after their installation.
    rr = r("cycle2")
    inst1 = cycle1["installations"]
    done = inst1["t_completed"] < NEVER
    back = done & maybe(rr, rates.repeat_client, len(done))
    rows2 = inst1["contact_row"][back]
    starts2 = inst1["t_completed"][back] + uniform_seconds(rr, int(back.sum()), 200, 1100)
    other_cat = (contacts["interest"][rows2] + rr.integers(1, len(cat.CATEGORIES), len(rows2))) % len(cat.CATEGORIES)
    cycle2 = draw_cycle(rr, contacts, rows2, starts2, other_cat, rates, dirty, ctx)
    # A returning client writes a new request before the new quote.
    extra_requests = {
        "contact_row": rows2,
        "seq": np.full(len(rows2), 9, dtype=np.int64),
        "kind": np.full(len(rows2), "devis", dtype=object),
        "channel": choice(rr, {"telephone": 0.5, "web": 0.35, "email": 0.15}, len(rows2)),
        "product_interest": np.array(cat.CATEGORIES, dtype=object)[other_cat],
        "message": np.full(len(rows2), None, dtype=object),
        "t_created": starts2 - uniform_seconds(rr, len(rows2), 1, 6),
    }

    out.update(_concat_cycles(cycle1, cycle2))
    out["requests"] = concat_frames([requests, extra_requests])

    # Ids in creation order, then references resolved from rows to ids.
    finalise_ids(out, spec.id_offsets, dirty, r("ids"))
    out["referrals"] = draw_referrals(r("referrals"), contacts, out, ctx, spec.id_offsets["referrals"])
    out["privacy_requests"] = draw_privacy_requests(r("privacy"), contacts, rates, spec.id_offsets["privacy_requests"])
    out["web_visits"] = draw_web_visits(r("visits"), contacts, out, visits)
    attach_owners(out, cid)
    return out
