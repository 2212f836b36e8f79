"""Vue d'ensemble: the morning's key figures against the previous period."""

import streamlit as st

from dashboards.lib import formatting as fmt
from dashboards.lib import queries
from dashboards.lib.page import context, orders_dimensions, paired_rate, secret_note, tile, total

ctx = context()
f = ctx.filters
prev_start, prev_end = f.previous()

st.title("Vue d'ensemble")
st.caption(f"Période : {f.describe()} · comparée à la période précédente de même durée.")
departement, category, channel = orders_dimensions(f)

orders = queries.orders_monthly(ctx.stamp, f.start, f.end, departement, category, channel)
orders_prev = queries.orders_monthly(ctx.stamp, prev_start, prev_end, departement, category, channel)
clients = queries.clients_monthly(ctx.stamp, f.start, f.end, f.departement)
clients_prev = queries.clients_monthly(ctx.stamp, prev_start, prev_end, f.departement)
funnel = queries.funnel_cohorts(ctx.stamp, f.start, f.end, f.channel)
funnel_prev = queries.funnel_cohorts(ctx.stamp, prev_start, prev_end, f.channel)
nps = queries.satisfaction(ctx.stamp, f.start, f.end)
nps_prev = queries.satisfaction(ctx.stamp, prev_start, prev_end)
unpaid = queries.unpaid(ctx.stamp, f.start, f.end, f.departement)
unpaid_prev = queries.unpaid(ctx.stamp, prev_start, prev_end, f.departement)


def conversion(df):
    """Signed quotes / prospects over the cohorts of the period where both are published."""
    return paired_rate(df, "n_devis_signe", "n_prospects")


def net_promoter(df):
    """The NPS over the months whose promoters, detractors and answers are all published."""
    rows = df.dropna(subset=["n_promoters", "n_detractors", "n_answers"])
    answers = rows.n_answers.sum()
    return None if answers == 0 else 100.0 * float(rows.n_promoters.sum() - rows.n_detractors.sum()) / float(answers)


def last_value(df, column):
    rows = df.dropna(subset=[column])
    return None if rows.empty else float(rows.iloc[-1][column])


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
    total(clients.n_new_clients),
    total(clients_prev.n_new_clients),
    fmt.number,
    list(clients.n_new_clients),
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

secret_note(orders, figures=["n_orders", "revenue_excl_tax_eur"])
st.caption(
    "Commandes et CA : mois de commande, hors commandes annulées ; sommes des cellules publiées. Nouveaux clients : "
    "première commande non annulée dans la période. Conversion : cohortes de premier contact de la période dont "
    "prospects et devis signés sont publiés. NPS : mois dont promoteurs, détracteurs et réponses sont publiés. "
    "Impayés : dernier mois publié de la période."
)
