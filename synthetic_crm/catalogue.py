"""Fixed business facts of the synthetic M'green: catalogue, places, partners, value lists.

These are not personal data: product prices, commune names and postcodes, partner names.
"""

from __future__ import annotations

from dataclasses import dataclass

CATEGORIES: tuple[str, ...] = (
    "pompe_a_chaleur_air_eau",
    "pompe_a_chaleur_air_air",
    "ballon_thermodynamique",
    "chaudiere_granules",
    "isolation_combles",
    "isolation_murs",
    "panneaux_solaires",
    "vmc",
)

# Share of interest per category, and the month (1-12) at which interest peaks with the
# relative amplitude of the seasonal swing: heating sells in autumn and winter, solar and
# air-to-air (cooling) in spring and summer.
CATEGORY_WEIGHTS: dict[str, tuple[float, int, float]] = {
    "pompe_a_chaleur_air_eau": (0.27, 12, 0.55),
    "pompe_a_chaleur_air_air": (0.11, 7, 0.45),
    "ballon_thermodynamique": (0.14, 11, 0.15),
    "chaudiere_granules": (0.06, 12, 0.60),
    "isolation_combles": (0.15, 10, 0.30),
    "isolation_murs": (0.07, 10, 0.25),
    "panneaux_solaires": (0.15, 5, 0.45),
    "vmc": (0.05, 11, 0.10),
}


@dataclass(frozen=True)
class Product:
    code: str
    category: str
    label: str
    price_excl_tax_eur: float
    vat_rate: float
    per_square_metre: bool = False


PRODUCTS: tuple[Product, ...] = (
    Product("PAC-AE-8KW", "pompe_a_chaleur_air_eau", "Pompe à chaleur air/eau 8 kW", 9800, 0.055),
    Product("PAC-AE-11KW", "pompe_a_chaleur_air_eau", "Pompe à chaleur air/eau 11 kW", 11900, 0.055),
    Product("PAC-AE-16KW", "pompe_a_chaleur_air_eau", "Pompe à chaleur air/eau 16 kW", 14500, 0.055),
    Product("PAC-AA-MONO", "pompe_a_chaleur_air_air", "Pompe à chaleur air/air monosplit", 2600, 0.20),
    Product("PAC-AA-MULTI", "pompe_a_chaleur_air_air", "Pompe à chaleur air/air multisplit", 5400, 0.20),
    Product("BT-200L", "ballon_thermodynamique", "Ballon thermodynamique 200 L", 3100, 0.055),
    Product("BT-270L", "ballon_thermodynamique", "Ballon thermodynamique 270 L", 3650, 0.055),
    Product("CHG-15KW", "chaudiere_granules", "Chaudière à granulés 15 kW", 14800, 0.055),
    Product("CHG-25KW", "chaudiere_granules", "Chaudière à granulés 25 kW", 18500, 0.055),
    Product("ISO-COMB-SOUF", "isolation_combles", "Isolation des combles perdus (m²)", 28, 0.055, True),
    Product("ISO-COMB-RAMP", "isolation_combles", "Isolation des rampants (m²)", 55, 0.055, True),
    Product("ISO-MURS-ITE", "isolation_murs", "Isolation des murs par l'extérieur (m²)", 140, 0.055, True),
    Product("ISO-MURS-ITI", "isolation_murs", "Isolation des murs par l'intérieur (m²)", 65, 0.055, True),
    Product("PV-3KWC", "panneaux_solaires", "Panneaux solaires 3 kWc", 8200, 0.20),
    Product("PV-6KWC", "panneaux_solaires", "Panneaux solaires 6 kWc", 13900, 0.20),
    Product("PV-9KWC", "panneaux_solaires", "Panneaux solaires 9 kWc", 18900, 0.20),
    Product("VMC-SF", "vmc", "VMC simple flux", 1200, 0.055),
    Product("VMC-DF", "vmc", "VMC double flux", 5200, 0.055),
)

