"""Vue d'ensemble: the morning's key figures against the previous period."""

import streamlit as st

from dashboards.lib import formatting as fmt
from dashboards.lib import queries
from dashboards.lib.page import context, secret_note, tile, total

ctx = context()
f = ctx.filters
prev_start, prev_end = f.previous()

st.title("Vue d'ensemble")
st.caption(f"Période : {f.describe()} · comparée à la période précédente de même durée.")

orders = queries.orders_monthly(ctx.stamp, f.start, f.end, f.departement, f.category, f.channel)
orders_prev = queries.orders_monthly(ctx.stamp, prev_start, prev_end, f.departement, f.category, f.channel)
clients = queries.clients_monthly(ctx.stamp, f.start, f.end, f.departement)
clients_prev = queries.clients_monthly(ctx.stamp, prev_start, prev_end, f.departement)
funnel = queries.funnel_cohorts(ctx.stamp, f.start, f.end, f.channel)
funnel_prev = queries.funnel_cohorts(ctx.stamp, prev_start, prev_end, f.channel)
nps = queries.satisfaction(ctx.stamp, f.start, f.end)
nps_prev = queries.satisfaction(ctx.stamp, prev_start, prev_end)
unpaid = queries.unpaid(ctx.stamp, f.start, f.end, f.departement)
unpaid_prev = queries.unpaid(ctx.stamp, prev_start, prev_end, f.departement)


def conversion(df):
    """Signed quotes / prospects over the cohorts of the period (published cells only)."""
    prospects = df[(df.stage == "prospect") & ~df.is_suppressed]
    signed = df[(df.stage == "devis_signe") & ~df.is_suppressed & df.cohort_month.isin(prospects.cohort_month)]
    return None if prospects.empty else float(signed.n_persons.sum()) / float(prospects.n_persons.sum())


def net_promoter(df):
    rows = df[~df.is_suppressed]
    answers = rows.n_answers.sum()
    return None if answers == 0 else 100.0 * (rows.n_promoters.sum() - rows.n_detractors.sum()) / answers


def last_value(df, column):
    rows = df.dropna(subset=[column])
    return None if rows.empty else float(rows.iloc[-1][column])


new_clients = clients[clients.measure == "nouveaux_clients"]
new_clients_prev = clients_prev[clients_prev.measure == "nouveaux_clients"]

row1 = st.columns(3)
tile(row1[0], "Commandes", total(orders.n_orders), total(orders_prev.n_orders), fmt.number, list(orders.n_orders))
tile(
    row1[1],
    "Chiffre d'affaires HT",
    total(orders.revenue_excl_tax_eur),
    total(orders_prev.revenue_excl_tax_eur),
    fmt.euros,
    list(orders.revenue_excl_tax_eur),
)
tile(
    row1[2],
    "Nouveaux clients",
    total(new_clients.n_persons),
    total(new_clients_prev.n_persons),
    fmt.number,
    list(new_clients.n_persons),
)
row2 = st.columns(3)
tile(row2[0], "Taux de conversion (devis signé / prospects)", conversion(funnel), conversion(funnel_prev), fmt.percent)
tile(row2[1], "NPS", net_promoter(nps), net_promoter(nps_prev), fmt.score, list(nps.nps))
tile(
    row2[2],
    "Impayés en fin de mois (montant)",
    last_value(unpaid, "amount_unpaid_eur"),
    last_value(unpaid_prev, "amount_unpaid_eur"),
    fmt.euros,
    list(unpaid.amount_unpaid_eur),
    inverse=True,
)

secret_note(orders)
st.caption(
    "Commandes et CA : mois de commande, hors commandes annulées. Nouveaux clients : première commande non annulée "
    "dans la période. Conversion : cohortes de premier contact de la période. Impayés : dernier mois de la période."
)
