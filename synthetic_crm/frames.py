"""Frames, the shape every table of the population is drawn in: equal-length numpy columns.

Columns starting with ``t_`` are instants (int64 seconds, ``NEVER`` when the event does not
happen); ``owner`` is the contact id whose erasure removes the row.
"""

from __future__ import annotations

import numpy as np

Frame = dict[str, np.ndarray]

TABLE_ORDER: tuple[str, ...] = (
    "staff",
    "products",
    "contacts",
    "consents",
    "simulations",
    "requests",
    "calls",
    "quotes",
    "quote_lines",
    "orders",
    "installations",
    "invoices",
    "payments",
    "collection_cases",
    "financing_requests",
    "aid_applications",
    "service_tickets",
    "survey_responses",
    "referrals",
    "privacy_requests",
)
# Tables whose rows are born in blocks (staff and products are reference tables).
BLOCK_TABLES: tuple[str, ...] = TABLE_ORDER[2:] + ("web_visits",)


def assign_ids(frame: Frame, born: np.ndarray, offset: int) -> np.ndarray:
    order = np.argsort(born, kind="stable")
    ids = np.empty(len(born), dtype=np.int64)
    ids[order] = offset + 1 + np.arange(len(born), dtype=np.int64)
    frame["id"] = ids
    return ids


def concat_frames(frames: list[Frame]) -> Frame:
    """Stack frames with the same columns (empty frames skipped)."""
    frames = [f for f in frames if f]
    if not frames:
        return {}
    keys = frames[0].keys()
    return {k: np.concatenate([f[k] for f in frames]) for k in keys}
