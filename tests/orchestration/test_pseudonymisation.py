import hmac

import duckdb
import pytest

from orchestration.lib.pseudonymisation import (
    KEY_ENV,
    KEY_FILE_ENV,
    PseudonymisationKeyError,
    load_key,
    pseudonym,
    register_pseudonymiser,
)
from tests.support.places import TEST_KEY


def test_pseudonym_is_hmac_sha256_of_domain_and_value():
    key = TEST_KEY.encode()
    expected = hmac.new(key, b"email:jeanne@example.org", "sha256").hexdigest()
    assert pseudonym(key, "email", "jeanne@example.org") == expected
    assert len(expected) == 64
    assert pseudonym(key, "email", None) is None


def test_another_key_gives_other_pseudonyms():
    assert pseudonym(b"a" * 40, "contact", "12") != pseudonym(b"b" * 40, "contact", "12")


@pytest.mark.parametrize("key", [TEST_KEY, "k" * 120])
def test_the_duckdb_function_is_the_same_hmac_and_keeps_nulls(key):
    conn = duckdb.connect()
    register_pseudonymiser(conn, {KEY_ENV: key})
    rows = conn.execute(
        "select mgreen_pseudonym(d, v) from (values ('contact', '12'), ('email', 'élise@example.org'), "
        "(null, 'x'), ('phone', null)) as t(d, v)"
    ).fetchall()
    raw = key.encode()
    assert [r[0] for r in rows] == [
        pseudonym(raw, "contact", "12"),
        pseudonym(raw, "email", "élise@example.org"),
        None,
        None,
    ]


def test_the_function_lives_in_memory_only(tmp_path):
    path = tmp_path / "w.duckdb"
    conn = duckdb.connect(str(path))
    register_pseudonymiser(conn, {KEY_ENV: TEST_KEY})
    conn.execute("create table t as select mgreen_pseudonym('contact', '1') as k")
    conn.close()
    assert TEST_KEY.encode() not in path.read_bytes()
    reopened = duckdb.connect(str(path))
    with pytest.raises(duckdb.CatalogException):
        reopened.execute("select mgreen_pseudonym('contact', '1')")


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
