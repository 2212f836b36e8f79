"""Web visits the CRM knows about: form submissions, simulations, prospects reading their quote."""

from __future__ import annotations

import numpy as np

from synthetic_crm.frames import Frame
from synthetic_crm.identifiers import hex_ids
from synthetic_crm.timeline import NEVER, uniform_seconds


def draw_web_visits(rng: np.random.Generator, contacts: Frame, out: dict[str, Frame], sim_visits: Frame) -> Frame:
    """Sessions on the website that the CRM knows about (forms, simulations, returning clients)."""
    # Web-form contacts submitted their form in a session at creation.
    req = out["requests"]
    first = req["seq"] == 0
    web_first = first & (contacts["acquisition_channel"][req["contact_row"]] == "formulaire_web")
    kind = req["kind"][web_first]
    form = np.where(kind == "rendez_vous", "rendez_vous", kind).astype(object)
    rows = req["contact_row"][web_first]
    t = req["t_created"][web_first] - rng.integers(60, 900, len(rows))
    # Prospects with a quote come back to read it.
    quotes = out["quotes"]
    back = np.flatnonzero((quotes["t_sent"] < NEVER) & (rng.random(len(quotes["t_sent"])) < 0.3))
    b_rows = quotes["contact_row"][back]
    b_t = quotes["t_sent"][back] + uniform_seconds(rng, len(back), 0.1, 3)
    contact_id = contacts["contact_id"]
    sim_rows = sim_visits["contact_row"]
    return {
        "session_id": np.concatenate([hex_ids(rng, len(rows)), sim_visits["session_id"], hex_ids(rng, len(back))]),
        "t": np.concatenate([t, sim_visits["t"], b_t]),
        "contact_id": np.concatenate(
            [
                contact_id[rows],
                np.where(sim_rows >= 0, contact_id[np.maximum(sim_rows, 0)], -1),
                contact_id[b_rows],
            ]
        ),
        "form": np.concatenate([form, sim_visits["form"], np.full(len(back), None, dtype=object)]),
        "owner": np.concatenate(
            [
                contact_id[rows],
                np.where(sim_rows >= 0, contact_id[np.maximum(sim_rows, 0)], -1),
                contact_id[b_rows],
            ]
        ),
    }
