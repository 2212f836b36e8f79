"""Keyed pseudonyms (HMAC-SHA256): the key, and the function dbt calls.

Identifiers are normalised before hashing by the dbt macros (``normalise_email``,
``normalise_phone``), so that one person gets one key.

The key comes from ``MGREEN_PSEUDONYMISATION_KEY`` or from the file named by
``MGREEN_PSEUDONYMISATION_KEY_FILE``. It is never logged, never put in an error message,
never written to the warehouse, dbt's ``target/`` or the published file: dbt calls the
HMAC as a DuckDB macro registered by ``orchestration.lib.dbt_plugin`` on each connection,
so compiled SQL holds only the function's name.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from pathlib import Path

MIN_KEY_LENGTH = 32
KEY_ENV = "MGREEN_PSEUDONYMISATION_KEY"
KEY_FILE_ENV = "MGREEN_PSEUDONYMISATION_KEY_FILE"
HOW_TO_SET = (
    f"Set {KEY_ENV} to a secret of at least {MIN_KEY_LENGTH} characters, or {KEY_FILE_ENV} to a file "
    'holding one (for example: python -c "import secrets; print(secrets.token_urlsafe(48))" > key.txt). '
    "`mgreen demo` creates a demo key under data/."
)


class PseudonymisationKeyError(RuntimeError):
    """The pseudonymisation key is missing or unusable (the message never contains it)."""


def load_key(environ: Mapping[str, str] | None = None) -> bytes:
    """The secret key as bytes; raises with instructions when absent or too short."""
    env = os.environ if environ is None else environ
    value = env.get(KEY_ENV, "")
    source = KEY_ENV
    if not value and env.get(KEY_FILE_ENV):
        path = Path(env[KEY_FILE_ENV])
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise PseudonymisationKeyError(
                f"{KEY_FILE_ENV} names {path}, which cannot be read ({exc.strerror}). {HOW_TO_SET}"
            ) from None
        source = f"the file {path}"
    if not value:
        raise PseudonymisationKeyError(f"No pseudonymisation key: the run refuses to start without one. {HOW_TO_SET}")
    if len(value) < MIN_KEY_LENGTH:
        raise PseudonymisationKeyError(
            f"The pseudonymisation key in {source} is {len(value)} characters long; "
            f"at least {MIN_KEY_LENGTH} are required. {HOW_TO_SET}"
        )
    return value.encode("utf-8")


def pseudonym(key: bytes, domain: str, value: str | None) -> str | None:
    """HMAC-SHA256 of ``domain:value`` as 64 hex digits; None stays None.

    The domain ('contact', 'email', 'phone', ...) keeps equal strings of different kinds
    from getting the same pseudonym.
    """
    if value is None:
        return None
    return hmac.digest(key, f"{domain}:{value}".encode(), "sha256").hex()


def _blob_literal(data: bytes) -> str:
    return "'" + "".join(f"\\x{b:02X}" for b in data) + "'::BLOB"


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """RFC 2104: the key padded to SHA-256's block (hashed first when longer), XOR ipad / opad."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    block = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def register_pseudonymiser(conn, environ: Mapping[str, str] | None = None, name: str = "mgreen_pseudonym") -> None:
    """Define ``name(domain, value)`` on a DuckDB connection: HMAC-SHA256 of ``domain:value``.

    A temporary macro, so DuckDB computes it natively and in parallel (twice as fast as a
    Python function, and free of the GIL). It lives in the connection's memory only: never in
    the database file, never in compiled SQL (models call it by name), never logged.
    """
    inner, outer = hmac_pads(load_key(environ))
    conn.execute(
        f"create or replace temp macro {name}(domain, value) as "
        f"case when domain is null or value is null then null else "
        f"sha256({_blob_literal(outer)} || unhex(sha256({_blob_literal(inner)} || "
        f"encode(domain || ':' || value)))) end"
    )
