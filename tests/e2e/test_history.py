"""End-to-end: the publication history over several nights (docs/operations.md).

A chain of nights on a copy of the small CRM: the first (the session's published place, which
freezes every closed period: the backfill), then an erasure and a CRM advanced past a month's
close, then a quiet night, then a revision. Each night's published file is kept and compared.
"""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from dashboards.lib.filters import period_for
from disclosure.history import paris_day
from orchestration.lib import history
from orchestration.lib.warehouse import connect
from synthetic_crm.engine import advance, generate
from tests.support.attacker import differences
from tests.support.dashboards import chart_rows, open_page
from tests.support.nightly import run_in_place
from tests.support.places import SMALL, SMALL_END, Place, copy_place, make_place
from tests.support.tables import table_rows

pytestmark = pytest.mark.e2e
# At least one month closes (on a 16th, or the 1st and 31st) in any 32 days.
DAYS = 32
# The chain's CRM ends 45 days ago, so that every night of the chain is in the past (a night is
# never computed as of the future), and is the session's test CRM otherwise, with web logs over
# more than the 13 months they are kept.
CHAIN_END = SMALL_END - timedelta(days=43)
CHAIN = dataclasses.replace(SMALL, start=CHAIN_END - timedelta(days=1423), end=CHAIN_END, web_log_days=430)
FIRST_NIGHT = datetime.combine(CHAIN_END + timedelta(days=1), time(2))
AFTER_THE_CRM = str(CHAIN_END + timedelta(days=1))


@dataclass
class Night:
    published: Path  # this night's published file, kept
    as_of: datetime
    run_id: str


@dataclass
class Chain:
    place: Place
    nights: list[Night]
    erased_month: date  # the month of the erased person's order, frozen on the first night
    # The second night as it was before the history: every period rebuilt from raw.
    rebuilt: Night


def keep(place: Place, root: Path, name: str) -> Night:
    kept = root / f"{name}.duckdb"
    shutil.copyfile(place.published, kept)
    ((run_id, as_of),) = table_rows(kept, "select run_id, data_as_of from publication")
    return Night(kept, as_of, run_id)


def erase_a_client(place: Place, before: date) -> date:
    """The CRM executes the erasure of a person with an order in a month frozen the first night
    (their rows hard-deleted, the request kept): returns that order's Paris month."""
    # In the busiest closed month: its total is published before and after (at least k + 1).
    contact_id, month = table_rows(
        place.warehouse,
        """
        with orders as (
            select contact_id, date_trunc('month', timezone('Europe/Paris', timezone('UTC', ordered_at)))::date as month
            from raw.orders where cancelled_at is null and ordered_at < ?::timestamp - interval 60 day
        ),
        busiest as (select month from orders group by month order by count(*) desc, month desc limit 1)
        select min(contact_id), any_value(month) from orders where month = (select month from busiest)""",
        [before],
    )[0]
    src = sqlite3.connect(place.sqlite)
    try:
        src.execute(
            "insert into privacy_requests values (777777, ?, 'effacement', ?, ?, ?)",
            [contact_id, f"{AFTER_THE_CRM} 09:00:00", f"{AFTER_THE_CRM} 10:00:00", f"{AFTER_THE_CRM} 10:00:00"],
        )
        for (table,) in src.execute("select name from sqlite_master where type = 'table'").fetchall():
            if table == "privacy_requests":
                continue
            columns = [r[1] for r in src.execute(f"pragma table_info({table})").fetchall()]
            if "contact_id" in columns:
                src.execute(f"delete from {table} where contact_id = ?", [contact_id])
        src.commit()
    finally:
        src.close()
    return month


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> Chain:
    root = tmp_path_factory.mktemp("history")
    place = make_place(root / "place")
    generate(CHAIN, place.source_url, place.web_dir)
    run_in_place(place, as_of=FIRST_NIGHT)
    first = keep(place, root, "first")
    erased_month = erase_a_client(place, first.as_of.date())
    advance(place.source_url, place.web_dir, DAYS)
    second_as_of = first.as_of + timedelta(days=DAYS)
    without = copy_place(place, root / "without_history")
    run_in_place(place, as_of=second_as_of)
    second = keep(place, root, "second")
    run_in_place(place, as_of=second_as_of + timedelta(days=1))
    third = keep(place, root, "third")
    conn = connect(without.warehouse)
    try:
        conn.execute("drop schema history cascade")
    finally:
        conn.close()
    run_in_place(without, as_of=second_as_of)
    return Chain(place, [first, second, third], erased_month, keep(without, root, "rebuilt"))


def rows_of(path: Path, mart: str, period_column: str, periods: list[date]) -> list[tuple]:
    return table_rows(
        path,
        f'select * from "{mart}" where cast("{period_column}" as date) in (select unnest(?::date[])) order by all',
        [periods],
    )


