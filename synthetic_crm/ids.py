"""Ids and references: ids in creation order, row references turned into CRM ids, the
orphans planted on purpose, and the contact who owns each row.
"""

from __future__ import annotations

import numpy as np

from synthetic_crm.frames import Frame, assign_ids

# Orphans point at ids the CRM never assigned, far above any real id.
ORPHAN_ID_BASE = 900_000_000

# Parent of each table's rows: (row column, parent table, FK column in the CRM).
_PARENTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "consents": (("contact_row", "contacts", "contact_id"),),
    "requests": (("contact_row", "contacts", "contact_id"),),
    "simulations": (("contact_row", "contacts", "contact_id"),),
    "calls": (("contact_row", "contacts", "contact_id"),),
    "quotes": (("contact_row", "contacts", "contact_id"),),
    "quote_lines": (("quote_row", "quotes", "quote_id"),),
    "orders": (("quote_row", "quotes", "quote_id"), ("contact_row", "contacts", "contact_id")),
    "installations": (("order_row", "orders", "order_id"),),
    "invoices": (("order_row", "orders", "order_id"),),
    "payments": (("invoice_row", "invoices", "invoice_id"),),
    "collection_cases": (("invoice_row", "invoices", "invoice_id"),),
    "financing_requests": (("quote_row", "quotes", "quote_id"), ("contact_row", "contacts", "contact_id")),
    "aid_applications": (("order_row", "orders", "order_id"), ("contact_row", "contacts", "contact_id")),
    "service_tickets": (("order_row", "orders", "order_id"), ("contact_row", "contacts", "contact_id")),
    "survey_responses": (("order_row", "orders", "order_id"), ("contact_row", "contacts", "contact_id")),
}
# Where the documented relationship is broken on purpose (dirty data): share of rows whose
# reference points at an id that never existed.
ORPHAN_TABLES: dict[str, str] = {
    "quotes": "contact_id",
    "orders": "quote_id",
    "invoices": "order_id",
    "payments": "invoice_id",
    "quote_lines": "quote_id",
}


def finalise_ids(out: dict[str, Frame], offsets: dict[str, int], dirty: float, rng: np.random.Generator) -> None:
    """Give ids in creation order, then turn row references into CRM ids."""
    for table in (
        "requests",
        "quotes",
        "orders",
        "installations",
        "invoices",
        "payments",
        "collection_cases",
        "financing_requests",
        "aid_applications",
        "service_tickets",
        "survey_responses",
    ):
        if table in out and out[table]:
            assign_ids(out[table], out[table]["t_created"], offsets[table])
    for table, parents in _PARENTS.items():
        frame = out.get(table)
        if not frame:
            continue
        for row_col, parent, fk in parents:
            rows = frame[row_col]
            parent_ids = out[parent]["id"]
            ids = np.where(rows >= 0, parent_ids[np.maximum(rows, 0)] if len(parent_ids) else -1, -1)
            frame[fk] = np.where(rows >= 0, ids, None).astype(object)
    for table, fk in ORPHAN_TABLES.items():
        frame = out.get(table)
        if not frame:
            continue
        if table == "quote_lines":
            # All lines of a quote lose it together (the key stays unique with line_no).
            lost = rng.random(len(out["quotes"]["id"])) < dirty / 5
            orphan = lost[frame["quote_row"]]
            ghost = ORPHAN_ID_BASE + out["quotes"]["id"][frame["quote_row"]]
        else:
            orphan = rng.random(len(frame["id"])) < dirty / 5
            ghost = ORPHAN_ID_BASE + frame["id"]
        frame["orphan"] = orphan
        frame[fk] = np.where(orphan, ghost, frame[fk]).astype(object)


def attach_owners(out: dict[str, Frame], cid: np.ndarray) -> None:
    """The contact whose erasure removes each row (-1: nobody's, e.g. an anonymous simulation)."""
    out["contacts"]["owner"] = cid
    for frame in out.values():
        if not frame or "contact_row" not in frame:
            continue
        rows = frame.get("owner_row", frame["contact_row"])
        frame["owner"] = np.where(rows >= 0, cid[np.maximum(rows, 0)], -1)
