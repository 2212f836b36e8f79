"""The publication history on a small hand-made warehouse: which periods close, what is kept,
what a revision does, and that a publication serving a frozen period otherwise is caught."""

from datetime import date, datetime

import duckdb
import pandas as pd
import pytest

from disclosure.history import OpenPeriodCutError, closes_on, statuses, unit_grain
from disclosure.spec import SpecError, parse
from orchestration.lib import history

MONTHLY = {
    "aggregate": "agg_x_monthly",
    "period": "month",
    "grain": "month",
    "dimensions": {"departement": "additive"},
    "figures": {"n_orders": {"kind": "count", "base": "n_orders"}},
    "rollup": {"into": "mart_x_quarterly", "grain": "quarter", "figures": {"n_orders": "n_orders"}},
}
QUARTERLY = MONTHLY | {"aggregate": "agg_x_quarterly", "period": "quarter", "grain": "quarter", "rollup": None}
SALES = MONTHLY | {"aggregate": "agg_sales", "rollup": None, "grace_days": 10}


def specs(**changes) -> dict:
    metas = {"mart_x_monthly": MONTHLY, "mart_x_quarterly": QUARTERLY, "mart_sales": SALES}
    metas = {m: {**meta, **changes.get(m, {})} for m, meta in metas.items()}
    return {m: parse(m, meta) for m, meta in metas.items()}


def test_a_period_closes_with_the_coarsest_period_it_rolls_up_into_after_its_grace():
    s = specs()
    assert unit_grain(s["mart_x_monthly"], s) == "quarter"
    # October closes with the fourth quarter: 1 January, 15 days later.
    assert closes_on(date(2026, 10, 1), s["mart_x_monthly"], s) == date(2027, 1, 16)
    assert closes_on(date(2026, 10, 1), s["mart_x_quarterly"], s) == date(2027, 1, 16)
    assert closes_on(date(2026, 10, 1), s["mart_sales"], s) == date(2026, 11, 11)


def test_marts_tied_by_a_rollup_must_close_together_grace_is_days_and_no_stock():
    with pytest.raises(SpecError, match="same grace_days"):
        statuses(specs(mart_x_quarterly={"grace_days": 30}), {}, {}, datetime(2026, 1, 1))
    stock = SALES | {
        "figures": {**SALES["figures"], "n_to_date": {"kind": "count", "base": "n_to_date"}},
        "cumulative": {"stock": "n_to_date", "flow": "n_orders"},
    }
    with pytest.raises(SpecError, match="cumulative relation ties every period"):
        statuses({"mart_sales": parse("mart_sales", stock)}, {}, {}, datetime(2026, 1, 1))
    for wrong in (-1, None, "15", True):
        with pytest.raises(SpecError, match="grace_days is a number"):
            parse("mart_sales", SALES | {"grace_days": wrong})


# 2026-11-10 23:30 UTC is the 11th in Paris: October (closing on the 11th) is closed.
NIGHT = datetime(2026, 11, 10, 23, 30)
SALES_ONLY = {"mart_sales": specs()["mart_sales"]}


def test_statuses_name_frozen_closing_open_and_lost_periods_and_refuse_an_open_one_cut():
    months = [date(2026, m, 1) for m in (7, 9, 10, 11)]  # August cut by retention
    rows = statuses(SALES_ONLY, {"mart_sales": months}, {"mart_sales": {date(2026, 7, 1)}}, NIGHT)
    assert [(p.month, s) for _, p, s, _, _ in rows] == [
        (7, "frozen"),
        (8, "lost"),
        (9, "closing"),
        (10, "closing"),
        (11, "open"),
    ]
    # A frozen period the CRM no longer holds stays frozen; under revision it is recomputed
    # where it can be.
    rows = statuses(
        SALES_ONLY,
        {"mart_sales": months[1:]},
        {"mart_sales": {date(2026, 7, 1), date(2026, 9, 1)}},
        NIGHT,
        {"mart_sales": {date(2026, 7, 1), date(2026, 9, 1)}},
    )
    assert [(p.month, s) for _, p, s, _, _ in rows][:3] == [(7, "frozen"), (8, "lost"), (9, "closing")]
    with pytest.raises(OpenPeriodCutError, match="2026-11-01 is still open"):
        statuses(SALES_ONLY, {"mart_sales": [date(2026, 10, 1), date(2026, 12, 1)]}, {}, NIGHT)


