"""Every privacy rule, fed a leak of its kind, fails; the clean mart passes; no value is copied.

Two levels: the guard itself (``run_guard`` on a marts schema), and publication, which runs
the guard again on the candidate file and must leave the published file untouched.
"""

import json
from datetime import UTC, datetime

import duckdb
import pytest

from disclosure.pattern import protect
from disclosure.spec import parse
from expectations.guard import GuardReport, RawIdentifiers, load_rules, run_guard
from orchestration.lib.contract import raw_identifiers
from orchestration.lib.publication import (
    PublicationError,
    candidate_path,
    install,
    verify_candidate,
    write_candidate,
)
from tests.support.tables import table_rows

K = 5
PERSONS = 2000
RAW_NAME = ("Zoé", "Lefèvre-Quintard")
RAW_EMAIL = "Zoe.Lefevre-Quintard@example.org"

# A mart's spec (its YAML meta.disclosure), and its aggregate: the true cells, restricted.
SPEC = {
    "aggregate": "agg_clean",
    "period": "month",
    "grain": "month",
    "dimensions": {"departement": "additive"},
    "figures": {
        "n_orders": {"kind": "count", "base": "n_orders__persons"},
        "revenue_eur": {"kind": "amount", "base": "revenue__persons", "top": ["revenue__top1", "revenue__top2"]},
        "average_basket_eur": {"kind": "ratio", "of": ["revenue_eur", "n_orders"]},
        "median_days": {"kind": "median", "base": "median_days__persons"},
    },
}
# January: département 92 holds 3 orders (secret), so 93 must be secret too or Tous - 91 - 93
# gives it back. February: the median rests on 3 orders whose delay is known.
AGGREGATE = """
    select row_number() over () as cell_number, *, n_orders as n_orders__persons, n_orders as revenue__persons,
        revenue_eur / nullif(n_orders, 0) as average_basket_eur
    from (values
        (date '2026-01-01', 'Tous', 40, 12000.0, 900.0, 800.0, 12.0, 40),
        (date '2026-01-01', '91', 20, 6000.0, 900.0, 800.0, 12.0, 20),
        (date '2026-01-01', '92', 3, 900.0, 400.0, 300.0, 10.0, 3),
        (date '2026-01-01', '93', 17, 5100.0, 600.0, 500.0, 14.0, 17),
        (date '2026-02-01', 'Tous', 12, 3000.0, 400.0, 300.0, 9.0, 3),
        (date '2026-02-01', '91', 12, 3000.0, 400.0, 300.0, 9.0, 3),
        (date '2026-02-01', '92', 0, 0.0, null, null, null, 0),
        (date '2026-02-01', '93', 0, 0.0, null, null, null, 0)
    ) as t(month, departement, n_orders, revenue_eur, revenue__top1, revenue__top2, median_days, median_days__persons)
"""
CLEAN = "select * from marts.mart_clean"
INCOME_SPEC = {
    "aggregate": "agg_not_in_this_warehouse",
    "period": "quarter",
    "grain": "quarter",
    "income_breakdown": True,
    "dimensions": {"mpr_income_category": "additive"},
    "figures": {"n_dossiers": {"kind": "count", "base": "n_dossiers__persons"}},
}
NO_SPEC = {}


def with_column(name: str, value: str) -> str:
    return f"select *, {value} as {name} from ({CLEAN})"


def secret_shown(figure: str, value: str) -> str:
    return f"select * replace (case when {figure}_secret then {value} else {figure} end as {figure}) from ({CLEAN})"


def revealed(figure: str, base: str) -> str:
    """The mart with the cells that secondary suppression hid published again (the small ones
    stay secret): the attacker then has what it needs."""
    return (
        f"select m.* replace (case when m.{figure}_secret and a.{base} >= {K} then a.{figure} else m.{figure} end "
        f"as {figure}, m.{figure}_secret and a.{base} < {K} as {figure}_secret) "
        f"from marts.mart_clean m join aggregates.agg_clean a using (month, departement)"
    )


