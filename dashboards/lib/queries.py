"""Named queries on the published file, with bind parameters, cached until a new publication.

Every function takes the publication's ``stamp`` first: a new file means a new stamp, so the
cache never serves figures of a replaced publication; the TTL bounds memory otherwise.
Periods are months: ``start`` and ``end`` are first days of months, both included.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboards.lib.warehouse import read

TTL = 3600
Stamp = tuple[str, int, int]


@st.cache_data(ttl=TTL, show_spinner=False)
def publication(stamp: Stamp) -> dict:
    df = read(stamp, "select run_id, data_as_of, published_at, min_cell_size, tables from publication")
    return df.iloc[0].to_dict()


@st.cache_data(ttl=TTL, show_spinner=False)
def orders_monthly(stamp: Stamp, start: date, end: date, departement: str, category: str, channel: str) -> pd.DataFrame:
    return read(
        stamp,
        """
        select order_month as month, n_persons, n_orders, n_orders_cancelled, revenue_excl_tax_eur,
               average_basket_eur, is_suppressed
        from mart_orders_monthly
        where order_month between ? and ? and departement = ? and product_category = ? and acquisition_channel = ?
        order by order_month
    """,
        [start, end, departement, category, channel],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def orders_by(
    stamp: Stamp, dimension: str, start: date, end: date, departement: str, category: str, channel: str
) -> pd.DataFrame:
    """Orders and revenue over the period, by one dimension (the others as filtered)."""
    column = {"departement": "departement", "categorie": "product_category", "canal": "acquisition_channel"}[dimension]
    filters = {"departement": departement, "product_category": category, "acquisition_channel": channel}
    filters.pop(column)
    where = " and ".join(f"{c} = ?" for c in filters)
    return read(
        stamp,
        f"""
        select {column} as valeur,
               sum(n_orders) as n_orders, sum(revenue_excl_tax_eur) as revenue_excl_tax_eur,
               sum(n_orders_cancelled) as n_orders_cancelled,
               count(*) filter (where is_suppressed) as months_suppressed, count(*) as months
        from mart_orders_monthly
        where order_month between ? and ? and {column} <> 'Tous' and {where}
        group by {column} order by revenue_excl_tax_eur desc nulls last
    """,
        [start, end, *filters.values()],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def clients_monthly(stamp: Stamp, start: date, end: date, departement: str) -> pd.DataFrame:
    return read(
        stamp,
        """
        select month, measure, n_persons, is_suppressed from mart_clients_monthly
        where month between ? and ? and departement = ? order by month, measure
    """,
        [start, end, departement],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def clients_by_departement(stamp: Stamp, month: date) -> pd.DataFrame:
    return read(
        stamp,
        """
        select departement, measure, n_persons, is_suppressed from mart_clients_monthly
        where month = ? and departement <> 'Tous' order by departement
    """,
        [month],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def funnel_cohorts(stamp: Stamp, start: date, end: date, channel: str) -> pd.DataFrame:
    return read(
        stamp,
        """
        select cohort_month, stage, stage_position, n_persons, n_prospects, conversion_rate,
               median_days_since_first_contact, median_days_since_signature, is_suppressed
        from mart_funnel_cohorts
        where cohort_month between ? and ? and acquisition_channel = ?
        order by cohort_month, stage_position
    """,
        [start, end, channel],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def web_funnel_daily(stamp: Stamp, start: date, end: date) -> pd.DataFrame:
    return read(
        stamp,
        """
        select session_date, step, step_position, n_sessions, share_of_sessions, is_suppressed
        from mart_web_funnel_daily
        where session_date >= ? and session_date < ? + interval 1 month
        order by session_date, step_position, step
    """,
        [start, end],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def web_funnel_by_source(stamp: Stamp, start: date, end: date, dimension: str) -> pd.DataFrame:
    column = {"source": "utm_source", "appareil": "device"}[dimension]
    other = "device" if column == "utm_source" else "utm_source"
    return read(
        stamp,
        f"""
        select {column} as valeur, step, step_position, sum(n_sessions) as n_sessions,
               count(*) filter (where is_suppressed) as months_suppressed
        from mart_web_funnel_by_source_monthly
        where session_month between ? and ? and {other} = 'Tous' and {column} <> 'Tous'
        group by all order by valeur, step_position, step
    """,
        [start, end],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def aid_dossiers(stamp: Stamp, start: date, end: date) -> pd.DataFrame:
    return read(
        stamp,
        """
        select submitted_month as month, aid_scheme, mpr_income_category, n_persons, n_dossiers_submitted,
               n_dossiers_granted, n_dossiers_refused, n_dossiers_paid, requested_eur, granted_eur,
               median_days_to_decision, is_suppressed
        from mart_aid_dossiers_monthly where submitted_month between ? and ?
        order by submitted_month
    """,
        [start, end],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def financing(stamp: Stamp, start: date, end: date) -> pd.DataFrame:
    return read(
        stamp,
        """
        select requested_month as month, financing_partner, n_persons, n_requests, n_accepted, n_refused,
               acceptance_rate, amount_requested_eur, amount_accepted_eur, is_suppressed
        from mart_financing_monthly where requested_month between ? and ? order by requested_month
    """,
        [start, end],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def after_sales(stamp: Stamp, start: date, end: date) -> pd.DataFrame:
    return read(
        stamp,
        """
        select month, ticket_category, n_persons, n_tickets_opened, n_tickets_closed, median_days_to_close,
               share_under_warranty, is_suppressed
        from mart_after_sales_monthly where month between ? and ? order by month
    """,
        [start, end],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def satisfaction(stamp: Stamp, start: date, end: date) -> pd.DataFrame:
    return read(
        stamp,
        """
        select month, n_persons, n_surveys_sent, n_surveys_answered_of_sent, n_answers, n_promoters,
               n_detractors, response_rate, nps, is_suppressed
        from mart_satisfaction_monthly where month between ? and ? order by month
    """,
        [start, end],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def unpaid(stamp: Stamp, start: date, end: date, departement: str) -> pd.DataFrame:
    return read(
        stamp,
        """
        select month, n_persons, n_invoices_unpaid, amount_unpaid_eur, n_collection_cases_opened,
               n_collection_cases_closed, amount_recovered_eur, is_suppressed
        from mart_unpaid_monthly where month between ? and ? and departement = ? order by month
    """,
        [start, end, departement],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def guard_runs(stamp: Stamp) -> pd.DataFrame:
    return read(
        stamp,
        """
        select run_id, target, min(checked_at) as checked_at, count(*) as checks,
               count(*) filter (where not passed and excepted is null) as failed,
               count(*) filter (where excepted is not null) as excepted,
               count(distinct table_name) as tables
        from guard_results group by run_id, target order by checked_at desc
    """,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def guard_failures_and_exceptions(stamp: Stamp) -> pd.DataFrame:
    return read(
        stamp,
        """
        select checked_at, target, table_name, column_name, rule, passed, failing, excepted
        from guard_results where not passed or excepted is not null
        order by checked_at desc limit 200
    """,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def gdpr_events(stamp: Stamp) -> pd.DataFrame:
    return read(
        stamp,
        """
        select cast(recorded_at as date) as day, kind, rule, table_name, sum(rows_removed) as rows_removed
        from gdpr_events group by all order by day desc, kind, rule, table_name
    """,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def publication_history(stamp: Stamp) -> pd.DataFrame:
    return read(
        stamp,
        """
        select published_at, data_as_of, tables, rows_published, checks_passed, min_cell_size, run_id
        from publication_history order by published_at desc
    """,
    )