@pytest.fixture
def warehouse(tmp_path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    conn.execute("create schema marts")
    conn.execute("create schema aggregates")
    conn.execute(
        "create table marts.mart_sales as select * from (values "
        "(date '2026-08-01', 'Tous', 12, false), (date '2026-09-01', 'Tous', 20, false), "
        "(date '2026-10-01', 'Tous', null, true), (date '2026-11-01', 'Tous', 10, false)) "
        "t(month, departement, n_orders, n_orders_secret)"
    )
    yield conn
    conn.close()


def tonight(conn, as_of: datetime, revising: dict | None = None) -> None:
    """What dbt's period_status says of marts.mart_sales at ``as_of``."""
    periods = [r[0] for r in conn.execute("select distinct month from marts.mart_sales").fetchall()]
    rows = statuses(SALES_ONLY, {"mart_sales": periods}, history.frozen_periods(conn), as_of, revising)
    conn.register("rows", pd.DataFrame(rows, columns=["mart", "period", "status", "closes_on", "revising"]))
    conn.execute("create or replace table aggregates.period_status as select * from rows")
    conn.unregister("rows")


def test_a_night_freezes_the_closed_periods_once_and_later_nights_leave_them(warehouse):
    tonight(warehouse, NIGHT)
    done = history.freeze(warehouse, NIGHT, "run-1", 5)
    assert done.frozen == {"mart_sales": [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)]}
    kept = warehouse.execute("select * from history.mart_sales order by month").fetchall()
    assert kept == warehouse.execute("select * from marts.mart_sales where month < '2026-11-01' order by 1").fetchall()
    # Tonight's marts change (an erasure, a purge) and lose a closed month: nothing kept moves.
    warehouse.execute("update marts.mart_sales set n_orders = n_orders - 1 where month = '2026-09-01'")
    warehouse.execute("delete from marts.mart_sales where month = '2026-08-01'")
    later = datetime(2026, 12, 20)
    tonight(warehouse, later)
    again = history.freeze(warehouse, later, "run-2", 5)
    assert again.frozen == {"mart_sales": [date(2026, 11, 1)]} and again.lost == {}
    assert warehouse.execute("select month, n_orders from history.mart_sales order by 1").fetchall() == [
        (date(2026, 8, 1), 12),
        (date(2026, 9, 1), 20),
        (date(2026, 10, 1), None),
        (date(2026, 11, 1), 10),
    ]
    assert warehouse.execute("select run_id, revision from history.periods where period = '2026-11-01'").fetchone() == (
        "run-2",
        0,
    )


def test_a_closed_period_already_cut_is_named_not_frozen(warehouse):
    warehouse.execute("delete from marts.mart_sales where month = '2026-09-01'")
    tonight(warehouse, NIGHT)
    done = history.freeze(warehouse, NIGHT, "run-1", 5)
    assert done.lost == {"mart_sales": [date(2026, 9, 1)]}
    assert "could not" not in done.summary() and "2026-09-01" in done.summary()


