"""The synthetic CRM: determinism, integrity, realistic rates, dirty data, advancing days."""

import hashlib
import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from synthetic_crm.engine import GenerationParams, advance, generate, read_as_of
from synthetic_crm.ids import ORPHAN_ID_BASE
from synthetic_crm.source import SourceError, table_names
from tests.support.places import make_place


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _q(db: Path, sql: str):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_same_seed_same_bytes(tmp_path):
    params = GenerationParams(contacts=400, seed=11, start=date(2025, 1, 1), end=date(2025, 12, 31), web_log_days=20)
    a, b = make_place(tmp_path / "a"), make_place(tmp_path / "b")
    generate(params, a.source_url, a.web_dir)
    generate(params, b.source_url, b.web_dir)
    assert _digest(a.sqlite) == _digest(b.sqlite)
    files_a = sorted(p.name for p in a.web_dir.iterdir())
    assert files_a == sorted(p.name for p in b.web_dir.iterdir()) and len(files_a) == 20
    assert all(_digest(a.web_dir / n) == _digest(b.web_dir / n) for n in files_a)
    other = make_place(tmp_path / "c")
    generate(
        GenerationParams(**{**params.to_state(), "seed": 12, "start": params.start, "end": params.end}),
        other.source_url,
        other.web_dir,
    )
    assert _digest(other.sqlite) != _digest(a.sqlite)


def test_every_table_of_the_schema_is_filled(generated_source):
    counts = {t: _q(generated_source.sqlite, f"select count(*) from {t}")[0][0] for t in table_names()}
    assert len(counts) == 20
    assert all(n > 0 for n in counts.values()), counts


def test_funnel_rates_are_plausible(generated_source):
    db = generated_source.sqlite
    contacts = _q(db, "select count(*) from contacts")[0][0]
    quotes_sent = _q(db, "select count(distinct contact_id) from quotes where sent_at is not null")[0][0]
    orders = _q(db, "select count(distinct contact_id) from orders")[0][0]
    # Documented ranges (docs/generator.md): a quote for 20-45 % of contacts, an order for 5-18 %.
    assert 0.20 <= quotes_sent / contacts <= 0.45
    assert 0.05 <= orders / contacts <= 0.18
    cancelled = _q(db, "select avg(case when status = 'annulee' then 1.0 else 0 end) from orders")[0][0]
    assert 0.02 <= cancelled <= 0.15
    # Heat pumps dominate winter orders, solar panels do better in summer.
    heating_winter = _q(
        db,
        """
        select avg(case when p.category = 'pompe_a_chaleur_air_eau' then 1.0 else 0 end)
        from quote_lines l join products p using (product_code) join quotes q using (quote_id)
        where cast(strftime('%m', q.created_at) as int) in (11, 12, 1, 2) and l.line_no = 1""",
    )[0][0]
    heating_summer = _q(
        db,
        """
        select avg(case when p.category = 'pompe_a_chaleur_air_eau' then 1.0 else 0 end)
        from quote_lines l join products p using (product_code) join quotes q using (quote_id)
        where cast(strftime('%m', q.created_at) as int) in (5, 6, 7, 8) and l.line_no = 1""",
    )[0][0]
    assert heating_winter > heating_summer
    # About nine contacts in ten live in Île-de-France.
    idf = _q(
        db,
        "select avg(case when substr(postcode, 1, 2) in ('75','77','78','91','92','93','94','95') "
        "then 1.0 else 0 end) from contacts",
    )[0][0]
    assert 0.85 <= idf <= 0.95


def test_prices_are_realistic(generated_source):
    rows = dict(
        _q(
            generated_source.sqlite,
            """
        select p.category, avg(l.unit_price_excl_tax_eur * l.quantity) from quote_lines l
        join products p using (product_code) group by 1""",
        )
    )
    assert rows["pompe_a_chaleur_air_eau"] > 8000
    assert rows["isolation_combles"] < rows["pompe_a_chaleur_air_eau"] / 2


def test_references_hold_except_the_counted_orphans(generated_source):
    db = generated_source.sqlite
    orphan_quotes = _q(db, "select count(*) from quotes where contact_id not in (select contact_id from contacts)")[0][
        0
    ]
    deliberate = _q(db, f"select count(*) from quotes where contact_id >= {ORPHAN_ID_BASE}")[0][0]
    assert orphan_quotes == deliberate and deliberate > 0
    for child, fk, parent, pk in (
        ("orders", "quote_id", "quotes", "quote_id"),
        ("invoices", "order_id", "orders", "order_id"),
        ("payments", "invoice_id", "invoices", "invoice_id"),
    ):
        broken = _q(db, f"select count(*) from {child} where {fk} not in (select {pk} from {parent})")[0][0]
        planted = _q(db, f"select count(*) from {child} where {fk} >= {ORPHAN_ID_BASE}")[0][0]
        assert broken == planted, child


def test_dirty_data_rates_follow_the_setting(tmp_path):
    def bad_share(dirty: float) -> float:
        place = make_place(tmp_path / str(dirty))
        generate(
            GenerationParams(
                contacts=3000, seed=5, start=date(2024, 1, 1), end=date(2025, 12, 31), dirty_rate=dirty, web_log_days=2
            ),
            place.source_url,
            place.web_dir,
        )
        return _q(
            place.sqlite,
            "select avg(case when email = 'n/a' or email like '% at %' or email like '%@@%' "
            "then 1.0 else 0 end) from contacts where email is not null",
        )[0][0]

    clean, dirty = bad_share(0.0), bad_share(0.08)
    assert clean == 0.0
    # About three quarters of the dirty emails take these shapes (the rest lose their TLD).
    assert 0.03 <= dirty <= 0.09


