"""docs/glossary.md's definitions computed in Python from the CRM, independent of the warehouse's
SQL that the end-to-end tests check against them."""

from __future__ import annotations

import re
import sqlite3

from text_unidecode import unidecode


def is_cancelled(status: str | None, cancelled_at: str | None) -> bool:
    """docs/glossary.md: an order is cancelled when it has a cancellation time or its status is annulée."""
    return cancelled_at is not None or unidecode(status or "").strip().lower() == "annulee"


def crm_persons(src: sqlite3.Connection) -> dict[int, str]:
    """docs/glossary.md's persons, computed in Python from the CRM: same valid email, else same valid
    phone (a phone also carried by contacts with a valid email joins the earliest of them), else
    the contact alone. Independent of the warehouse's SQL, which it checks."""
    email_shape = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}")

    def email(value):
        value = (value or "").strip().lower()
        return value if email_shape.fullmatch(value) else None

    def phone(value):
        digits = re.sub(r"[\s.()/-]", "", value or "")
        for prefix, pattern in (
            ("0", r"0[1-9][0-9]{8}"),
            ("+33", r"\+33[1-9][0-9]{8}"),
            ("0033", r"0033[1-9][0-9]{8}"),
        ):
            if re.fullmatch(pattern, digits):
                return "+33" + digits[len(prefix) :]
        return None

    contacts = [
        (contact_id, created_at, email(e), phone(p))
        for contact_id, created_at, e, p in src.execute("select contact_id, created_at, email, phone from contacts")
    ]
    owner = {}
    for _, _, e, p in sorted((c for c in contacts if c[2] and c[3]), key=lambda c: (c[1], c[0])):
        owner.setdefault(p, e)
    return {
        c: f"e:{e}" if e else (f"e:{owner[p]}" if p in owner else f"p:{p}") if p else f"c:{c}"
        for c, _, e, p in contacts
    }