def test_a_revision_recomputes_its_period_counts_what_changed_and_refuses_one_it_cannot(warehouse):
    tonight(warehouse, NIGHT)
    history.freeze(warehouse, NIGHT, "run-1", 5)
    with pytest.raises(history.HistoryError, match="reason"):
        history.request_revision(warehouse, SALES_ONLY, "  ", NIGHT, period=date(2026, 9, 1))
    with pytest.raises(history.HistoryError, match="No frozen period matches 2026-11-01"):
        history.request_revision(warehouse, SALES_ONLY, "Erreur de saisie", NIGHT, period=date(2026, 11, 1))
    asked = history.request_revision(warehouse, SALES_ONLY, "Erreur de saisie", NIGHT, period=date(2026, 9, 1))
    assert asked == {"mart_sales": [date(2026, 9, 1)]}
    history.request_revision(warehouse, SALES_ONLY, "Erreur de saisie", NIGHT, period=date(2026, 8, 1))
    warehouse.execute("update marts.mart_sales set n_orders = 19 where month = '2026-09-01'")
    warehouse.execute("delete from marts.mart_sales where month = '2026-08-01'")  # no longer computable
    later = datetime(2026, 11, 12)
    tonight(warehouse, later, {"mart_sales": {date(2026, 8, 1), date(2026, 9, 1)}})
    assert history.revision_outcomes(warehouse) == [
        ("mart_sales", date(2026, 8, 1), "not computable", 0),
        ("mart_sales", date(2026, 9, 1), "recomputed", 2),
    ]
    done = history.freeze(warehouse, later, "run-2", 5)
    assert done.revised == {"mart_sales": [date(2026, 9, 1)]} and done.refused == {"mart_sales": [date(2026, 8, 1)]}
    assert done.frozen == {}
    assert warehouse.execute("select month, n_orders from history.mart_sales order by 1").fetchall()[:2] == [
        (date(2026, 8, 1), 12),
        (date(2026, 9, 1), 19),
    ]
    assert warehouse.execute("select period, revision from history.periods order by 1").fetchall()[:2] == [
        (date(2026, 8, 1), 0),
        (date(2026, 9, 1), 1),
    ]
    assert warehouse.execute(
        "select period, outcome, rows_changed, run_id from history.revisions order by 1"
    ).fetchall() == [(date(2026, 8, 1), "not computable", 0, "run-2"), (date(2026, 9, 1), "recomputed", 2, "run-2")]


def test_a_changed_definition_is_refused_until_every_frozen_period_is_revised(warehouse):
    tonight(warehouse, NIGHT)
    history.freeze(warehouse, NIGHT, "run-1", 5)
    warehouse.execute("alter table marts.mart_sales add column n_new bigint")
    warehouse.execute("alter table marts.mart_sales add column n_new_secret boolean")
    warehouse.execute("update marts.mart_sales set n_new = 10, n_new_secret = false")
    later = datetime(2026, 11, 12)
    tonight(warehouse, later)
    with pytest.raises(history.HistoryError, match="new: n_new, n_new_secret.*mgreen revise --mart mart_sales --all"):
        history.freeze(warehouse, later, "run-2", 5)
    history.request_revision(warehouse, SALES_ONLY, "Nouvelle mesure", later)
    # August can no longer be computed: it keeps its figures, the new one not published then.
    warehouse.execute("delete from marts.mart_sales where month = '2026-08-01'")
    revising = {"mart_sales": {date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)}}
    tonight(warehouse, later, revising)
    done = history.freeze(warehouse, later, "run-2", 5)
    assert done.revised == {"mart_sales": [date(2026, 9, 1), date(2026, 10, 1)]}
    assert done.refused == {"mart_sales": [date(2026, 8, 1)]}
    assert warehouse.execute(
        "select month, n_orders, n_new, n_new_secret from history.mart_sales order by 1"
    ).fetchall() == [
        (date(2026, 8, 1), 12, None, False),
        (date(2026, 9, 1), 20, 10, False),
        (date(2026, 10, 1), None, 10, False),
    ]


