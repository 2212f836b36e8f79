"""The persons: contacts (with their duplicates and unusable details), consents, referrals
between contacts, and privacy requests.
"""

from __future__ import annotations

import numpy as np

from synthetic_crm import catalogue as cat
from synthetic_crm.aids import BAND_CEILINGS_1, HOUSEHOLD_FACTOR
from synthetic_crm.block import BlockContext, Rates
from synthetic_crm.draws import choice
from synthetic_crm.frames import Frame, assign_ids
from synthetic_crm.identifiers import format_phones, join, unique_phone_digits
from synthetic_crm.pools import Pools
from synthetic_crm.timeline import NEVER, lognormal_seconds, month_of, uniform_seconds


def draw_contacts(rng: np.random.Generator, pools: Pools, t0: np.ndarray, dirty: float, offset: int) -> Frame:
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

    channel = choice(rng, cat.ACQUISITION_CHANNELS, n)
    provider = np.where(
        channel == "apporteur",
        np.array(cat.LEAD_PROVIDERS, dtype=object)[rng.integers(0, len(cat.LEAD_PROVIDERS), n)],
        None,
    )

    # The household: size, revenu fiscal de référence, dwelling.
    size = rng.choice(np.arange(1, 8), n, p=[0.21, 0.31, 0.18, 0.17, 0.08, 0.03, 0.02])
    median = 34_000 * HOUSEHOLD_FACTOR[size] * np.where(idf, 1.0, 0.8)
    income = np.round(rng.lognormal(np.log(median), 0.55)).astype(np.int64)
    ceilings = BAND_CEILINGS_1[None, :] * HOUSEHOLD_FACTOR[size][:, None] * np.where(idf, 1.0, 0.73)[:, None]
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


def draw_consents(rng: np.random.Generator, contacts: Frame, offset: int) -> Frame:
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
    assign_ids(frame, frame["t_created"], offset)
    return frame


def draw_referrals(
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
    assign_ids(frame, t, offset)
    return frame


def draw_privacy_requests(rng: np.random.Generator, contacts: Frame, rates: Rates, offset: int) -> Frame:
    n = len(contacts["contact_id"])
    rows = np.flatnonzero(rng.random(n) < rates.privacy_request)
    m = len(rows)
    kind = choice(
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
    assign_ids(frame, received, offset)
    return frame