FEBRUARY_PROVISIONAL = {"provisional": "February"}
# A provisional February as published: the headline row, rounded, no median or ratio.
HEADLINE = (
    "select month, departement, 10 as n_orders, false as n_orders_secret, 0.0 as revenue_eur, "
    "false as revenue_eur_secret, null::double as average_basket_eur, false as average_basket_eur_secret, "
    "null::double as median_days, false as median_days_secret from marts.mart_clean where departement = 'Tous'"
)


def provisional(sql: str) -> str:
    """January as published in full, February as ``sql`` gives it (declared provisional)."""
    source = sql if sql.startswith("select * from marts.mart_clean") else f"select * from ({sql.split(' replace ')[0]})"
    if " replace " in sql:
        source = f"select * replace ({sql.split(' replace (', 1)[1]} from ({sql.split(' replace ')[0]})"
    return (
        f"select * from marts.mart_clean where month = date '2026-01-01' union all by name "
        f"select * from ({source}) where month = date '2026-02-01'"
    )


# (rule, SQL of the leaking mart, the offending value if any[, the leaking mart's spec])
LEAKS = [
    ("email_column", with_column("email", "'x'"), None),
    ("phone_column", with_column("telephone", "'x'"), None),
    ("name_column", with_column("last_name", "'x'"), None),
    ("address_column", with_column("adresse", "'x'"), None),
    ("bank_column", with_column("iban", "'x'"), None),
    ("ip_column", with_column("ip_address", "'x'"), None),
    ("tax_column", with_column("tax_number", "'x'"), None),
    ("key_column", with_column("person_key", "'x'"), None),
    ("free_text_column", with_column("comment", "'x'"), None),
    ("email_values", with_column("segment", "'jeanne.martin@example.org'"), "jeanne.martin@example.org"),
    ("phone_values", with_column("segment", "'06 12 34 56 78'"), "06 12 34 56 78"),
    ("iban_values", with_column("segment", "'FR76 3000 6000 0112 3456 7890 189'"), "FR76 3000 6000 0112 3456 7890 189"),
    ("ipv4_values", with_column("segment", "'192.0.2.44'"), "192.0.2.44"),
    ("ipv6_values", with_column("segment", "'2001:db8:85a3::8a2e:370:7334'"), "2001:db8:85a3::8a2e:370:7334"),
    ("street_address_values", with_column("segment", "'12 rue des Lilas'"), "12 rue des Lilas"),
    ("hex_digest_values", with_column("segment", "'" + "ab12" * 16 + "'"), "ab12" * 16),
    (
        "tax_number_values",
        with_column("segment", "'1234567890' || lpad(cast(1234567890 % 511 as varchar), 3, '0')"),
        "1234567890",
    ),
    ("tax_number_values", with_column("code", "1234567890::bigint * 1000 + 1234567890 % 511"), None),
    ("raw_identifier_values", with_column("segment", f"'{RAW_NAME[0]} {RAW_NAME[1]}'"), "Lefèvre"),
    ("raw_identifier_values", with_column("segment", f"lower('{RAW_EMAIL}')"), RAW_EMAIL.lower()),
    # The raw phone '06 98 76 54 32' as a number: matched through the phone normalisation.
    ("raw_identifier_values", with_column("code", "698765432"), "698765432"),
    # A mart without a spec, or whose spec gives a count no base, is refused.
    ("grain_disclosure_spec", CLEAN, None, NO_SPEC),
    (
        "grain_disclosure_spec",
        CLEAN,
        None,
        {**SPEC, "figures": {**SPEC["figures"], "n_orders": {"kind": "count"}}},
    ),
    # An income-category breakdown that does not declare itself one (k = 11).
    ("grain_disclosure_spec", "select 'bleu' as mpr_income_category, 20 as n_orders, false as n_orders_secret", None),
    # A measure the spec does not declare has no base: refused.
    ("grain_figure_declared", with_column("n_orders_cancelled", "n_orders"), None),
    (
        "grain_all_distinct_text_column",
        "select date '2026-01-01' as month, 'C' || range as departement, 20 as n_orders from range(150)",
        None,
    ),
    (
        "grain_rows_per_person",
        f"select date '2020-01-01' + range::integer as month, 'Tous' as departement, 20 as n_orders "
        f"from range({PERSONS})",
        None,
    ),
    (
        "grain_time_of_day",
        "select timestamp '2026-01-01 10:12:13' as month, 'Tous' as departement, 20 as n_orders",
        None,
    ),
    ("value_in_secret_cell", secret_shown("n_orders", "17"), None),
    ("value_in_secret_cell", secret_shown("median_days", "9.0"), None),
    ("count_below_k", f"select * replace (n_orders // 4 as n_orders) from ({CLEAN})", None),
    (
        "count_below_k",
        "select date '2026-01-01' as quarter, 'bleu' as mpr_income_category, 7 as n_dossiers, "
        "false as n_dossiers_secret",
        None,
        INCOME_SPEC,
    ),
    ("ratio_of_secret_figure", secret_shown("average_basket_eur", "300.0"), None),
    (
        "base_below_k",
        f"select * replace (coalesce(median_days, 9.0) as median_days, false as median_days_secret) from ({CLEAN})",
        None,
    ),
    ("published_value_matches", f"select * replace (n_orders + 1 as n_orders) from ({CLEAN})", None),
    ("published_value_matches", f"select * from ({CLEAN}) where departement <> '93'", None),
    ("audit_interval", revealed("n_orders", "n_orders__persons"), None),
    ("audit_interval", revealed("revenue_eur", "revenue__persons"), None),
    # February provisional (publication_periods): its rows must be the rounded headline.
    ("provisional_headline_only", provisional("select * from marts.mart_clean"), None, FEBRUARY_PROVISIONAL),
    ("provisional_rounded", provisional(HEADLINE + " replace (10 + 3 as n_orders)"), None, FEBRUARY_PROVISIONAL),
    (
        "provisional_rounded",
        provisional(HEADLINE + " replace (10000.0 + 1234.5 as revenue_eur)"),
        None,
        FEBRUARY_PROVISIONAL,
    ),
    ("provisional_rounded", provisional(HEADLINE + " replace (9.0 as median_days)"), None, FEBRUARY_PROVISIONAL),
]
LEAK_IDS = [f"{leak[0]}-{i}" for i, leak in enumerate(LEAKS)]