def test_a_publication_serving_a_frozen_period_otherwise_is_caught(warehouse, tmp_path):
    tonight(warehouse, NIGHT)
    history.freeze(warehouse, NIGHT, "run-1", 5)
    tonight(warehouse, datetime(2026, 11, 12))
    warehouse.execute(f"attach '{tmp_path / 'candidate.duckdb'}' as candidate")
    warehouse.execute("create table candidate.main.mart_sales as select * from marts.mart_sales")
    assert history.served_as_frozen(warehouse, "candidate") == []
    # Tonight's recount of a frozen month (one person erased): the kept figure must be served.
    warehouse.execute("update candidate.main.mart_sales set n_orders = 11 where month = '2026-08-01'")
    assert history.served_as_frozen(warehouse, "candidate") == [
        "mart_sales: 2 row(s) of frozen periods differ from the history"
    ]
    warehouse.execute("delete from candidate.main.mart_sales where month = '2026-08-01'")
    assert history.served_as_frozen(warehouse, "candidate") == [
        "mart_sales: 1 row(s) of frozen periods differ from the history"
    ]


def test_a_revision_recomputes_a_whole_unit_or_keeps_it_whole():
    """The fourth quarter of the rolled-up pair: months and quarter are recomputed together,
    or, when one of them can no longer be computed, kept together."""
    s = specs()
    s.pop("mart_sales")
    frozen = {
        "mart_x_monthly": {date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)},
        "mart_x_quarterly": {date(2026, 10, 1)},
    }
    night = datetime(2027, 3, 1)
    asked = {"mart_x_monthly": {date(2026, 11, 1)}}
    every = {m: sorted(p) for m, p in frozen.items()}
    rows = statuses(s, every, frozen, night, asked)
    assert {(m, p.month, st, r) for m, p, st, _, r in rows} == {
        ("mart_x_monthly", 10, "closing", True),
        ("mart_x_monthly", 11, "closing", True),
        ("mart_x_monthly", 12, "closing", True),
        ("mart_x_quarterly", 10, "closing", True),
    }
    # October's rows are gone: the whole quarter stays as kept, and says it was answered.
    cut = {**every, "mart_x_monthly": [date(2026, 11, 1), date(2026, 12, 1)]}
    rows = statuses(s, cut, frozen, night, asked)
    assert {(m, p.month, st, r) for m, p, st, _, r in rows} == {
        ("mart_x_monthly", 10, "frozen", True),
        ("mart_x_monthly", 11, "frozen", True),
        ("mart_x_monthly", 12, "frozen", True),
        ("mart_x_quarterly", 10, "frozen", True),
    }


def test_a_larger_k_stops_the_night_until_the_periods_frozen_under_the_smaller_are_revised(warehouse):
    tonight(warehouse, NIGHT)
    history.freeze(warehouse, NIGHT, "run-1", 5)
    later = datetime(2026, 11, 12)
    tonight(warehouse, later)
    with pytest.raises(history.HistoryError, match="k is now 7, and 3 frozen period.*k = 5"):
        history.freeze(warehouse, later, "run-2", 7)
    history.request_revision(warehouse, SALES_ONLY, "k = 7", later)
    tonight(warehouse, later, {"mart_sales": {date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)}})
    done = history.freeze(warehouse, later, "run-2", 7)
    assert done.revised == {"mart_sales": [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)]}
    assert warehouse.execute("select distinct min_cell_size from history.periods").fetchall() == [(7,)]


def test_a_revision_asked_while_a_night_runs_waits_for_the_next(warehouse):
    tonight(warehouse, NIGHT)
    history.freeze(warehouse, NIGHT, "run-1", 5)
    later = datetime(2026, 11, 12)
    tonight(warehouse, later)  # dbt read the history before the revision was asked
    history.request_revision(warehouse, SALES_ONLY, "Erreur de saisie", later, period=date(2026, 9, 1))
    assert history.revision_outcomes(warehouse) == []
    history.freeze(warehouse, later, "run-2", 5)
    assert warehouse.execute("select done_at from history.revisions").fetchall() == [(None,)]
