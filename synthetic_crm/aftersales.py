"""After-sales of completed installations: service tickets and satisfaction surveys."""

from __future__ import annotations

import numpy as np

from synthetic_crm.block import Rates
from synthetic_crm.draws import choice
from synthetic_crm.frames import Frame
from synthetic_crm.timeline import DAY, NEVER, lognormal_seconds

_TICKET_TEXT = {
    "panne": (
        "La pompe à chaleur affiche un code erreur.",
        "Plus d'eau chaude depuis hier.",
        "L'unité extérieure fait du bruit.",
    ),
    "entretien": ("Entretien annuel à planifier.", "Visite d'entretien demandée."),
    "reclamation": ("Les finitions ne sont pas faites.", "Le technicien n'est pas venu au rendez-vous."),
    "garantie": ("Pièce défectueuse sous garantie.", "Fuite sur le raccord, sous garantie."),
}


def draw_service_tickets(rng: np.random.Generator, orders: Frame, dirty: float) -> Frame:
    done = np.flatnonzero(orders["t_completed"] < NEVER)
    count = rng.poisson(0.25, len(done))
    rows = np.repeat(done, count)
    n = len(rows)
    opened = orders["t_completed"][rows] + (rng.exponential(260, n) * DAY).astype(np.int64) + DAY
    category = choice(rng, {"panne": 0.35, "entretien": 0.30, "reclamation": 0.15, "garantie": 0.20}, n)
    warranty = (opened - orders["t_completed"][rows]) < 2 * 365 * DAY
    warranty = np.where(category == "garantie", True, warranty).astype(object)
    warranty[rng.random(n) < dirty] = None
    closes = rng.random(n) < 0.94
    closed = np.where(closes, opened + lognormal_seconds(rng, n, 6, 0.9), NEVER)
    text = np.empty(n, dtype=object)
    for name, options in _TICKET_TEXT.items():
        sel = np.flatnonzero(category == name)
        text[sel] = np.array(options, dtype=object)[rng.integers(0, len(options), len(sel))]
    orphan = rng.random(n) < 0.05
    return {
        "order_row": np.where(orphan, -1, rows),
        "contact_row": orders["contact_row"][rows],
        "category": category,
        "under_warranty": warranty,
        "description": text,
        "t_created": opened,
        "t_closed": closed,
    }


_COMMENTS = {
    "promoter": (
        "Équipe très professionnelle, je recommande.",
        "Installation propre et rapide.",
        "Très satisfait de ma pompe à chaleur.",
    ),
    "passive": ("Correct mais délais un peu longs.", "Bon travail, communication à améliorer."),
    "detractor": (
        "Chantier en retard et mal suivi.",
        "Facture plus élevée que prévu.",
        "Toujours pas de nouvelles pour le dossier d'aide.",
    ),
}


def draw_survey_responses(rng: np.random.Generator, orders: Frame, rates: Rates) -> Frame:
    done = np.flatnonzero(
        (orders["t_completed"] < NEVER) & (rng.random(len(orders["t_completed"])) < rates.survey_sent)
    )
    n = len(done)
    sent = orders["t_completed"][done] + 7 * DAY
    answered = rng.random(n) < rates.survey_answered
    t_answer = np.where(answered, sent + lognormal_seconds(rng, n, 2, 0.9), NEVER)
    score = rng.choice(11, n, p=[0.02, 0.01, 0.02, 0.02, 0.03, 0.05, 0.06, 0.10, 0.15, 0.24, 0.30])
    group = np.where(score >= 9, "promoter", np.where(score >= 7, "passive", "detractor"))
    comment = np.full(n, None, dtype=object)
    for name, options in _COMMENTS.items():
        sel = np.flatnonzero((group == name) & (rng.random(n) < 0.45))
        comment[sel] = np.array(options, dtype=object)[rng.integers(0, len(options), len(sel))]
    return {
        "order_row": done,
        "contact_row": orders["contact_row"][done],
        "score": score,
        "comment": comment,
        "t_created": sent,
        "t_answered": t_answer,
    }