# Communes by Île-de-France département, with one postcode each (public geography).
IDF_COMMUNES: dict[str, tuple[tuple[str, str], ...]] = {
    "75": (
        ("75011", "Paris"),
        ("75012", "Paris"),
        ("75015", "Paris"),
        ("75016", "Paris"),
        ("75017", "Paris"),
        ("75018", "Paris"),
        ("75019", "Paris"),
        ("75020", "Paris"),
    ),
    "77": (
        ("77000", "Melun"),
        ("77100", "Meaux"),
        ("77200", "Torcy"),
        ("77300", "Fontainebleau"),
        ("77500", "Chelles"),
        ("77400", "Lagny-sur-Marne"),
        ("77330", "Ozoir-la-Ferrière"),
        ("77160", "Provins"),
        ("77170", "Brie-Comte-Robert"),
        ("77380", "Combs-la-Ville"),
    ),
    "78": (
        ("78000", "Versailles"),
        ("78100", "Saint-Germain-en-Laye"),
        ("78200", "Mantes-la-Jolie"),
        ("78300", "Poissy"),
        ("78120", "Rambouillet"),
        ("78400", "Chatou"),
        ("78500", "Sartrouville"),
        ("78180", "Montigny-le-Bretonneux"),
        ("78190", "Trappes"),
    ),
    "91": (
        ("91000", "Évry-Courcouronnes"),
        ("91100", "Corbeil-Essonnes"),
        ("91120", "Palaiseau"),
        ("91300", "Massy"),
        ("91700", "Sainte-Geneviève-des-Bois"),
        ("91150", "Étampes"),
        ("91200", "Athis-Mons"),
        ("91400", "Orsay"),
        ("91600", "Savigny-sur-Orge"),
        ("91800", "Brunoy"),
    ),
    "92": (
        ("92100", "Boulogne-Billancourt"),
        ("92000", "Nanterre"),
        ("92200", "Neuilly-sur-Seine"),
        ("92130", "Issy-les-Moulineaux"),
        ("92500", "Rueil-Malmaison"),
        ("92160", "Antony"),
        ("92140", "Clamart"),
        ("92600", "Asnières-sur-Seine"),
    ),
    "93": (
        ("93100", "Montreuil"),
        ("93200", "Saint-Denis"),
        ("93000", "Bobigny"),
        ("93600", "Aulnay-sous-Bois"),
        ("93110", "Rosny-sous-Bois"),
        ("93340", "Le Raincy"),
        ("93250", "Villemomble"),
        ("93160", "Noisy-le-Grand"),
    ),
    "94": (
        ("94000", "Créteil"),
        ("94100", "Saint-Maur-des-Fossés"),
        ("94200", "Ivry-sur-Seine"),
        ("94300", "Vincennes"),
        ("94400", "Vitry-sur-Seine"),
        ("94500", "Champigny-sur-Marne"),
        ("94120", "Fontenay-sous-Bois"),
        ("94700", "Maisons-Alfort"),
    ),
    "95": (
        ("95000", "Cergy"),
        ("95100", "Argenteuil"),
        ("95200", "Sarcelles"),
        ("95300", "Pontoise"),
        ("95400", "Villiers-le-Bel"),
        ("95600", "Eaubonne"),
        ("95130", "Franconville"),
        ("95150", "Taverny"),
        ("95220", "Herblay-sur-Seine"),
    ),
}

# Where houses are: the outer départements weigh more than Paris for heat pumps and insulation.
IDF_DEPARTEMENT_WEIGHTS: dict[str, float] = {
    "75": 0.06,
    "77": 0.19,
    "78": 0.16,
    "91": 0.17,
    "92": 0.09,
    "93": 0.09,
    "94": 0.10,
    "95": 0.14,
}

OTHER_COMMUNES: tuple[tuple[str, str], ...] = (
    ("60200", "Compiègne"),
    ("60100", "Creil"),
    ("45000", "Orléans"),
    ("28000", "Chartres"),
    ("27200", "Vernon"),
    ("51100", "Reims"),
    ("69003", "Lyon"),
    ("59000", "Lille"),
    ("44000", "Nantes"),
    ("33000", "Bordeaux"),
    ("89100", "Sens"),
    ("02200", "Soissons"),
)

