"""End-to-end: the nightly job on a small generated CRM, in a temporary folder."""

import json
import re
import shutil
import sqlite3
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4
from zoneinfo import ZoneInfo

import duckdb
import pytest
import yaml
from dagster import AssetKey

from orchestration.lib.pseudonymisation import pseudonym
from orchestration.lib.sql_semantics import resolve_persons
from orchestration.project import DBT_PROJECT_DIR
from synthetic_crm.engine import advance
from tests.support.crm import crm_hard_deletes
from tests.support.crm_oracle import crm_persons, is_cancelled
from tests.support.nightly import run_nightly
from tests.support.places import SMALL_END, TEST_KEY, copy_place, make_place, marts_content
from tests.support.tables import table_rows

pytestmark = pytest.mark.e2e
PARIS = ZoneInfo("Europe/Paris")
# The first day after the test CRM's last: what an advance of the CRM writes is dated from it.
AFTER_THE_CRM = str(SMALL_END + timedelta(days=1))
# About eleven months before the CRM's end: quotes updated since are many, and not all recent.
SINCE = SMALL_END - timedelta(days=330)


def paris_month(utc_text: str) -> str:
    moment = datetime.fromisoformat(utc_text).replace(tzinfo=UTC).astimezone(PARIS)
    return f"{moment.year:04d}-{moment.month:02d}-01"


def expected_orders_by_month(sqlite_path: Path) -> dict[str, tuple[int, float]]:
    """Computed from the CRM directly, by docs/glossary.md's definitions (independent of dbt)."""
    conn = sqlite3.connect(sqlite_path)
    rows = conn.execute(
        "select o.ordered_at, o.status, o.cancelled_at, q.total_excl_tax_eur "
        "from orders o left join quotes q using (quote_id)"
    ).fetchall()
    conn.close()
    out: dict[str, list] = defaultdict(lambda: [0, 0.0])
    for ordered_at, status, cancelled_at, total in rows:
        if is_cancelled(status, cancelled_at):
            continue
        month = paris_month(ordered_at)
        out[month][0] += 1
        if total is not None and total >= 0:
            out[month][1] += total
    return {m: (n, round(v, 2)) for m, (n, v) in out.items()}


def published_orders(published: Path) -> dict[str, tuple[int, float]]:
    rows = table_rows(
        published,
        """
        select strftime(order_month, '%Y-%m-%d'), n_orders, revenue_excl_tax_eur from mart_orders_monthly
        where departement = 'Tous' and product_category = 'Tous' and acquisition_channel = 'Tous'
        and not n_orders_secret and not revenue_excl_tax_eur_secret""",
    )
    return {m: (n, round(float(v), 2)) for m, n, v in rows}


def test_published_orders_and_revenue_equal_the_source(published_place):
    expected = expected_orders_by_month(published_place.sqlite)
    published = published_orders(published_place.published)
    assert len(published) >= 12
    for month, figures in published.items():
        # Every month of the grid is published, those without an order too (0 and 0 EUR).
        assert figures == expected.get(month, (0, 0.0)), month


# Monthly figures computed from the CRM, which keeps every row: (published query giving
# (month, value) for the all-categories cells not secret, CRM query giving (UTC time, value) rows;
# ``is_cancelled`` is docs/glossary.md's rule (tests/support/crm_oracle.py), registered as an SQLite function).
WHOLE_MONTH_FIGURES = {
    "dossiers d'aide": (
        "select submitted_month, n_dossiers_submitted from mart_aid_dossiers_monthly "
        "where aid_scheme = 'Tous' and not n_dossiers_submitted_secret",
        "select submitted_at, 1 from aid_applications where submitted_at is not null",
    ),
    "demandes de financement": (
        "select requested_month, n_requests from mart_financing_monthly "
        "where financing_partner = 'Tous' and not n_requests_secret",
        "select requested_at, 1 from financing_requests",
    ),
    "questionnaires envoyés": (
        "select month, n_surveys_sent from mart_satisfaction_monthly where not n_surveys_sent_secret",
        "select sent_at, 1 from survey_responses",
    ),
    "réponses NPS": (
        "select month, n_answers from mart_satisfaction_monthly where not n_answers_secret",
        "select answered_at, 1 from survey_responses where answered_at is not null and nps_score between 0 and 10",
    ),
    "commandes annulées": (
        "select order_month, n_orders_cancelled from mart_orders_monthly where departement = 'Tous' "
        "and product_category = 'Tous' and acquisition_channel = 'Tous' and not n_orders_cancelled_secret "
        "and n_orders_cancelled is not null",
        "select ordered_at, is_cancelled(status, cancelled_at) from orders",
    ),
}


