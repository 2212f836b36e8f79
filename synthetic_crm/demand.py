"""Demand before any quote: requests (whose free text may leak personal details), aid
simulations with the web visits behind them, and phone calls.
"""

from __future__ import annotations

import numpy as np

from synthetic_crm import catalogue as cat
from synthetic_crm.aids import BAND_CEILINGS_1, HOUSEHOLD_FACTOR, MPR_AMOUNT, MPR_ELIGIBLE
from synthetic_crm.block import BlockSpec, Rates
from synthetic_crm.draws import choice, round2
from synthetic_crm.frames import Frame, assign_ids
from synthetic_crm.identifiers import e164, format_phones, hex_ids, join, unique_phone_digits
from synthetic_crm.timeline import DAY, lognormal_seconds

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


def draw_requests(rng: np.random.Generator, contacts: Frame, rates: Rates, dirty: float, offset: int) -> Frame:
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
    kind = choice(rng, {"devis": 0.45, "rendez_vous": 0.25, "contact": 0.30}, m)
    req_channel = np.where(
        channel[rows] == "formulaire_web",
        "web",
        np.where(
            channel[rows] == "telephone", "telephone", choice(rng, {"web": 0.4, "telephone": 0.45, "email": 0.15}, m)
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


def draw_simulations(
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
    anon_income = np.round(rng.lognormal(np.log(34_000 * HOUSEHOLD_FACTOR[anon_size]), 0.55)).astype(np.int64)
    safe = np.maximum(rows, 0)
    is_known = rows >= 0
    size = np.where(is_known, contacts["household_size"][safe], anon_size)
    income = np.where(is_known, contacts["income"][safe], anon_income)
    anon_pc = np.array([c[0] for d in cat.IDF_COMMUNES.values() for c in d], dtype=object)
    postcode = np.where(is_known, contacts["postcode"][safe], anon_pc[rng.integers(0, len(anon_pc), m)])
    house = np.where(is_known, contacts["house"][safe], rng.random(m) < 0.75)
    area = np.round(np.where(house, rng.lognormal(np.log(110), 0.3, m), rng.lognormal(np.log(62), 0.35, m)))
    interest = np.where(is_known, contacts["interest"][safe], rng.integers(0, len(cat.CATEGORIES), m))
    band = (income[:, None] > BAND_CEILINGS_1[None, :] * HOUSEHOLD_FACTOR[size][:, None]).sum(axis=1)
    aid = round2(
        np.where(MPR_ELIGIBLE[interest], MPR_AMOUNT[interest, np.minimum(band, 3)], 0)
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
        "heating_energy": choice(rng, cat.HEATING_ENERGIES, m),
        "annual_energy_kwh": (area * rng.uniform(110, 320, m)).astype(np.int64),
        "recommended_category": np.array(cat.CATEGORIES, dtype=object)[interest],
        "estimated_aid_eur": aid,
        "t_created": t,
    }
    assign_ids(frame, t, spec.id_offsets["simulations"])
    visits = {"contact_row": rows, "session_id": session_ids, "t": t, "form": np.full(m, "simulation", dtype=object)}
    return frame, visits


def draw_calls(rng: np.random.Generator, contacts: Frame, dirty: float, offset: int) -> Frame:
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
    outcome = choice(rng, {"repondu": 0.7, "manque": 0.2, "messagerie": 0.1}, m + unknown)
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
    assign_ids(frame, frame["t_created"], offset)
    return frame