def leak(conn, sql: str, spec: dict | None = None) -> None:
    """The leaking mart, with its spec among the published ones (the clean mart's by default;
    ``FEBRUARY_PROVISIONAL``: that spec, February declared provisional in publication_periods)."""
    if spec is FEBRUARY_PROVISIONAL:
        conn.execute("insert into marts.publication_periods values ('mart_leak', date '2026-02-01', 'provisoire')")
    spec = SPEC if spec is None or spec is FEBRUARY_PROVISIONAL else spec
    conn.execute(f"create table marts.mart_leak as {sql}")
    if spec:
        conn.execute("insert into marts.disclosure_rules values ('mart_leak', ?)", [json.dumps(spec)])


def make_marts(conn: duckdb.DuckDBPyConnection) -> None:
    """The clean mart as the warehouse publishes it: its aggregate protected by the package."""
    conn.execute("create schema aggregates")
    conn.execute(f"create table aggregates.agg_clean as {AGGREGATE}")
    conn.execute("create schema marts")
    spec = parse("mart_clean", SPEC)
    cells = conn.execute("select * from aggregates.agg_clean order by cell_number").df()
    clean = protect({"mart_clean": spec}, {"mart_clean": cells}, K, 11).published(spec, cells)
    conn.register("clean_frame", clean)
    conn.execute("create table marts.mart_clean as select * from clean_frame")
    conn.unregister("clean_frame")
    conn.execute("create table marts.disclosure_rules (mart varchar, rules varchar)")
    conn.execute("create table marts.publication_periods (mart varchar, period date, status varchar)")
    conn.execute("insert into marts.disclosure_rules values ('mart_clean', ?)", [json.dumps(SPEC)])


