import numpy as np

from orchestration.lib.pseudonymisation import pseudonym
from synthetic_crm import identifiers as ids


def _iban_valid(iban: str) -> bool:
    compact = iban.replace(" ", "")
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def test_ibans_have_valid_check_digits_and_french_shape():
    rng = np.random.default_rng(1)
    values = ids.ibans(rng, 300)
    assert all(_iban_valid(v) for v in values)
    assert all(v.replace(" ", "").startswith("FR") and len(v.replace(" ", "")) == 27 for v in values)
    assert any(" " in v for v in values) and any(" " not in v for v in values)


def test_tax_numbers_carry_their_mod_511_key():
    values = ids.tax_numbers(np.random.default_rng(2), 500)
    assert all(len(v) == 13 and v[0] in "0123" for v in values)
    assert all(int(v[:10]) % 511 == int(v[10:]) for v in values)


def test_phone_spellings_are_the_ones_people_type():
    rng = np.random.default_rng(3)
    nsn = ids.unique_phone_digits(rng, 2000)
    assert len(set(nsn)) == len(nsn)
    written = ids.format_phones(rng, nsn)
    # Every spelling reduces to the same 9 national digits.
    for raw, digits in zip(written, nsn):
        only = "".join(ch for ch in raw if ch.isdigit())
        assert only.endswith(digits)
    assert {"spaced", "intl"} <= {("intl" if w.startswith("+33") else "spaced") for w in written}


def test_empty_batches_do_not_fail():
    rng = np.random.default_rng(4)
    for fn in (ids.ipv4s, ids.ipv6s, ids.hex_ids, ids.ibans, ids.tax_numbers):
        assert len(fn(rng, 0)) == 0


def test_pseudonym_is_stable_and_domain_separated():
    key = b"k" * 40
    assert pseudonym(key, "email", "a@b.fr") == pseudonym(key, "email", "a@b.fr")
    assert pseudonym(key, "email", "x") != pseudonym(key, "phone", "x")
