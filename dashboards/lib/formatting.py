"""French formats for numbers, money, rates and dates; secret cells as "secret statistique".

A published figure ``x`` is NULL where its flag ``x_secret`` is set (secret statistique), and
may be NULL without its flag for another reason (a ratio or a median over nobody, a stock not
published while the month is provisional, a count retention has cut into): ``page.show_table`` writes such cells
with a note (a string), which every formatter here passes through unchanged.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

SECRET = "secret statistique"
# An open cell whose rows retention has begun to purge (mart_orders_monthly: cancelled orders).
RETENTION = "hors conservation"
# A figure the mart does not publish for that period (a median or a rate of a provisional month).
NOT_PUBLISHED = "non publié"
# A period still open: its headline published rounded, final once it closes (publication_periods).
PROVISIONAL = "provisoire"
# Nothing to measure: a rate or a median over no one (NULL, and not secret).
NO_VALUE = "–"
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
SCHEMES = {
    "maprimerenov": "MaPrimeRénov'",
    "cee": "Prime CEE",
    "eco_ptz": "Éco-PTZ",
    "inconnu": "Dispositif inconnu",
    "Tous": "Tous",
}
# The partners on the allow-list are published under their own name; the others are grouped.
FINANCING_PARTNERS = {"autre": "Autre partenaire", "inconnu": "Partenaire inconnu", "Tous": "Tous"}
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
# The web marts' figures under their step's label (mart_web_funnel_daily and _monthly).
WEB_FIGURES = {
    "n_sessions": WEB_STEPS["sessions"],
    "n_sessions_with_form": WEB_STEPS["avec_formulaire"],
    "n_form_simulation": WEB_STEPS["simulation"],
    "n_form_devis": WEB_STEPS["devis"],
    "n_form_contact": WEB_STEPS["contact"],
    "n_form_rendez_vous": WEB_STEPS["rendez_vous"],
}
TICKET_CATEGORIES = {
    "panne": "Panne",
    "entretien": "Entretien",
    "reclamation": "Réclamation",
    "garantie": "Garantie",
    "inconnu": "Inconnue",
    "Tous": "Toutes",
}


# What each rule of mart_compliance_monthly counts: the persons erased, or the rows each
# retention rule of the privacy policy removed.
COMPLIANCE_RULES = {
    "effacement": "Effacements (personnes)",
    "prospects": "Prospects non clients (3 ans)",
    "client_prospecting": "Prospection des clients (3 ans)",
    "billing": "Facturation (relation + 10 ans)",
    "opposition_lists": "Listes d'opposition (3 ans)",
    "browsing_data": "Navigation web (13 mois)",
    "unlinked_prospects": "Lignes sans contact connu (3 ans)",
}

# What each retention rule keeps, and the clock its limit runs from (the privacy policy's words).
RETENTION_CLOCKS = {
    "prospects": "Prospects non clients : depuis la collecte ou le dernier contact",
    "client_prospecting": "Prospection des clients : depuis la dernière livraison, intervention ou le dernier contact",
    "billing": "Commandes et facturation : depuis la fin de la relation",
    "opposition_lists": "Listes d'opposition : depuis la collecte",
    "browsing_data": "Navigation web et cookies : depuis la visite",
    "unlinked_prospects": "Lignes sans contact connu : depuis la collecte",
}


def duration(months: int) -> str:
    """A retention period: '3 ans', '13 mois'."""
    return f"{months // 12} ans" if months % 12 == 0 else f"{months} mois"


def _missing(value) -> bool:
    return value is None or bool(pd.isna(value))


def below(k: int) -> str:
    """A secret count, where the reader may know it is small: '< 5'."""
    return f"<{NBSP}{int(k)}"


def _group(integer_text: str) -> str:
    digits = integer_text.lstrip("-")
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return ("-" if integer_text.startswith("-") else "") + NBSP.join(groups)


def number(value, decimals: int = 0) -> str:
    """1234567.8 -> '1 234 568' (or with decimals '1 234 567,80')."""
    if isinstance(value, str):
        return value
    if _missing(value):
        return SECRET
    text = f"{float(value):.{decimals}f}"
    integer, _, fraction = text.partition(".")
    return _group(integer) + ("," + fraction if fraction else "")


def euros(value, decimals: int = 0) -> str:
    if isinstance(value, str):
        return value
    return SECRET if _missing(value) else f"{number(value, decimals)}{NBSP}€"


def percent(rate, decimals: int = 1) -> str:
    """A rate (0.125) as '12,5 %'."""
    if isinstance(rate, str):
        return rate
    return SECRET if _missing(rate) else f"{number(100 * float(rate), decimals)}{NBSP}%"


def days(value) -> str:
    """A delay in days: '12 jours'."""
    if isinstance(value, str):
        return value
    return SECRET if _missing(value) else f"{number(value)} jours"


def score(value, decimals: int = 0) -> str:
    """An NPS (-100..100) with its sign."""
    if isinstance(value, str):
        return value
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


def quarter(value: date | datetime) -> str:
    """A quarter by its first day: 'T1 2026'."""
    return f"T{(value.month - 1) // 3 + 1} {value.year}"


def month_long(value: date | datetime) -> str:
    return f"{MONTHS_LONG[value.month - 1]} {value.year}"


def label(mapping: dict[str, str], code: str | None) -> str:
    return mapping.get(code or "", code or "")


# The published marts, as the compliance page names them.
MARTS = {
    "mart_orders_monthly": "Commandes",
    "mart_clients_monthly": "Clients",
    "mart_funnel_cohorts": "Entonnoir (cohortes)",
    "mart_web_funnel_monthly": "Trafic web (mois)",
    "mart_web_funnel_daily": "Trafic web (jours)",
    "mart_aid_dossiers_monthly": "Aides (mois)",
    "mart_aid_dossiers_quarterly": "Aides (trimestres, revenus)",
    "mart_financing_monthly": "Financement",
    "mart_unpaid_monthly": "Impayés",
    "mart_after_sales_monthly": "SAV",
    "mart_satisfaction_monthly": "Satisfaction",
    "mart_compliance_monthly": "Effacements et purges",
}
# Every table of the published file, for the DPO: the marts and the publication's own tables.
TABLES = {
    **MARTS,
    "publication": "Publication",
    "publication_history": "Historique des publications",
    "retention_status": "Durées de conservation",
    "publication_periods": "Statut des périodes",
    "publication_revisions": "Révisions",
    "guard_results": "Résultats des contrôles",
    "disclosure_rules": "Règles de secret",
}
# The privacy guard's rules (guard_results.rule), for the DPO.
GUARD_RULES = {
    "key_column": "Colonne de clé ou d'identifiant",
    "name_column": "Colonne de nom",
    "email_column": "Colonne d'e-mail",
    "phone_column": "Colonne de téléphone",
    "address_column": "Colonne d'adresse",
    "bank_column": "Colonne bancaire (IBAN)",
    "tax_column": "Colonne fiscale (avis d'imposition, revenus)",
    "ip_column": "Colonne d'adresse IP",
    "free_text_column": "Colonne de texte libre",
    "email_values": "Valeur ressemblant à un e-mail",
    "phone_values": "Valeur ressemblant à un téléphone",
    "iban_values": "Valeur ressemblant à un IBAN",
    "ipv4_values": "Valeur ressemblant à une adresse IPv4",
    "ipv6_values": "Valeur ressemblant à une adresse IPv6",
    "street_address_values": "Valeur ressemblant à une adresse postale",
    "tax_number_values": "Valeur ressemblant à un numéro fiscal",
    "hex_digest_values": "Valeur ressemblant à un pseudonyme (empreinte)",
    "raw_identifier_values": "Identifiant du CRM publié tel quel",
    "grain_all_distinct_text_column": "Texte tout distinct (un identifiant)",
    "grain_rows_per_person": "Une ligne par personne",
    "grain_time_of_day": "Heure d'un événement",
    "grain_disclosure_spec": "Règles de secret déclarées pour le tableau",
    "grain_figure_declared": "Chiffre déclaré avec sa base",
    "count_below_k": "Effectif de 1 à k - 1 publié",
    "base_below_k": "Chiffre reposant sur moins de k personnes",
    "value_in_secret_cell": "Valeur dans une cellule secrète",
    "ratio_of_secret_figure": "Taux calculé sur un chiffre secret",
    "published_value_matches": "Chiffre publié égal à celui calculé",
    "audit_interval": "Audit : cellule secrète recalculable par un attaquant",
    "provisional_headline_only": "Mois provisoire : total seulement",
    "provisional_rounded": "Mois provisoire : chiffres arrondis",
}
GUARD_TARGETS = {"warehouse": "Entrepôt (marts)", "published file": "Fichier publié"}

REVISION_OUTCOMES = {"recomputed": "recalculée", "not computable": "non recalculable (données purgées)"}