ACQUISITION_CHANNELS: dict[str, float] = {
    "formulaire_web": 0.45,
    "telephone": 0.24,
    "apporteur": 0.15,
    "parrainage": 0.07,
    "salon": 0.09,
}
LEAD_PROVIDERS: tuple[str, ...] = ("LeadRénov", "Habitat Leads", "ÉcoContact", "ProjetTravaux")
FINANCING_PARTNERS: dict[str, float] = {
    "Finarénov": 0.38,
    "Crédit Vert Habitat": 0.30,
    "Domeo Finance": 0.20,
    "Solfi Travaux": 0.12,
}
STAFF_TEAMS: tuple[str, ...] = (
    "Paris Ouest",
    "Paris Est",
    "Essonne",
    "Yvelines",
    "Seine-et-Marne",
    "Val-d'Oise",
    "Hauts-de-Seine",
)
TRACKING_NUMBERS: tuple[str, ...] = ("01 84 60 10 10", "01 84 60 10 20", "01 84 60 10 30", "09 70 80 12 12")

HEATING_ENERGIES: dict[str, float] = {"gaz": 0.38, "electricite": 0.30, "fioul": 0.20, "bois": 0.07, "gpl": 0.05}

# Web analytics vocabulary.
UTM_SOURCES: dict[str, float] = {
    "search": 0.42,
    "": 0.22,
    "social": 0.14,
    "email": 0.08,
    "display": 0.08,
    "affiliate": 0.06,
}
UTM_MEDIUM = {
    "search": "cpc",
    "social": "paid_social",
    "email": "newsletter",
    "display": "banner",
    "affiliate": "partner",
    "": "",
}
UTM_CAMPAIGNS = {
    "search": ("pac-hiver", "isolation-1euro", "solaire-printemps", "marque"),
    "social": ("temoignages", "aides-2026"),
    "email": ("newsletter-mensuelle",),
    "display": ("retargeting",),
    "affiliate": ("comparateur-travaux",),
    "": ("",),
}
DEVICES: dict[str, float] = {"mobile": 0.58, "desktop": 0.36, "tablet": 0.06}
LANDING_PAGES: tuple[str, ...] = (
    "/",
    "/pompe-a-chaleur",
    "/pompe-a-chaleur-air-air",
    "/ballon-thermodynamique",
    "/chaudiere-granules",
    "/isolation",
    "/panneaux-solaires",
    "/vmc",
    "/aides-maprimerenov",
    "/simulateur-aides",
    "/contact",
    "/avis-clients",
    "/blog/prix-pompe-a-chaleur",
)
SEARCH_TERMS: tuple[str, ...] = (
    "prix pompe a chaleur",
    "pompe a chaleur air eau avis",
    "maprimerenov 2026",
    "isolation combles prix",
    "installateur rge ile de france",
    "ballon thermodynamique aide",
    "panneaux solaires rentabilite",
    "chaudiere granules prix",
    "remplacer chaudiere fioul",
    "prime cee pompe a chaleur",
    "eco ptz conditions",
    "vmc double flux prix",
    "devis pompe a chaleur",
    "isolation exterieure aide",
)
REFERRERS: dict[str, tuple[str, ...]] = {
    "search": ("https://www.example-search.fr/", "https://search.example.com/"),
    "social": ("https://social.example.com/", "https://video.example.com/"),
    "email": ("",),
    "display": ("https://news.example.fr/",),
    "affiliate": ("https://comparateur-travaux.example.fr/",),
    "": ("",),
}
FORMS: tuple[str, ...] = ("simulation", "devis", "contact", "rendez_vous")

# Statuses a careless operator types instead of the documented ones (dirty data).
STATUS_TYPOS: dict[str, tuple[str, ...]] = {
    "quotes": ("SIGNE", "signé", "en_cours"),
    "orders": ("Annulée", "en attente"),
    "invoices": ("PAYEE", "litige"),
    "aid_applications": ("en_instruction",),
}
