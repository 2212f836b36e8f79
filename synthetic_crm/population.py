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

Each table is a ``Frame``: a dict of equal-length numpy arrays. Columns starting with ``t_``
are instants (int64 seconds, ``NEVER`` when the event does not happen); ``owner`` is the
contact id whose erasure removes the row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from text_unidecode import unidecode

from synthetic_crm import catalogue as cat
from synthetic_crm.identifiers import (
    e164,
    format_phones,
    hex_ids,
    ibans,
    join,
    tax_notice_refs,
    tax_numbers,
    unique_phone_digits,
    zfill,
)
from synthetic_crm.pools import Pools
from synthetic_crm.timeline import (
    DAY,
    NEVER,
    business_seconds,
    lognormal_seconds,
    month_of,
    uniform_seconds,
)

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

# Orphans point at ids the CRM never assigned, far above any real id.
ORPHAN_ID_BASE = 900_000_000

CATEGORY_INDEX = {c: i for i, c in enumerate(cat.CATEGORIES)}
_PRODUCTS_BY_CATEGORY = [np.array([i for i, p in enumerate(cat.PRODUCTS) if p.category == c]) for c in cat.CATEGORIES]
PRODUCT_CODES = np.array([p.code for p in cat.PRODUCTS], dtype=object)
PRODUCT_PRICE = np.array([p.price_excl_tax_eur for p in cat.PRODUCTS])
PRODUCT_VAT = np.array([p.vat_rate for p in cat.PRODUCTS])
PRODUCT_PER_M2 = np.array([p.per_square_metre for p in cat.PRODUCTS])
PRODUCT_CATEGORY = np.array([CATEGORY_INDEX[p.category] for p in cat.PRODUCTS])

# Heating systems are what MaPrimeRénov' and CEE finance most; air-to-air and solar are not.
_MPR_ELIGIBLE = np.array([True, False, True, True, True, True, False, True])
_CEE_ELIGIBLE = np.array([True, False, True, True, True, True, False, True])
# MaPrimeRénov' amounts by category (rows) and income band (bleu, jaune, violet, rose).
_MPR_AMOUNT = np.array(
    [
        [5000, 4000, 3000, 0],
        [0, 0, 0, 0],
        [1200, 800, 400, 0],
        [5000, 4000, 2500, 0],
        [25, 20, 15, 0],
        [75, 60, 40, 0],
        [0, 0, 0, 0],
        [2500, 2000, 1500, 0],
    ],
    dtype=float,
)
# Income ceilings (euros) of the bleu / jaune / violet bands for one person in Île-de-France,
# and how they grow with the household: used only to draw plausible eligibility, the
# warehouse computes the real category from the reference thresholds.
_BAND_CEILINGS_1 = np.array([23768, 28933, 40404], dtype=float)
_HOUSEHOLD_FACTOR = np.array([0, 1.0, 1.47, 1.76, 2.06, 2.35, 2.65, 2.94])


@dataclass(frozen=True)
class Rates:
    """Business rates of the simulation (documented in docs/generator.md)."""

    request_by_channel: dict[str, float] = field(
        default_factory=lambda: {
            "formulaire_web": 0.78,
            "telephone": 0.66,
            "apporteur": 0.55,
            "parrainage": 0.72,
            "salon": 0.58,
        }
    )
    quote_after_request: dict[str, float] = field(
        default_factory=lambda: {
            "devis": 0.62,
            "rendez_vous": 0.70,
            "contact": 0.22,
        }
    )
    quote_sent: float = 0.92
    quote_signed: float = 0.36
    quote_refused: float = 0.24
    order_cancelled: float = 0.07
    installation_completed: float = 0.97
    repeat_client: float = 0.12
    deposit_invoice: float = 0.35
    financing: float = 0.16
    financing_accepted: float = 0.72
    ticket: float = 0.20
    survey_sent: float = 0.85
    survey_answered: float = 0.42
    privacy_request: float = 0.025
    simulation_web: float = 0.40


@dataclass(frozen=True)
class BlockSpec:
    """One block of contacts: its random stream and the days its contacts are created."""

    tag: tuple[int, ...]
    created: np.ndarray  # sorted contact creation instants
    id_offsets: dict[str, int]


@dataclass
class BlockContext:
    """What a block may reference from earlier blocks (referrers, staff)."""

    referrer_ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    referrer_times: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    n_sales_reps: int = 4
    n_technicians: int = 6


def stream_rng(seed: int, tag: tuple[int, ...], stream: str) -> np.random.Generator:
    """An independent random stream per (seed, tag, name): changing one table's model, or one
    day's logs, leaves the others' draws as they were."""
    salt = int.from_bytes(stream.encode()[:8].ljust(8, b"\0"), "little")
    return np.random.default_rng(np.random.SeedSequence([seed, salt, *tag]))