def test_duplicates_share_an_email_in_another_spelling(generated_source):
    same = _q(
        generated_source.sqlite,
        """
        select count(*) from (select lower(trim(email)) e from contacts where email like '%@%'
        group by 1 having count(*) > 1)""",
    )[0][0]
    assert same > 0


def test_erasures_leave_only_the_request(generated_source):
    db = generated_source.sqlite
    erased = [
        r[0]
        for r in _q(
            db, "select contact_id from privacy_requests where kind = 'effacement' and completed_at is not null"
        )
    ]
    assert erased
    ids = ",".join(map(str, erased))
    for table in ("contacts", "consents", "requests", "quotes", "orders", "service_tickets", "survey_responses"):
        assert _q(db, f"select count(*) from {table} where contact_id in ({ids})")[0][0] == 0, table
    assert (
        _q(db, f"select count(*) from referrals where referrer_contact_id in ({ids}) or referee_contact_id in ({ids})")[
            0
        ][0]
        == 0
    )


def test_session_logs_have_broken_lines_and_midnight_sessions(tmp_path):
    """On fixed dates: about ten sessions a day, and one in a few hundred crosses midnight, so
    the generated CRM of the other tests, which moves with the clock, has none on some days."""
    place = make_place(tmp_path)
    params = GenerationParams(contacts=1500, seed=7, start=date(2023, 1, 1), end=date(2026, 11, 24), web_log_days=60)
    generate(params, place.source_url, place.web_dir)
    bad, sessions = 0, {}
    for path in sorted(place.web_dir.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                bad += 1
                continue
            sessions.setdefault(record["session_id"], []).append(path.name)
            assert {"ip", "user_agent", "pages", "utm_source", "form", "contact_id"} <= set(record)
    assert bad > 0
    assert any(len(files) == 2 for files in sessions.values())
    linked = [s for s in sessions if s]
    assert linked


def test_advance_days_changes_statuses_adds_rows_and_erases(tmp_path):
    place = make_place(tmp_path / "adv")
    params = GenerationParams(contacts=2500, seed=3, start=date(2022, 1, 1), end=date(2026, 10, 31), web_log_days=5)
    generate(params, place.source_url, place.web_dir)
    before = dict(_q(place.sqlite, "select quote_id, status from quotes"))
    contacts_before = _q(place.sqlite, "select count(*) from contacts")[0][0]
    summary = advance(place.source_url, place.web_dir, 10)
    assert summary.as_of == date(2026, 11, 10) == read_as_of(place.source_url)
    after = dict(_q(place.sqlite, "select quote_id, status from quotes"))
    assert any(before[q] != after.get(q, before[q]) for q in before), "no quote changed status"
    assert len(set(after) - set(before)) > 0
    assert _q(place.sqlite, "select count(*) from contacts")[0][0] > contacts_before - summary.deleted.get(
        "contacts", 0
    )
    assert (place.web_dir / "2026-11-10.jsonl").exists()
    newest = _q(place.sqlite, "select max(updated_at) from contacts")[0][0]
    assert newest.startswith("2026-11-")


def test_advancing_in_steps_equals_advancing_at_once(tmp_path):
    params = GenerationParams(contacts=800, seed=9, start=date(2025, 1, 1), end=date(2026, 6, 30), web_log_days=3)
    a, b = make_place(tmp_path / "a"), make_place(tmp_path / "b")
    generate(params, a.source_url, a.web_dir)
    generate(params, b.source_url, b.web_dir)
    advance(a.source_url, a.web_dir, 3)
    for _ in range(3):
        advance(b.source_url, b.web_dir, 1)
    for table in table_names():
        assert _q(a.sqlite, f"select * from {table} order by 1, 2") == _q(
            b.sqlite, f"select * from {table} order by 1, 2"
        ), table


def test_generate_refuses_to_overwrite_and_advance_needs_a_generated_source(tmp_path):
    place = make_place(tmp_path / "x")
    params = GenerationParams(contacts=50, seed=1, start=date(2026, 1, 1), end=date(2026, 1, 31), web_log_days=1)
    generate(params, place.source_url, place.web_dir)
    with pytest.raises(SourceError, match="already holds a CRM"):
        generate(params, place.source_url, place.web_dir)
    generate(params, place.source_url, place.web_dir, overwrite=True)
    empty = make_place(tmp_path / "empty")
    with pytest.raises(SourceError, match="not made by `mgreen generate`"):
        advance(empty.source_url, empty.web_dir, 1)
    with pytest.raises(ValueError, match="--contacts"):
        GenerationParams(contacts=0)
    with pytest.raises(ValueError, match="before"):
        GenerationParams(contacts=5, start=date(2026, 1, 2), end=date(2026, 1, 1))


def test_a_malformed_source_url_is_refused_without_echoing_it(tmp_path):
    params = GenerationParams(contacts=5, seed=1, start=date(2026, 1, 1), end=date(2026, 1, 31), web_log_days=1)
    with pytest.raises(SourceError, match="not a database URL") as refused:
        generate(params, "crm_user:s3cr3t-pass@db.example/crm", tmp_path / "web")
    assert "s3cr3t" not in str(refused.value)
