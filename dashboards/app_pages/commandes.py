"""Commandes et chiffre d'affaires: by month, département, category and channel."""

import streamlit as st

from dashboards.lib import charts, queries
from dashboards.lib import formatting as fmt
from dashboards.lib.page import context, monthly_table, secret_note, show_table

ctx = context()
f = ctx.filters
st.title("Commandes et chiffre d'affaires")
st.caption(
    f"{f.describe()} · département : {fmt.label(fmt.DEPARTEMENTS, f.departement)} · catégorie : "
    f"{fmt.label(fmt.CATEGORIES, f.category)} · canal : {fmt.label(fmt.CHANNELS, f.channel)}. "
    "Une commande à plusieurs catégories compte dans chacune."
)

monthly = queries.orders_monthly(ctx.stamp, f.start, f.end, f.departement, f.category, f.channel)
left, right = st.columns(2)
left.altair_chart(charts.monthly_bars(monthly, "n_orders", "Commandes par mois"), width="stretch")
right.altair_chart(
    charts.monthly_bars(monthly, "revenue_excl_tax_eur", "Chiffre d'affaires HT par mois (€)"), width="stretch"
)
secret_note(monthly)
# Cancelled orders of prospects who never bought go with the prospect, three years after the
# last contact: where that has begun, the mart leaves the open cell's count empty.
purged = monthly.n_orders_cancelled.isna() & ~monthly.is_suppressed.astype(bool)
if purged.any():
    st.caption(
        f"Annulées « {fmt.RETENTION} » : les prospects sans commande aboutie sont effacés trois ans après leur "
        "dernier contact, avec leurs commandes annulées ; le nombre de ces mois-là n'est plus complet."
    )

monthly_table(
    monthly.assign(n_orders_cancelled=monthly.n_orders_cancelled.astype(object).where(~purged, fmt.RETENTION)),
    "commandes_par_mois",
    {
        "n_orders": ("Commandes", fmt.number),
        "n_orders_cancelled": ("Annulées", fmt.count_or_note),
        "revenue_excl_tax_eur": ("CA HT", fmt.euros),
        "average_basket_eur": ("Panier moyen", fmt.euros),
    },
)

st.subheader("Par département")
by_dep = queries.orders_by(ctx.stamp, "departement", f.start, f.end, f.departement, f.category, f.channel)
left, right = st.columns([3, 2])
left.vega_lite_chart(
    charts.departement_map(by_dep, "revenue_excl_tax_eur", "CA HT sur la période (€)"), width="stretch"
)
with right:
    show_table(
        by_dep.assign(Département=by_dep.valeur.map(lambda c: fmt.label(fmt.DEPARTEMENTS, c)))[
            ["Département", "n_orders", "revenue_excl_tax_eur", "months_suppressed"]
        ].rename(
            columns={"n_orders": "Commandes", "revenue_excl_tax_eur": "CA HT", "months_suppressed": "Mois en secret"}
        ),
        "commandes_par_departement",
        {"Commandes": fmt.number, "CA HT": fmt.euros},
    )

for dimension, title, labels in (
    ("categorie", "Par catégorie de produit", fmt.CATEGORIES),
    ("canal", "Par canal d'acquisition", fmt.CHANNELS),
):
    st.subheader(title)
    data = queries.orders_by(ctx.stamp, dimension, f.start, f.end, f.departement, f.category, f.channel)
    data = data.assign(Libellé=data.valeur.map(lambda c, labels=labels: fmt.label(labels, c)))
    left, right = st.columns([3, 2])
    left.altair_chart(charts.horizontal_bars(data, "Libellé", "revenue_excl_tax_eur", "CA HT (€)"), width="stretch")
    with right:
        show_table(
            data[["Libellé", "n_orders", "revenue_excl_tax_eur", "months_suppressed"]].rename(
                columns={
                    "n_orders": "Commandes",
                    "revenue_excl_tax_eur": "CA HT",
                    "months_suppressed": "Mois en secret",
                }
            ),
            f"commandes_par_{dimension}",
            {"Commandes": fmt.number, "CA HT": fmt.euros},
        )