def test_no_published_month_is_cut_short_by_retention(published_place):
    """Retention purges prospects' rows three years after their last contact, and clients'
    surveys and requests three years after the last service: clocks of their own, not the month
    a mart counts a row in. Every month a mart publishes holds all of its rows (the CRM keeps
    them all); the months retention has cut into are not published. Before retention recorded
    its cuts, old months were published short: a month without its prospects' cancelled orders."""
    conn = sqlite3.connect(published_place.sqlite)
    conn.create_function("is_cancelled", 2, is_cancelled, deterministic=True)
    compared = 0
    for figure, (published_sql, source_sql) in WHOLE_MONTH_FIGURES.items():
        expected: dict[str, int] = defaultdict(int)
        for at, value in conn.execute(source_sql):
            expected[paris_month(at)] += int(value)
        mart = re.search(r"from (mart_\w+)", published_sql)[1]
        # Provisional months are rounded headlines (test_history.py): the final ones are whole.
        final = {
            p
            for (p,) in table_rows(
                published_place.published,
                "select period from publication_periods where mart = ? and status = 'définitif'",
                [mart],
            )
        }
        for month, value in table_rows(published_place.published, published_sql):
            if month not in final:
                continue
            assert value == expected[month.isoformat()], (figure, month)
            compared += 1
    conn.close()
    assert compared >= 30


def test_published_file_has_the_publication_stamp_and_only_aggregates(published_place):
    ((run_id, as_of, published_at, passed, k),) = table_rows(
        published_place.published,
        "select run_id, data_as_of, published_at, checks_passed, min_cell_size from publication",
    )
    assert run_id and passed and k == 5 and as_of <= published_at
    # The guard's pass on the warehouse of this very run is in the file; its last pass, on the
    # file itself, comes after the file is complete (verify last) and reaches the next one.
    passed_checks = table_rows(
        published_place.published,
        "select count(*) from guard_results where passed and target = 'warehouse' and run_id = ?",
        [run_id],
    )[0][0]
    assert passed_checks > 100
    # No mart carries a column that could hold a pseudonymous key.
    columns = table_rows(
        published_place.published,
        "select table_name, column_name from information_schema.columns where table_name like 'mart_%'",
    )
    assert not [c for _, c in columns if c.endswith("_key") or c.endswith("_id")]


def test_small_cells_are_secret_and_flagged(published_place):
    """Every count published is 0 or at least k; a secret figure shows no value."""
    rows = table_rows(
        published_place.published,
        """
        select count(*) filter (where n_orders_secret), count(*) filter (where n_orders between 1 and 4),
               count(*) filter (where n_orders_cancelled between 1 and 4),
               count(*) filter (where n_orders_secret and n_orders is not null),
               count(*) filter (where revenue_excl_tax_eur_secret and revenue_excl_tax_eur is not null)
        from mart_orders_monthly""",
    )[0]
    assert rows[0] > 0 and rows[1:] == (0, 0, 0, 0)


def test_rerun_on_unchanged_source_publishes_identical_figures(published_place, tmp_path, environ):
    """Same source, same instant: the same figures, secret cells included (the pattern is
    deterministic). At another instant the grids may grow by a day, even with no new row."""
    place = copy_place(published_place, tmp_path / "again")
    environ(place)
    ((as_of,),) = table_rows(published_place.published, "select data_as_of from publication")
    result, reason = run_nightly(place, as_of=as_of)
    assert result.success, reason
    assert marts_content(place.published) == marts_content(published_place.published)
    assert (
        table_rows(place.published, "select run_id from publication")[0][0]
        != table_rows(published_place.published, "select run_id from publication")[0][0]
    )


# What a visitor's link can carry as its source: anyone can send the site such a link.
CRAFTED_SOURCES = [
    "jeanne.martin@example.org",
    "06 12 34 56 78",
    "FR76 3000 6000 0112 3456 7890 189",
    "203.0.113.7",
    "Martin-Dupont",
]