def make_raw(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("create schema if not exists raw")
    conn.execute(
        "create table raw.contacts (contact_id bigint, first_name varchar, last_name varchar, "
        "email varchar, phone varchar, address_line varchar)"
    )
    conn.execute(
        "insert into raw.contacts values (1, ?, ?, ?, '06 98 76 54 32', '3 allée des Tilleuls')",
        [RAW_NAME[0], RAW_NAME[1], RAW_EMAIL],
    )
    conn.execute("create table raw.payments (payment_id bigint, iban varchar)")
    conn.execute("insert into raw.payments values (1, 'FR14 2004 1010 0505 0001 3M02 606')")
    conn.execute("create table raw.web_sessions (session_id varchar, ip varchar)")
    conn.execute("insert into raw.web_sessions values ('s', '198.51.100.23')")


@pytest.fixture
def conn():
    c = duckdb.connect()
    make_raw(c)
    make_marts(c)
    yield c
    c.close()


def guard(conn) -> GuardReport:
    return run_guard(conn, catalog="memory", schema="marts", k=K, persons_total=PERSONS, identifiers=raw_identifiers())


def test_the_clean_mart_passes_every_rule(conn):
    report = guard(conn)
    assert report.passed, report.summary()
    rules = {f.rule for f in report.findings}
    assert {
        "email_values",
        "raw_identifier_values",
        "count_below_k",
        "value_in_secret_cell",
        "base_below_k",
        "audit_interval",
        "published_value_matches",
        "grain_rows_per_person",
        "key_column",
    } <= rules
    # The clean mart does hide cells: the small one and the one that would give it back.
    secret = conn.execute(
        "select departement from marts.mart_clean where n_orders_secret and month = date '2026-01-01' order by 1"
    ).fetchall()
    assert secret == [("92",), ("93",)]


@pytest.mark.parametrize("rule, sql, value, spec", [(*x, None)[:4] for x in LEAKS], ids=LEAK_IDS)
def test_each_leak_fails_its_rule_without_copying_the_value(conn, rule, sql, value, spec):
    leak(conn, sql, spec)
    report = guard(conn)
    failed = {(f.table, f.rule) for f in report.failures}
    assert ("mart_leak", rule) in failed, report.summary()
    assert all(t == "mart_leak" for t, _ in failed), report.summary()
    if value:
        assert value not in report.summary()
        assert all(value not in f.message for f in report.findings)


def test_a_rule_checked_over_every_table_at_once_still_names_each_failing_column_and_counts(conn):
    """The guard validates each rule once over all tables pooled, then again column by column
    where it failed: the findings say which table and column, with their own counts."""
    leak(conn, f"select *, 'x' || coalesce(n_orders, 0) || '@exemple.fr' as contact, 'aucun' as libelle from ({CLEAN})")
    apart = {**SPEC, "aggregate": "agg_not_in_this_warehouse"}
    conn.execute("create table marts.mart_late as select timestamp '2026-01-01 10:12:13' as month, 20 as n_orders")
    conn.execute(
        f"create table marts.mart_small as select * replace "
        f"(case when n_orders = 12 then 3 when n_orders_secret then 0 else n_orders end as n_orders, "
        f"case when revenue_eur_secret then 1.0 else revenue_eur end as revenue_eur) from ({CLEAN})"
    )
    for mart in ("mart_late", "mart_small"):
        conn.execute("insert into marts.disclosure_rules values (?, ?)", [mart, json.dumps(apart)])
    report = guard(conn)
    failures = {(f.table, f.rule, f.column): f.failing for f in report.failures}
    # Four distinct addresses (40, 20, 12, and 0 for the secret cells and February's zeros).
    assert failures.pop(("mart_leak", "email_values", "contact")) == 4
    # Columns the spec does not declare; a mart without the secret flags of its spec's figures.
    assert failures.pop(("mart_leak", "grain_figure_declared", "contact, libelle")) == 1
    assert failures.pop(("mart_late", "grain_disclosure_spec", None)) == 1
    assert failures == {
        ("mart_late", "grain_time_of_day", "month"): 1,
        # Two cells of 3 orders (February's Tous and 91); two secret ones showing 0 orders and
        # an amount.
        ("mart_small", "count_below_k", "n_orders"): 2,
        ("mart_small", "value_in_secret_cell", "n_orders"): 2,
        ("mart_small", "value_in_secret_cell", "revenue_eur"): 2,
    }, report.summary()
    passed = {(f.table, f.rule, f.column) for f in report.findings if f.passed}
    assert {("mart_leak", "email_values", "libelle"), ("mart_clean", "email_values", "departement")} <= passed
    assert {("mart_leak", "grain_time_of_day", None), ("mart_clean", "grain_time_of_day", None)} <= passed


def test_raw_identifiers_are_counted_per_table_and_column_in_one_pass(conn):
    """One query compares the distinct values of every table with every raw identifier: each
    column gets its own count, under either normalisation, and a raw layer that changed is seen
    by the next pass."""
    conn.execute(
        "create table marts.mart_codes as select * from (values "
        f"(upper('{RAW_EMAIL}'), '+33 6 98 76 54 32'), ('lea.nouvelle@example.org', '3 allée des Tilleuls'), "
        "('FR1420041010050500013M02606', null)) as t(code, libelle)"
    )
    conn.execute(f"create table marts.mart_names as select '{RAW_NAME[1]} {RAW_NAME[0]}' as segment, 1 as n")
    tables = {
        "mart_codes": ("marts.mart_codes", ["code", "libelle"]),
        "mart_names": ("marts.mart_names", ["segment", "n"]),
        "mart_clean": ("marts.mart_clean", ["departement", "n_orders"]),
    }
    found = RawIdentifiers(conn, load_rules(), raw_identifiers()).matches(tables)
    assert found == {
        "mart_codes": {"code": 2, "libelle": 2},
        "mart_names": {"segment": 1, "n": 0},
        "mart_clean": {"departement": 0, "n_orders": 0},
    }
    conn.execute("insert into raw.contacts (contact_id, email) values (2, 'Lea.Nouvelle@example.org')")
    assert RawIdentifiers(conn, load_rules(), raw_identifiers()).matches(tables)["mart_codes"] == {
        "code": 3,
        "libelle": 2,
    }
    assert RawIdentifiers(conn, load_rules(), raw_identifiers()).matches({}) == {}


def test_an_exception_with_a_reason_waives_one_rule_on_one_column(conn, tmp_path):
    rules_file = tmp_path / "rules.yml"
    from expectations.guard import RULES_FILE

    rules_file.write_text(
        RULES_FILE.read_text().replace(
            "exceptions:\n",
            "exceptions:\n  - table: mart_leak\n    column: segment\n    rule: phone_values\n"
            "    reason: Test codes that look like phone numbers.\n",
            1,
        )
    )
    dimension = {
        **SPEC,
        "aggregate": "agg_not_in_this_warehouse",
        "dimensions": {"departement": "additive", "segment": "fixed"},
    }
    leak(conn, with_column("segment", "'06 12 34 56 78'"), dimension)
    report = run_guard(
        conn,
        catalog="memory",
        schema="marts",
        k=K,
        persons_total=PERSONS,
        identifiers=raw_identifiers(),
        rules=load_rules(rules_file),
    )
    assert report.passed, report.summary()
    waived = [f for f in report.findings if f.excepted]
    assert waived and "Test codes" in waived[0].message


def test_a_table_added_without_registration_is_checked(conn):
    conn.execute("create table marts.tomorrows_mart as select 'a@b.fr' as who, 9 as n_persons, false as is_suppressed")
    report = guard(conn)
    assert "tomorrows_mart" in report.tables
    assert ("tomorrows_mart", "email_values") in {(f.table, f.rule) for f in report.failures}


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "w.duckdb"
    c = duckdb.connect(str(path))
    make_raw(c)
    c.execute("create table raw._load_state (table_name varchar, cursor_value timestamp)")
    make_marts(c)
    yield c
    c.close()


def publish(conn, published, run_id: str = "r"):
    at = datetime(2026, 11, 26, tzinfo=UTC)
    candidate = candidate_path(published, run_id)
    rows = write_candidate(conn, candidate, run_id=run_id, k=K, published_at=at, data_as_of=at.replace(tzinfo=None))
    try:
        verify_candidate(
            conn,
            candidate,
            rows,
            lambda cat, schema: run_guard(
                conn,
                catalog=cat,
                schema=schema,
                k=K,
                persons_total=PERSONS,
                identifiers=raw_identifiers(),
                target="published file",
            ),
        )
    except PublicationError:
        candidate.unlink(missing_ok=True)
        raise
    install(candidate, published)


@pytest.mark.parametrize("rule, sql, value, spec", [(*x, None)[:4] for x in LEAKS], ids=LEAK_IDS)
def test_publication_refuses_each_leak_and_keeps_the_published_file(warehouse, tmp_path, rule, sql, value, spec):
    published = tmp_path / "pub" / "marts.duckdb"
    publish(warehouse, published)
    before = published.read_bytes()
    leak(warehouse, sql, spec)
    with pytest.raises(PublicationError) as exc:
        publish(warehouse, published)
    assert rule in str(exc.value) and "mart_leak" in str(exc.value)
    if value:
        assert value not in str(exc.value)
    assert published.read_bytes() == before
    assert not list(published.parent.glob("*.candidate*"))


# A Dagster run id seen in a real run: its last group holds ten digits that read as a Paris
# phone number (01 74 59 05 20). About one run id in 320 has such a run of digits.
PHONE_LIKE_RUN_ID = "27a0159c-cdb9-4626-96dd-3d0174590520"


def test_run_ids_whose_digits_read_as_a_phone_number_are_published_then_and_later(warehouse, tmp_path):
    published = tmp_path / "pub" / "marts.duckdb"
    publish(warehouse, published, run_id=PHONE_LIKE_RUN_ID)
    # The id stays in the published history tables: every later publication carries it.
    publish(warehouse, published, run_id="5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f")
    assert table_rows(published, "select count(*) from publication_history where run_id = ?", [PHONE_LIKE_RUN_ID]) == [
        (1,)
    ]


def test_a_phone_number_written_into_a_run_id_column_is_still_refused(warehouse, tmp_path):
    published = tmp_path / "pub" / "marts.duckdb"
    with pytest.raises(PublicationError) as exc:
        publish(warehouse, published, run_id="06 12 34 56 78")
    assert "publication.run_id: rule 'phone_values' FAILED" in str(exc.value)
    assert "06 12 34 56 78" not in str(exc.value)
    assert not published.exists()


def test_the_guard_prepared_in_the_background_is_the_one_it_then_uses(monkeypatch):
    """The dbt step prepares Great Expectations in a thread while dbt's process starts; the
    guard then uses that very context, and a failure there is raised by the guard itself."""
    from expectations import guard
    from expectations import gx_validator as module

    # The dbt step and the guard reach this module's context through the guard's entry module.
    assert guard.prepare_in_background is module.prepare_in_background
    assert guard.shared_validator is module.shared_validator
    monkeypatch.setattr(module, "_VALIDATOR", None)
    created = []

    class Failing:
        def __init__(self):
            created.append(self)
            raise RuntimeError("GX context refused")

    monkeypatch.setattr(module, "Validator", Failing)
    module.prepare_in_background().join(timeout=30)
    assert len(created) == 1 and module._VALIDATOR is None
    with pytest.raises(RuntimeError, match="GX context refused"):
        module.shared_validator()

    monkeypatch.setattr(module, "Validator", lambda: created.append("ready") or "ready")
    thread = module.prepare_in_background()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert module.shared_validator() == "ready" and created[-1] == "ready" and len(created) == 3


def test_a_provisional_period_published_as_a_rounded_headline_passes(conn):
    leak(conn, provisional(HEADLINE), FEBRUARY_PROVISIONAL)
    report = guard(conn)
    assert report.passed, report.summary()
    checked = {(f.rule, f.column) for f in report.findings if f.table == "mart_leak"}
    assert {("provisional_headline_only", None), ("provisional_rounded", "n_orders")} <= checked
