"""Named queries on the published file, with bind parameters, cached until a new publication.

Every function takes the publication's ``stamp`` first: a new file means a new stamp, so the
cache never serves figures of a replaced publication; the TTL bounds memory otherwise.
Periods are months: ``start`` and ``end`` are first days of months, both included.
Each figure ``x`` comes with its flag ``x_secret`` (secret statistique: ``x`` is then NULL); the
pages add up published cells only and read the flags through ``page.show_table`` / ``secret_note``.
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


def _with_flags(*figures: str) -> str:
    """``a, a_secret, b, b_secret``: figures with their secret flags (NULL where the flag is set)."""
    return ", ".join(f"{f}, {f}_secret" for f in figures)


ORDERS = ("n_orders", "n_orders_cancelled", "revenue_excl_tax_eur", "average_basket_eur")


@st.cache_data(ttl=TTL, show_spinner=False)
def orders_monthly(stamp: Stamp, start: date, end: date, departement: str, category: str, channel: str) -> pd.DataFrame:
    """One dimension at a time: at most one of département, category, channel is not 'Tous'
    (``page.orders_dimensions``); a crossed choice has no row."""
    return read(
        stamp,
        f"""
        select order_month as month, {_with_flags(*ORDERS)}
        from mart_orders_monthly
        where order_month between ? and ? and departement = ? and product_category = ? and acquisition_channel = ?
        order by order_month
    """,
        [start, end, departement, category, channel],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def orders_by(stamp: Stamp, dimension: str, start: date, end: date) -> pd.DataFrame:
    """Orders and revenue by month and by one dimension, the two others 'Tous' (the mart does not
    cross them); the page adds the published cells up."""
    column = {"departement": "departement", "categorie": "product_category", "canal": "acquisition_channel"}[dimension]
    others = [c for c in ("departement", "product_category", "acquisition_channel") if c != column]
    return read(
        stamp,
        f"""
        select {column} as valeur, order_month as month,
               {_with_flags("n_orders", "revenue_excl_tax_eur")}
        from mart_orders_monthly
        where order_month between ? and ? and {column} <> 'Tous' and {" and ".join(f"{c} = 'Tous'" for c in others)}
        order by valeur, month
    """,
        [start, end],
    )


CLIENTS = ("n_new_clients", "n_active_clients")


@st.cache_data(ttl=TTL, show_spinner=False)
def clients_monthly(stamp: Stamp, start: date, end: date, departement: str) -> pd.DataFrame:
    return read(
        stamp,
        f"""
        select month, {_with_flags(*CLIENTS)} from mart_clients_monthly
        where month between ? and ? and departement = ? order by month
    """,
        [start, end, departement],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def clients_gained(stamp: Stamp, end: date, departement: str) -> pd.DataFrame:
    """Per month up to ``end``, the new clients published (NULL where secret or, for a
    département, not published while the month is provisional) and their running sum over
    the published ones, with how many months it leaves out."""
    return read(
        stamp,
        """
        with months as (
            select distinct month from mart_clients_monthly where month <= ?
        ),
        mine as (
            select months.month, c.n_new_clients, coalesce(c.n_new_clients_secret, false) as n_new_clients_secret
            from months left join mart_clients_monthly c on c.month = months.month and c.departement = ?
        )
        select month, n_new_clients, n_new_clients_secret,
            sum(coalesce(n_new_clients, 0)) over (order by month) as gained,
            count(*) filter (where n_new_clients is null) over (order by month) as months_left_out
        from mine order by month
    """,
        [end, departement],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def clients_by_departement(stamp: Stamp, month: date) -> pd.DataFrame:
    """New and active clients of ``month`` per département."""
    return read(
        stamp,
        f"""
        select departement, {_with_flags(*CLIENTS)} from mart_clients_monthly
        where month = ? and departement <> 'Tous' order by departement
    """,
        [month],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def provisional_periods(stamp: Stamp, mart: str) -> pd.DataFrame:
    """The mart's provisional periods (publication_periods): each with the day it becomes final."""
    return read(
        stamp,
        "select period, closes_on from publication_periods where mart = ? and status = 'provisoire' order by period",
        [mart],
    )