def test_a_visitor_controlled_source_is_counted_but_its_label_never_published(published_place, tmp_path, environ):
    """utm_source comes from the URL a visitor followed. Sessions whose source is not one of the
    documented sources are counted under 'inconnu': the night still publishes (the guard would
    refuse an email or a phone number as a label, and such a session stays in the 13-month
    window), and no such label reaches the marts."""
    place = copy_place(published_place, tmp_path / "crafted")
    latest = max(place.web_dir.glob("*.jsonl"))
    lines = latest.read_text().splitlines()
    template = next(json.loads(line) for line in lines if line.startswith("{") and line.endswith("}"))
    month = paris_month(template["started_at"].replace("Z", ""))
    crafted = [{**template, "session_id": uuid4().hex, "utm_source": source} for source in CRAFTED_SOURCES]
    latest.write_text("\n".join(lines + [json.dumps(session) for session in crafted]) + "\n")
    # The month is the running one, published as a rounded headline: its cells are counted in
    # the warehouse's aggregate.
    month_total = (
        "select n_sessions from aggregates.agg_web_funnel_monthly where strftime(session_month, '%Y-%m-%d') = ? "
        "and utm_source = ? and device = 'Tous'"
    )
    before = table_rows(published_place.warehouse, month_total, [month, "Tous"])[0][0]

    environ(place)
    result, reason = run_nightly(place)

    assert result.success, reason
    assert table_rows(place.warehouse, month_total, [month, "Tous"])[0][0] == before + len(crafted)
    # Its own cell: exactly the crafted sessions.
    assert table_rows(place.warehouse, month_total, [month, "inconnu"])[0][0] == len(crafted)
    labels = {
        label for (label,) in table_rows(place.published, "select distinct utm_source from mart_web_funnel_monthly")
    }
    documented = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]["web_sources"]
    assert labels <= {*documented, "direct", "inconnu", "Tous"}, labels


def test_a_day_later_raw_equals_the_source_and_erased_persons_are_gone(published_place, tmp_path, environ):
    place = copy_place(published_place, tmp_path / "later")
    advance(place.source_url, place.web_dir, 20)
    environ(place)
    src = sqlite3.connect(place.sqlite)
    erased = [
        r[0]
        for r in src.execute(
            "select contact_id from privacy_requests where kind = 'effacement' and completed_at >= ?",
            [AFTER_THE_CRM],
        )
    ]
    result, reason = run_nightly(place)
    assert result.success, reason
    for table, key in (
        ("contacts", "contact_id"),
        ("quotes", "quote_id"),
        ("invoices", "invoice_id"),
        ("quote_lines", "quote_id, line_no"),
        ("privacy_requests", "privacy_request_id"),
    ):
        source_keys = set(src.execute(f"select {key} from {table}").fetchall())
        raw_keys = set(table_rows(place.warehouse, f"select {key} from raw.{table}"))
        # Raw holds nothing the CRM does not (erasures included), and every row the
        # advance changed, as the CRM holds it.
        assert raw_keys <= source_keys, table
        changed = set(src.execute(f"select {key} from {table} where updated_at >= ?", [AFTER_THE_CRM]).fetchall())
        assert changed <= raw_keys, table
        if table in ("contacts", "quotes"):
            assert changed, table
    # What raw lacks is what retention purged, and all of it: the contacts of prospects (persons
    # without an order or an invoice that is not cancelled, by the marts' rules) silent for more
    # than three years, as of the run's instant (its "data as of"): a day's margin either side.
    now = table_rows(place.published, "select data_as_of from publication")[0][0]
    three_years_ago = now.replace(year=now.year - 3)
    person = crm_persons(src)
    clients = {
        person.get(contact_id)
        for contact_id, status, cancelled_at in src.execute("select contact_id, status, cancelled_at from orders")
        if not is_cancelled(status, cancelled_at)
    } | {  # whoever was billed: billing data are kept ten years
        person.get(contact_id)
        for contact_id, status in src.execute(
            "select o.contact_id, i.status from invoices i join orders o on o.order_id = i.order_id"
        )
        if not is_cancelled(status, None)
    }
    # Last heard from: collection or last contact; a date after the run is a typing error, and a
    # contact with no other date counts from when the CRM wrote it.
    heard = {
        contact_id: max((d for d in dates if d and d <= str(now)), default=updated_at)
        for contact_id, *dates, updated_at in src.execute(
            "select contact_id, created_at, last_contact_at, updated_at from contacts"
        )
    }
    last_heard = defaultdict(str)
    for contact_id, at in heard.items():
        last_heard[person[contact_id]] = max(last_heard[person[contact_id]], at)
    kept = {r[0] for r in table_rows(place.warehouse, "select contact_id from raw.contacts")}
    purged = set(person) - kept
    past = {
        c for c, p in person.items() if p not in clients and last_heard[p] < str(three_years_ago - timedelta(days=1))
    }
    due = {
        c for c, p in person.items() if p not in clients and last_heard[p] < str(three_years_ago + timedelta(days=1))
    }
    assert past and past <= purged <= due
    # Persons who came back keep their older contacts, silent for three years, with them.
    assert any(heard[c] < str(three_years_ago) for c in kept - due)
    assert (
        table_rows(place.warehouse, "select count(*) from raw.privacy_requests")[0][0]
        == src.execute("select count(*) from privacy_requests").fetchone()[0]
    )
    src.close()
    if erased:
        ids = ",".join(map(str, erased))
        sessions = f"select count(*) from raw.web_sessions where contact_id in ({ids})"
        assert table_rows(place.warehouse, sessions)[0][0] == 0
        # The CRM deleted the persons' rows before the load; what it does not hold, their
        # website sessions, the erasure step removes and records (when they had any).
        if table_rows(published_place.warehouse, sessions)[0][0]:
            events = table_rows(place.warehouse, "select count(*) from ops.gdpr_events where kind = 'erasure'")[0][0]
            assert events > 0


