"""The CRM as it stands at one instant: a projection of the simulated lifecycles.

``project(population, T)`` returns one Arrow table per CRM table, with exactly the columns of
``schema.sql``: rows born at or before T and not erased by T, each with the status, the
nullable instants and the ``updated_at`` it has at T.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from synthetic_crm.frames import TABLE_ORDER, Frame
from synthetic_crm.identifiers import join, zfill
from synthetic_crm.timeline import DAY, NEVER

# Column types of the CRM tables (the order is the DDL's).
SCHEMAS: dict[str, list[tuple[str, pa.DataType]]] = {
    "staff": [
        ("staff_id", pa.int64()),
        ("role", pa.string()),
        ("first_name", pa.string()),
        ("last_name", pa.string()),
        ("email", pa.string()),
        ("team", pa.string()),
        ("hired_on", pa.date32()),
        ("updated_at", pa.timestamp("s")),
    ],
    "products": [
        ("product_code", pa.string()),
        ("category", pa.string()),
        ("label", pa.string()),
        ("list_price_excl_tax_eur", pa.float64()),
        ("vat_rate", pa.float64()),
        ("updated_at", pa.timestamp("s")),
    ],
    "contacts": [
        ("contact_id", pa.int64()),
        ("civility", pa.string()),
        ("last_name", pa.string()),
        ("first_name", pa.string()),
        ("email", pa.string()),
        ("phone", pa.string()),
        ("address_line", pa.string()),
        ("postcode", pa.string()),
        ("city", pa.string()),
        ("acquisition_channel", pa.string()),
        ("lead_provider", pa.string()),
        ("created_at", pa.timestamp("s")),
        ("last_contact_at", pa.timestamp("s")),
        ("updated_at", pa.timestamp("s")),
    ],
    "consents": [
        ("consent_id", pa.int64()),
        ("contact_id", pa.int64()),
        ("purpose", pa.string()),
        ("granted", pa.bool_()),
        ("source", pa.string()),
        ("recorded_at", pa.timestamp("s")),
        ("updated_at", pa.timestamp("s")),
    ],
    "simulations": [
        ("simulation_id", pa.int64()),
        ("contact_id", pa.int64()),
        ("web_session_id", pa.string()),
        ("created_at", pa.timestamp("s")),
        ("household_size", pa.int64()),
        ("fiscal_income_eur", pa.int64()),
        ("postcode", pa.string()),
        ("housing_type", pa.string()),
        ("occupancy", pa.string()),
        ("living_area_m2", pa.int64()),
        ("construction_year", pa.int64()),
        ("heating_energy", pa.string()),
        ("annual_energy_kwh", pa.int64()),
        ("recommended_category", pa.string()),
        ("estimated_aid_eur", pa.float64()),
        ("updated_at", pa.timestamp("s")),
    ],
    "requests": [
        ("request_id", pa.int64()),
        ("contact_id", pa.int64()),
        ("kind", pa.string()),
        ("channel", pa.string()),
        ("product_interest", pa.string()),
        ("message", pa.string()),
        ("created_at", pa.timestamp("s")),
        ("updated_at", pa.timestamp("s")),
    ],
    "calls": [
        ("call_id", pa.int64()),
        ("contact_id", pa.int64()),
        ("caller_number", pa.string()),
        ("tracking_number", pa.string()),
        ("started_at", pa.timestamp("s")),
        ("duration_s", pa.int64()),
        ("outcome", pa.string()),
        ("updated_at", pa.timestamp("s")),
    ],
    "quotes": [
        ("quote_id", pa.int64()),
        ("contact_id", pa.int64()),
        ("sales_rep_id", pa.int64()),
        ("created_at", pa.timestamp("s")),
        ("sent_at", pa.timestamp("s")),
        ("signed_at", pa.timestamp("s")),
        ("status", pa.string()),
        ("site_postcode", pa.string()),
        ("total_excl_tax_eur", pa.float64()),
        ("total_incl_tax_eur", pa.float64()),
        ("updated_at", pa.timestamp("s")),
    ],
    "quote_lines": [
        ("quote_id", pa.int64()),
        ("line_no", pa.int64()),
        ("product_code", pa.string()),
        ("quantity", pa.float64()),
        ("unit_price_excl_tax_eur", pa.float64()),
        ("updated_at", pa.timestamp("s")),
    ],
    "orders": [
        ("order_id", pa.int64()),
        ("quote_id", pa.int64()),
        ("contact_id", pa.int64()),
        ("ordered_at", pa.timestamp("s")),
        ("status", pa.string()),
        ("site_address_line", pa.string()),
        ("site_postcode", pa.string()),
        ("site_city", pa.string()),
        ("cancelled_at", pa.timestamp("s")),
        ("updated_at", pa.timestamp("s")),
    ],
    "installations": [
        ("installation_id", pa.int64()),
        ("order_id", pa.int64()),
        ("technician_id", pa.int64()),
        ("scheduled_for", pa.date32()),
        ("completed_at", pa.timestamp("s")),
        ("before_photo_url", pa.string()),
        ("updated_at", pa.timestamp("s")),
    ],
    "invoices": [
        ("invoice_id", pa.int64()),
        ("order_id", pa.int64()),
        ("invoice_number", pa.string()),
        ("issued_at", pa.timestamp("s")),
        ("due_on", pa.date32()),
        ("amount_incl_tax_eur", pa.float64()),
        ("status", pa.string()),
        ("updated_at", pa.timestamp("s")),
    ],
    "payments": [
        ("payment_id", pa.int64()),
        ("invoice_id", pa.int64()),
        ("paid_at", pa.timestamp("s")),
        ("amount_eur", pa.float64()),
        ("method", pa.string()),
        ("iban", pa.string()),
        ("card_last4", pa.string()),
        ("updated_at", pa.timestamp("s")),
    ],
    "collection_cases": [
        ("case_id", pa.int64()),
        ("invoice_id", pa.int64()),
        ("opened_at", pa.timestamp("s")),
        ("stage", pa.string()),
        ("closed_at", pa.timestamp("s")),
        ("recovered_eur", pa.float64()),
        ("updated_at", pa.timestamp("s")),
    ],
    "financing_requests": [
        ("financing_id", pa.int64()),
        ("contact_id", pa.int64()),
        ("quote_id", pa.int64()),
        ("partner", pa.string()),
        ("amount_eur", pa.float64()),
        ("status", pa.string()),
        ("requested_at", pa.timestamp("s")),
        ("decided_at", pa.timestamp("s")),
        ("updated_at", pa.timestamp("s")),
    ],
    "aid_applications": [
        ("application_id", pa.int64()),
        ("order_id", pa.int64()),
        ("contact_id", pa.int64()),
        ("scheme", pa.string()),
        ("tax_number", pa.string()),
        ("tax_notice_ref", pa.string()),
        ("fiscal_income_eur", pa.int64()),
        ("household_size", pa.int64()),
        ("requested_eur", pa.float64()),
        ("granted_eur", pa.float64()),
        ("status", pa.string()),
        ("submitted_at", pa.timestamp("s")),
        ("decided_at", pa.timestamp("s")),
        ("paid_at", pa.timestamp("s")),
        ("updated_at", pa.timestamp("s")),
    ],
    "service_tickets": [
        ("ticket_id", pa.int64()),
        ("order_id", pa.int64()),
        ("contact_id", pa.int64()),
        ("opened_at", pa.timestamp("s")),
        ("category", pa.string()),
        ("under_warranty", pa.bool_()),
        ("description", pa.string()),
        ("closed_at", pa.timestamp("s")),
        ("updated_at", pa.timestamp("s")),
    ],
    "survey_responses": [
        ("response_id", pa.int64()),
        ("contact_id", pa.int64()),
        ("order_id", pa.int64()),
        ("sent_at", pa.timestamp("s")),
        ("answered_at", pa.timestamp("s")),
        ("nps_score", pa.int64()),
        ("comment", pa.string()),
        ("updated_at", pa.timestamp("s")),
    ],
    "referrals": [
        ("referral_id", pa.int64()),
        ("referrer_contact_id", pa.int64()),
        ("referee_contact_id", pa.int64()),
        ("created_at", pa.timestamp("s")),
        ("reward_eur", pa.float64()),
        ("updated_at", pa.timestamp("s")),
    ],
    "privacy_requests": [
        ("privacy_request_id", pa.int64()),
        ("contact_id", pa.int64()),
        ("kind", pa.string()),
        ("received_at", pa.timestamp("s")),
        ("completed_at", pa.timestamp("s")),
        ("updated_at", pa.timestamp("s")),
    ],
}
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    table: (("quote_id", "line_no") if table == "quote_lines" else (cols[0][0],)) for table, cols in SCHEMAS.items()
}


def _upto(times: np.ndarray, at: int) -> np.ndarray:
    """Instants that have happened by ``at``, NEVER otherwise."""
    return np.where(times <= at, times, NEVER)


def _latest(at: int, *times: np.ndarray) -> np.ndarray:
    """Latest of the instants that have happened by ``at``."""
    stacked = np.stack([np.where(t <= at, t, -1) for t in times])
    return stacked.max(axis=0)


def _status(at: int, default: str, n: int, *steps: tuple[np.ndarray, str]) -> np.ndarray:
    """Status at ``at``: the last step (in the order given) whose instant has passed."""
    out = np.full(n, default, dtype=object)
    for times, name in steps:
        out[times <= at] = name
    return out


def _ts_array(values: np.ndarray) -> pa.Array:
    mask = values >= NEVER
    return pa.array(np.where(mask, 0, values), type=pa.int64(), mask=mask).cast(pa.timestamp("s"))


def _date_array(seconds: np.ndarray) -> pa.Array:
    mask = seconds >= NEVER
    days = np.where(mask, 0, seconds // DAY).astype(np.int32)
    return pa.array(days, type=pa.int32(), mask=mask).cast(pa.date32())


def _to_table(table: str, cols: dict[str, np.ndarray]) -> pa.Table:
    arrays = []
    for name, typ in SCHEMAS[table]:
        values = cols[name]
        if pa.types.is_timestamp(typ):
            arrays.append(_ts_array(np.asarray(values, dtype=np.int64)))
        elif pa.types.is_date(typ):
            arrays.append(_date_array(np.asarray(values, dtype=np.int64)))
        else:
            if values.dtype == object:
                arrays.append(pa.array(values, type=typ, from_pandas=True))
            else:
                arrays.append(pa.array(values, type=typ))
    return pa.Table.from_arrays(arrays, names=[n for n, _ in SCHEMAS[table]])


def _nullable(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    out = values.astype(object)
    out[~keep] = None
    return out


class Projector:
    """Projects a population (a Frame per table) at instants; erasures are resolved once."""

    def __init__(self, population: dict[str, Frame]):
        self.pop = population
        contacts = population["contacts"].get("contact_id", np.empty(0, dtype=np.int64))
        self.erased_at = np.full(int(contacts.max()) + 2 if len(contacts) else 2, NEVER, dtype=np.int64)
        pr = population["privacy_requests"]
        if pr:
            erased = (pr["kind"] == "effacement") & (pr["t_completed"] < NEVER)
            np.minimum.at(self.erased_at, pr["contact_id"][erased].astype(np.int64), pr["t_completed"][erased])

    def erased_by(self, owner: np.ndarray) -> np.ndarray:
        """Erasure instant of each row's owner (NEVER for rows nobody owns)."""
        owner = np.asarray(owner, dtype=np.int64)
        return np.where(owner >= 0, self.erased_at[np.maximum(owner, 0)], NEVER)

    def visible(self, frame: Frame, at: int, born: str = "t_created") -> np.ndarray:
        keep = frame[born] <= at
        if "owner" in frame:
            keep &= self.erased_by(frame["owner"]) > at
        if "owner2" in frame:
            keep &= self.erased_by(frame["owner2"]) > at
        return keep

    def project(self, at: int, tables: tuple[str, ...] = TABLE_ORDER) -> dict[str, pa.Table]:
        out = {}
        for table in tables:
            frame = self.pop[table]
            if not frame:
                out[table] = pa.Table.from_pylist([], schema=pa.schema(SCHEMAS[table]))
                continue
            if table in ("staff", "products"):
                keep = frame["t_updated"] <= at
            else:
                keep = self.visible(frame, at)
            rows = {k: v[keep] for k, v in frame.items()}
            out[table] = _to_table(table, getattr(self, f"_{table}")(rows, at))
        return out

    # ---- one method per table: columns at instant ``at`` of the rows already filtered

    def _staff(self, f: Frame, at: int) -> dict:
        return {**f, "hired_on": f["hired_on"], "updated_at": f["t_updated"]}

    def _products(self, f: Frame, at: int) -> dict:
        return {**f, "updated_at": f["t_updated"]}

    def _contacts(self, f: Frame, at: int) -> dict:
        last = self._last_contact(f["contact_id"], at)
        created = np.where(f["future_typo"], f["t_created"] + 3650 * DAY, f["t_created"])
        return {
            **f,
            "created_at": created,
            "last_contact_at": np.where(last >= 0, last, NEVER),
            "updated_at": np.maximum(f["t_created"], last),
        }

    def _last_contact(self, contact_ids: np.ndarray, at: int) -> np.ndarray:
        """Latest request or answered-for call initiated by each contact, by ``at``."""
        if not len(contact_ids):
            return np.empty(0, dtype=np.int64)
        base = int(contact_ids.min())
        last = np.full(int(contact_ids.max()) - base + 1, -1, dtype=np.int64)
        for table in ("requests", "calls"):
            frame = self.pop[table]
            if not frame:
                continue
            owner = (
                frame["owner"]
                if table == "requests"
                else np.where(np.equal(np.asarray(frame["contact_id"], dtype=object), None), -1, frame["owner"])
            )
            sel = (frame["t_created"] <= at) & (owner >= base) & (owner <= base + len(last) - 1)
            np.maximum.at(last, owner[sel].astype(np.int64) - base, frame["t_created"][sel])
        return last[contact_ids - base]

    def _consents(self, f: Frame, at: int) -> dict:
        return {**f, "consent_id": f["id"], "recorded_at": f["t_created"], "updated_at": f["t_created"]}

    def _simulations(self, f: Frame, at: int) -> dict:
        return {**f, "simulation_id": f["id"], "created_at": f["t_created"], "updated_at": f["t_created"]}

    def _requests(self, f: Frame, at: int) -> dict:
        return {**f, "request_id": f["id"], "created_at": f["t_created"], "updated_at": f["t_created"]}

    def _calls(self, f: Frame, at: int) -> dict:
        return {**f, "call_id": f["id"], "started_at": f["t_created"], "updated_at": f["t_created"] + f["duration_s"]}

    def _quotes(self, f: Frame, at: int) -> dict:
        n = len(f["id"])
        status = _status(
            at,
            "brouillon",
            n,
            (f["t_sent"], "envoye"),
            (f["t_signed"], "signe"),
            (f["t_refused"], "refuse"),
            (f["t_expired"], "expire"),
        )
        typo = (status == "signe") & (np.not_equal(f["status_typo"], None))
        status[typo] = f["status_typo"][typo]
        return {
            **f,
            "quote_id": f["id"],
            "created_at": f["t_created"],
            "sent_at": _upto(f["t_sent"], at),
            "signed_at": _upto(f["t_signed"], at),
            "status": status,
            "updated_at": _latest(at, f["t_created"], f["t_sent"], f["t_signed"], f["t_refused"], f["t_expired"]),
        }

    def _quote_lines(self, f: Frame, at: int) -> dict:
        return {**f, "updated_at": f["t_created"]}

    def _orders(self, f: Frame, at: int) -> dict:
        n = len(f["id"])
        status = _status(
            at,
            "a_planifier",
            n,
            (f["t_planned"], "planifiee"),
            (f["t_completed"], "installee"),
            (f["t_cancelled"], "annulee"),
        )
        typo = np.not_equal(f["status_typo"], None)
        status[typo] = f["status_typo"][typo]
        return {
            **f,
            "order_id": f["id"],
            "ordered_at": f["t_created"],
            "status": status,
            "cancelled_at": _upto(f["t_cancelled"], at),
            "updated_at": _latest(at, f["t_created"], f["t_planned"], f["t_completed"], f["t_cancelled"]),
        }

    def _installations(self, f: Frame, at: int) -> dict:
        return {
            **f,
            "installation_id": f["id"],
            "completed_at": _upto(f["t_completed"], at),
            "updated_at": _latest(at, f["t_created"], f["t_completed"]),
        }

    def _invoices(self, f: Frame, at: int) -> dict:
        n = len(f["id"])
        settled = np.minimum(np.minimum(f["t_paid"], f["t_balance"]), f["t_recovered"])
        # The CRM's nightly batch marks an invoice late the day after its due date, unless paid.
        late = np.where((f["t_due"] < settled) & (f["t_due"] < f["t_cancelled"]), f["t_due"], NEVER)
        status = _status(
            at,
            "emise",
            n,
            (late, "en_retard"),
            (f["t_partial"], "partiellement_payee"),
            (settled, "payee"),
            (f["t_cancelled"], "annulee"),
        )
        typo = np.not_equal(f["status_typo"], None)
        status[typo] = f["status_typo"][typo]
        year = f["t_created"].astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970
        number = join("F", year.astype(str).astype(object), "-", zfill(f["id"], 6))
        return {
            **f,
            "invoice_id": f["id"],
            "invoice_number": number,
            "issued_at": f["t_created"],
            "status": status,
            "updated_at": _latest(at, f["t_created"], late, f["t_partial"], settled, f["t_cancelled"]),
        }

    def _payments(self, f: Frame, at: int) -> dict:
        return {**f, "payment_id": f["id"], "paid_at": f["t_created"], "updated_at": f["t_created"]}

    def _collection_cases(self, f: Frame, at: int) -> dict:
        n = len(f["id"])
        demeure = np.where(f["t_demeure"] < f["t_closed"], f["t_demeure"], NEVER)
        external = np.where(f["t_external"] < f["t_closed"], f["t_external"], NEVER)
        stage = _status(at, "relance", n, (demeure, "mise_en_demeure"), (external, "recouvrement_externe"))
        closed = f["t_closed"] <= at
        return {
            **f,
            "case_id": f["id"],
            "opened_at": f["t_created"],
            "stage": stage,
            "closed_at": _upto(f["t_closed"], at),
            "recovered_eur": _nullable(f["recovered"], closed),
            "updated_at": _latest(at, f["t_created"], demeure, external, f["t_closed"]),
        }

    def _financing_requests(self, f: Frame, at: int) -> dict:
        decided = f["t_decided"] <= at
        status = np.where(decided, np.where(f["accepted"], "acceptee", "refusee"), "demandee").astype(object)
        return {
            **f,
            "financing_id": f["id"],
            "status": status,
            "requested_at": f["t_created"],
            "decided_at": _upto(f["t_decided"], at),
            "updated_at": _latest(at, f["t_created"], f["t_decided"]),
        }

    def _aid_applications(self, f: Frame, at: int) -> dict:
        decided = f["t_decided"] <= at
        status = np.where(decided, np.where(f["refused"], "refusee", "accordee"), "deposee").astype(object)
        status[f["t_paid"] <= at] = "versee"
        typo = (status == "deposee") & (np.not_equal(f["status_typo"], None))
        status[typo] = f["status_typo"][typo]
        granted = np.asarray(f["granted_eur"], dtype=object).copy()
        granted[~decided] = None
        return {
            **f,
            "application_id": f["id"],
            "granted_eur": granted,
            "status": status,
            "submitted_at": f["t_created"],
            "decided_at": _upto(f["t_decided"], at),
            "paid_at": _upto(f["t_paid"], at),
            "updated_at": _latest(at, f["t_created"], f["t_decided"], f["t_paid"]),
        }

    def _service_tickets(self, f: Frame, at: int) -> dict:
        return {
            **f,
            "ticket_id": f["id"],
            "opened_at": f["t_created"],
            "closed_at": _upto(f["t_closed"], at),
            "updated_at": _latest(at, f["t_created"], f["t_closed"]),
        }

    def _survey_responses(self, f: Frame, at: int) -> dict:
        answered = f["t_answered"] <= at
        return {
            **f,
            "response_id": f["id"],
            "sent_at": f["t_created"],
            "answered_at": _upto(f["t_answered"], at),
            "nps_score": _nullable(f["score"], answered),
            "comment": _nullable(f["comment"], answered),
            "updated_at": _latest(at, f["t_created"], f["t_answered"]),
        }

    def _referrals(self, f: Frame, at: int) -> dict:
        return {**f, "referral_id": f["id"], "created_at": f["t_created"], "updated_at": f["t_created"]}

    def _privacy_requests(self, f: Frame, at: int) -> dict:
        return {
            **f,
            "privacy_request_id": f["id"],
            "received_at": f["t_created"],
            "completed_at": _upto(f["t_completed"], at),
            "updated_at": _latest(at, f["t_created"], f["t_completed"]),
        }
