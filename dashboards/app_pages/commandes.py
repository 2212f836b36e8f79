"""Commandes et chiffre d'affaires: by month, département, category and channel."""

import streamlit as st

from dashboards.lib import charts, queries
from dashboards.lib import formatting as fmt
from dashboards.lib.page import (
    context,
    flag,
    monthly_table,
    orders_dimensions,
    provisional_note,
    secret_note,
    show_table,
    sums,
    year_before,
)

ctx = context()
f = ctx.filters
st.title("Commandes et chiffre d'affaires")
departement, category, channel = orders_dimensions(f)
st.caption(
    f"{f.describe()} · département : {fmt.label(fmt.DEPARTEMENTS, departement)} · catégorie : "
    f"{fmt.label(fmt.CATEGORIES, category)} · canal : {fmt.label(fmt.CHANNELS, channel)}. "
    "Une commande à plusieurs catégories compte dans chacune."
)

monthly = queries.orders_monthly(ctx.stamp, f.start, f.end, departement, category, channel)
left, right = st.columns(2)
before = year_before(queries.orders_monthly, ctx.stamp, f.start, f.end, departement, category, channel)
left.altair_chart(charts.monthly_bars(monthly, "n_orders", "Commandes par mois", previous=before), width="stretch")
right.altair_chart(
    charts.monthly_bars(monthly, "revenue_excl_tax_eur", "Chiffre d'affaires HT par mois (€)", previous=before),
    width="stretch",
)
secret_note(monthly)
# Cancelled orders of prospects who never bought go with the prospect, three years after the
# last contact: where that has begun, the mart leaves the cell's count empty, without its flag.
purged = monthly.n_orders_cancelled.isna() & ~monthly[flag("n_orders_cancelled")].astype(bool)
if purged.any():
    st.caption(
        f"Annulées « {fmt.RETENTION} » : les prospects sans commande aboutie sont effacés trois ans après leur "
        "dernier contact, avec leurs commandes annulées ; le nombre de ces mois-là n'est plus complet."
    )

monthly_table(
    monthly,
    "commandes_par_mois",
    {
        "n_orders": ("Commandes", fmt.number),
        "n_orders_cancelled": ("Annulées", fmt.number),
        "revenue_excl_tax_eur": ("CA HT", fmt.euros),
        "average_basket_eur": ("Panier moyen", fmt.euros),
    },
    notes={"n_orders_cancelled": fmt.RETENTION},
    mart="mart_orders_monthly",
)
provisional_note("mart_orders_monthly", "ventilation par département, catégorie ou canal")

OTHERS = {
    "departement": "toutes catégories et tous canaux",
    "categorie": "tous départements et tous canaux",
    "canal": "tous départements et toutes catégories",
}


def by(dimension: str):
    """The period's published cells added up by one dimension (the mart does not cross them)."""
    data = queries.orders_by(ctx.stamp, dimension, f.start, f.end)
    totals = sums(data, "valeur", ["n_orders", "revenue_excl_tax_eur"])
    return totals.sort_values("revenue_excl_tax_eur", ascending=False, na_position="last"), data


COLUMNS = {"n_orders": "Commandes", "revenue_excl_tax_eur": "CA HT"}
FORMATS = {"Commandes": fmt.number, "CA HT": fmt.euros}

st.subheader("Par département")
by_dep, cells = by("departement")
st.caption(f"Sur la période, {OTHERS['departement']} : les ventilations ne se croisent pas.")
left, right = st.columns([3, 2])
left.vega_lite_chart(
    charts.departement_map(by_dep, "revenue_excl_tax_eur", "CA HT sur la période (€)"), width="stretch"
)
with right:
    show_table(
        by_dep.assign(Département=by_dep.valeur.map(lambda c: fmt.label(fmt.DEPARTEMENTS, c)))[
            ["Département", "n_orders", "revenue_excl_tax_eur", "Cellules en secret"]
        ].rename(columns=COLUMNS),
        "commandes_par_departement",
        FORMATS,
    )
secret_note(cells, figures=["n_orders", "revenue_excl_tax_eur"])

for dimension, title, labels in (
    ("categorie", "Par catégorie de produit", fmt.CATEGORIES),
    ("canal", "Par canal d'acquisition", fmt.CHANNELS),
):
    st.subheader(title)
    st.caption(f"Sur la période, {OTHERS[dimension]}.")
    data, cells = by(dimension)
    data = data.assign(Libellé=data.valeur.map(lambda c, labels=labels: fmt.label(labels, c)))
    left, right = st.columns([3, 2])
    left.altair_chart(charts.horizontal_bars(data, "Libellé", "revenue_excl_tax_eur", "CA HT (€)"), width="stretch")
    with right:
        show_table(
            data[["Libellé", "n_orders", "revenue_excl_tax_eur", "Cellules en secret"]].rename(columns=COLUMNS),
            f"commandes_par_{dimension}",
            FORMATS,
        )
    secret_note(cells, figures=["n_orders", "revenue_excl_tax_eur"])