def test_erased_values_do_not_stay_in_the_warehouse_file(published_place, tmp_path, environ):
    place = copy_place(published_place, tmp_path / "erase")
    target, email = table_rows(
        place.warehouse,
        """
        select c.contact_id, c.email from raw.contacts c join raw.orders o using (contact_id)
        where c.email like '%@%' and length(c.email) > 12 limit 1""",
    )[0]
    src = sqlite3.connect(place.sqlite)
    src.execute(
        "insert into privacy_requests values (888888, ?, 'effacement', ?, ?, ?)",
        [target, f"{AFTER_THE_CRM} 09:00:00", f"{AFTER_THE_CRM} 10:00:00", f"{AFTER_THE_CRM} 10:00:00"],
    )
    for table in ("contacts", "consents", "requests", "quotes", "orders", "calls"):
        src.execute(f"delete from {table} where contact_id = ?", [target])
    src.commit()
    src.close()
    assert email.encode() in place.warehouse.read_bytes()
    environ(place)
    result, reason = run_nightly(place)
    assert result.success, reason
    assert email.encode() not in place.warehouse.read_bytes()
    assert not place.warehouse.with_name(place.warehouse.name + ".wal").exists()


def test_rows_the_crm_deleted_do_not_stay_in_the_warehouse_file(published_place, tmp_path, environ):
    """The CRM hard-deletes an erased person before the warehouse loads: key reconciliation
    removes the rows, nothing is left for the erasure step to forget, and the file must still
    be compacted. Only the raw layer and the compaction run: dbt's rewrite of every table
    would otherwise overwrite the free blocks and hide a missing compaction."""
    from dagster import DagsterInstance

    from orchestration.definitions import defs

    place = copy_place(published_place, tmp_path / "crm-delete")
    target, email = table_rows(
        place.warehouse,
        """
        select c.contact_id, c.email from raw.contacts c
        where c.email like '%@%' and length(c.email) > 12
          and c.contact_id not in (select contact_id from raw.orders)
          -- no other contact of the CRM (the same person, typed again) holds these bytes
          and not exists (
              select 1 from raw.contacts o where o.contact_id <> c.contact_id and contains(o.email, c.email)
          )
        limit 1""",
    )[0]
    crm_hard_deletes(place.sqlite, target)
    assert email.encode() in place.warehouse.read_bytes()
    environ(place)
    definitions = defs()
    job = definitions.resolve_job_def("nightly")
    raw_and_compaction = raw_and_compaction_only(definitions)
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, asset_selection=raw_and_compaction, raise_on_error=False)
    assert result.success
    assert table_rows(place.warehouse, "select count(*) from raw.contacts where contact_id = ?", [target]) == [(0,)]
    assert email.encode() not in place.warehouse.read_bytes()