STAGE_FIGURES = {
    "prospect": "n_prospects",
    "demande": "n_demande",
    "devis_envoye": "n_devis_envoye",
    "devis_signe": "n_devis_signe",
    "installe": "n_installe",
    "paye": "n_paye",
}


@st.cache_data(ttl=TTL, show_spinner=False)
def funnel_cohorts(stamp: Stamp, start: date, end: date, channel: str) -> pd.DataFrame:
    figures = (*STAGE_FIGURES.values(), "median_days_to_signature", "median_days_signature_to_installation")
    return read(
        stamp,
        f"""
        select cohort_month, {_with_flags(*figures)}
        from mart_funnel_cohorts
        where cohort_month between ? and ? and acquisition_channel = ?
        order by cohort_month
    """,
        [start, end, channel],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def web_funnel_daily(stamp: Stamp, start: date, end: date) -> pd.DataFrame:
    return read(
        stamp,
        f"""
        select session_date, {_with_flags("n_sessions", "n_sessions_with_form")}
        from mart_web_funnel_daily
        where session_date >= ? and session_date < ? + interval 1 month
        order by session_date
    """,
        [start, end],
    )


WEB_MONTHLY = (
    "n_sessions",
    "n_sessions_with_form",
    "n_form_simulation",
    "n_form_devis",
    "n_form_contact",
    "n_form_rendez_vous",
)


@st.cache_data(ttl=TTL, show_spinner=False)
def web_funnel_by(stamp: Stamp, start: date, end: date, dimension: str) -> pd.DataFrame:
    """Sessions and forms by kind, by month and by source or by device (the other 'Tous')."""
    column = {"source": "utm_source", "appareil": "device"}[dimension]
    other = "device" if column == "utm_source" else "utm_source"
    return read(
        stamp,
        f"""
        select {column} as valeur, session_month as month, {_with_flags(*WEB_MONTHLY)}
        from mart_web_funnel_monthly
        where session_month between ? and ? and {other} = 'Tous' and {column} <> 'Tous'
        order by valeur, month
    """,
        [start, end],
    )


AIDS = (
    "n_dossiers_submitted",
    "n_dossiers_granted",
    "n_dossiers_refused",
    "n_dossiers_paid",
    "requested_eur",
    "granted_eur",
    "median_days_to_decision",
)


@st.cache_data(ttl=TTL, show_spinner=False)
def aid_dossiers(stamp: Stamp, start: date, end: date) -> pd.DataFrame:
    """By month of submission and scheme (no income category: see ``aid_dossiers_by_income``)."""
    return read(
        stamp,
        f"""
        select submitted_month as month, aid_scheme, {_with_flags(*AIDS)}
        from mart_aid_dossiers_monthly where submitted_month between ? and ?
        order by submitted_month, aid_scheme
    """,
        [start, end],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def aid_dossiers_quarterly(stamp: Stamp, start: date, end: date) -> pd.DataFrame:
    """By quarter of submission and scheme, every income category ('Tous'): the coarser level of
    ``aid_dossiers``, for the quarters that overlap the months from ``start`` to ``end``."""
    return read(
        stamp,
        f"""
        select submitted_quarter as quarter, aid_scheme, {_with_flags(*AIDS)}
        from mart_aid_dossiers_quarterly
        where submitted_quarter between date_trunc('quarter', cast(? as date)) and ? and mpr_income_category = 'Tous'
        order by submitted_quarter, aid_scheme
    """,
        [start, end],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def aid_dossiers_by_income(stamp: Stamp, start: date, end: date, scheme: str) -> pd.DataFrame:
    """By quarter of submission and MaPrimeRénov' income category (k = 11): the quarters that
    overlap the months from ``start`` to ``end``."""
    return read(
        stamp,
        f"""
        select submitted_quarter as quarter, mpr_income_category, {_with_flags(*AIDS)}
        from mart_aid_dossiers_quarterly
        where submitted_quarter between date_trunc('quarter', cast(? as date)) and ? and aid_scheme = ?
        order by submitted_quarter, mpr_income_category
    """,
        [start, end, scheme],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def financing(stamp: Stamp, start: date, end: date) -> pd.DataFrame:
    figures = (
        "n_requests",
        "n_accepted",
        "n_refused",
        "acceptance_rate",
        "amount_requested_eur",
        "amount_accepted_eur",
    )
    return read(
        stamp,
        f"""
        select requested_month as month, financing_partner, {_with_flags(*figures)}
        from mart_financing_monthly where requested_month between ? and ? order by requested_month, financing_partner
    """,
        [start, end],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def after_sales(stamp: Stamp, start: date, end: date) -> pd.DataFrame:
    figures = (
        "n_tickets_opened",
        "n_tickets_closed",
        "n_tickets_warranty_known",
        "n_tickets_under_warranty",
        "median_days_to_close",
        "share_under_warranty",
    )
    return read(
        stamp,
        f"""
        select month, ticket_category, {_with_flags(*figures)}
        from mart_after_sales_monthly where month between ? and ? order by month, ticket_category
    """,
        [start, end],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def satisfaction(stamp: Stamp, start: date, end: date) -> pd.DataFrame:
    figures = (
        "n_surveys_sent",
        "n_surveys_answered_of_sent",
        "n_answers",
        "n_promoters",
        "n_detractors",
        "response_rate",
        "nps",
    )
    return read(
        stamp,
        f"""
        select month, {_with_flags(*figures)}
        from mart_satisfaction_monthly where month between ? and ? order by month
    """,
        [start, end],
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def unpaid(stamp: Stamp, start: date, end: date, departement: str) -> pd.DataFrame:
    figures = (
        "n_invoices_unpaid",
        "amount_unpaid_eur",
        "n_collection_cases_opened",
        "n_collection_cases_closed",
        "amount_recovered_eur",
    )
    return read(
        stamp,
        f"""
        select month, {_with_flags(*figures)}
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
def audit_summary(stamp: Stamp) -> pd.DataFrame:
    """The attacker's audit in the checks of the run that published the file: figures and tables
    audited, cells it pinned."""
    return read(
        stamp,
        """
        select count(*) as figures, count(distinct table_name) as tables, coalesce(sum(failing), 0) as pinned
        from guard_results
        where rule = 'audit_interval' and run_id = (select run_id from publication)
        having count(*) > 0
    """,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def compliance_monthly(stamp: Stamp) -> pd.DataFrame:
    """What the privacy processes removed each month: persons erased ('effacement') and rows
    each retention rule removed; a count from 1 to k - 1 is secret."""
    return read(
        stamp,
        """
        select month, rule, n_removed, n_removed_secret
        from mart_compliance_monthly order by month desc, rule
    """,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def retention_status(stamp: Stamp) -> pd.DataFrame:
    """Where each retention rule stood at the run: its limit, the month of the oldest item it
    keeps, and how many items are past the limit (none, or the run would have failed)."""
    return read(
        stamp,
        """
        select rule, months, cutoff, oldest_kept_month, past_limit, checked_at
        from retention_status
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


@st.cache_data(ttl=TTL, show_spinner=False)
def revisions(stamp: Stamp) -> pd.DataFrame:
    """The revisions of frozen periods, asked and done (none in a file published before them)."""
    return read(
        stamp,
        """
        select mart, period, reason, requested_at, done_at, outcome, rows_changed
        from publication_revisions order by requested_at desc, mart, period
    """,
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def web_sessions_monthly(stamp: Stamp, start: date, end: date) -> pd.DataFrame:
    """Sessions and sessions with a form per month, every source and device."""
    return read(
        stamp,
        f"""
        select session_month as month, {_with_flags("n_sessions", "n_sessions_with_form")}
        from mart_web_funnel_monthly
        where session_month between ? and ? and utm_source = 'Tous' and device = 'Tous'
        order by session_month
    """,
        [start, end],
    )
