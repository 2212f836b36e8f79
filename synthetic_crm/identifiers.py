"""Vectorised builders for identifiers in the shapes the CRM holds them.

Every function takes a numpy Generator and returns arrays; nothing loops over rows in
Python except where a string must be assembled (done with pyarrow compute kernels).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_DIGITS = np.array(list("0123456789"))
_ALNUM = np.array(list("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"))


def zfill(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal strings (numpy's kernel fails on empty arrays: small days have them)."""
    if len(values) == 0:
        return np.empty(0, dtype=object)
    return np.char.zfill(np.asarray(values).astype(str), width).astype(object)


def digit_strings(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    """``n`` strings of ``width`` random digits."""
    picks = rng.integers(0, 10, size=(n, width), dtype=np.int8)
    return _join_chars(_DIGITS[picks])


def _join_chars(chars: np.ndarray) -> np.ndarray:
    # (n, width) array of 1-char strings -> n strings, with one C-level view.
    width = chars.shape[1]
    return chars.astype("<U1").view(f"<U{width}").reshape(-1).astype(object)


def unique_phone_digits(rng: np.random.Generator, n: int) -> np.ndarray:
    """National significant numbers (9 digits, no leading 0), unique within the batch.

    Mobile (6, 7) for most, Île-de-France landlines (1) and nationwide (9) for the rest.
    """
    lead = rng.choice(np.array(["6", "7", "1", "9"]), size=n, p=[0.62, 0.18, 0.15, 0.05])
    body = digit_strings(rng, n, 8)
    numbers = pc.binary_join_element_wise(
        pa.array(lead, type=pa.string()), pa.array(body, type=pa.string()), ""
    ).to_numpy(zero_copy_only=False)
    # Resample the rare collisions so that two persons never share a number by accident.
    for _ in range(10):
        _, first_index = np.unique(numbers, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first_index] = False
        if not dup.any():
            break
        numbers[dup] = pc.binary_join_element_wise(
            pa.array(lead[dup], type=pa.string()), pa.array(digit_strings(rng, int(dup.sum()), 8), type=pa.string()), ""
        ).to_numpy(zero_copy_only=False)
    return numbers


PHONE_STYLES = ("spaced", "compact", "intl_spaced", "intl_compact", "dotted")
PHONE_STYLE_WEIGHTS = (0.50, 0.20, 0.15, 0.10, 0.05)


def format_phones(rng: np.random.Generator, nsn: np.ndarray) -> np.ndarray:
    """Write 9-digit national numbers in the spellings people type."""
    n = len(nsn)
    s = pa.array(nsn, type=pa.string())
    pairs = [pc.utf8_slice_codeunits(s, i, i + 2) for i in (1, 3, 5, 7)]
    first = pc.utf8_slice_codeunits(s, 0, 1)
    national_spaced = pc.binary_join_element_wise(pc.binary_join_element_wise("0", first, ""), *pairs, " ")
    national_compact = pc.binary_join_element_wise("0", s, "")
    intl_spaced = pc.binary_join_element_wise("+33", first, *pairs, " ")
    intl_compact = pc.binary_join_element_wise("+33", s, "")
    dotted = pc.binary_join_element_wise(pc.binary_join_element_wise("0", first, ""), *pairs, ".")
    choices = np.stack(
        [
            c.to_numpy(zero_copy_only=False)
            for c in (national_spaced, national_compact, intl_spaced, intl_compact, dotted)
        ]
    )
    style = rng.choice(len(PHONE_STYLES), size=n, p=PHONE_STYLE_WEIGHTS)
    return choices[style, np.arange(n)]


def e164(nsn: np.ndarray) -> np.ndarray:
    """The canonical form of 9-digit national numbers."""
    return pc.binary_join_element_wise("+33", pa.array(nsn, type=pa.string()), "").to_numpy(zero_copy_only=False)


def _mod97(digits: np.ndarray) -> np.ndarray:
    """Remainder modulo 97 of long decimal strings, by chunks of 7 digits."""
    out = np.zeros(len(digits), dtype=np.int64)
    width = len(digits[0]) if len(digits) else 0
    numeric = (
        np.asarray(digits, dtype=f"<U{width}").view("<U1").reshape(len(digits), width).astype(np.int64)
        if len(digits)
        else np.empty((0, 0), dtype=np.int64)
    )
    for start in range(0, width, 7):
        chunk = numeric[:, start : start + 7]
        value = np.zeros(len(digits), dtype=np.int64)
        for j in range(chunk.shape[1]):
            value = value * 10 + chunk[:, j]
        out = (out * (10 ** chunk.shape[1]) + value) % 97
    return out


def ibans(rng: np.random.Generator, n: int) -> np.ndarray:
    """French IBANs with valid check digits, grouped by four as often printed."""
    if n == 0:
        return np.empty(0, dtype=object)
    bban = digit_strings(rng, n, 23)
    # Check digits: 98 - (BBAN + "FR00" as digits) mod 97, with F=15, R=27.
    rearranged = pc.binary_join_element_wise(pa.array(bban, type=pa.string()), "152700", "").to_numpy(
        zero_copy_only=False
    )
    check = 98 - _mod97(rearranged)
    check_str = zfill(check, 2)
    compact = pc.binary_join_element_wise(
        "FR", pa.array(check_str, type=pa.string()), pa.array(bban, type=pa.string()), ""
    )
    groups = [pc.utf8_slice_codeunits(compact, i, i + 4) for i in range(0, 27, 4)]
    spaced = pc.binary_join_element_wise(*groups, " ").to_numpy(zero_copy_only=False)
    grouped = rng.random(n) < 0.7
    return np.where(grouped, spaced, compact.to_numpy(zero_copy_only=False))


def tax_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """Numéros fiscaux: 13 digits, first 0-3, last three = first ten mod 511."""
    if n == 0:
        return np.empty(0, dtype=object)
    first = rng.integers(0, 4, size=n)
    rest = rng.integers(0, 10**9, size=n, dtype=np.int64)
    head = first.astype(np.int64) * 10**9 + rest
    key = head % 511
    return join(zfill(head, 10), zfill(key, 3))


def tax_notice_refs(rng: np.random.Generator, n: int) -> np.ndarray:
    """Références d'avis d'impôt: 13 upper-case alphanumerics starting with a year."""
    if n == 0:
        return np.empty(0, dtype=object)
    year = rng.integers(19, 27, size=n).astype(str)
    body = _join_chars(_ALNUM[rng.integers(0, len(_ALNUM), size=(n, 11))])
    return np.char.add(year, body.astype(str)).astype(object)


def ipv4s(rng: np.random.Generator, n: int) -> np.ndarray:
    octets = rng.integers(1, 255, size=(n, 4))
    octets[:, 0] = rng.choice(np.array([78, 80, 82, 86, 88, 90, 92, 109, 176, 185, 193, 212]), size=n)
    parts = [pa.array(octets[:, i].astype(str), type=pa.string()) for i in range(4)]
    return pc.binary_join_element_wise(*parts, ".").to_numpy(zero_copy_only=False)


def ipv6s(rng: np.random.Generator, n: int) -> np.ndarray:
    groups = rng.integers(0, 65536, size=(n, 6))
    parts = [pa.array(np.char.mod("%x", groups[:, i]).astype(object), type=pa.string()) for i in range(6)]
    return pc.binary_join_element_wise("2a01:cb1d", *parts, ":").to_numpy(zero_copy_only=False)


def hex_ids(rng: np.random.Generator, n: int, width: int = 32) -> np.ndarray:
    hexdigits = np.array(list("0123456789abcdef"))
    return _join_chars(hexdigits[rng.integers(0, 16, size=(n, width))])


def join(*parts, sep: str = "") -> np.ndarray:
    """Element-wise string join of arrays (or scalars) with pyarrow's kernel."""
    arrays = [p if isinstance(p, str) else pa.array(p, type=pa.string()) for p in parts]
    return pc.binary_join_element_wise(*arrays, sep).to_numpy(zero_copy_only=False)