def raw_and_compaction_only(definitions) -> list:
    """The asset keys of the raw layer and the compaction: a night without dbt, whose rewrite of
    every table would overwrite the free blocks and hide a missing compaction."""
    graph = definitions.resolve_asset_graph()
    keys = [key for key in graph.executable_asset_keys if key.path[0] in ("raw", "ops")]
    assert AssetKey(["ops", "warehouse_compaction"]) in keys
    return keys


def test_a_night_that_stops_after_forgetting_leaves_the_next_night_to_compact(published_place, tmp_path, environ):
    """The erasure commits in its first pass, then the night stops (here in the second pass, after
    the other tables' loads). The next night has nothing left to forget, yet must compact: the
    erased values are still in the file's free blocks."""
    from dagster import DagsterInstance

    import orchestration.lib.raw_layer as raw_layer
    from orchestration.definitions import defs

    place = copy_place(published_place, tmp_path / "stopped")
    target, email = table_rows(
        place.warehouse,
        """
        select c.contact_id, c.email from raw.contacts c
        where c.email like '%@%' and length(c.email) > 12
          and not exists (
              select 1 from raw.contacts o where o.contact_id <> c.contact_id and contains(o.email, c.email)
          )
        limit 1""",
    )[0]
    src = sqlite3.connect(place.sqlite)
    src.execute(
        "insert into privacy_requests values (888887, ?, 'effacement', ?, ?, ?)",
        [target, f"{AFTER_THE_CRM} 09:00:00", f"{AFTER_THE_CRM} 10:00:00", f"{AFTER_THE_CRM} 10:00:00"],
    )
    src.commit()
    src.close()
    crm_hard_deletes(place.sqlite, target)
    environ(place)
    passes = []
    real = raw_layer.apply_erasures

    def second_pass_fails(*args, **kwargs):
        passes.append(1)
        if len(passes) == 2:
            raise RuntimeError("injected: the night stops in the erasure's second pass")
        return real(*args, **kwargs)

    definitions = defs()
    job = definitions.resolve_job_def("nightly")
    raw_and_compaction = raw_and_compaction_only(definitions)
    with DagsterInstance.ephemeral() as instance:
        raw_layer.apply_erasures = second_pass_fails
        try:
            stopped = job.execute_in_process(
                instance=instance, asset_selection=raw_and_compaction, raise_on_error=False
            )
        finally:
            raw_layer.apply_erasures = real
        assert not stopped.success and len(passes) == 2
        assert table_rows(place.warehouse, "select count(*) from raw.contacts where contact_id = ?", [target]) == [(0,)]
        # The stopped night left its mark; whether DuckDB happens to have overwritten the freed
        # bytes since is not something to count on.
        assert table_rows(place.warehouse, "select count(*) from ops.compaction_needed")[0][0] >= 1
        result = job.execute_in_process(instance=instance, asset_selection=raw_and_compaction, raise_on_error=False)
    assert result.success
    compaction = result.asset_materializations_for_node("ops__warehouse_compaction")[0]
    assert compaction.metadata["compacted"].value is True
    assert table_rows(place.warehouse, "select count(*) from ops.compaction_needed") == [(0,)]
    assert email.encode() not in place.warehouse.read_bytes()


def _mgreen(*args, env):
    return subprocess.run(
        [str(Path(sys.executable).with_name("mgreen")), *args], capture_output=True, text=True, env=env, timeout=600
    )


def test_run_without_key_refuses_and_says_how(tmp_path):
    place = make_place(tmp_path / "nokey")
    env = {k: v for k, v in place.environ().items() if k != "MGREEN_PSEUDONYMISATION_KEY"}
    env["PATH"] = "/usr/bin:/bin"
    done = _mgreen("run", env=env)
    assert done.returncode != 0
    assert "MGREEN_PSEUDONYMISATION_KEY" in done.stderr and "refuses to start" in done.stderr
    assert not place.published.exists()