def _choice(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def _assign_ids(frame: Frame, born: np.ndarray, offset: int) -> np.ndarray:
    order = np.argsort(born, kind="stable")
    ids = np.empty(len(born), dtype=np.int64)
    ids[order] = offset + 1 + np.arange(len(born), dtype=np.int64)
    frame["id"] = ids
    return ids


def _maybe(rng: np.random.Generator, p: float, n: int) -> np.ndarray:
    return rng.random(n) < p


def _round2(x: np.ndarray) -> np.ndarray:
    return np.round(x, 2)


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


def concat_frames(frames: list[Frame]) -> Frame:
    """Stack frames with the same columns (empty frames skipped)."""
    frames = [f for f in frames if f]
    if not frames:
        return {}
    keys = frames[0].keys()
    return {k: np.concatenate([f[k] for f in frames]) for k in keys}


# --------------------------------------------------------------------------- reference tables


def staff_frame(seed: int, pools: Pools, n_reps: int, n_techs: int, hired_from: int) -> Frame:
    rng = stream_rng(seed, (), "staff")
    n = n_reps + n_techs
    female = rng.random(n) < 0.4
    first = np.where(
        female,
        pools.female_first_names[rng.integers(0, len(pools.female_first_names), n)],
        pools.male_first_names[rng.integers(0, len(pools.male_first_names), n)],
    )
    last_idx = rng.integers(0, len(pools.last_names), n)
    # Staff is a few dozen rows: transliterating each name here costs nothing.
    local = np.array(
        [
            f"{unidecode(f).lower().replace(' ', '-')}.{unidecode(name).lower().replace(' ', '-')}"
            for f, name in zip(first, pools.last_names[last_idx])
        ],
        dtype=object,
    )
    hired = hired_from - rng.integers(0, 6 * 365, n) * DAY
    return {
        "staff_id": np.arange(1, n + 1, dtype=np.int64),
        "role": np.array(["charge_affaires"] * n_reps + ["technicien"] * n_techs, dtype=object),
        "first_name": first,
        "last_name": pools.last_names[last_idx],
        "email": join(local, "@mgreen.example"),
        "team": np.array(cat.STAFF_TEAMS, dtype=object)[rng.integers(0, len(cat.STAFF_TEAMS), n)],
        "hired_on": hired,
        "t_updated": hired,
    }


def products_frame(catalogue_since: int) -> Frame:
    n = len(cat.PRODUCTS)
    return {
        "product_code": PRODUCT_CODES.copy(),
        "category": np.array([p.category for p in cat.PRODUCTS], dtype=object),
        "label": np.array([p.label for p in cat.PRODUCTS], dtype=object),
        "list_price_excl_tax_eur": PRODUCT_PRICE.astype(float),
        "vat_rate": PRODUCT_VAT.astype(float),
        "t_updated": np.full(n, catalogue_since, dtype=np.int64),
    }


# --------------------------------------------------------------------------- the block


def simulate_block(
    seed: int, dirty: float, pools: Pools, spec: BlockSpec, ctx: BlockContext, rates: Rates = Rates()
) -> dict[str, Frame]:
    """Draw every lifecycle of one block of contacts; returns a Frame per table."""
    t0 = spec.created
    out: dict[str, Frame] = {}
    r = lambda stream: stream_rng(seed, spec.tag, stream)  # noqa: E731

    contacts = _contacts(r("contacts"), pools, t0, dirty, spec.id_offsets["contacts"])
    out["contacts"] = contacts
    cid = contacts["contact_id"]

    out["consents"] = _consents(r("consents"), contacts, spec.id_offsets["consents"])
    requests = _requests(r("requests"), contacts, rates, dirty, spec.id_offsets["requests"])
    out["requests"] = requests
    sims, visits = _simulations(r("simulations"), contacts, requests, rates, dirty, spec)
    out["simulations"] = sims
    out["calls"] = _calls(r("calls"), contacts, dirty, spec.id_offsets["calls"])

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
    cycle1 = _cycle(rq, contacts, c_rows, starts, contacts["interest"][c_rows], rates, dirty, ctx)

    # Repeat clients come back one to three years after their installation.
    rr = r("cycle2")
    inst1 = cycle1["installations"]
    done = inst1["t_completed"] < NEVER
    back = done & _maybe(rr, rates.repeat_client, len(done))
    rows2 = inst1["contact_row"][back]
    starts2 = inst1["t_completed"][back] + uniform_seconds(rr, int(back.sum()), 200, 1100)
    other_cat = (contacts["interest"][rows2] + rr.integers(1, len(cat.CATEGORIES), len(rows2))) % len(cat.CATEGORIES)
    cycle2 = _cycle(rr, contacts, rows2, starts2, other_cat, rates, dirty, ctx)
    # A returning client writes a new request before the new quote.
    extra_requests = {
        "contact_row": rows2,
        "seq": np.full(len(rows2), 9, dtype=np.int64),
        "kind": np.full(len(rows2), "devis", dtype=object),
        "channel": _choice(rr, {"telephone": 0.5, "web": 0.35, "email": 0.15}, len(rows2)),
        "product_interest": np.array(cat.CATEGORIES, dtype=object)[other_cat],
        "message": np.full(len(rows2), None, dtype=object),
        "t_created": starts2 - uniform_seconds(rr, len(rows2), 1, 6),
    }

    out.update(_concat_cycles(cycle1, cycle2))
    out["requests"] = concat_frames([requests, extra_requests])

    # Ids in creation order, then references resolved from rows to ids.
    _finalise_ids(out, spec.id_offsets, dirty, r("ids"))
    out["referrals"] = _referrals(r("referrals"), contacts, out, ctx, spec.id_offsets["referrals"])
    out["privacy_requests"] = _privacy_requests(r("privacy"), contacts, rates, spec.id_offsets["privacy_requests"])
    out["web_visits"] = _web_visits(r("visits"), contacts, out, visits)
    _attach_owners(out, cid)
    return out


# --------------------------------------------------------------------------- contacts


def _contacts(rng: np.random.Generator, pools: Pools, t0: np.ndarray, dirty: float, offset: int) -> Frame:
    n = len(t0)
    female = rng.random(n) < 0.52
    fi = rng.integers(0, len(pools.female_first_names), n)
    mi = rng.integers(0, len(pools.male_first_names), n)
    li = rng.integers(0, len(pools.last_names), n)
    first = np.where(female, pools.female_first_names[fi], pools.male_first_names[mi])
    first_ascii = np.where(female, pools.female_first_ascii[fi], pools.male_first_ascii[mi])
    last = pools.last_names[li]
    last_ascii = pools.last_ascii[li]
    civility = np.where(female, "Mme", "M.").astype(object)
    civility[rng.random(n) < 0.05] = None

    # Email: local part from the name, a separator, sometimes digits, a free-mail domain;
    # the contact's row number makes collisions between different people impossible.
    sep = np.array([".", "_", "", "-"], dtype=object)[rng.choice(4, n, p=[0.55, 0.1, 0.25, 0.1])]
    digits = np.where(rng.random(n) < 0.55, rng.integers(1, 99, n).astype(str), "").astype(object)
    uniq = np.char.mod("%x", offset + np.arange(n) + 1).astype(object)
    need_uniq = rng.random(n) < 0.35
    local = join(first_ascii, sep, last_ascii, digits)
    local = np.where(need_uniq, join(local, uniq), local)
    domain = pools.email_domains[rng.integers(0, len(pools.email_domains), n)]
    email = join(local, domain, sep="@")
    has_email = rng.random(n) >= 0.07

    nsn = unique_phone_digits(rng, n)
    phone = format_phones(rng, nsn)
    has_phone = rng.random(n) >= 0.04

    # Where they live: about 90 % in Île-de-France.
    idf = rng.random(n) < 0.9
    dep_codes = np.array(list(cat.IDF_DEPARTEMENT_WEIGHTS), dtype=object)
    dep_p = np.array(list(cat.IDF_DEPARTEMENT_WEIGHTS.values()))
    dep = dep_codes[rng.choice(len(dep_codes), n, p=dep_p / dep_p.sum())]
    postcode = np.empty(n, dtype=object)
    city = np.empty(n, dtype=object)
    for code in dep_codes:
        rows = np.flatnonzero(dep == code)
        communes = cat.IDF_COMMUNES[code]
        pick = rng.integers(0, len(communes), len(rows))
        postcode[rows] = np.array([c[0] for c in communes], dtype=object)[pick]
        city[rows] = np.array([c[1] for c in communes], dtype=object)[pick]
    away = np.flatnonzero(~idf)
    pick = rng.integers(0, len(cat.OTHER_COMMUNES), len(away))
    postcode[away] = np.array([c[0] for c in cat.OTHER_COMMUNES], dtype=object)[pick]
    city[away] = np.array([c[1] for c in cat.OTHER_COMMUNES], dtype=object)[pick]
    number = rng.integers(1, 140, n).astype(str).astype(object)
    bis = np.where(rng.random(n) < 0.05, " bis", "").astype(object)
    street = pools.street_names[rng.integers(0, len(pools.street_names), n)]
    address = join(join(number, bis), street, sep=" ")

    channel = _choice(rng, cat.ACQUISITION_CHANNELS, n)
    provider = np.where(
        channel == "apporteur",
        np.array(cat.LEAD_PROVIDERS, dtype=object)[rng.integers(0, len(cat.LEAD_PROVIDERS), n)],
        None,
    )

    # The household: size, revenu fiscal de référence, dwelling.
    size = rng.choice(np.arange(1, 8), n, p=[0.21, 0.31, 0.18, 0.17, 0.08, 0.03, 0.02])
    median = 34_000 * _HOUSEHOLD_FACTOR[size] * np.where(idf, 1.0, 0.8)
    income = np.round(rng.lognormal(np.log(median), 0.55)).astype(np.int64)
    ceilings = _BAND_CEILINGS_1[None, :] * _HOUSEHOLD_FACTOR[size][:, None] * np.where(idf, 1.0, 0.73)[:, None]
    band = (income[:, None] > ceilings).sum(axis=1)  # 0 bleu .. 3 rose
    house = rng.random(n) < np.where(dep == "75", 0.15, 0.82)
    occupancy = np.where(
        rng.random(n) < 0.84,
        "proprietaire_occupant",
        np.where(rng.random(n) < 0.5, "proprietaire_bailleur", "locataire"),
    ).astype(object)

    # What they came for, following the season of their first contact.
    month = month_of(t0)
    weights = np.stack(
        [w * (1 + amp * np.cos(2 * np.pi * (month - peak) / 12)) for (w, peak, amp) in cat.CATEGORY_WEIGHTS.values()],
        axis=1,
    )
    weights /= weights.sum(axis=1, keepdims=True)
    interest = (rng.random(n)[:, None] > np.cumsum(weights, axis=1)).sum(axis=1)
    interest = np.minimum(interest, len(cat.CATEGORIES) - 1)
    # Flats rarely get heat pumps or pellet boilers: steer them to what a flat can take.
    flat_swap = ~house & np.isin(interest, [0, 3, 4, 5, 6]) & (rng.random(n) < 0.7)
    interest[flat_swap] = rng.choice([1, 2, 7], int(flat_swap.sum()))

    # Dirty data: duplicates of an earlier person under a new contact id.
    dup = (rng.random(n) < 1.5 * dirty) & (np.arange(n) > 0)
    src = (rng.random(n) * np.arange(n)).astype(np.int64)
    d = np.flatnonzero(dup)
    s = src[d]
    for col in (first, last, civility, postcode, city, address):
        col[d] = col[s]
    female[d] = female[s]
    nsn[d] = nsn[s]
    by_email = rng.random(len(d)) < 0.6
    # Same email typed differently; or no email, same phone written another way.
    shouting = np.array([e.upper() for e in email[s]], dtype=object)
    padded = join(" ", email[s], " ")
    email[d] = np.where(by_email, np.where(rng.random(len(d)) < 0.5, shouting, padded), None)
    has_email[d] = by_email
    has_phone[d] = True
    phone[d] = format_phones(rng, nsn[d])

    email = np.where(has_email, email, None)
    phone = np.where(has_phone, phone, None)

    # Dirty data: emails and phones that no normalisation can save.
    bad_email = has_email & (rng.random(n) < dirty)
    kinds = rng.integers(0, 4, int(bad_email.sum()))
    bad_src = email[bad_email].astype(str)
    if len(bad_src):
        email[bad_email] = np.select(
            [kinds == 0, kinds == 1, kinds == 2],
            [
                np.char.replace(bad_src, "@", " at "),
                np.char.rstrip(np.char.rstrip(bad_src, "abcdefghijklmnopqrstuvwxyz"), "."),
                np.full(len(bad_src), "n/a"),
            ],
            np.char.replace(bad_src, "@", "@@"),
        ).astype(object)
    bad_phone = has_phone & (rng.random(n) < dirty)
    phone[bad_phone] = np.array(["inconnu", "06 12", "00 00 00 00 00", "+33 6"], dtype=object)[
        rng.integers(0, 4, int(bad_phone.sum()))
    ]

    first = np.where(rng.random(n) < 0.01, None, first)
    contact_id = offset + 1 + np.arange(n, dtype=np.int64)
    future_typo = rng.random(n) < dirty / 10
    return {
        "contact_id": contact_id,
        "civility": civility,
        "last_name": last,
        "first_name": first,
        "email": email,
        "phone": phone,
        "nsn": nsn,
        "address_line": address,
        "postcode": postcode,
        "city": city,
        "acquisition_channel": channel,
        "lead_provider": provider,
        "t_created": t0,
        "future_typo": future_typo,
        "idf": idf,
        "household_size": size,
        "income": income,
        "band": band,
        "house": house,
        "occupancy": occupancy,
        "interest": interest,
        "id": contact_id,
    }


def _consents(rng: np.random.Generator, contacts: Frame, offset: int) -> Frame:
    n = len(contacts["contact_id"])
    rows, purposes, granted, sources, times = [], [], [], [], []
    channel = contacts["acquisition_channel"]
    src0 = np.where(channel == "telephone", "telephone", "formulaire").astype(object)
    # (purpose, share of contacts asked at collection, share of those who agree)
    for purpose, ask, p in (
        ("prospection_email", 0.85, 0.72),
        ("prospection_telephone", 0.6, 0.5),
        ("enquetes_satisfaction", 0.45, 0.85),
    ):
        asked = rng.random(n) < ask
        idx = np.flatnonzero(asked)
        rows.append(idx)
        purposes.append(np.full(len(idx), purpose, dtype=object))
        granted.append(rng.random(len(idx)) < p)
        sources.append(src0[idx])
        times.append(contacts["t_created"][idx] + rng.integers(0, 600, len(idx)))
        # Later withdrawals (email) and Bloctel registrations for the telephone purpose.
        later = rng.random(n) < (0.09 if purpose != "prospection_telephone" else 0.12)
        idx2 = np.flatnonzero(later)
        rows.append(idx2)
        purposes.append(np.full(len(idx2), purpose, dtype=object))
        granted.append(np.zeros(len(idx2), dtype=bool))
        bloctel = purpose == "prospection_telephone"
        sources.append(np.where(bloctel & (rng.random(len(idx2)) < 0.5), "bloctel", "email").astype(object))
        times.append(contacts["t_created"][idx2] + uniform_seconds(rng, len(idx2), 20, 1600))
    frame = {
        "contact_row": np.concatenate(rows),
        "purpose": np.concatenate(purposes),
        "granted": np.concatenate(granted),
        "source": np.concatenate(sources),
        "t_created": np.concatenate(times),
    }
    _assign_ids(frame, frame["t_created"], offset)
    return frame


# --------------------------------------------------------------------------- demand


_MESSAGES = np.array(
    [
        "Bonjour, je souhaite un devis pour remplacer ma chaudière.",
        "Pouvez-vous me rappeler pour une étude de mon logement ?",
        "Intéressé par une pompe à chaleur, maison de 110 m2.",
        "Quelles aides pour isoler mes combles ?",
        "Je voudrais un rendez-vous pour des panneaux solaires.",
        "Mon ballon d'eau chaude est en panne, que proposez-vous ?",
        "Demande d'information sur MaPrimeRénov'.",
        "Disponible plutôt le samedi matin.",
    ],
    dtype=object,
)


def _pii_message(rng: np.random.Generator, contacts: Frame, rows: np.ndarray) -> np.ndarray:
    """Free text where people leave their own details (the reason free text never leaves raw)."""
    phone_in = join("Merci de me rappeler au ", format_phones(rng, contacts["nsn"][rows]))
    email_in = join(
        "Vous pouvez m'écrire à ",
        np.where(
            np.equal(contacts["email"][rows], None),
            "moi@example.org",
            contacts["email"][rows],
        ),
    )
    address_in = join("J'habite au ", contacts["address_line"][rows], ", ", contacts["postcode"][rows])
    pick = rng.integers(0, 3, len(rows))
    return np.select([pick == 0, pick == 1], [phone_in, email_in], address_in)


def _requests(rng: np.random.Generator, contacts: Frame, rates: Rates, dirty: float, offset: int) -> Frame:
    n = len(contacts["contact_id"])
    channel = contacts["acquisition_channel"]
    p = np.vectorize(rates.request_by_channel.get, otypes=[float])(channel)
    has = rng.random(n) < p
    rows1 = np.flatnonzero(has)
    web = channel[rows1] == "formulaire_web"
    delay = np.where(web, rng.integers(30, 600, len(rows1)), lognormal_seconds(rng, len(rows1), 0.8, 1.0))
    t1 = contacts["t_created"][rows1] + delay
    second = rng.random(len(rows1)) < 0.18
    rows2 = rows1[second]
    t2 = t1[second] + lognormal_seconds(rng, len(rows2), 20, 0.9)
    rows = np.concatenate([rows1, rows2])
    seq = np.concatenate([np.zeros(len(rows1), np.int64), np.ones(len(rows2), np.int64)])
    t = np.concatenate([t1, t2])
    m = len(rows)
    kind = _choice(rng, {"devis": 0.45, "rendez_vous": 0.25, "contact": 0.30}, m)
    req_channel = np.where(
        channel[rows] == "formulaire_web",
        "web",
        np.where(
            channel[rows] == "telephone", "telephone", _choice(rng, {"web": 0.4, "telephone": 0.45, "email": 0.15}, m)
        ),
    ).astype(object)
    interest = np.where(rng.random(m) < 0.9, np.array(cat.CATEGORIES, dtype=object)[contacts["interest"][rows]], None)
    message = np.where(rng.random(m) < 0.5, _MESSAGES[rng.integers(0, len(_MESSAGES), m)], None)
    leak = rng.random(m) < 3 * dirty
    message[leak] = _pii_message(rng, contacts, rows[leak])
    frame = {
        "contact_row": rows,
        "seq": seq,
        "kind": kind,
        "channel": req_channel,
        "product_interest": interest,
        "message": message,
        "t_created": t,
    }
    return frame


def _simulations(
    rng: np.random.Generator, contacts: Frame, requests: Frame, rates: Rates, dirty: float, spec: BlockSpec
) -> tuple[Frame, Frame]:
    """Aid simulations, by known contacts and anonymous visitors; and the web visits behind them."""
    n = len(contacts["contact_id"])
    web = contacts["acquisition_channel"] == "formulaire_web"
    p = np.where(web, rates.simulation_web, 0.05)
    known = np.flatnonzero(rng.random(n) < p)
    t_known = contacts["t_created"][known] - rng.integers(120, 1500, len(known))
    # Anonymous visitors simulate too, spread over the block's days.
    n_anon = int(rng.poisson(1.1 * len(known))) if n else 0
    if n:
        # Within the block's own days: a later block never adds rows to an earlier day.
        first_day = contacts["t_created"].min() // DAY * DAY
        last_day = contacts["t_created"].max() // DAY * DAY + DAY - 1
        jitter = rng.integers(-3 * DAY, 3 * DAY, n_anon)
        t_anon = np.sort(np.clip(rng.choice(contacts["t_created"], n_anon) + jitter, first_day, last_day))
    else:
        t_anon = np.empty(0, dtype=np.int64)
    rows = np.concatenate([known, np.full(n_anon, -1, dtype=np.int64)])
    t = np.concatenate([t_known, t_anon])
    m = len(rows)
    # Household of the known contact; anonymous visitors draw their own.
    anon_size = rng.choice(np.arange(1, 8), m, p=[0.21, 0.31, 0.18, 0.17, 0.08, 0.03, 0.02])
    anon_income = np.round(rng.lognormal(np.log(34_000 * _HOUSEHOLD_FACTOR[anon_size]), 0.55)).astype(np.int64)
    safe = np.maximum(rows, 0)
    is_known = rows >= 0
    size = np.where(is_known, contacts["household_size"][safe], anon_size)
    income = np.where(is_known, contacts["income"][safe], anon_income)
    anon_pc = np.array([c[0] for d in cat.IDF_COMMUNES.values() for c in d], dtype=object)
    postcode = np.where(is_known, contacts["postcode"][safe], anon_pc[rng.integers(0, len(anon_pc), m)])
    house = np.where(is_known, contacts["house"][safe], rng.random(m) < 0.75)
    area = np.round(np.where(house, rng.lognormal(np.log(110), 0.3, m), rng.lognormal(np.log(62), 0.35, m)))
    interest = np.where(is_known, contacts["interest"][safe], rng.integers(0, len(cat.CATEGORIES), m))
    band = (income[:, None] > _BAND_CEILINGS_1[None, :] * _HOUSEHOLD_FACTOR[size][:, None]).sum(axis=1)
    aid = _round2(
        np.where(_MPR_ELIGIBLE[interest], _MPR_AMOUNT[interest, np.minimum(band, 3)], 0)
        * np.where(np.isin(interest, [4, 5]), area, 1)
        + rng.uniform(0, 800, m) * (band < 3)
    )
    income_out = income.astype(object)
    income_out[rng.random(m) < dirty] = None
    session_ids = hex_ids(rng, m)
    frame = {
        "contact_row": rows,
        "web_session_id": session_ids,
        "household_size": size,
        "fiscal_income_eur": income_out,
        "postcode": postcode,
        "housing_type": np.where(house, "maison", "appartement").astype(object),
        "occupancy": np.where(is_known, contacts["occupancy"][safe], "proprietaire_occupant").astype(object),
        "living_area_m2": area.astype(np.int64),
        "construction_year": rng.choice(np.arange(1900, 2016), m),
        "heating_energy": _choice(rng, cat.HEATING_ENERGIES, m),
        "annual_energy_kwh": (area * rng.uniform(110, 320, m)).astype(np.int64),
        "recommended_category": np.array(cat.CATEGORIES, dtype=object)[interest],
        "estimated_aid_eur": aid,
        "t_created": t,
    }
    _assign_ids(frame, t, spec.id_offsets["simulations"])
    visits = {"contact_row": rows, "session_id": session_ids, "t": t, "form": np.full(m, "simulation", dtype=object)}
    return frame, visits


def _calls(rng: np.random.Generator, contacts: Frame, dirty: float, offset: int) -> Frame:
    n = len(contacts["contact_id"])
    lam = np.where(contacts["acquisition_channel"] == "telephone", 1.3, 0.35)
    count = rng.poisson(lam)
    rows = np.repeat(np.arange(n), count)
    first_of = np.r_[True, rows[1:] != rows[:-1]] if len(rows) else np.empty(0, bool)
    is_phone = contacts["acquisition_channel"][rows] == "telephone"
    t = contacts["t_created"][rows] + np.where(first_of & is_phone, 0, lognormal_seconds(rng, len(rows), 6, 1.2))
    m = len(rows)
    matched = rng.random(m) < 0.93
    caller = e164(contacts["nsn"][rows])
    # Unmatched calls: numbers the CRM does not know.
    unknown = int(rng.poisson(0.12 * m)) if m else 0
    u_t = (rng.choice(t, unknown) + rng.integers(-DAY, DAY, unknown)) if m else np.empty(0, np.int64)
    u_caller = e164(unique_phone_digits(rng, unknown)) if unknown else np.empty(0, dtype=object)
    outcome = _choice(rng, {"repondu": 0.7, "manque": 0.2, "messagerie": 0.1}, m + unknown)
    duration = np.where(
        outcome == "manque", 0, np.maximum(5, rng.lognormal(np.log(170), 0.8, m + unknown)).astype(np.int64)
    )
    frame = {
        "contact_row": np.concatenate([np.where(matched, rows, -1), np.full(unknown, -1, np.int64)]),
        "owner_row": np.concatenate([rows, np.full(unknown, -1, np.int64)]),
        "caller_number": np.concatenate([caller, u_caller]),
        "tracking_number": np.array(cat.TRACKING_NUMBERS, dtype=object)[
            rng.integers(0, len(cat.TRACKING_NUMBERS), m + unknown)
        ],
        "duration_s": duration,
        "outcome": outcome,
        "t_created": np.concatenate([t, u_t]),
    }
    _assign_ids(frame, frame["t_created"], offset)
    return frame


# --------------------------------------------------------------------------- purchase cycles


def _cycle(
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
    total_excl = _round2(excl).astype(object)
    total_incl = _round2(incl).astype(object)
    missing = rng.random(m) < dirty / 2
    total_excl[missing] = None
    total_incl[missing] = None
    negative = ~missing & (rng.random(m) < dirty / 4)
    total_excl[negative] = -_round2(excl[negative])
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
        "partner": _choice(rng, cat.FINANCING_PARTNERS, len(f)),
        "amount_eur": _round2(incl[f] * rng.uniform(0.5, 1.0, len(f)) / 100) * 100,
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

    out.update(_billing(rng, orders, quotes, q, financed, dirty))
    out["aid_applications"] = _aids(rng, contacts, orders, lines, q, dirty)
    out["service_tickets"] = _tickets(rng, orders, dirty)
    out["survey_responses"] = _surveys(rng, orders, rates)
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
    for c, choices in enumerate(_PRODUCTS_BY_CATEGORY):
        sel = np.flatnonzero(line_cat == c)
        product[sel] = choices[rng.integers(0, len(choices), len(sel))]
    per_m2 = PRODUCT_PER_M2[product]
    qty = np.where(
        per_m2, np.round(rng.uniform(35, 160, len(product))), np.where(rng.random(len(product)) < 0.05, 2, 1)
    ).astype(float)
    unit = _round2(PRODUCT_PRICE[product] * rng.uniform(0.92, 1.05, len(product)))
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


def _billing(
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
    amt = _round2(amt)
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
        pay_amt.append(_round2(amt[sel] * (share[sel] if isinstance(share, np.ndarray) else share)))
    p_rows = np.concatenate(pay_rows)
    p_n = len(p_rows)
    method = _choice(rng, {"virement": 0.40, "carte": 0.30, "cheque": 0.15, "prime": 0.15}, p_n)
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
        "recovered": _round2(recovered),
        "t_created": opened,
        "t_demeure": opened + 30 * DAY,
        "t_external": opened + 75 * DAY,
        "t_closed": closed,
    }
    return {"invoices": invoices, "payments": payments, "collection_cases": cases}


def _aids(rng: np.random.Generator, contacts: Frame, orders: Frame, lines: Frame, q: np.ndarray, dirty: float) -> Frame:
    k = len(q)
    cat_i = orders["category"]
    rows = orders["contact_row"]
    band = contacts["band"][rows]
    owner = contacts["occupancy"][rows] != "locataire"
    not_cancelled_early = orders["t_planned"] < NEVER
    # Surface for insulation, from the quote's main line.
    main = np.flatnonzero(lines["line_no"] == 1)
    qty_by_quote = np.ones(int(lines["quote_row"].max()) + 1 if len(lines["quote_row"]) else 0)
    qty_by_quote[lines["quote_row"][main]] = lines["quantity"][main]
    qty = qty_by_quote[orders["quote_row"]] if len(qty_by_quote) else np.ones(k)
    picks = []
    for scheme, eligible, p in (
        ("maprimerenov", _MPR_ELIGIBLE[cat_i] & owner & (band < 3), 0.62),
        ("cee", _CEE_ELIGIBLE[cat_i], 0.55),
        ("eco_ptz", owner & (rng.random(k) < 0.5), 0.10),
    ):
        sel = np.flatnonzero(eligible & not_cancelled_early & (rng.random(k) < p))
        picks.append((scheme, sel))
    order_row = np.concatenate([s for _, s in picks])
    scheme = np.concatenate([np.full(len(s), name, dtype=object) for name, s in picks])
    n = len(order_row)
    c = cat_i[order_row]
    b = np.minimum(band[order_row], 3)
    mpr = _MPR_AMOUNT[c, b] * np.where(np.isin(c, [4, 5]), qty[order_row], 1)
    cee = np.where(np.isin(c, [4, 5]), 12 * qty[order_row], rng.uniform(900, 4000, n))
    ptz = np.round(rng.uniform(15_000, 50_000, n), -2)
    requested = _round2(np.select([scheme == "maprimerenov", scheme == "cee"], [mpr, cee], ptz))
    submitted = orders["t_created"][order_row] + uniform_seconds(rng, n, 1, 10)
    decided = submitted + lognormal_seconds(rng, n, 35, 0.5)
    granted = rng.random(n) < 0.86
    granted_eur = np.where(granted, _round2(requested * rng.uniform(0.8, 1.0, n)), None)
    completed = orders["t_completed"][order_row]
    paid = np.where(
        granted & (completed < NEVER), np.maximum(completed, decided) + lognormal_seconds(rng, n, 40, 0.5), NEVER
    )
    paid = np.where(scheme == "eco_ptz", np.where(granted, decided + uniform_seconds(rng, n, 5, 20), NEVER), paid)
    crow = rows[order_row]
    income = contacts["income"][crow].astype(object)
    income[rng.random(n) < dirty] = None
    no_order = rng.random(n) < 0.03  # dossiers filed before the order was recorded
    return {
        "order_row": np.where(no_order, -1, order_row),
        "contact_row": crow,
        "scheme": scheme,
        "tax_number": tax_numbers(rng, n),
        "tax_notice_ref": tax_notice_refs(rng, n),
        "fiscal_income_eur": income,
        "household_size": contacts["household_size"][crow],
        "requested_eur": requested,
        "granted_eur": granted_eur,
        "status_typo": np.where(rng.random(n) < dirty / 4, cat.STATUS_TYPOS["aid_applications"][0], None),
        "t_created": submitted,
        "t_decided": decided,
        "t_paid": paid,
        "refused": ~granted,
    }


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


def _tickets(rng: np.random.Generator, orders: Frame, dirty: float) -> Frame:
    done = np.flatnonzero(orders["t_completed"] < NEVER)
    count = rng.poisson(0.25, len(done))
    rows = np.repeat(done, count)
    n = len(rows)
    opened = orders["t_completed"][rows] + (rng.exponential(260, n) * DAY).astype(np.int64) + DAY
    category = _choice(rng, {"panne": 0.35, "entretien": 0.30, "reclamation": 0.15, "garantie": 0.20}, n)
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


def _surveys(rng: np.random.Generator, orders: Frame, rates: Rates) -> Frame:
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


# --------------------------------------------------------------------------- ids and references


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


def _finalise_ids(out: dict[str, Frame], offsets: dict[str, int], dirty: float, rng: np.random.Generator) -> None:
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
            _assign_ids(out[table], out[table]["t_created"], offsets[table])
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


def _attach_owners(out: dict[str, Frame], cid: np.ndarray) -> None:
    """The contact whose erasure removes each row (-1: nobody's, e.g. an anonymous simulation)."""
    out["contacts"]["owner"] = cid
    for frame in out.values():
        if not frame or "contact_row" not in frame:
            continue
        rows = frame.get("owner_row", frame["contact_row"])
        frame["owner"] = np.where(rows >= 0, cid[np.maximum(rows, 0)], -1)


def _referrals(
    rng: np.random.Generator, contacts: Frame, out: dict[str, Frame], ctx: BlockContext, offset: int
) -> Frame:
    referee = np.flatnonzero(contacts["acquisition_channel"] == "parrainage")
    # Referrers are clients: this block's contacts with an order, and earlier blocks' clients.
    clients = np.unique(out["orders"]["contact_row"])
    pool_ids = np.concatenate([ctx.referrer_ids, contacts["contact_id"][clients]])
    pool_t = np.concatenate(
        [ctx.referrer_times, out["orders"]["t_created"][np.unique(out["orders"]["contact_row"], return_index=True)[1]]]
    )
    order = np.argsort(pool_t, kind="stable")
    pool_ids, pool_t = pool_ids[order], pool_t[order]
    t = contacts["t_created"][referee]
    available = np.searchsorted(pool_t, t)
    ok = available > 0
    referee, t, available = referee[ok], t[ok], available[ok]
    pick = (rng.random(len(referee)) * available).astype(np.int64)
    frame = {
        "referrer_contact_id": pool_ids[pick].astype(object),
        "referee_contact_id": contacts["contact_id"][referee].astype(object),
        "reward_eur": np.where(
            rng.random(len(referee)) < 0.9, np.array([100.0, 150.0, 200.0])[rng.integers(0, 3, len(referee))], None
        ),
        "t_created": t,
        "owner": contacts["contact_id"][referee],
        "owner2": pool_ids[pick],
    }
    _assign_ids(frame, t, offset)
    return frame


def _privacy_requests(rng: np.random.Generator, contacts: Frame, rates: Rates, offset: int) -> Frame:
    n = len(contacts["contact_id"])
    rows = np.flatnonzero(rng.random(n) < rates.privacy_request)
    m = len(rows)
    kind = _choice(
        rng,
        {
            "acces": 0.28,
            "effacement": 0.36,
            "opposition": 0.20,
            "rectification": 0.08,
            "limitation": 0.04,
            "portabilite": 0.04,
        },
        m,
    )
    received = contacts["t_created"][rows] + uniform_seconds(rng, m, 30, 2200)
    done = rng.random(m) < 0.96
    completed = np.where(done, received + lognormal_seconds(rng, m, 9, 0.6), NEVER)
    frame = {
        "contact_id": contacts["contact_id"][rows],
        "kind": kind,
        "t_created": received,
        "t_completed": completed,
    }
    _assign_ids(frame, received, offset)
    return frame


def _web_visits(rng: np.random.Generator, contacts: Frame, out: dict[str, Frame], sim_visits: Frame) -> Frame:
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