def frozen_by(place: Place, run_id: str) -> dict[str, list[date]]:
    out: dict[str, list[date]] = {}
    for mart, period in table_rows(
        place.warehouse, "select mart, period from history.periods where run_id = ? order by 1, 2", [run_id]
    ):
        out.setdefault(mart, []).append(period)
    return out


def period_columns(path: Path) -> dict[str, str]:
    return {
        mart: table_rows(
            path,
            "select column_name from information_schema.columns where table_name = ? and ordinal_position = 1",
            [mart],
        )[0][0]
        for (mart,) in table_rows(path, "select distinct mart from publication_periods")
    }


def test_the_first_night_freezes_every_closed_period_it_can_compute(published_place):
    statuses = table_rows(
        published_place.warehouse, "select mart, period, status, closes_on from aggregates.period_status"
    )
    as_of = table_rows(published_place.published, "select data_as_of from publication")[0][0]
    today = paris_day(as_of)
    frozen = {(m, p) for m, p in table_rows(published_place.warehouse, "select mart, period from history.periods")}
    for mart, period, status, closes_on in statuses:
        # Frozen tonight exactly when closed by tonight; a closed period it could not compute is lost.
        assert ((mart, period) in frozen) == (status == "closing"), (mart, period, status)
        assert (closes_on <= today) == (status in ("closing", "lost")), (mart, period, status, closes_on)
    assert len(frozen) > 200
    columns = period_columns(published_place.published)
    for mart in {m for m, _ in frozen}:
        periods = sorted(p for m, p in frozen if m == mart)
        published = rows_of(published_place.published, mart, columns[mart], periods)
        kept = table_rows(published_place.warehouse, f'select * from history."{mart}" order by all')
        assert published == kept, mart


def test_a_month_that_closes_is_frozen_that_night_and_served_as_frozen_after(chain):
    first, second, third = chain.nights
    new = frozen_by(chain.place, second.run_id)
    assert new, "no period closed in 32 days"
    columns = period_columns(second.published)
    closes = dict(
        ((m, p), c)
        for m, p, c in table_rows(chain.place.warehouse, "select mart, period, closes_on from aggregates.period_status")
    )
    for mart, periods in new.items():
        for period in periods:
            assert paris_day(first.as_of) < closes[mart, period] <= paris_day(second.as_of), (mart, period)
        # Provisional the night before, in full and final the night it closed, unchanged after.
        assert table_rows(
            first.published,
            "select distinct status from publication_periods where mart = ? and period in (select unnest(?::date[]))",
            [mart, periods],
        ) in ([("provisoire",)], [])
        when_closed = rows_of(second.published, mart, columns[mart], periods)
        assert when_closed == rows_of(third.published, mart, columns[mart], periods), mart
        assert when_closed == table_rows(
            chain.place.warehouse,
            f'select * from history."{mart}" where cast("{columns[mart]}" as date) in (select unnest(?::date[])) order by all',
            [periods],
        )


def test_an_erasure_and_retention_change_no_frozen_cell(chain):
    first, second, _ = chain.nights
    frozen_first = frozen_by(chain.place, first.run_id)
    columns = period_columns(first.published)
    for mart, periods in frozen_first.items():
        assert rows_of(first.published, mart, columns[mart], periods) == rows_of(
            second.published, mart, columns[mart], periods
        ), mart
    # The erasure did change tonight's count of the erased person's month: the frozen one was served.
    recount = table_rows(
        chain.place.warehouse,
        "select n_orders from aggregates.agg_orders_monthly where order_month = ? and departement = 'Tous' "
        "and product_category = 'Tous' and acquisition_channel = 'Tous'",
        [chain.erased_month],
    )[0][0]
    kept = table_rows(
        chain.place.warehouse,
        "select n_orders from history.mart_orders_monthly where order_month = ? and departement = 'Tous' "
        "and product_category = 'Tous' and acquisition_channel = 'Tous'",
        [chain.erased_month],
    )[0][0]
    assert recount == kept - 1
    # Retention cut into frozen periods between the two nights; they are still published.
    lost_since = table_rows(
        chain.place.warehouse,
        """
        select count(*) from history.periods h
        where h.run_id = ? and h.mart = 'mart_funnel_cohorts'
          and exists (select 1 from ops.retention_cuts c where c.name = 'contacts.created_at'
                      and c.last_day >= h.period and (c.first_day is null or c.first_day <= last_day(h.period)))
        """,
        [first.run_id],
    )[0][0]
    assert lost_since > 0, "retention cut into no frozen cohort between the nights"


