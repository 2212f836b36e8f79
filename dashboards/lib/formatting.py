"""French formats for numbers, money, rates and dates; suppressed cells as "secret statistique"."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

SECRET = "secret statistique"
# An open cell whose rows retention has begun to purge (mart_orders_monthly: cancelled orders).
RETENTION = "hors conservation"
NBSP = "\u00a0"  # thousands and units are separated by non-breaking spaces in French
MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
MONTHS_LONG = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

DEPARTEMENTS = {
    "75": "Paris",
    "77": "Seine-et-Marne",
    "78": "Yvelines",
    "91": "Essonne",
    "92": "Hauts-de-Seine",
    "93": "Seine-Saint-Denis",
    "94": "Val-de-Marne",
    "95": "Val-d'Oise",
    "hors_idf": "Hors Île-de-France",
    "inconnu": "Inconnu",
    "Tous": "Tous",
}
CATEGORIES = {
    "pompe_a_chaleur_air_eau": "Pompe à chaleur air/eau",
    "pompe_a_chaleur_air_air": "Pompe à chaleur air/air",
    "ballon_thermodynamique": "Ballon thermodynamique",
    "chaudiere_granules": "Chaudière à granulés",
    "isolation_combles": "Isolation des combles",
    "isolation_murs": "Isolation des murs",
    "panneaux_solaires": "Panneaux solaires",
    "vmc": "VMC",
    "non_renseignee": "Non renseignée",
    "Tous": "Toutes",
}
CHANNELS = {
    "formulaire_web": "Formulaire web",
    "telephone": "Téléphone",
    "apporteur": "Apporteur d'affaires",
    "parrainage": "Parrainage",
    "salon": "Salon",
    "inconnu": "Inconnu",
    "Tous": "Tous",
}
STAGES = {
    "prospect": "Prospects",
    "demande": "Demande",
    "devis_envoye": "Devis envoyé",
    "devis_signe": "Devis signé",
    "installe": "Installé",
    "paye": "Payé",
}
MPR_CATEGORIES = {
    "bleu": "Bleu (très modestes)",
    "jaune": "Jaune (modestes)",
    "violet": "Violet (intermédiaires)",
    "rose": "Rose (supérieurs)",
    "inconnue": "Inconnue",
    "Tous": "Toutes",
}
SCHEMES = {"maprimerenov": "MaPrimeRénov'", "cee": "Prime CEE", "eco_ptz": "Éco-PTZ", "Tous": "Tous"}
WEB_SOURCES = {
    "search": "Moteurs de recherche",
    "social": "Réseaux sociaux",
    "email": "E-mailing",
    "display": "Bannières (display)",
    "affiliate": "Affiliation",
    "direct": "Accès direct",
    "inconnu": "Autre source",
    "Tous": "Toutes",
}
DEVICES = {"mobile": "Mobile", "desktop": "Ordinateur", "tablet": "Tablette", "inconnu": "Inconnu", "Tous": "Tous"}
WEB_STEPS = {
    "sessions": "Sessions",
    "avec_formulaire": "Avec formulaire",
    "simulation": "Simulation",
    "devis": "Devis",
    "contact": "Contact",
    "rendez_vous": "Rendez-vous",
}
TICKET_CATEGORIES = {
    "panne": "Panne",
    "entretien": "Entretien",
    "reclamation": "Réclamation",
    "garantie": "Garantie",
    "inconnu": "Inconnue",
    "Tous": "Toutes",
}


def _missing(value) -> bool:
    return value is None or bool(pd.isna(value))


def _group(integer_text: str) -> str:
    digits = integer_text.lstrip("-")
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return ("-" if integer_text.startswith("-") else "") + NBSP.join(groups)


def count_or_note(value) -> str:
    """A count, or the note that stands in for it (``RETENTION``)."""
    return value if isinstance(value, str) else number(value)


def number(value, decimals: int = 0) -> str:
    """1234567.8 -> '1 234 568' (or with decimals '1 234 567,80')."""
    if _missing(value):
        return SECRET
    text = f"{float(value):.{decimals}f}"
    integer, _, fraction = text.partition(".")
    return _group(integer) + ("," + fraction if fraction else "")


def euros(value, decimals: int = 0) -> str:
    return SECRET if _missing(value) else f"{number(value, decimals)}{NBSP}€"


def percent(rate, decimals: int = 1) -> str:
    """A rate (0.125) as '12,5 %'."""
    return SECRET if _missing(rate) else f"{number(100 * float(rate), decimals)}{NBSP}%"


def days(value) -> str:
    """A delay in days: '12 jours'."""
    return SECRET if _missing(value) else f"{number(value)} jours"


def score(value, decimals: int = 0) -> str:
    """An NPS (-100..100) with its sign."""
    if _missing(value):
        return SECRET
    text = number(value, decimals)
    return text if float(value) <= 0 else "+" + text


def day(value: date | datetime | None) -> str:
    return "" if value is None else value.strftime("%d/%m/%Y")


def day_time(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%d/%m/%Y %H:%M")


def month(value: date | datetime) -> str:
    return f"{MONTHS[value.month - 1]} {value.year}"


def month_long(value: date | datetime) -> str:
    return f"{MONTHS_LONG[value.month - 1]} {value.year}"


def label(mapping: dict[str, str], code: str | None) -> str:
    return mapping.get(code or "", code or "")