def test_a_leaking_mart_stops_publication_and_keeps_the_old_file(published_place, tmp_path):
    """A new model in a copy of the dbt project, with an email column: nothing is published."""
    place = copy_place(published_place, tmp_path / "leak")
    sandbox = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, sandbox, ignore=shutil.ignore_patterns("target", "logs"))
    (sandbox / "models" / "marts" / "mart_contact_emails.sql").write_text(
        "with contacts as (select * from {{ source('crm', 'contacts') }})\n"
        "select month(created_at) as month, lower(email) as contact_email, count(*) as n_persons, "
        "false as is_suppressed from contacts group by all\n"
    )
    before = place.published.read_bytes()
    env = {
        **place.environ(),
        "MGREEN_DBT_PROJECT_DIR": str(sandbox),
        "DAGSTER_HOME": str(tmp_path / "dh"),
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
    }
    done = _mgreen("run", env=env)
    assert done.returncode == 1, done.stderr[-3000:]
    assert "mart_contact_emails" in done.stderr and "email" in done.stderr
    # The console has the steps and checks at INFO (the job's default), not every DEBUG event.
    assert " - INFO - nightly - " in done.stderr and " - DEBUG - " not in done.stdout + done.stderr
    assert place.published.read_bytes() == before
    # The offending values are not printed.
    sample = table_rows(place.warehouse, "select lower(email) from raw.contacts where email like '%@%' limit 50")
    assert not any(e in done.stderr + done.stdout for (e,) in sample)


def test_the_key_is_nowhere_but_the_environment(published_place):
    needle = TEST_KEY.encode()
    for path in [
        published_place.warehouse,
        published_place.published,
        *(DBT_PROJECT_DIR / "target").rglob("*"),
        *(published_place.warehouse.parent / "dbt-target").rglob("*"),
        *(DBT_PROJECT_DIR / "logs").rglob("*"),
        *(published_place.root / "dagster").rglob("*"),
    ]:
        if path.is_file():
            assert needle not in path.read_bytes(), path
    compiled = [
        p
        for p in (published_place.warehouse.parent / "dbt-target").rglob("stg_crm__contacts.sql")
        if p.parent.name == "crm"
    ]
    assert compiled and all("mgreen_pseudonym('contact'" in p.read_text() for p in compiled)


def test_warehouse_is_readable_after_the_run(published_place):
    conn = duckdb.connect(str(published_place.warehouse), read_only=True)
    try:
        persons = conn.execute("select count(*) from intermediate.int_persons_resolved").fetchone()[0]
    finally:
        conn.close()
    assert persons > 1000


def test_full_refresh_brings_back_rows_the_cursor_cannot_see(published_place, tmp_path, environ):
    place = copy_place(published_place, tmp_path / "refresh")
    conn = duckdb.connect(str(place.warehouse))
    # Rows the look-back window will not read again (older than a day before the cursor).
    lost = conn.execute(
        "delete from raw.quotes where updated_at >= ? "
        "and updated_at < (select max(updated_at) from raw.quotes) - interval 1 day",
        [SINCE],
    ).fetchone()[0]
    conn.close()
    assert lost > 0
    environ(place)
    result, reason = run_nightly(place)
    assert result.success, reason
    count = "select count(*) from raw.quotes where updated_at >= ?"
    before = table_rows(published_place.warehouse, count, [SINCE])[0][0]
    assert table_rows(place.warehouse, count, [SINCE])[0][0] == before - lost
    result, reason = run_nightly(place, {"ops": {"raw_layer": {"config": {"full_refresh": True}}}})
    assert result.success, reason
    assert table_rows(place.warehouse, count, [SINCE])[0][0] == before


def test_retention_groups_contacts_into_the_persons_the_marts_count(published_place, tmp_path):
    # Retention's clocks are a person's (sql_semantics.resolve_persons, in SQL on raw) and the marts
    # count dbt's persons (int_contacts_resolved): the two groupings must be the same.
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(published_place.warehouse, warehouse)
    conn = duckdb.connect(str(warehouse))
    resolve_persons(conn)
    key = TEST_KEY.encode()
    retention = defaultdict(set)
    for contact_id, person in conn.execute("select contact_id, person from _contact_person").fetchall():
        retention[person].add(pseudonym(key, "contact", str(contact_id)))
    marts = defaultdict(set)
    for contact_key, person_key in conn.execute(
        "select contact_key, person_key from intermediate.int_contacts_resolved"
    ).fetchall():
        marts[person_key].add(contact_key)
    resolved_by = dict(
        conn.execute("select resolved_by, count(*) from intermediate.int_contacts_resolved group by 1").fetchall()
    )
    conn.close()
    # The small CRM has persons of every kind: by email, by phone, by the phone of an email person.
    assert set(resolved_by) == {"email", "phone", "phone_of_email_person", "contact"}, resolved_by
    assert sum(len(c) > 1 for c in marts.values()) > 10
    assert {frozenset(c) for c in retention.values()} == {frozenset(c) for c in marts.values()}
