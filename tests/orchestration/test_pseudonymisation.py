import hmac

import pyarrow as pa
import pytest

from orchestration.lib.pseudonymisation import (
    KEY_ENV,
    KEY_FILE_ENV,
    PseudonymisationKeyError,
    load_key,
    pseudonym,
    pseudonymiser,
)
from tests.conftest import TEST_KEY


def test_pseudonym_is_hmac_sha256_of_domain_and_value():
    key = TEST_KEY.encode()
    expected = hmac.new(key, b"email:jeanne@example.org", "sha256").hexdigest()
    assert pseudonym(key, "email", "jeanne@example.org") == expected
    assert len(expected) == 64
    assert pseudonym(key, "email", None) is None


def test_another_key_gives_other_pseudonyms():
    assert pseudonym(b"a" * 40, "contact", "12") != pseudonym(b"b" * 40, "contact", "12")


def test_vector_function_matches_the_scalar_one_and_keeps_nulls():
    udf = pseudonymiser({KEY_ENV: TEST_KEY})
    out = udf(pa.array(["contact", "email", None, "phone"]), pa.array(["12", "a@b.fr", "x", None])).to_pylist()
    key = TEST_KEY.encode()
    assert out == [pseudonym(key, "contact", "12"), pseudonym(key, "email", "a@b.fr"), None, None]
    # A memoised value is the same value.
    assert udf(pa.array(["contact"]), pa.array(["12"])).to_pylist()[0] == out[0]


def test_missing_key_refuses_with_instructions():
    with pytest.raises(PseudonymisationKeyError) as exc:
        load_key({})
    assert KEY_ENV in str(exc.value) and KEY_FILE_ENV in str(exc.value) and "mgreen demo" in str(exc.value)


def test_short_key_is_refused_without_being_echoed():
    short = "tiny-secret-value"
    with pytest.raises(PseudonymisationKeyError) as exc:
        load_key({KEY_ENV: short})
    assert short not in str(exc.value) and "at least 32" in str(exc.value)


def test_key_file(tmp_path):
    path = tmp_path / "key.txt"
    path.write_text(TEST_KEY + "\n")
    assert load_key({KEY_FILE_ENV: str(path)}) == TEST_KEY.encode()
    with pytest.raises(PseudonymisationKeyError, match="cannot be read"):
        load_key({KEY_FILE_ENV: str(tmp_path / "missing.txt")})