def test_two_consecutive_publications_differ_only_in_provisional_periods(chain):
    _, second, third = chain.nights
    columns = period_columns(second.published)
    for mart, column in columns.items():
        final = [
            p
            for (p,) in table_rows(
                second.published,
                "select period from publication_periods where mart = ? and status = 'définitif'",
                [mart],
            )
        ]
        assert rows_of(second.published, mart, column, final) == rows_of(third.published, mart, column, final), mart
        provisional = table_rows(
            third.published,
            f'select count(*) from "{mart}" m join publication_periods p on p.mart = ? '
            f"and p.period = cast(m.\"{column}\" as date) and p.status = 'provisoire'",
            [mart],
        )[0][0]
        assert provisional > 0, mart


def test_a_revision_recomputes_exactly_its_period_and_is_recorded(chain, tmp_path):
    place = copy_place(chain.place, tmp_path / "revised")
    third = chain.nights[-1]
    conn = connect(place.warehouse)
    try:
        from disclosure.spec import from_rules_table

        specs = from_rules_table(conn.execute("select mart, rules from marts.disclosure_rules").fetchall())
        asked = history.request_revision(
            conn,
            specs,
            "Commande effacée à la demande de la personne",
            third.as_of,
            period=chain.erased_month,
            marts=["mart_orders_monthly"],
        )
    finally:
        conn.close()
    assert asked == {"mart_orders_monthly": [chain.erased_month]}
    run_in_place(place, as_of=third.as_of)
    columns = period_columns(place.published)
    for mart, column in columns.items():
        final = [
            p
            for (p,) in table_rows(
                third.published,
                "select period from publication_periods where mart = ? and status = 'définitif'",
                [mart],
            )
            if not (mart == "mart_orders_monthly" and p == chain.erased_month)
        ]
        assert rows_of(third.published, mart, column, final) == rows_of(place.published, mart, column, final), mart
    before = rows_of(third.published, "mart_orders_monthly", "order_month", [chain.erased_month])
    after = rows_of(place.published, "mart_orders_monthly", "order_month", [chain.erased_month])
    assert before != after
    ((reason, outcome, changed, revision),) = table_rows(
        place.warehouse,
        "select r.reason, r.outcome, r.rows_changed, p.revision from history.revisions r "
        "join history.periods p using (mart, period)",
    )
    assert (reason, outcome, revision) == ("Commande effacée à la demande de la personne", "recomputed", 1)
    assert changed == len(set(before) ^ set(after))
    assert table_rows(place.published, "select mart, period, outcome from publication_revisions") == [
        ("mart_orders_monthly", chain.erased_month, "recomputed")
    ]
    # The limit docs/operations.md states: a revision publishes the period again, and the two
    # versions differ by the erased person's order.
    assert any(f.table == "mart_orders_monthly" for f in differences(third.published, place.published))


def test_differencing_two_nights_recovers_changes_when_closed_months_are_rebuilt(chain):
    """As the nights were before the history (every period rebuilt from raw): the erasure and
    the purges show in closed months as changes of 1 to 4 between the two files."""
    found = differences(chain.nights[0].published, chain.rebuilt.published)
    assert sum(f.cells for f in found) > 0, found
    assert any(f.table == "mart_orders_monthly" for f in found), found


def test_differencing_consecutive_nights_recovers_nothing(chain):
    first, second, third = chain.nights
    assert differences(first.published, second.published) == []
    assert differences(second.published, third.published) == []


def test_web_traffic_a_year_before_stays_published_after_its_logs_are_purged(chain, monkeypatch, tmp_path):
    first, second, _ = chain.nights
    # Web months frozen the first night whose logs retention has cut into since.
    purged = [
        p
        for (p,) in table_rows(
            chain.place.warehouse,
            """
            select h.period from history.periods h
            where h.run_id = ? and h.mart = 'mart_web_funnel_monthly'
              and exists (select 1 from ops.retention_cuts c where c.name = 'web_sessions.started_at'
                          and c.last_day >= h.period)
            order by 1""",
            [first.run_id],
        )
    ]
    assert purged, "retention cut into no frozen web month between the nights"
    column = "session_month"
    assert rows_of(second.published, "mart_web_funnel_monthly", column, purged) == rows_of(
        first.published, "mart_web_funnel_monthly", column, purged
    )
    # The traffic page draws the same months a year before (N-1) from the frozen history.
    at = open_page(second.published, "app_pages/entonnoir.py", monkeypatch, tmp_path)
    drawn = {
        row["month"].date(): row["n_sessions"]
        for row in chart_rows(at, "Sessions par mois, et un an avant")
        if row["Série"] == "N-1"
    }
    start, end = period_for("12 derniers mois", paris_day(second.as_of))
    published = table_rows(
        second.published,
        """
        select session_month, n_sessions from mart_web_funnel_monthly
        where utm_source = 'Tous' and device = 'Tous' and n_sessions is not null
          and session_month between ?::date - interval 1 year and ?::date - interval 1 year""",
        [start, end],
    )
    assert published and set(purged) & {month for month, _ in published}, (purged, published)
    assert drawn == {month.replace(year=month.year + 1): n for month, n in published}
